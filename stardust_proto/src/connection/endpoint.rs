//! The listening side of the handshake: what to do with each datagram on the listen port.

use std::collections::HashMap;
use std::net::SocketAddr;

use serde_json::{Value, json};

use super::handshake::ListenerIdentity;
use super::zero_stats::{ZeroDropReason, ZeroStats};
use crate::wire::ReasonCode;
use crate::wire::zero::{
    Accepted, REQUEST_MIN_SIZE, Rejected, Request, ZeroDecodeError, ZeroMessage, is_zero_message,
};

/// How a listener decides on connection requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndpointConfig {
    /// The transport this listener speaks; requests naming another are rejected with
    /// [`ReasonCode::UNKNOWN_TRANSPORT`].
    pub transport_id: u64,
    /// Requests with another version are rejected with [`ReasonCode::INCOMPATIBLE_VERSION`].
    pub transport_version: u32,
    /// Requests with another hash are rejected with [`ReasonCode::PROTOCOL_HASH_MISMATCH`].
    pub protocol_hash: u64,
    /// Peers beyond this many are rejected with [`ReasonCode::FULL`].
    pub max_peers: usize,
    /// When `false`, new peers are rejected with [`ReasonCode::NOT_ACCEPTING`].
    pub accepting: bool,
}

/// What the caller must do after [`Endpoint::handle`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    /// Nothing: the datagram was dropped and counted under this reason.
    Dropped(ZeroDropReason),
    /// Send the reply buffer back to the sender, from the listen port. It is a rejection, or
    /// the accept re-sent for a duplicate request; never larger than the datagram that caused it.
    Reply,
    /// A valid request from a new peer: answer it with [`Endpoint::accept`] or [`Endpoint::reject`].
    /// Until then nothing is recorded, and a copy of the request yields another `Request`.
    Request(ConnectRequest),
}

/// A well-formed request that passed the transport, version, hash, capacity and accepting checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectRequest {
    from: SocketAddr,
    request: Request,
    size: usize,
    replaces_existing: bool,
}

impl ConnectRequest {
    /// Who sent it.
    pub fn from(&self) -> SocketAddr {
        self.from
    }

    /// The decoded request.
    pub fn request(&self) -> &Request {
        &self.request
    }

    /// `true` when `from` already has a peer that sent a different request: the client restarted.
    /// Accepting replaces that peer, so the caller must drop the old [`Connection`](crate::Connection).
    pub fn replaces_existing(&self) -> bool {
        self.replaces_existing
    }
}

/// The result of an accept: everything [`Connection::accepted`](crate::Connection::accepted)
/// needs to build the listener's side of the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AcceptedPeer {
    /// The peer's address.
    pub addr: SocketAddr,
    /// The listener's port that carries this connection's game traffic.
    pub port: u16,
    /// The listener's first game-packet sequence number.
    pub local_seq: u16,
    /// The peer's first game-packet sequence number (its request's `seq`).
    pub remote_seq: u16,
}

/// Counters of a listen port.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EndpointStats {
    /// Zero messages received, replies sent, and drops per reason.
    pub zero: ZeroStats,
    /// Peers accepted.
    pub accepted: u64,
    /// Requests rejected (each copy of a rejected request counts).
    pub rejected: u64,
    /// Duplicate requests answered with the recorded accept.
    pub duplicates: u64,
}

#[derive(Debug, Clone)]
struct PeerRecord {
    request_seq: u16,
    accept: Vec<u8>,
}

/// The listener, sans-IO: one per listen port, fed every datagram that arrives there.
///
/// Invariants: it never replies with more bytes than the datagram that caused the reply; it
/// holds at most `max_peers` records (one small accept per peer), so no input grows its memory
/// beyond that; a peer exists once per address, whatever the number of copies of its request.
#[derive(Debug, Clone)]
pub struct Endpoint {
    config: EndpointConfig,
    peers: HashMap<SocketAddr, PeerRecord>,
    stats: EndpointStats,
}

impl Endpoint {
    /// A listener with no peer.
    pub fn new(config: EndpointConfig) -> Endpoint {
        Endpoint { config, peers: HashMap::new(), stats: EndpointStats::default() }
    }

    /// The configuration in force.
    pub fn config(&self) -> &EndpointConfig {
        &self.config
    }

    /// Opens or closes the door to new peers; existing peers are unaffected.
    pub fn set_accepting(&mut self, accepting: bool) {
        self.config.accepting = accepting;
    }

    /// How many peers are recorded (accepted and not yet forgotten).
    pub fn peer_count(&self) -> usize {
        self.peers.len()
    }

    /// Whether `addr` is a recorded peer.
    pub fn has_peer(&self, addr: SocketAddr) -> bool {
        self.peers.contains_key(&addr)
    }

    /// The counters.
    pub fn stats(&self) -> &EndpointStats {
        &self.stats
    }

    /// Forgets a peer that left (closed or timed out), freeing its slot. Unknown addresses are ignored.
    pub fn forget(&mut self, addr: SocketAddr) {
        self.peers.remove(&addr);
    }

    /// Handles one datagram that arrived on the listen port from `from`. `reply` is cleared and,
    /// for [`Handled::Reply`], holds the datagram to send back.
    pub fn handle(&mut self, from: SocketAddr, datagram: &[u8], reply: &mut Vec<u8>) -> Handled {
        reply.clear();
        if !is_zero_message(datagram) {
            return self.dropped(ZeroDropReason::GameBeforeConnected);
        }
        // Nothing shorter than the minimum request is ever answered, not even with "malformed":
        // that is what keeps every reply no larger than its cause.
        if datagram.len() < REQUEST_MIN_SIZE {
            return self.dropped(ZeroDropReason::RequestTooSmall);
        }
        let request = match ZeroMessage::decode(datagram) {
            Ok(ZeroMessage::Request(request)) => request,
            Ok(_) => return self.dropped(ZeroDropReason::Unexpected),
            Err(ZeroDecodeError::Oversized) => return self.dropped(ZeroDropReason::Oversized),
            Err(error) => {
                self.stats.zero.drop(error);
                let malformed =
                    Rejected { ack: None, code: ReasonCode::MALFORMED, data: Value::Null };
                return self.send_reject(malformed, datagram.len(), reply);
            }
        };
        self.stats.zero.received += 1;

        let existing = self.peers.get(&from);
        if let Some(record) = existing
            && record.request_seq == request.seq
        {
            self.stats.duplicates += 1;
            self.stats.zero.sent += 1;
            reply.extend_from_slice(&record.accept);
            return Handled::Reply;
        }
        let replaces_existing = existing.is_some();

        let identity = ListenerIdentity {
            transport_id: self.config.transport_id,
            transport_version: self.config.transport_version,
            protocol_hash: self.config.protocol_hash,
        };
        let capacity = if !self.config.accepting {
            Err(ReasonCode::NOT_ACCEPTING)
        } else if !replaces_existing && self.peers.len() >= self.config.max_peers {
            Err(ReasonCode::FULL)
        } else {
            Ok(())
        };
        let verdict = identity.check(&request).and(capacity);
        match verdict {
            Ok(()) => Handled::Request(ConnectRequest {
                from,
                request,
                size: datagram.len(),
                replaces_existing,
            }),
            Err(code) => {
                let data = self.reject_detail(code);
                let rejected = Rejected { ack: Some(request.seq), code, data };
                self.send_reject(rejected, datagram.len(), reply)
            }
        }
    }

    /// Accepts `request`: records the peer, writes the accept to send back to
    /// [`ConnectRequest::from`] into `reply` (cleared first), and returns what
    /// [`Connection::accepted`](crate::Connection::accepted) needs. `port` is the listener port the
    /// peer must use from now on (chosen by the caller); `local_seq` should be random.
    pub fn accept(
        &mut self,
        request: ConnectRequest,
        port: u16,
        local_seq: u16,
        reply: &mut Vec<u8>,
    ) -> AcceptedPeer {
        let accepted = Accepted { ack: request.request.seq, seq: local_seq, port };
        ZeroMessage::Accepted(accepted).encode(reply);
        self.peers.insert(
            request.from,
            PeerRecord { request_seq: request.request.seq, accept: reply.clone() },
        );
        self.stats.accepted += 1;
        self.stats.zero.sent += 1;
        AcceptedPeer { addr: request.from, port, local_seq, remote_seq: request.request.seq }
    }

    /// Refuses `request` for an application reason: writes the reject into `reply` (cleared
    /// first). `data` is replaced by `null` if it would make the reply larger than the request.
    pub fn reject(
        &mut self,
        request: ConnectRequest,
        code: ReasonCode,
        data: Value,
        reply: &mut Vec<u8>,
    ) {
        let rejected = Rejected { ack: Some(request.request.seq), code, data };
        self.send_reject(rejected, request.size, reply);
    }

    /// What the client needs to know to fix a rejection: the listener's side of the mismatch.
    /// Nothing here is secret: transport version and protocol hash are fixed by the game build.
    fn reject_detail(&self, code: ReasonCode) -> Value {
        match code {
            ReasonCode::INCOMPATIBLE_VERSION => json!({ "version": self.config.transport_version }),
            ReasonCode::PROTOCOL_HASH_MISMATCH => json!({ "hash": self.config.protocol_hash }),
            ReasonCode::FULL => json!({ "max_peers": self.config.max_peers }),
            _ => Value::Null,
        }
    }

    fn send_reject(&mut self, rejected: Rejected, limit: usize, reply: &mut Vec<u8>) -> Handled {
        if ZeroMessage::Rejected(rejected).encode_within(limit, reply) {
            self.stats.rejected += 1;
            self.stats.zero.sent += 1;
            Handled::Reply
        } else {
            // Unreachable with REQUEST_MIN_SIZE bytes of room, kept so the size rule has no exception.
            reply.clear();
            Handled::Dropped(ZeroDropReason::Unexpected)
        }
    }

    fn dropped(&mut self, reason: ZeroDropReason) -> Handled {
        self.stats.zero.drop(reason);
        Handled::Dropped(reason)
    }
}
