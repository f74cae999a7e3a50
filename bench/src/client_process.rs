//! The connecting side of the many-peer scenarios, run as a child process of the bench
//! (`bench --client ADDR PEERS RATE SECONDS SECURITY`, SECURITY being `secure` or `insecure`) so the listener's process does nothing else and
//! its CPU time and heap are the listener's alone.
//!
//! One App makes `PEERS` connections to `ADDR` (one client port each, as the transport
//! does for connections to the same listener), then, at a 60 Hz frame rate, sends `RATE`
//! 64-byte reliable-ordered messages per second on each for `SECONDS` (peers staggered
//! evenly over the send period), then keeps running a short while so the last resends and
//! acks complete. It reports on stdout, one line each:
//!
//! ```text
//! connected <peers connected>
//! done <messages sent> <peers still connected> <ms of CPU this process used>
//! ```
//!
//! then waits, connections open, until its stdin closes.

use std::io::Write;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bevy::prelude::*;
use stardust::prelude::*;

use crate::stardust_udp::{self, Data, Ticker, payload};

/// How long connecting may take before the child reports what it has.
const CONNECT_LIMIT: Duration = Duration::from_secs(60);
/// How long the child keeps running after sending, for resends and acks.
const LINGER: Duration = Duration::from_secs(2);

/// The sending schedule of every connection.
#[derive(Resource)]
struct Schedule {
    peers: Vec<Entity>,
    sent: Vec<u64>,
    rate: f64,
    start: Option<Instant>,
    until: Duration,
}

fn send_due(mut writer: ChannelWriter<Data>, mut schedule: ResMut<Schedule>) {
    let Some(start) = schedule.start else { return };
    let elapsed = start.elapsed().min(schedule.until).as_secs_f64();
    let schedule = &mut *schedule;
    let count = schedule.peers.len() as f64;
    for (index, (&peer, sent)) in schedule.peers.iter().zip(&mut schedule.sent).enumerate() {
        let due = (elapsed * schedule.rate + index as f64 / count) as u64;
        while *sent < due {
            if writer.send(peer, payload(*sent)).is_err() {
                break;
            }
            *sent += 1;
        }
    }
}

/// Runs the child role with its arguments (after `--client`); returns the exit code.
pub fn main(args: &[String]) -> i32 {
    let parsed = (|| -> Option<(SocketAddr, usize, f64, f64, UdpSecurity)> {
        Some((
            args.first()?.parse().ok()?,
            args.get(1)?.parse().ok()?,
            args.get(2)?.parse().ok()?,
            args.get(3)?.parse().ok()?,
            stardust_udp::security_named(args.get(4)?)?,
        ))
    })();
    let Some((addr, peers, rate, seconds, security)) = parsed else {
        eprintln!("usage: bench --client ADDR PEERS RATE SECONDS secure|insecure");
        return 2;
    };
    let mut app = stardust_udp::connector(security);
    let entities: Vec<Entity> = (0..peers).map(|_| app.world_mut().connect_udp(addr)).collect();
    stardust_udp::tick_until(&mut app, CONNECT_LIMIT, |app| {
        stardust_udp::connected(app, &entities) == peers
    });
    report(&format!("connected {}", stardust_udp::connected(&app, &entities)));

    let until = Duration::from_secs_f64(seconds.clamp(0.0, 600.0));
    app.insert_resource(Schedule {
        sent: vec![0; entities.len()],
        peers: entities.clone(),
        rate,
        start: Some(Instant::now()),
        until,
    });
    app.add_systems(Update, send_due);
    let mut ticker = Ticker::new(60.0);
    let start = Instant::now();
    while start.elapsed() < until + LINGER {
        app.update();
        ticker.wait();
    }
    let sent: u64 = app.world().resource::<Schedule>().sent.iter().sum();
    let still = stardust_udp::connected(&app, &entities);
    let cpu = stardust_udp::process_cpu().unwrap_or_default();
    report(&format!("done {sent} {still} {}", cpu.as_millis()));
    // Stay (and keep the connections open) until the bench has counted on its side: it
    // closes our stdin, or exits, either of which ends this read.
    let _ = std::io::stdin().read_line(&mut String::new());
    0
}

fn report(line: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{line}");
    let _ = stdout.flush();
}
