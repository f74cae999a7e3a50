//! Reliable-ordered throughput: one App connects `peers` times to a listener App with
//! `ports` peer ports and streams 64-byte messages to it as fast as they are taken.
//!
//! Each App runs in its own thread, busy-polling `app.update()`. The sender keeps at most
//! `window` messages sent but not yet read by the receiver (a shared counter), so queues stay
//! bounded and the figure is the sustained rate, not a burst into buffers. After the timed
//! part the sender stops and both sides run until every message has been read, or a time
//! limit passes; the result says how many were lost or reordered and whether every
//! connection survived.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use bevy::prelude::*;
use stardust::prelude::*;

use crate::stardust_udp::{self, Data, Received, payload};

/// Most messages queued per peer in one frame, so one frame never grows without bound.
const FRAME_CAP: u64 = 4_096;
/// How long connecting may take.
const CONNECT_LIMIT: Duration = Duration::from_secs(10);
/// How long the unmeasured start of the stream runs.
const WARM_UP: Duration = Duration::from_millis(300);
/// How long the tail may take to arrive after sending stopped.
const DRAIN_LIMIT: Duration = Duration::from_secs(5);

/// The outcome of one stream.
#[derive(Debug, Clone, Copy)]
pub struct Stream {
    /// Messages read by the receiver per second of the timed part.
    pub per_sec: f64,
    /// Messages sent in all (warm-up, timed part).
    pub sent: u64,
    /// Messages read in all; equals `sent` when nothing was lost.
    pub received: u64,
    /// Messages read out of order or twice (must be 0).
    pub out_of_order: u64,
    /// Connections still connected at the end, on the sender's side and the receiver's.
    pub connected_at_end: (usize, usize),
    /// Connections made.
    pub peers: usize,
}

impl Stream {
    /// Whether every message arrived once, in order, and no connection dropped.
    pub fn intact(&self) -> bool {
        self.sent == self.received
            && self.out_of_order == 0
            && self.connected_at_end == (self.peers, self.peers)
    }
}

/// The sender's pacing state.
#[derive(Resource)]
struct Plan {
    peers: Vec<Entity>,
    next_seq: Vec<u64>,
    sent: Arc<AtomicU64>,
    received: Arc<AtomicU64>,
    sending: Arc<AtomicBool>,
    window: u64,
    cursor: usize,
}

fn send_within_window(mut writer: ChannelWriter<Data>, mut plan: ResMut<Plan>) {
    let plan = &mut *plan;
    if !plan.sending.load(Ordering::Relaxed) || plan.peers.is_empty() {
        return;
    }
    let sent = plan.sent.load(Ordering::Relaxed);
    let in_flight = sent.saturating_sub(plan.received.load(Ordering::Relaxed));
    let budget = plan.window.saturating_sub(in_flight).min(FRAME_CAP * plan.peers.len() as u64);
    let mut queued = 0;
    // Round-robin from where the last frame stopped, so every peer gets its share.
    while queued < budget {
        let index = plan.cursor % plan.peers.len();
        plan.cursor = plan.cursor.wrapping_add(1);
        if writer.send(plan.peers[index], payload(plan.next_seq[index])).is_err() {
            break;
        }
        plan.next_seq[index] += 1;
        queued += 1;
    }
    plan.sent.fetch_add(queued, Ordering::Relaxed);
}

/// Streams for `measure` from `peers` connections to a listener with `ports` peer ports,
/// keeping at most `window` messages unread, both sides `security`. `None` if the
/// connections could not be made.
pub fn run(
    ports: usize,
    peers: usize,
    window: u64,
    measure: Duration,
    security: UdpSecurity,
) -> Option<Stream> {
    let stop = Arc::new(AtomicBool::new(false));
    let (addr_tx, addr_rx) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel();
    let received = Arc::new(AtomicU64::new(0));
    let receiver = {
        let (stop, received) = (stop.clone(), received.clone());
        thread::spawn(move || {
            let mut app = stardust_udp::listener(ports, peers.max(1), security);
            app.world_mut().resource_mut::<Received>().count = received;
            let _ = addr_tx.send(stardust_udp::listen_addr(&app));
            // Bounded by the sender's stop signal, and by a hard limit should it never come.
            let start = Instant::now();
            while !stop.load(Ordering::Relaxed) && start.elapsed() < Duration::from_secs(120) {
                app.update();
            }
            let out_of_order = app.world().resource::<Received>().out_of_order;
            // Reported before the sender's App closes its connections.
            let _ = done_tx.send((out_of_order, stardust_udp::connected_peers(&mut app)));
        })
    };
    let addr = addr_rx.recv().ok()?;
    let sender = {
        let (stop, received) = (stop.clone(), received.clone());
        thread::spawn(move || {
            let mut app = stardust_udp::connector(security);
            let result = send_side(&mut app, addr, peers, window, measure, &received, &stop);
            stop.store(true, Ordering::Relaxed);
            // Keep this App (and its connections) alive until the receiver has counted.
            let receiver_side = done_rx.recv_timeout(Duration::from_secs(10)).ok();
            (result, receiver_side)
        })
    };
    let (sent_side, receiver_side) = sender.join().ok()?;
    stop.store(true, Ordering::Relaxed);
    receiver.join().ok()?;
    let (out_of_order, receiver_connected) = receiver_side?;
    let (per_sec, sent, sender_connected) = sent_side?;
    Some(Stream {
        per_sec,
        sent,
        received: received.load(Ordering::Relaxed),
        out_of_order,
        connected_at_end: (sender_connected, receiver_connected),
        peers,
    })
}

/// The sender thread: connects, streams, drains. Returns (rate, sent, still connected).
/// The caller drops `app` only after the receiver has counted.
fn send_side(
    app: &mut App,
    addr: std::net::SocketAddr,
    peers: usize,
    window: u64,
    measure: Duration,
    received: &Arc<AtomicU64>,
    stop: &AtomicBool,
) -> Option<(f64, u64, usize)> {
    let entities: Vec<Entity> = (0..peers).map(|_| app.world_mut().connect_udp(addr)).collect();
    let start = Instant::now();
    while stardust_udp::connected(app, &entities) < peers {
        if start.elapsed() > CONNECT_LIMIT {
            stop.store(true, Ordering::Relaxed);
            return None;
        }
        app.update();
        thread::sleep(Duration::from_micros(200));
    }
    let sent = Arc::new(AtomicU64::new(0));
    let sending = Arc::new(AtomicBool::new(true));
    app.insert_resource(Plan {
        next_seq: vec![0; peers],
        peers: entities.clone(),
        sent: sent.clone(),
        received: received.clone(),
        sending: sending.clone(),
        window,
        cursor: 0,
    });
    app.add_systems(Update, send_within_window);

    let warm_until = Instant::now() + WARM_UP;
    while Instant::now() < warm_until {
        app.update();
    }
    let (t0, r0) = (Instant::now(), received.load(Ordering::Relaxed));
    while t0.elapsed() < measure {
        app.update();
    }
    let (elapsed, r1) = (t0.elapsed(), received.load(Ordering::Relaxed));
    sending.store(false, Ordering::Relaxed);

    let total = sent.load(Ordering::Relaxed);
    let drain_start = Instant::now();
    while received.load(Ordering::Relaxed) < total && drain_start.elapsed() < DRAIN_LIMIT {
        app.update();
    }
    // A few more frames so the last acks are exchanged before the sockets close.
    for _ in 0..20 {
        app.update();
        thread::sleep(Duration::from_micros(500));
    }
    let still = stardust_udp::connected(app, &entities);
    Some(((r1 - r0) as f64 / elapsed.as_secs_f64(), total, still))
}
