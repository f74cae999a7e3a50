//! The one-way measurement through quinn-udp, the maintained alternative to Stardust's own
//! `recvmmsg`/`sendmmsg` code, so the choice between them rests on a figure of the same run.
//!
//! quinn-udp sends one `sendmsg` per destination (its GSO batches only datagrams to a single
//! destination, which a server talking to many peers rarely has) and receives with
//! `recvmmsg`, 32 at a time.

use std::io::IoSliceMut;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use quinn_udp::{RecvMeta, Transmit, UdpSocketState};

use crate::Settings;
use crate::raw_udp::{self, OneWay, PAYLOAD, SyscallCost};

/// One-way throughput with quinn-udp on both sides, the receiver spinning.
pub fn one_way(settings: &Settings) -> OneWay {
    let bind = || {
        let socket = raw_udp::std_socket();
        let state = UdpSocketState::new((&socket).into()).expect("quinn-udp socket state");
        socket.set_nonblocking(true).expect("non-blocking");
        (socket, state)
    };
    let (receiver, receiver_state) = bind();
    let (sender, sender_state) = bind();
    let to = receiver.local_addr().expect("local address");

    let send = |stop_at: Instant| {
        let payload = [0x5A; PAYLOAD];
        let transmit = Transmit {
            destination: to,
            ecn: None,
            contents: &payload,
            segment_size: None,
            src_ip: None,
        };
        let mut sent = 0;
        while sent < 500_000_000u64 {
            if sent.is_multiple_of(256) && Instant::now() >= stop_at {
                break;
            }
            if sender_state.try_send((&sender).into(), &transmit).is_ok() {
                sent += 1;
            } else if Instant::now() >= stop_at {
                break;
            }
        }
        sent
    };
    let receive = |finished: &AtomicBool| {
        let deadline = raw_udp::receiver_deadline(settings);
        // GRO may coalesce several datagrams of one flow into a buffer: give each room for it
        // and count datagrams by stride.
        let count = quinn_udp::BATCH_SIZE;
        let mut storage = vec![0u8; count * 65_536];
        let mut metas = vec![RecvMeta::default(); count];
        let mut buffers: Vec<IoSliceMut<'_>> =
            storage.chunks_mut(65_536).map(IoSliceMut::new).collect();
        let mut arrived = 0u64;
        let mut last = Instant::now();
        while !raw_udp::receiver_done(finished, last, deadline) {
            if let Ok(got) = receiver_state.recv((&receiver).into(), &mut buffers, &mut metas) {
                arrived += datagrams(&metas[..got]);
                last = Instant::now();
            }
        }
        arrived
    };
    raw_udp::one_way(settings, send, receive)
}

/// Per-datagram syscall cost of quinn-udp on one thread: one `sendmsg` per datagram, and a
/// `recvmmsg` loop (32 at a time) until WouldBlock.
pub fn syscall_cost() -> SyscallCost {
    let socket = |nonblocking: bool| {
        let socket = raw_udp::std_socket();
        let state = UdpSocketState::new((&socket).into()).expect("quinn-udp socket state");
        socket.set_nonblocking(nonblocking).expect("non-blocking");
        (socket, state)
    };
    let (sender, sender_state) = socket(false);
    let (receiver, receiver_state) = socket(true);
    let to = receiver.local_addr().expect("local address");
    let payload = [0x5A; PAYLOAD];
    let transmit = Transmit {
        destination: to,
        ecn: None,
        contents: &payload,
        segment_size: None,
        src_ip: None,
    };
    let send = |count: usize| {
        for _ in 0..count {
            let _ = sender_state.try_send((&sender).into(), &transmit);
        }
    };
    let count = quinn_udp::BATCH_SIZE;
    let mut storage = vec![0u8; count * 65_536];
    let mut buffers: Vec<IoSliceMut<'_>> =
        storage.chunks_mut(65_536).map(IoSliceMut::new).collect();
    let mut metas = vec![RecvMeta::default(); count];
    let drain = || {
        let mut drained = 0;
        while drained < 10_000 {
            match receiver_state.recv((&receiver).into(), &mut buffers, &mut metas) {
                Ok(got) if got > 0 => drained += datagrams(&metas[..got]) as usize,
                _ => break,
            }
        }
        drained
    };
    raw_udp::syscall_cost(send, drain)
}

/// How many datagrams the filled buffers hold, GRO-coalesced ones counted by stride.
fn datagrams(metas: &[RecvMeta]) -> u64 {
    metas.iter().map(|m| if m.stride == 0 { 0 } else { m.len.div_ceil(m.stride) as u64 }).sum()
}
