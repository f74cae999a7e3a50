//! A close whose reliable data can never be acknowledged (the peer went silent) still completes:
//! after the close linger, the close copies go out and the local side reports `Local`.

use std::time::Duration;

use crate::conn_pair::{ORDERED, Pair};
use crate::netsim::{LinkConfig, NetSim};
use bytes::Bytes;
use serde_json::Value;
use stardust_proto::{CloseReason, ConnectionConfig, ConnectionEvent, ReasonCode};

#[test]
fn close_completes_after_the_linger_when_nothing_is_acknowledged() {
    let mut pair =
        Pair::default_over(NetSim::symmetric(4, LinkConfig::clean(Duration::from_millis(20))));
    assert!(pair.run_until(Duration::from_secs(2), |p| p.client_connected()));
    pair.server_alive = false;
    pair.client.send(ORDERED, Bytes::from(vec![9; 5000])).unwrap();
    let closed_at = pair.now;
    pair.client.close(closed_at, ReasonCode::SHUTTING_DOWN, Value::Null);
    assert!(!pair.client.session().unwrap().is_flushed());

    assert!(pair.run_until(Duration::from_secs(10), |p| p.client.is_closed()));
    let took = pair.now - closed_at;
    let config = ConnectionConfig::default();
    let copies = config.close_interval * (config.close_copies - 1);
    assert!(took >= config.close_linger, "closed before the linger: {took:?}");
    assert!(took <= config.close_linger + copies + Duration::from_millis(1), "took {took:?}");
    assert_eq!(
        pair.client_events.last(),
        Some(&ConnectionEvent::Closed {
            reason: CloseReason::Local { code: ReasonCode::SHUTTING_DOWN, data: Value::Null }
        })
    );
}
