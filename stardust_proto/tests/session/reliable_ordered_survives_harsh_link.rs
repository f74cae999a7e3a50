//! 10,000 reliable-ordered messages of mixed sizes up to 64 KiB cross a link with 20% loss,
//! 5% duplication and 50 ± 40 ms latency (reordering): all arrive, exactly once, in order.

use std::time::Duration;

use crate::netsim::{LinkConfig, Side};
use crate::session_pair::SessionPair;
use bytes::Bytes;
use stardust_proto::{
    ChannelConfig, ChannelId, ChannelTable, Ordering, Reliability, SendError, SessionConfig,
};

const MESSAGES: u32 = 10_000;

/// Message `n`: its size is drawn from `r` (mostly small, some up to 64 KiB); its bytes
/// encode `n` so a misplaced or corrupted message is detected.
fn message(n: u32, r: u64) -> Bytes {
    let size = match r % 100 {
        0..=69 => 1 + (r >> 8) as usize % 200,
        70..=89 => 200 + (r >> 8) as usize % 4000,
        _ => 4000 + (r >> 8) as usize % (64 * 1024 - 4000 + 1),
    };
    let mut v = Vec::with_capacity(size);
    v.extend_from_slice(&n.to_be_bytes()[..size.min(4)]);
    v.extend((v.len()..size).map(|i| (i as u32).wrapping_mul(31).wrapping_add(n) as u8));
    Bytes::from(v)
}

#[test]
fn ten_thousand_mixed_size_messages_arrive_once_in_order_at_20_percent_loss() {
    let ch = ChannelId::new(7).unwrap();
    let config =
        ChannelConfig::new(Reliability::Reliable, Ordering::Ordered).with_max_size(64 * 1024);
    let table = ChannelTable::new([(ch, config)]).unwrap();
    let mut pair = SessionPair::new(0x5eed, LinkConfig::harsh(), table, SessionConfig::default());

    let expected: Vec<Bytes> = (0..MESSAGES).map(|n| message(n, pair.sim.next_u64())).collect();
    let mut next_to_send = 0usize;
    let mut received: Vec<Bytes> = Vec::new();
    let mut queue_full = 0u64;
    let done = pair.run_until(Duration::from_secs(600), |p| {
        while next_to_send < expected.len() {
            match p.a.send(ch, expected[next_to_send].clone()) {
                Ok(()) => next_to_send += 1,
                Err(SendError::QueueFull(_)) => {
                    queue_full += 1;
                    break;
                }
                Err(e) => panic!("unexpected send error: {e}"),
            }
        }
        for (c, m) in p.drain(Side::B) {
            assert_eq!(c, ch);
            received.push(m);
        }
        received.len() >= expected.len() && p.a.is_flushed()
    });
    assert!(done, "only {} of {MESSAGES} arrived", received.len());
    assert_eq!(received.len(), expected.len(), "a message arrived twice");
    for (i, (got, want)) in received.iter().zip(&expected).enumerate() {
        assert!(got == want, "message {i} is wrong or out of order");
    }
    let (a, b) = (pair.a.stats(), pair.b.stats());
    assert!(a.frames_resent > 0 && b.drops.get(stardust_proto::DropReason::DuplicatePacket) > 0);
    let loss_ok = a.packet_loss > 0.05 && a.packet_loss < 0.6;
    // About 36,000 data packets carry the 40 MB once; 20% loss adds a quarter. Far more would
    // mean spurious resends (a resend storm once sent 530,000).
    assert!(a.packets_sent < 70_000, "{} packets sent", a.packets_sent);
    eprintln!(
        "virtual time {:?}, queue-full retries {queue_full}, A: {:?}\nB drops: {:?}, sim: {:?}",
        pair.now - pair.start,
        a,
        b.drops,
        pair.sim.stats
    );
    assert!(loss_ok, "loss estimate {}", a.packet_loss);
}
