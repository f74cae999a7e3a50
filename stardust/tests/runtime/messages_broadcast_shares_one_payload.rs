//! A broadcast queues one shared payload for every peer: each outbox holds a handle to the
//! same bytes, never a copy.

// Written like game code: Bevy system params without `'_` lifetimes.

use crate::support::{Chat, run_once, spawn_bare_peer};
use bevy::prelude::*;
use stardust::messages::PeerOutbox;
use stardust::prelude::*;

#[test]
fn broadcast_and_send_to_share_the_payload() {
    let mut app = crate::support::app();
    let peers: Vec<Entity> = (0..50).map(|_| spawn_bare_peer(&mut app)).collect();
    let (first_half, second_half) = peers.split_at(25);
    let (first_half, second_half) = (first_half.to_vec(), second_half.to_vec());

    run_once(&mut app, move |mut chat: ChannelWriter<Chat>| {
        assert_eq!(chat.broadcast(vec![7u8; 256]).unwrap(), 50);
        assert_eq!(chat.send_to(first_half.clone(), vec![9u8; 128]).unwrap(), 25);
        assert_eq!(chat.send_to(second_half.clone(), vec![9u8; 128]).unwrap(), 25);
    });
    app.update();

    // No transport drains these outboxes: what the flush put there is still there.
    let mut broadcast_pointers = Vec::new();
    for peer in &peers {
        let outbox = app.world().get::<PeerOutbox>(*peer).unwrap();
        let messages = outbox.as_slice();
        assert_eq!(messages.len(), 2);
        assert!(messages.iter().all(|(channel, _)| *channel == Chat::ID));
        assert_eq!(messages[0].1.as_ref(), &[7u8; 256][..]);
        broadcast_pointers.push(messages[0].1.as_ptr());
    }
    assert!(broadcast_pointers.windows(2).all(|pair| pair[0] == pair[1]), "payload was copied");
}
