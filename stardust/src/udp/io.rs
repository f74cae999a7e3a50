//! The transport's systems: per-port tasks on Bevy's compute pool, framed by short serial
//! passes that exchange buffers with the peer entities.
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

use bevy::ecs::change_detection::{DetectChanges, DetectChangesMut};
use bevy::ecs::entity::Entity;
use bevy::ecs::message::MessageWriter;
use bevy::ecs::query::{With, Without};
use bevy::ecs::system::{Commands, Query, Res, ResMut};
use bevy::tasks::{ComputeTaskPool, TaskPool};
use serde_json::json;
use stardust_proto::{ConnectionEvent, ReasonCode};

use super::connect::PendingConnect;
use super::peer::{UdpConnectRejected, UdpDirection, UdpPeer, UdpPeerStats};
use super::port_io::{PeerSlot, Phase};
use super::reason;
use super::transport::UdpTransport;
use crate::channel::{ChannelRegistry, ProtocolHash};
use crate::messages::{PeerInbox, PeerOutbox};
use crate::peer::{DisconnectReason, PeerState, PeerStats};

type PeerItem<'a> = (
    &'a mut PeerState,
    &'a mut PeerInbox,
    &'a mut PeerOutbox,
    &'a mut PeerStats,
    &'a mut UdpPeer,
    &'a mut UdpPeerStats,
);
type Peers<'w, 's> = Query<'w, 's, PeerItem<'static>, Without<PendingConnect>>;
type Pending<'w, 's> =
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

/// Turns the listen port's valid requests into peers: spawns each, seats it on the least
/// loaded peer port, answers from the listen port and installs its engine on that port.
fn accept_requests(
    transport: &mut UdpTransport,
    commands: &mut Commands<'_, '_>,
    peers: &mut Peers<'_, '_>,
    now: Instant,
) {
    let Some(listener) = transport.listener.as_mut() else { return };
    let mut requests = std::mem::take(&mut listener.requests);
    for request in requests.drain(..) {
        let from = request.from();
        if request.replaces_existing() {
            // The remote restarted and asks again from the same address: the old connection
            // is gone on its side.
            drop_replaced(transport, peers, from);
        }
        let (Some(listener), Some(table)) = (transport.listener.as_mut(), transport.table.as_mut())
        else {
            break;
        };
        let Some(endpoint) = listener.endpoint.as_mut() else { break };
        if table.is_full() {
            let data = json!({ "max_peers": table.max_peers() });
            endpoint.reject(request, ReasonCode::FULL, data, &mut transport.reply);
            listener.send_reply(from, &transport.reply);
            continue;
        }
        let entity = commands.spawn_empty().id();
        let port = match table.assign(entity, from) {
            Ok(port) => port,
            Err(error) => {
                bevy::log::warn!("refusing a peer from {from}: {error}");
                commands.entity(entity).despawn();
                endpoint.reject(request, ReasonCode::FULL, json!(null), &mut transport.reply);
                listener.send_reply(from, &transport.reply);
                continue;
            }
        };
        let accepted =
            endpoint.accept(request, port, transport.seq.next_u16(), &mut transport.reply);
        listener.send_reply(from, &transport.reply);
        let conn = transport.accepted_connection(now, &accepted);
        let io = transport.peer_ports.iter_mut().find(|io| io.port() == port);
        let (Some(conn), Some(io)) = (conn, io) else {
            // No channel table (logged when it failed): undo the seat; the peer times out.
            if let Some(table) = transport.table.as_mut() {
                table.remove(entity);
            }
            endpoint_forget(transport, from);
            commands.entity(entity).despawn();
            continue;
        };
        io.insert(PeerSlot::new(entity, from, None, conn));
        commands.entity(entity).insert(UdpPeer {
            remote: from,
            local_port: port,
            direction: UdpDirection::Accepted,
            listen_addr: None,
        });
        bevy::log::debug!("accepted peer {entity} from {from} on port {port}");
    }
    if let Some(listener) = transport.listener.as_mut() {
        listener.requests = requests;
        listener.flush();
    }
}

fn endpoint_forget(transport: &mut UdpTransport, addr: std::net::SocketAddr) {
    if let Some(endpoint) = transport.listener.as_mut().and_then(|l| l.endpoint.as_mut()) {
        endpoint.forget(addr);
    }
}

/// Ends the accepted peer at `from` whose remote side restarted.
fn drop_replaced(
    transport: &mut UdpTransport,
    peers: &mut Peers<'_, '_>,
    from: std::net::SocketAddr,
) {
    for io in &mut transport.peer_ports {
        if let Some(slot) = io.slots.iter_mut().find(|slot| slot.remote == from) {
            slot.finished = true;
            if let Ok((mut state, ..)) = peers.get_mut(slot.entity) {
                state.set_disconnected(DisconnectReason::TransportClosed);
            }
        }
    }
    remove_finished(transport);
}

/// Moves the entity's outbox into its slot, and passes a close request on to the engine
/// (after the messages already in the outbox).
fn take_outbox(slot: &mut PeerSlot, peers: &mut Peers<'_, '_>, now: Instant) {
    if slot.orphan {
        return;
    }
    let Ok((state, _, mut outbox, ..)) = peers.get_mut(slot.entity) else {
        if slot.entity_missing() {
            orphan(slot, now);
        }
        return;
    };
    slot.seen = true;
    match &*state {
        PeerState::Connecting | PeerState::Connected => {
            if slot.outbox.is_empty() {
                std::mem::swap(&mut slot.outbox, &mut outbox.messages);
            } else {
                slot.outbox.append(&mut outbox.messages);
            }
        }
        PeerState::Closing(reason) | PeerState::Disconnected(reason) => {
            if matches!(&*state, PeerState::Closing(_)) {
                slot.outbox.append(&mut outbox.messages);
            } else {
                outbox.clear();
            }
            if !slot.close_requested {
                slot.close_requested = true;
                let (code, data) = reason::close_code(reason);
                slot.pending_close = Some((code, data));
            }
        }
    }
}

/// The entity is gone: close the connection quietly and drop the slot when it is over.
fn orphan(slot: &mut PeerSlot, now: Instant) {
    slot.orphan = true;
    slot.inbox.clear();
    slot.outbox.clear();
    let (code, data) = (ReasonCode::CLOSED, json!("peer entity despawned"));
    slot.conn.close(now, code, data);
}

/// Applies every slot's buffers, events and stats to its entity, then removes finished slots.
fn sync_all(
    transport: &mut UdpTransport,
    peers: &mut Peers<'_, '_>,
    rejected: &mut MessageWriter<'_, UdpConnectRejected>,
) {
    let local_hash = transport.protocol_hash();
    let violation_limit = transport.config().violation_limit;
    for port in transport.peer_ports.iter_mut().chain(&mut transport.client_ports) {
        for slot in &mut port.slots {
            sync_slot(slot, peers, rejected, local_hash, violation_limit);
        }
    }
    remove_finished(transport);
}

fn sync_slot(
    slot: &mut PeerSlot,
    peers: &mut Peers<'_, '_>,
    rejected: &mut MessageWriter<'_, UdpConnectRejected>,
    local_hash: u64,
    violation_limit: Option<u64>,
) {
    if slot.orphan {
        slot.events.clear();
        slot.inbox.clear();
        slot.finished |= slot.conn.is_closed();
        return;
    }
    let Ok((mut state, mut inbox, _, mut stats, mut udp, mut udp_stats)) =
        peers.get_mut(slot.entity)
    else {
        if slot.entity_missing() {
            orphan(slot, Instant::now());
        }
        return;
    };
    slot.seen = true;
    if inbox.messages.is_empty() {
        std::mem::swap(&mut inbox.messages, &mut slot.inbox);
    } else {
        inbox.messages.append(&mut slot.inbox);
    }
    for event in slot.events.drain(..) {
        match event {
            ConnectionEvent::Connected { .. } => {
                if *state == PeerState::Connecting {
                    *state = PeerState::Connected;
                }
                udp.remote = slot.remote;
            }
            ConnectionEvent::Rejected { code, data } => {
                let listen_addr = slot.listen_addr.unwrap_or(slot.remote);
                state.set_disconnected(reason::rejection(code, &data, local_hash));
                rejected.write(UdpConnectRejected { peer: slot.entity, listen_addr, code, data });
                slot.finished = true;
            }
            ConnectionEvent::Closed { reason } => {
                let closing = match &*state {
                    PeerState::Closing(reason) => Some(reason.clone()),
                    _ => None,
                };
                state.set_disconnected(reason::closed(&reason, closing.as_ref()));
                slot.finished = true;
            }
        }
    }
    if let Some(session) = slot.conn.session() {
        let measured = session.stats();
        let rtt = if measured.packets_received > 0 { Some(measured.rtt) } else { stats.rtt };
        let loss = measured.packet_loss as f32;
        // Written only when they change, so `Changed<PeerStats>` means something.
        let current = (stats.rtt, stats.packet_loss, stats.bytes_sent, stats.bytes_received);
        if current != (rtt, loss, measured.bytes_sent, measured.bytes_received) {
            stats.rtt = rtt;
            stats.packet_loss = loss;
            stats.bytes_sent = measured.bytes_sent;
            stats.bytes_received = measured.bytes_received;
        }
        udp_stats.set_if_neq(UdpPeerStats {
            packets_sent: measured.packets_sent,
            packets_received: measured.packets_received,
            packets_lost: measured.packets_lost,
            frames_resent: measured.frames_resent,
            dropped_incoming: measured.drops.total(),
            queued_messages: slot.outbox.len() as u64,
        });
        if let Some(limit) = violation_limit
            && state.is_connected()
            && let Some(reason) = reason::violation(|r| measured.drops.get(r), limit)
        {
            bevy::log::warn!("disconnecting peer {} at {}: {reason}", slot.entity, slot.remote);
            // Closing is carried out by the send phase, which tells the remote side why.
            *state = PeerState::Closing(reason);
        }
    }
}

/// Drops finished slots from their ports, the port table and the endpoint; closes client
/// ports left empty.
fn remove_finished(transport: &mut UdpTransport) {
    let (table, listener) = (&mut transport.table, &mut transport.listener);
    for io in &mut transport.peer_ports {
        io.remove_finished(|slot| {
            if let Some(table) = table.as_mut() {
                table.remove(slot.entity);
            }
            if let Some(endpoint) = listener.as_mut().and_then(|l| l.endpoint.as_mut()) {
                endpoint.forget(slot.remote);
            }
        });
    }
    for io in &mut transport.client_ports {
        io.remove_finished(|_| {});
    }
    transport.client_ports.retain(|io| !io.slots.is_empty());
}
