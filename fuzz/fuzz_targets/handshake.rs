//! A connecting client fed arbitrary datagrams at arbitrary times: it never panics, never sends
//! anything but its request while connecting, and its events stay well-formed (at most one
//! `Connected`, at most one terminal event, nothing after it).
#![no_main]

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use stardust_proto::zero::{Request, ZeroMessage};
use stardust_proto::{
    ChannelConfig, ChannelId, ChannelTable, Connection, ConnectionConfig, ConnectionEvent,
    Ordering, Reliability,
};

fn start() -> Instant {
    static START: OnceLock<Instant> = OnceLock::new();
    *START.get_or_init(Instant::now)
}

fn channels() -> ChannelTable {
    let reliable = ChannelConfig::new(Reliability::Reliable, Ordering::Ordered);
    let unreliable = ChannelConfig::new(Reliability::Unreliable, Ordering::Sequenced);
    ChannelTable::new([
        (ChannelId::new(0).unwrap(), reliable),
        (ChannelId::new(1).unwrap(), unreliable),
    ])
    .unwrap()
}

fuzz_target!(|data: &[u8]| {
    let start = start();
    let request = Request { transport_id: 1, transport_version: 1, protocol_hash: 7, seq: 0x1234 };
    let mut conn = Connection::connect(ConnectionConfig::default(), channels(), request, start);
    let mut now = start;
    let mut buf = Vec::new();
    let (mut connected, mut terminal) = (0, 0);
    // Input: records of [delay ms: u8][kind: u8][len: u8][len bytes]. Kind 0: raw bytes; kind 1:
    // a zero-prefixed body; kind 2: an accept built from the bytes (valid or not); kind 3: a
    // timeout only.
    let mut rest = data;
    while let [delay, kind, len, tail @ ..] = rest {
        let len = (*len as usize).min(tail.len());
        let (body, next) = tail.split_at(len);
        rest = next;
        now += Duration::from_millis(u64::from(*delay) * 4);
        let datagram: Vec<u8> = match kind % 4 {
            0 => body.to_vec(),
            1 => [&[0, 0, 0][..], body].concat(),
            2 => {
                let ack = if body.first().is_some_and(|b| b & 1 == 0) { 0x1234 } else { 0x1235 };
                let port = body.get(1).map_or(40001, |&b| u16::from(b) << 8);
                let seq = body.get(2).map_or(9, |&b| u16::from(b));
                let accepted = stardust_proto::zero::Accepted { ack, seq, port };
                let mut d = Vec::new();
                ZeroMessage::Accepted(accepted).encode(&mut d);
                d
            }
            _ => Vec::new(),
        };
        if !datagram.is_empty() {
            conn.handle_datagram(now, &datagram);
        }
        if conn.poll_timeout().is_some_and(|t| t <= now) {
            conn.handle_timeout(now);
        }
        for _ in 0..10_000 {
            let connecting = conn.data_port().is_none();
            if !conn.poll_transmit(now, &mut buf) {
                break;
            }
            if connecting && !conn.is_closed() {
                assert!(matches!(ZeroMessage::decode(&buf), Ok(ZeroMessage::Request(_))));
            }
        }
        while let Some(event) = conn.poll_event() {
            assert_eq!(terminal, 0, "event after the terminal event: {event:?}");
            match event {
                ConnectionEvent::Connected { .. } => connected += 1,
                ConnectionEvent::Rejected { .. } | ConnectionEvent::Closed { .. } => terminal += 1,
            }
        }
        while conn.poll_message().is_some() {}
        assert!(connected <= 1);
    }
});
