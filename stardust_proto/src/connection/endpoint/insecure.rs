//! Insecure requests, for a listener that opted out of security: no cookie, no encryption;
//! one record per address, as protocol version 1 kept.

use std::net::SocketAddr;

use super::request::{AcceptedPeer, ConnectRequest, RecordKey, RecordKind, RequestKind};
use super::{Endpoint, Handled};
use crate::connection::handshake::LinkSetup;
use crate::wire::ReasonCode;
use crate::wire::zero::{Accepted, AcceptedBody, Request, RequestMode, ZeroMessage};

/// An accepted insecure peer: the request it answered and the accept, re-sent for copies.
#[derive(Debug, Clone)]
pub(super) struct InsecureRecord {
    id: u64,
    reply: Vec<u8>,
}

impl Endpoint {
    pub(super) fn handle_insecure(
        &mut self,
        from: SocketAddr,
        request: Request,
        limit: usize,
        reply: &mut Vec<u8>,
    ) -> Handled {
        let RequestMode::Insecure { seq } = request.mode else {
            return self.dropped(crate::connection::ZeroDropReason::Unexpected);
        };
        if self.is_pending(&RecordKind::Address(from)) {
            // A copy of a request the driver has not answered yet: its answer will come.
            return self.dropped(crate::connection::ZeroDropReason::Duplicate);
        }
        let existing = self.insecure_records.get(&from);
        if let Some(record) = existing.filter(|record| record.id == request.id) {
            self.stats.duplicates += 1;
            self.stats.zero.sent += 1;
            reply.extend_from_slice(&record.reply);
            return Handled::Reply;
        }
        let replaces_existing = existing.is_some();
        if request.protocol_hash != self.config.protocol_hash {
            let data = serde_json::json!({ "hash": self.config.protocol_hash });
            return self.refuse(&request, ReasonCode::PROTOCOL_HASH_MISMATCH, data, limit, reply);
        }
        if !self.config.accepting {
            let data = serde_json::Value::Null;
            return self.refuse(&request, ReasonCode::NOT_ACCEPTING, data, limit, reply);
        }
        if !replaces_existing && self.is_full() {
            let data = self.full_detail();
            return self.refuse(&request, ReasonCode::FULL, data, limit, reply);
        }
        let kind = RequestKind::Insecure { seq, replaces_existing };
        self.offer(ConnectRequest { from, id: request.id, size: limit, kind })
    }

    pub(super) fn accept_insecure(
        &mut self,
        from: SocketAddr,
        id: u64,
        remote_seq: u16,
        port: u16,
        reply: &mut Vec<u8>,
    ) -> AcceptedPeer {
        let local_seq = (self.entropy.u64() & 0xFFFF) as u16;
        let accepted = Accepted { id, body: AcceptedBody::Insecure { seq: local_seq, port } };
        ZeroMessage::Accepted(accepted).encode(reply);
        if let Some(old) =
            self.insecure_records.insert(from, InsecureRecord { id, reply: reply.clone() })
        {
            // The caller was told the request replaces a peer; it should have forgotten it.
            let _ = old;
            self.peers -= 1;
        }
        AcceptedPeer {
            addr: from,
            port,
            client_key: None,
            record: RecordKey(RecordKind::Address(from)),
            link: LinkSetup::Insecure { local_seq, remote_seq },
        }
    }
}
