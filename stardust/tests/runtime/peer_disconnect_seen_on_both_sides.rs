//! A game disconnecting a peer with a reason: both sides get `PeerDisconnected` with that
//! reason (local on one side, remote on the other), messages sent before the request still
//! arrive, observers fire, and both peer entities are despawned afterwards.

// Written like game code: Bevy system params without `'_` lifetimes.

use crate::support::{Chat, MAX_FRAMES, Received, run_once, step};
use bevy::prelude::*;
use stardust::prelude::*;

#[derive(Resource, Default)]
struct Seen(Vec<PeerDisconnected>);

#[derive(Resource, Default)]
struct Observed(Vec<Entity>);

fn record(app: &mut App) {
    app.init_resource::<Seen>().init_resource::<Observed>();
    app.add_systems(
        Update,
        |mut messages: MessageReader<PeerDisconnected>, mut seen: ResMut<Seen>| {
            seen.0.extend(messages.read().cloned());
        },
    );
    app.add_observer(|on: On<PeerDisconnected>, mut observed: ResMut<Observed>| {
        observed.0.push(on.peer);
    });
}

#[test]
fn disconnect_is_seen_on_both_sides_with_the_reason() {
    let mut server = crate::support::app();
    let mut client = crate::support::app();
    record(&mut server);
    record(&mut client);
    let (client_on_server, server_on_client) = crate::support::connect(&mut server, &mut client);
    assert!(server.world_mut().run_system_cached(any_peer_connected).unwrap());

    run_once(&mut server, move |mut chat: ChannelWriter<Chat>, mut commands: Commands| {
        chat.send(client_on_server, b"last words".as_slice()).unwrap();
        commands.entity(client_on_server).disconnect_peer("kicked: idle");
    });
    // Refused as soon as the request is applied: the peer is closing.
    run_once(&mut server, move |mut chat: ChannelWriter<Chat>| {
        let refused = chat.send(client_on_server, b"too late".as_slice());
        assert_eq!(refused, Err(SendError::NotConnected(client_on_server)));
    });
    for _ in 0..MAX_FRAMES {
        step(&mut [&mut server, &mut client]);
    }

    let message = "kicked: idle".to_owned();
    let server_seen = &server.world().resource::<Seen>().0;
    assert_eq!(server_seen.len(), 1);
    assert_eq!(server_seen[0].peer, client_on_server);
    let local =
        DisconnectReason::Requested { by: DisconnectInitiator::Local, message: message.clone() };
    assert_eq!(server_seen[0].reason, local);

    let client_seen = &client.world().resource::<Seen>().0;
    assert_eq!(client_seen.len(), 1);
    assert_eq!(client_seen[0].peer, server_on_client);
    let remote = DisconnectReason::Requested { by: DisconnectInitiator::Remote, message };
    assert_eq!(client_seen[0].reason, remote);

    assert_eq!(server.world().resource::<Observed>().0, vec![client_on_server]);
    assert_eq!(client.world().resource::<Observed>().0, vec![server_on_client]);
    let received = &client.world().resource::<Received<Chat>>().messages;
    assert_eq!(received, &vec![(server_on_client, b"last words".to_vec())]);

    assert!(server.world().get_entity(client_on_server).is_err(), "server kept the peer");
    assert!(client.world().get_entity(server_on_client).is_err(), "client kept the peer");
    assert!(!server.world_mut().run_system_cached(any_peer_connected).unwrap());
}
