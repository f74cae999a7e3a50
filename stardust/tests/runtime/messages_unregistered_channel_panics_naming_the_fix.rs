//! Using a channel that was never registered fails when the system is initialized, with a
//! message naming the type and `add_channel`.

// Written like game code: Bevy system params without `'_` lifetimes.

use bevy::prelude::*;
use stardust::prelude::*;

#[derive(Channel)]
#[channel(reliable, id = 0x000A0F)]
struct Forgotten;

#[test]
#[should_panic(expected = "app.add_channel::<")]
fn writer_of_unregistered_channel_panics_with_the_fix() {
    let mut app = App::new();
    app.add_plugins(StardustPlugin);
    app.add_systems(Update, |mut forgotten: ChannelWriter<Forgotten>| {
        let _ = forgotten.broadcast(b"x".as_slice());
    });
    app.update();
}

#[test]
#[should_panic(expected = "is not registered")]
fn reader_of_unregistered_channel_panics_with_the_fix() {
    let mut app = App::new();
    app.add_plugins(StardustPlugin);
    app.add_systems(Update, |forgotten: ChannelReader<Forgotten>| {
        let _ = forgotten.read().count();
    });
    app.update();
}
