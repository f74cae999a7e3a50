//! The bad hour: how a listener and its peers fare through loss, latency and jitter.
//!
//! ```text
//! cargo run --release -p stardust_bench --bin bad_hour
//! cargo run --release -p stardust_bench --bin bad_hour -- --peers 32 --seconds 5 --rate 30
//! ```
//!
//! In one process: an unconditioned UDP listener (4 peer ports, secure, run as a dedicated
//! server: single-threaded executor, 60 Hz, every port on its own thread so that thread's CPU
//! time is the listener's) and one App with `--peers` connections to it (default 64), whose
//! network conditioner applies the row's conditions both ways (so every datagram meets them
//! once, seeded), running at 200 frames/s. Each peer sends `--rate` reliable-ordered 64-byte
//! messages per second (default 20) for `--seconds` (default 10), each stamped with its send
//! time; the listener reads each one and keeps its latency (send → read: the wait for the
//! listener's next 60 Hz frame included, 8 ms on average, and the conditioner's delays rounded
//! up to the peers' 5 ms frames).
//!
//! Rows, in one run: the baseline (no conditioner), then 0 %, 5 % and 20 % loss, each with
//! 50 ms of latency and ± 10 ms of jitter. Per row: delivery latency p50 and p99, messages per
//! second delivered, the listener's CPU per peer-second (its thread's CPU time over the send
//! window / peers / seconds), disconnects, and whether every message arrived once and in
//! order. Every loop is bounded in count and time; a whole run takes about 70 s.

mod listener;
mod payload;
mod peers;
#[path = "../../thread_cpu.rs"]
mod thread_cpu;

use std::process::ExitCode;
use std::time::{Duration, Instant};

use stardust::prelude::Conditions;

use self::listener::{Heard, Listener};
use self::peers::{HZ, Peers};

/// Longest wait for every peer to connect.
const CONNECT_LIMIT: Duration = Duration::from_secs(30);
/// Frames run after connecting, before measuring.
const WARMUP: Duration = Duration::from_secs(1);
/// Longest wait, after sending stops, for the last resends to land (a message lost several
/// times waits out several backed-off resend timeouts).
const DRAIN_LIMIT: Duration = Duration::from_secs(20);
/// The conditioner's seed (any value: fixed so runs repeat their decisions).
const SEED: u64 = 0xBAD_0040;

/// What the command line sets.
struct Settings {
    peers: usize,
    rate: f64,
    seconds: f64,
}

fn parse() -> Result<Settings, String> {
    let mut settings = Settings { peers: 64, rate: 20.0, seconds: 10.0 };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number: f64 = value.parse().map_err(|_| format!("{flag} expects a number"))?;
        if !(number.is_finite() && number > 0.0) {
            return Err(format!("{flag} must be above 0"));
        }
        match flag.as_str() {
            "--peers" => settings.peers = (number as usize).clamp(1, 1024),
            "--rate" => settings.rate = number.min(1000.0),
            "--seconds" => settings.seconds = number.min(120.0),
            other => {
                return Err(format!("unknown argument `{other}` (--peers, --rate, --seconds)"));
            }
        }
    }
    Ok(settings)
}

/// One row: a name and the conditions the peers' side applies both ways.
struct Row {
    name: &'static str,
    conditions: Conditions,
}

fn rows() -> Vec<Row> {
    let bad = |loss| Conditions {
        loss,
        latency: Duration::from_millis(50),
        jitter: Duration::from_millis(10),
        ..Conditions::default()
    };
    vec![
        Row { name: "baseline: no conditioner", conditions: Conditions::default() },
        Row { name: "0 % loss, 50 ± 10 ms", conditions: bad(0.0) },
        Row { name: "5 % loss, 50 ± 10 ms", conditions: bad(0.05) },
        Row { name: "20 % loss, 50 ± 10 ms", conditions: bad(0.20) },
    ]
}

/// What one row measured.
struct Outcome {
    heard: Heard,
    sent: u64,
    peers: usize,
    connected: usize,
    connect_time: Duration,
    /// Datagrams the conditioner dropped, of those it saw.
    dropped: (u64, u64),
}

impl Outcome {
    fn percentile_ms(&self, pct: usize) -> f64 {
        let sorted = &self.heard.latencies_us;
        if sorted.is_empty() {
            return f64::NAN;
        }
        let index = (sorted.len() * pct / 100).min(sorted.len() - 1);
        f64::from(sorted[index]) / 1e3
    }

    fn msgs_per_second(&self) -> f64 {
        self.heard.latencies_us.len() as f64 / self.heard.wall.as_secs_f64().max(f64::MIN_POSITIVE)
    }

    fn cpu_ms_per_peer_second(&self) -> f64 {
        let peer_seconds = self.connected.max(1) as f64 * self.heard.wall.as_secs_f64();
        self.heard.cpu.as_secs_f64() * 1e3 / peer_seconds.max(f64::MIN_POSITIVE)
    }

    fn disconnects(&self) -> usize {
        self.peers - self.connected.min(self.heard.connected_at_end)
    }

    fn intact(&self) -> bool {
        self.heard.latencies_us.len() as u64 == self.sent
            && self.heard.out_of_order == 0
            && self.disconnects() == 0
    }
}

fn run_row(row: &Row, settings: &Settings) -> Result<Outcome, String> {
    let epoch = Instant::now();
    let listener = Listener::start(settings.peers, epoch)?;
    let mut peers =
        Peers::connect(listener.addr, settings.peers, row.conditions, SEED, settings.rate, epoch);
    let start = Instant::now();
    while peers.connected() < settings.peers && start.elapsed() < CONNECT_LIMIT {
        peers.frame();
    }
    let connect_time = start.elapsed();
    run_frames(&mut peers, WARMUP);
    let send_for = Duration::from_secs_f64(settings.seconds);
    listener.measure();
    peers.send_for(send_for);
    run_frames(&mut peers, send_for);
    listener.end_measure();
    let drain = Instant::now();
    while listener.delivered() < peers.sent() && drain.elapsed() < DRAIN_LIMIT {
        peers.frame();
    }
    // Late duplicates, if any, would show now.
    run_frames(&mut peers, Duration::from_millis(200));
    let connected = peers.connected();
    let mut heard = listener.finish()?;
    heard.latencies_us.sort_unstable();
    let dropped = peers.conditioner_drops();
    Ok(Outcome {
        heard,
        sent: peers.sent(),
        peers: settings.peers,
        connected,
        connect_time,
        dropped,
    })
}

/// Runs the peers' frames for `length` (at most `length × HZ` frames and a second more).
fn run_frames(peers: &mut Peers, length: Duration) {
    let start = Instant::now();
    let frames = (length.as_secs_f64() * HZ).ceil() as usize;
    for _ in 0..frames {
        if start.elapsed() > length + Duration::from_secs(1) {
            break;
        }
        peers.frame();
    }
}

fn main() -> ExitCode {
    let settings = match parse() {
        Ok(settings) => settings,
        Err(problem) => {
            eprintln!("error: {problem}");
            return ExitCode::from(2);
        }
    };
    println!(
        "the bad hour: {} peers × {} reliable msgs/s for {} s per row, 64-byte payloads, secure",
        settings.peers, settings.rate, settings.seconds
    );
    println!(
        "| conditions (each way) | latency p50 | latency p99 | msgs/s | listener CPU / peer-s | \
         disconnects | delivered | dropped by conditioner |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let mut all_intact = true;
    for row in rows() {
        let outcome = match run_row(&row, &settings) {
            Ok(outcome) => outcome,
            Err(problem) => {
                eprintln!("error: {}: {problem}", row.name);
                return ExitCode::FAILURE;
            }
        };
        all_intact &= outcome.intact();
        let (dropped, seen) = outcome.dropped;
        println!(
            "| {} | {:.1} ms | {:.1} ms | {:.0} | {:.3} ms | {} | {}/{}{} | {:.1} % of {} |",
            row.name,
            outcome.percentile_ms(50),
            outcome.percentile_ms(99),
            outcome.msgs_per_second(),
            outcome.cpu_ms_per_peer_second(),
            outcome.disconnects(),
            outcome.heard.latencies_us.len(),
            outcome.sent,
            if outcome.heard.out_of_order > 0 { " (out of order!)" } else { "" },
            dropped as f64 * 100.0 / seen.max(1) as f64,
            seen,
        );
        eprintln!(
            "  ({}: {} of {} peers connected in {:.0} ms)",
            row.name,
            outcome.connected,
            outcome.peers,
            outcome.connect_time.as_secs_f64() * 1e3
        );
    }
    if all_intact {
        println!("every message arrived once, in order, in every row; no peer disconnected");
        ExitCode::SUCCESS
    } else {
        println!("FAILED: a row lost, duplicated or reordered messages, or a peer disconnected");
        ExitCode::FAILURE
    }
}
