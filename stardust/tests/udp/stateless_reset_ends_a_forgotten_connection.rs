//! A listener that restarts (same static key, loaded from where it was saved; every
//! connection forgotten) answers the first packet of an old connection with a stateless
//! reset, and the client ends with `Reset` within a round trip, not the idle timeout; a reset
//! for a connection id forged by someone else ends nothing.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use stardust::prelude::*;
use stardust::proto::crypto::{SeededEntropy, StaticKeypair};
use stardust::udp::{Identity, UdpConnectOptions};

use crate::proxy::{OnPath, Proxy, Verdict, drive_through, listener_ports};
use crate::scenarios::*;
use crate::support::*;

#[test]
fn a_restarted_listener_resets_the_old_connection_at_once() {
    let identity =
        Identity::from_keypair(StaticKeypair::generate(&mut SeededEntropy::from_u64(20)));
    let mut listener =
        app_with(UdpConfig { identity: Some(identity.clone()), ..UdpConfig::loopback(1) });
    let ports = listener_ports(&listener);
    let listen = listen_addr(&listener);
    let mut proxy = Proxy::new(ports.clone());
    let mut client = connecting_app();
    let options =
        UdpConnectOptions { listener_key: Some(identity.public_key()), ..Default::default() };
    let peer = client.world_mut().connect_udp_with(Proxy::front(listen.port()), options);
    let up = drive_through(
        &mut proxy,
        &mut [&mut listener, &mut client],
        DEADLINE,
        |_| Verdict::Pass,
        |apps, _| is_connected(apps[1], peer) && connected_accepted(apps[0]).len() == 1,
    );
    assert!(up, "the client did not connect");

    // The listener dies without a word (its goodbye is lost on the path) and comes back on
    // the same ports with the same key, knowing no connection.
    drop(listener);
    proxy.pump(|_| Verdict::Drop);
    let config = UdpConfig {
        identity: Some(identity),
        listen: Some(listen),
        peer_ports: ports[1..].to_vec(),
        ..UdpConfig::default()
    };
    let mut restarted = app_with(config);
    restarted.update();
    let restart = Instant::now();
    send::<Chat>(&mut client, peer, b"are you there?").unwrap();
    let reset = drive_through(
        &mut proxy,
        &mut [&mut restarted, &mut client],
        DEADLINE,
        |_| Verdict::Pass,
        |apps, _| disconnect_reason(apps[1], peer).is_some(),
    );
    let took = restart.elapsed();
    assert!(reset, "the client was not told");
    assert_eq!(disconnect_reason(&client, peer), Some(DisconnectReason::Reset));
    assert!(took < Duration::from_secs(1), "took {took:?}");
    let transport = restarted.world().resource::<UdpTransport>();
    assert!(transport.port_stats(ports[1]).unwrap().resets_sent >= 1);
    eprintln!("reset reached the client {took:?} after the restart");
}

#[test]
fn a_reset_without_the_token_ends_nothing() {
    let OnPath { mut listener, mut client, mut proxy, outgoing } = OnPath::connected();
    let data_port = udp_peer(&client, outgoing).remote.port();
    let cid = proxy
        .log
        .iter()
        .find_map(|seen| stardust::proto::sealed::sealed_cid(&seen.bytes))
        .expect("sealed traffic");
    // Reset-shaped datagrams for the right connection id, with made-up tokens.
    let victim: SocketAddr = proxy.clients()[0];
    for filler in 0..20u8 {
        let mut forged = vec![stardust::proto::sealed::SEALED];
        forged.extend_from_slice(&cid.to_be_bytes());
        forged.extend_from_slice(&[filler; 18]);
        proxy.spoof_down(victim, data_port, &forged);
    }
    let mut rounds = 0;
    drive_through(
        &mut proxy,
        &mut [&mut listener, &mut client],
        DEADLINE,
        |_| Verdict::Pass,
        |_, _| {
            rounds += 1;
            rounds > 50
        },
    );
    assert!(is_connected(&client, outgoing), "a forged reset ended the connection");
    assert_eq!(client.world().get::<UdpPeerStats>(outgoing).unwrap().dropped_unauthenticated, 20);
}
