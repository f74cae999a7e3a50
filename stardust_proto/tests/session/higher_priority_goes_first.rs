//! When several channels have data queued, the higher-priority channel fills packets first.

use std::time::Instant;

use bytes::Bytes;
use stardust_proto::packet::{FrameIter, decode_header_fields};
use stardust_proto::{
    ChannelConfig, ChannelId, ChannelTable, Ordering, Reliability, Session, SessionConfig,
};

#[test]
fn the_higher_priority_channel_is_sent_first() {
    let low = ChannelId::new(1).unwrap();
    let high = ChannelId::new(2).unwrap();
    let table = ChannelTable::new([
        (low, ChannelConfig::new(Reliability::Reliable, Ordering::Ordered).with_priority(10)),
        (high, ChannelConfig::new(Reliability::Unreliable, Ordering::Unordered).with_priority(200)),
    ])
    .unwrap();
    let now = Instant::now();
    let mut s = Session::new(SessionConfig::default(), table, now, 0, 0);
    for _ in 0..40 {
        s.send(low, Bytes::from_static(&[1; 100])).unwrap();
    }
    for _ in 0..20 {
        s.send(high, Bytes::from_static(&[2; 100])).unwrap();
    }
    let mut order = Vec::new();
    let mut buf = Vec::new();
    while s.poll_transmit(now, &mut buf) {
        let (_, _, at) = decode_header_fields(&buf).unwrap();
        order.extend(FrameIter::new(&buf, at).map(|f| f.unwrap().0.channel));
    }
    assert_eq!(order.len(), 60);
    assert!(order[..20].iter().all(|&c| c == high), "{order:?}");
    assert!(order[20..].iter().all(|&c| c == low));
}
