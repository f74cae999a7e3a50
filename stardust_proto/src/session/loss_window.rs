//! The fates of sent data packets, bucketed by when they were sent: the loss over the last
//! [`LOSS_WINDOW`] and the totals since the session began, without an allocation per packet.

use std::time::{Duration, Instant};

use super::stats::{LOSS_WINDOW, PacketFates};

/// Width of one bucket of send time.
const BUCKET: Duration = Duration::from_millis(500);
/// Buckets the window sums: the one `now` falls in and the ones before it.
const WINDOW_BUCKETS: u64 = (LOSS_WINDOW.as_millis() / BUCKET.as_millis()) as u64;
/// Buckets kept. A packet's fate is known at most 3 × `max_rto` (the linger of a packet
/// presumed lost, 6 s at the largest default) after it was sent; 8 s of buckets still hold
/// its bucket then. A fate that arrives later still counts in the totals.
const RING: usize = 16;

const _: () = assert!(WINDOW_BUCKETS as usize <= RING && WINDOW_BUCKETS > 0);
const _: () = assert!(size_of::<Bucket>() == 16);

/// One bucket: the data packets sent during one [`BUCKET`] of session time and their fates.
/// 16 bytes, so the ring costs a connection 256 bytes (a listener keeps one per peer).
#[derive(Debug, Clone, Copy, Default)]
struct Bucket {
    /// Which span of session time: `elapsed / BUCKET`, wrapping after 68 years.
    epoch: u32,
    sent: u32,
    acked: u32,
    lost: u32,
}

/// A fixed ring of per-bucket counters plus totals since `origin`.
///
/// Invariant, per bucket and for the totals: `acked + lost <= sent` (a packet is counted
/// sent before any fate, and a fate moves only from lost to acked).
#[derive(Debug)]
pub(crate) struct LossWindow {
    origin: Instant,
    buckets: [Bucket; RING],
    total: PacketFates,
}

/// How a packet's recorded state changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fate {
    /// Sent; its fate not yet known.
    Sent,
    /// Acknowledged while in flight.
    Acked,
    /// Presumed lost: unacknowledged one resend timeout after it was sent.
    Lost,
    /// Acknowledged after it was presumed lost (while still remembered).
    LateAck,
}

impl LossWindow {
    /// An empty record whose buckets count session time from `origin`.
    pub(crate) fn new(origin: Instant) -> LossWindow {
        LossWindow { origin, buckets: [Bucket::default(); RING], total: PacketFates::default() }
    }

    fn epoch(&self, at: Instant) -> u32 {
        let elapsed = at.saturating_duration_since(self.origin);
        (elapsed.as_millis() / BUCKET.as_millis()) as u32
    }

    /// Records `fate` for a data packet sent at `sent_at`.
    pub(crate) fn record(&mut self, sent_at: Instant, fate: Fate) {
        match fate {
            Fate::Sent => self.total.sent += 1,
            Fate::Acked => self.total.acked += 1,
            Fate::Lost => self.total.lost += 1,
            Fate::LateAck => {
                self.total.lost = self.total.lost.saturating_sub(1);
                self.total.acked += 1;
            }
        }
        let epoch = self.epoch(sent_at);
        let bucket = &mut self.buckets[(epoch % RING as u32) as usize];
        if bucket.epoch != epoch {
            if bucket.epoch > epoch || fate != Fate::Sent {
                // The packet's bucket was reused for later packets: its fate counts in the
                // totals only (the window no longer reaches it).
                return;
            }
            *bucket = Bucket { epoch, ..Bucket::default() };
        }
        match fate {
            Fate::Sent => bucket.sent += 1,
            Fate::Acked => bucket.acked += 1,
            Fate::Lost => bucket.lost += 1,
            Fate::LateAck => {
                bucket.lost = bucket.lost.saturating_sub(1);
                bucket.acked += 1;
            }
        }
    }

    /// The data packets sent in the last [`LOSS_WINDOW`] before `now` (the bucket `now` falls
    /// in and the ones before it) and their fates.
    pub(crate) fn recent(&self, now: Instant) -> PacketFates {
        let newest = self.epoch(now);
        let oldest = (newest + 1).saturating_sub(WINDOW_BUCKETS as u32);
        let mut fates = PacketFates::default();
        for bucket in self.buckets.iter().filter(|b| (oldest..=newest).contains(&b.epoch)) {
            fates.sent += u64::from(bucket.sent);
            fates.acked += u64::from(bucket.acked);
            fates.lost += u64::from(bucket.lost);
        }
        fates
    }

    /// The data packets sent since `origin` and their fates.
    pub(crate) fn total(&self) -> PacketFates {
        self.total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(origin: Instant, ms: u64) -> Instant {
        origin + Duration::from_millis(ms)
    }

    #[test]
    fn the_window_holds_only_recent_sends_and_totals_hold_all() {
        let origin = Instant::now();
        let mut window = LossWindow::new(origin);
        // One packet every 100 ms for 20 s: every fourth lost, the rest acknowledged.
        for k in 0..200u64 {
            let sent = at(origin, k * 100);
            window.record(sent, Fate::Sent);
            window.record(sent, if k % 4 == 0 { Fate::Lost } else { Fate::Acked });
        }
        let total = window.total();
        assert_eq!((total.sent, total.acked, total.lost), (200, 150, 50));
        let recent = window.recent(at(origin, 19_950));
        // Buckets 30..=39: 15 s to 20 s, 50 packets.
        assert_eq!((recent.sent, recent.acked, recent.lost), (50, 38, 12));
        // Long after the last send, the window is empty and the totals unchanged.
        assert_eq!(window.recent(at(origin, 40_000)), PacketFates::default());
        assert_eq!(window.total(), total);
    }

    #[test]
    fn a_late_ack_moves_a_packet_from_lost_to_acked() {
        let origin = Instant::now();
        let mut window = LossWindow::new(origin);
        let sent = at(origin, 1200);
        window.record(sent, Fate::Sent);
        window.record(sent, Fate::Lost);
        assert_eq!(window.recent(at(origin, 1300)).lost, 1);
        window.record(sent, Fate::LateAck);
        let recent = window.recent(at(origin, 1300));
        assert_eq!((recent.sent, recent.acked, recent.lost), (1, 1, 0));
        assert_eq!(window.total(), recent);
    }

    #[test]
    fn a_fate_for_a_reused_bucket_counts_in_the_totals_only() {
        let origin = Instant::now();
        let mut window = LossWindow::new(origin);
        let old = at(origin, 100);
        window.record(old, Fate::Sent);
        // 8 s later the same bucket slot holds new packets.
        let new = at(origin, 100 + 8000);
        window.record(new, Fate::Sent);
        window.record(old, Fate::Lost);
        let recent = window.recent(new);
        assert_eq!((recent.sent, recent.acked, recent.lost), (1, 0, 0));
        let total = window.total();
        assert_eq!((total.sent, total.acked, total.lost), (2, 0, 1));
    }
}
