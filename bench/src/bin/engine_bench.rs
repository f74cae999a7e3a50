//! Throughput of the protocol engine alone, in memory: no sockets, no Bevy.
//!
//! Run with `cargo run --release -p stardust_bench --bin engine_bench`.
//!
//! 1. Messages per second through a sender/receiver `Session` pair: 64-byte reliable-ordered
//!    messages, no loss; every datagram and ack is handed over directly. One core.
//! 2. Encode and decode cost of one full 1200-byte game packet (16 frames of 64 bytes).
//!
//! Beside each figure the bench prints a baseline measured in the same run: copying the same
//! bytes into and out of 1200-byte buffers with no protocol at all, the floor any framing pays.

#[path = "../thread_cpu.rs"]
mod thread_cpu;

use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::Bytes;
use stardust_proto::packet::{
    AckBlock, FrameHeader, FrameIter, PacketType, decode_header_fields, encode_frame, encode_header,
};
use stardust_proto::{
    ChannelConfig, ChannelId, ChannelTable, Ordering, Reliability, Session, SessionConfig,
};
use thread_cpu::thread_cpu;

const MESSAGE: usize = 64;

const BATCH: usize = 4096;

/// Messages per wall-clock second, per CPU second (if known), and packets sent.
fn session_throughput(total: usize) -> (f64, Option<f64>, u64) {
    let ch = ChannelId::new(1).expect("valid id");
    let table =
        ChannelTable::new([(ch, ChannelConfig::new(Reliability::Reliable, Ordering::Ordered))])
            .expect("valid table");
    let start = Instant::now();
    let mut a = Session::new(SessionConfig::default(), table.clone(), start, 1, 2);
    let mut b = Session::new(SessionConfig::default(), table, start, 2, 1);
    let payload = Bytes::from(vec![0xAB; MESSAGE]);
    let mut buf = Vec::with_capacity(1500);
    let mut received = 0usize;
    let mut sent = 0usize;
    let mut bytes_checked = 0u64;
    let clock = Instant::now();
    let cpu = thread_cpu();
    while received < total {
        let now = Instant::now();
        while sent < total && sent - received < BATCH {
            match a.send(ch, payload.clone()) {
                Ok(()) => sent += 1,
                Err(_) => break,
            }
        }
        while a.poll_transmit(now, &mut buf) {
            b.handle_datagram(now, &buf);
        }
        while let Some((_, m)) = b.poll_message() {
            bytes_checked += m.len() as u64;
            received += 1;
        }
        while b.poll_transmit(now, &mut buf) {
            a.handle_datagram(now, &buf);
        }
    }
    let secs = clock.elapsed().as_secs_f64();
    let cpu_secs = cpu.zip(thread_cpu()).map(|(start, end)| (end - start).as_secs_f64());
    assert_eq!(bytes_checked, (total * MESSAGE) as u64);
    assert!(a.is_flushed() || a.stats().bytes_in_flight > 0);
    (total as f64 / secs, cpu_secs.map(|c| total as f64 / c), a.stats().packets_sent)
}

/// The floor: copy 64-byte messages into 1200-byte buffers and slice them out again.
/// Messages per wall-clock second and per CPU second.
fn copy_baseline(total: usize) -> (f64, Option<f64>) {
    let payload = vec![0xABu8; MESSAGE];
    let mut buf = Vec::with_capacity(1500);
    let mut out = 0u64;
    let clock = Instant::now();
    let cpu = thread_cpu();
    let mut done = 0;
    while done < total {
        buf.clear();
        while buf.len() + MESSAGE + 2 <= 1200 && done < total {
            buf.extend_from_slice(&(MESSAGE as u16).to_be_bytes());
            buf.extend_from_slice(&payload);
            done += 1;
        }
        let packet = Bytes::copy_from_slice(&buf);
        let mut pos = 0;
        while pos < packet.len() {
            let len = u16::from_be_bytes([packet[pos], packet[pos + 1]]) as usize;
            out += black_box(packet.slice(pos + 2..pos + 2 + len)).len() as u64;
            pos += 2 + len;
        }
    }
    let secs = clock.elapsed().as_secs_f64();
    let cpu_secs = cpu.zip(thread_cpu()).map(|(start, end)| (end - start).as_secs_f64());
    assert_eq!(out, (total * MESSAGE) as u64);
    (total as f64 / secs, cpu_secs.map(|c| total as f64 / c))
}

fn millions(rate: Option<f64>) -> String {
    rate.map_or("n/a".to_string(), |r| format!("{:.2}", r / 1e6))
}

fn full_packet() -> Vec<u8> {
    let ch = ChannelId::new(1).expect("valid id");
    let mut buf = Vec::with_capacity(1500);
    let acks = [AckBlock { ack: 7, ack_bits: u64::MAX }];
    encode_header(PacketType::Data, 42, &acks, &mut buf);
    let payload = [0xABu8; MESSAGE];
    let mut seq = 0u16;
    while buf.len() + 8 + MESSAGE <= 1200 {
        encode_frame(
            &FrameHeader { channel: ch, msg_seq: seq, fragment: None },
            &payload,
            &mut buf,
        );
        seq += 1;
    }
    buf
}

fn per_iter(iterations: u32, mut f: impl FnMut()) -> Duration {
    let clock = Instant::now();
    for _ in 0..iterations {
        f();
    }
    clock.elapsed() / iterations
}

fn main() {
    let total = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(20_000_000);
    session_throughput(total / 10); // warm-up
    let (rate, cpu_rate, packets) = session_throughput(total);
    let (baseline, cpu_baseline) = copy_baseline(total);
    println!(
        "session pair, {MESSAGE}-byte reliable-ordered, no loss: {total} messages in {packets} packets"
    );
    println!("            M msgs per wall second | per CPU second (one core)");
    println!("  engine:   {:>7.2}                | {}", rate / 1e6, millions(cpu_rate));
    println!(
        "  baseline: {:>7.2}                | {}   (copy in/out of 1200-byte buffers, no protocol)",
        baseline / 1e6,
        millions(cpu_baseline)
    );
    println!("  ratio:    {:>7.1} %", 100.0 * rate / baseline);
    if std::env::args().any(|a| a == "--session-only") {
        return;
    }

    let packet = full_packet();
    let frames = FrameIter::new(&packet, 14).count();
    let ch = ChannelId::new(1).expect("valid id");
    let payload = [0xABu8; MESSAGE];
    let mut buf = Vec::with_capacity(1500);
    let acks = [AckBlock { ack: 7, ack_bits: u64::MAX }];
    let encode = per_iter(2_000_000, || {
        buf.clear();
        encode_header(PacketType::Data, 42, &acks, &mut buf);
        for seq in 0..frames as u16 {
            let header = FrameHeader { channel: ch, msg_seq: seq, fragment: None };
            encode_frame(&header, black_box(&payload), &mut buf);
        }
        black_box(&buf);
    });
    let decode = per_iter(2_000_000, || {
        let data = Bytes::copy_from_slice(black_box(&packet));
        let (_, _, at) = decode_header_fields(&data).expect("valid packet");
        let mut n = 0;
        for frame in FrameIter::new(&data, at) {
            n += data.slice(frame.expect("valid frame").1).len();
        }
        black_box(n);
    });
    let copy = per_iter(2_000_000, || {
        buf.clear();
        buf.extend_from_slice(black_box(&packet));
        black_box(&buf);
    });
    println!("full {}-byte packet, {frames} frames of {MESSAGE} bytes:", packet.len());
    println!("  encode:   {:>7} ns", encode.as_nanos());
    println!(
        "  decode:   {:>7} ns (includes copying the datagram into a Bytes)",
        decode.as_nanos()
    );
    println!("  baseline: {:>7} ns (memcpy of the packet)", copy.as_nanos());

    for (label, packet) in [("full", packet.clone()), ("small", small_packet())] {
        let (sealed, aead) = seal_and_open(&packet);
        println!("seal + open, {label} {}-byte packet:", packet.len());
        println!("  Sealer + Opener: {:>7} ns", sealed.as_nanos());
        println!(
            "  baseline:        {:>7} ns (ChaCha20-Poly1305 encrypt + decrypt in place, same bytes)",
            aead.as_nanos()
        );
    }
}

/// A keep-alive-sized data packet: one 64-byte frame, one ack block.
fn small_packet() -> Vec<u8> {
    let mut buf = Vec::new();
    encode_header(PacketType::Data, 42, &[AckBlock { ack: 7, ack_bits: 1 }], &mut buf);
    let header =
        FrameHeader { channel: ChannelId::new(1).expect("valid id"), msg_seq: 0, fragment: None };
    encode_frame(&header, &[0xAB; MESSAGE], &mut buf);
    buf
}

/// Time to seal a packet and open it again with Stardust's sealer and opener (a new packet
/// number each time, as on the wire), and with the bare AEAD on the same bytes.
fn seal_and_open(packet: &[u8]) -> (Duration, Duration) {
    use chacha20poly1305::aead::{AeadInPlace, KeyInit};
    use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
    use stardust_proto::crypto::{Opener, Sealer};

    let key = [7u8; 32];
    let (mut sealer, mut opener) = (Sealer::new(&key, 1), Opener::new(&key, 1));
    let mut plain = packet.to_vec();
    let (mut sealed, mut opened) = (Vec::with_capacity(1500), Vec::with_capacity(1500));
    let ours = per_iter(200_000, || {
        let pn = sealer.next_pn() as u16;
        plain[1..3].copy_from_slice(&pn.to_be_bytes());
        assert!(sealer.seal(&plain, &mut sealed));
        black_box(opener.open(black_box(&sealed), &mut opened).expect("it opens"));
    });
    let cipher = ChaCha20Poly1305::new(Key::from_slice(&key));
    let mut buf = packet.to_vec();
    let mut counter = 0u64;
    let bare = per_iter(200_000, || {
        counter += 1;
        let mut nonce = [0u8; 12];
        nonce[4..].copy_from_slice(&counter.to_le_bytes());
        let nonce = Nonce::from(nonce);
        let tag = cipher.encrypt_in_place_detached(&nonce, &[0; 11], &mut buf).expect("seals");
        cipher.decrypt_in_place_detached(&nonce, &[0; 11], &mut buf, &tag).expect("opens");
        black_box(&buf);
    });
    (ours, bare)
}
