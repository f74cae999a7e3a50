//! One peer-to-peer connection: the handshake, then a data [`Session`] whose packets travel
//! sealed (or, opted into, in the clear), an idle timeout and a graceful close, behind one
//! sans-IO interface ([`Connection`]); and the listening side of the handshake ([`Endpoint`],
//! in `endpoint/`), which answers requests on a listen port.
//!
//! `handshake/` is the connecting side's request and what it makes of replies; `link.rs`
//! how established packets travel; `receive.rs` and `close.rs` the two halves of an
//! established connection's life that are not the session's.

mod close;
mod config;
mod endpoint;
mod event;
mod handshake;
mod link;
mod params;
mod receive;
mod zero_stats;

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::Value;

use self::handshake::{ConnectHandshake, LinkSetup};
use self::link::Link;
use crate::channel::{ChannelId, ChannelTable};
use crate::crypto::{Entropy, PublicKey};
use crate::session::Session;
use crate::wire::ReasonCode;
use crate::wire::sealed::SEAL_OVERHEAD;

pub use self::config::ConnectionConfig;
pub use self::endpoint::{
    AcceptedPeer, ConnectRequest, CookiePolicy, Endpoint, EndpointConfig, EndpointSecurity,
    EndpointStats, Handled, RecordKey,
};
pub use self::event::{CloseReason, ConnectionEvent, ConnectionSendError, Received};
pub use self::handshake::HandshakeConfig;
pub use self::params::{ClientSecurity, ConnectParams, SecureClient};
pub use self::zero_stats::{ZeroDropReason, ZeroStats};

/// Where the connection is in its life.
#[derive(Debug)]
enum Phase {
    /// Sending the request until an answer (connecting side only).
    Connecting(Box<ConnectHandshake>),
    /// Messages flow both ways.
    Established,
    /// `close` was called: reliable messages already sent are still resent until acknowledged
    /// or until `deadline`; nothing new may be sent.
    Draining { code: ReasonCode, data: Value, deadline: Instant },
    /// Sending the copies of the close.
    Closing { copies_left: u32, next_copy: Instant, code: ReasonCode, data: Value },
    /// Over; the terminal event has been queued.
    Closed,
}

/// Which side of the handshake this connection was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    /// It sent the request (with this id).
    Connecting { request_id: u64 },
    /// A listener accepted it.
    Accepted,
}

/// A connection, sans-IO: the caller feeds datagrams and time, and polls datagrams, events,
/// messages and the next deadline (the method families `handle_*` and `poll_*`).
///
/// Driving loop: after [`handle_datagram`](Self::handle_datagram), [`handle_timeout`](Self::handle_timeout)
/// (when [`poll_timeout`](Self::poll_timeout) is reached), [`send`](Self::send) or
/// [`close`](Self::close), call [`poll_transmit`](Self::poll_transmit) until it returns `false`,
/// then drain [`poll_event`](Self::poll_event) and [`poll_message`](Self::poll_message).
///
/// Invariants: datagrams starting with `00 00 00` go to the handshake, all others to the
/// established path; on a secure connection only packets that authenticate reach the session
/// (anything else is dropped and counted, and changes nothing); bad input never panics or
/// errors; every connection ends in exactly one terminal event. A listener's secure
/// connection sends nothing until the client proved it holds the keys (its first packet
/// authenticated), and only then reports [`Connected`](ConnectionEvent::Connected).
///
/// # Example: a client and a listener, with the network replaced by direct calls
/// ```
/// use std::net::SocketAddr;
/// use std::time::Instant;
/// use bytes::Bytes;
/// use stardust_proto::crypto::{SeededEntropy, StaticKeypair};
/// use stardust_proto::*;
///
/// let chat = ChannelId::new(7).unwrap();
/// let channels = ChannelTable::new([(chat, ChannelConfig::new(Reliability::Reliable, Ordering::Ordered))]).unwrap();
/// let now = Instant::now();
/// let mut entropy = SeededEntropy::from_u64(1); // a real driver uses the OS's generator
/// let config = EndpointConfig { transport_id: 1, transport_version: 2, protocol_hash: 0xABCD, ..EndpointConfig::default() };
///
/// // The listener, on its listen port, with its static key.
/// let identity = StaticKeypair::generate(&mut entropy);
/// let listener_key = identity.public();
/// let security = EndpointSecurity::Secure(identity);
/// let mut endpoint = Endpoint::new(config, security, Box::new(SeededEntropy::from_u64(2)), now);
/// // The client, which knows the listener's key (so no man in the middle can answer).
/// let client = SecureClient { listener_key: Some(listener_key), ..SecureClient::default() };
/// let params = ConnectParams { transport_id: 1, transport_version: 2, protocol_hash: 0xABCD, security: ClientSecurity::Secure(client) };
/// let mut client = Connection::connect(ConnectionConfig::default(), channels.clone(), params, &mut entropy, now);
///
/// let from: SocketAddr = "127.0.0.1:50000".parse().unwrap();
/// let (mut datagram, mut reply) = (Vec::new(), Vec::new());
/// let incoming = loop {
///     // The request; the first answer is a retry with a cookie, which the client echoes.
///     assert!(client.poll_transmit(now, &mut datagram));
///     match endpoint.handle(now, from, &datagram, &mut reply) {
///         Handled::Request(incoming) => break incoming,
///         Handled::Reply => { client.handle_datagram(now, &reply); }
///         Handled::Dropped(reason) => panic!("{reason:?}"),
///     }
/// };
/// // The caller picks the data port (e.g. the least loaded) and checks who may connect.
/// let peer = endpoint.accept(now, incoming, 40001, &mut reply);
/// let mut server = Connection::accepted(ConnectionConfig::default(), channels, now, peer);
/// client.handle_datagram(now, &reply); // the accept, back to the client
/// assert_eq!(client.poll_event(), Some(ConnectionEvent::Connected { port: 40001 }));
///
/// // From now on the client sends to port 40001, every packet sealed.
/// client.send(chat, Bytes::from_static(b"hello")).unwrap();
/// while client.poll_transmit(now, &mut datagram) {
///     server.handle_datagram(now, &datagram);
/// }
/// assert_eq!(server.poll_event(), Some(ConnectionEvent::Connected { port: 40001 }));
/// assert_eq!(server.poll_message(), Some((chat, Bytes::from_static(b"hello"))));
/// ```
#[derive(Debug)]
pub struct Connection {
    /// Shared by every connection made with the same `Arc` (a transport's): a peer's memory
    /// is what is its own.
    config: Arc<ConnectionConfig>,
    channels: ChannelTable,
    phase: Phase,
    side: Side,
    session: Option<Session>,
    link: Link,
    port: Option<u16>,
    /// The other side's static key (see [`peer_key`](Self::peer_key)).
    peer_key: Option<PublicKey>,
    established_at: Option<Instant>,
    /// Connecting side of a sealed link not yet answered: when to make itself heard again,
    /// and the wait after that.
    confirm: Option<(Instant, Duration)>,
    events: VecDeque<ConnectionEvent>,
    zero: ZeroStats,
}

impl Connection {
    /// The connecting side: starts sending its request (the first copy is due at `now`) to the
    /// listener's listen port. `entropy` draws the attempt's id and keys.
    pub fn connect(
        config: impl Into<Arc<ConnectionConfig>>,
        channels: ChannelTable,
        params: ConnectParams,
        entropy: &mut dyn Entropy,
        now: Instant,
    ) -> Connection {
        let config = config.into();
        let handshake = ConnectHandshake::new(config.handshake, params, entropy, now);
        let request_id = handshake.request().id;
        Connection {
            config,
            channels,
            phase: Phase::Connecting(Box::new(handshake)),
            side: Side::Connecting { request_id },
            session: None,
            link: Link::Plain,
            port: None,
            peer_key: None,
            established_at: None,
            confirm: None,
            events: VecDeque::new(),
            zero: ZeroStats::default(),
        }
    }

    /// The listening side, after [`Endpoint::accept`]. An insecure connection is established
    /// at once ([`ConnectionEvent::Connected`] queued); a secure one when the client's first
    /// packet authenticates.
    pub fn accepted(
        config: impl Into<Arc<ConnectionConfig>>,
        channels: ChannelTable,
        now: Instant,
        peer: AcceptedPeer,
    ) -> Connection {
        let mut connection = Connection {
            config: config.into(),
            channels,
            phase: Phase::Established,
            side: Side::Accepted,
            session: None,
            link: Link::Plain,
            port: None,
            peer_key: peer.client_key,
            established_at: None,
            confirm: None,
            events: VecDeque::new(),
            zero: ZeroStats::default(),
        };
        let resend = connection.config.handshake.initial_rto;
        connection.establish(now, peer.port, &peer.link, resend);
        connection
    }

    /// Writes the next datagram to send into `buf` (cleared first); `false` when nothing is due.
    /// Before [`Connected`](ConnectionEvent::Connected) the connecting side sends to the listen
    /// port; after it, to [`data_port`](Self::data_port).
    pub fn poll_transmit(&mut self, now: Instant, buf: &mut Vec<u8>) -> bool {
        match &mut self.phase {
            Phase::Connecting(handshake) => {
                let sent = handshake.poll_transmit(now, buf);
                self.zero.sent += u64::from(sent);
                sent
            }
            Phase::Established | Phase::Draining { .. } => self.transmit_packet(now, buf),
            Phase::Closing { .. } => self.transmit_close(now, buf),
            Phase::Closed => false,
        }
    }

    /// The session's next packet, sealed on a secure link; nothing to a listener's client that
    /// has not proven itself yet.
    fn transmit_packet(&mut self, now: Instant, buf: &mut Vec<u8>) -> bool {
        let Some(session) = self.session.as_mut() else { return false };
        match &mut self.link {
            Link::Plain => session.poll_transmit(now, buf),
            Link::Sealed(link) => {
                if self.side == Side::Accepted && !link.confirmed {
                    return false;
                }
                session.poll_transmit(now, buf) && link.seal(buf)
            }
        }
    }

    /// The next lifecycle event, oldest first.
    pub fn poll_event(&mut self) -> Option<ConnectionEvent> {
        let event = self.events.pop_front();
        if self.events.is_empty() && self.events.capacity() > 0 {
            // Events are few (a connection has a handful in its life): an idle connection
            // keeps no room for them.
            self.events = VecDeque::new();
        }
        event
    }

    /// The next received message, in its channel's delivery order. Messages that arrived before
    /// a close stay readable after it.
    pub fn poll_message(&mut self) -> Option<(ChannelId, Bytes)> {
        self.session.as_mut()?.poll_message()
    }

    /// When [`handle_timeout`](Self::handle_timeout) should next be called; `None` once closed.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let confirm = self.confirm.map(|(at, _)| at);
        match &self.phase {
            Phase::Connecting(handshake) => Some(handshake.poll_timeout()),
            Phase::Established => self.data_timeout([confirm, None]),
            Phase::Draining { deadline, .. } => self.data_timeout([confirm, Some(*deadline)]),
            Phase::Closing { next_copy, .. } => Some(*next_copy),
            Phase::Closed => None,
        }
    }

    /// Runs the timers due at `now`: handshake deadline, idle timeout, resends, keep-alives,
    /// the close linger.
    pub fn handle_timeout(&mut self, now: Instant) {
        match &self.phase {
            Phase::Connecting(handshake) => {
                if handshake.is_timed_out(now) {
                    self.phase = Phase::Closed;
                    self.finish(CloseReason::HandshakeTimedOut);
                }
            }
            Phase::Established | Phase::Draining { .. } => {
                if self.idle_deadline().is_some_and(|deadline| now >= deadline) {
                    self.phase = Phase::Closed;
                    self.finish(CloseReason::TimedOut);
                    return;
                }
                self.confirm_again(now);
                if let Some(session) = self.session.as_mut() {
                    session.handle_timeout(now);
                }
                self.check_drained(now);
            }
            Phase::Closing { .. } | Phase::Closed => {}
        }
    }

    /// Tells the connection that the network refused a datagram it sent to the listener's
    /// listen address: an ICMP "port unreachable" (on Linux, `ECONNREFUSED` in the socket's
    /// error queue with the listen address as destination), reported at `now`.
    ///
    /// While connecting, the attempt ends with [`CloseReason::NobodyListening`] once every
    /// copy of the request sent so far was refused, at least
    /// [`HandshakeConfig::nobody_listening_after`] of them, and no reply naming the attempt
    /// arrived (see that field; a deadline already passed at `now` ends it as timed out).
    /// Ignored otherwise: an established connection never ends on an ICMP error, which
    /// anyone can forge; a listener that went away is noticed by the idle timeout, or at
    /// once by its authenticated stateless reset when it restarts.
    pub fn handle_refused(&mut self, now: Instant) {
        let Phase::Connecting(handshake) = &mut self.phase else { return };
        if handshake.is_timed_out(now) {
            self.handle_timeout(now);
        } else if handshake.handle_refused() {
            self.phase = Phase::Closed;
            self.finish(CloseReason::NobodyListening);
        }
    }

    /// Queues a message on `channel`. Only while established; see [`ConnectionSendError`].
    pub fn send(&mut self, channel: ChannelId, payload: Bytes) -> Result<(), ConnectionSendError> {
        if !self.is_connected() {
            return Err(match self.phase {
                Phase::Connecting(_) | Phase::Established => ConnectionSendError::NotConnected,
                _ => ConnectionSendError::Closed,
            });
        }
        let session = self.session.as_mut().ok_or(ConnectionSendError::NotConnected)?;
        Ok(session.send(channel, payload)?)
    }

    /// Whether messages can be sent (established, proven on a listener's secure connection,
    /// not closing).
    pub fn is_connected(&self) -> bool {
        matches!(self.phase, Phase::Established) && self.is_connected_now()
    }

    /// Whether this is the connecting side and its handshake is still under way: no reply has
    /// settled the attempt yet, and it has not ended.
    pub fn is_connecting(&self) -> bool {
        matches!(self.phase, Phase::Connecting(_))
    }

    fn is_connected_now(&self) -> bool {
        match (&self.link, self.side) {
            (Link::Sealed(link), Side::Accepted) => link.confirmed,
            _ => true,
        }
    }

    /// Whether the terminal event has been queued; the connection will produce nothing more.
    pub fn is_closed(&self) -> bool {
        matches!(self.phase, Phase::Closed)
    }

    /// The listener's port that carries this connection's packets, once known.
    pub fn data_port(&self) -> Option<u16> {
        self.port
    }

    /// Whether the packets travel sealed (a secure connection).
    pub fn is_secure(&self) -> bool {
        matches!(self.link, Link::Sealed(_))
    }

    /// The connection id a secure connection's packets carry, once established.
    pub fn cid(&self) -> Option<u64> {
        match &self.link {
            Link::Sealed(link) => Some(link.sealer.cid()),
            Link::Plain => None,
        }
    }

    /// The other side's static key on a secure connection: on the accepted side the client's
    /// (unless it connected anonymously), on the connecting side the listener's (once
    /// connected: the key it proved it holds).
    pub fn peer_key(&self) -> Option<PublicKey> {
        self.peer_key
    }

    /// The configuration this connection runs with.
    pub fn config(&self) -> &ConnectionConfig {
        &self.config
    }

    /// The data path, once established (kept after close for its statistics).
    pub fn session(&self) -> Option<&Session> {
        self.session.as_ref()
    }

    /// Counters of the connection protocol (handshake messages, and datagrams dropped outside
    /// the session: unauthenticated, replayed, unexpected).
    pub fn zero_stats(&self) -> &ZeroStats {
        &self.zero
    }

    /// Starts the session the handshake settled. `resend`: on the connecting side of a sealed
    /// link, when to send again if the listener has not answered the first packet yet.
    fn establish(&mut self, now: Instant, port: u16, setup: &LinkSetup, resend: Duration) {
        let mut config = self.config.session.clone();
        let (local_seq, remote_seq) = match setup {
            LinkSetup::Insecure { local_seq, remote_seq } => (*local_seq, *remote_seq),
            LinkSetup::Sealed { .. } => {
                // Sealed packets are longer than the session's by the header and tag; both
                // sides number theirs from 0 (the nonces' counters).
                config.mtu = config.mtu.saturating_sub(SEAL_OVERHEAD);
                (0, 0)
            }
        };
        let mut session = Session::new(config, self.channels.clone(), now, local_seq, remote_seq);
        self.link = Link::new(setup);
        self.port = Some(port);
        self.established_at = Some(now);
        let sealed = matches!(setup, LinkSetup::Sealed { .. });
        match (self.side, sealed) {
            (Side::Connecting { .. }, true) => {
                // Make itself heard at once: the listener's side waits for an authenticated
                // packet before it sends anything.
                session.request_keepalive();
                self.confirm = Some((now + resend, resend));
                self.events.push_back(ConnectionEvent::Connected { port });
            }
            (Side::Accepted, true) => {}
            (_, false) => self.events.push_back(ConnectionEvent::Connected { port }),
        }
        self.session = Some(session);
    }

    /// Connecting side of a sealed link the listener has not answered yet: another keep-alive
    /// when due, with backoff, so that a lost first packet does not leave the listener waiting.
    fn confirm_again(&mut self, now: Instant) {
        let Some((due, wait)) = self.confirm else { return };
        if now < due {
            return;
        }
        if let Some(session) = self.session.as_mut() {
            session.request_keepalive();
        }
        let wait = (wait * 2).min(self.config.handshake.max_rto);
        self.confirm = Some((now + wait, wait));
    }

    fn idle_deadline(&self) -> Option<Instant> {
        let established = self.established_at?;
        let session = self.session.as_ref()?;
        if self.side == Side::Accepted && session.stats().packets_received == 0 {
            // The listener's side before the client's first packet: the client may still be
            // resending its request because every accept was lost, which can take up to its
            // handshake timeout. Declaring it gone sooner would drop a client that is arriving.
            let patience = self.config.idle_timeout.max(self.config.handshake.timeout);
            return Some(established + patience);
        }
        Some(session.last_received().max(established) + self.config.idle_timeout)
    }

    fn data_timeout(&self, others: [Option<Instant>; 2]) -> Option<Instant> {
        let session = self.session.as_ref().and_then(Session::poll_timeout);
        let session = session.filter(|_| self.is_connected_now());
        [session, self.idle_deadline()].into_iter().chain(others).flatten().min()
    }

    fn finish(&mut self, reason: CloseReason) {
        self.events.push_back(ConnectionEvent::Closed { reason });
    }
}
