//! The serial passes between the port tasks and the ECS: outboxes into the slots before
//! sending; inboxes, lifecycle events and stats out of the slots after each phase.

use std::time::Instant;

use bevy::ecs::change_detection::{DetectChangesMut, Mut};
use bevy::ecs::message::MessageWriter;
use stardust_proto::{ConnectionEvent, SessionStats, ZeroDropReason};

use super::Peers;
use crate::peer::{PeerState, PeerStats};
use crate::udp::peer::{UdpConnectRejected, UdpPeer, UdpPeerStats};
use crate::udp::port_io::PeerSlot;
use crate::udp::reason;
use crate::udp::transport::UdpTransport;

/// Before the send phase: every entity's outbox into its slot, and close requests on to the
/// engines (after the messages already taken).
pub(super) fn take_outboxes(transport: &mut UdpTransport, peers: &mut Peers<'_, '_>, now: Instant) {
    for slot in transport.slots_mut() {
        take_outbox(slot, peers, now);
    }
}

fn take_outbox(slot: &mut PeerSlot, peers: &mut Peers<'_, '_>, now: Instant) {
    if slot.is_orphan() {
        return;
    }
    let Ok((state, _, mut outbox, ..)) = peers.get_mut(slot.entity()) else {
        if slot.entity_missing() {
            slot.orphan(now);
        }
        return;
    };
    slot.mark_seen();
    match &*state {
        PeerState::Connecting | PeerState::Connected => slot.take_outgoing(&mut outbox.messages),
        PeerState::Closing(reason) | PeerState::Disconnected(reason) => {
            if matches!(&*state, PeerState::Closing(_)) {
                slot.take_outgoing(&mut outbox.messages);
            } else {
                outbox.clear();
            }
            let (code, data) = reason::close_code(reason);
            slot.request_close(code, data);
        }
    }
}

/// After a phase: applies every slot's buffers, events and stats to its entity, then removes
/// finished slots.
pub(super) fn sync_all(
    transport: &mut UdpTransport,
    peers: &mut Peers<'_, '_>,
    rejected: &mut MessageWriter<'_, UdpConnectRejected>,
) {
    let context = Context {
        local_hash: transport.protocol_hash(),
        violation_limit: transport.config().violation_limit,
    };
    // Accepted peers that proved themselves in this phase (rarely any).
    let mut proven = Vec::new();
    for slot in transport.slots_mut() {
        if sync_slot(slot, peers, rejected, context) {
            proven.extend(slot.record());
        }
    }
    for record in proven {
        transport.proven(record);
    }
    transport.remove_finished(Instant::now());
}

/// What every slot's pass needs from the transport.
#[derive(Debug, Clone, Copy)]
struct Context {
    local_hash: u64,
    violation_limit: Option<u64>,
}

/// Returns whether the peer connected in this phase.
fn sync_slot(
    slot: &mut PeerSlot,
    peers: &mut Peers<'_, '_>,
    rejected: &mut MessageWriter<'_, UdpConnectRejected>,
    context: Context,
) -> bool {
    if slot.is_orphan() {
        slot.settle_orphan();
        return false;
    }
    let Ok((mut state, mut inbox, _, stats, mut udp, udp_stats)) = peers.get_mut(slot.entity())
    else {
        if slot.entity_missing() {
            slot.orphan(Instant::now());
        }
        return false;
    };
    slot.mark_seen();
    slot.deliver_into(&mut inbox.messages);
    let connected = apply_events(slot, &mut state, &mut udp, rejected, context.local_hash);
    if udp.remote != slot.remote() && state.is_connected() {
        // The peer moved (path migration): follow it.
        udp.remote = slot.remote();
    }
    let Some(measured) = slot.conn().session().map(|session| session.stats()) else {
        return connected;
    };
    apply_stats(measured, slot, stats, udp_stats);
    if let Some(limit) = context.violation_limit
        && state.is_connected()
        && let Some(reason) = reason::violation(|r| measured.drops.get(r), limit)
    {
        bevy::log::warn!("disconnecting peer {} at {}: {reason}", slot.entity(), slot.remote());
        // Closing is carried out by the send phase, which tells the remote side why.
        *state = PeerState::Closing(reason);
    }
    connected
}

/// Applies the engine's lifecycle events to the entity's state (and writes a rejection as
/// a [`UdpConnectRejected`]); a terminal event finishes the slot. Returns whether the peer
/// connected.
fn apply_events(
    slot: &mut PeerSlot,
    state: &mut Mut<'_, PeerState>,
    udp: &mut Mut<'_, UdpPeer>,
    rejected: &mut MessageWriter<'_, UdpConnectRejected>,
    local_hash: u64,
) -> bool {
    let (entity, remote, listen_addr) = (slot.entity(), slot.remote(), slot.listen_addr());
    let (secure, peer_key) = (slot.conn().is_secure(), slot.conn().peer_key());
    let (mut finished, mut connected) = (false, false);
    for event in slot.take_events() {
        match event {
            ConnectionEvent::Connected { .. } => {
                connected = true;
                if **state == PeerState::Connecting {
                    **state = PeerState::Connected;
                }
                udp.remote = remote;
                udp.secure = secure;
                udp.peer_key = udp.peer_key.or(peer_key);
            }
            ConnectionEvent::Rejected { code, data } => {
                let listen_addr = listen_addr.unwrap_or(remote);
                state.set_disconnected(reason::rejection(code, &data, local_hash));
                rejected.write(UdpConnectRejected { peer: entity, listen_addr, code, data });
                finished = true;
            }
            ConnectionEvent::Closed { reason } => {
                let closing = match &**state {
                    PeerState::Closing(reason) => Some(reason.clone()),
                    _ => None,
                };
                state.set_disconnected(reason::closed(&reason, closing.as_ref()));
                finished = true;
            }
        }
    }
    if finished {
        slot.finish();
    }
    connected
}

/// Copies the engine's counters into the entity's stats, writing each component only when
/// it changes, so `Changed<PeerStats>` means something.
fn apply_stats(
    measured: &SessionStats,
    slot: &PeerSlot,
    mut stats: Mut<'_, PeerStats>,
    mut udp_stats: Mut<'_, UdpPeerStats>,
) {
    let zero = slot.conn().zero_stats();
    let unauthenticated =
        zero.dropped(ZeroDropReason::Unauthenticated) + zero.dropped(ZeroDropReason::Replayed);
    let rtt = if measured.packets_received > 0 { Some(measured.rtt) } else { stats.rtt };
    let loss = measured.packet_loss as f32;
    let current = (
        stats.rtt,
        stats.packet_loss,
        stats.packets_in_window,
        stats.packets_since_connect,
        stats.bytes_sent,
        stats.bytes_received,
    );
    let fresh =
        (rtt, loss, measured.recent, measured.total, measured.bytes_sent, measured.bytes_received);
    if current != fresh {
        stats.rtt = rtt;
        stats.packet_loss = loss;
        stats.packets_in_window = measured.recent;
        stats.packets_since_connect = measured.total;
        stats.bytes_sent = measured.bytes_sent;
        stats.bytes_received = measured.bytes_received;
    }
    udp_stats.set_if_neq(UdpPeerStats {
        packets_sent: measured.packets_sent,
        packets_received: measured.packets_received,
        packets_lost: measured.packets_lost,
        frames_resent: measured.frames_resent,
        dropped_incoming: measured.drops.total(),
        dropped_unauthenticated: unauthenticated,
        migrations: slot.migrations(),
        queued_messages: slot.queued_messages() as u64,
    });
}
