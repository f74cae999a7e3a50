//! The listening side of the handshake: what to do with each datagram on the listen port.
//!
//! `secure.rs` answers secure requests (cookies, the Noise handshake), `insecure.rs` the
//! insecure ones a listener opted into; `request.rs` is what both hand the driver.

mod insecure;
mod request;
mod secure;

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::time::Instant;

use serde_json::{Value, json};

use self::request::{RecordKind, RequestKind};
use self::secure::{SecureListener, SecureRecord};
use super::zero_stats::{ZeroDropReason, ZeroStats};
use crate::crypto::{COOKIE_BUCKET, Entropy, PublicKey, ResetKey, StaticKeypair};
use crate::wire::ReasonCode;
use crate::wire::zero::{
    REQUEST_MIN_SIZE, Rejected, RejectedBody, Request, RequestMode, RequestProbe, ZeroDecodeError,
    ZeroMessage, is_zero_message,
};

pub use self::request::{AcceptedPeer, ConnectRequest, RecordKey};

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
    /// Peers beyond this many (accepted and not yet forgotten) are rejected with
    /// [`ReasonCode::FULL`].
    pub max_peers: usize,
    /// When `false`, new peers are rejected with [`ReasonCode::NOT_ACCEPTING`].
    pub accepting: bool,
    /// When a secure request must first prove its address with a cookie.
    pub cookies: CookiePolicy,
}

impl Default for EndpointConfig {
    /// Transport 0 version 2, hash 0, 1024 peers, accepting, cookies always.
    fn default() -> Self {
        EndpointConfig {
            transport_id: 0,
            transport_version: 2,
            protocol_hash: 0,
            max_peers: 1024,
            accepting: true,
            cookies: CookiePolicy::Always,
        }
    }
}

/// When a secure request must echo a cookie before the listener does any Diffie-Hellman or
/// keeps anything for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CookiePolicy {
    /// Every time: a first request from an address gets only a `retry`, no larger than it, and
    /// nothing is kept or computed beyond a MAC until the address echoes the cookie. Costs one
    /// round trip per connection. The default.
    Always,
    /// Only while at least `unproven` accepted peers have not proven themselves (WireGuard's
    /// choice): below that, a request is answered with the handshake at once, one round trip
    /// sooner, and a spoofed request costs the listener a handshake and an unproven peer that
    /// sends nothing and expires; at that many, cookies are demanded.
    WhenBusy {
        /// How many unproven peers make the listener busy.
        unproven: usize,
    },
}

/// Whether the listener speaks the secure protocol, and with which static key.
#[derive(Debug, Clone)]
pub enum EndpointSecurity {
    /// Noise `IK` with this static key pair; insecure requests are refused.
    Secure(StaticKeypair),
    /// No encryption, no authentication, no cookies; secure requests are refused.
    Insecure,
}

/// What the caller must do after [`Endpoint::handle`].
#[derive(Debug)]
pub enum Handled {
    /// Nothing: the datagram was dropped and counted under this reason.
    Dropped(ZeroDropReason),
    /// Send the reply buffer back to the sender, from the listen port. Never larger than the
    /// datagram that caused it.
    Reply,
    /// A valid request from a new peer: answer it with [`Endpoint::accept`] or
    /// [`Endpoint::reject`] (always one of them: until then it counts against `max_peers`,
    /// and copies of it that arrive meanwhile are dropped as duplicates, not offered again).
    Request(ConnectRequest),
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
    /// Copies of accepted requests answered with the recorded reply.
    pub duplicates: u64,
    /// `retry` replies sent (cookies handed out, or the key to a client without it).
    pub retries: u64,
    /// First Noise messages read (each costs two Diffie-Hellman operations).
    pub handshakes: u64,
}

/// The listener, sans-IO: one per listen port, fed every datagram that arrives there.
///
/// Invariants: it never replies with more bytes than the datagram that caused the reply, nor
/// more than once per datagram; before a secure request's address echoed a valid cookie (see
/// [`CookiePolicy`]) it computes nothing but a MAC and keeps nothing; it keeps one record per
/// accepted peer (plus, for a secure one, until two cookie lifetimes after it is forgotten),
/// so no input grows its memory beyond that.
pub struct Endpoint {
    config: EndpointConfig,
    secure: Option<Box<SecureListener>>,
    entropy: Box<dyn Entropy>,
    insecure_records: HashMap<SocketAddr, insecure::InsecureRecord>,
    secure_records: HashMap<[u8; 32], SecureRecord>,
    /// Requests handed out as [`Handled::Request`] and not yet accepted or rejected, by what
    /// recognises their copies (the client's ephemeral key; the address and id of an
    /// insecure one): a copy that arrives meanwhile is a duplicate, not a second request.
    pending: HashSet<RecordKind>,
    peers: usize,
    unproven: usize,
    next_sweep: Instant,
    stats: EndpointStats,
}

impl core::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Endpoint")
            .field("config", &self.config)
            .field("public_key", &self.public_key())
            .field("peers", &self.peers)
            .finish_non_exhaustive()
    }
}

impl Endpoint {
    /// A listener with no peer, drawing its randomness (cookie secret, ephemeral keys,
    /// connection ids, packet numbers) from `entropy`.
    pub fn new(
        config: EndpointConfig,
        security: EndpointSecurity,
        mut entropy: Box<dyn Entropy>,
        now: Instant,
    ) -> Endpoint {
        let secure = match security {
            EndpointSecurity::Secure(identity) => {
                Some(Box::new(SecureListener::new(identity, &mut *entropy, now)))
            }
            EndpointSecurity::Insecure => None,
        };
        Endpoint {
            config,
            secure,
            entropy,
            insecure_records: HashMap::new(),
            secure_records: HashMap::new(),
            pending: HashSet::new(),
            peers: 0,
            unproven: 0,
            next_sweep: now + COOKIE_BUCKET,
            stats: EndpointStats::default(),
        }
    }

    /// The configuration in force.
    pub fn config(&self) -> &EndpointConfig {
        &self.config
    }

    /// The listener's static public key; `None` when insecure.
    pub fn public_key(&self) -> Option<PublicKey> {
        self.secure.as_ref().map(|secure| secure.identity.public())
    }

    /// The key the listener's data ports derive stateless reset tokens from; `None` when
    /// insecure.
    pub fn reset_key(&self) -> Option<ResetKey> {
        self.secure.as_ref().map(|secure| secure.reset)
    }

    /// Opens or closes the door to new peers; existing peers are unaffected.
    pub fn set_accepting(&mut self, accepting: bool) {
        self.config.accepting = accepting;
    }

    /// Tells the endpoint how many accepted peers have not proven themselves yet (what
    /// [`CookiePolicy::WhenBusy`] counts).
    pub fn set_unproven(&mut self, unproven: usize) {
        self.unproven = unproven;
    }

    /// How many peers are recorded (accepted and not yet forgotten).
    pub fn peer_count(&self) -> usize {
        self.peers
    }

    /// The counters.
    pub fn stats(&self) -> &EndpointStats {
        &self.stats
    }

    /// Notes that the peer of `record` proved itself (its first packet authenticated): it has
    /// read the accept, so the reply kept for copies of its request is freed (a late copy is
    /// then dropped as a duplicate). What remains is what recognises a replay of its request.
    /// Unknown keys, and insecure peers, are left as they are.
    pub fn proven(&mut self, record: RecordKey) {
        if let RecordKind::Ephemeral(ephemeral) = record.0
            && let Some(record) = self.secure_records.get_mut(&ephemeral)
        {
            record.reply = Vec::new();
        }
    }

    /// Forgets a peer that left (closed or timed out), freeing its place. A secure peer's
    /// record stays two cookie lifetimes longer, so a copy of its request replayed from
    /// elsewhere meanwhile is still recognised. Unknown keys are ignored.
    pub fn forget(&mut self, now: Instant, record: RecordKey) {
        match record.0 {
            RecordKind::Address(addr) => {
                if self.insecure_records.remove(&addr).is_some() {
                    self.peers -= 1;
                }
            }
            RecordKind::Ephemeral(ephemeral) => {
                if let Some(record) = self.secure_records.get_mut(&ephemeral)
                    && record.expires.is_none()
                {
                    record.expires = Some(now + COOKIE_BUCKET * 2);
                    self.peers -= 1;
                }
            }
        }
    }

    /// Handles one datagram that arrived on the listen port from `from`. `reply` is cleared
    /// and, for [`Handled::Reply`], holds the datagram to send back.
    pub fn handle(
        &mut self,
        now: Instant,
        from: SocketAddr,
        datagram: &[u8],
        reply: &mut Vec<u8>,
    ) -> Handled {
        reply.clear();
        self.sweep(now);
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
                return self.refuse_unreadable(datagram, reply);
            }
        };
        self.stats.zero.received += 1;
        let limit = datagram.len();
        if request.transport_id != self.config.transport_id {
            return self.refuse(&request, ReasonCode::UNKNOWN_TRANSPORT, Value::Null, limit, reply);
        }
        if request.transport_version != self.config.transport_version {
            let data = json!({ "version": self.config.transport_version });
            return self.refuse(&request, ReasonCode::INCOMPATIBLE_VERSION, data, limit, reply);
        }
        match (&request.mode, self.secure.is_some()) {
            (RequestMode::Secure { .. }, true) => {
                self.handle_secure(now, from, request, limit, reply)
            }
            (RequestMode::Insecure { .. }, false) => {
                self.handle_insecure(from, request, limit, reply)
            }
            (_, secure) => {
                let data = json!({ "secure": secure });
                self.refuse(&request, ReasonCode::SECURITY_MISMATCH, data, limit, reply)
            }
        }
    }

    /// Accepts `request`: records the peer, writes the accept to send back to
    /// [`ConnectRequest::from`] into `reply` (cleared first), and returns what
    /// [`Connection::accepted`](crate::Connection::accepted) needs. `port` is the listener port
    /// the peer must use from now on (chosen by the caller).
    pub fn accept(
        &mut self,
        now: Instant,
        request: ConnectRequest,
        port: u16,
        reply: &mut Vec<u8>,
    ) -> AcceptedPeer {
        let _ = now;
        self.stats.accepted += 1;
        self.stats.zero.sent += 1;
        self.peers += 1;
        self.pending.remove(&request.pending_key());
        let ConnectRequest { from, id, kind, .. } = request;
        match kind {
            RequestKind::Insecure { seq, .. } => self.accept_insecure(from, id, seq, port, reply),
            RequestKind::Secure(secure) => self.accept_secure(from, id, *secure, port, reply),
        }
    }

    /// Refuses `request` for an application reason: writes the reject into `reply` (cleared
    /// first); authenticated by the listener's key for a secure request. `data` is replaced by
    /// `null` if it would make the reply larger than the request.
    pub fn reject(
        &mut self,
        request: ConnectRequest,
        code: ReasonCode,
        data: Value,
        reply: &mut Vec<u8>,
    ) {
        self.pending.remove(&request.pending_key());
        let ConnectRequest { id, size, kind, .. } = request;
        match kind {
            RequestKind::Secure(mut secure) => {
                self.sealed_reject(&mut secure.noise, id, code, data, size, reply);
            }
            RequestKind::Insecure { .. } => {
                let rejected =
                    Rejected { id: Some(id), ack: None, body: RejectedBody::Plain { code, data } };
                self.send_reject(rejected, size, reply);
            }
        }
    }

    /// Answers a request that could not be read: with its version (and the id or, for a
    /// version-1 request, the `seq` it names) when those could be read, so its sender learns
    /// why; with `malformed` otherwise.
    fn refuse_unreadable(&mut self, datagram: &[u8], reply: &mut Vec<u8>) -> Handled {
        let probe = RequestProbe::read(datagram);
        let (id, ack) = probe.map_or((None, None), |p| (p.id, p.seq));
        let version = probe.and_then(|p| p.version);
        let (code, data) = match version {
            Some(v) if v != self.config.transport_version => (
                ReasonCode::INCOMPATIBLE_VERSION,
                json!({ "version": self.config.transport_version }),
            ),
            _ => (ReasonCode::MALFORMED, Value::Null),
        };
        let rejected = Rejected { id, ack, body: RejectedBody::Plain { code, data } };
        self.send_reject(rejected, datagram.len(), reply)
    }

    /// A refusal in the clear, echoing the request's id.
    fn refuse(
        &mut self,
        request: &Request,
        code: ReasonCode,
        data: Value,
        limit: usize,
        reply: &mut Vec<u8>,
    ) -> Handled {
        let body = RejectedBody::Plain { code, data };
        self.send_reject(Rejected { id: Some(request.id), ack: None, body }, limit, reply)
    }

    /// Hands `request` to the caller as [`Handled::Request`], noting it pending until the
    /// caller accepts or rejects it.
    fn offer(&mut self, request: ConnectRequest) -> Handled {
        self.pending.insert(request.pending_key());
        Handled::Request(request)
    }

    /// Whether a copy of a request already handed out and not yet answered is `key`'s.
    fn is_pending(&self, key: &RecordKind) -> bool {
        self.pending.contains(key)
    }

    /// Whether accepting one more peer would pass `max_peers`, counting those accepted and
    /// those handed out and not yet answered.
    fn is_full(&self) -> bool {
        self.peers + self.pending.len() >= self.config.max_peers
    }

    /// What the client needs to know to fix a refusal for lack of room.
    fn full_detail(&self) -> Value {
        json!({ "max_peers": self.config.max_peers })
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

    /// Drops the records of secure peers forgotten long enough ago.
    fn sweep(&mut self, now: Instant) {
        if now < self.next_sweep {
            return;
        }
        self.next_sweep = now + COOKIE_BUCKET;
        self.secure_records.retain(|_, record| record.expires.is_none_or(|at| at > now));
    }
}
