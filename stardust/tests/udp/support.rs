//! Shared setup of the UDP tests: listener and connecting Apps on 127.0.0.1 with OS-chosen
//! ports, bounded drive loops, and collectors of what each App saw.
//!
//! Use from a test file with `mod udp_support;` and `use udp_support::*;`.

pub use crate::collect::{Received, collect};

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bevy::ecs::system::RunSystemOnce;
use bevy::prelude::*;
use stardust::channel::Raw;
use stardust::prelude::*;

/// Reliable ordered channel.
#[derive(Channel)]
#[channel(reliable, ordered, id = 0x000B01)]
pub struct Chat;

/// Unreliable sequenced channel.
#[derive(Channel)]
#[channel(unreliable, sequenced, max_size = 256, id = 0x000B02)]
pub struct Moves;

/// Most frames any drive loop runs.
pub const MAX_FRAMES: usize = 2_000;
/// Longest any drive loop runs.
pub const MAX_TIME: Duration = Duration::from_secs(10);
/// Pause between two rounds of frames, so that timers (resends, acks) see time pass.
pub const FRAME_PAUSE: Duration = Duration::from_millis(1);

/// An App with the runtime, the test channels, their collectors and lifecycle recorders,
/// and the UDP transport configured by `config`.
pub fn app_with(config: UdpConfig) -> App {
    let mut app = App::new();
    app.add_plugins((StardustPlugin, UdpPlugin::new(config)));
    app.add_channel::<Chat>().add_channel::<Moves>();
    collect::<Chat>(&mut app);
    collect::<Moves>(&mut app);
    app.init_resource::<Lifecycle>();
    app.add_systems(
        Update,
        |mut connected: MessageReader<PeerConnected>,
         mut disconnected: MessageReader<PeerDisconnected>,
         mut rejected: MessageReader<UdpConnectRejected>,
         mut log: ResMut<Lifecycle>| {
            log.connected.extend(connected.read().map(|m| m.peer));
            log.disconnected.extend(disconnected.read().map(|m| (m.peer, m.reason.clone())));
            log.rejected.extend(rejected.read().cloned());
        },
    );
    app
}

/// A listener on 127.0.0.1 (OS-chosen listen port) with `peer_ports` OS-chosen peer ports.
pub fn listener_app(peer_ports: usize) -> App {
    app_with(UdpConfig::loopback(peer_ports))
}

/// An App that only connects.
pub fn connecting_app() -> App {
    app_with(UdpConfig::default())
}

/// `config` with timers short enough for tests: idle and handshake timeouts of `timeout`,
/// keep-alives at a quarter of it. (An accepted peer that never sent a packet is given the
/// longer of the two timeouts, so shorten both to see a vanished peer time out quickly.)
pub fn with_timeouts(mut config: UdpConfig, timeout: Duration) -> UdpConfig {
    config.idle_timeout = timeout;
    config.handshake_timeout = timeout;
    config.keepalive_interval = timeout / 4;
    config
}

/// How many accepted peers each peer port of `app` carries, in ascending port order.
pub fn port_loads(app: &App) -> Vec<(u16, usize)> {
    let transport = app.world().resource::<UdpTransport>();
    let table = transport.port_table().expect("the app listens");
    table.iter().map(|(port, peers)| (port, peers.len())).collect()
}

/// The bound listen address of `app`.
pub fn listen_addr(app: &App) -> SocketAddr {
    app.world().resource::<UdpTransport>().listen_addr().expect("the app listens")
}

/// Starts connecting `app` to the listener at `addr`; returns the peer entity.
pub fn connect(app: &mut App, addr: SocketAddr) -> Entity {
    app.world_mut().connect_udp(addr)
}

/// Runs every App once per round (pausing [`FRAME_PAUSE`] between rounds) until `done`
/// holds, for at most [`MAX_FRAMES`] rounds and [`MAX_TIME`]. Returns whether it held.
pub fn run_until(apps: &mut [&mut App], done: impl FnMut(&mut [&mut App]) -> bool) -> bool {
    run_until_within(apps, MAX_FRAMES, MAX_TIME, done)
}

/// Runs every App once per round (pausing [`FRAME_PAUSE`] between rounds) until `done`
/// holds, for at most `max_rounds` rounds and `limit`. Returns whether it held.
pub fn run_until_within(
    apps: &mut [&mut App],
    max_rounds: usize,
    limit: Duration,
    mut done: impl FnMut(&mut [&mut App]) -> bool,
) -> bool {
    let start = Instant::now();
    for _ in 0..max_rounds {
        if done(apps) {
            return true;
        }
        if start.elapsed() > limit {
            return false;
        }
        for app in apps.iter_mut() {
            app.update();
        }
        std::thread::sleep(FRAME_PAUSE);
    }
    done(apps)
}

/// Runs every App for `rounds` rounds.
pub fn run_rounds(apps: &mut [&mut App], rounds: usize) {
    for _ in 0..rounds {
        for app in apps.iter_mut() {
            app.update();
        }
        std::thread::sleep(FRAME_PAUSE);
    }
}

/// The state of `peer` in `app`, or `None` once despawned.
pub fn state(app: &App, peer: Entity) -> Option<PeerState> {
    app.world().get::<PeerState>(peer).cloned()
}

/// Whether `peer` is connected in `app`.
pub fn is_connected(app: &App, peer: Entity) -> bool {
    app.world().get::<PeerState>(peer).is_some_and(PeerState::is_connected)
}

/// The peers of `app` with the given direction.
pub fn peers(app: &mut App, direction: UdpDirection) -> Vec<Entity> {
    let mut query = app.world_mut().query::<(Entity, &UdpPeer)>();
    query.iter(app.world()).filter(|(_, udp)| udp.direction == direction).map(|(e, _)| e).collect()
}

/// The accepted peers of `app` that are connected.
pub fn connected_accepted(app: &mut App) -> Vec<Entity> {
    let accepted = peers(app, UdpDirection::Accepted);
    accepted.into_iter().filter(|&peer| is_connected(app, peer)).collect()
}

/// Sends `payload` to `peer` on channel `C` from `app`.
pub fn send<C: Channel<Message = Raw>>(
    app: &mut App,
    peer: Entity,
    payload: &[u8],
) -> Result<(), SendError> {
    let payload = bytes::Bytes::copy_from_slice(payload);
    app.world_mut()
        .run_system_once(move |mut writer: ChannelWriter<C>| writer.send(peer, payload.clone()))
        .expect("one-shot system runs")
}

/// Asks `app` to close its connection to `peer`, telling the remote side `message`.
pub fn disconnect(app: &mut App, peer: Entity, message: &str) {
    app.world_mut().commands().entity(peer).disconnect_peer(message);
    app.world_mut().flush();
}

/// The messages `app` received on channel `C` so far.
pub fn received<C: Channel<Message = Raw>>(app: &App) -> &[(Entity, Vec<u8>)] {
    &app.world().resource::<Received<C>>().messages
}

/// The lifecycle messages an App wrote, in order.
#[derive(Resource, Default, Debug)]
pub struct Lifecycle {
    pub connected: Vec<Entity>,
    pub disconnected: Vec<(Entity, DisconnectReason)>,
    pub rejected: Vec<UdpConnectRejected>,
}

/// The lifecycle messages `app` wrote so far.
pub fn lifecycle(app: &App) -> &Lifecycle {
    app.world().resource::<Lifecycle>()
}

/// The reason `peer` was reported disconnected with in `app`, if it was.
pub fn disconnect_reason(app: &App, peer: Entity) -> Option<DisconnectReason> {
    lifecycle(app).disconnected.iter().find(|(p, _)| *p == peer).map(|(_, r)| r.clone())
}
