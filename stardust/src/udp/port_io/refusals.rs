//! A client port's ICMP "port unreachable" reports, handed to the connections being set up:
//! how an attempt learns within a second that nothing listens at its address.
//!
//! The reports are on only while a connection of the port is being set up: they cost
//! receive-buffer memory until read, and each also fails the socket's next receive or send
//! once. What a report may do is the engine's rule
//! ([`Connection::handle_refused`](stardust_proto::Connection::handle_refused)): it can end
//! only an attempt that no reply answered and whose every copy was refused, never an
//! established connection, since anyone can forge an ICMP error.

use std::time::Instant;

use super::PortIo;

impl PortIo {
    /// Turns the socket's ICMP error reports on, for a connection being set up on this
    /// port: before its first request goes out, so that every copy's refusal is reported.
    pub(crate) fn watch_refusals(&mut self) {
        if self.socket.report_unreachable(true).is_err() {
            self.stats.io_errors += 1;
        }
    }

    /// Hands each reported refusal, as of `now`, to the connections that send to its
    /// destination and are being set up (the others ignore it), counting it; then turns the
    /// reports off when no connection of the port is being set up any more (the queue was
    /// just read, so no error is left pending). Does nothing, without a syscall, while the
    /// reports are off.
    pub(crate) fn take_refusals(&mut self, now: Instant) {
        if !self.socket.reports_unreachable() {
            return;
        }
        let Self { socket, peers, stats, .. } = self;
        let taken = socket.take_refused(|destination| {
            stats.refusals += 1;
            for slot in peers.iter_mut() {
                if slot.remote() == destination {
                    slot.conn_mut().handle_refused(now);
                }
            }
        });
        let setting_up = peers.iter().any(|slot| slot.conn().is_connecting());
        if taken.is_err() || (!setting_up && socket.report_unreachable(false).is_err()) {
            stats.io_errors += 1;
        }
    }
}
