//! The transport's systems: per-port tasks on Bevy's compute pool, framed by short serial
//! passes (in `accept` and `sync`) that exchange buffers with the peer entities.
//!
//! Receive (`StardustSet::Receive`): start pending connects → one task per port reads its
//! socket (again and again while `UdpConfig::busy_poll` lasts and no port got a datagram)
//! and drives its peers' engines (the listen port's task answers handshakes) →
//! accept the new peers → swap each peer's received messages into its `PeerInbox` and apply
//! lifecycle events and stats.
//!
//! Send (`StardustSet::Send`): start pending connects → swap each `PeerOutbox` into its
//! port's slot and pass on close requests → one task per port hands messages to the engines
//! and sends the datagrams → apply events and stats.

use std::sync::atomic::{AtomicBool, Ordering};
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
use super::port_io::{Buffers, Phase, PortIo};
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
    let now = run_ports(transport, Phase::Receive, now);
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
/// phase the listen port, when due, gets its own task, and the other ports are read again
/// and again for up to [`UdpConfig::busy_poll`] until one gives a datagram. A phase whose
/// last run was light (see [`UdpConfig::parallel_min_work`]) runs its ports one after the
/// other instead.
///
/// Returns the time the engines last saw: `now`, or later after a busy poll.
fn run_ports(transport: &mut UdpTransport, phase: Phase, now: Instant) -> Instant {
    let pool = ComputeTaskPool::get_or_init(TaskPool::default);
    let clients = transport.client_ports.len();
    let group = clients.div_ceil(pool.thread_num().max(1) * 4).max(1);
    transport.ensure_client_buffers(clients.div_ceil(group));
    let peers: usize =
        transport.peer_ports.iter().chain(&transport.client_ports).map(|p| p.slots.len()).sum();
    let listening =
        transport.listener.as_ref().is_some_and(|l| phase == Phase::Receive && l.due(now));
    let tasks = usize::from(listening) + transport.peer_ports.len() + clients.div_ceil(group);
    let config = transport.config();
    // A phase that never runs in parallel whatever its work is not timed.
    let timed = could_run_in_parallel(tasks, peers, config);
    let parallel = runs_in_parallel(tasks, peers, transport.phase_work[phase as usize], config);
    // With no peer or client port (an App not yet connected), there is nothing to wait for.
    let ports = transport.peer_ports.len() + clients;
    let busy_poll = match phase {
        Phase::Receive if ports > 0 => config.busy_poll,
        _ => Duration::ZERO,
    };
    let UdpTransport { listener, peer_ports, client_ports, client_buffers, phase_work, .. } =
        transport;
    let work = &mut phase_work[phase as usize];
    let listener = listener.as_mut().filter(|_| listening);
    if !parallel {
        let started = timed.then(Instant::now);
        if let Some(listener) = listener {
            listener.receive(now);
        }
        let (at, idle) = match phase {
            Phase::Receive => {
                let (at, idle) = busy_read(now, busy_poll, None, |at| {
                    let peer_reads: usize =
                        peer_ports.iter_mut().map(|port| port.read(at, None)).sum();
                    let groups = client_ports.chunks_mut(group).zip(client_buffers.iter_mut());
                    let client_reads: usize = groups
                        .map(|(ports, buffers)| {
                            ports.iter_mut().map(|port| port.read(at, Some(buffers))).sum::<usize>()
                        })
                        .sum();
                    peer_reads + client_reads
                });
                peer_ports.iter_mut().chain(client_ports.iter_mut()).for_each(|p| p.settle(at));
                (at, idle)
            }
            Phase::Transmit => {
                peer_ports.iter_mut().for_each(|port| port.run(phase, now, None));
                let groups = client_ports.chunks_mut(group).zip(client_buffers.iter_mut());
                for (ports, buffers) in groups {
                    ports.iter_mut().for_each(|port| port.run(phase, now, Some(buffers)));
                }
                (now, Duration::ZERO)
            }
        };
        if let Some(started) = started {
            *work = started.elapsed().saturating_sub(idle);
        }
        return at;
    }
    // One flag for the phase: the first task whose read gives a datagram ends every task's
    // busy poll, as the serial loop above stops at the first datagram of any port.
    let arrived = AtomicBool::new(false);
    let arrived = &arrived;
    let spent = pool.scope(|scope| {
        if let Some(listener) = listener {
            scope.spawn(async move {
                let started = Instant::now();
                listener.receive(now);
                started.elapsed()
            });
        }
        for port in peer_ports.iter_mut() {
            let ports = std::slice::from_mut(port);
            scope.spawn(async move { run_task(ports, None, phase, now, busy_poll, arrived) });
        }
        for (ports, buffers) in client_ports.chunks_mut(group).zip(client_buffers.iter_mut()) {
            scope.spawn(
                async move { run_task(ports, Some(buffers), phase, now, busy_poll, arrived) },
            );
        }
    });
    *work = spent.into_iter().sum();
    if busy_poll.is_zero() { now } else { Instant::now() }
}

/// One task of a parallel phase: `phase` on `ports`, with their own buffers or `shared`,
/// busy-polling in the receive phase until `arrived` is set. Returns how long it worked,
/// busy polling left out.
fn run_task(
    ports: &mut [PortIo],
    mut shared: Option<&mut Buffers>,
    phase: Phase,
    now: Instant,
    busy_poll: Duration,
    arrived: &AtomicBool,
) -> Duration {
    let started = Instant::now();
    let idle = match phase {
        Phase::Receive => {
            let (at, idle) = busy_read(now, busy_poll, Some(arrived), |at| {
                ports.iter_mut().map(|port| port.read(at, shared.as_deref_mut())).sum()
            });
            ports.iter_mut().for_each(|port| port.settle(at));
            idle
        }
        Phase::Transmit => {
            ports.iter_mut().for_each(|port| port.run(phase, now, shared.as_deref_mut()));
            Duration::ZERO
        }
    };
    started.elapsed().saturating_sub(idle)
}

/// Calls `read` (which reads one task's sockets, handing their datagrams to the engines as
/// arrived at the time it is given, and returns how many it got) until a read gets one,
/// `budget` has passed since `now`, or `arrived` (shared by a phase's tasks) says another
/// task's read got one. A zero `budget` reads once.
///
/// Returns the time of the last read and how long the reads before it took: they got
/// nothing, so that time is busy polling, not work.
fn busy_read(
    now: Instant,
    budget: Duration,
    arrived: Option<&AtomicBool>,
    mut read: impl FnMut(Instant) -> usize,
) -> (Instant, Duration) {
    let mut at = now;
    loop {
        if read(at) > 0 {
            if let Some(arrived) = arrived {
                arrived.store(true, Ordering::Relaxed);
            }
            break;
        }
        if budget.is_zero() || arrived.is_some_and(|arrived| arrived.load(Ordering::Relaxed)) {
            break;
        }
        let later = Instant::now();
        if later.saturating_duration_since(now) >= budget {
            break;
        }
        at = later;
    }
    (at, at.saturating_duration_since(now))
}

/// Whether a phase with `tasks` tasks over `peers` peers, whose previous run worked `work`,
/// runs as one task per port rather than one port after the other.
fn runs_in_parallel(tasks: usize, peers: usize, work: Duration, config: &UdpConfig) -> bool {
    could_run_in_parallel(tasks, peers, config) && work >= config.parallel_min_work
}

/// Whether a phase with `tasks` tasks over `peers` peers runs in parallel when its work is
/// heavy enough; if not, its work need not be timed.
fn could_run_in_parallel(tasks: usize, peers: usize, config: &UdpConfig) -> bool {
    tasks > 1 && peers >= config.parallel_min_peers
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

    #[test]
    fn busy_read_reads_once_without_a_budget() {
        let mut reads = 0;
        let now = Instant::now();
        let (at, idle) = busy_read(now, Duration::ZERO, None, |_| {
            reads += 1;
            0
        });
        assert_eq!((reads, at, idle), (1, now, Duration::ZERO));
    }

    #[test]
    fn busy_read_stops_at_the_first_datagram_and_reports_the_polling_before_it() {
        let now = Instant::now();
        let mut times = Vec::new();
        let (at, idle) = busy_read(now, 1_000 * MS, None, |at| {
            times.push(at);
            usize::from(times.len() == 4)
        });
        assert_eq!(times.len(), 4);
        assert_eq!(times[0], now, "the first read is at the phase's time");
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "read times never go back");
        assert_eq!(at, times[3], "the engines go on from the last read");
        assert_eq!(idle, times[3] - now);
    }

    #[test]
    fn busy_read_stops_when_another_task_got_a_datagram() {
        let arrived = AtomicBool::new(false);
        let mut reads = 0;
        busy_read(Instant::now(), 1_000 * MS, Some(&arrived), |_| {
            reads += 1;
            if reads == 3 {
                arrived.store(true, Ordering::Relaxed);
            }
            0
        });
        assert_eq!(reads, 3);
    }

    #[test]
    fn busy_read_tells_the_other_tasks_when_it_got_a_datagram() {
        let arrived = AtomicBool::new(false);
        busy_read(Instant::now(), 1_000 * MS, Some(&arrived), |_| 2);
        assert!(arrived.load(Ordering::Relaxed));
    }

    #[test]
    fn busy_read_gives_up_after_the_budget() {
        let now = Instant::now();
        let (at, idle) = busy_read(now, 2 * MS, None, |_| 0);
        assert!(now.elapsed() >= 2 * MS);
        assert_eq!(idle, at - now);
    }
}
