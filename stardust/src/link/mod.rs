//! The in-memory link transport: connects Apps in one process, for tests, examples and
//! games' own tests.
//!
//! Each [`Link`] is one end of a bidirectional, reliable, ordered in-memory pipe. It
//! follows the same [transport contract](crate::plugin#transport-contract) as a network
//! transport: the peer entity starts `Connecting`, both ends exchange a hello carrying
//! their [`ProtocolHash`] and become `Connected` when they match (or disconnect with
//! [`DisconnectReason::ProtocolMismatch`]), and a close on one end is seen on the other with
//! the same message. Dropping one end (despawning its entity or dropping its App)
//! disconnects the other with [`DisconnectReason::TransportClosed`].
//!
//! # Under a network conditioner
//!
//! When either App on a link has a [`NetworkConditioner`] set, the link carries datagrams
//! instead of whole messages, from that frame on, for good: both ends run the protocol
//! engine's reliability layer over the pipe (`datagrams.rs`), and each App's conditioner drops,
//! duplicates and delays those datagrams as it would on UDP. Reliable channels then still
//! deliver everything once, in order; unreliable ones lose what the conditions lose. The
//! hello and the close stay reliable; a close waits until everything reliable sent before it
//! was acknowledged (at most 2 s). See [`crate::conditioner`].
//!
//! ```
//! use bevy::prelude::*;
//! use stardust::prelude::*;
//!
//! let mut server = App::new();
//! let mut client = App::new();
//! for app in [&mut server, &mut client] {
//!     app.add_plugins((StardustPlugin, LinkPlugin));
//! }
//! let (_client_on_server, server_on_client) = stardust::link::connect(&mut server, &mut client);
//! for _ in 0..3 {
//!     server.update();
//!     client.update();
//! }
//! let state = client.world().get::<PeerState>(server_on_client).unwrap();
//! assert_eq!(*state, PeerState::Connected);
//! ```

mod datagrams;

use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use bevy::app::{App, Plugin, PostUpdate, PreUpdate};
use bevy::ecs::change_detection::DetectChanges;
use bevy::ecs::component::{Component, Mutable};
use bevy::ecs::entity::Entity;
use bevy::ecs::schedule::IntoScheduleConfigs;
use bevy::ecs::system::{Query, Res};
use bevy::tasks::ComputeTaskPool;
use bytes::Bytes;

use self::datagrams::LinkSession;
use crate::channel::{ChannelId, ChannelRegistry, ProtocolHash};
use crate::conditioner::{ConditionerStats, NetworkConditioner};
use crate::messages::{PeerInbox, PeerOutbox};
use crate::peer::{DisconnectInitiator, DisconnectReason, Peer, PeerState, PeerStats};
use crate::plugin::StardustSet;

/// Bytes of framing the link counts per message in `PeerStats::bytes_*`: the 3-byte
/// channel id a network transport would put on the wire.
const MESSAGE_OVERHEAD: u64 = 3;

/// Runs every [`Link`] of the app: receives in [`StardustSet::Receive`], sends in
/// [`StardustSet::Send`]. Needs [`StardustPlugin`](crate::plugin::StardustPlugin). Inserts
/// the App's [`NetworkConditioner`] (off) unless there is one already.
#[derive(Debug, Default, Clone)]
pub struct LinkPlugin;

impl Plugin for LinkPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<NetworkConditioner>();
        app.add_systems(PreUpdate, receive.in_set(StardustSet::Receive))
            .add_systems(PostUpdate, send.in_set(StardustSet::Send));
    }
}

/// One end of an in-memory connection, on the peer entity that stands for the other end.
///
/// Unconditioned, it delivers every message exactly once and in send order, whatever the
/// channel's contract: the link never loses anything. Conditioned (see the [module
/// documentation](self)), each channel keeps its own contract over a lossy pipe.
#[derive(Component, Debug)]
#[require(Peer)]
pub struct Link {
    pipe: Arc<Pipe>,
    /// Index of this end's incoming queue in `pipe.queues`; the remote end uses the other.
    side: usize,
    hello_sent: bool,
    /// Received packets being processed, swapped with the shared queue to hold the lock
    /// only for an exchange of buffers.
    scratch: Vec<Packet>,
    /// This end's reliability layer, once the link carries datagrams.
    session: Option<Box<LinkSession>>,
}

#[derive(Debug, Default)]
struct Pipe {
    queues: [Mutex<Vec<Packet>>; 2],
    /// Set by the first end whose App has conditions: from then on both ends send datagrams.
    datagrams: AtomicBool,
}

#[derive(Debug)]
enum Packet {
    Hello { protocol: u64 },
    Message(ChannelId, Bytes),
    Datagram(Vec<u8>),
    Close(String),
}

/// What every link of the App needs for one pass.
struct Frame<'a> {
    now: Instant,
    protocol: u64,
    conditioner: &'a NetworkConditioner,
    /// Whether the conditioner changed since the last pass.
    changed: bool,
    registry: &'a ChannelRegistry,
}

/// Creates the two ends of a new in-memory connection. Spawn each end on an entity of
/// its App (a [`Peer`] is added with it), with any components of your own:
/// `world.spawn((end, Player { … }))`.
pub fn pair() -> (Link, Link) {
    let pipe = Arc::new(Pipe::default());
    let end = |side| Link {
        pipe: Arc::clone(&pipe),
        side,
        hello_sent: false,
        scratch: Vec::new(),
        session: None,
    };
    (end(0), end(1))
}

/// Connects App `a` to App `b`: spawns a peer entity in each, standing for the other.
/// Returns `(b as seen by a, a as seen by b)`. Both are `Connecting` until each App has
/// run its update twice, interleaved with the other's.
pub fn connect(a: &mut App, b: &mut App) -> (Entity, Entity) {
    let (end_a, end_b) = pair();
    let on_a = a.world_mut().spawn(end_a).id();
    let on_b = b.world_mut().spawn(end_b).id();
    (on_a, on_b)
}

/// Locks the queue of packets travelling to end `side`.
fn lock_queue(pipe: &Pipe, side: usize) -> MutexGuard<'_, Vec<Packet>> {
    // A poisoned queue only means another thread panicked while pushing; the packets in it
    // are whole, so keep going rather than spreading the panic.
    pipe.queues[side].lock().unwrap_or_else(PoisonError::into_inner)
}

impl Link {
    fn remote_dropped(&self) -> bool {
        Arc::strong_count(&self.pipe) == 1
    }

    /// Whether this link carries datagrams through the protocol engine (it was conditioned
    /// on either end at some point).
    pub fn carries_datagrams(&self) -> bool {
        self.session.is_some()
    }

    /// What this end's conditioner did to the link's datagrams (all zero while the link was
    /// never conditioned on this end).
    pub fn conditioner_stats(&self) -> ConditionerStats {
        self.session.as_deref().map(LinkSession::conditioner_stats).unwrap_or_default()
    }

    /// Switches this end to datagrams when its App has conditions or the other end switched,
    /// and keeps its conditioner in step with the App's. Costs one branch and one atomic
    /// load while neither end was ever conditioned. The end's seed stream is its entity, so a
    /// seeded run repeats whatever order the links run in.
    fn follow_conditions(&mut self, entity: Entity, frame: &Frame<'_>) {
        let stream = entity.to_bits();
        if frame.conditioner.is_active() {
            self.pipe.datagrams.store(true, AtomicOrdering::Relaxed);
        }
        if self.session.is_none() && self.pipe.datagrams.load(AtomicOrdering::Relaxed) {
            match LinkSession::new(frame.registry, frame.now) {
                Ok(session) => {
                    let mut session = Box::new(session);
                    session.condition(frame.conditioner, stream);
                    self.session = Some(session);
                }
                Err(_) => bevy::log::error!(
                    "the link cannot carry datagrams: the registered channels do not form a \
                     valid channel table; check the channel ids"
                ),
            }
        } else if frame.changed
            && let Some(session) = self.session.as_deref_mut()
        {
            session.condition(frame.conditioner, stream);
        }
    }
}

type LinkItem<'a, Queue> =
    (Entity, &'a mut Link, &'a mut PeerState, &'a mut Queue, &'a mut PeerStats);

/// One link's part of a pass.
type OneLink<Queue> = fn(Entity, &mut Link, &mut PeerState, &mut Queue, &mut PeerStats, &Frame<'_>);

/// Runs `one` on every link: in parallel on Bevy's compute pool when the App has one, one
/// after the other otherwise.
fn each_link<Queue: Component<Mutability = Mutable>>(
    links: &mut Query<'_, '_, LinkItem<'_, Queue>>,
    frame: &Frame<'_>,
    one: OneLink<Queue>,
) {
    if ComputeTaskPool::try_get().is_some() {
        links.par_iter_mut().for_each(|(entity, mut link, mut state, mut queue, mut stats)| {
            one(entity, &mut link, &mut state, &mut queue, &mut stats, frame);
        });
    } else {
        for (entity, mut link, mut state, mut queue, mut stats) in links {
            one(entity, &mut link, &mut state, &mut queue, &mut stats, frame);
        }
    }
}

/// The resources every link reads in a pass.
type FrameParams<'w> =
    (Res<'w, ProtocolHash>, Res<'w, NetworkConditioner>, Res<'w, ChannelRegistry>);

fn frame<'a>(params: &'a FrameParams<'_>) -> Frame<'a> {
    let (protocol, conditioner, registry) = params;
    Frame {
        now: Instant::now(),
        protocol: protocol.0,
        conditioner,
        changed: conditioner.is_changed(),
        registry,
    }
}

fn receive(mut links: Query<'_, '_, LinkItem<'_, PeerInbox>>, params: FrameParams<'_>) {
    each_link(&mut links, &frame(&params), receive_one);
}

fn receive_one(
    entity: Entity,
    link: &mut Link,
    state: &mut PeerState,
    inbox: &mut PeerInbox,
    stats: &mut PeerStats,
    frame: &Frame<'_>,
) {
    if matches!(state, PeerState::Disconnected(_)) {
        return;
    }
    link.follow_conditions(entity, frame);
    {
        let mut queue = lock_queue(&link.pipe, link.side);
        core::mem::swap(&mut *queue, &mut link.scratch);
    }
    let mut packets = std::mem::take(&mut link.scratch);
    for packet in packets.drain(..) {
        if matches!(state, PeerState::Disconnected(_)) {
            // Nothing the remote end sent after a disconnection matters.
            continue;
        }
        match packet {
            Packet::Hello { protocol } if protocol == frame.protocol => {
                if *state == PeerState::Connecting {
                    *state = PeerState::Connected;
                }
            }
            Packet::Hello { protocol } => {
                state.set_disconnected(DisconnectReason::ProtocolMismatch {
                    local: frame.protocol,
                    remote: protocol,
                });
            }
            Packet::Message(channel, payload) => {
                stats.bytes_received += payload.len() as u64 + MESSAGE_OVERHEAD;
                inbox.push(channel, payload);
            }
            Packet::Datagram(bytes) => {
                // A datagram before this end switched (the other end switched first).
                link.follow_conditions(entity, frame);
                if let Some(session) = link.session.as_deref_mut() {
                    session.receive(frame.now, bytes, stats, |channel, payload| {
                        inbox.push(channel, payload);
                    });
                }
            }
            Packet::Close(message) => {
                let by = DisconnectInitiator::Remote;
                state.set_disconnected(DisconnectReason::Requested { by, message });
            }
        }
    }
    link.scratch = packets;
    if let Some(session) = link.session.as_deref_mut()
        && !matches!(state, PeerState::Disconnected(_))
    {
        session.settle(frame.now, |channel, payload| inbox.push(channel, payload));
    }
    if link.remote_dropped() {
        state.set_disconnected(DisconnectReason::TransportClosed);
    }
}

fn send(mut links: Query<'_, '_, LinkItem<'_, PeerOutbox>>, params: FrameParams<'_>) {
    each_link(&mut links, &frame(&params), send_one);
}

fn send_one(
    entity: Entity,
    link: &mut Link,
    state: &mut PeerState,
    outbox: &mut PeerOutbox,
    stats: &mut PeerStats,
    frame: &Frame<'_>,
) {
    let remote = 1 - link.side;
    if !link.hello_sent {
        // First, whatever the state: the remote end needs our hello to connect, or to see
        // for itself that the protocols differ.
        lock_queue(&link.pipe, remote).push(Packet::Hello { protocol: frame.protocol });
        link.hello_sent = true;
    }
    if matches!(state, PeerState::Disconnected(_)) {
        outbox.clear();
        return;
    }
    link.follow_conditions(entity, frame);
    if link.session.is_some() {
        return send_datagrams(link, state, outbox, stats, frame);
    }
    let closing = matches!(state, PeerState::Closing(_));
    if outbox.is_empty() && !closing {
        return;
    }
    let mut queue = lock_queue(&link.pipe, remote);
    let mut bytes = 0;
    queue.extend(outbox.drain().map(|(channel, payload)| {
        bytes += payload.len() as u64 + MESSAGE_OVERHEAD;
        Packet::Message(channel, payload)
    }));
    stats.bytes_sent += bytes;
    if let PeerState::Closing(_) = state {
        queue.push(Packet::Close(close_message(state)));
        drop(queue);
        finish_close(state);
    }
}

/// The send pass of a link that carries datagrams: the outbox through the session and the
/// outbound conditions onto the pipe; a close once what was sent before it is acknowledged.
fn send_datagrams(
    link: &mut Link,
    state: &mut PeerState,
    outbox: &mut PeerOutbox,
    stats: &mut PeerStats,
    frame: &Frame<'_>,
) {
    let Some(session) = link.session.as_deref_mut() else { return };
    let mut out = Vec::new();
    let refused = session.transmit(frame.now, outbox.drain(), stats, |d| out.push(d));
    if refused > 0 {
        bevy::log::warn!(
            "the link's engine refused {refused} message(s) (unknown channel or too large)"
        );
    }
    let close = matches!(state, PeerState::Closing(_)) && session.may_close(frame.now);
    if out.is_empty() && !close {
        return;
    }
    let mut queue = lock_queue(&link.pipe, 1 - link.side);
    queue.extend(out.into_iter().map(Packet::Datagram));
    if close {
        queue.push(Packet::Close(close_message(state)));
        drop(queue);
        finish_close(state);
    }
}

/// The message a close carries: the local side's, or the reason's text.
fn close_message(state: &PeerState) -> String {
    match state {
        PeerState::Closing(DisconnectReason::Requested { message, .. }) => message.clone(),
        PeerState::Closing(other) => other.to_string(),
        _ => String::new(),
    }
}

/// A closing end whose close went out is disconnected with its reason.
fn finish_close(state: &mut PeerState) {
    if let PeerState::Closing(reason) = state {
        let reason = reason.clone();
        *state = PeerState::Disconnected(reason);
    }
}
