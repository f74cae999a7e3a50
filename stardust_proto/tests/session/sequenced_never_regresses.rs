//! Sequenced channels (reliable and unreliable) on the harsh link never deliver an older
//! message after a newer one, never deliver one twice, the newest message gets through, and
//! no reassembly memory is left behind.

use std::time::Duration;

use crate::netsim::{LinkConfig, Side};
use crate::session_pair::SessionPair;
use bytes::Bytes;
use stardust_proto::{
    ChannelConfig, ChannelId, ChannelTable, Ordering, Reliability, SessionConfig,
};

fn run(reliability: Reliability, seed: u64) {
    let ch = ChannelId::new(3).unwrap();
    let config = ChannelConfig::new(reliability, Ordering::Sequenced).with_max_size(4000);
    let table = ChannelTable::new([(ch, config)]).unwrap();
    let mut pair = SessionPair::new(seed, LinkConfig::harsh(), table, SessionConfig::default());
    let mut last: Option<u32> = None;
    let mut delivered = 0u32;
    let total = 3000u32;
    for n in 0..total {
        // Some messages span several fragments, so reassembly is exercised too.
        let size = if n % 10 == 0 { 3000 } else { 8 };
        let mut payload = n.to_be_bytes().to_vec();
        payload.resize(size, n as u8);
        pair.a.send(ch, Bytes::from(payload)).unwrap();
        pair.run_until(Duration::from_millis(2), |_| false);
        for (_, m) in pair.drain(Side::B) {
            let got = u32::from_be_bytes(m[..4].try_into().unwrap());
            assert!(last.is_none_or(|l| got > l), "delivered {got} after {last:?}");
            assert!(m[4..].iter().all(|&b| b == got as u8), "corrupted message {got}");
            last = Some(got);
            delivered += 1;
        }
    }
    pair.run_until(Duration::from_secs(5), |p| {
        for (_, m) in p.drain(Side::B) {
            let got = u32::from_be_bytes(m[..4].try_into().unwrap());
            assert!(last.is_none_or(|l| got > l), "delivered {got} after {last:?}");
            last = Some(got);
            delivered += 1;
        }
        false
    });
    // Jitter reorders messages sent 2 ms apart, so many are rightly skipped as stale.
    assert!(delivered > total / 10, "only {delivered} of {total} delivered");
    if reliability == Reliability::Reliable {
        assert_eq!(last, Some(total - 1), "the newest reliable message must arrive");
        assert!(pair.a.is_flushed());
    }
    // Incomplete older messages are discarded once a newer one is delivered (or expire), so
    // nothing stays buffered.
    assert_eq!(pair.b.buffered_bytes(), 0, "reassembly memory leaked");
    let drops = &pair.b.stats().drops;
    assert!(drops.total() > 0, "the harsh link must have caused some dropped input");
}

#[test]
fn reliable_sequenced_never_delivers_older_after_newer() {
    run(Reliability::Reliable, 11);
}

#[test]
fn unreliable_sequenced_never_delivers_older_after_newer() {
    run(Reliability::Unreliable, 12);
}
