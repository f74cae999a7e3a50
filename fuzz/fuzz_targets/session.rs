//! A pair of sessions driven by arbitrary operations: sends, arbitrary or mutated datagrams,
//! deliveries between the two, and time steps. Nothing panics, memory stays bounded, the sender
//! never puts more than its send window in flight, and — as long as no datagram was forged or
//! corrupted (which can legitimately inject messages) — reliable-ordered messages arrive in
//! order and once.
#![no_main]

use std::time::{Duration, Instant};

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use stardust_proto::{
    ChannelConfig, ChannelId, ChannelTable, Ordering, Reliability, Session, SessionConfig,
};

const RECEIVE_BUFFER: usize = 128 * 1024;
const WINDOW: usize = 16 * 1024;

fuzz_target!(|data: &[u8]| {
    let kinds = [
        (Reliability::Reliable, Ordering::Ordered),
        (Reliability::Reliable, Ordering::Unordered),
        (Reliability::Reliable, Ordering::Sequenced),
        (Reliability::Unreliable, Ordering::Unordered),
        (Reliability::Unreliable, Ordering::Sequenced),
    ];
    let Ok(table) = ChannelTable::new(kinds.iter().enumerate().map(|(i, &(r, o))| {
        (
            ChannelId::new(i as u32).unwrap_or(ChannelId::from_name("x")),
            ChannelConfig::new(r, o).with_max_size(8000),
        )
    })) else {
        return;
    };
    let config = SessionConfig {
        mtu: 300,
        receive_buffer: RECEIVE_BUFFER,
        send_window: WINDOW,
        ..SessionConfig::default()
    };
    let start = Instant::now();
    let mut now = start;
    let mut a = Session::new(config.clone(), table.clone(), start, 7, 9);
    let mut b = Session::new(config, table, start, 9, 7);
    let mut buf = Vec::new();
    let mut in_transit: Vec<Vec<u8>> = Vec::new();
    let mut next_ordered = 0u32;
    let mut sent_ordered = 0u32;
    let mut tampered = false;
    for (k, op) in data.chunks_exact(4).enumerate() {
        let arg = u16::from_be_bytes([op[2], op[3]]);
        match op[0] % 6 {
            0 => {
                let ch = ChannelId::new(u32::from(op[1] % 6)).unwrap_or(ChannelId::from_name("x"));
                let len = (arg as usize % 9000).max(4);
                let mut payload = vec![op[1]; len];
                if ch.get() == 0 {
                    payload[..4].copy_from_slice(&sent_ordered.to_be_bytes());
                }
                if a.send(ch, Bytes::from(payload)).is_ok() && ch.get() == 0 {
                    sent_ordered += 1;
                }
            }
            1 => {
                // Move datagrams from A to B, dropping, duplicating or corrupting some.
                while a.poll_transmit(now, &mut buf) {
                    assert!(buf.len() <= 300, "datagram above the mtu");
                    in_transit.push(buf.clone());
                }
                for (i, mut d) in in_transit.drain(..).enumerate() {
                    match (op[1] >> (i % 4 * 2)) & 3 {
                        0 => {}
                        1 => b.handle_datagram(now, &d),
                        2 => {
                            b.handle_datagram(now, &d);
                            b.handle_datagram(now, &d);
                        }
                        _ => {
                            tampered = true;
                            let at = arg as usize % d.len().max(1);
                            if let Some(byte) = d.get_mut(at) {
                                *byte ^= op[1] | 1;
                            }
                            b.handle_datagram(now, &d);
                        }
                    }
                }
            }
            2 => {
                while b.poll_transmit(now, &mut buf) {
                    if op[1] & 1 == 0 {
                        a.handle_datagram(now, &buf);
                    }
                }
            }
            3 => {
                now += Duration::from_millis(u64::from(arg % 3000));
                a.handle_timeout(now);
                b.handle_timeout(now);
            }
            4 => {
                let len = arg as usize % 1500;
                tampered = true;
                let rest = &data[k * 4..];
                let raw: Vec<u8> = rest.iter().cycle().take(len).copied().collect();
                b.handle_datagram(now, &raw);
            }
            _ => {
                while let Some((ch, m)) = b.poll_message() {
                    if ch.get() == 0 && !tampered {
                        let n = u32::from_be_bytes([m[0], m[1], m[2], m[3]]);
                        assert_eq!(n, next_ordered, "ordered message out of order or repeated");
                        next_ordered += 1;
                    }
                }
            }
        }
        assert!(a.stats().bytes_in_flight <= WINDOW + 300, "send window exceeded");
        assert!(
            b.buffered_bytes() <= RECEIVE_BUFFER + 5 * 8000 + 8000 * 32,
            "receive buffer unbounded"
        );
        let _ = a.poll_timeout();
        let _ = b.poll_timeout();
    }
});
