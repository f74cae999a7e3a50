//! A peer that falls silent is declared gone after the idle timeout (not before), and a listener
//! that never answers ends the handshake after the handshake timeout.

use std::time::Duration;

use crate::conn_pair::{Pair, closed_reason};
use crate::netsim::{LinkConfig, NetSim};
use stardust_proto::{CloseReason, ConnectionConfig};

#[test]
fn an_idle_but_alive_peer_stays_connected() {
    let mut pair = Pair::default_over(NetSim::symmetric(1, LinkConfig::harsh()));
    assert!(pair.run_until(Duration::from_secs(10), |p| p.client_connected()));
    // Nothing to send for 60 s: keep-alives alone must hold the connection at 20% loss.
    pair.run_until(Duration::from_secs(60), |p| p.client.is_closed());
    assert!(pair.client.is_connected(), "client events: {:?}", pair.client_events);
    assert!(pair.server.as_ref().unwrap().is_connected(), "{:?}", pair.server_events);
}

#[test]
fn a_silent_peer_times_out() {
    let mut pair =
        Pair::default_over(NetSim::symmetric(2, LinkConfig::clean(Duration::from_millis(30))));
    assert!(
        pair.run_until(Duration::from_secs(5), |p| p.client_connected() && p.server_connected())
    );
    pair.run_until(Duration::from_secs(1), |_| false);
    pair.server_alive = false;
    let silenced_at = pair.elapsed();

    assert!(pair.run_until(Duration::from_secs(30), |p| p.client.is_closed()));
    assert_eq!(closed_reason(&pair.client_events), Some(&CloseReason::TimedOut));
    let waited = pair.elapsed() - silenced_at;
    let idle = ConnectionConfig::default().idle_timeout;
    assert!(waited >= idle - Duration::from_secs(1), "timed out after only {waited:?}");
    assert!(waited <= idle + Duration::from_millis(100), "timed out late, after {waited:?}");
    assert!(pair.client.poll_timeout().is_none(), "a closed connection has no timers");
}

#[test]
fn a_listener_that_never_answers_ends_the_handshake() {
    let mut pair =
        Pair::default_over(NetSim::symmetric(3, LinkConfig::clean(Duration::from_millis(30))));
    pair.server_alive = false;
    assert!(pair.run_until(Duration::from_secs(60), |p| p.client.is_closed()));
    assert_eq!(closed_reason(&pair.client_events), Some(&CloseReason::HandshakeTimedOut));
    assert_eq!(pair.elapsed(), ConnectionConfig::default().handshake.timeout);
    // 250 ms, 500 ms, then every 1 s until 15 s: 0, .25, .75, 1.75, …, 14.75 → 17 copies.
    assert_eq!(pair.client.zero_stats().sent, 17);
}
