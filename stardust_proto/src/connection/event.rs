//! What a connection reports to its driver, and why it ends.

use serde_json::Value;

use crate::crypto::PublicKey;
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
    /// The peer closed (an authenticated close packet, or a `close` zero message on an
    /// insecure connection).
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
    /// Nothing listens at the listener's address: the network refused every copy of the
    /// connection request (ICMP "port unreachable", reported with
    /// [`Connection::handle_refused`](crate::Connection::handle_refused)), at least
    /// [`HandshakeConfig::nobody_listening_after`](crate::HandshakeConfig::nobody_listening_after)
    /// of them, and no reply came. Only ever ends an attempt, never an established connection.
    NobodyListening,
    /// The listener sent this connection's stateless reset: it no longer knows the
    /// connection (it restarted). Only the listener that accepted it can send one.
    Reset,
    /// The listener presented another static key than the pinned one: a man in the middle,
    /// or the wrong key pinned.
    KeyMismatch {
        /// The key this side expected.
        pinned: PublicKey,
        /// The key the listener presented (unauthenticated).
        presented: PublicKey,
    },
}

/// What became of a datagram fed to [`Connection::handle_datagram`](crate::Connection::handle_datagram).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    /// A sealed packet authenticated: its sender holds this connection's keys. `newest`: no
    /// packet with a higher number authenticated before it (a driver follows the peer's
    /// address on such packets: path migration).
    Authenticated {
        /// Whether it is the newest packet so far.
        newest: bool,
    },
    /// Taken without authentication: a handshake message, or a packet of an insecure
    /// connection.
    Plain,
    /// Dropped and counted.
    Dropped,
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
