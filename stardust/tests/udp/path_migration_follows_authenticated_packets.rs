//! A client whose address changes (a NAT rebinding) keeps its connection: the listener
//! follows it once a packet from the new address authenticates, and sends there from then
//! on. A spoofer sending from elsewhere with the connection's id moves nothing.

use std::net::{Ipv4Addr, UdpSocket};

use stardust::prelude::*;
use stardust::proto::sealed::{SEALED, sealed_cid};

use crate::proxy::{OnPath, Verdict, drive_through};
use crate::scenarios::*;
use crate::support::*;

#[test]
fn the_listener_follows_a_rebound_client_and_ignores_a_spoofer() {
    let OnPath { mut listener, mut client, mut proxy, outgoing } = OnPath::connected();
    let accepted = connected_accepted(&mut listener)[0];
    let victim = proxy.clients()[0];
    let before = udp_peer(&listener, accepted).remote;
    assert_eq!(Some(before), proxy.upstream_of(victim));

    // The NAT rebinds: same client, new public port.
    proxy.rebind(victim);
    let moved_to = proxy.upstream_of(victim).unwrap();
    let mut sent = 0;
    let followed = drive_through(
        &mut proxy,
        &mut [&mut listener, &mut client],
        DEADLINE,
        |_| Verdict::Pass,
        |apps, _| {
            if sent < 20 {
                send::<Chat>(apps[1], outgoing, format!("up {sent}").as_bytes()).unwrap();
                send::<Chat>(apps[0], accepted, format!("down {sent}").as_bytes()).unwrap();
                sent += 1;
            }
            received::<Chat>(apps[0]).len() == 20 && received::<Chat>(apps[1]).len() == 20
        },
    );
    assert!(followed, "traffic stopped after the rebinding");
    assert_eq!(udp_peer(&listener, accepted).remote, moved_to);
    let stats = *listener.world().get::<UdpPeerStats>(accepted).unwrap();
    assert_eq!(stats.migrations, 1);

    // A spoofer elsewhere with the connection's id: dropped, the peer stays where it is.
    let cid = proxy.log.iter().find_map(|seen| sealed_cid(&seen.bytes)).unwrap();
    let spoofer = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let data_port = udp_peer(&listener, accepted).local_port;
    for i in 0..10u8 {
        let mut forged = vec![SEALED];
        forged.extend_from_slice(&cid.to_be_bytes());
        forged.extend_from_slice(&[i; 60]);
        spoofer.send_to(&forged, (Ipv4Addr::LOCALHOST, data_port)).unwrap();
    }
    run_rounds(&mut [&mut listener, &mut client], 50);
    proxy.pump(|_| Verdict::Pass);
    assert_eq!(udp_peer(&listener, accepted).remote, moved_to, "a spoofer moved the session");
    let after = *listener.world().get::<UdpPeerStats>(accepted).unwrap();
    assert_eq!(after.migrations, 1);
    assert_eq!(after.dropped_unauthenticated - stats.dropped_unauthenticated, 10);
    assert!(is_connected(&listener, accepted));
}
