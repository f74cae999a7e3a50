//! Why a connection ended.

/// Which side ended a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DisconnectInitiator {
    /// This app (a game system called [`disconnect_peer`](super::PeerCommandsExt::disconnect_peer)).
    Local,
    /// The remote peer.
    Remote,
}

/// Why a connection ended; carried by [`PeerDisconnected`](super::PeerDisconnected) and
/// [`PeerState::Disconnected`](super::PeerState::Disconnected).
///
/// Transport-agnostic: every transport maps its own close codes onto these variants, so a
/// game handles disconnections the same way whatever carries its messages.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DisconnectReason {
    /// One side closed the connection on purpose, with a message for the other side.
    Requested {
        /// Which side closed.
        by: DisconnectInitiator,
        /// The closing side's message (may be empty).
        message: String,
    },
    /// The remote peer stopped answering.
    TimedOut,
    /// Nothing listens at the address this side connected to: the remote host refused every
    /// copy of the connection request ("port unreachable") and nothing answered. Ends only a
    /// connection attempt, never an established connection; transports that cannot tell
    /// end such attempts with [`TimedOut`](Self::TimedOut) instead.
    NobodyListening,
    /// The remote peer sent something the protocol forbids; the text says what.
    ProtocolViolation(String),
    /// The two peers do not speak the same protocol: their
    /// [`ProtocolHash`](crate::channel::ProtocolHash)es differ.
    ProtocolMismatch {
        /// This app's protocol hash.
        local: u64,
        /// The remote peer's protocol hash.
        remote: u64,
    },
    /// The remote peer refused the connection, with an application-defined code and data.
    Rejected {
        /// Application-defined refusal code.
        code: u16,
        /// Application-defined details (e.g. a UTF-8 explanation).
        data: Vec<u8>,
    },
    /// The transport underneath went away (socket closed, link dropped, app shut down).
    TransportClosed,
    /// The remote peer said it no longer knows this connection (it restarted and lost it),
    /// proving it is the peer this side was connected to.
    Reset,
    /// The remote peer could not prove it is the one this side expected, e.g. a listener that
    /// presents another key than the one pinned: a man in the middle, or the wrong key
    /// configured. The text says what was expected and what was presented.
    NotAuthenticated(String),
}

impl core::fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            DisconnectReason::Requested { by: DisconnectInitiator::Local, message } => {
                write!(f, "closed locally: {message:?}")
            }
            DisconnectReason::Requested { by: DisconnectInitiator::Remote, message } => {
                write!(f, "closed by the remote peer: {message:?}")
            }
            DisconnectReason::TimedOut => f.write_str("timed out"),
            DisconnectReason::NobodyListening => f.write_str(
                "nobody is listening at that address: the host refused every connection \
                 request; check the address and port, and that the server is running",
            ),
            DisconnectReason::ProtocolViolation(what) => write!(f, "protocol violation: {what}"),
            DisconnectReason::ProtocolMismatch { local, remote } => write!(
                f,
                "protocol mismatch: local hash {local:016x}, remote hash {remote:016x}; \
                 both sides must register the same channels and protocol values"
            ),
            DisconnectReason::Rejected { code, data } => {
                write!(f, "rejected with code {code}")?;
                if let Some(name) = stardust_proto::ReasonCode(*code).name() {
                    write!(f, " ({name})")?;
                }
                match std::str::from_utf8(data) {
                    Ok(text) if !text.is_empty() => write!(f, ": {text}"),
                    Ok(_) => Ok(()),
                    Err(_) => write!(f, " ({} bytes of data)", data.len()),
                }
            }
            DisconnectReason::TransportClosed => f.write_str("transport closed"),
            DisconnectReason::Reset => {
                f.write_str("reset by the remote peer: it no longer knows this connection")
            }
            DisconnectReason::NotAuthenticated(what) => write!(f, "not authenticated: {what}"),
        }
    }
}
