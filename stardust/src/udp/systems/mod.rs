//! The Bevy glue: the transport's two systems, and the serial passes that frame each phase.
//!
//! Receive (`StardustSet::Receive`): apply a changed `NetworkConditioner` → start pending connects (`pending.rs`) → run the receive
//! phase over every port (`phase/`) → accept the listen port's new peers (`accept.rs`) →
//! swap each peer's received messages into its `PeerInbox` and apply lifecycle events and
//! stats (`sync.rs`).
//!
//! Send (`StardustSet::Send`): start pending connects → swap each `PeerOutbox` into its
//! port's slot and pass on close requests (`sync.rs`) → run the send phase → apply events
//! and stats → measure the ports' rates.

mod accept;
mod pending;
mod sync;

use std::time::Instant;

use bevy::diagnostic::DiagnosticsStore;
use bevy::ecs::change_detection::DetectChanges;
use bevy::ecs::entity::Entity;
use bevy::ecs::message::MessageWriter;
use bevy::ecs::query::Without;
use bevy::ecs::system::{Commands, Query, Res, ResMut};

use self::accept::accept_requests;
use self::pending::{refuse_pending, start_pending};
use self::sync::{sync_all, take_outboxes};
use super::connect::PendingConnect;
use super::diagnostics::UdpDiagnostics;
use super::peer::{UdpConnectRejected, UdpPeer, UdpPeerStats};
use super::phase;
use super::port_io::Phase;
use super::transport::UdpTransport;
use crate::channel::{ChannelRegistry, ProtocolHash};
use crate::conditioner::NetworkConditioner;
use crate::messages::{PeerInbox, PeerOutbox};
use crate::peer::{PeerState, PeerStats};

/// The components of a peer the serial passes read and write.
type PeerItem<'a> = (
    &'a mut PeerState,
    &'a mut PeerInbox,
    &'a mut PeerOutbox,
    &'a mut PeerStats,
    &'a mut UdpPeer,
    &'a mut UdpPeerStats,
);
/// The UDP peers whose connection has started.
type Peers<'w, 's> = Query<'w, 's, PeerItem<'static>, Without<PendingConnect>>;
/// The UDP peers whose `connect_udp` the transport has not started yet.
type Pending<'w, 's> =
    Query<'w, 's, (Entity, &'static PendingConnect, &'static mut UdpPeer, &'static mut PeerState)>;

/// What the receive system brings the transport up to date with each frame: the channels,
/// the protocol hash and the network conditioner.
type Settings<'w> =
    (Res<'w, ChannelRegistry>, Res<'w, ProtocolHash>, Option<Res<'w, NetworkConditioner>>);

/// `StardustSet::Receive`: reads every port and updates the peers.
pub(crate) fn receive(
    transport: Option<ResMut<'_, UdpTransport>>,
    (registry, hash, conditioner): Settings<'_>,
    mut commands: Commands<'_, '_>,
    mut peers: Peers<'_, '_>,
    mut pending: Pending<'_, '_>,
    mut rejected: MessageWriter<'_, UdpConnectRejected>,
) {
    let Some(mut transport) = transport else {
        return refuse_pending(&mut pending, &mut commands);
    };
    let now = Instant::now();
    let transport = &mut *transport;
    if let Some(conditioner) = conditioner.filter(DetectChanges::is_changed) {
        transport.set_conditioner(&conditioner);
    }
    transport.refresh(&registry, registry.is_changed(), hash.0, now);
    start_pending(transport, &mut pending, &mut commands, now);
    let now = phase::run(transport.phase_parts(Phase::Receive, now), Phase::Receive, now);
    accept_requests(transport, &mut commands, &mut peers, now);
    sync_all(transport, &mut peers, &mut rejected);
}

/// `StardustSet::Send`: drains every outbox onto the network, then measures the ports'
/// rates for Bevy diagnostics (in this system rather than one of its own: one system less
/// for the executor to schedule every frame).
pub(crate) fn send(
    transport: Option<ResMut<'_, UdpTransport>>,
    mut commands: Commands<'_, '_>,
    mut peers: Peers<'_, '_>,
    mut pending: Pending<'_, '_>,
    mut rejected: MessageWriter<'_, UdpConnectRejected>,
    diagnostics: Option<ResMut<'_, UdpDiagnostics>>,
    mut store: ResMut<'_, DiagnosticsStore>,
) {
    let Some(mut transport) = transport else {
        return refuse_pending(&mut pending, &mut commands);
    };
    let now = Instant::now();
    let transport = &mut *transport;
    start_pending(transport, &mut pending, &mut commands, now);
    take_outboxes(transport, &mut peers, now);
    phase::run(transport.phase_parts(Phase::Transmit, now), Phase::Transmit, now);
    sync_all(transport, &mut peers, &mut rejected);
    if let Some(mut diagnostics) = diagnostics {
        diagnostics.measure(transport, &mut store);
    }
}
