//! Messages accepted for a peer that is despawned before the flush are dropped and counted;
//! messages for other peers around them keep their order.

// Written like game code: Bevy system params without `'_` lifetimes.

use crate::support::{Chat, run_once, spawn_bare_peer};
use bevy::prelude::*;
use stardust::messages::PeerOutbox;
use stardust::prelude::*;
use stardust::stats::RuntimeStats;

#[test]
fn flush_drops_and_counts_messages_to_despawned_peers() {
    let mut app = crate::support::app();
    let stays = spawn_bare_peer(&mut app);
    let leaves = spawn_bare_peer(&mut app);
    run_once(&mut app, move |mut chat: ChannelWriter<Chat>| {
        for (peer, payload) in
            [(stays, b"1"), (stays, b"2"), (leaves, b"x"), (leaves, b"y"), (stays, b"3")]
        {
            chat.send(peer, payload.as_slice()).unwrap();
        }
    });
    app.world_mut().despawn(leaves);
    app.update();

    assert_eq!(app.world().resource::<RuntimeStats>().dropped_peer_gone, 2);
    let outbox = app.world().get::<PeerOutbox>(stays).unwrap();
    let payloads: Vec<&[u8]> = outbox.as_slice().iter().map(|(_, bytes)| bytes.as_ref()).collect();
    assert_eq!(payloads, vec![b"1", b"2", b"3"]);
    assert_eq!(app.world().get::<PeerStats>(stays).unwrap().messages_sent, 3);
}
