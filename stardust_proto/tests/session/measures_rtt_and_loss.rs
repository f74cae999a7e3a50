//! The session's RTT and loss estimates track the link: 100 ms round trip on a 50 ms link, about
//! 20% loss on a link that drops 20% of datagrams, and counters that add up.

use std::time::Duration;

use crate::netsim::{LinkConfig, Side};
use crate::session_pair::SessionPair;
use bytes::Bytes;
use stardust_proto::{
    ChannelConfig, ChannelId, ChannelTable, Ordering, Reliability, SessionConfig,
};

fn run(link: LinkConfig) -> SessionPair {
    let ch = ChannelId::new(1).unwrap();
    let table =
        ChannelTable::new([(ch, ChannelConfig::new(Reliability::Reliable, Ordering::Ordered))])
            .unwrap();
    let mut pair = SessionPair::new(77, link, table, SessionConfig::default());
    // A steady 100 messages per second for 20 s.
    for _ in 0..2000 {
        pair.a.send(ch, Bytes::from_static(&[3; 200])).unwrap();
        pair.run_until(Duration::from_millis(10), |_| false);
        pair.drain(Side::B);
    }
    pair.run_until(Duration::from_secs(5), |p| p.a.is_flushed());
    pair
}

#[test]
fn rtt_matches_a_clean_link() {
    let pair = run(LinkConfig::clean(Duration::from_millis(50)));
    let stats = pair.a.stats();
    // 100 ms plus at most the peer's 5 ms ack delay.
    assert!(
        stats.rtt >= Duration::from_millis(100) && stats.rtt <= Duration::from_millis(106),
        "{stats:?}"
    );
    assert_eq!(stats.packets_lost, 0);
    assert_eq!(stats.packet_loss, 0.0);
    assert_eq!(stats.messages_sent, 2000);
    assert_eq!(pair.b.stats().messages_received, 2000);
    assert_eq!(stats.packets_sent, pair.b.stats().packets_received);
    assert_eq!(stats.bytes_sent, pair.b.stats().bytes_received);
}

#[test]
fn loss_estimate_tracks_a_lossy_link() {
    let link = LinkConfig { loss: 0.2, ..LinkConfig::clean(Duration::from_millis(30)) };
    let pair = run(link);
    let stats = pair.a.stats();
    // Each data packet counts as lost when it or its acks were all dropped: ~20% plus a little.
    assert!(stats.packet_loss > 0.1 && stats.packet_loss < 0.35, "{stats:?}");
    assert!(stats.frames_resent > 0);
    assert_eq!(pair.b.stats().messages_received, 2000);
}
