//! Busy polling: reading the ports again and again until a datagram lands, within a budget.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Calls `read` (which reads one task's sockets, handing their datagrams to the engines as
/// arrived at the time it is given, and returns how many it got) until a read gets one,
/// `budget` has passed since `now`, or `arrived` (shared by a phase's tasks) says another
/// task's read got one. A zero `budget` reads once.
///
/// Returns the time of the last read and how long the reads before it took: they got
/// nothing, so that time is busy polling, not work.
pub(super) fn busy_read(
    now: Instant,
    budget: Duration,
    arrived: Option<&AtomicBool>,
    mut read: impl FnMut(Instant) -> usize,
) -> (Instant, Duration) {
    let mut at = now;
    loop {
        if read(at) > 0 {
            if let Some(arrived) = arrived {
                arrived.store(true, Ordering::Relaxed);
            }
            break;
        }
        if budget.is_zero() || arrived.is_some_and(|arrived| arrived.load(Ordering::Relaxed)) {
            break;
        }
        let later = Instant::now();
        if later.saturating_duration_since(now) >= budget {
            break;
        }
        at = later;
    }
    (at, at.saturating_duration_since(now))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn busy_read_reads_once_without_a_budget() {
        let mut reads = 0;
        let now = Instant::now();
        let (at, idle) = busy_read(now, Duration::ZERO, None, |_| {
            reads += 1;
            0
        });
        assert_eq!((reads, at, idle), (1, now, Duration::ZERO));
    }

    #[test]
    fn busy_read_stops_at_the_first_datagram_and_reports_the_polling_before_it() {
        let now = Instant::now();
        let mut times = Vec::new();
        let (at, idle) = busy_read(now, 1_000 * MS, None, |at| {
            times.push(at);
            usize::from(times.len() == 4)
        });
        assert_eq!(times.len(), 4);
        assert_eq!(times[0], now, "the first read is at the phase's time");
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "read times never go back");
        assert_eq!(at, times[3], "the engines go on from the last read");
        assert_eq!(idle, times[3] - now);
    }

    #[test]
    fn busy_read_stops_when_another_task_got_a_datagram() {
        let arrived = AtomicBool::new(false);
        let mut reads = 0;
        busy_read(Instant::now(), 1_000 * MS, Some(&arrived), |_| {
            reads += 1;
            if reads == 3 {
                arrived.store(true, Ordering::Relaxed);
            }
            0
        });
        assert_eq!(reads, 3);
    }

    #[test]
    fn busy_read_tells_the_other_tasks_when_it_got_a_datagram() {
        let arrived = AtomicBool::new(false);
        busy_read(Instant::now(), 1_000 * MS, Some(&arrived), |_| 2);
        assert!(arrived.load(Ordering::Relaxed));
    }

    #[test]
    fn busy_read_gives_up_after_the_budget() {
        let now = Instant::now();
        let (at, idle) = busy_read(now, 2 * MS, None, |_| 0);
        assert!(now.elapsed() >= 2 * MS);
        assert_eq!(idle, at - now);
    }
}
