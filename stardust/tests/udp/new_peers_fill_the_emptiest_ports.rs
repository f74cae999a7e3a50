//! After 10 of 64 peers leave gracefully from chosen ports, peers that connect next are
//! seated on the emptiest ports first (the lowest port on a tie) until the ports are even.

use crate::scenarios::*;
use crate::support::*;
use bevy::prelude::*;
use stardust::prelude::*;

const PEERS: usize = 64;

/// Connects `count` more peers from `client` and waits until all are connected on both sides.
fn join(listener: &mut App, client: &mut App, count: usize, expected_total: usize) -> Vec<Entity> {
    let addr = listen_addr(listener);
    let joined = connect_many(client, addr, count);
    let connected = drive(&mut [listener, client], DEADLINE, |apps| {
        all_connected(apps[1], &joined) && connected_accepted(apps[0]).len() == expected_total
    });
    assert!(connected, "the new peers did not all connect");
    joined
}

/// The listener port each outgoing peer of `client` talks to.
fn ports_of(client: &App, peers: &[Entity]) -> Vec<u16> {
    peers.iter().map(|&peer| udp_peer(client, peer).remote.port()).collect()
}

#[test]
fn new_peers_go_to_the_emptiest_ports_after_ten_leave() {
    let mut listener = listener_app(4);
    let mut client = connecting_app();
    let first = join(&mut listener, &mut client, PEERS, PEERS);
    assert_eq!(loads(&listener), vec![16; 4]);
    let ports: Vec<u16> = table(&listener).keys().copied().collect();

    // 10 leave: 1 from the first port, 3 from the second, none from the third, 6 from the
    // fourth, so the emptiest port is not the lowest and the next seats are not in port order.
    let leaving_per_port = [1, 3, 0, 6];
    let mut leaving = Vec::new();
    for (port, count) in ports.iter().zip(leaving_per_port) {
        let on_port =
            first.iter().copied().filter(|&p| udp_peer(&client, p).remote.port() == *port);
        leaving.extend(on_port.take(count));
    }
    assert_eq!(leaving.len(), 10);
    for &peer in &leaving {
        disconnect(&mut client, peer, "leaving to make room");
    }
    let left = drive(&mut [&mut listener, &mut client], DEADLINE, |apps| {
        loads(apps[0]) == vec![15, 13, 16, 10]
            && leaving.iter().all(|&peer| disconnect_reason(apps[1], peer).is_some())
    });
    assert!(left, "the 10 leavers did not leave: {:?}", loads(&listener));
    for &peer in &leaving {
        let reason = disconnect_reason(&client, peer);
        assert!(
            matches!(
                reason,
                Some(DisconnectReason::Requested { by: DisconnectInitiator::Local, .. })
            ),
            "a leaver ended with {reason:?}"
        );
    }
    let remote_reasons = &lifecycle(&listener).disconnected;
    assert_eq!(remote_reasons.len(), 10, "the listener saw {remote_reasons:?}");
    assert!(remote_reasons.iter().all(|(_, reason)| matches!(
        reason,
        DisconnectReason::Requested { by: DisconnectInitiator::Remote, message } if message == "leaving to make room"
    )));

    // 3 newcomers all go to the emptiest port (the fourth, 10 peers): 15/13/16/13.
    let second = join(&mut listener, &mut client, 3, PEERS - 10 + 3);
    assert_eq!(ports_of(&client, &second), vec![ports[3]; 3], "newcomers went elsewhere");
    assert_eq!(loads(&listener), vec![15, 13, 16, 13]);

    // 7 more fill the ports back to even, never putting one on a fuller port first.
    let third = join(&mut listener, &mut client, 7, PEERS);
    assert_eq!(loads(&listener), vec![16; 4], "the ports are not even again");
    let mut arrived_on: Vec<u16> = ports_of(&client, &third);
    arrived_on.sort();
    let expected = [ports[0], ports[1], ports[1], ports[1], ports[3], ports[3], ports[3]];
    assert_eq!(arrived_on, expected, "the last 7 were not seated on the emptiest ports");
    assert!(!arrived_on.contains(&ports[2]), "a peer was put on the full port");
}
