//! Counters of the connection protocol: zero messages sent, received, and dropped per reason.

use crate::wire::zero::ZeroDecodeError;

/// Why a datagram was dropped by the connection protocol (a [`Connection`](crate::Connection)
/// outside its data path, or an [`Endpoint`](crate::Endpoint)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ZeroDropReason {
    /// Longer than [`ZERO_MAX_SIZE`](crate::wire::zero::ZERO_MAX_SIZE).
    Oversized,
    /// The JSON ends early.
    Truncated,
    /// Not UTF-8 JSON, or junk after the object.
    BadJson,
    /// A field missing, of the wrong JSON type, or out of range.
    WrongFields,
    /// A `"type"` this version does not know.
    UnknownType,
    /// A connection request shorter than [`REQUEST_MIN_SIZE`](crate::wire::zero::REQUEST_MIN_SIZE):
    /// answering it could amplify traffic.
    RequestTooSmall,
    /// A well-formed message that has no meaning where it arrived (an accept at a listener, a
    /// request on an established connection, anything after close).
    Unexpected,
    /// An accept or reject whose `ack` names an attempt other than the current one.
    StaleReply,
    /// A copy of an accept already acted on (the listener answers every copy of a request).
    Duplicate,
    /// A game datagram before the handshake finished, or at a listen port.
    GameBeforeConnected,
    /// A sealed packet or Noise message that does not authenticate: forged, corrupted, or for
    /// other keys. Never counts toward a protocol violation.
    Unauthenticated,
    /// A sealed packet whose number was already received or is too old, or a handshake
    /// message replayed from another address.
    Replayed,
}

impl ZeroDropReason {
    /// Every reason, in the order of [`ZeroStats::dropped`]'s indices.
    pub const ALL: [ZeroDropReason; 12] = [
        ZeroDropReason::Oversized,
        ZeroDropReason::Truncated,
        ZeroDropReason::BadJson,
        ZeroDropReason::WrongFields,
        ZeroDropReason::UnknownType,
        ZeroDropReason::RequestTooSmall,
        ZeroDropReason::Unexpected,
        ZeroDropReason::StaleReply,
        ZeroDropReason::Duplicate,
        ZeroDropReason::GameBeforeConnected,
        ZeroDropReason::Unauthenticated,
        ZeroDropReason::Replayed,
    ];

    fn index(self) -> usize {
        self as usize
    }
}

impl From<ZeroDecodeError> for ZeroDropReason {
    fn from(error: ZeroDecodeError) -> Self {
        match error {
            ZeroDecodeError::Oversized => ZeroDropReason::Oversized,
            ZeroDecodeError::Truncated => ZeroDropReason::Truncated,
            ZeroDecodeError::BadJson => ZeroDropReason::BadJson,
            ZeroDecodeError::WrongFields => ZeroDropReason::WrongFields,
            ZeroDecodeError::UnknownType(_) => ZeroDropReason::UnknownType,
            // Callers only decode datagrams that start with 00 00 00; a game datagram
            // reaching the zero decoder means it arrived where game traffic is not expected.
            ZeroDecodeError::NotZero => ZeroDropReason::GameBeforeConnected,
        }
    }
}

/// What the connection protocol did: counts only ever grow.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ZeroStats {
    /// Zero messages written by `poll_transmit` (or as replies).
    pub sent: u64,
    /// Zero messages decoded and acted on.
    pub received: u64,
    dropped: [u64; ZeroDropReason::ALL.len()],
}

impl ZeroStats {
    /// How many datagrams were dropped for `reason`.
    pub fn dropped(&self, reason: ZeroDropReason) -> u64 {
        self.dropped[reason.index()]
    }

    /// How many datagrams were dropped, all reasons together.
    pub fn dropped_total(&self) -> u64 {
        self.dropped.iter().sum()
    }

    pub(crate) fn drop(&mut self, reason: impl Into<ZeroDropReason>) {
        let slot = &mut self.dropped[reason.into().index()];
        *slot = slot.saturating_add(1);
    }
}
