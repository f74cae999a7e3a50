//! When one App goes away, the other sees its peer disconnect with `TransportClosed`.

// Written like game code: Bevy system params without `'_` lifetimes.

use crate::support::MAX_FRAMES;
use bevy::prelude::*;
use stardust::prelude::*;

#[derive(Resource, Default)]
struct Seen(Vec<PeerDisconnected>);

#[test]
fn dropping_an_app_disconnects_its_peers_with_transport_closed() {
    let mut server = crate::support::app();
    let mut client = crate::support::app();
    server.init_resource::<Seen>();
    server.add_systems(
        Update,
        |mut messages: MessageReader<PeerDisconnected>, mut seen: ResMut<Seen>| {
            seen.0.extend(messages.read().cloned());
        },
    );
    let (client_on_server, _) = crate::support::connect(&mut server, &mut client);

    drop(client);
    for _ in 0..MAX_FRAMES {
        server.update();
    }

    let seen = &server.world().resource::<Seen>().0;
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].peer, client_on_server);
    assert_eq!(seen[0].reason, DisconnectReason::TransportClosed);
}
