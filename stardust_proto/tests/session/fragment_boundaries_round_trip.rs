//! Messages whose sizes sit on every fragmentation boundary (one byte under, at and over a full
//! frame, exact multiples of the fragment size) arrive intact on reliable and unreliable
//! channels, for several MTUs.

use std::time::Duration;

use crate::netsim::{LinkConfig, Side};
use crate::session_pair::SessionPair;
use bytes::Bytes;
use stardust_proto::{
    ChannelConfig, ChannelId, ChannelTable, Ordering, Reliability, SessionConfig,
};

fn sizes(mtu: usize) -> Vec<usize> {
    let single = mtu - 34 - 8;
    let fragment = mtu - 34 - 12;
    let mut v = vec![0, 1, single - 1, single, single + 1];
    for k in [2, 3, 7] {
        v.extend([k * fragment - 1, k * fragment, k * fragment + 1]);
    }
    v
}

#[test]
fn sizes_on_fragment_boundaries_survive_the_round_trip() {
    for mtu in [256, 1200, 1472] {
        for reliability in [Reliability::Reliable, Reliability::Unreliable] {
            let ch = ChannelId::new(5).unwrap();
            let config = ChannelConfig::new(reliability, Ordering::Unordered).with_max_size(20_000);
            let table = ChannelTable::new([(ch, config)]).unwrap();
            let session = SessionConfig { mtu, ..SessionConfig::default() };
            let link = LinkConfig::clean(Duration::from_millis(5));
            let mut pair = SessionPair::new(mtu as u64, link, table, session);
            let want: Vec<Bytes> = sizes(mtu)
                .into_iter()
                .map(|n| Bytes::from((0..n).map(|i| (i * 7 + n) as u8).collect::<Vec<_>>()))
                .collect();
            for m in &want {
                pair.a.send(ch, m.clone()).unwrap();
            }
            let mut got = Vec::new();
            pair.run_until(Duration::from_secs(5), |p| {
                got.extend(p.drain(Side::B).into_iter().map(|(_, m)| m));
                got.len() == want.len()
            });
            let mut got_sorted = got.clone();
            got_sorted.sort_by_key(Bytes::len);
            assert_eq!(got_sorted, want, "mtu {mtu}, {reliability:?}");
            let sent = pair.a.stats().bytes_sent;
            assert!(pair.a.stats().packets_sent > 0 && sent > 0);
        }
    }
}
