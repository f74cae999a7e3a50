//! When the receiver stops acknowledging, the sender keeps at most its send window in flight,
//! reports a full queue once the channel cap is reached, keeps resending, and catches up once
//! the receiver is back: nothing is lost and nothing fails.

use std::time::{Duration, Instant};

use bytes::Bytes;
use stardust_proto::{
    ChannelConfig, ChannelId, ChannelTable, Ordering, Reliability, SendError, Session,
    SessionConfig,
};

#[test]
fn a_stalled_receiver_fills_the_queue_then_everything_arrives() {
    let ch = ChannelId::new(1).unwrap();
    let table =
        ChannelTable::new([(ch, ChannelConfig::new(Reliability::Reliable, Ordering::Ordered))])
            .unwrap();
    let config = SessionConfig {
        send_window: 64 * 1024,
        channel_queue_bytes: 1024 * 1024,
        ..SessionConfig::default()
    };
    let start = Instant::now();
    let mut a = Session::new(config.clone(), table.clone(), start, 10, 20);
    let mut b = Session::new(config, table, start, 20, 10);
    let mut buf = Vec::new();
    let mut sent = 0u32;
    let message = |n: u32| Bytes::from([n.to_be_bytes().as_slice(), &[0u8; 996]].concat());
    // Phase 1: the receiver is gone. Queue until the channel reports full.
    let full = loop {
        match a.send(ch, message(sent)) {
            Ok(()) => sent += 1,
            Err(e) => break e,
        }
        assert!(sent < 10_000, "the queue cap never applied");
    };
    assert_eq!(full, SendError::QueueFull(ch));
    let mut now = start;
    for _ in 0..200 {
        now += Duration::from_millis(10);
        while a.poll_transmit(now, &mut buf) {}
        assert!(a.stats().bytes_in_flight <= 64 * 1024 + 1000, "window exceeded");
    }
    assert!(a.stats().frames_resent > 0, "unacknowledged data must be resent");
    // Phase 2: the receiver is back; everything drains, in order, exactly once.
    let mut next = 0u32;
    let target = sent + 500;
    for _ in 0..100_000 {
        now += Duration::from_millis(1);
        while a.poll_transmit(now, &mut buf) {
            b.handle_datagram(now, &buf);
        }
        while b.poll_transmit(now, &mut buf) {
            a.handle_datagram(now, &buf);
        }
        while let Some((_, m)) = b.poll_message() {
            assert_eq!(u32::from_be_bytes(m[..4].try_into().unwrap()), next);
            next += 1;
        }
        while sent < target && a.send(ch, message(sent)).is_ok() {
            sent += 1;
        }
        if next == sent && a.is_flushed() {
            break;
        }
    }
    assert_eq!(next, sent);
    assert!(a.is_flushed());
}

#[test]
fn an_idle_session_sends_keepalives_that_refresh_the_peer() {
    let table = ChannelTable::new([]).unwrap();
    let start = Instant::now();
    let config = SessionConfig::default();
    let interval = config.keepalive_interval;
    let mut a = Session::new(config.clone(), table.clone(), start, 1, 2);
    let mut b = Session::new(config, table, start, 2, 1);
    let mut buf = Vec::new();
    assert!(!a.poll_transmit(start, &mut buf), "nothing is due right away");
    let deadline = a.poll_timeout().unwrap();
    assert!(deadline <= start + interval);
    let later = start + interval;
    a.handle_timeout(later);
    assert!(a.poll_transmit(later, &mut buf), "a keep-alive is due");
    b.handle_datagram(later, &buf);
    assert_eq!(b.last_received(), later);
    assert_eq!(b.stats().drops.total(), 0);
}
