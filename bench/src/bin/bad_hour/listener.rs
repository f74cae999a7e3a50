//! The listener: an unconditioned UDP listener on 127.0.0.1, run as a dedicated server
//! would be (Bevy's single-threaded executor, 60 Hz frames) on a thread of its own, so that
//! thread's CPU time is the listener's alone. It reads every message, checks per peer that
//! none is missing, doubled or out of order, and keeps each one's latency (send → read).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use bevy::ecs::schedule::SingleThreadedExecutor;
use bevy::prelude::*;
use stardust::prelude::*;

use crate::payload::{Data, decode};
use crate::thread_cpu::thread_cpu;

/// Frames per second of the listener, a game server's tick.
pub const HZ: f64 = 60.0;

/// What the listener saw while measuring.
#[derive(Debug, Default)]
pub struct Heard {
    /// Latency of every message read while measuring, in microseconds.
    pub latencies_us: Vec<u32>,
    /// Messages read out of order, twice or malformed (must stay 0).
    pub out_of_order: u64,
    /// The listener thread's CPU time while measuring (until `end_measure`).
    pub cpu: Duration,
    /// Wall time while measuring (until `end_measure`).
    pub wall: Duration,
    /// Accepted peers connected when measuring ended.
    pub connected_at_end: usize,
    /// Accepted peers that disconnected while measuring.
    pub disconnects: u64,
}

/// The listener's readings, a resource of its App.
#[derive(Resource)]
struct Reading {
    epoch: Instant,
    /// Messages read in order so far, shared with the bench's main thread.
    delivered: Arc<AtomicU64>,
    measuring: bool,
    heard: Heard,
    next: HashMap<Entity, u64>,
}

fn read(reader: ChannelReader<Data>, mut reading: ResMut<Reading>) {
    let now = Instant::now();
    let reading = &mut *reading;
    for (peer, bytes) in reader.read() {
        let expected = reading.next.entry(peer).or_insert(0);
        let Some((seq, sent)) = decode(bytes, reading.epoch).filter(|&(seq, _)| seq == *expected)
        else {
            reading.heard.out_of_order += 1;
            continue;
        };
        *expected = seq + 1;
        reading.delivered.fetch_add(1, Ordering::Relaxed);
        if reading.measuring {
            let latency = now.saturating_duration_since(sent).as_micros();
            reading.heard.latencies_us.push(latency.min(u128::from(u32::MAX)) as u32);
        }
    }
}

fn count_disconnects(mut left: MessageReader<PeerDisconnected>, mut reading: ResMut<Reading>) {
    let count = left.read().count() as u64;
    if reading.measuring {
        reading.heard.disconnects += count;
    }
}

/// A running listener thread.
pub struct Listener {
    /// Where peers connect.
    pub addr: SocketAddr,
    measuring: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    delivered: Arc<AtomicU64>,
    thread: JoinHandle<Heard>,
}

impl Listener {
    /// Starts the listener with `peers` of room on 4 peer ports; `epoch` is the clock the
    /// payloads' send times count from. `Err` if its sockets cannot be bound.
    pub fn start(peers: usize, epoch: Instant) -> Result<Self, String> {
        let measuring = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let (addr_tx, addr_rx) = mpsc::channel();
        let delivered = Arc::new(AtomicU64::new(0));
        let flags = (Arc::clone(&measuring), Arc::clone(&stop));
        let shared = Arc::clone(&delivered);
        let thread = thread::spawn(move || run(peers, epoch, shared, flags, addr_tx));
        let addr = addr_rx
            .recv_timeout(Duration::from_secs(10))
            .map_err(|_| "the listener thread did not start".to_string())??;
        Ok(Self { addr, measuring, stop, delivered, thread })
    }

    /// Starts measuring (from the listener's next frame): CPU and wall time until
    /// [`end_measure`](Self::end_measure), latencies of every message read until
    /// [`finish`](Self::finish).
    pub fn measure(&self) {
        self.measuring.store(true, Ordering::Relaxed);
    }

    /// Stops the CPU and wall clocks (from the listener's next frame); latencies are still
    /// kept, for the messages still on their way.
    pub fn end_measure(&self) {
        self.measuring.store(false, Ordering::Relaxed);
    }

    /// Messages read in order so far.
    pub fn delivered(&self) -> u64 {
        self.delivered.load(Ordering::Relaxed)
    }

    /// Stops the listener and returns what it measured.
    pub fn finish(self) -> Result<Heard, String> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().map_err(|_| "the listener thread panicked".to_string())
    }
}

fn listener_app(peers: usize, epoch: Instant, delivered: Arc<AtomicU64>) -> App {
    let mut config = UdpConfig::loopback(4);
    config.max_peers = peers;
    // Every port on this thread, so its CPU time is the whole listener's (at these loads a
    // phase is far below `parallel_min_work` anyway).
    config.parallel_min_peers = usize::MAX;
    let mut app = App::new();
    app.add_plugins((StardustPlugin, UdpPlugin::new(config)));
    app.add_channel::<Data>();
    app.insert_resource(Reading {
        epoch,
        delivered,
        measuring: false,
        heard: Heard::default(),
        next: HashMap::new(),
    });
    app.add_systems(Update, (read, count_disconnects));
    for (_, schedule) in app.world_mut().resource_mut::<Schedules>().iter_mut() {
        schedule.set_executor(SingleThreadedExecutor::new());
    }
    app
}

fn run(
    peers: usize,
    epoch: Instant,
    delivered: Arc<AtomicU64>,
    (measuring, stop): (Arc<AtomicBool>, Arc<AtomicBool>),
    addr_tx: mpsc::Sender<Result<SocketAddr, String>>,
) -> Heard {
    let mut app = listener_app(peers, epoch, delivered);
    let addr = app.world().get_resource::<UdpTransport>().and_then(UdpTransport::listen_addr);
    let _ = addr_tx.send(addr.ok_or_else(|| "the listener could not bind".to_string()));
    let period = Duration::from_secs_f64(1.0 / HZ);
    let mut next = Instant::now();
    let mut started: Option<(Instant, Duration)> = None;
    let mut clocks = None;
    while !stop.load(Ordering::Relaxed) {
        let on = measuring.load(Ordering::Relaxed);
        match started {
            None if on => {
                app.world_mut().resource_mut::<Reading>().measuring = true;
                started = Some((Instant::now(), thread_cpu().unwrap_or_default()));
            }
            Some((wall, cpu)) if !on && clocks.is_none() => {
                let spent = thread_cpu().unwrap_or_default().saturating_sub(cpu);
                clocks = Some((wall.elapsed(), spent));
            }
            _ => {}
        }
        app.update();
        next += period;
        match next.checked_duration_since(Instant::now()) {
            Some(left) => thread::sleep(left),
            None => next = Instant::now(),
        }
    }
    let mut query = app.world_mut().query::<&PeerState>();
    let connected = query.iter(app.world()).filter(|state| state.is_connected()).count();
    let mut heard = std::mem::take(&mut app.world_mut().resource_mut::<Reading>().heard);
    if let Some((wall, cpu)) = clocks {
        (heard.wall, heard.cpu) = (wall, cpu);
    }
    heard.connected_at_end = connected;
    heard
}
