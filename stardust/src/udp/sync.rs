//! The serial passes between the port tasks and the ECS: outboxes into the slots before
//! sending; inboxes, lifecycle events and stats out of the slots after each phase.

use std::time::Instant;

use bevy::ecs::change_detection::DetectChangesMut;
use bevy::ecs::message::MessageWriter;
use serde_json::json;
use stardust_proto::{ConnectionEvent, ReasonCode};

use super::io::Peers;
use super::peer::{UdpConnectRejected, UdpPeerStats};
use super::port_io::PeerSlot;
use super::reason;
use super::transport::UdpTransport;
use crate::peer::PeerState;

/// Moves the entity's outbox into its slot, and passes a close request on to the engine
/// (after the messages already in the outbox).
pub(super) fn take_outbox(slot: &mut PeerSlot, peers: &mut Peers<'_, '_>, now: Instant) {
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
pub(super) fn sync_all(
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
pub(super) fn remove_finished(transport: &mut UdpTransport) {
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
