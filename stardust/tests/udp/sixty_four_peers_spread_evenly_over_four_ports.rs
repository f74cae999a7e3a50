//! 64 peers connecting over real UDP to a listener with 4 peer ports end 16 per port: in the
//! listener's port table, in each accepted peer's `UdpPeer`, and in what each connecting peer
//! learned from the handshake (the port it now talks to).

use std::collections::BTreeMap;

use crate::scenarios::*;
use crate::support::*;
use stardust::prelude::*;

const PEERS: usize = 64;
const PORTS: usize = 4;

#[test]
fn sixty_four_peers_end_sixteen_on_each_of_four_ports() {
    let mut listener = listener_app(PORTS);
    let mut client = connecting_app();
    let addr = listen_addr(&listener);
    let outgoing = connect_many(&mut client, addr, PEERS);

    let connected = drive(&mut [&mut listener, &mut client], DEADLINE, |apps| {
        all_connected(apps[1], &outgoing) && connected_accepted(apps[0]).len() == PEERS
    });
    let states: Vec<_> = outgoing.iter().map(|&p| state(&client, p)).collect();
    assert!(connected, "not every peer connected: {states:?}");

    // The port table: 16 on each port, every accepted peer exactly once.
    let ports = table(&listener);
    assert_eq!(ports.len(), PORTS);
    assert_eq!(loads(&listener), vec![PEERS / PORTS; PORTS], "uneven table: {ports:?}");
    let accepted = counterparts(&mut listener, &client, &outgoing);
    let mut seated: Vec<_> = ports.values().flatten().copied().collect();
    seated.sort();
    let mut expected = accepted.clone();
    expected.sort();
    assert_eq!(seated, expected, "the port table does not hold exactly the accepted peers");

    // Each accepted peer's component names the port the table seats it on, and each
    // connecting peer talks to that port on the listener's IP, from its own client port.
    let mut per_port: BTreeMap<u16, usize> = BTreeMap::new();
    for (&out, &acc) in outgoing.iter().zip(&accepted) {
        let on_listener = udp_peer(&listener, acc);
        let on_client = udp_peer(&client, out);
        assert_eq!(on_listener.direction, UdpDirection::Accepted);
        assert!(ports[&on_listener.local_port].contains(&acc), "{on_listener:?} not in its port");
        assert_eq!(on_client.direction, UdpDirection::Outgoing);
        assert_eq!(on_client.listen_addr, Some(addr));
        assert_eq!(on_client.remote.ip(), addr.ip());
        assert_eq!(
            on_client.remote.port(),
            on_listener.local_port,
            "the connecting peer did not learn its assigned port"
        );
        assert_eq!(on_listener.remote.port(), on_client.local_port);
        *per_port.entry(on_client.remote.port()).or_default() += 1;
    }
    let learned: Vec<usize> = per_port.values().copied().collect();
    assert_eq!(learned, vec![PEERS / PORTS; PORTS], "connecting side learned {per_port:?}");
    assert!(per_port.keys().eq(ports.keys()), "learned ports {per_port:?} vs table {ports:?}");

    // The transport counts the same peers on each port.
    let transport = listener.world().resource::<UdpTransport>();
    for (&port, peers) in &ports {
        assert_eq!(transport.peers_on(port).expect("a peer port").len(), peers.len());
    }
    assert_eq!(transport.endpoint_stats().expect("listening").accepted, PEERS as u64);
}
