//! Copies of a request (resends, network duplicates) produce one peer and the same accept,
//! while a new attempt from the same address is reported as replacing the old peer.

use std::net::SocketAddr;
use std::time::Duration;

use crate::conn_pair::{Pair, endpoint_config, request};
use crate::netsim::{LinkConfig, NetSim};
use stardust_proto::zero::{Accepted, ZeroMessage};
use stardust_proto::{Endpoint, Handled};

#[test]
fn every_copy_of_a_request_gets_the_same_accept() {
    let mut endpoint = Endpoint::new(endpoint_config());
    let from = SocketAddr::from(([127, 0, 0, 1], 5555));
    let mut datagram = Vec::new();
    ZeroMessage::Request(request(42)).encode(&mut datagram);
    let mut reply = Vec::new();

    let Handled::Request(first) = endpoint.handle(from, &datagram, &mut reply) else { panic!() };
    assert!(!first.replaces_existing());
    let peer = endpoint.accept(first, 40001, 777, &mut reply);
    assert_eq!((peer.local_seq, peer.remote_seq, peer.port), (777, 42, 40001));
    let accept = reply.clone();
    assert_eq!(
        ZeroMessage::decode(&accept),
        Ok(ZeroMessage::Accepted(Accepted { ack: 42, seq: 777, port: 40001 }))
    );

    for _ in 0..5 {
        assert_eq!(endpoint.handle(from, &datagram, &mut reply), Handled::Reply);
        assert_eq!(reply, accept);
    }
    assert_eq!(endpoint.peer_count(), 1);
    assert_eq!(endpoint.stats().duplicates, 5);
    assert_eq!(endpoint.stats().accepted, 1);

    ZeroMessage::Request(request(43)).encode(&mut datagram);
    let Handled::Request(again) = endpoint.handle(from, &datagram, &mut reply) else { panic!() };
    assert!(again.replaces_existing(), "a new seq from a known address is a restarted client");
    endpoint.accept(again, 40002, 778, &mut reply);
    assert_eq!(endpoint.peer_count(), 1);
}

#[test]
fn a_lossy_duplicating_link_still_yields_one_peer() {
    // Replies are lost often, so the client resends; the link also duplicates half of everything.
    let to_listener = LinkConfig { loss: 0.2, duplicate: 0.5, ..LinkConfig::harsh() };
    let to_client = LinkConfig { loss: 0.7, duplicate: 0.5, ..LinkConfig::harsh() };
    for seed in 0..20 {
        let net = NetSim::new(seed, to_listener, to_client);
        let mut pair = Pair::default_over(net);
        assert!(pair.run_until(Duration::from_secs(15), |p| p.client_connected()), "seed {seed}");
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
