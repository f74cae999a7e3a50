//! A listener with `max_peers = 3` accepts three peers and refuses the fourth with the
//! `full` reason (and its limit in the detail); once one peer leaves, a new one gets in.

use crate::scenarios::*;
use crate::support::*;
use stardust::prelude::*;
use stardust::proto::ReasonCode;

const MAX_PEERS: usize = 3;

#[test]
fn the_peer_past_max_peers_is_refused_as_full() {
    let mut listener = app_with(UdpConfig { max_peers: MAX_PEERS, ..UdpConfig::loopback(2) });
    let mut client = connecting_app();
    let addr = listen_addr(&listener);
    let admitted = connect_many(&mut client, addr, MAX_PEERS);
    let connected = drive(&mut [&mut listener, &mut client], DEADLINE, |apps| {
        all_connected(apps[1], &admitted) && connected_accepted(apps[0]).len() == MAX_PEERS
    });
    assert!(connected, "the first {MAX_PEERS} peers did not connect");

    let extra = connect(&mut client, addr);
    let refused = drive(&mut [&mut listener, &mut client], DEADLINE, |apps| {
        disconnect_reason(apps[1], extra).is_some()
    });
    assert!(refused, "the extra attempt did not end: {:?}", state(&client, extra));
    let rejected = &lifecycle(&client).rejected;
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    assert_eq!((rejected[0].peer, rejected[0].code), (extra, ReasonCode::FULL));
    assert_eq!(rejected[0].data["max_peers"].as_u64(), Some(MAX_PEERS as u64));
    let Some(DisconnectReason::Rejected { code, data }) = disconnect_reason(&client, extra) else {
        panic!("expected a rejection, got {:?}", disconnect_reason(&client, extra));
    };
    assert_eq!(code, ReasonCode::FULL.0);
    assert_eq!(String::from_utf8_lossy(&data), format!(r#"{{"max_peers":{MAX_PEERS}}}"#));

    // The refusal disturbed no one, and the listener still holds exactly MAX_PEERS.
    assert!(all_connected(&client, &admitted));
    assert_eq!(loads(&listener).iter().sum::<usize>(), MAX_PEERS);
    assert_eq!(listener.world().resource::<UdpTransport>().endpoint_stats().unwrap().accepted, 3);

    // A seat frees up when a peer leaves, and the next attempt takes it.
    disconnect(&mut client, admitted[0], "making room");
    let left = drive(&mut [&mut listener, &mut client], DEADLINE, |apps| {
        loads(apps[0]).iter().sum::<usize>() == MAX_PEERS - 1
    });
    assert!(left, "the leaver kept its seat");
    let next = connect(&mut client, addr);
    let joined = drive(&mut [&mut listener, &mut client], DEADLINE, |apps| {
        is_connected(apps[1], next) || disconnect_reason(apps[1], next).is_some()
    });
    assert!(joined && is_connected(&client, next), "{:?}", disconnect_reason(&client, next));
}
