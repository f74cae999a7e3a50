//! One peer on a port: its protocol engine and the buffers exchanged with its entity.

use std::net::SocketAddr;
use std::time::Instant;

use bevy::ecs::entity::Entity;
use bytes::Bytes;
use serde_json::{Value, json};
use stardust_proto::{
    ChannelId, Connection, ConnectionEvent, ConnectionSendError, ReasonCode, RecordKey, SendError,
};

/// Serial passes after which an entity never seen is taken as gone. Deferred commands
/// apply within one frame (two passes), so this leaves margin.
const UNSEEN_PASSES_LIMIT: u8 = 4;

/// One peer on a port: its engine, the messages and events waiting to cross to or from its
/// entity, and where it stands with that entity.
///
/// Invariant: once [`is_finished`](Self::is_finished), the slot produces nothing more and its
/// port removes it; an orphan (entity gone) only finishes its close.
#[derive(Debug)]
pub(crate) struct PeerSlot {
    entity: Entity,
    /// Where its datagrams go and come from (for an outgoing peer: the remote listen address
    /// until connected, then the assigned remote peer port).
    remote: SocketAddr,
    /// Outgoing peers: the remote listen address, which keeps routing to this slot.
    listen_addr: Option<SocketAddr>,
    /// The connection id of a secure connection, which routes its packets to this slot
    /// whatever their source address; `None` until known (an outgoing one learns it on accept).
    cid: Option<u64>,
    /// An accepted peer's record in the listen port's endpoint, forgotten with the slot.
    record: Option<RecordKey>,
    /// Times the peer moved to another address.
    migrations: u64,
    /// Boxed: the engine is ~2 KB, and the slot vectors grow by doubling and move slots on
    /// removal; a small slot keeps both cheap.
    conn: Box<Connection>,
    /// Messages received this frame, swapped into the entity's `PeerInbox`.
    inbox: Vec<(ChannelId, Bytes)>,
    /// Messages taken from the entity's `PeerOutbox`, not yet accepted by the engine.
    outbox: Vec<(ChannelId, Bytes)>,
    /// Engine events not yet applied to the entity.
    events: Vec<ConnectionEvent>,
    /// Whether the entity has been seen in the ECS (it is spawned, or loses its pending
    /// marker, through deferred commands).
    seen: bool,
    /// Serial passes that did not find the entity before it was first seen.
    unseen_passes: u8,
    /// Whether the entity's close request was taken (into `pending_close`).
    close_requested: bool,
    /// A close to hand to the engine once the messages before it are.
    pending_close: Option<(ReasonCode, Value)>,
    /// Whether the entity is gone: the slot lives on only to finish the close.
    orphan: bool,
    /// Whether the slot's terminal event was applied: remove it.
    finished: bool,
}

impl PeerSlot {
    /// A slot for `entity`'s connection `conn` with the peer at `remote` (and, for an
    /// outgoing peer, its listen address, which keeps routing here).
    pub(crate) fn new(
        entity: Entity,
        remote: SocketAddr,
        listen_addr: Option<SocketAddr>,
        conn: Connection,
    ) -> Self {
        Self {
            entity,
            remote,
            listen_addr,
            cid: None,
            record: None,
            migrations: 0,
            conn: Box::new(conn),
            inbox: Vec::new(),
            outbox: Vec::new(),
            events: Vec::new(),
            seen: false,
            unseen_passes: 0,
            close_requested: false,
            pending_close: None,
            orphan: false,
            finished: false,
        }
    }

    /// An accepted peer's slot: routed by `cid` when secure (by its address when not), and
    /// forgotten from the endpoint with `record`.
    pub(crate) fn accepted(
        entity: Entity,
        remote: SocketAddr,
        cid: Option<u64>,
        record: RecordKey,
        conn: Connection,
    ) -> Self {
        Self { cid, record: Some(record), ..Self::new(entity, remote, None, conn) }
    }

    /// The peer entity.
    pub(crate) fn entity(&self) -> Entity {
        self.entity
    }

    /// The connection id that routes this slot's sealed packets, once known.
    pub(crate) fn cid(&self) -> Option<u64> {
        self.cid
    }

    /// The endpoint record of an accepted peer.
    pub(crate) fn record(&self) -> Option<RecordKey> {
        self.record
    }

    /// Times the peer moved to another address.
    pub(crate) fn migrations(&self) -> u64 {
        self.migrations
    }

    /// Where the peer's datagrams go and come from.
    pub(crate) fn remote(&self) -> SocketAddr {
        self.remote
    }

    /// The addresses that route to this slot: an outgoing peer's listen address (handshake
    /// replies come from it), and the remote of an insecure connection (its packets carry no
    /// connection id). A secure connection's packets route by [`cid`](Self::cid).
    pub(crate) fn addresses(&self) -> impl Iterator<Item = SocketAddr> + use<> {
        let remote = self.cid.is_none().then_some(self.remote);
        [remote, self.listen_addr].into_iter().flatten()
    }

    /// An outgoing peer's remote listen address; `None` for accepted peers.
    pub(crate) fn listen_addr(&self) -> Option<SocketAddr> {
        self.listen_addr
    }

    /// The protocol engine.
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// Moves the peer to `remote` (an outgoing peer's assigned data port).
    pub(super) fn set_remote(&mut self, remote: SocketAddr) {
        self.remote = remote;
    }

    /// Routes the slot by `cid` from now on.
    pub(super) fn set_cid(&mut self, cid: u64) {
        self.cid = Some(cid);
    }

    /// Follows the peer to `remote`, from where a packet newer than any before authenticated.
    pub(super) fn migrate(&mut self, remote: SocketAddr) {
        self.remote = remote;
        self.migrations += 1;
    }

    /// Runs the engine's timers if due, and moves what it received into the inbox.
    pub(super) fn settle(&mut self, now: Instant) {
        if self.conn.poll_timeout().is_some_and(|due| due <= now) {
            self.conn.handle_timeout(now);
        }
        while let Some(message) = self.conn.poll_message() {
            self.inbox.push(message);
        }
    }

    /// Before sending: hands the outbox to the engine (keeping what a full channel queue
    /// refused, for the next frame), then a pending close (after the messages before it),
    /// then runs the engine's due timers. Returns how many outgoing messages were dropped
    /// (their connection was closing or refused them).
    pub(super) fn prepare_transmit(&mut self, now: Instant) -> u64 {
        let (accepted, mut dropped) = push_messages(&mut self.conn, &self.outbox);
        self.outbox.drain(..accepted);
        if let Some((code, data)) = self.pending_close.take() {
            dropped += self.outbox.len() as u64;
            self.outbox.clear();
            self.conn.close(now, code, data);
        }
        if self.conn.poll_timeout().is_some_and(|due| due <= now) {
            self.conn.handle_timeout(now);
        }
        dropped
    }

    /// Takes the engine's next event, for the port to route, then [`keep_event`](Self::keep_event).
    pub(super) fn poll_event(&mut self) -> Option<ConnectionEvent> {
        self.conn.poll_event()
    }

    /// Keeps an event for the serial pass that applies it to the entity.
    pub(super) fn keep_event(&mut self, event: ConnectionEvent) {
        self.events.push(event);
    }

    /// The events not yet applied to the entity, oldest first, taken: events are few, so an
    /// idle slot keeps no room for them.
    pub(crate) fn take_events(&mut self) -> Vec<ConnectionEvent> {
        std::mem::take(&mut self.events)
    }

    /// Swaps the received messages into `inbox` (appends when it is not empty), leaving the
    /// slot's inbox empty with the capacity the entity's had.
    pub(crate) fn deliver_into(&mut self, inbox: &mut Vec<(ChannelId, Bytes)>) {
        if inbox.is_empty() {
            std::mem::swap(inbox, &mut self.inbox);
        } else {
            inbox.append(&mut self.inbox);
        }
    }

    /// Takes the entity's outgoing messages, after those still waiting.
    pub(crate) fn take_outgoing(&mut self, outbox: &mut Vec<(ChannelId, Bytes)>) {
        if self.outbox.is_empty() {
            std::mem::swap(&mut self.outbox, outbox);
        } else {
            self.outbox.append(outbox);
        }
    }

    /// Messages waiting for room in a channel queue.
    pub(crate) fn queued_messages(&self) -> usize {
        self.outbox.len()
    }

    /// Passes the entity's close request on, once: the engine closes with `code` and `data`
    /// after the messages taken before it.
    pub(crate) fn request_close(&mut self, code: ReasonCode, data: Value) {
        if !self.close_requested {
            self.close_requested = true;
            self.pending_close = Some((code, data));
        }
    }

    /// Records that the entity was found this pass.
    pub(crate) fn mark_seen(&mut self) {
        self.seen = true;
    }

    /// Records a pass that did not find the entity; returns whether it is to be taken as
    /// gone (it was seen before, or it never showed up).
    pub(crate) fn entity_missing(&mut self) -> bool {
        self.unseen_passes = self.unseen_passes.saturating_add(1);
        self.seen || self.unseen_passes > UNSEEN_PASSES_LIMIT
    }

    /// The entity is gone: closes the connection quietly; the slot finishes when the close is
    /// over.
    pub(crate) fn orphan(&mut self, now: Instant) {
        self.orphan = true;
        self.inbox.clear();
        self.outbox.clear();
        self.conn.close(now, ReasonCode::CLOSED, json!("peer entity despawned"));
    }

    /// Whether the entity is gone.
    pub(crate) fn is_orphan(&self) -> bool {
        self.orphan
    }

    /// An orphan's pass: drops what would have gone to the entity; finishes once closed.
    pub(crate) fn settle_orphan(&mut self) {
        self.events.clear();
        self.inbox.clear();
        self.finished |= self.conn.is_closed();
    }

    /// Marks the slot for removal: its terminal event was applied.
    pub(crate) fn finish(&mut self) {
        self.finished = true;
    }

    /// Whether the slot is to be removed.
    pub(crate) fn is_finished(&self) -> bool {
        self.finished
    }
}

/// Hands `messages` to the engine in order; returns how many it took (accepted or dropped)
/// and how many of those it dropped. Stops at the first full channel queue so nothing is
/// lost and per-channel order holds.
fn push_messages(conn: &mut Connection, messages: &[(ChannelId, Bytes)]) -> (usize, u64) {
    let mut dropped = 0;
    for (taken, (channel, payload)) in messages.iter().enumerate() {
        match conn.send(*channel, payload.clone()) {
            Ok(()) => {}
            Err(ConnectionSendError::Session(SendError::QueueFull(_))) => return (taken, dropped),
            Err(ConnectionSendError::NotConnected) if !conn.is_closed() => {
                return (taken, dropped);
            }
            Err(_) => dropped += 1,
        }
    }
    (messages.len(), dropped)
}
