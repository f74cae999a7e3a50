//! The systems that move messages between the typed per-channel queues and the untyped
//! per-peer queues, and the wiring that installs them for every registered channel.

use bevy::app::{App, PostUpdate, PreUpdate};
use bevy::ecs::entity::Entity;
use bevy::ecs::resource::Resource;
use bevy::ecs::schedule::{IntoScheduleConfigs, SystemSet};
use bevy::ecs::system::{Query, ResMut};
use bytes::Bytes;

use super::{Incoming, Outgoing, PeerInbox, PeerOutbox};
use crate::channel::{Channel, ChannelId};
use crate::peer::PeerStats;
use crate::plugin::StardustSet;
use crate::stats::RuntimeStats;

/// The steps inside [`StardustSet::Dispatch`], chained in this order.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum DispatchStep {
    /// Lifecycle messages for state changes made in `Receive`.
    Lifecycle,
    /// Every inbox drained into per-channel batches.
    Route,
    /// Each channel's batch handed to its readers.
    Deliver,
}

/// Installs the typed queues and the flush/deliver systems of channel `C`.
///
/// Called by [`ChannelAppExt::add_channel`](crate::channel::ChannelAppExt::add_channel) the
/// first time `C` is registered, so it works whether the channel is added before or after
/// [`StardustPlugin`](crate::plugin::StardustPlugin): systems only name the sets, which the
/// plugin orders whenever it is added.
pub(crate) fn install_channel<C: Channel>(app: &mut App) {
    app.init_resource::<Outgoing<C>>()
        .init_resource::<Incoming<C>>()
        .init_resource::<RuntimeStats>();
    app.world_mut().get_resource_or_init::<IncomingRouter>().add(C::ID, C::CONFIG.max_size);
    app.add_systems(PreUpdate, deliver::<C>.in_set(DispatchStep::Deliver))
        .add_systems(PostUpdate, flush::<C>.in_set(StardustSet::Flush));
}

/// Per-channel batches of incoming messages, between routing and delivery.
#[derive(Resource, Debug, Default)]
pub(crate) struct IncomingRouter {
    /// `(id, slot)` sorted by id, for lookups by binary search.
    index: Vec<(ChannelId, usize)>,
    slots: Vec<RouterSlot>,
}

#[derive(Debug)]
struct RouterSlot {
    max_size: usize,
    batch: Vec<(Entity, Bytes)>,
}

impl IncomingRouter {
    fn add(&mut self, id: ChannelId, max_size: u32) {
        if let Err(position) = self.index.binary_search_by_key(&id, |&(id, _)| id) {
            let max_size = usize::try_from(max_size).unwrap_or(usize::MAX);
            self.index.insert(position, (id, self.slots.len()));
            self.slots.push(RouterSlot { max_size, batch: Vec::new() });
        }
    }

    fn slot_of(&self, id: ChannelId) -> Option<usize> {
        let position = self.index.binary_search_by_key(&id, |&(id, _)| id).ok()?;
        Some(self.index[position].1)
    }
}

/// Drains every peer's inbox into per-channel batches, dropping and counting unknown
/// channel ids and oversize messages. Order within a peer and channel is preserved.
pub(crate) fn route_incoming(
    mut router: ResMut<'_, IncomingRouter>,
    mut totals: ResMut<'_, RuntimeStats>,
    mut peers: Query<'_, '_, (Entity, &mut PeerInbox, &mut PeerStats)>,
) {
    let router = &mut *router;
    for (peer, mut inbox, mut stats) in &mut peers {
        if inbox.messages.is_empty() {
            continue;
        }
        let (mut received, mut unknown, mut oversize) = (0, 0, 0);
        // Messages of one channel usually come in runs: remember the last lookup.
        let mut last: Option<(ChannelId, usize)> = None;
        for (id, payload) in inbox.messages.drain(..) {
            let slot = match last {
                Some((last_id, slot)) if last_id == id => slot,
                _ => match router.slot_of(id) {
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
            let slot = &mut router.slots[slot];
            if payload.len() > slot.max_size {
                oversize += 1;
                continue;
            }
            slot.batch.push((peer, payload));
            received += 1;
        }
        stats.messages_received += received;
        stats.dropped_unknown_channel += unknown;
        stats.dropped_oversize += oversize;
        totals.dropped_unknown_channel += unknown;
        totals.dropped_oversize += oversize;
        if unknown + oversize > 0 {
            bevy::log::debug!(
                "peer {peer}: dropped {unknown} messages on unknown channels and {oversize} oversize"
            );
        }
    }
}

/// Rotates channel `C`'s double buffer and hands it the batch routed this frame.
fn deliver<C: Channel>(
    mut router: ResMut<'_, IncomingRouter>,
    mut incoming: ResMut<'_, Incoming<C>>,
) {
    incoming.rotate();
    if let Some(slot) = router.slot_of(C::ID) {
        incoming.deliver(&mut router.slots[slot].batch);
    }
}

/// Moves channel `C`'s sent messages into their peers' outboxes, in send order.
fn flush<C: Channel>(
    mut outgoing: ResMut<'_, Outgoing<C>>,
    mut totals: ResMut<'_, RuntimeStats>,
    mut peers: Query<'_, '_, (&mut PeerOutbox, &mut PeerStats)>,
) {
    if outgoing.messages.is_empty() {
        return;
    }
    let mut gone = 0;
    // Games usually send runs of messages to one peer: look each run's peer up once.
    let mut messages = outgoing.messages.drain(..).peekable();
    while let Some((peer, payload)) = messages.next() {
        let mut run = 1;
        match peers.get_mut(peer) {
            Ok((mut outbox, mut stats)) => {
                let outbox = &mut outbox.messages;
                outbox.push((C::ID, payload));
                while let Some((_, payload)) = messages.next_if(|(next, _)| *next == peer) {
                    outbox.push((C::ID, payload));
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
        bevy::log::debug!("channel {}: dropped {gone} messages to despawned peers", C::ID);
    }
}
