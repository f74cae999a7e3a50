//! The peers: one App on the bench's main thread making every connection to the listener,
//! with the network conditioner on its side (both ways, so each datagram meets the
//! conditions once and the listener stays an unmodified server), sending reliable-ordered
//! messages at a steady rate, each stamped with its send time.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bevy::ecs::schedule::SingleThreadedExecutor;
use bevy::prelude::*;
use stardust::prelude::*;

use crate::payload::{Data, encode};

/// Frames per second of the peers' App: faster than the listener's 60 and not in step with
/// it, so sends fall at every phase of the listener's frame (with both at 60 Hz the wait for
/// the listener's next frame would be one fixed offset per run, anywhere from 0 to 16 ms).
pub const HZ: f64 = 200.0;

/// The peers' sending schedule.
#[derive(Resource)]
struct Schedule {
    epoch: Instant,
    peers: Vec<Entity>,
    sent: Vec<u64>,
    /// Messages per second per peer.
    rate: f64,
    /// When sending started, and for how long it goes on.
    window: Option<(Instant, Duration)>,
}

/// Sends, to every peer, the messages due by now (staggered over the send period so the
/// peers do not all send in the same frame).
fn send_due(mut writer: ChannelWriter<Data>, mut schedule: ResMut<Schedule>) {
    let Some((start, length)) = schedule.window else { return };
    let now = Instant::now();
    let elapsed = now.saturating_duration_since(start).min(length).as_secs_f64();
    let schedule = &mut *schedule;
    let count = schedule.peers.len() as f64;
    for (index, (&peer, sent)) in schedule.peers.iter().zip(&mut schedule.sent).enumerate() {
        let due = (elapsed * schedule.rate + index as f64 / count) as u64;
        while *sent < due {
            if writer.send(peer, encode(*sent, now, schedule.epoch)).is_err() {
                break;
            }
            *sent += 1;
        }
    }
}

/// The App of every peer.
pub struct Peers {
    app: App,
    period: Duration,
    next: Instant,
}

impl Peers {
    /// `count` connections to `addr` through `conditions` (both ways, seeded), sending `rate`
    /// messages per second each once [`send_for`](Self::send_for) is called.
    pub fn connect(
        addr: SocketAddr,
        count: usize,
        conditions: Conditions,
        seed: u64,
        rate: f64,
        epoch: Instant,
    ) -> Self {
        let conditioner = if conditions.is_active() {
            NetworkConditioner::both_ways(conditions).with_seed(seed)
        } else {
            NetworkConditioner::OFF
        };
        let config =
            UdpConfig { conditioner, parallel_min_peers: usize::MAX, ..UdpConfig::default() };
        let mut app = App::new();
        app.add_plugins((StardustPlugin, UdpPlugin::new(config)));
        app.add_channel::<Data>();
        app.add_systems(Update, send_due);
        for (_, schedule) in app.world_mut().resource_mut::<Schedules>().iter_mut() {
            schedule.set_executor(SingleThreadedExecutor::new());
        }
        let peers: Vec<Entity> = (0..count).map(|_| app.world_mut().connect_udp(addr)).collect();
        let sent = vec![0; count];
        app.insert_resource(Schedule { epoch, peers, sent, rate, window: None });
        let period = Duration::from_secs_f64(1.0 / HZ);
        Self { app, period, next: Instant::now() }
    }

    /// Runs one frame at [`HZ`] (sleeping to its start).
    pub fn frame(&mut self) {
        self.next += self.period;
        match self.next.checked_duration_since(Instant::now()) {
            Some(left) => std::thread::sleep(left),
            None => self.next = Instant::now(),
        }
        self.app.update();
    }

    /// How many peers are connected.
    pub fn connected(&self) -> usize {
        let schedule = self.app.world().resource::<Schedule>();
        let state = |&peer| self.app.world().get::<PeerState>(peer);
        schedule
            .peers
            .iter()
            .filter(|peer| state(peer).is_some_and(PeerState::is_connected))
            .count()
    }

    /// Starts sending, for `length`.
    pub fn send_for(&mut self, length: Duration) {
        self.app.world_mut().resource_mut::<Schedule>().window = Some((Instant::now(), length));
    }

    /// Messages sent so far, over every peer.
    pub fn sent(&self) -> u64 {
        self.app.world().resource::<Schedule>().sent.iter().sum()
    }

    /// Datagrams the conditioner dropped, of those it saw, both ways.
    pub fn conditioner_drops(&self) -> (u64, u64) {
        let transport = self.app.world().resource::<UdpTransport>();
        let mut total = stardust::conditioner::ConditionerStats::default();
        for (_, _, stats) in transport.iter_port_stats() {
            total.add(&stats.conditioner);
        }
        let dropped = total.inbound.dropped + total.outbound.dropped;
        (dropped, total.inbound.offered + total.outbound.offered)
    }
}
