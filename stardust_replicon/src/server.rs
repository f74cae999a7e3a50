//! The server side: [`ServerState`] from the App's role, Stardust peers as replicon's
//! connected clients, messages both ways, disconnect requests and per-client stats.

use bevy::app::{App, PostUpdate, PreUpdate};
use bevy::ecs::entity::Entity;
use bevy::ecs::message::MessageReader;
use bevy::ecs::query::{With, Without};
use bevy::ecs::schedule::IntoScheduleConfigs;
use bevy::ecs::system::{Commands, Query, Res, ResMut};
use bevy::platform::time::Instant;
use bevy::state::state::{NextState, State};
use bevy_replicon::prelude::{
    ConnectedClient, ConnectedClientStats, DisconnectRequest, RepliconChannels, ServerMessages,
    ServerState, ServerSystems,
};
use stardust::messages::{ChannelReaderById, ChannelWriterById};
use stardust::peer::{PeerState, PeerStats};
use stardust::plugin::StardustSet;
use stardust::udp::{UdpPeer, UdpTransport};

use crate::channels::{client_channel_id, server_channel_id};
use crate::message_size::{DEFAULT_MTU, unfragmented_max_size};
use crate::roles::{ClientPeer, ServerRole, is_server};
use crate::stats::{ByteRates, client_stats};
use crate::{BackendStats, count_refused};

/// The message a client's remote side reads when replicon asks to disconnect it.
pub const DISCONNECT_MESSAGE: &str = "disconnected by the replicon server";

/// Adds the server systems to `app` (which has replicon's server plugin).
pub(crate) fn add_systems(app: &mut App) {
    app.configure_sets(PreUpdate, ServerSystems::ReceivePackets.after(StardustSet::Dispatch))
        .configure_sets(PostUpdate, ServerSystems::SendPackets.before(StardustSet::Flush))
        .add_systems(
            PreUpdate,
            (drive_server_state, admit_clients, receive_from_clients, update_client_stats)
                .chain()
                .in_set(ServerSystems::ReceivePackets),
        )
        .add_systems(
            PostUpdate,
            (send_to_clients, disconnect_requested).chain().in_set(ServerSystems::SendPackets),
        );
}

/// `Running` while the App is classified as a server, `Stopped` otherwise.
fn drive_server_state(
    role: Option<Res<'_, ServerRole>>,
    udp: Option<Res<'_, UdpTransport>>,
    state: Res<'_, State<ServerState>>,
    mut next: ResMut<'_, NextState<ServerState>>,
) {
    let wanted = match is_server(role.as_deref(), udp.as_deref()) {
        true => ServerState::Running,
        false => ServerState::Stopped,
    };
    if *state.get() != wanted {
        next.set(wanted);
    }
}

/// A [`ClientPeer`] not yet replicon's connected client: its entity, state and UDP side.
type NewClient<'a> = (Entity, &'a PeerState, Option<&'a UdpPeer>);

/// Makes each newly connected [`ClientPeer`] replicon's connected client, with the largest
/// message its connection sends unfragmented as `max_size`.
fn admit_clients(
    mut commands: Commands<'_, '_>,
    state: Res<'_, State<ServerState>>,
    udp: Option<Res<'_, UdpTransport>>,
    peers: Query<'_, '_, NewClient<'_>, (With<ClientPeer>, Without<ConnectedClient>)>,
) {
    if *state.get() != ServerState::Running {
        return;
    }
    let mtu = udp.map_or(DEFAULT_MTU, |transport| transport.config().mtu);
    for (peer, peer_state, udp_peer) in &peers {
        if peer_state.is_connected() {
            // The link transport never fragments; it is given a UDP peer's figure (sealed,
            // the smaller) so a game sees the same splitting over both.
            let sealed = udp_peer.is_none_or(|udp_peer| udp_peer.secure);
            let max_size = unfragmented_max_size(mtu, sealed);
            commands.entity(peer).insert((ConnectedClient { max_size }, ByteRates::default()));
        }
    }
}

/// Hands every message received on replicon's client channels from a connected client to
/// replicon; counts the others (from peers that are not connected clients) as unrouted.
fn receive_from_clients(
    mut reader: ChannelReaderById<'_, '_>,
    mut messages: ResMut<'_, ServerMessages>,
    mut backend: ResMut<'_, BackendStats>,
    channels: Res<'_, RepliconChannels>,
    clients: Query<'_, '_, (), With<ConnectedClient>>,
) {
    let mut unrouted = 0;
    for index in 0..channels.client_channels().len() {
        let Some(Ok(received)) = client_channel_id(index).map(|id| reader.read(id)) else {
            continue;
        };
        for (peer, payload) in received {
            if clients.contains(peer) {
                messages.insert_received(peer, index, payload.clone());
            } else {
                unrouted += 1;
            }
        }
    }
    if unrouted > 0 {
        backend.unrouted += unrouted;
        bevy::log::debug!("{unrouted} replicon messages from peers that are not clients dropped");
    }
}

/// Fills each connected client's [`ConnectedClientStats`] from its [`PeerStats`].
fn update_client_stats(
    mut clients: Query<'_, '_, (&PeerStats, &mut ByteRates, &mut ConnectedClientStats)>,
) {
    let now = Instant::now();
    for (stats, mut rates, mut replicon) in &mut clients {
        rates.sample(stats, now);
        **replicon = client_stats(stats, &rates);
    }
}

/// Queues every message replicon sent this frame on its client's peer entity.
fn send_to_clients(
    mut messages: ResMut<'_, ServerMessages>,
    mut writer: ChannelWriterById<'_, '_>,
    mut backend: ResMut<'_, BackendStats>,
) {
    for (client, index, payload) in messages.drain_sent() {
        let Some(id) = server_channel_id(index) else {
            count_refused(&mut backend, None);
            continue;
        };
        if let Err(error) = writer.send(id, client, payload) {
            count_refused(&mut backend, Some(&error));
        }
    }
}

/// Closes the connection of each client replicon asks to disconnect. Runs after
/// [`send_to_clients`], so what replicon sent the client before asking is queued first, and
/// the transport sends it before telling the client why it is closed.
fn disconnect_requested(
    mut requests: MessageReader<'_, '_, DisconnectRequest>,
    mut peers: Query<'_, '_, &mut PeerState, With<ClientPeer>>,
) {
    for request in requests.read() {
        if let Ok(mut state) = peers.get_mut(request.client) {
            bevy::log::debug!("replicon asked to disconnect client {}", request.client);
            state.close(DISCONNECT_MESSAGE);
        }
    }
}
