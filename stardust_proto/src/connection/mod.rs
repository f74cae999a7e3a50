//! One peer-to-peer connection: the handshake, then a data [`Session`], an idle timeout and a
//! graceful close, behind one sans-IO interface ([`Connection`]); and the listening side of
//! the handshake ([`Endpoint`], in `endpoint.rs`), which answers requests on a listen port.

mod config;
mod endpoint;
mod event;
mod handshake;
mod zero_stats;

use std::collections::VecDeque;
use std::time::Instant;

use bytes::Bytes;
use serde_json::Value;

use self::handshake::{ConnectHandshake, HandshakeOutcome};
use crate::channel::{ChannelId, ChannelTable};
use crate::session::Session;
use crate::wire::ReasonCode;
use crate::wire::zero::{Close, Request, ZeroMessage, is_zero_message};

pub use self::config::ConnectionConfig;
pub use self::endpoint::{
    AcceptedPeer, ConnectRequest, Endpoint, EndpointConfig, EndpointStats, Handled,
};
pub use self::event::{CloseReason, ConnectionEvent, ConnectionSendError};
pub use self::handshake::HandshakeConfig;
pub use self::zero_stats::{ZeroDropReason, ZeroStats};

/// Where the connection is in its life.
#[derive(Debug)]
enum Phase {
    /// Sending the request until an answer (connecting side only).
    Connecting(ConnectHandshake),
    /// Messages flow both ways.
    Established,
    /// `close` was called: reliable messages already sent are still resent until acknowledged
    /// or until `deadline`; nothing new may be sent.
    Draining { code: ReasonCode, data: Value, deadline: Instant },
    /// Sending the copies of the close message.
    Closing {
        datagram: Vec<u8>,
        copies_left: u32,
        next_copy: Instant,
        code: ReasonCode,
        data: Value,
    },
    /// Over; the terminal event has been queued.
    Closed,
}

/// A connection, sans-IO: the caller feeds datagrams and time, and polls datagrams, events,
/// messages and the next deadline (the method families `handle_*` and `poll_*`).
///
/// Driving loop: after [`handle_datagram`](Self::handle_datagram), [`handle_timeout`](Self::handle_timeout)
/// (when [`poll_timeout`](Self::poll_timeout) is reached), [`send`](Self::send) or
/// [`close`](Self::close), call [`poll_transmit`](Self::poll_transmit) until it returns `false`,
/// then drain [`poll_event`](Self::poll_event) and [`poll_message`](Self::poll_message).
///
/// Invariants: datagrams starting with `00 00 00` go to the connection protocol, all others to
/// the session; bad input of either kind is dropped and counted, never a panic or an error;
/// every connection ends in exactly one terminal event.
///
/// # Example: a client and a listener, with the network replaced by direct calls
/// ```
/// use std::net::SocketAddr;
/// use std::time::Instant;
/// use bytes::Bytes;
/// use stardust_proto::zero::Request;
/// use stardust_proto::*;
///
/// let chat = ChannelId::new(7).unwrap();
/// let channels = ChannelTable::new([(chat, ChannelConfig::new(Reliability::Reliable, Ordering::Ordered))]).unwrap();
/// let now = Instant::now();
/// let (transport_id, transport_version, protocol_hash) = (1, 1, 0xABCD);
///
/// // The listener, on its listen port.
/// let mut endpoint = Endpoint::new(EndpointConfig {
///     transport_id, transport_version, protocol_hash, max_peers: 16, accepting: true,
/// });
/// // The client: `seq` should be random.
/// let request = Request { transport_id, transport_version, protocol_hash, seq: 0x1234 };
/// let mut client = Connection::connect(ConnectionConfig::default(), channels.clone(), request, now);
///
/// let (mut datagram, mut reply) = (Vec::new(), Vec::new());
/// assert!(client.poll_transmit(now, &mut datagram)); // the request, for the listen port
/// let from: SocketAddr = "127.0.0.1:50000".parse().unwrap();
/// let Handled::Request(incoming) = endpoint.handle(from, &datagram, &mut reply) else { panic!() };
/// // The caller picks the data port (e.g. the least loaded) and a random sequence number.
/// let peer = endpoint.accept(incoming, 40001, 0x5678, &mut reply);
/// let mut server = Connection::accepted(ConnectionConfig::default(), channels, now, &peer);
/// client.handle_datagram(now, &reply); // the accept, back to the client
/// assert_eq!(client.poll_event(), Some(ConnectionEvent::Connected { port: 40001 }));
/// assert_eq!(server.poll_event(), Some(ConnectionEvent::Connected { port: 40001 }));
///
/// // From now on the client sends to port 40001.
/// client.send(chat, Bytes::from_static(b"hello")).unwrap();
/// while client.poll_transmit(now, &mut datagram) {
///     server.handle_datagram(now, &datagram);
/// }
/// assert_eq!(server.poll_message(), Some((chat, Bytes::from_static(b"hello"))));
/// ```
#[derive(Debug)]
pub struct Connection {
    config: ConnectionConfig,
    channels: ChannelTable,
    phase: Phase,
    session: Option<Session>,
    port: Option<u16>,
    /// The connecting side's request `seq`, to recognise copies of the accept.
    request_seq: Option<u16>,
    established_at: Option<Instant>,
    events: VecDeque<ConnectionEvent>,
    zero: ZeroStats,
}

impl Connection {
    /// The connecting side: starts sending `request` (its first copy is due at `now`) to the
    /// listener's listen port. `request.seq` becomes this side's first game-packet sequence
    /// number and should be random.
    pub fn connect(
        config: ConnectionConfig,
        channels: ChannelTable,
        request: Request,
        now: Instant,
    ) -> Connection {
        let handshake = ConnectHandshake::new(config.handshake, request, now);
        Connection {
            config,
            channels,
            phase: Phase::Connecting(handshake),
            session: None,
            port: None,
            request_seq: Some(request.seq),
            established_at: None,
            events: VecDeque::new(),
            zero: ZeroStats::default(),
        }
    }

    /// The listening side, after [`Endpoint::accept`](crate::Endpoint::accept): established at
    /// once, with a [`ConnectionEvent::Connected`] queued.
    pub fn accepted(
        config: ConnectionConfig,
        channels: ChannelTable,
        now: Instant,
        peer: &AcceptedPeer,
    ) -> Connection {
        let mut connection = Connection {
            config,
            channels,
            phase: Phase::Established,
            session: None,
            port: None,
            request_seq: None,
            established_at: None,
            events: VecDeque::new(),
            zero: ZeroStats::default(),
        };
        connection.establish(now, peer.local_seq, peer.remote_seq, peer.port);
        connection
    }

    /// Feeds one datagram received from the peer (any port of the listener, for the connecting side).
    pub fn handle_datagram(&mut self, now: Instant, datagram: &[u8]) {
        if is_zero_message(datagram) {
            self.handle_zero(now, datagram);
            return;
        }
        match (&self.phase, self.session.as_mut()) {
            (Phase::Established | Phase::Draining { .. }, Some(session)) => {
                session.handle_datagram(now, datagram);
                self.check_drained(now);
            }
            (Phase::Connecting(_), _) => self.zero.drop(ZeroDropReason::GameBeforeConnected),
            _ => self.zero.drop(ZeroDropReason::Unexpected),
        }
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
            Phase::Established | Phase::Draining { .. } => match self.session.as_mut() {
                Some(session) => session.poll_transmit(now, buf),
                None => false,
            },
            Phase::Closing { datagram, copies_left, next_copy, .. } => {
                if now < *next_copy || *copies_left == 0 {
                    return false;
                }
                buf.clear();
                buf.extend_from_slice(datagram);
                *copies_left -= 1;
                *next_copy = now + self.config.close_interval;
                self.zero.sent += 1;
                if *copies_left == 0 {
                    let Phase::Closing { code, data, .. } =
                        std::mem::replace(&mut self.phase, Phase::Closed)
                    else {
                        return true;
                    };
                    self.finish(CloseReason::Local { code, data });
                }
                true
            }
            Phase::Closed => false,
        }
    }

    /// The next lifecycle event, oldest first.
    pub fn poll_event(&mut self) -> Option<ConnectionEvent> {
        self.events.pop_front()
    }

    /// The next received message, in its channel's delivery order. Messages that arrived before
    /// a close stay readable after it.
    pub fn poll_message(&mut self) -> Option<(ChannelId, Bytes)> {
        self.session.as_mut()?.poll_message()
    }

    /// When [`handle_timeout`](Self::handle_timeout) should next be called; `None` once closed.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match &self.phase {
            Phase::Connecting(handshake) => Some(handshake.poll_timeout()),
            Phase::Established => self.data_timeout(None),
            Phase::Draining { deadline, .. } => self.data_timeout(Some(*deadline)),
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
                if let Some(session) = self.session.as_mut() {
                    session.handle_timeout(now);
                }
                self.check_drained(now);
            }
            Phase::Closing { .. } | Phase::Closed => {}
        }
    }

    /// Queues a message on `channel`. Only while established; see [`ConnectionSendError`].
    pub fn send(&mut self, channel: ChannelId, payload: Bytes) -> Result<(), ConnectionSendError> {
        match (&self.phase, self.session.as_mut()) {
            (Phase::Established, Some(session)) => Ok(session.send(channel, payload)?),
            (Phase::Connecting(_), _) => Err(ConnectionSendError::NotConnected),
            _ => Err(ConnectionSendError::Closed),
        }
    }

    /// Closes gracefully: stops accepting messages, keeps resending the reliable ones already
    /// sent until they are acknowledged (at most [`ConnectionConfig::close_linger`]), then sends
    /// [`ConnectionConfig::close_copies`] copies of a `close` zero message carrying `code` and
    /// `data` (`data` becomes `null` if it would not fit the MTU), then reports
    /// [`CloseReason::Local`]. While connecting, ends at once without sending anything.
    /// Does nothing if already closing or closed.
    pub fn close(&mut self, now: Instant, code: ReasonCode, data: Value) {
        match self.phase {
            Phase::Connecting(_) => {
                self.phase = Phase::Closed;
                self.finish(CloseReason::Local { code, data });
            }
            Phase::Established => {
                let deadline = now + self.config.close_linger;
                self.phase = Phase::Draining { code, data, deadline };
                self.check_drained(now);
            }
            Phase::Draining { .. } | Phase::Closing { .. } | Phase::Closed => {}
        }
    }

    /// Whether messages can be sent (established, not closing).
    pub fn is_connected(&self) -> bool {
        matches!(self.phase, Phase::Established)
    }

    /// Whether the terminal event has been queued; the connection will produce nothing more.
    pub fn is_closed(&self) -> bool {
        matches!(self.phase, Phase::Closed)
    }

    /// The listener's port that carries this connection's game traffic, once known.
    pub fn data_port(&self) -> Option<u16> {
        self.port
    }

    /// The data path, once established (kept after close for its statistics).
    pub fn session(&self) -> Option<&Session> {
        self.session.as_ref()
    }

    /// Counters of the connection protocol (zero messages and datagrams dropped outside the session).
    pub fn zero_stats(&self) -> &ZeroStats {
        &self.zero
    }

    fn handle_zero(&mut self, now: Instant, datagram: &[u8]) {
        let message = match ZeroMessage::decode(datagram) {
            Ok(message) => message,
            Err(error) => return self.zero.drop(error),
        };
        match &self.phase {
            Phase::Connecting(handshake) => match handshake.handle(message) {
                Ok(HandshakeOutcome::Accepted(accepted)) => {
                    self.zero.received += 1;
                    let local_seq = handshake.request().seq;
                    self.phase = Phase::Established;
                    self.establish(now, local_seq, accepted.seq, accepted.port);
                }
                Ok(HandshakeOutcome::Rejected(rejected)) => {
                    self.zero.received += 1;
                    self.phase = Phase::Closed;
                    let event =
                        ConnectionEvent::Rejected { code: rejected.code, data: rejected.data };
                    self.events.push_back(event);
                }
                Err(reason) => self.zero.drop(reason),
            },
            Phase::Established | Phase::Draining { .. } => match message {
                ZeroMessage::Close(Close { code, data }) => {
                    self.zero.received += 1;
                    self.phase = Phase::Closed;
                    self.finish(CloseReason::Remote { code, data });
                }
                // The listener re-sends its accept for every copy of our request still in flight.
                ZeroMessage::Accepted(accepted) if Some(accepted.ack) == self.request_seq => {
                    self.zero.drop(ZeroDropReason::Duplicate);
                }
                _ => self.zero.drop(ZeroDropReason::Unexpected),
            },
            Phase::Closing { .. } | Phase::Closed => self.zero.drop(ZeroDropReason::Unexpected),
        }
    }

    fn establish(&mut self, now: Instant, local_seq: u16, remote_seq: u16, port: u16) {
        let config = self.config.session.clone();
        self.session =
            Some(Session::new(config, self.channels.clone(), now, local_seq, remote_seq));
        self.port = Some(port);
        self.established_at = Some(now);
        self.events.push_back(ConnectionEvent::Connected { port });
    }

    /// Moves from draining to sending the close once everything reliable is acknowledged or the
    /// linger is over.
    fn check_drained(&mut self, now: Instant) {
        let Phase::Draining { deadline, .. } = self.phase else { return };
        let flushed = self.session.as_ref().is_none_or(Session::is_flushed);
        if !flushed && now < deadline {
            return;
        }
        let Phase::Draining { code, data, .. } = std::mem::replace(&mut self.phase, Phase::Closed)
        else {
            return;
        };
        let mut datagram = Vec::new();
        let message = ZeroMessage::Close(Close { code, data: data.clone() });
        if !message.encode_within(self.config.session.mtu.max(64), &mut datagram) {
            // A close without data is ~30 bytes; an MTU that small is clamped by the session.
            ZeroMessage::Close(Close { code, data: Value::Null }).encode(&mut datagram);
        }
        self.phase = Phase::Closing {
            datagram,
            copies_left: self.config.close_copies.max(1),
            next_copy: now,
            code,
            data,
        };
    }

    fn idle_deadline(&self) -> Option<Instant> {
        let established = self.established_at?;
        let session = self.session.as_ref()?;
        if self.request_seq.is_none() && session.stats().packets_received == 0 {
            // The listener's side before the client's first packet: the client may still be
            // resending its request because every accept was lost, which can take up to its
            // handshake timeout. Declaring it gone sooner would drop a client that is arriving.
            let patience = self.config.idle_timeout.max(self.config.handshake.timeout);
            return Some(established + patience);
        }
        Some(session.last_received().max(established) + self.config.idle_timeout)
    }

    fn data_timeout(&self, linger: Option<Instant>) -> Option<Instant> {
        [self.session.as_ref().and_then(Session::poll_timeout), self.idle_deadline(), linger]
            .into_iter()
            .flatten()
            .min()
    }

    fn finish(&mut self, reason: CloseReason) {
        self.events.push_back(ConnectionEvent::Closed { reason });
    }
}
