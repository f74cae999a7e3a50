//! A connecting App whose protocol hash differs from the listener's (one extra channel) is
//! refused: it gets `UdpConnectRejected` with the hash-mismatch code and the listener's hash,
//! and `PeerDisconnected` with `ProtocolMismatch` naming both hashes; the listener keeps no
//! peer and counts the rejection.

use crate::scenarios::*;
use crate::support::*;
use bevy::prelude::*;
use stardust::prelude::*;
use stardust::proto::ReasonCode;

/// Registered only by the listener, so the two protocol hashes differ.
#[derive(Channel)]
#[channel(reliable, unordered, id = 0x000B20)]
struct ListenerOnly;

fn hash(app: &App) -> u64 {
    app.world().resource::<ProtocolHash>().0
}

#[test]
fn a_different_protocol_hash_is_refused_with_the_mismatch_reason() {
    let mut listener = listener_app(2);
    listener.add_channel::<ListenerOnly>();
    let mut client = connecting_app();
    let addr = listen_addr(&listener);
    let peer = connect(&mut client, addr);

    let refused = drive(&mut [&mut listener, &mut client], DEADLINE, |apps| {
        disconnect_reason(apps[1], peer).is_some()
    });
    assert!(refused, "the attempt did not end: {:?}", state(&client, peer));
    let (listener_hash, client_hash) = (hash(&listener), hash(&client));
    assert_ne!(listener_hash, client_hash, "the test needs two different protocols");

    let rejected = &lifecycle(&client).rejected;
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    let rejection = &rejected[0];
    assert_eq!(rejection.peer, peer);
    assert_eq!(rejection.listen_addr, addr);
    assert_eq!(rejection.code, ReasonCode::PROTOCOL_HASH_MISMATCH);
    assert_eq!(rejection.data["hash"].as_u64(), Some(listener_hash), "{:?}", rejection.data);
    assert_eq!(
        disconnect_reason(&client, peer),
        Some(DisconnectReason::ProtocolMismatch { local: client_hash, remote: listener_hash })
    );
    assert!(lifecycle(&client).connected.is_empty(), "the refused peer was reported connected");

    // Nothing was left behind on either side.
    run_rounds(&mut [&mut listener, &mut client], 5);
    assert!(state(&client, peer).is_none(), "the refused peer entity was not despawned");
    assert_eq!(client.world().resource::<UdpTransport>().client_ports().len(), 0);
    let transport = listener.world().resource::<UdpTransport>();
    assert!(transport.port_table().unwrap().is_empty(), "the listener seated the refused peer");
    let endpoint = transport.endpoint_stats().unwrap();
    assert_eq!((endpoint.accepted, endpoint.rejected > 0), (0, true), "{endpoint:?}");
    assert!(peers(&mut listener, UdpDirection::Accepted).is_empty());
    assert!(
        lifecycle(&listener).connected.is_empty() && lifecycle(&listener).disconnected.is_empty()
    );
}
