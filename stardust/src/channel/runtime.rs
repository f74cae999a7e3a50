//! Channels added at runtime, by id or by name, without a type: for transports and
//! integrations that number their channels while the App is built (e.g. bevy_replicon's).
//!
//! A runtime channel is a byte channel like any derived one: it sits in the same
//! [`ChannelRegistry`], collides with derived and runtime channels alike, and is folded into
//! the [`ProtocolHash`](super::ProtocolHash) with exactly the record a derived channel with the
//! same id and config gets. Its messages are sent and read by id, with
//! [`ChannelWriterById`](crate::messages::ChannelWriterById) and
//! [`ChannelReaderById`](crate::messages::ChannelReaderById).

use super::{ChannelConfig, ChannelId, ChannelRegistry, InvalidConfig};

/// The label of a runtime channel added by id, in [`ChannelEntry::type_name`](super::ChannelEntry)
/// and in error messages.
pub const RUNTIME_CHANNEL_LABEL: &str = "runtime channel";

/// Why a runtime channel could not be added. Nothing was registered when it is returned.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RuntimeChannelError {
    /// The config breaks one of [`ChannelConfig`]'s invariants.
    #[error("channel {id} (`{name}`) has an invalid config: {problem}")]
    InvalidConfig {
        /// The channel's id.
        id: ChannelId,
        /// The channel's name, or `runtime channel` for one added by id.
        name: &'static str,
        /// What is wrong, and the fix.
        problem: InvalidConfig,
    },
    /// Another channel (derived or runtime, or the same id with another config or name)
    /// already has this id.
    #[error(
        "channel id collision: `{new}` and `{existing}` both have id {id}; give one of them a \
         distinct id (another id or name for a runtime channel, #[channel(id = 0x…)] or \
         #[channel(name = \"…\")] for a derived one)"
    )]
    Collision {
        /// The id both channels claim.
        id: ChannelId,
        /// The channel being added: its name, or `runtime channel`.
        new: &'static str,
        /// The channel already registered: its type, its name, or `runtime channel`.
        existing: &'static str,
    },
}

impl ChannelRegistry {
    /// Records a runtime channel with wire id `id`. Returns `Ok(true)` if it is new,
    /// `Ok(false)` if the same runtime channel (same id and config, also added by id) is
    /// already registered.
    ///
    /// This only records the channel: add channels to an App with
    /// [`RuntimeChannelAppExt`](crate::plugin::RuntimeChannelAppExt), which also gives them
    /// their message queues and refreshes the protocol hash.
    ///
    /// # Errors
    /// [`RuntimeChannelError::InvalidConfig`] if `config` is not valid,
    /// [`RuntimeChannelError::Collision`] if another channel has `id`.
    pub fn try_register_by_id(
        &mut self,
        id: ChannelId,
        config: ChannelConfig,
    ) -> Result<bool, RuntimeChannelError> {
        self.try_register_runtime(id, config, RUNTIME_CHANNEL_LABEL)
    }

    /// Records a runtime channel named `name`, whose id is
    /// [`ChannelId::from_name(name)`](ChannelId::from_name): the id `#[channel(name = "…")]`
    /// gives a derived channel. Returns the id, and whether the channel is new as
    /// [`try_register_by_id`](Self::try_register_by_id) does.
    ///
    /// # Errors
    /// As [`try_register_by_id`](Self::try_register_by_id).
    pub fn try_register_by_name(
        &mut self,
        name: &'static str,
        config: ChannelConfig,
    ) -> Result<(ChannelId, bool), RuntimeChannelError> {
        let id = ChannelId::from_name(name);
        let is_new = self.try_register_runtime(id, config, name)?;
        Ok((id, is_new))
    }

    fn try_register_runtime(
        &mut self,
        id: ChannelId,
        config: ChannelConfig,
        name: &'static str,
    ) -> Result<bool, RuntimeChannelError> {
        config.validate().map_err(|problem| RuntimeChannelError::InvalidConfig {
            id,
            name,
            problem,
        })?;
        self.insert_runtime(id, config, name).map_err(|existing| RuntimeChannelError::Collision {
            id,
            new: name,
            existing: existing.type_name,
        })
    }
}
