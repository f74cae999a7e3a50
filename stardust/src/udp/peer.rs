//! What the UDP transport puts on a peer entity, and what it reports about refused attempts.

use std::net::SocketAddr;

use bevy::ecs::component::Component;
use bevy::ecs::entity::Entity;
use bevy::ecs::message::Message;
use serde_json::Value;
use stardust_proto::ReasonCode;
use stardust_proto::crypto::{PublicKey, Ticket};

use crate::peer::Peer;

/// Which side opened a UDP connection. Both kinds are peers like any other; this only says
/// which handshake role this App played.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UdpDirection {
    /// The remote peer connected to this App's listen port.
    Accepted,
    /// This App connected to the remote peer's listen port
    /// (see [`UdpConnectExt`](super::UdpConnectExt)).
    Outgoing,
}

/// The UDP side of a peer entity: who the remote is and which local port carries it.
///
/// Inserted by the transport with [`Peer`] on every UDP peer. Read it; the transport keeps
/// it current and ignores changes made by others.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
#[require(Peer, UdpPeerStats)]
pub struct UdpPeer {
    /// The remote address this peer's packets come from and go to. For an
    /// [`Outgoing`](UdpDirection::Outgoing) peer it is the remote listen address while
    /// connecting, then the remote peer port the listener assigned.
    pub remote: SocketAddr,
    /// The local port that carries this peer: the peer port it was assigned (accepted
    /// peers), or the client port its connection was made from (outgoing peers). `0` for an
    /// outgoing peer until the transport binds its client port, in the next
    /// [`StardustSet::Receive`](crate::plugin::StardustSet::Receive) or
    /// [`StardustSet::Send`](crate::plugin::StardustSet::Send).
    pub local_port: u16,
    /// Which side opened the connection.
    pub direction: UdpDirection,
    /// For an outgoing peer, the remote listen address it connected to; `None` for accepted
    /// peers.
    pub listen_addr: Option<SocketAddr>,
    /// The remote side's static key: for an accepted peer, the key its handshake
    /// authenticated (`None` if it connected anonymously); for an outgoing peer, the
    /// listener's key (the pinned one from the start; otherwise the one it presented, once
    /// connected).
    pub peer_key: Option<PublicKey>,
    /// Whether the connection is encrypted and authenticated (known once connected).
    pub secure: bool,
}

/// The ticket an accepted peer was admitted with, under
/// [`AcceptPolicy::Tickets`](super::AcceptPolicy::Tickets): its data is the backend's word on
/// who this peer is. Inserted on the peer entity with its [`UdpPeer`].
#[derive(Component, Debug, Clone, PartialEq, Eq)]
pub struct UdpTicket(pub Ticket);

/// Packet-level counters of one UDP peer, kept current by the transport every frame (the
/// runtime's [`PeerStats`](crate::peer::PeerStats) on the same entity carries its RTT, loss
/// and byte counts). Every field but `queued_messages` (a current count) only grows. All zero
/// until the connection is established.
#[derive(Component, Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct UdpPeerStats {
    /// Datagrams sent to the peer (data, acks, keep-alives).
    pub packets_sent: u64,
    /// Valid datagrams received from the peer.
    pub packets_received: u64,
    /// Data packets never acknowledged.
    pub packets_lost: u64,
    /// Reliable frames sent again after a loss.
    pub frames_resent: u64,
    /// Incoming datagrams or messages the protocol engine dropped after they authenticated
    /// (malformed, duplicate, stale, over a limit).
    pub dropped_incoming: u64,
    /// Incoming datagrams that did not authenticate (forged, corrupted, for other keys) or
    /// replayed an earlier packet: dropped without effect, never a protocol violation.
    pub dropped_unauthenticated: u64,
    /// Times the peer's address changed (a NAT rebinding, a roaming client): followed once a
    /// packet from the new address authenticated.
    pub migrations: u64,
    /// Outgoing messages waiting right now to be handed to the engine because a channel queue
    /// was full (back-pressure; they go out in a later frame). Falls back as they leave.
    pub queued_messages: u64,
}

/// A listener refused a connection this App made. Written in
/// [`StardustSet::Receive`](crate::plugin::StardustSet::Receive) of the frame the rejection
/// arrived, alongside the peer's move to
/// [`PeerState::Disconnected`](crate::peer::PeerState::Disconnected) with
/// [`DisconnectReason::Rejected`](crate::peer::DisconnectReason::Rejected) (or
/// [`ProtocolMismatch`](crate::peer::DisconnectReason::ProtocolMismatch) for code 4).
///
/// Read it with `MessageReader<UdpConnectRejected>`.
#[derive(Message, Debug, Clone, PartialEq)]
pub struct UdpConnectRejected {
    /// The peer entity of the refused attempt (despawned a frame after its
    /// `PeerDisconnected`).
    pub peer: Entity,
    /// The listener's listen address.
    pub listen_addr: SocketAddr,
    /// Why, e.g. [`ReasonCode::FULL`] or [`ReasonCode::PROTOCOL_HASH_MISMATCH`]; codes from
    /// `0x8000` are the listening application's own.
    pub code: ReasonCode,
    /// The listener's detail: `{"hash": …}` for a hash mismatch, `{"version": …}` for a
    /// version mismatch, `{"max_peers": …}` when full, `null` when none.
    pub data: Value,
}
