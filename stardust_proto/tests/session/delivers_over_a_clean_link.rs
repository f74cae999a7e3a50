//! On a clean link every channel kind delivers what was sent, and the sender ends flushed.

use std::time::Duration;

use crate::netsim::{LinkConfig, Side};
use crate::session_pair::SessionPair;
use bytes::Bytes;
use stardust_proto::{ChannelId, SessionConfig};

#[test]
fn every_channel_kind_delivers_in_order_on_a_clean_link() {
    let table = crate::channel_kinds::every_kind(100_000);
    let mut pair = SessionPair::new(
        1,
        LinkConfig::clean(Duration::from_millis(10)),
        table,
        SessionConfig::default(),
    );
    let mut expected = Vec::new();
    for n in 0..200u32 {
        let ch = ChannelId::new(n % 5).unwrap();
        let size = if n % 5 < 3 && n % 7 == 0 { 5000 + n as usize } else { 1 + n as usize };
        let payload: Vec<u8> = (0..size).map(|i| (i as u32 ^ n) as u8).collect();
        let payload = if n % 5 >= 3 { payload[..size.min(1000)].to_vec() } else { payload };
        pair.a.send(ch, Bytes::from(payload.clone())).unwrap();
        expected.push((ch, Bytes::from(payload)));
    }
    let mut got = Vec::new();
    assert!(pair.run_until(Duration::from_secs(10), |p| {
        got.extend(p.drain(Side::B));
        got.len() >= expected.len() && p.a.is_flushed()
    }));
    for ch in 0..5 {
        let ch = ChannelId::new(ch).unwrap();
        let want: Vec<_> = expected.iter().filter(|m| m.0 == ch).collect();
        let have: Vec<_> = got.iter().filter(|m| m.0 == ch).collect();
        assert_eq!(want, have, "channel {ch}");
    }
    assert_eq!(pair.b.stats().drops.total(), 0, "{:?}", pair.b.stats().drops);
    assert!(pair.a.stats().rtt >= Duration::from_millis(20));
}
