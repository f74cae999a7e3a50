//! An incoming message larger than its channel's `max_size` is dropped and counted, and
//! never reaches a reader.

// Written like game code: Bevy system params without `'_` lifetimes.

use crate::support::{Moves, Received, inject, spawn_bare_peer};
use bevy::prelude::*;
use stardust::prelude::*;
use stardust::stats::RuntimeStats;

#[test]
fn incoming_oversize_messages_are_dropped_and_counted() {
    let mut app = crate::support::app();
    let peer = spawn_bare_peer(&mut app);
    // Moves has max_size = 64.
    inject(&mut app, peer, Moves::ID, &[1; 64]);
    inject(&mut app, peer, Moves::ID, &[2; 65]);
    app.update();

    let stats = app.world().get::<PeerStats>(peer).unwrap();
    assert_eq!(stats.dropped_oversize, 1);
    assert_eq!(app.world().resource::<RuntimeStats>().dropped_oversize, 1);
    let received = &app.world().resource::<Received<Moves>>().messages;
    assert_eq!(received, &vec![(peer, vec![1; 64])]);
}
