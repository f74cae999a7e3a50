//! Helpers of the UDP scenario tests, on top of `udp_support`: longer bounded drive loops for
//! loaded CI machines, many connections at once, and matching the two ends of a connection.
//!
//! Use from a test file with `mod udp_support; mod udp_scenarios;` and
//! `use udp_scenarios::*;`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bevy::ecs::system::RunSystemOnce;
use bevy::prelude::*;
use bytes::Bytes;
use stardust::channel::Raw;
use stardust::prelude::*;

use crate::support::{
    FRAME_PAUSE, connect, connected_accepted, is_connected, listen_addr, run_until_within,
};

/// Longest any scenario waits for something that normally takes well under a second: CI
/// runs test binaries in parallel on two cores, so a frame can be slow.
pub const DEADLINE: Duration = Duration::from_secs(20);
/// Most rounds any scenario loop runs (a round updates every App once).
pub const MAX_ROUNDS: usize = 20_000;

/// Runs every App once per round until `done` holds, for at most [`MAX_ROUNDS`] rounds and
/// `limit`. Returns whether it held.
pub fn drive(
    apps: &mut [&mut App],
    limit: Duration,
    done: impl FnMut(&mut [&mut App]) -> bool,
) -> bool {
    run_until_within(apps, MAX_ROUNDS, limit, done)
}

/// Runs every App for `duration` (at most [`MAX_ROUNDS`] rounds), checking `healthy` after
/// each round; returns the first round at which it failed, if any.
pub fn drive_for(
    apps: &mut [&mut App],
    duration: Duration,
    mut healthy: impl FnMut(&mut [&mut App]) -> bool,
) -> Result<(), usize> {
    let start = Instant::now();
    for round in 0..MAX_ROUNDS {
        if start.elapsed() >= duration {
            return Ok(());
        }
        for app in apps.iter_mut() {
            app.update();
        }
        if !healthy(apps) {
            return Err(round);
        }
        std::thread::sleep(FRAME_PAUSE);
    }
    Ok(())
}

/// Connects `client` to `listener` and drives both (at most [`DEADLINE`]) until the
/// connection is up on both sides; returns `(the listener as seen by the client, the client as
/// seen by the listener)`. Panics if it does not come up, or if `listener` had other peers.
#[track_caller]
pub fn connect_one(listener: &mut App, client: &mut App) -> (Entity, Entity) {
    let outgoing = connect(client, listen_addr(listener));
    let connected = drive(&mut [&mut *listener, &mut *client], DEADLINE, |apps| {
        is_connected(apps[1], outgoing) && connected_accepted(apps[0]).len() == 1
    });
    assert!(connected, "the client did not connect");
    (outgoing, connected_accepted(listener)[0])
}

/// Starts `count` connections from `app` to the listener at `addr`.
pub fn connect_many(app: &mut App, addr: SocketAddr, count: usize) -> Vec<Entity> {
    (0..count).map(|_| connect(app, addr)).collect()
}

/// Sends every `(peer, payload)` of `messages` on channel `C` from `app` in one system run,
/// in order; panics naming the first message refused.
pub fn send_all<C: Channel<Message = Raw>>(app: &mut App, messages: Vec<(Entity, Vec<u8>)>) {
    let messages: Vec<(Entity, Bytes)> =
        messages.into_iter().map(|(peer, payload)| (peer, Bytes::from(payload))).collect();
    let sent = app.world_mut().run_system_once(move |mut writer: ChannelWriter<C>| {
        for (i, (peer, payload)) in messages.iter().enumerate() {
            if let Err(error) = writer.send(*peer, payload.clone()) {
                return Err(format!("message {i} refused: {error}"));
            }
        }
        Ok(())
    });
    sent.expect("one-shot system runs").unwrap_or_else(|error| panic!("{error}"));
}

/// Whether every peer of `peers` is connected in `app`.
pub fn all_connected(app: &App, peers: &[Entity]) -> bool {
    peers.iter().all(|&peer| is_connected(app, peer))
}

/// The [`UdpPeer`] of `peer` in `app`.
pub fn udp_peer(app: &App, peer: Entity) -> UdpPeer {
    *app.world().get::<UdpPeer>(peer).expect("the entity is a udp peer")
}

/// For each outgoing peer of `client`, the accepted peer of `listener` at the other end of
/// the same connection: the one whose remote port is the outgoing peer's client port.
/// Panics naming the outgoing peer that has no counterpart.
pub fn counterparts(listener: &mut App, client: &App, outgoing: &[Entity]) -> Vec<Entity> {
    let mut query = listener.world_mut().query::<(Entity, &UdpPeer)>();
    let by_remote_port: BTreeMap<u16, Entity> = query
        .iter(listener.world())
        .filter(|(_, udp)| udp.direction == UdpDirection::Accepted)
        .map(|(entity, udp)| (udp.remote.port(), entity))
        .collect();
    outgoing
        .iter()
        .map(|&peer| {
            let local = udp_peer(client, peer).local_port;
            *by_remote_port
                .get(&local)
                .unwrap_or_else(|| panic!("no accepted peer talks to client port {local}"))
        })
        .collect()
}

/// The peers each peer port of `app` carries, by port, as the port table says.
pub fn table(app: &App) -> BTreeMap<u16, Vec<Entity>> {
    let transport = app.world().resource::<UdpTransport>();
    let table = transport.port_table().expect("the app listens");
    table.iter().map(|(port, peers)| (port, peers.collect())).collect()
}

/// The number of peers on each peer port of `app`, ascending by port.
pub fn loads(app: &App) -> Vec<usize> {
    table(app).values().map(Vec::len).collect()
}

/// A deterministic pseudo-random byte stream (xorshift64*), so payloads and garbage are
/// varied yet every run sends the same bytes.
#[derive(Debug, Clone)]
pub struct Bytes64(u64);

impl Bytes64 {
    /// A stream seeded by `seed` (any value; 0 is remapped).
    pub fn new(seed: u64) -> Self {
        Bytes64(seed | 1)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// `len` random bytes.
    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next_u64() as u8).collect()
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}
