//! Ending a connection: the graceful close (drain, then a few copies of the close), and the
//! immediate goodbye of a driver that is going away.

use std::time::Instant;

use serde_json::Value;

use super::link::Link;
use super::{CloseReason, Connection, Phase};
use crate::wire::ReasonCode;
use crate::wire::sealed::{SEAL_OVERHEAD, write_close};
use crate::wire::zero::{Close, ZeroMessage};

/// Bytes of a close packet's plaintext before its data: kind, number, code.
const CLOSE_HEAD: usize = 5;

impl Connection {
    /// Closes gracefully: stops accepting messages, keeps resending the reliable ones already
    /// sent until they are acknowledged (at most [`ConnectionConfig::close_linger`]), then sends
    /// [`ConnectionConfig::close_copies`] copies of a close carrying `code` and `data` (`data`
    /// becomes `null` if it would not fit the MTU), then reports [`CloseReason::Local`]. While
    /// connecting, or before a listener's client proved itself, ends at once without sending
    /// anything. Does nothing if already closing or closed.
    ///
    /// [`ConnectionConfig::close_linger`]: super::ConnectionConfig::close_linger
    /// [`ConnectionConfig::close_copies`]: super::ConnectionConfig::close_copies
    pub fn close(&mut self, now: Instant, code: ReasonCode, data: Value) {
        match self.phase {
            Phase::Established if self.is_connected_now() => {
                let deadline = now + self.config.close_linger;
                self.phase = Phase::Draining { code, data, deadline };
                self.check_drained(now);
            }
            Phase::Connecting(_) | Phase::Established => {
                self.phase = Phase::Closed;
                self.finish(CloseReason::Local { code, data });
            }
            Phase::Draining { .. } | Phase::Closing { .. } | Phase::Closed => {}
        }
    }

    /// Ends the connection at once, for a driver that is going away: writes one close into
    /// `buf` (cleared first) when the connection may send one, and reports
    /// [`CloseReason::Local`]. Returns whether `buf` holds a datagram to send; the driver
    /// sends it [`ConnectionConfig::close_copies`] times back to back (the peer takes the
    /// first that arrives and ignores the rest). Does nothing once closed.
    ///
    /// [`ConnectionConfig::close_copies`]: super::ConnectionConfig::close_copies
    pub fn abort(&mut self, code: ReasonCode, buf: &mut Vec<u8>) -> bool {
        buf.clear();
        let may_send = match self.phase {
            Phase::Established | Phase::Draining { .. } | Phase::Closing { .. } => {
                self.is_connected_now()
            }
            Phase::Connecting(_) => false,
            Phase::Closed => return false,
        };
        self.phase = Phase::Closed;
        let written = may_send && self.write_close(code, &Value::Null, buf);
        self.finish(CloseReason::Local { code, data: Value::Null });
        written
    }

    /// Moves from draining to sending the close once everything reliable is acknowledged or the
    /// linger is over.
    pub(super) fn check_drained(&mut self, now: Instant) {
        let Phase::Draining { deadline, .. } = self.phase else { return };
        let flushed = self.session.as_ref().is_none_or(|s| s.is_flushed());
        if !flushed && now < deadline {
            return;
        }
        let Phase::Draining { code, data, .. } = std::mem::replace(&mut self.phase, Phase::Closed)
        else {
            return;
        };
        let copies_left = self.config.close_copies.max(1);
        self.phase = Phase::Closing { copies_left, next_copy: now, code, data };
    }

    /// The next copy of the close, when due; the last one ends the connection.
    pub(super) fn transmit_close(&mut self, now: Instant, buf: &mut Vec<u8>) -> bool {
        let Phase::Closing { copies_left, next_copy, code, data } = &mut self.phase else {
            return false;
        };
        if now < *next_copy || *copies_left == 0 {
            return false;
        }
        *copies_left -= 1;
        *next_copy = now + self.config.close_interval;
        let (code, data, last) = (*code, data.clone(), *copies_left == 0);
        let written = self.write_close(code, &data, buf);
        if last {
            self.phase = Phase::Closed;
            self.finish(CloseReason::Local { code, data });
        }
        written
    }

    /// One close datagram: a `close` zero message on an insecure link, a sealed close packet
    /// (with a packet number of its own) on a secure one. `data` becomes `null` when it would
    /// not fit the MTU.
    fn write_close(&mut self, code: ReasonCode, data: &Value, buf: &mut Vec<u8>) -> bool {
        let mtu = self.config.session.mtu.max(64);
        self.zero.sent += 1;
        match &mut self.link {
            Link::Plain => {
                let message = ZeroMessage::Close(Close { code, data: data.clone() });
                if !message.encode_within(mtu, buf) {
                    ZeroMessage::Close(Close { code, data: Value::Null }).encode(buf);
                }
                true
            }
            Link::Sealed(link) => {
                let Some(session) = self.session.as_mut() else { return false };
                let room = mtu.saturating_sub(SEAL_OVERHEAD + CLOSE_HEAD);
                let json = serde_json::to_vec(data).unwrap_or_default();
                let json: &[u8] = if json.len() <= room { &json } else { b"null" };
                let pn = session.take_packet_number();
                write_close(pn, code.0, json, buf);
                link.seal(buf)
            }
        }
    }
}
