//! The connecting side of the handshake: its request, resent with backoff, and what it makes
//! of each reply.
//!
//! The exchange has its own small reliability, independent of the data path: the request
//! carries a random `id` naming the attempt; it is resent with exponential backoff until a
//! reply that echoes that `id` settles it, or until the handshake times out. A secure attempt
//! may first get a `retry` (a cookie, and the listener's key for a client that has none);
//! it then asks again at once with the cookie and, now that it knows the key, its first Noise
//! message. The listener answers every copy and answers a copy of an accepted request with
//! the same reply (see [`Endpoint`](crate::Endpoint)), so a lost reply costs one backoff step,
//! never a second connection.

mod refusals;
mod secure_attempt;

use std::time::{Duration, Instant};

use serde_json::Value;

use self::refusals::Refusals;
use self::secure_attempt::SecureAttempt;
use super::params::{ClientSecurity, ConnectParams};
use super::zero_stats::ZeroDropReason;
use crate::crypto::noise::prologue;
use crate::crypto::{Entropy, PublicKey, SealKeys};
use crate::wire::ReasonCode;
use crate::wire::payload::{AcceptPayload, RejectPayload};
use crate::wire::zero::{
    Accepted, AcceptedBody, Rejected, RejectedBody, Request, RequestMode, Retry, ZeroMessage,
};

/// Timing of the connecting side's request retransmission, and when it gives up.
///
/// The request is sent at once, then again after `initial_rto`, then after twice that, and so
/// on, never waiting more than `max_rto` between copies, until answered or until `timeout` has
/// passed since [`Connection::connect`](crate::Connection::connect), or until the network
/// reported enough copies refused (see `nobody_listening_after`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HandshakeConfig {
    /// Wait before the first resend. Default 250 ms.
    pub initial_rto: Duration,
    /// Longest wait between two copies. Default 1 s.
    pub max_rto: Duration,
    /// Give up after this long without an answer. Default 15 s.
    pub timeout: Duration,
    /// Give up with [`CloseReason::NobodyListening`](crate::CloseReason::NobodyListening) once
    /// the driver reported this many copies of the request refused
    /// ([`Connection::handle_refused`](crate::Connection::handle_refused): an ICMP "port
    /// unreachable"), provided every copy sent so far was refused and no reply naming the
    /// attempt arrived (a forged ICMP error cannot end an attempt the listener answers). With
    /// the default timing the third copy goes out 750 ms after the first, so a client learns
    /// that nothing listens in under a second instead of at `timeout`. `None`: refusals are
    /// ignored and only `timeout` ends an unanswered attempt; `Some(0)` acts as `Some(1)`.
    /// Default `Some(3)`.
    pub nobody_listening_after: Option<u32>,
}

impl Default for HandshakeConfig {
    fn default() -> Self {
        HandshakeConfig {
            initial_rto: Duration::from_millis(250),
            max_rto: Duration::from_secs(1),
            timeout: Duration::from_secs(15),
            nobody_listening_after: Some(3),
        }
    }
}

/// The shortest first resend after a retry, however short the round trip it measured.
const MIN_RETRY_RTO: Duration = Duration::from_millis(50);

/// How an established connection's packets travel, as the handshake settled it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LinkSetup {
    /// In the clear, numbered from the two sides' handshake numbers.
    Insecure { local_seq: u16, remote_seq: u16 },
    /// Sealed under `keys`, every packet carrying `cid`; `reset` is the token that proves a
    /// stateless reset (known to the connecting side only).
    Sealed { cid: u64, keys: SealKeys, reset: Option<[u8; 16]> },
}

/// What a reply did to the attempt.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum HandshakeOutcome {
    /// The listener accepted: packets go to `port` from now on. `listener_key`: the key it
    /// proved it holds (secure only). `resend`: how long to wait before sending again a first
    /// packet the listener does not answer (twice the round trip the accept measured).
    Accepted { port: u16, link: LinkSetup, listener_key: Option<PublicKey>, resend: Duration },
    /// The listener refused.
    Rejected { code: ReasonCode, data: Value },
    /// The listener presents another key than the pinned one.
    KeyMismatch { pinned: PublicKey, presented: PublicKey },
    /// A `retry` was taken: the next copy of the request (with the cookie) is due at once.
    Retried,
}

/// The connecting side until a reply settles the attempt.
#[derive(Debug)]
pub(crate) struct ConnectHandshake {
    config: HandshakeConfig,
    request: Request,
    secure: Option<Box<SecureAttempt>>,
    encoded: Vec<u8>,
    next_send: Instant,
    rto: Duration,
    /// When the latest copy of the request went out.
    last_sent: Option<Instant>,
    /// The longest wait between two copies: the configured one until an answer measured the
    /// round trip (see `answered_rto`).
    max_rto: Duration,
    deadline: Instant,
    /// Copies sent and refused, for giving up when nobody listens.
    refusals: Refusals,
}

/// The refusals a secure attempt takes in the clear: those a listener sends before it can
/// read the Noise message, because it speaks another transport or version, or is insecure.
const PLAIN_REFUSALS: [ReasonCode; 3] = [
    ReasonCode::UNKNOWN_TRANSPORT,
    ReasonCode::INCOMPATIBLE_VERSION,
    ReasonCode::SECURITY_MISMATCH,
];

impl ConnectHandshake {
    /// An attempt described by `params`, its first request due at `now`; `entropy` draws the
    /// attempt's id, first packet number and keys.
    pub(crate) fn new(
        config: HandshakeConfig,
        params: ConnectParams,
        entropy: &mut dyn Entropy,
        now: Instant,
    ) -> Self {
        let id = entropy.u64();
        let (mode, secure) = match params.security {
            ClientSecurity::Insecure => {
                let seq = (entropy.u64() & 0xFFFF) as u16;
                (RequestMode::Insecure { seq }, None)
            }
            ClientSecurity::Secure(client) => {
                let attempt = SecureAttempt::new(client, entropy);
                (RequestMode::Secure { noise: None, cookie: None }, Some(Box::new(attempt)))
            }
        };
        let request = Request {
            transport_id: params.transport_id,
            transport_version: params.transport_version,
            protocol_hash: params.protocol_hash,
            id,
            mode,
        };
        let mut handshake = ConnectHandshake {
            config,
            request,
            secure,
            encoded: Vec::new(),
            next_send: now,
            rto: config.initial_rto,
            last_sent: None,
            max_rto: config.max_rto,
            deadline: now + config.timeout,
            refusals: Refusals::new(config.nobody_listening_after),
        };
        if let Some(pinned) = handshake.secure.as_ref().and_then(|s| s.pinned) {
            handshake.start_noise(pinned);
        }
        handshake.encode();
        handshake
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
        self.rto = (self.rto * 2).min(self.max_rto);
        self.last_sent = Some(now);
        self.refusals.sent();
        true
    }

    /// The network reported a copy of the request refused (see [`Refusals`]). Returns whether
    /// the attempt should end: nobody listens at the address.
    pub(crate) fn handle_refused(&mut self) -> bool {
        self.refusals.refused()
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
    pub(crate) fn handle(
        &mut self,
        now: Instant,
        message: ZeroMessage,
    ) -> Result<HandshakeOutcome, ZeroDropReason> {
        let id = self.request.id;
        let names_attempt = match &message {
            ZeroMessage::Accepted(accepted) => accepted.id == id,
            ZeroMessage::Rejected(rejected) => rejected.id == Some(id),
            ZeroMessage::Retry(retry) => retry.id == id,
            ZeroMessage::Request(_) | ZeroMessage::Close(_) => false,
        };
        if names_attempt {
            // Someone answers (even unauthenticated): refusals can no longer end the attempt.
            self.refusals.answered();
        }
        match message {
            ZeroMessage::Accepted(Accepted { id: reply, body }) if reply == id => {
                let resend = self.answered_rto(now);
                self.accepted(body, resend)
            }
            ZeroMessage::Rejected(Rejected { id: Some(reply), body, .. }) if reply == id => {
                self.rejected(body)
            }
            ZeroMessage::Retry(retry) if retry.id == id => self.retry(now, retry),
            ZeroMessage::Accepted(_) | ZeroMessage::Rejected(_) | ZeroMessage::Retry(_) => {
                Err(ZeroDropReason::StaleReply)
            }
            ZeroMessage::Request(_) | ZeroMessage::Close(_) => Err(ZeroDropReason::Unexpected),
        }
    }

    fn accepted(
        &mut self,
        body: AcceptedBody,
        resend: Duration,
    ) -> Result<HandshakeOutcome, ZeroDropReason> {
        match (body, self.secure.as_mut(), &self.request.mode) {
            (AcceptedBody::Insecure { seq, port }, None, RequestMode::Insecure { seq: ours }) => {
                let link = LinkSetup::Insecure { local_seq: *ours, remote_seq: seq };
                Ok(HandshakeOutcome::Accepted { port, link, listener_key: None, resend })
            }
            (AcceptedBody::Secure { noise }, Some(attempt), _) => {
                let (payload, start) = attempt.read_answer(&noise)?;
                let accept = AcceptPayload::decode(&payload).ok_or(ZeroDropReason::WrongFields)?;
                let (send, recv) = start.state.dangerously_get_raw_split();
                let keys = SealKeys { send, recv };
                let link = LinkSetup::Sealed { cid: accept.cid, keys, reset: Some(accept.reset) };
                let listener_key = Some(start.key);
                Ok(HandshakeOutcome::Accepted { port: accept.port, link, listener_key, resend })
            }
            _ => Err(ZeroDropReason::Unexpected),
        }
    }

    fn rejected(&mut self, body: RejectedBody) -> Result<HandshakeOutcome, ZeroDropReason> {
        match body {
            // A secure attempt believes a refusal in the clear only for what a listener cannot
            // seal: another transport or version, or an insecure listener. Any other (a secure
            // listener seals them) could come from anyone who saw the request.
            RejectedBody::Plain { code, .. }
                if self.secure.is_some() && !PLAIN_REFUSALS.contains(&code) =>
            {
                Err(ZeroDropReason::Unauthenticated)
            }
            RejectedBody::Plain { code, data } => Ok(HandshakeOutcome::Rejected { code, data }),
            RejectedBody::Sealed { noise } => {
                let attempt = self.secure.as_mut().ok_or(ZeroDropReason::Unexpected)?;
                let (payload, _) = attempt.read_answer(&noise)?;
                let reject = RejectPayload::decode(&payload).ok_or(ZeroDropReason::WrongFields)?;
                Ok(HandshakeOutcome::Rejected { code: reject.code, data: reject.data })
            }
        }
    }

    /// Takes a `retry`: its cookie, and its key when none is pinned. A new cookie or key is
    /// progress, as an answer is: the request goes again at once, and its resends start over,
    /// from twice the round trip the retry just measured (see `answered_rto`), not from the backoff
    /// the first request had reached. The same ones leave it on its backoff schedule (so a
    /// listener that keeps answering with retries is not answered faster than the schedule).
    fn retry(&mut self, now: Instant, retry: Retry) -> Result<HandshakeOutcome, ZeroDropReason> {
        let attempt = self.secure.as_ref().ok_or(ZeroDropReason::Unexpected)?;
        let presented = PublicKey(retry.key);
        if let Some(pinned) = attempt.pinned
            && pinned != presented
        {
            return Ok(HandshakeOutcome::KeyMismatch { pinned, presented });
        }
        let new_key = attempt.current_key() != Some(presented);
        let RequestMode::Secure { cookie, .. } = &mut self.request.mode else {
            return Err(ZeroDropReason::Unexpected);
        };
        let new_cookie = cookie.as_deref() != Some(&retry.cookie[..]);
        *cookie = Some(retry.cookie);
        if new_key {
            self.start_noise(presented);
        }
        self.encode();
        if new_key || new_cookie {
            self.next_send = now;
            self.rto = self.answered_rto(now);
            // The path is known to answer, in about this long: no need to back off as far as
            // for a path never heard from.
            self.max_rto = (self.rto * 2).clamp(self.config.initial_rto, self.config.max_rto);
        }
        Ok(HandshakeOutcome::Retried)
    }

    /// The first resend timeout after an answer (a retry, or the accept after which the client
    /// must make itself heard): the answer measured the round trip (at most the time since the
    /// latest copy went out), so wait twice that, between [`MIN_RETRY_RTO`] and the initial
    /// timeout, rather than the initial timeout a path never heard from needs.
    fn answered_rto(&self, now: Instant) -> Duration {
        let round_trip = self.last_sent.map_or(self.config.initial_rto, |sent| now - sent);
        (round_trip * 2).clamp(MIN_RETRY_RTO.min(self.config.initial_rto), self.config.initial_rto)
    }

    /// Puts in the request the first Noise message for the listener whose key is `listener`
    /// (see [`SecureAttempt::message_for`]).
    fn start_noise(&mut self, listener: PublicKey) {
        let Some(attempt) = self.secure.as_mut() else { return };
        let r = &self.request;
        let prologue = prologue(r.transport_id, r.transport_version, r.protocol_hash, r.id);
        let message = attempt.message_for(listener, &prologue);
        if let RequestMode::Secure { noise, .. } = &mut self.request.mode {
            *noise = message;
        }
    }

    fn encode(&mut self) {
        ZeroMessage::Request(self.request.clone()).encode(&mut self.encoded);
    }
}

#[cfg(test)]
mod tests;
