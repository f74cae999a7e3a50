//! Message lifetime: a reader that runs every frame sees every message exactly once,
//! whether it runs before dispatch (in `First`), right after it, or in `Update`; the
//! early reader sees a frame's messages one frame later.

// Written like game code: Bevy system params without `'_` lifetimes.

use crate::support::{Chat, inject, spawn_bare_peer};
use bevy::prelude::*;
use stardust::prelude::*;

/// What one reader saw, per frame: `(frame it ran in, payload)`.
#[derive(Resource, Default)]
struct Log<const READER: u8>(Vec<(u32, Vec<u8>)>);

#[derive(Resource, Default)]
struct Frame(u32);

fn reader<const READER: u8>(
    chat: ChannelReader<Chat>,
    frame: Res<Frame>,
    mut log: ResMut<Log<READER>>,
) {
    let unread = chat.len();
    let mut read = 0;
    for (_, payload) in chat.read() {
        read += 1;
        log.0.push((frame.0, payload.to_vec()));
    }
    assert_eq!(read, unread, "len() counts exactly what read() yields");
    assert!(chat.is_empty(), "read() marks everything as seen");
}

#[test]
fn each_message_is_read_exactly_once_before_or_after_dispatch() {
    let mut app = crate::support::app();
    app.init_resource::<Frame>()
        .init_resource::<Log<0>>()
        .init_resource::<Log<1>>()
        .init_resource::<Log<2>>()
        .add_systems(First, reader::<0>)
        .add_systems(PreUpdate, reader::<1>.after(StardustSet::Dispatch))
        .add_systems(Update, reader::<2>)
        .add_systems(Last, |mut frame: ResMut<Frame>| frame.0 += 1);
    let peer = spawn_bare_peer(&mut app);

    const FRAMES: u32 = 6;
    for frame in 0..FRAMES {
        for index in 0..=frame {
            inject(&mut app, peer, Chat::ID, &[frame as u8, index as u8]);
        }
        app.update();
    }
    app.update(); // lets the early reader catch the last frame's messages

    let expected_after: Vec<(u32, Vec<u8>)> = (0..FRAMES)
        .flat_map(|frame| (0..=frame).map(move |index| (frame, vec![frame as u8, index as u8])))
        .collect();
    let expected_before: Vec<(u32, Vec<u8>)> =
        expected_after.iter().map(|(frame, payload)| (frame + 1, payload.clone())).collect();
    assert_eq!(app.world().resource::<Log<1>>().0, expected_after);
    assert_eq!(app.world().resource::<Log<2>>().0, expected_after);
    assert_eq!(app.world().resource::<Log<0>>().0, expected_before);
}
