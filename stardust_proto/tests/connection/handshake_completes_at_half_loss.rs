//! The handshake completes when half of all datagrams are lost in each direction, and the
//! connection then carries a reliable message each way.

use std::time::Duration;

use crate::conn_pair::{ORDERED, Pair, endpoint_config, secure_params};
use crate::netsim::{LinkConfig, NetSim};
use bytes::Bytes;
use stardust_proto::{ConnectionConfig, HandshakeConfig};

#[test]
fn handshake_completes_at_fifty_percent_loss() {
    let link = LinkConfig { loss: 0.5, ..LinkConfig::clean(Duration::from_millis(40)) };
    // Each round trip succeeds with probability 0.25, and a secure handshake needs two (the
    // cookie, then the Noise messages); a 30 s handshake timeout allows ~30 request copies at
    // the 1 s backoff cap, so a seed fails when fewer than 2 of ~30 tries succeed: probability
    // 0.75^30 + 30 · 0.25 · 0.75^29 ≈ 2e-3. The seeds are fixed, so the test is deterministic.
    let client_config = ConnectionConfig {
        handshake: HandshakeConfig { timeout: Duration::from_secs(30), ..Default::default() },
        ..Default::default()
    };
    let mut handshake_times = Vec::new();
    for seed in 0..50u64 {
        let net = NetSim::symmetric(seed, link);
        let mut pair = Pair::new(
            net,
            client_config.clone(),
            secure_params(),
            client_config.clone(),
            endpoint_config(),
        );
        // The listener's side is connected once the client's first packet authenticated: a
        // little later than the client's.
        let connected = pair
            .run_until(Duration::from_secs(30), |p| p.client_connected() && p.server_connected());
        assert!(connected, "seed {seed}: no handshake after {:?}", pair.elapsed());
        assert_eq!(pair.accepts, 1, "seed {seed}: duplicates must not create a second peer");
        assert_eq!(pair.endpoint.peer_count(), 1);
        handshake_times.push(pair.elapsed());

        pair.client.send(ORDERED, Bytes::from_static(b"ping")).unwrap();
        pair.server.as_mut().unwrap().send(ORDERED, Bytes::from_static(b"pong")).unwrap();
        // A reliable message needs one round trip through the same 50 % loss: a try succeeds
        // with probability 0.25 and resends back off to 2 s, so allow what the handshake got.
        let delivered = pair.run_until(Duration::from_secs(30), |p| {
            !p.client_messages.is_empty() && !p.server_messages.is_empty()
        });
        assert!(delivered, "seed {seed}: no data after the handshake");
        assert_eq!(pair.server_messages, [(ORDERED, Bytes::from_static(b"ping"))]);
        assert_eq!(pair.client_messages, [(ORDERED, Bytes::from_static(b"pong"))]);
    }
    handshake_times.sort();
    eprintln!(
        "handshake time at 50% loss: median {:?}, max {:?}",
        handshake_times[25], handshake_times[49]
    );
}
