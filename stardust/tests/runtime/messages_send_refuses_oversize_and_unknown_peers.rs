//! `send` refuses, with an error and without queuing anything: a payload above the
//! channel's `max_size`, an entity that is not a peer, a despawned peer, and a peer that is
//! not connected yet. `send_to` is all or nothing.

// Written like game code: Bevy system params without `'_` lifetimes.

use crate::support::{Moves, run_once, spawn_bare_peer};
use bevy::prelude::*;
use stardust::messages::PeerOutbox;
use stardust::prelude::*;

#[test]
fn send_refuses_what_it_cannot_deliver() {
    let mut app = crate::support::app();
    let peer = spawn_bare_peer(&mut app);
    let connecting = app.world_mut().spawn(Peer).id();
    let not_a_peer = app.world_mut().spawn_empty().id();
    let despawned = spawn_bare_peer(&mut app);
    app.world_mut().despawn(despawned);

    run_once(&mut app, move |mut moves: ChannelWriter<Moves>| {
        // Moves has max_size = 64.
        assert_eq!(moves.send(peer, vec![0u8; 64]), Ok(()));
        let too_large = moves.send(peer, vec![0u8; 65]).unwrap_err();
        assert_eq!(
            too_large,
            SendError::TooLarge { channel: std::any::type_name::<Moves>(), size: 65, max_size: 64 }
        );
        assert!(too_large.to_string().contains("max_size"), "{too_large}");
        assert_eq!(moves.broadcast(vec![0u8; 65]).unwrap_err(), too_large);

        assert_eq!(moves.send(not_a_peer, b"x".as_slice()), Err(SendError::NotAPeer(not_a_peer)));
        assert_eq!(moves.send(despawned, b"x".as_slice()), Err(SendError::NotAPeer(despawned)));
        assert_eq!(
            moves.send(connecting, b"x".as_slice()),
            Err(SendError::NotConnected(connecting))
        );
        assert_eq!(
            moves.send_to([peer, not_a_peer], b"y".as_slice()),
            Err(SendError::NotAPeer(not_a_peer))
        );
        // Only connected peers get broadcasts.
        assert_eq!(moves.broadcast(b"z".as_slice()), Ok(1));
    });
    app.update();

    let outbox = app.world().get::<PeerOutbox>(peer).unwrap();
    let payloads: Vec<&[u8]> = outbox.as_slice().iter().map(|(_, bytes)| bytes.as_ref()).collect();
    assert_eq!(payloads, vec![&[0u8; 64][..], b"z"]);
    assert!(app.world().get::<PeerOutbox>(connecting).unwrap().is_empty());
}
