//! Incoming messages on a channel id this App never registered are dropped and counted,
//! per peer and in total, without disturbing the messages around them.

// Written like game code: Bevy system params without `'_` lifetimes.

use crate::support::{Chat, Received, inject, spawn_bare_peer};
use bevy::prelude::*;
use stardust::prelude::*;
use stardust::stats::RuntimeStats;

#[test]
fn unknown_channel_ids_are_dropped_and_counted() {
    let mut app = crate::support::app();
    let peer = spawn_bare_peer(&mut app);
    let unknown = ChannelId::new(0x00BEEF).unwrap();
    inject(&mut app, peer, Chat::ID, b"before");
    inject(&mut app, peer, unknown, b"junk 1");
    inject(&mut app, peer, unknown, b"junk 2");
    inject(&mut app, peer, Chat::ID, b"after");
    app.update();

    let stats = app.world().get::<PeerStats>(peer).unwrap();
    assert_eq!(stats.dropped_unknown_channel, 2);
    assert_eq!(stats.messages_received, 2);
    assert_eq!(app.world().resource::<RuntimeStats>().dropped_unknown_channel, 2);
    let received = &app.world().resource::<Received<Chat>>().messages;
    assert_eq!(received, &vec![(peer, b"before".to_vec()), (peer, b"after".to_vec())]);
}
