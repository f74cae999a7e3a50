//! What a connection does with each datagram: handshake replies while connecting, then
//! packets (opened first on a secure link), and the peer's close.

use std::time::Instant;

use super::handshake::HandshakeOutcome;
use super::link::Link;
use super::{CloseReason, Connection, ConnectionEvent, Phase, Received, Side, ZeroDropReason};
use crate::crypto::{OpenError, Opened};
use crate::wire::ReasonCode;
use crate::wire::sealed::read_close;
use crate::wire::zero::{Accepted, Close, ZeroMessage, is_zero_message};

impl Connection {
    /// Feeds one datagram received from the peer (from any port of the listener, for the
    /// connecting side). Returns what became of it; only [`Received::Authenticated`] proves
    /// anything about its sender. A sealed packet is copied to be opened; a driver that owns
    /// its receive buffer saves the copy with [`handle_datagram_mut`](Self::handle_datagram_mut).
    pub fn handle_datagram(&mut self, now: Instant, datagram: &[u8]) -> Received {
        if matches!(self.link, Link::Sealed(_)) && !is_zero_message(datagram) {
            return self.handle_datagram_mut(now, &mut datagram.to_vec());
        }
        self.handle_unsealed(now, datagram)
    }

    /// Like [`handle_datagram`](Self::handle_datagram), opening a sealed packet where it lies
    /// (`datagram` is left holding garbage).
    pub fn handle_datagram_mut(&mut self, now: Instant, datagram: &mut [u8]) -> Received {
        let sealed = matches!(self.link, Link::Sealed(_));
        if !sealed || is_zero_message(datagram) || !self.is_receiving() {
            return self.handle_unsealed(now, datagram);
        }
        let Link::Sealed(link) = &mut self.link else { return Received::Dropped };
        match link.open(datagram) {
            Ok((opened, plain)) => self.opened(now, opened, &datagram[plain]),
            Err(_) if link.is_reset(datagram) => {
                self.phase = Phase::Closed;
                self.finish(CloseReason::Reset);
                Received::Plain
            }
            Err(OpenError::Replayed) => self.dropped(ZeroDropReason::Replayed),
            Err(_) => self.dropped(ZeroDropReason::Unauthenticated),
        }
    }

    /// Whether packets are taken in this phase (established, or draining before a close).
    fn is_receiving(&self) -> bool {
        matches!(self.phase, Phase::Established | Phase::Draining { .. })
    }

    /// A zero message, a packet of an insecure link, or a packet that arrives outside the
    /// phases that take packets.
    fn handle_unsealed(&mut self, now: Instant, datagram: &[u8]) -> Received {
        if is_zero_message(datagram) {
            return self.handle_zero(now, datagram);
        }
        match self.phase {
            Phase::Established | Phase::Draining { .. } => {}
            Phase::Connecting(_) => return self.dropped(ZeroDropReason::GameBeforeConnected),
            Phase::Closing { .. } | Phase::Closed => {
                return self.dropped(ZeroDropReason::Unexpected);
            }
        }
        if let Some(session) = self.session.as_mut() {
            session.handle_datagram(now, datagram);
        }
        self.check_drained(now);
        Received::Plain
    }

    /// An authenticated packet whose plaintext is `plain`.
    fn opened(&mut self, now: Instant, opened: Opened, plain: &[u8]) -> Received {
        let authenticated = Received::Authenticated { newest: opened.newest };
        let Link::Sealed(link) = &mut self.link else { return authenticated };
        if !link.confirmed {
            link.confirmed = true;
            self.confirm = None;
            if let (Side::Accepted, Some(port)) = (self.side, self.port) {
                self.events.push_back(ConnectionEvent::Connected { port });
            }
        }
        if let Some((code, data)) = read_close(plain) {
            self.zero.received += 1;
            self.phase = Phase::Closed;
            self.finish(CloseReason::Remote { code: ReasonCode(code), data });
            return authenticated;
        }
        if let Some(session) = self.session.as_mut() {
            session.handle_datagram(now, plain);
        }
        self.check_drained(now);
        authenticated
    }

    pub(super) fn handle_zero(&mut self, now: Instant, datagram: &[u8]) -> Received {
        let message = match ZeroMessage::decode(datagram) {
            Ok(message) => message,
            Err(error) => return self.dropped(error),
        };
        let Phase::Connecting(handshake) = &mut self.phase else {
            return self.zero_while_established(message);
        };
        match handshake.handle(now, message) {
            Ok(HandshakeOutcome::Accepted { port, link, listener_key, resend }) => {
                self.zero.received += 1;
                self.phase = Phase::Established;
                self.peer_key = listener_key;
                self.establish(now, port, &link, resend);
            }
            Ok(HandshakeOutcome::Rejected { code, data }) => {
                self.zero.received += 1;
                self.phase = Phase::Closed;
                self.events.push_back(ConnectionEvent::Rejected { code, data });
            }
            Ok(HandshakeOutcome::KeyMismatch { pinned, presented }) => {
                self.zero.received += 1;
                self.phase = Phase::Closed;
                self.finish(CloseReason::KeyMismatch { pinned, presented });
            }
            Ok(HandshakeOutcome::Retried) => self.zero.received += 1,
            Err(reason) => return self.dropped(reason),
        }
        Received::Plain
    }

    fn zero_while_established(&mut self, message: ZeroMessage) -> Received {
        match (&self.phase, &self.link, message) {
            // Only an insecure connection closes with a zero message: on a secure one anyone
            // could have sent it.
            (
                Phase::Established | Phase::Draining { .. },
                Link::Plain,
                ZeroMessage::Close(close),
            ) => {
                let Close { code, data } = close;
                self.zero.received += 1;
                self.phase = Phase::Closed;
                self.finish(CloseReason::Remote { code, data });
                Received::Plain
            }
            // The listener re-sends its accept for every copy of our request still in flight.
            (_, _, ZeroMessage::Accepted(Accepted { id, .. }))
                if self.side == (Side::Connecting { request_id: id }) =>
            {
                self.dropped(ZeroDropReason::Duplicate)
            }
            _ => self.dropped(ZeroDropReason::Unexpected),
        }
    }

    fn dropped(&mut self, reason: impl Into<ZeroDropReason>) -> Received {
        self.zero.drop(reason);
        Received::Dropped
    }
}
