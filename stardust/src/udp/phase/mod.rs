//! Running a phase over every port: serially on the system's thread, or one task per port on
//! Bevy's compute pool.
//!
//! In the receive phase each port reads its socket (again and again while
//! [`UdpConfig::busy_poll`] lasts and no port got a datagram: `busy_poll.rs`) and drives its
//! peers' engines, and the listen port, when due, answers handshakes. In the send phase each
//! port hands its peers' messages to their engines and sends the datagrams. A phase whose
//! last run was light runs its ports one after the other instead (`schedule.rs`).

mod busy_poll;
mod schedule;

use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use bevy::tasks::{ComputeTaskPool, TaskPool};

use self::busy_poll::busy_read;
use self::schedule::{could_run_in_parallel, runs_in_parallel};
use super::config::UdpConfig;
use super::listener::ListenPort;
use super::port_io::{Buffers, Phase, PortIo};
use super::ports::ClientPorts;

/// Client-port groups per pool thread: enough tasks to balance, few enough that thousands
/// of client ports make neither thousands of tasks nor thousands of buffers.
const CLIENT_GROUPS_PER_THREAD: usize = 4;

/// What a phase runs on, borrowed from the transport for the phase.
#[derive(Debug)]
pub(crate) struct PhaseParts<'a> {
    /// The listen port, when this is the receive phase and the port is due.
    pub(crate) listener: Option<&'a mut ListenPort>,
    pub(crate) peer_ports: &'a mut [PortIo],
    pub(crate) client_ports: &'a mut ClientPorts,
    /// How long this phase worked last time (updated here).
    pub(crate) work: &'a mut Duration,
    pub(crate) config: &'a UdpConfig,
}

/// Runs `phase` on every port: one task per peer port, client ports in a few groups that each
/// borrow one set of buffers, and in the receive phase the listen port, when due, as a task of
/// its own; or all of it serially when the phase's last run was light (see
/// [`UdpConfig::parallel_min_work`]).
///
/// Returns the time the engines last saw: `now`, or later after a busy poll.
pub(crate) fn run(parts: PhaseParts<'_>, phase: Phase, now: Instant) -> Instant {
    let pool = ComputeTaskPool::get_or_init(TaskPool::default);
    let clients = parts.client_ports.len();
    let group = clients.div_ceil(pool.thread_num().max(1) * CLIENT_GROUPS_PER_THREAD).max(1);
    let peers: usize = parts
        .peer_ports
        .iter()
        .chain(parts.client_ports.iter())
        .map(|port| port.peers().len())
        .sum();
    let tasks =
        usize::from(parts.listener.is_some()) + parts.peer_ports.len() + clients.div_ceil(group);
    // A phase that never runs in parallel whatever its work is not timed.
    let timed = could_run_in_parallel(tasks, peers, parts.config);
    let parallel = runs_in_parallel(tasks, peers, *parts.work, parts.config);
    // With no peer or client port (an App not yet connected), there is nothing to wait for.
    let busy_poll = match phase {
        Phase::Receive if parts.peer_ports.len() + clients > 0 => parts.config.busy_poll,
        _ => Duration::ZERO,
    };
    let plan = Plan { phase, now, group, busy_poll };
    if parallel { run_parallel(parts, plan, pool) } else { run_serial(parts, plan, timed) }
}

/// How a phase runs, decided once for all its ports.
#[derive(Debug, Clone, Copy)]
struct Plan {
    phase: Phase,
    now: Instant,
    /// Client ports per group (one set of buffers each).
    group: usize,
    busy_poll: Duration,
}

/// The phase on the system's thread, port after port; `timed`: measure its work.
fn run_serial(parts: PhaseParts<'_>, plan: Plan, timed: bool) -> Instant {
    let PhaseParts { listener, peer_ports, client_ports, work, .. } = parts;
    let started = timed.then(Instant::now);
    if let Some(listener) = listener {
        listener.receive(plan.now);
    }
    let (at, idle) = match plan.phase {
        Phase::Receive => {
            let (at, idle) = busy_read(plan.now, plan.busy_poll, None, |at| {
                let peer_reads: usize = peer_ports.iter_mut().map(|port| port.read(at, None)).sum();
                let client_reads: usize = client_ports
                    .groups(plan.group)
                    .map(|(ports, buffers)| read_all(ports, at, Some(buffers)))
                    .sum();
                peer_reads + client_reads
            });
            peer_ports.iter_mut().chain(client_ports.iter_mut()).for_each(|p| p.settle(at));
            (at, idle)
        }
        Phase::Transmit => {
            peer_ports.iter_mut().for_each(|port| port.run(Phase::Transmit, plan.now, None));
            for (ports, buffers) in client_ports.groups(plan.group) {
                ports.iter_mut().for_each(|p| p.run(Phase::Transmit, plan.now, Some(buffers)));
            }
            (plan.now, Duration::ZERO)
        }
    };
    if let Some(started) = started {
        *work = started.elapsed().saturating_sub(idle);
    }
    at
}

/// The phase as one task per port (and per client group) on `pool`.
fn run_parallel(parts: PhaseParts<'_>, plan: Plan, pool: &TaskPool) -> Instant {
    let PhaseParts { listener, peer_ports, client_ports, work, .. } = parts;
    // One flag for the phase: the first task whose read gives a datagram ends every task's
    // busy poll, as the serial loop stops at the first datagram of any port.
    let arrived = AtomicBool::new(false);
    let arrived = &arrived;
    let spent = pool.scope(|scope| {
        if let Some(listener) = listener {
            scope.spawn(async move {
                let started = Instant::now();
                listener.receive(plan.now);
                started.elapsed()
            });
        }
        for port in peer_ports.iter_mut() {
            let ports = std::slice::from_mut(port);
            scope.spawn(async move { run_task(ports, None, plan, arrived) });
        }
        for (ports, buffers) in client_ports.groups(plan.group) {
            scope.spawn(async move { run_task(ports, Some(buffers), plan, arrived) });
        }
    });
    *work = spent.into_iter().sum();
    if plan.busy_poll.is_zero() { plan.now } else { Instant::now() }
}

/// One task of a parallel phase: the phase on `ports`, with their own buffers or `shared`,
/// busy-polling in the receive phase until `arrived` is set. Returns how long it worked,
/// busy polling left out.
fn run_task(
    ports: &mut [PortIo],
    mut shared: Option<&mut Buffers>,
    plan: Plan,
    arrived: &AtomicBool,
) -> Duration {
    let started = Instant::now();
    let idle = match plan.phase {
        Phase::Receive => {
            let (at, idle) = busy_read(plan.now, plan.busy_poll, Some(arrived), |at| {
                read_all(ports, at, shared.as_deref_mut())
            });
            ports.iter_mut().for_each(|port| port.settle(at));
            idle
        }
        Phase::Transmit => {
            ports.iter_mut().for_each(|p| p.run(Phase::Transmit, plan.now, shared.as_deref_mut()));
            Duration::ZERO
        }
    };
    started.elapsed().saturating_sub(idle)
}

/// Reads every port of `ports` once at `at`; returns how many datagrams they gave.
fn read_all(ports: &mut [PortIo], at: Instant, mut shared: Option<&mut Buffers>) -> usize {
    ports.iter_mut().map(|port| port.read(at, shared.as_deref_mut())).sum()
}
