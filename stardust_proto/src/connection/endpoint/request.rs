//! What the listen port hands its driver: a request that passed every check the endpoint can
//! make alone, and, once accepted, what the driver needs to build the connection.

use std::net::SocketAddr;

use snow::HandshakeState;

use crate::connection::handshake::LinkSetup;
use crate::crypto::PublicKey;

/// A well-formed request that passed the transport, version, mode, cookie, capacity and
/// protocol hash checks (and, for a secure one, whose first Noise message authenticated the
/// client's static key): accept it with [`Endpoint::accept`](super::Endpoint::accept) or
/// refuse it with [`Endpoint::reject`](super::Endpoint::reject). Until then nothing is
/// recorded, and a copy of the request yields another `Request`.
#[derive(Debug)]
pub struct ConnectRequest {
    pub(super) from: SocketAddr,
    pub(super) id: u64,
    pub(super) size: usize,
    pub(super) kind: RequestKind,
}

#[derive(Debug)]
pub(super) enum RequestKind {
    Insecure { seq: u16, replaces_existing: bool },
    Secure(Box<SecureRequest>),
}

pub(super) struct SecureRequest {
    pub(super) noise: HandshakeState,
    pub(super) client_key: Option<PublicKey>,
    pub(super) app: Vec<u8>,
    /// The client's ephemeral public key: what recognises copies of this request.
    pub(super) ephemeral: [u8; 32],
}

impl core::fmt::Debug for SecureRequest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "SecureRequest {{ client_key: {:?}, app: {} bytes }}",
            self.client_key,
            self.app.len()
        )
    }
}

impl ConnectRequest {
    /// What recognises copies of this request while it is pending.
    pub(super) fn pending_key(&self) -> RecordKind {
        match &self.kind {
            RequestKind::Insecure { .. } => RecordKind::Address(self.from),
            RequestKind::Secure(secure) => RecordKind::Ephemeral(secure.ephemeral),
        }
    }

    /// Who sent it.
    pub fn from(&self) -> SocketAddr {
        self.from
    }

    /// The attempt's id.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Whether it asks for a secure connection.
    pub fn is_secure(&self) -> bool {
        matches!(self.kind, RequestKind::Secure(_))
    }

    /// The client's static key, authenticated by the handshake; `None` for an anonymous or
    /// insecure client.
    pub fn client_key(&self) -> Option<PublicKey> {
        match &self.kind {
            RequestKind::Secure(secure) => secure.client_key,
            RequestKind::Insecure { .. } => None,
        }
    }

    /// The application payload of a secure request (e.g. a backend ticket); empty otherwise.
    pub fn payload(&self) -> &[u8] {
        match &self.kind {
            RequestKind::Secure(secure) => &secure.app,
            RequestKind::Insecure { .. } => &[],
        }
    }

    /// `true` when `from` already has an insecure peer that sent a different request: the
    /// client restarted. Accepting replaces that peer, so the caller must drop the old
    /// connection (and [`forget`](super::Endpoint::forget) it) first. Never for a secure
    /// request: secure connections are told apart by connection id, not address.
    pub fn replaces_existing(&self) -> bool {
        matches!(self.kind, RequestKind::Insecure { replaces_existing: true, .. })
    }
}

/// What recognises an accepted peer in the endpoint's records: pass it to
/// [`Endpoint::forget`](super::Endpoint::forget) when the connection is over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RecordKey(pub(super) RecordKind);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum RecordKind {
    /// An insecure peer, by address.
    Address(SocketAddr),
    /// A secure peer, by the ephemeral key of its request.
    Ephemeral([u8; 32]),
}

/// The result of an accept: everything [`Connection::accepted`](crate::Connection::accepted)
/// needs to build the listener's side of the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedPeer {
    /// The peer's address.
    pub addr: SocketAddr,
    /// The listener's port that carries this connection's packets.
    pub port: u16,
    /// The client's static key, unless it was anonymous or insecure.
    pub client_key: Option<PublicKey>,
    /// What to [`forget`](super::Endpoint::forget) when the connection is over.
    pub record: RecordKey,
    pub(crate) link: LinkSetup,
}

impl AcceptedPeer {
    /// The connection id a secure connection's packets carry; `None` for an insecure one.
    pub fn cid(&self) -> Option<u64> {
        match self.link {
            LinkSetup::Sealed { cid, .. } => Some(cid),
            LinkSetup::Insecure { .. } => None,
        }
    }
}
