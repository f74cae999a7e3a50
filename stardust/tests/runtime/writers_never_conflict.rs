//! Systems writing the same channel, writing different channels, and reading channels are
//! all free of access conflicts: Bevy's scheduler may run them in parallel.

// Written like game code: Bevy system params without `'_` lifetimes.

use crate::support::{Chat, Events, Moves};
use bevy::ecs::schedule::Schedule;
use bevy::prelude::*;
use stardust::prelude::*;

fn write_chat_a(mut chat: ChannelWriter<Chat>) {
    let _ = chat.broadcast(b"a".as_slice());
}
fn write_chat_b(mut chat: ChannelWriter<Chat>) {
    let _ = chat.broadcast(b"b".as_slice());
}
fn write_moves(mut moves: ChannelWriter<Moves>) {
    let _ = moves.broadcast(b"m".as_slice());
}
fn read_chat(chat: ChannelReader<Chat>) {
    let _ = chat.read().count();
}
fn read_events(events: ChannelReader<Events>) {
    let _ = events.read().count();
}
fn read_chat_again(chat: ChannelReader<Chat>) {
    let _ = chat.read().count();
}

#[derive(Resource, Default)]
struct Counter(u64);

fn bump_a(mut counter: ResMut<Counter>) {
    counter.0 += 1;
}
fn bump_b(mut counter: ResMut<Counter>) {
    counter.0 += 1;
}

/// Builds `schedule` in `app`'s world and returns how many conflicting pairs it found.
fn conflicts(app: &mut App, mut schedule: Schedule) -> usize {
    schedule.initialize(app.world_mut()).expect("schedule builds");
    schedule.graph().conflicting_systems().0.len()
}

#[test]
fn channel_writers_and_readers_have_no_conflicts() {
    let mut app = crate::support::app();
    let mut schedule = Schedule::default();
    schedule.add_systems((
        write_chat_a,
        write_chat_b,
        write_moves,
        read_chat,
        read_events,
        read_chat_again,
    ));
    assert_eq!(conflicts(&mut app, schedule), 0);
}

#[test]
fn the_conflict_check_does_see_real_conflicts() {
    // Control: two systems mutating the same resource must be reported, so the assertion
    // above is meaningful.
    let mut app = crate::support::app();
    app.init_resource::<Counter>();
    let mut schedule = Schedule::default();
    schedule.add_systems((bump_a, bump_b, write_chat_a));
    assert_eq!(conflicts(&mut app, schedule), 1);
}
