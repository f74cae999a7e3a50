//! The transport's systems: per-port tasks on Bevy's compute pool, framed by short serial
//! passes (in `accept` and `sync`) that exchange buffers with the peer entities.
//!
//! Receive (`StardustSet::Receive`): start pending connects → one task per port reads its
//! socket and drives its peers' engines (the listen port's task answers handshakes) →
//! accept the new peers → swap each peer's received messages into its `PeerInbox` and apply
//! lifecycle events and stats.
//!
//! Send (`StardustSet::Send`): start pending connects → swap each `PeerOutbox` into its
//! port's slot and pass on close requests → one task per port hands messages to the engines
//! and sends the datagrams → apply events and stats.

use std::time::{Duration, Instant};

use bevy::diagnostic::DiagnosticsStore;
use bevy::ecs::change_detection::DetectChanges;
use bevy::ecs::entity::Entity;
use bevy::ecs::message::MessageWriter;
use bevy::ecs::query::{With, Without};
use bevy::ecs::system::{Commands, Query, Res, ResMut};
use bevy::tasks::{ComputeTaskPool, TaskPool};

use super::accept::accept_requests;
use super::config::UdpConfig;
use super::connect::PendingConnect;
use super::diagnostics::UdpDiagnostics;
use super::peer::{UdpConnectRejected, UdpPeer, UdpPeerStats};
use super::port_io::Phase;
use super::sync::{sync_all, take_outbox};
use super::transport::UdpTransport;
use crate::channel::{ChannelRegistry, ProtocolHash};
use crate::messages::{PeerInbox, PeerOutbox};
use crate::peer::{DisconnectReason, PeerState, PeerStats};

pub(super) type PeerItem<'a> = (
    &'a mut PeerState,
    &'a mut PeerInbox,
    &'a mut PeerOutbox,
    &'a mut PeerStats,
    &'a mut UdpPeer,
    &'a mut UdpPeerStats,
);
pub(super) type Peers<'w, 's> = Query<'w, 's, PeerItem<'static>, Without<PendingConnect>>;
pub(super) type Pending<'w, 's> =
    Query<'w, 's, (Entity, &'static mut UdpPeer, &'static mut PeerState), With<PendingConnect>>;

/// `StardustSet::Receive`: reads every port and updates the peers.
pub(crate) fn receive(
    mut transport: ResMut<'_, UdpTransport>,
    registry: Res<'_, ChannelRegistry>,
    hash: Res<'_, ProtocolHash>,
    mut commands: Commands<'_, '_>,
    mut peers: Peers<'_, '_>,
    mut pending: Pending<'_, '_>,
    mut rejected: MessageWriter<'_, UdpConnectRejected>,
) {
    let now = Instant::now();
    let transport = &mut *transport;
    transport.refresh(&registry, registry.is_changed(), hash.0);
    start_pending(transport, &mut pending, &mut commands, now);
    run_ports(transport, Phase::Receive, now);
    accept_requests(transport, &mut commands, &mut peers, now);
    sync_all(transport, &mut peers, &mut rejected);
}

/// `StardustSet::Send`: drains every outbox onto the network, then measures the ports'
/// rates for Bevy diagnostics (in this system rather than one of its own: one system less
/// for the executor to schedule every frame).
#[allow(clippy::too_many_arguments)]
pub(crate) fn send(
    mut transport: ResMut<'_, UdpTransport>,
    mut commands: Commands<'_, '_>,
    mut peers: Peers<'_, '_>,
    mut pending: Pending<'_, '_>,
    mut rejected: MessageWriter<'_, UdpConnectRejected>,
    mut diagnostics: ResMut<'_, UdpDiagnostics>,
    mut store: ResMut<'_, DiagnosticsStore>,
) {
    let now = Instant::now();
    let transport = &mut *transport;
    start_pending(transport, &mut pending, &mut commands, now);
    for port in transport.peer_ports.iter_mut().chain(&mut transport.client_ports) {
        for slot in &mut port.slots {
            take_outbox(slot, &mut peers, now);
        }
    }
    run_ports(transport, Phase::Transmit, now);
    sync_all(transport, &mut peers, &mut rejected);
    diagnostics.measure(transport, &mut store);
}

/// Runs `phase` on every port: one task per peer port, and client ports (many, with few
/// connections each) in a few groups that each borrow one set of buffers, so thousands of
/// client ports make neither thousands of tasks nor thousands of buffers. In the receive
/// phase the listen port, when due, gets its own task. A phase whose last run was light
/// (see [`UdpConfig::parallel_min_work`](super::UdpConfig::parallel_min_work)) runs its
/// ports one after the other instead.
fn run_ports(transport: &mut UdpTransport, phase: Phase, now: Instant) {
    let pool = ComputeTaskPool::get_or_init(TaskPool::default);
    let clients = transport.client_ports.len();
    let group = clients.div_ceil(pool.thread_num().max(1) * 4).max(1);
    transport.ensure_client_buffers(clients.div_ceil(group));
    let peers: usize =
        transport.peer_ports.iter().chain(&transport.client_ports).map(|p| p.slots.len()).sum();
    let listening =
        transport.listener.as_ref().is_some_and(|l| phase == Phase::Receive && l.due(now));
    let tasks = usize::from(listening) + transport.peer_ports.len() + clients.div_ceil(group);
    let work = transport.phase_work[phase as usize];
    let parallel = runs_in_parallel(tasks, peers, work, transport.config());
    let UdpTransport { listener, peer_ports, client_ports, client_buffers, phase_work, .. } =
        transport;
    let work = &mut phase_work[phase as usize];
    let listener = listener.as_mut().filter(|_| listening);
    let groups = client_ports.chunks_mut(group).zip(client_buffers.iter_mut());
    if !parallel {
        let started = Instant::now();
        if let Some(listener) = listener {
            listener.receive(now);
        }
        peer_ports.iter_mut().for_each(|port| port.run(phase, now, None));
        for (ports, buffers) in groups {
            ports.iter_mut().for_each(|port| port.run(phase, now, Some(buffers)));
        }
        *work = started.elapsed();
        return;
    }
    let timed = |run: &mut dyn FnMut()| {
        let started = Instant::now();
        run();
        started.elapsed()
    };
    let spent = pool.scope(|scope| {
        if let Some(listener) = listener {
            scope.spawn(async move { timed(&mut || listener.receive(now)) });
        }
        for port in peer_ports.iter_mut() {
            scope.spawn(async move { timed(&mut || port.run(phase, now, None)) });
        }
        for (ports, buffers) in groups {
            scope.spawn(async move {
                timed(&mut || {
                    ports.iter_mut().for_each(|port| port.run(phase, now, Some(&mut *buffers)))
                })
            });
        }
    });
    *work = spent.into_iter().sum();
}

/// Whether a phase with `tasks` tasks over `peers` peers, whose previous run worked `work`,
/// runs as one task per port rather than one port after the other.
fn runs_in_parallel(tasks: usize, peers: usize, work: Duration, config: &UdpConfig) -> bool {
    tasks > 1 && peers >= config.parallel_min_peers && work >= config.parallel_min_work
}

/// Binds and starts the connections asked for with `connect_udp` since the last pass.
fn start_pending(
    transport: &mut UdpTransport,
    pending: &mut Pending<'_, '_>,
    commands: &mut Commands<'_, '_>,
    now: Instant,
) {
    for (entity, mut udp, mut state) in pending.iter_mut() {
        commands.entity(entity).remove::<PendingConnect>();
        if let PeerState::Closing(reason) = &*state {
            let reason = reason.clone();
            state.set_disconnected(reason);
            continue;
        }
        if state.is_closed() {
            continue;
        }
        match transport.start_connect(entity, udp.remote, now) {
            Ok(port) => udp.local_port = port,
            Err(error) => {
                bevy::log::error!("cannot connect to {}: {error}", udp.remote);
                state.set_disconnected(DisconnectReason::TransportClosed);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn a_light_phase_runs_inline_and_a_heavy_one_in_parallel() {
        let config = UdpConfig::default();
        assert_eq!(config.parallel_min_work, MS);
        assert!(!runs_in_parallel(5, 256, MS / 2, &config));
        assert!(runs_in_parallel(5, 256, MS, &config));
    }

    #[test]
    fn few_peers_or_one_task_never_run_in_parallel() {
        let config = UdpConfig::default();
        assert!(!runs_in_parallel(5, config.parallel_min_peers - 1, 100 * MS, &config));
        assert!(!runs_in_parallel(1, 4_096, 100 * MS, &config));
    }

    #[test]
    fn zero_thresholds_always_run_in_parallel() {
        let config = UdpConfig {
            parallel_min_peers: 0,
            parallel_min_work: Duration::ZERO,
            ..UdpConfig::default()
        };
        assert!(runs_in_parallel(2, 0, Duration::ZERO, &config));
    }
}
