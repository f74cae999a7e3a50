//! When nothing arrives from the peer, resends slow down exponentially instead of flooding it;
//! once it is heard again, the normal timeout is restored and everything is delivered.

use std::time::{Duration, Instant};

use bytes::Bytes;
use stardust_proto::{
    ChannelConfig, ChannelId, ChannelTable, Ordering, Reliability, Session, SessionConfig,
};

#[test]
fn resends_back_off_while_the_peer_is_silent_then_recover() {
    let ch = ChannelId::new(1).unwrap();
    let table =
        ChannelTable::new([(ch, ChannelConfig::new(Reliability::Reliable, Ordering::Ordered))])
            .unwrap();
    let start = Instant::now();
    let mut a = Session::new(SessionConfig::default(), table.clone(), start, 0, 0);
    let mut b = Session::new(SessionConfig::default(), table, start, 0, 0);
    a.send(ch, Bytes::from_static(b"are you there?")).unwrap();
    let mut buf = Vec::new();
    let mut now = start;
    let mut sent = 0;
    // Ten seconds of silence, checking every millisecond.
    for _ in 0..10_000 {
        now += Duration::from_millis(1);
        a.handle_timeout(now);
        while a.poll_transmit(now, &mut buf) {
            sent += 1;
        }
    }
    // Without backoff a 305 ms timeout would resend ~33 times; doubling up to 2 s keeps it
    // near 7 (plus a keep-alive in each idle second).
    let resent = a.stats().frames_resent;
    assert!((5..=8).contains(&resent), "{resent} resends to a silent peer");
    assert!(sent <= 16, "{sent} packets to a silent peer");
    assert_eq!(a.stats().rto, Duration::from_secs(2));
    // The peer comes back: the message gets through and the timeout returns to normal.
    for _ in 0..5_000 {
        now += Duration::from_millis(1);
        a.handle_timeout(now);
        while a.poll_transmit(now, &mut buf) {
            b.handle_datagram(now, &buf);
        }
        while b.poll_transmit(now, &mut buf) {
            a.handle_datagram(now, &buf);
        }
        if a.is_flushed() {
            break;
        }
    }
    assert!(a.is_flushed());
    assert_eq!(b.poll_message(), Some((ch, Bytes::from_static(b"are you there?"))));
    assert!(a.stats().rto < Duration::from_secs(1));
}
