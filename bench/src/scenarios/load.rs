//! Many peers on one listener: the listener runs in this process at a 60 Hz frame rate, the
//! connecting side in a child process (see `client_process.rs`), so this process's CPU time
//! (every thread: the frame loop and Bevy's task pool, which runs the peer ports in
//! parallel) and its live heap are the listener's alone.
//!
//! Timeline: warm up the listener, note live heap bytes, start the child, tick until it
//! reports its connections made, note live heap again (→ bytes per peer; idle runs idle
//! 2.5 s first, past a keep-alive), then time `seconds` of frames while the child sends (→ CPU per
//! peer-second), then tick until the child reports what it sent, and compare with what was
//! read here.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use stardust::prelude::ProtocolHash;
use stardust::proto::EndpointStats;
use stardust::udp::{UdpSecurity, UdpTransport};

use super::flood;
use crate::alloc_count;
use crate::stardust_udp::{self, Received, Ticker};

/// Peer ports of the listener.
const PORTS: usize = 4;
/// How long idle peers idle before the heap is read: past one keep-alive interval (1 s).
const IDLE_FOR: Duration = Duration::from_millis(2500);

/// The outcome of one many-peer run.
#[derive(Debug, Clone, Default)]
pub struct Load {
    /// Connections asked for.
    pub peers: usize,
    /// Connections the child had made when it started sending.
    pub connected: usize,
    /// How long connecting every peer took.
    pub connect_time: Duration,
    /// Live heap bytes of the listener per connected peer, before any message.
    pub heap_per_peer: f64,
    /// Listener CPU time (all threads) during the timed part.
    pub cpu: Duration,
    /// Wall time of the timed part.
    pub measured: Duration,
    /// Messages the child sent, in all.
    pub sent: u64,
    /// Messages the listener read, in all.
    pub received: u64,
    /// Messages read out of order or twice (must be 0).
    pub out_of_order: u64,
    /// Peers connected at the end, on the listener and in the child.
    pub connected_at_end: (usize, usize),
    /// CPU time of the child (the connecting side), for the record.
    pub child_cpu: Duration,
    /// With a flood of spoofed requests during the timed part: what it saw.
    pub flood: Option<Flooded>,
}

/// A flood during the timed part, and what the listener made of it.
#[derive(Debug, Clone, Default)]
pub struct Flooded {
    /// What the flood thread sent and got back.
    pub sent: flood::Sent,
    /// The genuine client that connected meanwhile.
    pub genuine: flood::Genuine,
    /// The listen port's counters over the timed part.
    pub endpoint: EndpointStats,
}

impl Load {
    /// Listener CPU milliseconds per peer-second of the timed part.
    pub fn cpu_ms_per_peer_second(&self) -> f64 {
        let peer_seconds = self.connected.max(1) as f64 * self.measured.as_secs_f64();
        self.cpu.as_secs_f64() * 1e3 / peer_seconds.max(f64::MIN_POSITIVE)
    }

    /// Spoofed requests the listen port answered per second of the timed part.
    pub fn absorbed_per_sec(&self) -> f64 {
        let answered = self.flood.as_ref().map_or(0, |f| f.endpoint.retries);
        answered as f64 / self.measured.as_secs_f64().max(f64::MIN_POSITIVE)
    }

    /// Share of one core the listener used during the timed part, in percent.
    pub fn cpu_percent(&self) -> f64 {
        self.cpu.as_secs_f64() * 100.0 / self.measured.as_secs_f64().max(f64::MIN_POSITIVE)
    }

    /// Whether every peer connected and stayed, and every message arrived once, in order.
    pub fn intact(&self) -> bool {
        // (A flood's genuine client has left by the end: it is not counted.)
        self.connected == self.peers
            && self.connected_at_end == (self.peers, self.peers)
            && self.sent == self.received
            && self.out_of_order == 0
    }
}

/// Kills the child if the bench leaves early, so no process outlives the run.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        // Closing stdin lets a finished child exit on its own; give it a moment.
        drop(self.0.stdin.take());
        for _ in 0..50 {
            if matches!(self.0.try_wait(), Ok(Some(_))) {
                return;
            }
            thread::sleep(Duration::from_millis(20));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `peers` connections each sending `rate` messages per second for `seconds` (0 = idle).
/// `Err` says what went wrong starting the child.
/// `server` sets the listener up as a dedicated server (see
/// [`stardust_udp::server_listener`]); otherwise it is a default App.
/// Both sides are `security`. With `flood`, spoofed requests arrive during the timed part (at
/// that many per second, or as fast as a socket sends them for `Some(None)`) and a genuine
/// client connects meanwhile (see `flood.rs`); the CPU of the threads doing that is not
/// counted as the listener's.
pub fn run(
    peers: usize,
    rate: f64,
    seconds: f64,
    server: bool,
    security: UdpSecurity,
    flood: Option<Option<f64>>,
) -> Result<Load, String> {
    // Room for the genuine client of a flood.
    let max_peers = peers + usize::from(flood.is_some());
    let mut listener = if server {
        stardust_udp::server_listener(PORTS, max_peers, security)
    } else {
        stardust_udp::listener(PORTS, max_peers, security)
    };
    let addr = stardust_udp::listen_addr(&listener);
    for _ in 0..10 {
        listener.update();
    }
    let heap_before = alloc_count::live_bytes();

    let sending = if seconds > 0.0 { seconds + 1.0 } else { 0.0 };
    let exe = std::env::current_exe().map_err(|e| format!("cannot find the bench binary: {e}"))?;
    let child = Command::new(exe)
        .args(["--client", &addr.to_string(), &peers.to_string()])
        // The child sends a second longer than the timed part here, so every timed frame
        // sees the full load whatever the lag between its clock and ours.
        .args([rate.to_string(), sending.to_string()])
        .arg(stardust_udp::security_name(security))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start the client process: {e}"))?;
    let mut child = ChildGuard(child);
    let stdout = child.0.stdout.take().ok_or("the client process has no stdout")?;
    let (lines_tx, lines) = mpsc::channel::<String>();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut load = Load { peers, ..Load::default() };
    let next_line = |listener: &mut bevy::app::App, prefix: &str, limit: Duration| {
        let mut found = None;
        stardust_udp::tick_until(listener, limit, |_| {
            while let Ok(line) = lines.try_recv() {
                if let Some(rest) = line.strip_prefix(prefix) {
                    found = Some(rest.split_whitespace().map(str::to_owned).collect::<Vec<_>>());
                }
            }
            found.is_some()
        });
        found
    };

    let start = Instant::now();
    let connected = next_line(&mut listener, "connected", Duration::from_secs(90))
        .ok_or("the client process never reported its connections")?;
    load.connect_time = start.elapsed();
    load.connected = connected.first().and_then(|n| n.parse().ok()).unwrap_or(0);
    if seconds <= 0.0 {
        // Idle: run IDLE_FOR at 60 Hz before reading the heap, so every peer is in the state
        // it idles in (accepts settled, a keep-alive exchanged each way, proven).
        let idle = Instant::now();
        let mut ticker = Ticker::new(60.0);
        while idle.elapsed() < IDLE_FOR {
            listener.update();
            ticker.wait();
        }
    }
    load.heap_per_peer =
        (alloc_count::live_bytes() - heap_before) as f64 / load.connected.max(1) as f64;

    let endpoint_before = endpoint_stats(&listener);
    let flooding = flood.map(|rate| {
        let hash = listener.world().get_resource::<ProtocolHash>().map_or(0, |hash| hash.0);
        flood::start(addr, hash, rate)
    });
    let cpu_before = stardust_udp::process_cpu().unwrap_or_default();
    let timed = Instant::now();
    let mut ticker = Ticker::new(60.0);
    while timed.elapsed().as_secs_f64() < seconds {
        listener.update();
        ticker.wait();
    }
    load.measured = timed.elapsed();
    let flooded = flooding.map(flood::Running::stop);
    load.cpu = stardust_udp::process_cpu().unwrap_or_default().saturating_sub(cpu_before);
    if let Some((sent, genuine)) = flooded {
        load.cpu = load.cpu.saturating_sub(sent.cpu + genuine.cpu);
        let endpoint = difference(endpoint_stats(&listener), endpoint_before);
        load.flood = Some(Flooded { sent, genuine, endpoint });
    }

    let done = next_line(&mut listener, "done", Duration::from_secs(30))
        .ok_or("the client process never reported what it sent")?;
    // A few more frames for whatever was still on its way.
    for _ in 0..30 {
        listener.update();
        thread::sleep(Duration::from_millis(5));
    }
    let field = |i: usize| done.get(i).and_then(|n| n.parse::<u64>().ok()).unwrap_or(0);
    load.sent = field(0);
    load.child_cpu = Duration::from_millis(field(2));
    let received = listener.world().resource::<Received>();
    load.received = received.count.load(Ordering::Relaxed);
    load.out_of_order = received.out_of_order;
    load.connected_at_end = (stardust_udp::connected_peers(&mut listener), field(1) as usize);
    drop(child);
    Ok(load)
}

fn endpoint_stats(listener: &bevy::app::App) -> EndpointStats {
    let transport = listener.world().get_resource::<UdpTransport>();
    transport.and_then(UdpTransport::endpoint_stats).unwrap_or_default()
}

/// The counters that moved between `before` and `after` (the drop counts are left out).
fn difference(after: EndpointStats, before: EndpointStats) -> EndpointStats {
    let mut moved = EndpointStats {
        accepted: after.accepted - before.accepted,
        rejected: after.rejected - before.rejected,
        duplicates: after.duplicates - before.duplicates,
        retries: after.retries - before.retries,
        handshakes: after.handshakes - before.handshakes,
        ..EndpointStats::default()
    };
    moved.zero.sent = after.zero.sent - before.zero.sent;
    moved.zero.received = after.zero.received - before.zero.received;
    moved
}
