//! The connection ids that ended on a peer port lately: their late packets (the second and
//! third copies of a close, acks in flight) are dropped in silence rather than answered with
//! a stateless reset, which the other side, already gone, has no use for.

use std::collections::{HashSet, VecDeque};
use std::time::{Duration, Instant};

/// How long an ended connection's id stays retired.
pub(crate) const RETIRED_FOR: Duration = Duration::from_secs(5);
/// Most ids retired at once on one port; past it the oldest is forgotten first.
const MAX_RETIRED: usize = 65_536;

/// Ids retired until a deadline, oldest first.
///
/// Invariant: `ids` holds exactly the ids of `order`; at most [`MAX_RETIRED`] of them, so no
/// amount of churn grows it without bound.
#[derive(Debug, Default)]
pub(crate) struct Retired {
    order: VecDeque<(Instant, u64)>,
    ids: HashSet<u64>,
}

impl Retired {
    /// Retires `cid` from `now` for [`RETIRED_FOR`].
    pub(crate) fn retire(&mut self, cid: u64, now: Instant) {
        self.expire(now);
        if self.order.len() >= MAX_RETIRED
            && let Some((_, oldest)) = self.order.pop_front()
        {
            self.ids.remove(&oldest);
        }
        if self.ids.insert(cid) {
            self.order.push_back((now + RETIRED_FOR, cid));
        }
    }

    /// Whether `cid` ended here less than [`RETIRED_FOR`] before `now`.
    pub(crate) fn contains(&mut self, cid: u64, now: Instant) -> bool {
        self.expire(now);
        self.ids.contains(&cid)
    }

    fn expire(&mut self, now: Instant) {
        while let Some(&(until, cid)) = self.order.front() {
            if until > now {
                break;
            }
            self.order.pop_front();
            self.ids.remove(&cid);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_stays_retired_for_its_time_only_and_the_record_is_bounded() {
        let start = Instant::now();
        let mut retired = Retired::default();
        retired.retire(7, start);
        assert!(retired.contains(7, start + RETIRED_FOR - Duration::from_millis(1)));
        assert!(!retired.contains(7, start + RETIRED_FOR));
        for cid in 0..(MAX_RETIRED as u64 + 10) {
            retired.retire(cid, start);
        }
        assert_eq!(retired.order.len(), MAX_RETIRED);
        assert_eq!(retired.ids.len(), MAX_RETIRED);
        assert!(!retired.contains(0, start), "the oldest went first");
        assert!(retired.contains(MAX_RETIRED as u64 + 9, start));
    }
}
