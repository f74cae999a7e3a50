//! Spoofed connection requests while the listener serves its peers (see `load.rs`, which
//! runs this during its timed part when asked): one thread of this process sends secure
//! requests from an address that never proves itself, as fast as a socket sends; halfway
//! through, a genuine client connects. What it shows: the rate of requests the listen port
//! absorbs, that each gets at most one reply no larger than itself, that none of them creates
//! a peer, and how long the genuine client takes to connect meanwhile.
//!
//! Every request is a valid 1,200-byte secure request of the listener's transport and
//! version, without a cookie (half of them carry a random Noise message and a made-up
//! cookie): exactly what the listener must answer with a `retry`, statelessly. An attacker
//! spoofing many source addresses costs the listener the same, one MAC and one reply per
//! request; on loopback without root the requests come from one address.

use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use bevy::prelude::*;
use stardust::prelude::*;
use stardust::proto::zero::{Request, RequestMode, ZeroMessage};
use stardust::udp::{UDP_TRANSPORT_ID, UDP_TRANSPORT_VERSION};

use crate::stardust_udp;
use crate::thread_cpu::thread_cpu;

/// What the flood sent and got back.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sent {
    /// Requests sent.
    pub requests: u64,
    /// Replies received.
    pub replies: u64,
    /// The largest reply, in bytes.
    pub largest_reply: usize,
    /// The smallest request sent, in bytes.
    pub smallest_request: usize,
    /// How long it sent for.
    pub elapsed: Duration,
    /// CPU time of the flood thread.
    pub cpu: Duration,
}

/// What the genuine client saw.
#[derive(Debug, Clone, Default)]
pub struct Genuine {
    /// How long it took to connect, if it did while the flood lasted (it starts
    /// [`GENUINE_DELAY`] into it).
    pub connect_time: Option<Duration>,
    /// CPU time of its thread, from start to end (its App runs single-threaded, on that
    /// thread alone).
    pub cpu: Duration,
    /// Why it did not connect, when it did not.
    pub state: Option<String>,
}

/// The flood and the genuine client, running.
pub struct Running {
    stop: Arc<AtomicBool>,
    flood: JoinHandle<Sent>,
    genuine: JoinHandle<Genuine>,
}

/// How long the genuine client waits before connecting, and may take to connect.
pub const GENUINE_DELAY: Duration = Duration::from_secs(2);
const GENUINE_LIMIT: Duration = Duration::from_secs(15);

/// Starts flooding the listen port `addr` of a listener whose protocol hash is `hash`, at
/// `rate` requests per second (`None`: as fast as the socket sends), and the genuine client.
pub fn start(addr: SocketAddr, hash: u64, rate: Option<f64>) -> Running {
    let stop = Arc::new(AtomicBool::new(false));
    let flood = {
        let stop = stop.clone();
        thread::spawn(move || flood(addr, hash, rate, &stop))
    };
    let genuine = {
        let stop = stop.clone();
        thread::spawn(move || genuine(addr, &stop))
    };
    Running { stop, flood, genuine }
}

impl Running {
    /// Stops both and returns what they saw.
    pub fn stop(self) -> (Sent, Genuine) {
        self.stop.store(true, Ordering::Relaxed);
        let sent = self.flood.join().unwrap_or_default();
        let genuine = self.genuine.join().unwrap_or_default();
        (sent, genuine)
    }
}

/// A valid secure request, padded to 1,200 bytes by the engine's own encoder, that asks for a
/// cookie: with no Noise message, or with a made-up one and a made-up cookie.
fn request(id: u64, hash: u64, with_noise: bool) -> Vec<u8> {
    // 96 bytes of noise and 16 of cookie: well-formed, never valid.
    let noise = with_noise.then(|| (0..96).map(|i| (id as u8).wrapping_add(i)).collect());
    let cookie = with_noise.then(|| vec![0; 16]);
    let request = Request {
        transport_id: UDP_TRANSPORT_ID,
        transport_version: UDP_TRANSPORT_VERSION,
        protocol_hash: hash,
        id,
        mode: RequestMode::Secure { noise, cookie },
    };
    let mut datagram = Vec::new();
    ZeroMessage::Request(request).encode(&mut datagram);
    datagram
}

fn flood(addr: SocketAddr, hash: u64, rate: Option<f64>, stop: &AtomicBool) -> Sent {
    let Ok(socket) = UdpSocket::bind("127.0.0.1:0") else { return Sent::default() };
    let _ = socket.set_nonblocking(true);
    let cpu_before = thread_cpu().unwrap_or_default();
    let start = Instant::now();
    let mut sent = Sent { smallest_request: usize::MAX, ..Sent::default() };
    let mut buf = [0u8; 2048];
    let requests: Vec<Vec<u8>> = (0..256).map(|i| request(i, hash, i % 2 == 1)).collect();
    // Bounded by the stop signal, and by a hard limit should it never come.
    while !stop.load(Ordering::Relaxed) && start.elapsed() < Duration::from_secs(120) {
        if rate.is_some_and(|rate| sent.requests as f64 > rate * start.elapsed().as_secs_f64()) {
            thread::sleep(Duration::from_micros(200));
            continue;
        }
        for _ in 0..64 {
            let datagram = &requests[(sent.requests % 256) as usize];
            if socket.send_to(datagram, addr).is_ok() {
                sent.requests += 1;
                sent.smallest_request = sent.smallest_request.min(datagram.len());
            }
        }
        while let Ok((len, _)) = socket.recv_from(&mut buf) {
            sent.replies += 1;
            sent.largest_reply = sent.largest_reply.max(len);
        }
    }
    sent.elapsed = start.elapsed();
    // Replies still on their way.
    thread::sleep(Duration::from_millis(50));
    while let Ok((len, _)) = socket.recv_from(&mut buf) {
        sent.replies += 1;
        sent.largest_reply = sent.largest_reply.max(len);
    }
    sent.cpu = thread_cpu().unwrap_or_default().saturating_sub(cpu_before);
    sent
}

fn genuine(addr: SocketAddr, stop: &AtomicBool) -> Genuine {
    let wait_until = Instant::now() + GENUINE_DELAY;
    while Instant::now() < wait_until && !stop.load(Ordering::Relaxed) {
        thread::sleep(Duration::from_millis(10));
    }
    let mut app = stardust_udp::connector(UdpSecurity::Secure);
    stardust_udp::single_threaded(&mut app);
    let start = Instant::now();
    let peer = app.world_mut().connect_udp(addr);
    // Only while the flood lasts: afterwards it would measure a quiet listener.
    let mut ended = None;
    stardust_udp::tick_until(&mut app, GENUINE_LIMIT, |app| {
        match app.world().get::<PeerState>(peer) {
            Some(PeerState::Disconnected(reason)) => ended = Some(reason.to_string()),
            Some(PeerState::Connected) => return true,
            _ => {}
        }
        ended.is_some() || stop.load(Ordering::Relaxed)
    });
    let connected = app.world().get::<PeerState>(peer) == Some(&PeerState::Connected);
    let connect_time = connected.then(|| start.elapsed());
    let state = (!connected).then(|| ended.unwrap_or_else(|| "still connecting".to_owned()));
    // Stay connected until the end, so the listener counts it among its peers.
    while !stop.load(Ordering::Relaxed) && start.elapsed() < Duration::from_secs(120) {
        app.update();
        thread::sleep(Duration::from_millis(16));
    }
    // The whole thread: its App's every frame ran here.
    Genuine { connect_time, cpu: thread_cpu().unwrap_or_default(), state }
}
