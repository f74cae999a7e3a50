//! The two passes that move messages between the per-channel queues games use and the
//! per-peer queues transports use, each serving every channel at once.

use bevy::app::App;
use bevy::ecs::entity::Entity;
use bevy::ecs::system::{Query, ResMut, SystemParam};

use super::incoming::{Delivery, IncomingMessages};
use super::{OutgoingMessages, PeerInbox, PeerOutbox};
use crate::channel::{Channel, ChannelId, ChannelMessage};
use crate::peer::PeerStats;
use crate::stats::RuntimeStats;

/// Registers channel `C`'s slots in [`IncomingMessages`] and [`OutgoingMessages`].
///
/// Called by [`ChannelAppExt::add_channel`](crate::plugin::ChannelAppExt::add_channel) the
/// first time `C` is registered, so it works whether the channel is added before or after
/// [`StardustPlugin`](crate::plugin::StardustPlugin), whose two systems serve every channel:
/// adding a channel adds no system to the frame.
pub(crate) fn install_channel<C: Channel>(app: &mut App) {
    app.init_resource::<RuntimeStats>();
    let world = app.world_mut();
    let check = <C::Message as ChannelMessage>::CHECK;
    world.get_resource_or_init::<IncomingMessages>().add(C::ID, C::CONFIG.max_size, check);
    world.get_resource_or_init::<OutgoingMessages>().add(C::ID);
}

/// What [`StardustSet::Dispatch`](crate::plugin::StardustSet::Dispatch) needs to route the
/// inboxes.
#[derive(SystemParam)]
pub(crate) struct Routing<'w, 's> {
    incoming: ResMut<'w, IncomingMessages>,
    totals: ResMut<'w, RuntimeStats>,
    peers: Query<'w, 's, (Entity, &'static mut PeerInbox, &'static mut PeerStats)>,
}

impl Routing<'_, '_> {
    /// Starts every channel's next dispatch, then drains every peer's inbox into the
    /// channels, dropping and counting unknown channel ids, oversize messages and typed
    /// messages that do not decode. Order within a peer and channel is preserved.
    pub(crate) fn route(&mut self) {
        let incoming = &mut *self.incoming;
        incoming.rotate();
        for (peer, mut inbox, mut stats) in &mut self.peers {
            if inbox.messages.is_empty() {
                continue;
            }
            let (mut received, mut unknown, mut oversize, mut undecodable) = (0, 0, 0, 0);
            // Messages of one channel usually come in runs: remember the last lookup.
            let mut last: Option<(ChannelId, usize)> = None;
            for (id, payload) in inbox.messages.drain(..) {
                let slot = match last {
                    Some((last_id, slot)) if last_id == id => slot,
                    _ => match incoming.slot_of(id) {
                        Some(slot) => {
                            last = Some((id, slot));
                            slot
                        }
                        None => {
                            unknown += 1;
                            continue;
                        }
                    },
                };
                match incoming.deliver(slot, peer, payload) {
                    Delivery::Delivered => received += 1,
                    Delivery::Oversize => oversize += 1,
                    Delivery::Undecodable => {
                        undecodable += 1;
                        stats.count_undecodable(id);
                        bevy::log::debug!(
                            "peer {peer}: dropped a message on channel {id} that does not decode \
                             as the channel's message type"
                        );
                    }
                }
            }
            stats.messages_received += received;
            stats.dropped_unknown_channel += unknown;
            stats.dropped_oversize += oversize;
            self.totals.dropped_unknown_channel += unknown;
            self.totals.dropped_oversize += oversize;
            self.totals.dropped_undecodable += undecodable;
            if unknown + oversize > 0 {
                bevy::log::debug!(
                    "peer {peer}: dropped {unknown} messages on unknown channels and {oversize} \
                     oversize"
                );
            }
        }
    }
}

/// `StardustSet::Flush`: moves every channel's sent messages into their peers' outboxes,
/// each channel in send order.
pub(crate) fn flush_outgoing(
    mut outgoing: ResMut<'_, OutgoingMessages>,
    mut totals: ResMut<'_, RuntimeStats>,
    mut peers: Query<'_, '_, (&mut PeerOutbox, &mut PeerStats)>,
) {
    for slot in &mut outgoing.slots {
        if slot.messages.is_empty() {
            continue;
        }
        let id = slot.id;
        let mut gone = 0;
        // Games usually send runs of messages to one peer: look each run's peer up once.
        let mut messages = slot.messages.drain(..).peekable();
        while let Some((peer, payload)) = messages.next() {
            let mut run = 1;
            match peers.get_mut(peer) {
                Ok((mut outbox, mut stats)) => {
                    let outbox = &mut outbox.messages;
                    outbox.push((id, payload));
                    while let Some((_, payload)) = messages.next_if(|(next, _)| *next == peer) {
                        outbox.push((id, payload));
                        run += 1;
                    }
                    stats.messages_sent += run;
                }
                Err(_) => {
                    while messages.next_if(|(next, _)| *next == peer).is_some() {
                        run += 1;
                    }
                    gone += run;
                }
            }
        }
        if gone > 0 {
            totals.dropped_peer_gone += gone;
            bevy::log::debug!("channel {id}: dropped {gone} messages to despawned peers");
        }
    }
}
