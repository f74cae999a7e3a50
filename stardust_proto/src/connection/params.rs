//! What a connecting side says about itself: its identity, the listener's key, its payload.

use crate::crypto::{PublicKey, StaticKeypair};

/// How a connection attempt presents itself to a listener.
#[derive(Debug, Clone)]
pub struct ConnectParams {
    /// The transport both sides speak (e.g. Stardust over UDP).
    pub transport_id: u64,
    /// Its version.
    pub transport_version: u32,
    /// This side's protocol hash.
    pub protocol_hash: u64,
    /// Secure (the default everywhere) or insecure.
    pub security: ClientSecurity,
}

/// Whether the connection is encrypted and authenticated.
#[derive(Debug, Clone)]
pub enum ClientSecurity {
    /// Noise `IK` handshake, then every packet sealed. See [`SecureClient`].
    Secure(SecureClient),
    /// No encryption, no authentication: anyone on the path reads everything and a spoofer
    /// can forge packets. Only for LAN tools and debugging; a secure listener refuses it.
    Insecure,
}

/// The connecting side of a secure connection.
#[derive(Debug, Clone, Default)]
pub struct SecureClient {
    /// This side's static key, which the listener sees (and its accept policy may check); or
    /// `None` to connect anonymously (a fresh key for this connection only, flagged as such).
    pub identity: Option<StaticKeypair>,
    /// The listener's public key, when known: the handshake then fails unless the listener
    /// proves it holds the private half (no man in the middle). `None` takes the key the
    /// listener presents: the connection is encrypted, but whoever answers first could be an
    /// active man in the middle.
    pub listener_key: Option<PublicKey>,
    /// Bytes for the listener's accept policy (e.g. a backend ticket), sent encrypted; at
    /// most [`APP_PAYLOAD_MAX`](crate::wire::payload::APP_PAYLOAD_MAX) bytes.
    pub app_payload: Vec<u8>,
}
