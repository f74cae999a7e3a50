//! What a connection reports to its driver, and why it ends.

use serde_json::Value;

use crate::session::SendError;
use crate::wire::ReasonCode;

/// Something the driver of a [`Connection`](crate::Connection) should know, from
/// [`poll_event`](crate::Connection::poll_event).
///
/// A connection reports `Connected` at most once, then exactly one terminal event, `Rejected`
/// or `Closed`, after which [`is_closed`](crate::Connection::is_closed) is `true` and it
/// produces nothing more.
#[derive(Debug, Clone, PartialEq)]
pub enum ConnectionEvent {
    /// The handshake finished; messages can flow. `port` is the listener's port that carries
    /// this connection's game traffic: the connecting side sends there from now on.
    Connected {
        /// The listener's data port.
        port: u16,
    },
    /// The listener refused the connection (terminal).
    Rejected {
        /// Why; see [`ReasonCode`].
        code: ReasonCode,
        /// The listener's free-form detail, `null` if none.
        data: Value,
    },
    /// The connection ended (terminal).
    Closed {
        /// Why.
        reason: CloseReason,
    },
}

/// Why a connection ended.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum CloseReason {
    /// This side called [`close`](crate::Connection::close); the close message has been sent.
    Local {
        /// The code given to `close`.
        code: ReasonCode,
        /// The data given to `close`.
        data: Value,
    },
    /// The peer sent a `close` zero message.
    Remote {
        /// The peer's code.
        code: ReasonCode,
        /// The peer's free-form detail, `null` if none.
        data: Value,
    },
    /// Nothing valid arrived from the established peer for the idle timeout.
    TimedOut,
    /// No answer to the connection request within the handshake timeout.
    HandshakeTimedOut,
}

/// Why [`Connection::send`](crate::Connection::send) refused a message. Nothing was queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectionSendError {
    /// The handshake has not finished.
    #[error("the connection is not established yet; wait for the connected event before sending")]
    NotConnected,
    /// `close` was called, or the connection ended.
    #[error("the connection is closing or closed; open a new connection to send more")]
    Closed,
    /// The data path refused it.
    #[error(transparent)]
    Session(#[from] SendError),
}
