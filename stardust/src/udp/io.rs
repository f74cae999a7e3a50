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

use std::time::Instant;

use bevy::ecs::change_detection::DetectChanges;
use bevy::ecs::entity::Entity;
use bevy::ecs::message::MessageWriter;
use bevy::ecs::query::{With, Without};
use bevy::ecs::system::{Commands, Query, Res, ResMut};
use bevy::tasks::{ComputeTaskPool, TaskPool};

use super::accept::accept_requests;
use super::connect::PendingConnect;
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

/// `StardustSet::Send`: drains every outbox onto the network.
pub(crate) fn send(
    mut transport: ResMut<'_, UdpTransport>,
    mut commands: Commands<'_, '_>,
    mut peers: Peers<'_, '_>,
    mut pending: Pending<'_, '_>,
    mut rejected: MessageWriter<'_, UdpConnectRejected>,
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
}

/// Runs `phase` on every port: one task per peer port, and client ports (many, with few
/// connections each) in a few groups that each borrow one set of buffers, so thousands of
/// client ports make neither thousands of tasks nor thousands of buffers. In the receive
/// phase the listen port gets its own task.
fn run_ports(transport: &mut UdpTransport, phase: Phase, now: Instant) {
    let pool = ComputeTaskPool::get_or_init(TaskPool::default);
    let clients = transport.client_ports.len();
    let group = clients.div_ceil(pool.thread_num().max(1) * 4).max(1);
    transport.ensure_client_buffers(clients.div_ceil(group));
    let parallel_min_peers = transport.config().parallel_min_peers;
    let peers: usize =
        transport.peer_ports.iter().chain(&transport.client_ports).map(|p| p.slots.len()).sum();
    let UdpTransport { listener, peer_ports, client_ports, client_buffers, .. } = transport;
    let listener = listener.as_mut().filter(|_| phase == Phase::Receive);
    let groups = client_ports.chunks_mut(group).zip(client_buffers.iter_mut());
    let tasks = usize::from(listener.is_some()) + peer_ports.len() + clients.div_ceil(group);
    if tasks <= 1 || peers < parallel_min_peers {
        if let Some(listener) = listener {
            listener.receive(now);
        }
        peer_ports.iter_mut().for_each(|port| port.run(phase, now, None));
        for (ports, buffers) in groups {
            ports.iter_mut().for_each(|port| port.run(phase, now, Some(buffers)));
        }
        return;
    }
    pool.scope(|scope| {
        if let Some(listener) = listener {
            scope.spawn(async move { listener.receive(now) });
        }
        for port in peer_ports.iter_mut() {
            scope.spawn(async move { port.run(phase, now, None) });
        }
        for (ports, buffers) in groups {
            scope.spawn(async move {
                ports.iter_mut().for_each(|port| port.run(phase, now, Some(&mut *buffers)));
            });
        }
    });
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
