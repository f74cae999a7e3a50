//! Replicon's channels as Stardust runtime channels: the id scheme, the delivery mapping and
//! the registration.
//!
//! # Id scheme
//! Replicon numbers its channels from 0 in two lists ([`RepliconChannels`]): server channels
//! (server → client) and client channels (client → server). Server channel `n` is the
//! Stardust channel [`SERVER_CHANNEL_BASE`]` + n` (`0xE00000`, `0xE00001`, …), client channel
//! `n` is [`CLIENT_CHANNEL_BASE`]` + n` (`0xE10000`, …); each list has room for
//! [`MAX_CHANNELS`] channels. Both Apps register both lists, so their
//! [`ProtocolHash`](stardust::channel::ProtocolHash)es agree exactly when they registered the
//! same replicon events in the same order. A game channel whose id falls in these ranges is a
//! collision, reported when the App is built, naming both.
//!
//! # Delivery
//! | replicon | Stardust | `max_size` |
//! |---|---|---|
//! | `Unreliable` | unreliable, unordered | [`StardustRepliconPlugin::unreliable_max_size`] |
//! | `Unordered` | reliable, unordered | [`StardustRepliconPlugin::reliable_max_size`] |
//! | `Ordered` | reliable, ordered | [`StardustRepliconPlugin::reliable_max_size`] |
//!
//! Each Stardust contract is exactly the guarantee replicon asks for. Replicon keeps its
//! unreliable messages (mutations) within the connected client's
//! [`max_size`](bevy_replicon::shared::backend::connected_client::ConnectedClient::max_size),
//! which the backend sets so that Stardust sends them unfragmented; the channel's larger
//! `max_size` only admits the rare message replicon cannot split (one entity's mutations
//! larger than a datagram), which Stardust then fragments.

use bevy::app::App;
use bevy_replicon::shared::backend::channels::{Channel, RepliconChannels};
use stardust::channel::{ChannelConfig, ChannelId, Ordering, Reliability};
use stardust::plugin::RuntimeChannelAppExt;

use crate::StardustRepliconPlugin;

/// The Stardust id of replicon's server channel 0; server channel `n` is this plus `n`.
pub const SERVER_CHANNEL_BASE: u32 = 0xE0_0000;
/// The Stardust id of replicon's client channel 0; client channel `n` is this plus `n`.
pub const CLIENT_CHANNEL_BASE: u32 = 0xE1_0000;
/// How many channels each of replicon's two lists may have.
pub const MAX_CHANNELS: usize = 0x1_0000;

/// The Stardust id of replicon's server channel `index`, or `None` past [`MAX_CHANNELS`].
pub fn server_channel_id(index: usize) -> Option<ChannelId> {
    channel_id(SERVER_CHANNEL_BASE, index)
}

/// The Stardust id of replicon's client channel `index`, or `None` past [`MAX_CHANNELS`].
pub fn client_channel_id(index: usize) -> Option<ChannelId> {
    channel_id(CLIENT_CHANNEL_BASE, index)
}

fn channel_id(base: u32, index: usize) -> Option<ChannelId> {
    if index >= MAX_CHANNELS {
        return None;
    }
    ChannelId::new(base + u32::try_from(index).ok()?)
}

/// The Stardust config of a replicon channel with delivery `channel`, per the table above.
pub fn channel_config(channel: Channel, limits: &StardustRepliconPlugin) -> ChannelConfig {
    let (reliability, ordering, max_size) = match channel {
        Channel::Unreliable => {
            (Reliability::Unreliable, Ordering::Unordered, limits.unreliable_max_size)
        }
        Channel::Unordered => {
            (Reliability::Reliable, Ordering::Unordered, limits.reliable_max_size)
        }
        Channel::Ordered => (Reliability::Reliable, Ordering::Ordered, limits.reliable_max_size),
    };
    ChannelConfig::new(reliability, ordering).with_max_size(max_size)
}

/// Adds every channel of `channels`, server then client, as Stardust runtime channels.
///
/// # Panics
/// When the App is built, if a list is longer than [`MAX_CHANNELS`], a limit of `limits` is
/// not a valid `max_size`, or an id collides with another channel of the App.
pub(crate) fn register(
    app: &mut App,
    channels: &RepliconChannels,
    limits: &StardustRepliconPlugin,
) {
    let lists = [
        ("server", channels.server_channels(), server_channel_id as fn(usize) -> Option<ChannelId>),
        ("client", channels.client_channels(), client_channel_id),
    ];
    for (side, list, id_of) in lists {
        assert!(
            list.len() <= MAX_CHANNELS,
            "replicon has {} {side} channels, more than the {MAX_CHANNELS} stardust_replicon \
             can number; register fewer replicon events",
            list.len(),
        );
        for (index, &channel) in list.iter().enumerate() {
            let Some(id) = id_of(index) else { continue };
            if let Err(error) = app.try_add_channel_by_id(id, channel_config(channel, limits)) {
                panic!("replicon {side} channel {index} cannot be added to Stardust: {error}");
            }
        }
    }
}
