//! When the network's "port unreachable" answers to the request mean that nobody listens.
//!
//! A host with no socket on the destination port answers each datagram with an ICMP "port
//! unreachable", which the driver reports with
//! [`Connection::handle_refused`](crate::Connection::handle_refused). ICMP is not
//! authenticated: anyone who can send a datagram to the client can forge one. So a refusal
//! counts only while the attempt has had no reply at all, and the attempt gives up only when
//! **every** copy of the request sent so far was refused, and at least as many as configured.
//! A forged refusal then cannot end an attempt the listener answers (its first answer, one
//! round trip after the first copy, turns refusals off for good), and at worst ends one whose
//! listener did not answer its first copies anyway, which the handshake timeout would end
//! later.

/// The refusal count of one attempt.
///
/// Invariant: `refused <= copies`; once `answered`, nothing changes the verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Refusals {
    /// Give up after this many refused copies; `None`: never.
    limit: Option<u32>,
    /// Copies of the request sent.
    copies: u32,
    /// Of those, how many the network reported refused.
    refused: u32,
    /// Whether a reply naming the attempt arrived (the listener, or someone who saw the
    /// request, answers): refusals no longer count.
    answered: bool,
}

impl Refusals {
    /// No copy sent yet; gives up after `limit` refused copies (`None`: never).
    pub(super) fn new(limit: Option<u32>) -> Self {
        Self { limit, copies: 0, refused: 0, answered: false }
    }

    /// A copy of the request went out.
    pub(super) fn sent(&mut self) {
        self.copies = self.copies.saturating_add(1);
    }

    /// A reply naming the attempt arrived: refusals are ignored from now on.
    pub(super) fn answered(&mut self) {
        self.answered = true;
    }

    /// The network reported a copy refused. Returns whether the attempt should now end with
    /// nobody listening: no reply came, every copy sent so far was refused, and at least
    /// `limit` of them. A report beyond the copies sent (a late report of an earlier attempt,
    /// a duplicate, a forgery) counts for nothing.
    pub(super) fn refused(&mut self) -> bool {
        let Some(limit) = self.limit.filter(|_| !self.answered) else { return false };
        self.refused = (self.refused + 1).min(self.copies);
        self.refused >= limit.max(1) && self.refused == self.copies
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gives_up_once_every_copy_was_refused_and_enough_of_them() {
        let mut refusals = Refusals::new(Some(3));
        for _ in 0..2 {
            refusals.sent();
            assert!(!refusals.refused(), "fewer refusals than the limit");
        }
        refusals.sent();
        assert!(refusals.refused());
    }

    #[test]
    fn a_copy_not_refused_yet_holds_the_verdict() {
        let mut refusals = Refusals::new(Some(2));
        refusals.sent();
        refusals.sent();
        refusals.sent();
        assert!(!refusals.refused());
        assert!(!refusals.refused(), "two of three copies refused: the third may be answered");
        assert!(refusals.refused());
    }

    #[test]
    fn reports_beyond_the_copies_sent_count_for_nothing() {
        let mut refusals = Refusals::new(Some(2));
        assert!(!refusals.refused(), "no copy sent: a stale report");
        refusals.sent();
        for _ in 0..5 {
            assert!(!refusals.refused(), "duplicates of one copy's refusal");
        }
        refusals.sent();
        assert!(refusals.refused());
    }

    #[test]
    fn an_answer_or_no_limit_turns_refusals_off() {
        let mut answered = Refusals::new(Some(1));
        answered.sent();
        answered.answered();
        assert!(!answered.refused());
        let mut off = Refusals::new(None);
        off.sent();
        assert!(!off.refused());
    }
}
