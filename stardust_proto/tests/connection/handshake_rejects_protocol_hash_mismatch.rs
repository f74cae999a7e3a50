//! A client whose protocol hash differs from the listener's is told so, with reason code 4, and
//! no peer is created.

use std::time::Duration;

use crate::conn_pair::{PROTOCOL_HASH, Pair, endpoint_config, secure_params};
use crate::netsim::{LinkConfig, NetSim};
use serde_json::json;
use stardust_proto::{ConnectionConfig, ConnectionEvent, ReasonCode};

#[test]
fn protocol_hash_mismatch_is_rejected_at_the_requesting_side() {
    let net = NetSim::symmetric(7, LinkConfig::harsh());
    let mismatched =
        stardust_proto::ConnectParams { protocol_hash: PROTOCOL_HASH ^ 1, ..secure_params() };
    let mut pair = Pair::new(
        net,
        ConnectionConfig::default(),
        mismatched,
        ConnectionConfig::default(),
        endpoint_config(),
    );
    let ended = pair.run_until(Duration::from_secs(20), |p| p.client.is_closed());
    assert!(ended, "the client never learned it was rejected");
    assert_eq!(
        pair.client_events,
        [ConnectionEvent::Rejected {
            code: ReasonCode::PROTOCOL_HASH_MISMATCH,
            // The listener's hash, so the user can see which build the server runs; sealed
            // in the handshake, so it comes from the listener the client pinned.
            data: json!({ "hash": PROTOCOL_HASH }),
        }]
    );
    assert!(pair.server.is_none());
    assert_eq!(pair.endpoint.peer_count(), 0);
    assert!(pair.endpoint.stats().rejected >= 1);
}
