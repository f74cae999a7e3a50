//! The set of channels both peers agreed on.

use std::sync::Arc;

use super::{ChannelConfig, ChannelId};

/// The channels of a session, identical on both peers (the protocol hash guarantees it).
///
/// Cheap to clone (shared). Invariant: ids are unique and every config is valid.
#[derive(Debug, Clone)]
pub struct ChannelTable {
    inner: Arc<TableInner>,
}

#[derive(Debug)]
struct TableInner {
    entries: Vec<(ChannelId, ChannelConfig)>,
    /// `(id, position in entries)`, sorted by id: found by binary search on the hot path.
    sorted: Vec<(ChannelId, usize)>,
}

/// Why a list of channels cannot form a [`ChannelTable`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChannelTableError {
    /// Two entries share an id.
    #[error("channel id {0} appears twice; give each channel a distinct id")]
    DuplicateId(ChannelId),
    /// A config breaks the [`ChannelConfig`] invariants.
    #[error(
        "channel {0} has an invalid config; max_size must be 1..=16 MiB and unreliable channels cannot be ordered"
    )]
    InvalidConfig(ChannelId),
    /// More channels than a session supports.
    #[error("too many channels ({0}); a session supports at most 65 535")]
    TooMany(usize),
}

impl ChannelTable {
    /// A table of `channels`, in the given order.
    pub fn new(
        channels: impl IntoIterator<Item = (ChannelId, ChannelConfig)>,
    ) -> Result<ChannelTable, ChannelTableError> {
        let entries: Vec<_> = channels.into_iter().collect();
        if entries.len() > u16::MAX as usize {
            return Err(ChannelTableError::TooMany(entries.len()));
        }
        if let Some((id, _)) = entries.iter().find(|(_, config)| !config.is_valid()) {
            return Err(ChannelTableError::InvalidConfig(*id));
        }
        let mut sorted: Vec<_> = entries.iter().enumerate().map(|(i, (id, _))| (*id, i)).collect();
        sorted.sort_unstable();
        if let Some(pair) = sorted.windows(2).find(|pair| pair[0].0 == pair[1].0) {
            return Err(ChannelTableError::DuplicateId(pair[0].0));
        }
        Ok(ChannelTable { inner: Arc::new(TableInner { entries, sorted }) })
    }

    /// The config of channel `id`, if the table has it.
    pub fn get(&self, id: ChannelId) -> Option<&ChannelConfig> {
        self.index_of(id).map(|i| &self.inner.entries[i].1)
    }

    /// Every `(id, config)`, in table order.
    pub fn iter(&self) -> impl Iterator<Item = (ChannelId, ChannelConfig)> + '_ {
        self.inner.entries.iter().copied()
    }

    /// Number of channels.
    pub fn len(&self) -> usize {
        self.inner.entries.len()
    }

    /// Whether the table has no channel.
    pub fn is_empty(&self) -> bool {
        self.inner.entries.is_empty()
    }

    /// The position of channel `id` in table order.
    pub(crate) fn index_of(&self, id: ChannelId) -> Option<usize> {
        let sorted = &self.inner.sorted;
        sorted.binary_search_by_key(&id, |&(id, _)| id).ok().map(|at| sorted[at].1)
    }

    /// The config at position `index` (from [`index_of`](Self::index_of)).
    pub(crate) fn config_at(&self, index: usize) -> &ChannelConfig {
        &self.inner.entries[index].1
    }
}
