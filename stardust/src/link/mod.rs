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

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bevy::app::{App, Plugin, PostUpdate, PreUpdate};
use bevy::ecs::component::{Component, Mutable};
use bevy::ecs::entity::Entity;
use bevy::ecs::schedule::IntoScheduleConfigs;
use bevy::ecs::system::{Query, Res};
use bevy::tasks::ComputeTaskPool;
use bytes::Bytes;

use crate::channel::{ChannelId, ProtocolHash};
use crate::messages::{PeerInbox, PeerOutbox};
use crate::peer::{DisconnectInitiator, DisconnectReason, Peer, PeerState, PeerStats};
use crate::plugin::StardustSet;

/// Bytes of framing the link counts per message in `PeerStats::bytes_*`: the 3-byte
/// channel id a network transport would put on the wire.
const MESSAGE_OVERHEAD: u64 = 3;

/// Runs every [`Link`] of the app: receives in [`StardustSet::Receive`], sends in
/// [`StardustSet::Send`]. Needs [`StardustPlugin`](crate::plugin::StardustPlugin).
#[derive(Debug, Default, Clone)]
pub struct LinkPlugin;

impl Plugin for LinkPlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(PreUpdate, receive.in_set(StardustSet::Receive))
            .add_systems(PostUpdate, send.in_set(StardustSet::Send));
    }
}

/// One end of an in-memory connection, on the peer entity that stands for the other end.
///
/// Delivers every message exactly once and in send order, whatever the channel's
/// contract: the link never loses anything.
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
}

#[derive(Debug, Default)]
struct Pipe {
    queues: [Mutex<Vec<Packet>>; 2],
}

#[derive(Debug)]
enum Packet {
    Hello { protocol: u64 },
    Message(ChannelId, Bytes),
    Close(String),
}

/// Creates the two ends of a new in-memory connection. Spawn each end on an entity of
/// its App (a [`Peer`] is added with it), with any components of your own:
/// `world.spawn((end, Player { … }))`.
pub fn pair() -> (Link, Link) {
    let pipe = Arc::new(Pipe::default());
    let end = |side| Link { pipe: Arc::clone(&pipe), side, hello_sent: false, scratch: Vec::new() };
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
}

type LinkItem<'a, Queue> = (&'a mut Link, &'a mut PeerState, &'a mut Queue, &'a mut PeerStats);

/// Runs `one` on every link with the local protocol hash: in parallel on Bevy's compute pool
/// when the App has one, one after the other otherwise.
fn each_link<Queue: Component<Mutability = Mutable>>(
    links: &mut Query<'_, '_, LinkItem<'_, Queue>>,
    local_protocol: u64,
    one: fn(&mut Link, &mut PeerState, &mut Queue, &mut PeerStats, u64),
) {
    if ComputeTaskPool::try_get().is_some() {
        links.par_iter_mut().for_each(|(mut link, mut state, mut queue, mut stats)| {
            one(&mut link, &mut state, &mut queue, &mut stats, local_protocol);
        });
    } else {
        for (mut link, mut state, mut queue, mut stats) in links {
            one(&mut link, &mut state, &mut queue, &mut stats, local_protocol);
        }
    }
}

fn receive(mut links: Query<'_, '_, LinkItem<'_, PeerInbox>>, protocol: Res<'_, ProtocolHash>) {
    each_link(&mut links, protocol.0, receive_one);
}

fn receive_one(
    link: &mut Link,
    state: &mut PeerState,
    inbox: &mut PeerInbox,
    stats: &mut PeerStats,
    local_protocol: u64,
) {
    if matches!(state, PeerState::Disconnected(_)) {
        return;
    }
    {
        let mut queue = lock_queue(&link.pipe, link.side);
        core::mem::swap(&mut *queue, &mut link.scratch);
    }
    for packet in link.scratch.drain(..) {
        if matches!(state, PeerState::Disconnected(_)) {
            // Nothing the remote end sent after a disconnection matters.
            continue;
        }
        match packet {
            Packet::Hello { protocol } if protocol == local_protocol => {
                if *state == PeerState::Connecting {
                    *state = PeerState::Connected;
                }
            }
            Packet::Hello { protocol } => {
                state.set_disconnected(DisconnectReason::ProtocolMismatch {
                    local: local_protocol,
                    remote: protocol,
                });
            }
            Packet::Message(channel, payload) => {
                stats.bytes_received += payload.len() as u64 + MESSAGE_OVERHEAD;
                inbox.push(channel, payload);
            }
            Packet::Close(message) => {
                let by = DisconnectInitiator::Remote;
                state.set_disconnected(DisconnectReason::Requested { by, message });
            }
        }
    }
    if link.remote_dropped() {
        state.set_disconnected(DisconnectReason::TransportClosed);
    }
}

fn send(mut links: Query<'_, '_, LinkItem<'_, PeerOutbox>>, protocol: Res<'_, ProtocolHash>) {
    each_link(&mut links, protocol.0, send_one);
}

fn send_one(
    link: &mut Link,
    state: &mut PeerState,
    outbox: &mut PeerOutbox,
    stats: &mut PeerStats,
    local_protocol: u64,
) {
    let remote = 1 - link.side;
    if !link.hello_sent {
        // First, whatever the state: the remote end needs our hello to connect, or to see
        // for itself that the protocols differ.
        lock_queue(&link.pipe, remote).push(Packet::Hello { protocol: local_protocol });
        link.hello_sent = true;
    }
    if matches!(state, PeerState::Disconnected(_)) {
        outbox.clear();
        return;
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
    if let PeerState::Closing(reason) = state {
        let message = match &*reason {
            DisconnectReason::Requested { message, .. } => message.clone(),
            other => other.to_string(),
        };
        queue.push(Packet::Close(message));
        drop(queue);
        let reason = reason.clone();
        *state = PeerState::Disconnected(reason);
    }
}
