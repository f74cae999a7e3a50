//! Reliable-unordered messages on the harsh link all arrive, each exactly once.

use std::time::Duration;

use crate::netsim::{LinkConfig, Side};
use crate::session_pair::SessionPair;
use bytes::Bytes;
use stardust_proto::{
    ChannelConfig, ChannelId, ChannelTable, Ordering, Reliability, SessionConfig,
};

#[test]
fn every_reliable_unordered_message_arrives_exactly_once() {
    let ch = ChannelId::new(4).unwrap();
    let config = ChannelConfig::new(Reliability::Reliable, Ordering::Unordered);
    let table = ChannelTable::new([(ch, config)]).unwrap();
    let mut pair = SessionPair::new(31, LinkConfig::harsh(), table, SessionConfig::default());
    let total = 3000u32;
    for n in 0..total {
        let size = if n % 50 == 0 { 20_000 } else { 4 + n as usize % 300 };
        let mut payload = n.to_be_bytes().to_vec();
        payload.resize(size, n as u8);
        pair.a.send(ch, Bytes::from(payload)).unwrap();
    }
    let mut count = vec![0u32; total as usize];
    let mut out_of_order = false;
    let mut last = None;
    let done = pair.run_until(Duration::from_secs(120), |p| {
        for (_, m) in p.drain(Side::B) {
            let n = u32::from_be_bytes(m[..4].try_into().unwrap());
            assert!(m[4..].iter().all(|&b| b == n as u8), "message {n} is corrupted");
            count[n as usize] += 1;
            out_of_order |= last.is_some_and(|l| n < l);
            last = Some(n);
        }
        count.iter().all(|&c| c >= 1) && p.a.is_flushed()
    });
    assert!(done, "not every message arrived");
    assert!(count.iter().all(|&c| c == 1), "a message arrived twice");
    assert!(out_of_order, "unordered delivery should not wait for lost messages");
}
