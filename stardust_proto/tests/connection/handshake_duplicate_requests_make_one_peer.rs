//! Copies of a request (resends, network duplicates) produce one peer and the same reply; a
//! copy replayed from another address produces nothing; a new insecure attempt from the same
//! address is reported as replacing the old peer.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::conn_pair::{
    Pair, channels, endpoint, endpoint_config, exchange, insecure_params, secure_params,
};
use crate::netsim::{LinkConfig, NetSim};
use stardust_proto::crypto::SeededEntropy;
use stardust_proto::zero::{Accepted, RequestMode, ZeroMessage};
use stardust_proto::{Connection, ConnectionConfig, Handled, ZeroDropReason};

#[test]
fn every_copy_of_a_secure_request_gets_the_same_accept() {
    let now = Instant::now();
    let mut listener = endpoint(endpoint_config(), false, now);
    let from = SocketAddr::from(([127, 0, 0, 1], 5555));
    let mut entropy = SeededEntropy::from_u64(1);
    let mut client = Connection::connect(
        ConnectionConfig::default(),
        channels(),
        secure_params(),
        &mut entropy,
        now,
    );
    let request = exchange(&mut listener, &mut client, now, from).expect("a request");
    assert!(!request.replaces_existing(), "secure peers are told apart by connection id");
    // The copy the client sent: its last request, with the cookie.
    let mut datagram = Vec::new();
    let later = now + Duration::from_secs(1);
    assert!(client.poll_transmit(later, &mut datagram), "a resend is due after the backoff");
    let mut reply = Vec::new();
    let peer = listener.accept(now, request, 40001, &mut reply);
    assert_eq!(peer.port, 40001);
    let accept = reply.clone();
    assert!(matches!(ZeroMessage::decode(&accept), Ok(ZeroMessage::Accepted(Accepted { .. }))));

    for _ in 0..5 {
        assert!(matches!(listener.handle(now, from, &datagram, &mut reply), Handled::Reply));
        assert_eq!(reply, accept);
    }
    assert_eq!(listener.peer_count(), 1);
    assert_eq!(listener.stats().duplicates, 5);
    assert_eq!(listener.stats().accepted, 1);
    assert_eq!(listener.stats().handshakes, 1, "copies cost no Diffie-Hellman");

    // The same request from another address: its cookie is for the first address, so it
    // only gets a retry; with a cookie of its own, it is a replay, dropped without an answer.
    let elsewhere = SocketAddr::from(([127, 0, 0, 1], 5556));
    assert!(matches!(listener.handle(now, elsewhere, &datagram, &mut reply), Handled::Reply));
    let Ok(ZeroMessage::Retry(retry)) = ZeroMessage::decode(&reply) else { panic!("a retry") };
    let Ok(ZeroMessage::Request(mut replayed)) = ZeroMessage::decode(&datagram) else { panic!() };
    let RequestMode::Secure { cookie, .. } = &mut replayed.mode else { panic!("secure") };
    *cookie = Some(retry.cookie);
    ZeroMessage::Request(replayed).encode(&mut datagram);
    let handled = listener.handle(now, elsewhere, &datagram, &mut reply);
    assert!(matches!(handled, Handled::Dropped(ZeroDropReason::Replayed)), "{handled:?}");
    assert_eq!(listener.peer_count(), 1);
    assert_eq!(listener.stats().handshakes, 1);
}

#[test]
fn a_new_insecure_attempt_from_a_known_address_replaces_the_old_peer() {
    let now = Instant::now();
    let mut listener = endpoint(endpoint_config(), true, now);
    let from = SocketAddr::from(([127, 0, 0, 1], 5555));
    let mut reply = Vec::new();
    let mut entropy = SeededEntropy::from_u64(2);
    let mut first = Connection::connect(
        ConnectionConfig::default(),
        channels(),
        insecure_params(),
        &mut entropy,
        now,
    );
    let request = exchange(&mut listener, &mut first, now, from).expect("a request");
    assert!(!request.replaces_existing());
    listener.accept(now, request, 40001, &mut reply);
    let mut again = Connection::connect(
        ConnectionConfig::default(),
        channels(),
        insecure_params(),
        &mut entropy,
        now,
    );
    let request = exchange(&mut listener, &mut again, now, from).expect("a request");
    assert!(request.replaces_existing(), "a new id from a known address is a restarted client");
    listener.accept(now, request, 40002, &mut reply);
    assert_eq!(listener.peer_count(), 1);
}

#[test]
fn a_lossy_duplicating_link_still_yields_one_peer() {
    // Replies are lost often, so the client resends; the link also duplicates half of everything.
    let to_listener = LinkConfig { loss: 0.2, duplicate: 0.5, ..LinkConfig::harsh() };
    let to_client = LinkConfig { loss: 0.7, duplicate: 0.5, ..LinkConfig::harsh() };
    for seed in 0..20 {
        let net = NetSim::new(seed, to_listener, to_client);
        let mut pair = Pair::default_over(net);
        let up = pair
            .run_until(Duration::from_secs(15), |p| p.client_connected() && p.server_connected());
        assert!(up, "seed {seed}");
        // Let every straggling copy of the request arrive.
        pair.run_until(Duration::from_secs(2), |_| false);
        assert_eq!(pair.accepts, 1, "seed {seed}");
        assert_eq!(pair.endpoint.peer_count(), 1);
        let connected = |events: &[stardust_proto::ConnectionEvent]| {
            events
                .iter()
                .filter(|e| matches!(e, stardust_proto::ConnectionEvent::Connected { .. }))
                .count()
        };
        assert_eq!(connected(&pair.client_events), 1, "seed {seed}");
        assert_eq!(connected(&pair.server_events), 1, "seed {seed}");
    }
}
