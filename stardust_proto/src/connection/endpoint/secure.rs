//! Secure requests: the cookie that proves an address, then the Noise handshake.

use std::net::SocketAddr;
use std::time::Instant;

use serde_json::{Value, json};
use snow::HandshakeState;

use super::request::{
    AcceptedPeer, ConnectRequest, RecordKey, RecordKind, RequestKind, SecureRequest,
};
use super::{CookiePolicy, Endpoint, Handled};
use crate::connection::ZeroDropReason;
use crate::connection::handshake::LinkSetup;
use crate::crypto::noise::{prologue, responder};
use crate::crypto::{CookieJar, Entropy, PublicKey, ResetKey, SealKeys, StaticKeypair};
use crate::wire::ReasonCode;
use crate::wire::payload::{AcceptPayload, ClientHello, RejectPayload};
use crate::wire::zero::{
    Accepted, AcceptedBody, Rejected, RejectedBody, Request, RequestMode, Retry, ZeroMessage,
};

/// What a secure listener holds: its identity, what its reset tokens derive from, its
/// cookie secret.
pub(super) struct SecureListener {
    pub(super) identity: StaticKeypair,
    pub(super) reset: ResetKey,
    cookies: CookieJar,
}

impl SecureListener {
    pub(super) fn new(identity: StaticKeypair, entropy: &mut dyn Entropy, now: Instant) -> Self {
        let reset = ResetKey::from_identity(&identity);
        Self { identity, reset, cookies: CookieJar::new(entropy, now) }
    }
}

/// An accepted (or recently forgotten) secure peer, by its request's ephemeral key: the
/// reply re-sent for copies of that request.
#[derive(Debug, Clone)]
pub(super) struct SecureRecord {
    /// Empty once the peer proved itself (see [`Endpoint::proven`]).
    pub(super) reply: Vec<u8>,
    /// When a forgotten peer's record goes (`None` while the peer is there).
    pub(super) expires: Option<Instant>,
}

impl Endpoint {
    pub(super) fn handle_secure(
        &mut self,
        now: Instant,
        from: SocketAddr,
        request: Request,
        limit: usize,
        reply: &mut Vec<u8>,
    ) -> Handled {
        let RequestMode::Secure { noise, cookie } = &request.mode else {
            return self.dropped(ZeroDropReason::Unexpected);
        };
        let Some(listener) = self.secure.as_ref() else {
            return self.dropped(ZeroDropReason::Unexpected);
        };
        let busy = match self.config.cookies {
            CookiePolicy::Always => true,
            CookiePolicy::WhenBusy { unproven } => self.unproven >= unproven,
        };
        let proven = cookie.as_ref().is_some_and(|c| listener.cookies.check(from, c, now));
        let Some(noise) = noise.as_deref().filter(|_| proven || !busy) else {
            return self.retry(now, from, request.id, reply);
        };
        let Some(ephemeral) = noise.get(..32).and_then(|e| <[u8; 32]>::try_from(e).ok()) else {
            return self.refuse(&request, ReasonCode::MALFORMED, Value::Null, limit, reply);
        };
        // A copy of a request already answered, from whatever address proved itself (the
        // client's own, or one an attacker replayed it from first): the same reply, which only
        // the holder of the ephemeral key can read. The connection follows the client to the
        // address its first sealed packet comes from.
        if self.is_pending(&RecordKind::Ephemeral(ephemeral)) {
            // A copy of a request the driver has not answered yet: its answer will come.
            return self.dropped(ZeroDropReason::Duplicate);
        }
        if let Some(record) = self.secure_records.get(&ephemeral) {
            if record.reply.is_empty() {
                // The client proved itself: it has the accept; this copy is stale.
                return self.dropped(ZeroDropReason::Duplicate);
            }
            self.stats.duplicates += 1;
            self.stats.zero.sent += 1;
            reply.extend_from_slice(&record.reply);
            return Handled::Reply;
        }
        self.read_first_message(now, from, &request, noise, ephemeral, limit, reply)
    }

    /// The first Noise message of a request whose address is proven (or need not be).
    #[allow(clippy::too_many_arguments)]
    fn read_first_message(
        &mut self,
        now: Instant,
        from: SocketAddr,
        request: &Request,
        noise: &[u8],
        ephemeral: [u8; 32],
        limit: usize,
        reply: &mut Vec<u8>,
    ) -> Handled {
        let Some(listener) = self.secure.as_ref() else {
            return self.dropped(ZeroDropReason::Unexpected);
        };
        let prologue = prologue(
            request.transport_id,
            request.transport_version,
            request.protocol_hash,
            request.id,
        );
        let seed = self.entropy.bytes32();
        let mut payload = vec![0; noise.len()];
        let read = responder(&listener.identity, &prologue, seed)
            .and_then(|mut state| Ok((state.read_message(noise, &mut payload)?, state)));
        self.stats.handshakes += 1;
        let Ok((len, mut state)) = read else {
            // Sealed to another key (the listener's key changed since the client learnt it)
            // or corrupted: a retry tells the client the key in force.
            self.stats.zero.drop(ZeroDropReason::Unauthenticated);
            return self.retry(now, from, request.id, reply);
        };
        payload.truncate(len);
        let Some(hello) = ClientHello::decode(&payload) else {
            self.sealed_reject(
                &mut state,
                request.id,
                ReasonCode::MALFORMED,
                Value::Null,
                limit,
                reply,
            );
            return Handled::Reply;
        };
        if let Some((code, data)) = self.sealed_refusal(request) {
            self.sealed_reject(&mut state, request.id, code, data, limit, reply);
            return Handled::Reply;
        }
        let client_key = match (hello.anonymous, state.get_remote_static()) {
            (false, Some(key)) => <[u8; 32]>::try_from(key).ok().map(PublicKey),
            _ => None,
        };
        let secure = SecureRequest { noise: state, client_key, app: hello.app, ephemeral };
        let kind = RequestKind::Secure(Box::new(secure));
        self.offer(ConnectRequest { from, id: request.id, size: limit, kind })
    }

    /// Why a request whose message read must be refused, if it must: the refusals after the
    /// read are sealed, so the client knows they come from the listener and no one who merely
    /// saw the request can end its attempt with one.
    fn sealed_refusal(&self, request: &Request) -> Option<(ReasonCode, Value)> {
        if request.protocol_hash != self.config.protocol_hash {
            let data = json!({ "hash": self.config.protocol_hash });
            Some((ReasonCode::PROTOCOL_HASH_MISMATCH, data))
        } else if !self.config.accepting {
            Some((ReasonCode::NOT_ACCEPTING, Value::Null))
        } else if self.is_full() {
            Some((ReasonCode::FULL, self.full_detail()))
        } else {
            None
        }
    }

    /// A `retry`: a cookie for `from`, and the listener's key.
    fn retry(&mut self, now: Instant, from: SocketAddr, id: u64, reply: &mut Vec<u8>) -> Handled {
        let Some(listener) = self.secure.as_ref() else {
            return self.dropped(ZeroDropReason::Unexpected);
        };
        let cookie = listener.cookies.make(from, now).to_vec();
        let key = listener.identity.public().0;
        ZeroMessage::Retry(Retry { id, cookie, key }).encode(reply);
        self.stats.retries += 1;
        self.stats.zero.sent += 1;
        Handled::Reply
    }

    pub(super) fn accept_secure(
        &mut self,
        from: SocketAddr,
        id: u64,
        request: SecureRequest,
        port: u16,
        reply: &mut Vec<u8>,
    ) -> AcceptedPeer {
        let SecureRequest { mut noise, client_key, ephemeral, .. } = request;
        let cid = self.entropy.u64();
        let reset = self.secure.as_ref().map_or([0; 16], |listener| listener.reset.token(cid));
        let payload = AcceptPayload { port, cid, reset }.encode();
        let mut message = vec![0; 256 + payload.len()];
        match noise.write_message(&payload, &mut message) {
            Ok(len) => message.truncate(len),
            // Unreachable: the payload is a few dozen bytes. The client gets nothing it can
            // read, times out, and the peer, never proven, expires.
            Err(_) => message.clear(),
        }
        let (initiator_key, responder_key) = noise.dangerously_get_raw_split();
        let keys = SealKeys { send: responder_key, recv: initiator_key };
        ZeroMessage::Accepted(Accepted { id, body: AcceptedBody::Secure { noise: message } })
            .encode(reply);
        let record = SecureRecord { reply: reply.clone(), expires: None };
        self.secure_records.insert(ephemeral, record);
        AcceptedPeer {
            addr: from,
            port,
            client_key,
            record: RecordKey(RecordKind::Ephemeral(ephemeral)),
            link: LinkSetup::Sealed { cid, keys, reset: None },
        }
    }

    /// A refusal sealed in the second Noise message, so the client knows it comes from the
    /// listener it meant; `data` becomes `null` if the reply would be larger than `limit`.
    pub(super) fn sealed_reject(
        &mut self,
        noise: &mut HandshakeState,
        id: u64,
        code: ReasonCode,
        data: Value,
        limit: usize,
        reply: &mut Vec<u8>,
    ) {
        let mut payload = RejectPayload { code, data }.encode();
        // Base64 and the JSON around the message: keep well within the request's size.
        if payload.len() * 4 / 3 + 200 > limit {
            payload = RejectPayload { code, data: Value::Null }.encode();
        }
        let mut message = vec![0; 256 + payload.len()];
        match noise.write_message(&payload, &mut message) {
            Ok(len) => message.truncate(len),
            Err(_) => message.clear(),
        }
        let rejected =
            Rejected { id: Some(id), ack: None, body: RejectedBody::Sealed { noise: message } };
        self.send_reject(rejected, limit, reply);
    }
}
