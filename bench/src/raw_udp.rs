//! Raw UDP over loopback: the std baseline, and the same two measurements through Stardust's
//! batched [`PortSocket`] to show what batching the syscalls buys.
//!
//! - One-way: a sender thread blasts 64-byte datagrams for a fixed time, a receiver thread
//!   counts what arrives; the figure is datagrams *arrived* per second of sending.
//! - Ping-pong: one 64-byte datagram bounces between two non-blocking sockets, both sides
//!   spinning; the figures are the median and 99th percentile round-trip times.

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::Barrier;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use stardust::udp::{PortSocket, RecvBatch, SendBatch, SocketConfig};

use crate::round_trips::{Rtt, Trips};
use crate::{Better, Row, Settings};

/// The payload size of every measurement.
pub const PAYLOAD: usize = 64;
/// How long a receiver waits for stragglers after the sender stopped.
const DRAIN: Duration = Duration::from_millis(200);
/// Upper bound on datagrams one sender sends, whatever the clock says.
const MAX_SENT: u64 = 500_000_000;
/// Round trips run before timing starts.
const WARM_UP: usize = 1_000;
/// A round trip slower than this counts as lost (the datagram was dropped).
const TRIP_TIMEOUT: Duration = Duration::from_millis(200);

/// Result of a one-way throughput measurement.
#[derive(Debug, Clone, Copy)]
pub struct OneWay {
    /// Datagrams handed to the OS per second of sending.
    pub sent_per_sec: f64,
    /// Datagrams that reached the receiving application, per second of sending.
    pub arrived_per_sec: f64,
}

impl OneWay {
    /// The table row of this measurement.
    pub fn row(&self, name: &str, baseline: Option<f64>) -> Row {
        Row {
            name: name.to_string(),
            value: self.arrived_per_sec,
            unit: "datagrams/s",
            baseline,
            better: Better::Higher,
        }
    }

    /// Share of sent datagrams that never reached the receiver, in percent.
    pub fn loss_percent(&self) -> f64 {
        if self.sent_per_sec <= 0.0 {
            return 0.0;
        }
        (1.0 - self.arrived_per_sec / self.sent_per_sec).max(0.0) * 100.0
    }
}

/// Runs `send` (given the instant to stop at, returning how many it sent) against `receive`
/// (given the "sender finished" flag, returning how many arrived) on two threads started
/// together, and turns the counts into rates.
pub fn one_way(
    settings: &Settings,
    send: impl FnOnce(Instant) -> u64 + Send,
    receive: impl FnOnce(&AtomicBool) -> u64 + Send,
) -> OneWay {
    let start = Barrier::new(2);
    let finished = AtomicBool::new(false);
    let (sent, arrived, elapsed) = thread::scope(|scope| {
        let receiver = scope.spawn(|| {
            start.wait();
            receive(&finished)
        });
        start.wait();
        let began = Instant::now();
        let sent = send(began + settings.send_for);
        let elapsed = began.elapsed();
        finished.store(true, Ordering::Release);
        (sent, receiver.join().unwrap_or(0), elapsed)
    });
    let seconds = elapsed.as_secs_f64().max(1e-9);
    OneWay { sent_per_sec: sent as f64 / seconds, arrived_per_sec: arrived as f64 / seconds }
}

/// Whether a receiver should stop: the sender finished and nothing came for [`DRAIN`], or
/// a hard deadline passed.
pub fn receiver_done(finished: &AtomicBool, last_arrival: Instant, deadline: Instant) -> bool {
    let now = Instant::now();
    now >= deadline || (finished.load(Ordering::Acquire) && now - last_arrival >= DRAIN)
}

/// The hard deadline of a receiver started now.
pub fn receiver_deadline(settings: &Settings) -> Instant {
    Instant::now() + settings.send_for + Duration::from_secs(5)
}

fn loopback() -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, 0))
}

/// `SO_RCVBUF`/`SO_SNDBUF` of every socket in the bench, [`SocketConfig`]'s default: with the
/// usual 208 KiB, a receiver descheduled for a millisecond overflows, and the figures would
/// measure the scheduler rather than the syscalls.
pub const BUFFER_SIZE: usize = 2 << 20;

/// A std socket bound on loopback with [`BUFFER_SIZE`] buffers; everything after the setup is
/// plain `std::net::UdpSocket`.
pub fn std_socket() -> UdpSocket {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::DGRAM, None)
        .expect("creating a UDP socket");
    socket.set_recv_buffer_size(BUFFER_SIZE).expect("SO_RCVBUF");
    socket.set_send_buffer_size(BUFFER_SIZE).expect("SO_SNDBUF");
    socket.bind(&loopback().into()).expect("binding a loopback UDP socket");
    socket.into()
}

fn port_socket() -> PortSocket {
    let config =
        SocketConfig { recv_buffer_size: Some(BUFFER_SIZE), send_buffer_size: Some(BUFFER_SIZE) };
    PortSocket::bind(loopback(), &config).expect("binding a loopback PortSocket")
}

/// One-way throughput with std sockets: blocking `send_to` per datagram, blocking `recv_from`.
pub fn std_one_way(settings: &Settings) -> OneWay {
    let receiver = std_socket();
    let sender = std_socket();
    let to = receiver.local_addr().expect("local address");
    receiver.set_read_timeout(Some(Duration::from_millis(20))).expect("read timeout");
    let send = |stop_at: Instant| {
        let payload = [0x5A; PAYLOAD];
        let mut sent = 0;
        while sent < MAX_SENT {
            // Reading the clock every datagram would be a large share of the cost.
            if sent.is_multiple_of(256) && Instant::now() >= stop_at {
                break;
            }
            if sender.send_to(&payload, to).is_ok() {
                sent += 1;
            }
        }
        sent
    };
    let receive = |finished: &AtomicBool| {
        let deadline = receiver_deadline(settings);
        let mut buffer = [0u8; 2048];
        let mut arrived = 0;
        let mut last = Instant::now();
        while !receiver_done(finished, last, deadline) {
            if receiver.recv_from(&mut buffer).is_ok() {
                arrived += 1;
                last = Instant::now();
            }
        }
        arrived
    };
    one_way(settings, send, receive)
}

/// One-way throughput with [`PortSocket`]: 64 datagrams per `sendmmsg`, up to 64 per
/// `recvmmsg`, the receiver spinning on its non-blocking socket.
pub fn batched_one_way(settings: &Settings) -> OneWay {
    let receiver = port_socket();
    let sender = port_socket();
    let to = receiver.local_addr();
    let send = |stop_at: Instant| {
        let payload = [0x5A; PAYLOAD];
        let mut batch = SendBatch::new(64, PAYLOAD);
        let mut sent = 0;
        while sent < MAX_SENT && Instant::now() < stop_at {
            while !batch.is_full() {
                let _ = batch.push(to, &payload);
            }
            while !batch.is_empty() && Instant::now() < stop_at {
                sent += sender.send_batch(&mut batch).unwrap_or(0) as u64;
            }
            batch.clear();
        }
        sent
    };
    let receive = |finished: &AtomicBool| {
        let deadline = receiver_deadline(settings);
        let mut batch = RecvBatch::new(64, 2048);
        let mut arrived = 0;
        let mut last = Instant::now();
        while !receiver_done(finished, last, deadline) {
            if receiver.recv_batch(&mut batch).unwrap_or(0) > 0 {
                arrived += batch.iter().count() as u64;
                last = Instant::now();
            }
        }
        arrived
    };
    one_way(settings, send, receive)
}

/// Bounces one datagram `WARM_UP + round_trips` times: `client_trip` sends and spins until the
/// echo (or [`TRIP_TIMEOUT`]) and says whether it came back; `echo` answers until told to stop.
fn ping_pong(
    round_trips: usize,
    mut client_trip: impl FnMut(Instant) -> bool,
    echo: impl FnOnce(&AtomicBool) + Send,
) -> Trips {
    let stop = AtomicBool::new(false);
    thread::scope(|scope| {
        scope.spawn(|| echo(&stop));
        let mut samples = Vec::with_capacity(round_trips);
        let mut lost = 0;
        let deadline = Instant::now() + Duration::from_secs(60);
        for trip in 0..WARM_UP + round_trips {
            if Instant::now() >= deadline {
                break;
            }
            let began = Instant::now();
            let came_back = client_trip(began + TRIP_TIMEOUT);
            let took = began.elapsed();
            if trip < WARM_UP {
                continue;
            }
            if came_back {
                samples.push(took);
            } else {
                lost += 1;
            }
        }
        stop.store(true, Ordering::Release);
        Trips { samples, lost }
    })
}

/// Ping-pong RTT with non-blocking std sockets, both sides spinning.
pub fn std_ping_pong(settings: &Settings) -> Rtt {
    std_ping_pong_trips(settings.round_trips).rtt()
}

/// [`std_ping_pong`] of `round_trips` round trips, as samples.
pub fn std_ping_pong_trips(round_trips: usize) -> Trips {
    let client = std_socket();
    let server = std_socket();
    client.set_nonblocking(true).expect("non-blocking");
    server.set_nonblocking(true).expect("non-blocking");
    let to = server.local_addr().expect("local address");
    let payload = [0xA5; PAYLOAD];
    let trip = |give_up_at: Instant| {
        let mut buffer = [0u8; 2048];
        if client.send_to(&payload, to).is_err() {
            return false;
        }
        while Instant::now() < give_up_at {
            if client.recv_from(&mut buffer).is_ok() {
                return true;
            }
        }
        false
    };
    let echo = |stop: &AtomicBool| {
        let mut buffer = [0u8; 2048];
        while !stop.load(Ordering::Acquire) {
            if let Ok((len, from)) = server.recv_from(&mut buffer) {
                let _ = server.send_to(&buffer[..len], from);
            }
        }
    };
    ping_pong(round_trips, trip, echo)
}

/// Ping-pong RTT with [`PortSocket`], both sides spinning and sending batches of one.
///
/// `recv_capacity` is the receive batch size on both sides: with more than one slot, every
/// successful receive also asks the kernel for a next datagram that is not there, which is
/// what draining a socket costs and what a transport polling once per frame wants; with one,
/// a receive stops at the first datagram, like `recv_from`.
pub fn batched_ping_pong(settings: &Settings, recv_capacity: usize) -> Rtt {
    let client = port_socket();
    let server = port_socket();
    let to = server.local_addr();
    let payload = [0xA5; PAYLOAD];
    let mut client_send = SendBatch::new(1, PAYLOAD);
    let mut client_recv = RecvBatch::new(recv_capacity, 2048);
    let trip = |give_up_at: Instant| {
        let _ = client_send.push(to, &payload);
        if client.send_batch(&mut client_send).unwrap_or(0) == 0 {
            client_send.clear();
            return false;
        }
        while Instant::now() < give_up_at {
            if client.recv_batch(&mut client_recv).unwrap_or(0) > 0 {
                return client_recv.iter().count() > 0;
            }
        }
        false
    };
    let echo = |stop: &AtomicBool| {
        let mut recv = RecvBatch::new(recv_capacity, 2048);
        let mut send = SendBatch::new(64, 2048);
        while !stop.load(Ordering::Acquire) {
            if server.recv_batch(&mut recv).unwrap_or(0) == 0 {
                continue;
            }
            for datagram in recv.iter() {
                let _ = send.push(datagram.from, datagram.bytes);
            }
            let _ = server.send_batch(&mut send);
            send.clear();
        }
    };
    ping_pong(settings.round_trips, trip, echo).rtt()
}

/// Per-datagram cost of the syscalls on one thread, free of the scheduling between a sender
/// and a receiver thread that the two-thread figures include.
#[derive(Debug, Clone, Copy)]
pub struct SyscallCost {
    /// Median time to hand one datagram to the OS, in nanoseconds.
    pub send_ns: f64,
    /// Median time to take one waiting datagram off the socket, in nanoseconds.
    pub recv_ns: f64,
}

impl SyscallCost {
    /// The two table rows of this measurement.
    pub fn rows(&self, name: &str, baseline: Option<&SyscallCost>) -> [Row; 2] {
        [
            Row {
                name: format!("send cost 64 B: {name}"),
                value: self.send_ns,
                unit: "ns/datagram",
                baseline: baseline.map(|b| b.send_ns),
                better: Better::Lower,
            },
            Row {
                name: format!("drain cost 64 B: {name}"),
                value: self.recv_ns,
                unit: "ns/datagram",
                baseline: baseline.map(|b| b.recv_ns),
                better: Better::Lower,
            },
        ]
    }
}

/// Datagrams per round of the single-thread cost measurement: far fewer than fit in a
/// [`BUFFER_SIZE`] receive buffer, so none is dropped.
const COST_ROUND: usize = 1_000;
/// Rounds of the single-thread cost measurement.
const COST_ROUNDS: usize = 40;

/// Times `COST_ROUNDS` rounds of: send [`COST_ROUND`] datagrams with `send`, then drain them
/// with `drain` (which returns how many it took), each phase timed on its own.
pub fn syscall_cost(mut send: impl FnMut(usize), mut drain: impl FnMut() -> usize) -> SyscallCost {
    let mut send_ns = Vec::with_capacity(COST_ROUNDS);
    let mut recv_ns = Vec::with_capacity(COST_ROUNDS);
    let deadline = Instant::now() + Duration::from_secs(30);
    for _ in 0..COST_ROUNDS {
        if Instant::now() >= deadline {
            break;
        }
        let began = Instant::now();
        send(COST_ROUND);
        send_ns.push(began.elapsed().as_secs_f64() * 1e9 / COST_ROUND as f64);
        let began = Instant::now();
        let drained = drain();
        if drained > 0 {
            recv_ns.push(began.elapsed().as_secs_f64() * 1e9 / drained as f64);
        }
    }
    let median = |mut v: Vec<f64>| {
        v.sort_unstable_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
    };
    SyscallCost { send_ns: median(send_ns), recv_ns: median(recv_ns) }
}

/// Per-datagram syscall cost of std `send_to` and of a `recv_from` loop until WouldBlock.
pub fn std_syscall_cost() -> SyscallCost {
    let sender = std_socket();
    let receiver = std_socket();
    receiver.set_nonblocking(true).expect("non-blocking");
    let to = receiver.local_addr().expect("local address");
    let payload = [0x5A; PAYLOAD];
    let send = |count: usize| {
        for _ in 0..count {
            let _ = sender.send_to(&payload, to);
        }
    };
    let drain = || {
        let mut buffer = [0u8; 2048];
        let mut drained = 0;
        while drained < 10 * COST_ROUND && receiver.recv_from(&mut buffer).is_ok() {
            drained += 1;
        }
        drained
    };
    syscall_cost(send, drain)
}

/// Per-datagram syscall cost of [`PortSocket`]: `sendmmsg` and `recvmmsg` 64 at a time.
pub fn batched_syscall_cost() -> SyscallCost {
    let sender = port_socket();
    let receiver = port_socket();
    let to = receiver.local_addr();
    let payload = [0x5A; PAYLOAD];
    let mut send_batch = SendBatch::new(64, PAYLOAD);
    let mut recv_batch = RecvBatch::new(64, 2048);
    let send = |count: usize| {
        let mut queued = 0;
        while queued < count {
            while queued < count && send_batch.push(to, &payload).is_ok() {
                queued += 1;
            }
            // A loopback send never waits for room in a receive buffer, so this ends.
            for _ in 0..1_000 {
                if send_batch.is_empty() {
                    break;
                }
                let _ = sender.send_batch(&mut send_batch);
            }
            send_batch.clear();
        }
    };
    let drain = || {
        let mut drained = 0;
        while drained < 10 * COST_ROUND {
            if receiver.recv_batch(&mut recv_batch).unwrap_or(0) == 0 {
                break;
            }
            drained += recv_batch.iter().count();
        }
        drained
    };
    syscall_cost(send, drain)
}
