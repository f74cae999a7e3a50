//! What every Stardust-over-UDP scenario shares: the channel, the payload, the Apps, the
//! receiving check and the CPU clock.
//!
//! Every payload is 64 bytes and starts with the sending peer's message number (little-endian
//! `u64`), so the receiver checks, per peer, that reliable-ordered delivery lost, duplicated
//! and reordered nothing.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bevy::prelude::*;
use bytes::Bytes;
use stardust::prelude::*;

use crate::raw_udp::PAYLOAD;

/// The one channel of every scenario: reliable, ordered.
#[derive(Channel)]
#[channel(reliable, ordered, id = 0x00BE02)]
pub struct Data;

/// The 64-byte payload of message number `seq`.
pub fn payload(seq: u64) -> Bytes {
    let mut bytes = [0u8; PAYLOAD];
    bytes[..8].copy_from_slice(&seq.to_le_bytes());
    Bytes::copy_from_slice(&bytes)
}

/// The message number a payload carries, if it is one of ours.
pub fn seq_of(payload: &[u8]) -> Option<u64> {
    let head: [u8; 8] = payload.get(..8)?.try_into().ok()?;
    (payload.len() == PAYLOAD).then(|| u64::from_le_bytes(head))
}

/// What the receiving App got: a count shared with other threads, and, per peer, the next
/// message number expected.
#[derive(Resource, Default)]
pub struct Received {
    /// Messages read, in order, shared so a sender thread can pace itself.
    pub count: Arc<AtomicU64>,
    /// Messages that arrived out of order, twice, or malformed (must stay 0).
    pub out_of_order: u64,
    next: HashMap<Entity, u64>,
}

/// Counts and checks every [`Data`] message the App reads.
pub fn count_received(reader: ChannelReader<Data>, mut received: ResMut<Received>) {
    let received = &mut *received;
    let mut read = 0;
    for (peer, bytes) in reader.read() {
        let expected = received.next.entry(peer).or_insert(0);
        if seq_of(bytes) == Some(*expected) {
            *expected += 1;
        } else {
            received.out_of_order += 1;
        }
        read += 1;
    }
    received.count.fetch_add(read, Ordering::Relaxed);
}

/// An App with Stardust over UDP configured by `config` and the [`Data`] channel, and no
/// game system.
pub fn bare_app(config: UdpConfig) -> App {
    let mut app = App::new();
    app.add_plugins((StardustPlugin, UdpPlugin::new(config)));
    app.add_channel::<Data>();
    app
}

/// A [`bare_app`] with the [`Received`] check.
pub fn app(config: UdpConfig) -> App {
    let mut app = bare_app(config);
    app.init_resource::<Received>();
    app.add_systems(Update, count_received);
    app
}

/// Runs every schedule of `app` on the calling thread (Bevy's single-threaded executor)
/// instead of handing systems to the task pool: a frame then wakes no other thread, which
/// on a machine with few cores saves more latency than parallel systems gain.
pub fn single_threaded(app: &mut App) {
    let mut schedules = app.world_mut().resource_mut::<Schedules>();
    for (_, schedule) in schedules.iter_mut() {
        schedule.set_executor(bevy::ecs::schedule::SingleThreadedExecutor::new());
    }
}

/// A listener on 127.0.0.1 with `ports` peer ports taking up to `max_peers` peers, secure or
/// insecure.
pub fn listener(ports: usize, max_peers: usize, security: UdpSecurity) -> App {
    let mut config = UdpConfig::loopback(ports);
    config.max_peers = max_peers;
    config.security = security;
    app(config)
}

/// A [`listener`] set up as the `UdpPlugin` docs recommend for a dedicated server: every
/// schedule on Bevy's single-threaded executor, the transport's defaults otherwise (its ports
/// still spread a heavy phase over the compute pool).
pub fn server_listener(ports: usize, max_peers: usize, security: UdpSecurity) -> App {
    let mut app = listener(ports, max_peers, security);
    single_threaded(&mut app);
    app
}

/// An App that only connects, secure or insecure (secure connections are not pinned: the
/// bench's listeners make a new key at every start).
pub fn connector(security: UdpSecurity) -> App {
    app(UdpConfig { security, ..UdpConfig::default() })
}

/// `secure` or `insecure`, as the bench's rows and the child process's argument say it.
pub fn security_name(security: UdpSecurity) -> &'static str {
    match security {
        UdpSecurity::Secure => "secure",
        UdpSecurity::Insecure => "insecure",
    }
}

/// The security a [`security_name`] names.
pub fn security_named(name: &str) -> Option<UdpSecurity> {
    match name {
        "secure" => Some(UdpSecurity::Secure),
        "insecure" => Some(UdpSecurity::Insecure),
        _ => None,
    }
}

/// The listen address of a listener built by [`listener`].
pub fn listen_addr(app: &App) -> std::net::SocketAddr {
    app.world()
        .resource::<UdpTransport>()
        .listen_addr()
        .expect("the bench listener binds a listen port")
}

/// How many of `peers` are connected.
pub fn connected(app: &App, peers: &[Entity]) -> usize {
    peers
        .iter()
        .filter(|&&peer| app.world().get::<PeerState>(peer) == Some(&PeerState::Connected))
        .count()
}

/// How many peer entities of `app` are connected.
pub fn connected_peers(app: &mut App) -> usize {
    let mut query = app.world_mut().query::<&PeerState>();
    query.iter(app.world()).filter(|state| state.is_connected()).count()
}

/// Updates `app` at about 60 Hz until `done` holds or `limit` passes; returns whether it held.
pub fn tick_until(app: &mut App, limit: Duration, mut done: impl FnMut(&mut App) -> bool) -> bool {
    let mut ticker = Ticker::new(60.0);
    let start = Instant::now();
    while start.elapsed() < limit {
        app.update();
        if done(app) {
            return true;
        }
        ticker.wait();
    }
    false
}

/// Sleeps to the next tick of a fixed-rate loop, as a game server's frame loop does; a late
/// frame is not made up for.
pub struct Ticker {
    period: Duration,
    next: Instant,
}

impl Ticker {
    /// A ticker at `hz` ticks per second, starting now.
    pub fn new(hz: f64) -> Self {
        let period = Duration::from_secs_f64(1.0 / hz);
        Self { period, next: Instant::now() + period }
    }

    /// Sleeps until the next tick.
    pub fn wait(&mut self) {
        let now = Instant::now();
        if let Some(left) = self.next.checked_duration_since(now) {
            std::thread::sleep(left);
            self.next += self.period;
        } else {
            self.next = now + self.period;
        }
    }
}

/// CPU time (user + system) this whole process has used, from `/proc/self/stat`: every
/// thread, including Bevy's task pools. `None` where procfs is missing.
pub fn process_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // USER_HZ is 100 on every Linux ABI.
    Some(Duration::from_millis(ticks * 10))
}
