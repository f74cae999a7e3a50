//! The listener's side: accepted peers become guests; their chat is relayed to everyone
//! (echoed to the sender), their events acknowledged, their positions gathered into
//! snapshots sent to every guest. A relay or acknowledgement that cannot be sent to a
//! connected guest is a failure of the run ([`RelayFailures`]).

use std::time::Duration;

use bevy::prelude::*;
use stardust::prelude::*;

use crate::channels::{self, Chat, ChatRelay, Events, Kind, Positions, SNAPSHOT_MAX};
use crate::phase::Clock;
use crate::traffic::Traffic;

/// Time between two position snapshots.
const SNAPSHOT_EVERY: Duration = Duration::from_millis(50);

/// An accepted peer, numbered in order of arrival.
#[derive(Component, Debug)]
pub struct Guest {
    /// Arrival number, from 1.
    pub index: u16,
    position: Option<(f32, f32)>,
    /// Relayed lines held while this guest is still connecting (other guests may already be
    /// playing), sent in order the frame it is connected, so it misses none of them.
    held: Vec<Vec<u8>>,
}

/// Whether the listener prints a line per join and leave.
#[derive(Resource, Debug, Default, Clone, Copy)]
pub struct AnnounceGuests(pub bool);

/// The next guest number.
#[derive(Resource, Debug, Default)]
struct NextGuest(u16);

/// Most failures [`RelayFailures`] describes one by one; the rest are only counted.
const FAILURES_LISTED: usize = 10;

/// Reliable messages the listener owed a connected guest (a relayed chat line, an event's
/// acknowledgement) and could not send: each one a message the arena promised and lost.
#[derive(Resource, Debug, Default)]
pub struct RelayFailures {
    /// How many.
    pub count: u64,
    /// The first [`FAILURES_LISTED`], described.
    pub first: Vec<String>,
}

impl RelayFailures {
    fn record(&mut self, what: impl FnOnce() -> String) {
        self.count += 1;
        if self.first.len() < FAILURES_LISTED {
            self.first.push(what());
        }
    }

    /// The failures as problems of the run; empty when there were none.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = self.first.clone();
        if self.count > self.first.len() as u64 {
            problems.push(format!("… {} listener send failures in all", self.count));
        }
        problems
    }
}

/// Installs the listener's systems and the observer that makes accepted peers guests.
pub fn add_host(app: &mut App, announce: bool) {
    app.init_resource::<NextGuest>()
        .init_resource::<RelayFailures>()
        .insert_resource(AnnounceGuests(announce))
        .add_observer(admit)
        .add_systems(Update, (host_relay, host_snapshots, announce_guests));
}

/// Tags accepted peers the moment the transport spawns them, so that no message of theirs
/// is read before they are counted.
fn admit(
    add: On<Add, UdpPeer>,
    peers: Query<&UdpPeer>,
    mut next: ResMut<NextGuest>,
    mut commands: Commands,
) {
    let Ok(udp) = peers.get(add.entity) else { return };
    if udp.direction == UdpDirection::Accepted {
        next.0 = next.0.wrapping_add(1);
        let guest = Guest { index: next.0, position: None, held: Vec::new() };
        commands.entity(add.entity).insert((guest, Traffic::default()));
    }
}

/// Relays chat lines to every guest (back to the sender with the echo flag), acknowledges
/// events to their sender, and records positions.
fn host_relay(
    chat_in: ChannelReader<Chat>,
    positions_in: ChannelReader<Positions>,
    events_in: ChannelReader<Events>,
    mut guests: Query<(Entity, &mut Guest, &mut Traffic, &PeerState)>,
    mut relay: ChannelWriter<ChatRelay>,
    mut events: ChannelWriter<Events>,
    mut failures: ResMut<RelayFailures>,
) {
    let mut lines = Vec::new();
    for (from, bytes) in chat_in.read() {
        let Ok((_, guest, mut traffic, _)) = guests.get_mut(from) else { continue };
        traffic.received(Kind::Chat);
        lines.push((from, guest.index, bytes.clone()));
    }
    for (guest, mut to, mut traffic, state) in &mut guests {
        if state.is_connected() && !to.held.is_empty() {
            for line in std::mem::take(&mut to.held) {
                relay_one(&mut relay, &mut failures, guest, &to, &mut traffic, line);
            }
        }
    }
    for (from, index, message) in &lines {
        for (guest, mut to, mut traffic, state) in &mut guests {
            let line = channels::relayed_chat(guest == *from, *index, message);
            match state {
                PeerState::Connected => {
                    relay_one(&mut relay, &mut failures, guest, &to, &mut traffic, line);
                }
                PeerState::Connecting => to.held.push(line),
                // Gone: nothing more is owed to it.
                _ => {}
            }
        }
    }
    for (from, bytes) in events_in.read() {
        let Ok((_, guest, mut traffic, state)) = guests.get_mut(from) else { continue };
        traffic.received(Kind::Events);
        let Some(seq) = channels::read_u32(bytes, 0) else { continue };
        if !state.is_connected() {
            continue;
        }
        match events.send(from, seq.to_be_bytes().to_vec()) {
            Ok(()) => traffic.sent(Kind::Events),
            Err(error) => failures.record(|| {
                format!("listener: ack of guest-{:02}'s event #{seq}: {error}", guest.index)
            }),
        }
    }
    for (from, bytes) in positions_in.read() {
        let Ok((_, mut guest, mut traffic, _)) = guests.get_mut(from) else { continue };
        traffic.received(Kind::Positions);
        if let Some(position) = channels::read_position(bytes) {
            guest.position = Some(position);
        }
    }
}

/// Sends one relayed line to `guest`, counting it, or recording why it could not be sent.
fn relay_one(
    relay: &mut ChannelWriter<ChatRelay>,
    failures: &mut RelayFailures,
    guest: Entity,
    to: &Guest,
    traffic: &mut Traffic,
    line: Vec<u8>,
) {
    match relay.send(guest, line) {
        Ok(()) => traffic.sent(Kind::Chat),
        Err(error) => failures
            .record(|| format!("listener: relay of a line to guest-{:02}: {error}", to.index)),
    }
}

/// Every [`SNAPSHOT_EVERY`], sends each guest the positions of (up to [`SNAPSHOT_MAX`])
/// guests.
fn host_snapshots(
    clock: Res<Clock>,
    mut next: Local<Duration>,
    mut guests: Query<(Entity, &Guest, &mut Traffic, &PeerState)>,
    mut positions: ChannelWriter<Positions>,
) {
    if clock.0 < *next {
        return;
    }
    *next = clock.0 + SNAPSHOT_EVERY;
    let entries: Vec<(u16, f32, f32)> = guests
        .iter()
        .filter_map(|(_, guest, _, _)| guest.position.map(|(x, y)| (guest.index, x, y)))
        .take(SNAPSHOT_MAX)
        .collect();
    if entries.is_empty() {
        return;
    }
    let payload = bytes::Bytes::from(channels::snapshot(&entries));
    for (peer, _, mut traffic, state) in &mut guests {
        if state.is_connected() && positions.send(peer, payload.clone()).is_ok() {
            traffic.sent(Kind::Positions);
        }
    }
}

/// Prints a line per guest joining or leaving, when [`AnnounceGuests`] is on.
fn announce_guests(
    announce: Res<AnnounceGuests>,
    mut joined: MessageReader<PeerConnected>,
    mut left: MessageReader<PeerDisconnected>,
    guests: Query<(&Guest, &UdpPeer, &PeerState, &Traffic)>,
) {
    if !announce.0 {
        joined.clear();
        left.clear();
        return;
    }
    let connected = guests.iter().filter(|(_, _, state, _)| state.is_connected()).count();
    for message in joined.read() {
        if let Ok((guest, udp, _, _)) = guests.get(message.peer) {
            println!(
                "+ guest {} joined from {} on port {} ({connected} connected)",
                guest.index, udp.remote, udp.local_port
            );
        }
    }
    for message in left.read() {
        if let Ok((guest, udp, _, traffic)) = guests.get(message.peer) {
            println!(
                "- guest {} ({}) left: {} ({connected} connected); sent/received: \
                 chat {}, positions {}, events {}",
                guest.index,
                udp.remote,
                message.reason,
                traffic.pair(Kind::Chat),
                traffic.pair(Kind::Positions),
                traffic.pair(Kind::Events)
            );
        }
    }
}
