//! End to end over a full `Connection` pair (handshake, data, close): at 20% loss, 5%
//! duplication and 50 ± 40 ms latency (reordering), 10,000 reliable-ordered messages of mixed
//! sizes up to 64 KiB arrive complete, exactly once and in order; sealed (the default) and
//! in the clear alike.

use std::time::Duration;

use crate::conn_pair::{ORDERED, Pair};
use crate::netsim::{LinkConfig, NetSim};
use bytes::Bytes;
use stardust_proto::{CloseReason, ConnectionEvent, ReasonCode};

const COUNT: usize = 10_000;
const MAX: usize = 64 * 1024;

/// Message `index` of `len` bytes: the index, then bytes that depend on index and position, so
/// a swapped, truncated or corrupted payload cannot compare equal.
fn payload(index: usize, len: usize) -> Bytes {
    let mut bytes: Vec<u8> =
        (0..len).map(|i| (i as u32).wrapping_mul(31).wrapping_add(index as u32) as u8).collect();
    let tag = (index as u32).to_be_bytes();
    let n = len.min(4);
    bytes[..n].copy_from_slice(&tag[..n]);
    Bytes::from(bytes)
}

#[test]
fn ten_thousand_mixed_size_messages_arrive_complete_once_and_in_order_sealed() {
    ten_thousand_messages(Pair::default_over, true);
}

#[test]
fn ten_thousand_mixed_size_messages_arrive_complete_once_and_in_order_in_the_clear() {
    ten_thousand_messages(Pair::insecure_over, false);
}

fn ten_thousand_messages(pair: fn(NetSim) -> Pair, sealed: bool) {
    let mut net = NetSim::symmetric(0x5eed, LinkConfig::harsh());
    // Mostly small (as in games), some multi-packet, a few near the 64 KiB maximum.
    let sizes: Vec<usize> = (0..COUNT)
        .map(|i| match i {
            0 => MAX,
            1 => 1,
            _ => {
                let r = net.next_u64();
                match r % 100 {
                    0..80 => 1 + (r >> 8) as usize % 1100,
                    80..97 => 1101 + (r >> 8) as usize % (16 * 1024 - 1100),
                    _ => 16 * 1024 + 1 + (r >> 8) as usize % (MAX - 16 * 1024),
                }
            }
        })
        .collect();
    let total: usize = sizes.iter().sum();

    let mut pair = pair(net);
    assert!(pair.run_until(Duration::from_secs(15), |p| p.client_connected()));
    assert_eq!(pair.client.is_secure(), sealed);
    let started = pair.elapsed();
    for (i, &len) in sizes.iter().enumerate() {
        pair.client.send(ORDERED, payload(i, len)).expect("the queue caps are above this load");
    }
    let done = pair.run_until(Duration::from_secs(900), |p| p.server_messages.len() >= COUNT);
    let took = pair.elapsed() - started;
    assert!(done, "only {} of {COUNT} messages after {took:?}", pair.server_messages.len());

    assert_eq!(pair.server_messages.len(), COUNT, "a message was delivered twice");
    for (i, (channel, message)) in pair.server_messages.iter().enumerate() {
        assert_eq!(*channel, ORDERED);
        assert_eq!(message.len(), sizes[i], "message {i} out of order or truncated");
        assert_eq!(*message, payload(i, sizes[i]), "message {i} corrupted or out of order");
    }
    let stats = pair.client.session().unwrap().stats().clone();
    eprintln!(
        "{COUNT} messages, {total} bytes in {took:?} of virtual time; client sent {} packets, \
         resent {} frames, loss estimate {:.2}, srtt {:?}",
        stats.packets_sent, stats.frames_resent, stats.packet_loss, stats.rtt
    );

    // And the connection still closes cleanly afterwards.
    let now = pair.now;
    pair.client.close(now, ReasonCode::CLOSED, serde_json::Value::Null);
    assert!(pair.run_until(Duration::from_secs(20), |p| p.server.as_ref().unwrap().is_closed()));
    assert!(pair.server_events.contains(&ConnectionEvent::Closed {
        reason: CloseReason::Remote { code: ReasonCode::CLOSED, data: serde_json::Value::Null }
    }));
    assert_eq!(pair.server_messages.len(), COUNT, "nothing is delivered after the last message");
}
