//! Tunables of a connection: its data path, its handshake, and its timers.

use std::time::Duration;

use super::handshake::HandshakeConfig;
use crate::session::SessionConfig;

/// Configuration of a [`Connection`](crate::Connection). Nothing here travels on the wire, so
/// the two peers may differ. [`ConnectionConfig::default`] suits games on the public internet.
#[derive(Debug, Clone)]
pub struct ConnectionConfig {
    /// The data path: MTU, keep-alive, windows, queue caps.
    pub session: SessionConfig,
    /// The connecting side's request retransmission. On the listener's side, `handshake.timeout`
    /// is how long an accepted connection waits for the client's first packet (the client may
    /// still be resending its request because accepts were lost); use the same value on both sides.
    pub handshake: HandshakeConfig,
    /// An established connection that receives nothing valid for this long closes with
    /// [`CloseReason::TimedOut`](crate::CloseReason::TimedOut). Default 10 s; keep it several
    /// times the session's keep-alive interval so that idle but healthy peers stay connected.
    pub idle_timeout: Duration,
    /// After [`close`](crate::Connection::close), how long reliable messages already sent may
    /// keep being resent before the close goes out anyway. Default 2 s.
    pub close_linger: Duration,
    /// How many copies of the `close` zero message are sent: the peer needs only one. Default 3.
    pub close_copies: u32,
    /// Gap between two copies, so that one burst of loss does not take them all. Default 20 ms.
    pub close_interval: Duration,
}

impl Default for ConnectionConfig {
    fn default() -> ConnectionConfig {
        ConnectionConfig {
            session: SessionConfig::default(),
            handshake: HandshakeConfig::default(),
            idle_timeout: Duration::from_secs(10),
            close_linger: Duration::from_secs(2),
            close_copies: 3,
            close_interval: Duration::from_millis(20),
        }
    }
}
