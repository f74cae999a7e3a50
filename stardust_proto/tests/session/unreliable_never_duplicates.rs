//! Unreliable-unordered messages on a link that duplicates 30% of datagrams (plus loss and
//! reordering) arrive at most once, and a fragmented message arrives whole or not at all.

use std::collections::HashSet;
use std::time::Duration;

use crate::netsim::{LinkConfig, Side};
use crate::session_pair::SessionPair;
use bytes::Bytes;
use stardust_proto::{
    ChannelConfig, ChannelId, ChannelTable, Ordering, Reliability, SessionConfig,
};

#[test]
fn unreliable_messages_arrive_at_most_once_and_fragments_all_or_nothing() {
    let ch = ChannelId::new(9).unwrap();
    let config =
        ChannelConfig::new(Reliability::Unreliable, Ordering::Unordered).with_max_size(10_000);
    let table = ChannelTable::new([(ch, config)]).unwrap();
    let link = LinkConfig { duplicate: 0.30, ..LinkConfig::harsh() };
    let mut pair = SessionPair::new(21, link, table, SessionConfig::default());
    let total = 4000u32;
    let mut seen = HashSet::new();
    let mut check = |messages: Vec<(ChannelId, Bytes)>| {
        for (_, m) in messages {
            let n = u32::from_be_bytes(m[..4].try_into().unwrap());
            let size = if n % 7 == 0 { 6000 } else { 20 };
            assert_eq!(m.len(), size, "message {n} has the wrong size");
            assert!(m[4..].iter().all(|&b| b == n as u8), "message {n} is corrupted");
            assert!(seen.insert(n), "message {n} delivered twice");
        }
    };
    for n in 0..total {
        let size = if n % 7 == 0 { 6000 } else { 20 };
        let mut payload = n.to_be_bytes().to_vec();
        payload.resize(size, n as u8);
        pair.a.send(ch, Bytes::from(payload)).unwrap();
        pair.run_until(Duration::from_millis(1), |_| false);
        check(pair.drain(Side::B));
    }
    pair.run_until(Duration::from_secs(3), |_| false);
    check(pair.drain(Side::B));
    assert!(seen.len() > total as usize / 2, "only {} of {total} arrived", seen.len());
    assert!(seen.len() < total as usize, "20% loss must lose some messages");
    let stats = pair.b.stats();
    assert!(stats.drops.get(stardust_proto::DropReason::DuplicatePacket) > 0);
}
