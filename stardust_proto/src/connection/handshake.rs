//! The zero-message handshake: the connecting side's request with its retransmission, and the
//! listening side's verdict on a request.
//!
//! The exchange has its own small reliability, independent of the game data path: the client's
//! request carries a sequence id naming the attempt; it is resent with exponential backoff until an
//! accept or reject that echoes that id (`ack`) arrives, or until the handshake times out. The
//! listener answers every copy, and answers a duplicate with the same accept (see
//! [`Endpoint`](crate::Endpoint)), so a lost reply costs one backoff step, never a second peer.

use std::time::{Duration, Instant};

use super::zero_stats::ZeroDropReason;
use crate::wire::ReasonCode;
use crate::wire::zero::{Accepted, Rejected, Request, ZeroMessage};

/// Timing of the connecting side's request retransmission.
///
/// The request is sent at once, then again after `initial_rto`, then after twice that, and so
/// on, never waiting more than `max_rto` between copies, until answered or until `timeout` has
/// passed since [`Connection::connect`](crate::Connection::connect).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HandshakeConfig {
    /// Wait before the first resend. Default 250 ms.
    pub initial_rto: Duration,
    /// Longest wait between two copies. Default 1 s.
    pub max_rto: Duration,
    /// Give up after this long without an answer. Default 15 s.
    pub timeout: Duration,
}

impl Default for HandshakeConfig {
    fn default() -> Self {
        HandshakeConfig {
            initial_rto: Duration::from_millis(250),
            max_rto: Duration::from_secs(1),
            timeout: Duration::from_secs(15),
        }
    }
}

/// The listener's answer to a well-formed request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum HandshakeOutcome {
    Accepted(Accepted),
    Rejected(Rejected),
}

/// The connecting side until an answer arrives.
#[derive(Debug, Clone)]
pub(crate) struct ConnectHandshake {
    request: Request,
    encoded: Vec<u8>,
    config: HandshakeConfig,
    next_send: Instant,
    rto: Duration,
    deadline: Instant,
}

impl ConnectHandshake {
    /// A handshake whose first request is due at `now`.
    pub(crate) fn new(config: HandshakeConfig, request: Request, now: Instant) -> Self {
        let mut encoded = Vec::new();
        ZeroMessage::Request(request).encode(&mut encoded);
        ConnectHandshake {
            request,
            encoded,
            config,
            next_send: now,
            rto: config.initial_rto,
            deadline: now + config.timeout,
        }
    }

    /// The request being sent.
    pub(crate) fn request(&self) -> &Request {
        &self.request
    }

    /// Writes a copy of the request into `buf` if one is due, and schedules the next with backoff.
    pub(crate) fn poll_transmit(&mut self, now: Instant, buf: &mut Vec<u8>) -> bool {
        if now < self.next_send || self.is_timed_out(now) {
            return false;
        }
        buf.clear();
        buf.extend_from_slice(&self.encoded);
        self.next_send = now + self.rto;
        self.rto = (self.rto * 2).min(self.config.max_rto);
        true
    }

    /// The next resend or the deadline, whichever comes first.
    pub(crate) fn poll_timeout(&self) -> Instant {
        self.next_send.min(self.deadline)
    }

    /// Whether the handshake has run out of time.
    pub(crate) fn is_timed_out(&self, now: Instant) -> bool {
        now >= self.deadline
    }

    /// Interprets a zero message received while connecting.
    pub(crate) fn handle(&self, message: ZeroMessage) -> Result<HandshakeOutcome, ZeroDropReason> {
        match message {
            ZeroMessage::Accepted(accepted) if accepted.ack == self.request.seq => {
                Ok(HandshakeOutcome::Accepted(accepted))
            }
            // A reject without `ack` answers a request the listener could not read; only the
            // current attempt can have caused it, since earlier ones were identical.
            ZeroMessage::Rejected(rejected)
                if rejected.ack.is_none() || rejected.ack == Some(self.request.seq) =>
            {
                Ok(HandshakeOutcome::Rejected(rejected))
            }
            ZeroMessage::Accepted(_) | ZeroMessage::Rejected(_) => Err(ZeroDropReason::StaleReply),
            ZeroMessage::Request(_) | ZeroMessage::Close(_) => Err(ZeroDropReason::Unexpected),
        }
    }
}

/// What a listener must match in a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ListenerIdentity {
    pub(crate) transport_id: u64,
    pub(crate) transport_version: u32,
    pub(crate) protocol_hash: u64,
}

impl ListenerIdentity {
    /// Checks, in this order: transport identifier, transport version, protocol hash.
    pub(crate) fn check(&self, request: &Request) -> Result<(), ReasonCode> {
        if request.transport_id != self.transport_id {
            Err(ReasonCode::UNKNOWN_TRANSPORT)
        } else if request.transport_version != self.transport_version {
            Err(ReasonCode::INCOMPATIBLE_VERSION)
        } else if request.protocol_hash != self.protocol_hash {
            Err(ReasonCode::PROTOCOL_HASH_MISMATCH)
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> Request {
        Request { transport_id: 1, transport_version: 2, protocol_hash: 3, seq: 77 }
    }

    #[test]
    fn resends_back_off_exponentially_up_to_the_cap() {
        let start = Instant::now();
        let mut hs = ConnectHandshake::new(HandshakeConfig::default(), request(), start);
        let mut buf = Vec::new();
        let mut sent_at = Vec::new();
        let mut now = start;
        while now < start + Duration::from_secs(5) {
            if hs.poll_transmit(now, &mut buf) {
                sent_at.push((now - start).as_millis());
            }
            now = hs.poll_timeout();
        }
        assert_eq!(sent_at, [0, 250, 750, 1750, 2750, 3750, 4750]);
    }

    #[test]
    fn stops_sending_at_the_deadline() {
        let start = Instant::now();
        let config = HandshakeConfig { timeout: Duration::from_secs(1), ..Default::default() };
        let mut hs = ConnectHandshake::new(config, request(), start);
        let mut buf = Vec::new();
        assert!(hs.poll_transmit(start, &mut buf));
        assert!(hs.is_timed_out(start + Duration::from_secs(1)));
        assert!(!hs.poll_transmit(start + Duration::from_secs(1), &mut buf));
    }

    #[test]
    fn replies_to_other_attempts_are_stale() {
        let hs = ConnectHandshake::new(HandshakeConfig::default(), request(), Instant::now());
        let stale = ZeroMessage::Accepted(Accepted { ack: 76, seq: 1, port: 2 });
        assert_eq!(hs.handle(stale), Err(ZeroDropReason::StaleReply));
        let current = Accepted { ack: 77, seq: 1, port: 2 };
        assert_eq!(
            hs.handle(ZeroMessage::Accepted(current)),
            Ok(HandshakeOutcome::Accepted(current))
        );
    }

    #[test]
    fn identity_checks_transport_then_version_then_hash() {
        let id = ListenerIdentity { transport_id: 1, transport_version: 2, protocol_hash: 3 };
        assert_eq!(id.check(&request()), Ok(()));
        let r = Request { transport_id: 9, transport_version: 9, protocol_hash: 9, ..request() };
        assert_eq!(id.check(&r), Err(ReasonCode::UNKNOWN_TRANSPORT));
        let r = Request { transport_version: 9, protocol_hash: 9, ..request() };
        assert_eq!(id.check(&r), Err(ReasonCode::INCOMPATIBLE_VERSION));
        let r = Request { protocol_hash: 9, ..request() };
        assert_eq!(id.check(&r), Err(ReasonCode::PROTOCOL_HASH_MISMATCH));
    }
}
