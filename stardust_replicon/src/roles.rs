//! Which App is replicon's server, which is a client, and which peer entity plays which part.
//!
//! # How an App is classified
//! - **Server**: an App whose UDP transport has a listen port
//!   ([`UdpTransport::listen_addr`] is `Some`), or that holds the [`ServerRole`] resource, runs
//!   replicon's server: [`ServerState::Running`](bevy_replicon::prelude::ServerState) for as
//!   long as that holds, `Stopped` otherwise. (When it stops, replicon despawns its connected
//!   clients, which are Stardust peer entities: their remote sides see the transport close.)
//! - **Client**: an App with a [`ServerPeer`] (any outgoing UDP connection gets one) is
//!   replicon's client of it: [`ClientState`](bevy_replicon::prelude::ClientState) follows that
//!   peer's [`PeerState`](stardust::peer::PeerState) (`Connecting`, `Connected`, and
//!   `Disconnected` once it closes or is gone). A client talks to one server at a time.
//! - An App may be both (it listens and connects): each side runs as above.
//!
//! # Which peer is what
//! On a server, each peer with [`ClientPeer`] becomes replicon's connected client once it is
//! connected: the Stardust peer entity *is* the
//! [`ConnectedClient`](bevy_replicon::prelude::ConnectedClient) entity. The UDP transport's
//! peers are marked by direction when spawned: accepted peers get [`ClientPeer`], outgoing
//! ones [`ServerPeer`]. To keep an outgoing UDP connection out of replication, remove its
//! [`ServerPeer`] right after `connect_udp`. The link transport has no direction: connect two
//! Apps with [`connect_link`], which marks both ends and gives the server App its
//! [`ServerRole`]. Other transports mark their peers the same way.

use bevy::app::App;
use bevy::ecs::component::Component;
use bevy::ecs::entity::Entity;
use bevy::ecs::lifecycle::Add;
use bevy::ecs::observer::On;
use bevy::ecs::resource::Resource;
use bevy::ecs::system::{Commands, Query};
use stardust::udp::{UdpDirection, UdpPeer, UdpTransport};

/// On a server App: this peer entity is a replicon client, made replicon's connected client
/// once connected.
#[derive(Component, Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ClientPeer;

/// On a client App: this peer entity is the replicon server; the App's
/// [`ClientState`](bevy_replicon::prelude::ClientState) follows its connection.
#[derive(Component, Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ServerPeer;

/// Makes this App replicon's server even without a UDP listen port: for Apps that accept
/// clients over the link transport (inserted by [`connect_link`]) or another transport.
#[derive(Resource, Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ServerRole;

/// Whether `app` is classified as replicon's server (see the [module docs](self)).
pub(crate) fn is_server(role: Option<&ServerRole>, udp: Option<&UdpTransport>) -> bool {
    role.is_some() || udp.is_some_and(|transport| transport.listen_addr().is_some())
}

/// Marks every new UDP peer by direction: accepted → [`ClientPeer`], outgoing → [`ServerPeer`].
pub(crate) fn mark_udp_peer(
    add: On<'_, '_, Add, UdpPeer>,
    peers: Query<'_, '_, &UdpPeer>,
    mut commands: Commands<'_, '_>,
) {
    let Ok(peer) = peers.get(add.entity) else { return };
    let mut entity = commands.entity(add.entity);
    match peer.direction {
        UdpDirection::Accepted => entity.insert(ClientPeer),
        UdpDirection::Outgoing => entity.insert(ServerPeer),
    };
}

/// Connects replicon client App `client` to server App `server` over Stardust's in-memory
/// link transport: spawns the two peer entities (as [`stardust::link::connect`] does), marks
/// them [`ClientPeer`] on the server and [`ServerPeer`] on the client, and gives `server` its
/// [`ServerRole`]. Returns `(client as seen by server, server as seen by client)`.
///
/// Both Apps need `StardustPlugin`, `LinkPlugin`, replicon's plugins and
/// [`StardustRepliconPlugin`](crate::StardustRepliconPlugin). Call it for each client.
pub fn connect_link(server: &mut App, client: &mut App) -> (Entity, Entity) {
    let (on_server, on_client) = stardust::link::connect(server, client);
    server.world_mut().entity_mut(on_server).insert(ClientPeer);
    client.world_mut().entity_mut(on_client).insert(ServerPeer);
    server.world_mut().insert_resource(ServerRole);
    (on_server, on_client)
}
