//! Registering channels adds no system to the frame: one dispatch system and one flush
//! system serve every channel, so a game with many channels pays the runtime's per-system
//! cost (and, with the multi-threaded executor, its task hand-offs) once, not per channel.
//! Each channel still gets its own messages.

// Written like game code: Bevy system params without `'_` lifetimes.

use crate::support::{Chat, Events, MAX_FRAMES, Moves, Received, run_once, step};
use bevy::prelude::*;
use stardust::prelude::*;

/// Systems in the schedules the runtime adds to.
fn runtime_systems(app: &App) -> usize {
    let schedules = app.world().resource::<Schedules>();
    let count = |schedule: Option<&Schedule>| schedule.map_or(0, Schedule::systems_len);
    count(schedules.get(PreUpdate)) + count(schedules.get(PostUpdate))
}

fn app_with_channels(extra: bool) -> App {
    let mut app = App::new();
    app.add_plugins((StardustPlugin, LinkPlugin)).add_channel::<Chat>();
    if extra {
        app.add_channel::<Moves>().add_channel::<Events>();
    }
    // Systems are counted once the schedules are built.
    app.update();
    app
}

#[test]
fn more_channels_mean_no_more_systems() {
    let one = app_with_channels(false);
    let three = app_with_channels(true);
    assert_eq!(runtime_systems(&one), runtime_systems(&three));
}

#[test]
fn each_channel_still_gets_only_its_own_messages() {
    // The three channels, each collected by its own reader.
    let (mut a, mut b) = (crate::support::app(), crate::support::app());
    let (b_on_a, a_on_b) = crate::support::connect(&mut a, &mut b);
    run_once(
        &mut a,
        move |mut chat: ChannelWriter<Chat>,
              mut moves: ChannelWriter<Moves>,
              mut events: ChannelWriter<Events>| {
            chat.send(b_on_a, b"chat".as_slice()).unwrap();
            moves.send(b_on_a, b"move".as_slice()).unwrap();
            events.send(b_on_a, b"event".as_slice()).unwrap();
            chat.send(b_on_a, b"chat again".as_slice()).unwrap();
        },
    );
    for _ in 0..MAX_FRAMES {
        step(&mut [&mut a, &mut b]);
    }

    let world = b.world();
    let chat = vec![(a_on_b, b"chat".to_vec()), (a_on_b, b"chat again".to_vec())];
    assert_eq!(world.resource::<Received<Chat>>().messages, chat);
    assert_eq!(world.resource::<Received<Moves>>().messages, vec![(a_on_b, b"move".to_vec())]);
    assert_eq!(world.resource::<Received<Events>>().messages, vec![(a_on_b, b"event".to_vec())]);
}
