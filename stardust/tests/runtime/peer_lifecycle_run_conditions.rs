//! The lifecycle run conditions answer the common questions: `peer_connected` and
//! `peer_disconnected` fire once per transition, `any_peer_connected` follows the state,
//! and `PeerConnected` reaches observers.

// Written like game code: Bevy system params without `'_` lifetimes.

use crate::support::{MAX_FRAMES, step};
use bevy::prelude::*;
use stardust::prelude::*;

#[derive(Resource, Default, Debug, PartialEq)]
struct Runs {
    connected: u32,
    disconnected: u32,
    while_any_connected: u32,
    observed_connections: u32,
}

#[test]
fn run_conditions_follow_the_lifecycle() {
    let mut server = crate::support::app();
    let mut client = crate::support::app();
    server.init_resource::<Runs>().add_systems(
        Update,
        (
            (|mut runs: ResMut<Runs>| runs.connected += 1).run_if(peer_connected),
            (|mut runs: ResMut<Runs>| runs.disconnected += 1).run_if(peer_disconnected),
            (|mut runs: ResMut<Runs>| runs.while_any_connected += 1).run_if(any_peer_connected),
        ),
    );
    server.add_observer(|_: On<PeerConnected>, mut runs: ResMut<Runs>| {
        runs.observed_connections += 1;
    });

    let (client_on_server, _) = crate::support::connect(&mut server, &mut client);
    let frames_connected_before = server.world().resource::<Runs>().while_any_connected;
    const CONNECTED_FRAMES: u32 = 5;
    for _ in 0..CONNECTED_FRAMES {
        step(&mut [&mut server, &mut client]);
    }
    server.world_mut().commands().entity(client_on_server).disconnect_peer("bye");
    for _ in 0..MAX_FRAMES {
        step(&mut [&mut server, &mut client]);
    }

    let runs = server.world().resource::<Runs>();
    assert_eq!(runs.connected, 1);
    assert_eq!(runs.disconnected, 1);
    assert_eq!(runs.observed_connections, 1);
    // Exactly the connected frames: the disconnect request is applied when the next frame
    // starts, so from then on the peer is no longer `Connected`.
    assert_eq!(runs.while_any_connected, frames_connected_before + CONNECTED_FRAMES);
}
