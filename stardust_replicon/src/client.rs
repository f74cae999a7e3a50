//! The client side: [`ClientState`] from the server peer's connection, messages both ways and
//! the client's stats.

use bevy::app::{App, PostUpdate, PreUpdate};
use bevy::ecs::entity::Entity;
use bevy::ecs::query::With;
use bevy::ecs::resource::Resource;
use bevy::ecs::schedule::IntoScheduleConfigs;
use bevy::ecs::system::{Local, Query, Res, ResMut};
use bevy::platform::time::Instant;
use bevy::state::state::{NextState, State};
use bevy_replicon::prelude::{
    ClientMessages, ClientState, ClientStats, ClientSystems, RepliconChannels,
};
use stardust::messages::{ChannelReaderById, ChannelWriterById};
use stardust::peer::{PeerState, PeerStats};
use stardust::plugin::StardustSet;

use crate::channels::{client_channel_id, server_channel_id};
use crate::roles::ServerPeer;
use crate::stats::{ByteRates, client_stats};
use crate::{BackendStats, count_refused};

/// The peer this App's replicon client talks to: a [`ServerPeer`] that is connecting or
/// connected, kept until its connection closes. `None` while the client is disconnected.
#[derive(Resource, Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ClientConnection {
    /// The server's peer entity.
    pub server: Option<Entity>,
}

/// Adds the client systems to `app` (which has replicon's client plugin).
pub(crate) fn add_systems(app: &mut App) {
    app.init_resource::<ClientConnection>()
        .configure_sets(PreUpdate, ClientSystems::ReceivePackets.after(StardustSet::Dispatch))
        .configure_sets(PostUpdate, ClientSystems::SendPackets.before(StardustSet::Flush))
        .add_systems(
            PreUpdate,
            (select_server, receive_from_server, drive_client_state, update_client_stats)
                .chain()
                .in_set(ClientSystems::ReceivePackets),
        )
        .add_systems(PostUpdate, send_to_server.in_set(ClientSystems::SendPackets));
}

/// Takes a server peer when the client has none: a connected [`ServerPeer`], else a
/// connecting one.
fn select_server(
    peers: Query<'_, '_, (Entity, &PeerState), With<ServerPeer>>,
    mut connection: ResMut<'_, ClientConnection>,
) {
    if connection.server.is_some() {
        return;
    }
    let connected = peers.iter().find(|(_, state)| state.is_connected());
    let connecting = || peers.iter().find(|(_, state)| **state == PeerState::Connecting);
    connection.server = connected.or_else(connecting).map(|(server, _)| server);
}

/// Sets [`ClientState`] from the server peer's [`PeerState`]. Runs after
/// [`receive_from_server`], so what the server sent before closing still reaches replicon
/// (whose receive systems run in this frame's `PreUpdate`, before the state changes); then
/// the state is `Disconnected` for at least one frame (so replicon resets) before another
/// server peer is taken.
fn drive_client_state(
    peers: Query<'_, '_, &PeerState, With<ServerPeer>>,
    mut connection: ResMut<'_, ClientConnection>,
    state: Res<'_, State<ClientState>>,
    mut next: ResMut<'_, NextState<ClientState>>,
) {
    let peer_state = connection.server.and_then(|server| peers.get(server).ok());
    let wanted = match peer_state {
        Some(PeerState::Connected) => ClientState::Connected,
        Some(PeerState::Connecting) => ClientState::Connecting,
        _ => {
            connection.server = None;
            ClientState::Disconnected
        }
    };
    if *state.get() != wanted {
        next.set(wanted);
    }
}

/// Hands every message received on replicon's server channels from the server peer to
/// replicon, including those received in the frame its connection closed (they were sent
/// before the close); counts the others as unrouted.
fn receive_from_server(
    mut reader: ChannelReaderById<'_, '_>,
    mut messages: ResMut<'_, ClientMessages>,
    mut backend: ResMut<'_, BackendStats>,
    channels: Res<'_, RepliconChannels>,
    connection: Res<'_, ClientConnection>,
) {
    let server = connection.server;
    let mut unrouted = 0;
    for index in 0..channels.server_channels().len() {
        let Some(Ok(received)) = server_channel_id(index).map(|id| reader.read(id)) else {
            continue;
        };
        for (peer, payload) in received {
            if server == Some(peer) {
                messages.insert_received(index, payload.clone());
            } else {
                unrouted += 1;
            }
        }
    }
    if unrouted > 0 {
        backend.unrouted += unrouted;
        bevy::log::debug!(
            "{unrouted} replicon messages from peers that are not the server dropped"
        );
    }
}

/// Fills [`ClientStats`] from the server peer's [`PeerStats`] (zero while disconnected).
fn update_client_stats(
    connection: Res<'_, ClientConnection>,
    peers: Query<'_, '_, &PeerStats>,
    mut rates: Local<'_, Option<(Entity, ByteRates)>>,
    mut stats: ResMut<'_, ClientStats>,
) {
    let Some((server, peer_stats)) =
        connection.server.and_then(|server| Some((server, peers.get(server).ok()?)))
    else {
        *rates = None;
        *stats = ClientStats::default();
        return;
    };
    if rates.is_none_or(|(sampled, _)| sampled != server) {
        *rates = Some((server, ByteRates::default()));
    }
    let (_, rates) = rates.get_or_insert_with(|| (server, ByteRates::default()));
    rates.sample(peer_stats, Instant::now());
    *stats = client_stats(peer_stats, rates);
}

/// Queues every message replicon sent this frame on the server peer.
fn send_to_server(
    mut messages: ResMut<'_, ClientMessages>,
    mut writer: ChannelWriterById<'_, '_>,
    mut backend: ResMut<'_, BackendStats>,
    connection: Res<'_, ClientConnection>,
) {
    for (index, payload) in messages.drain_sent() {
        let Some(server) = connection.server else {
            // Replicon sends only while connected; a message of the frame the server left.
            count_refused(&mut backend, None);
            continue;
        };
        let Some(id) = client_channel_id(index) else {
            count_refused(&mut backend, None);
            continue;
        };
        if let Err(error) = writer.send(id, server, payload) {
            count_refused(&mut backend, Some(&error));
        }
    }
}
