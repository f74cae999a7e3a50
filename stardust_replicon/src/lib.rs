//! A [bevy_replicon](https://docs.rs/bevy_replicon) messaging backend over Stardust:
//! replication, visibility and typed client/server events from replicon, carried by
//! Stardust's transports (UDP, or the in-memory link for tests).
//!
//! # The three lines a replicon user adds
//!
//! ```no_run
//! use bevy::prelude::*;
//! use bevy::state::app::StatesPlugin;
//! use bevy_replicon::prelude::*;
//! use stardust::prelude::*;
//! use stardust_replicon::StardustRepliconPlugin;
//!
//! let mut app = App::new();
//! app.add_plugins((MinimalPlugins, StatesPlugin, RepliconPlugins));
//! // 1. Stardust's runtime, 2. a transport (this App listens, so it is the server),
//! // 3. the backend.
//! app.add_plugins(StardustPlugin)
//!     .add_plugins(UdpPlugin::new(UdpConfig::listening("0.0.0.0:7777".parse().unwrap(), 7778..=7781)))
//!     .add_plugins(StardustRepliconPlugin::default());
//! // A client instead: `UdpPlugin::new(UdpConfig::default())` and
//! // `app.world_mut().connect_udp(server_addr)`.
//! app.run();
//! ```
//!
//! Replicon's channels become Stardust runtime channels (see [`channels`] for the id scheme
//! and the delivery mapping), so both Apps must register the same replicon events, as
//! replicon requires anyway; a mismatch is refused at Stardust's handshake
//! ([`DisconnectReason::ProtocolMismatch`](stardust::peer::DisconnectReason)).
//!
//! # What the backend does
//! - **Roles** ([`roles`]): an App that listens runs replicon's server
//!   ([`ServerState::Running`](bevy_replicon::prelude::ServerState)); an App that connects is
//!   a client whose [`ClientState`](bevy_replicon::prelude::ClientState) follows its
//!   connection to the server. Over the link transport, [`connect_link`] marks the roles.
//! - **Clients are peers**: each connected client's Stardust peer entity is replicon's
//!   [`ConnectedClient`](bevy_replicon::prelude::ConnectedClient), with a `max_size` that
//!   Stardust sends unfragmented ([`message_size`]), so replicon's unreliable mutations arrive
//!   whole or not at all.
//! - **Messages** move in replicon's sets: received in `ServerSystems::ReceivePackets` /
//!   `ClientSystems::ReceivePackets` (after `StardustSet::Dispatch`), sent in `…SendPackets`
//!   (before `StardustSet::Flush`), so they leave in the frame replicon wrote them.
//! - **Disconnect requests**: a
//!   [`DisconnectRequest`](bevy_replicon::prelude::DisconnectRequest) closes the client's
//!   connection after what replicon sent it that frame; the client reads
//!   [`server::DISCONNECT_MESSAGE`] as the reason.
//! - **Stats**: [`ClientStats`](bevy_replicon::prelude::ClientStats) on the client and
//!   [`ConnectedClientStats`](bevy_replicon::prelude::ConnectedClientStats) per client on the
//!   server, from Stardust's [`PeerStats`](stardust::peer::PeerStats) ([`stats`]).

#![warn(missing_docs)]

pub mod channels;
mod client;
pub mod message_size;
pub mod roles;
pub mod server;
pub mod stats;

use bevy::app::{App, Plugin};
use bevy::ecs::resource::Resource;
use bevy_replicon::prelude::{ClientMessages, RepliconChannels, ServerMessages};
use stardust::channel::ChannelConfig;
use stardust::messages::SendError;

pub use client::ClientConnection;
pub use roles::{ClientPeer, ServerPeer, ServerRole, connect_link};

/// The backend: registers replicon's channels with Stardust and moves replicon's messages,
/// states and stats (see the [crate docs](crate)).
///
/// Add it with replicon's plugins (client, server or both: each side is wired if its replicon
/// plugin is present) and `StardustPlugin` plus a transport. It does its work when the App is
/// finished (`app.run()` or `app.finish()`), after every replicon event is registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StardustRepliconPlugin {
    /// `max_size` of the Stardust channels carrying replicon's reliable channels. Default
    /// [`ChannelConfig::MAX_SIZE_LIMIT`] (16 MiB): a replicon update message holds a whole
    /// tick's changes and cannot be split. Both Apps must use the same value.
    pub reliable_max_size: u32,
    /// `max_size` of the Stardust channels carrying replicon's unreliable channels. Default
    /// 64 KiB: replicon keeps these messages within a datagram except one entity's mutations
    /// larger than that, which Stardust fragments. Both Apps must use the same value.
    pub unreliable_max_size: u32,
}

impl Default for StardustRepliconPlugin {
    fn default() -> Self {
        StardustRepliconPlugin {
            reliable_max_size: ChannelConfig::MAX_SIZE_LIMIT,
            unreliable_max_size: 64 * 1024,
        }
    }
}

impl Plugin for StardustRepliconPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<BackendStats>().add_observer(roles::mark_udp_peer);
    }

    fn finish(&self, app: &mut App) {
        let Some(channels) = app.world().get_resource::<RepliconChannels>().cloned() else {
            panic!(
                "StardustRepliconPlugin needs replicon: add `RepliconPlugins` (or its shared \
                 plugin with the client or server plugin) to the app"
            );
        };
        channels::register(app, &channels, self);
        if app.world().contains_resource::<ServerMessages>() {
            server::add_systems(app);
        }
        if app.world().contains_resource::<ClientMessages>() {
            client::add_systems(app);
        }
    }
}

/// What the backend could not deliver, since the App started. Counters only grow.
#[derive(Resource, Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BackendStats {
    /// Messages replicon sent that Stardust refused: to a client whose connection is
    /// closing or gone, while no server is connected, or larger than the channel's
    /// `max_size` (also logged as a warning: raise the plugin's limit).
    pub unsent: u64,
    /// Messages received on replicon's channels from a peer that is neither the server nor
    /// a connected client.
    pub unrouted: u64,
}

/// Counts a replicon message Stardust did not take (`None`: no peer or channel to send it
/// on); warns about the one refusal the user can fix.
fn count_refused(backend: &mut BackendStats, error: Option<&SendError>) {
    backend.unsent += 1;
    match error {
        Some(error @ SendError::TooLarge { .. }) => bevy::log::warn!(
            "replicon message not sent: {error}; raise StardustRepliconPlugin's max sizes"
        ),
        Some(error) => bevy::log::debug!("replicon message not sent: {error}"),
        None => bevy::log::debug!("replicon message not sent: no connected server"),
    }
}
