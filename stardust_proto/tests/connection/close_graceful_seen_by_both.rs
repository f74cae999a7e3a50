//! A graceful close delivers what was already sent, then reaches the peer with its code and
//! data, even on a lossy link, unless every copy of it is lost; both sides end with the
//! matching reason.

use std::time::Duration;

use crate::conn_pair::{ORDERED, Pair, closed_reason};
use crate::netsim::{LinkConfig, NetSim};
use bytes::Bytes;
use serde_json::json;
use stardust_proto::{CloseReason, ConnectionSendError, ReasonCode};

#[test]
fn close_is_seen_by_both_sides_with_its_code_and_data() {
    let code = ReasonCode::application(7).unwrap();
    for seed in 0..20 {
        let link = LinkConfig { loss: 0.3, ..LinkConfig::harsh() };
        let mut pair = Pair::default_over(NetSim::symmetric(seed, link));
        assert!(pair.run_until(Duration::from_secs(15), |p| p.client_connected()), "seed {seed}");
        for i in 0..50u32 {
            pair.client.send(ORDERED, Bytes::from(i.to_be_bytes().to_vec())).unwrap();
        }
        // Everything acknowledged first, so that what the client sends after `close` is the
        // copies of the close alone, and their fate in the network can be counted.
        let flushed = pair.run_until(Duration::from_secs(20), |p| {
            p.client.session().is_some_and(|s| s.is_flushed())
        });
        assert!(flushed, "seed {seed}: the messages were never acknowledged");
        let (sent_before, lost_before) = (pair.net.stats.sent[0], pair.net.stats.lost[0]);
        let now = pair.now;
        pair.client.close(now, code, json!({"bye": seed}));
        assert_eq!(
            pair.client.send(ORDERED, Bytes::from_static(b"late")),
            Err(ConnectionSendError::Closed)
        );
        assert!(pair.run_until(Duration::from_secs(1), |p| p.client.is_closed()), "seed {seed}");
        assert_eq!(pair.net.stats.sent[0] - sent_before, 3, "seed {seed}: three copies");
        let all_copies_lost = pair.net.stats.lost[0] - lost_before == 3;
        let both = pair.run_until(Duration::from_secs(20), |p| {
            p.client.is_closed() && p.server.as_ref().is_some_and(|s| s.is_closed())
        });
        assert!(
            both,
            "seed {seed}: client {:?} server {:?}",
            pair.client_events, pair.server_events
        );
        assert_eq!(
            closed_reason(&pair.client_events),
            Some(&CloseReason::Local { code, data: json!({"bye": seed}) })
        );
        // The close arrived (not the idle timeout), unless the network lost all three copies
        // (30 % loss: 2.7 % of the time), when only the idle timeout is left.
        let expected = if all_copies_lost {
            CloseReason::TimedOut
        } else {
            CloseReason::Remote { code, data: json!({"bye": seed}) }
        };
        assert_eq!(closed_reason(&pair.server_events), Some(&expected), "seed {seed}");
        // Messages sent before close were delivered in full before the close went out.
        let expected: Vec<_> =
            (0..50u32).map(|i| (ORDERED, Bytes::from(i.to_be_bytes().to_vec()))).collect();
        assert_eq!(pair.server_messages, expected, "seed {seed}");
    }
}

#[test]
fn close_sends_three_spaced_copies() {
    let mut pair =
        Pair::default_over(NetSim::symmetric(1, LinkConfig::clean(Duration::from_millis(10))));
    assert!(
        pair.run_until(Duration::from_secs(5), |p| p.client_connected() && p.server_connected())
    );
    pair.run_until(Duration::from_millis(200), |_| false);
    let sent_before = pair.client.zero_stats().sent;
    let now = pair.now;
    pair.client.close(now, ReasonCode::CLOSED, serde_json::Value::Null);
    assert!(pair.run_until(Duration::from_secs(3), |p| p.client.is_closed()));
    assert_eq!(pair.client.zero_stats().sent - sent_before, 3);
    // 3 copies 20 ms apart: done 40 ms after the close started (nothing was left to flush).
    assert!(pair.now - now <= Duration::from_millis(41), "took {:?}", pair.now - now);
    // The peer acts on the first copy and counts the others as unexpected.
    pair.run_until(Duration::from_millis(200), |_| false);
    let server = pair.server.as_ref().unwrap();
    assert!(server.is_closed());
    assert_eq!(server.zero_stats().received, 1);
    assert_eq!(server.zero_stats().dropped(stardust_proto::ZeroDropReason::Unexpected), 2);
}
