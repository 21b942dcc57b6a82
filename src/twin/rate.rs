//! Message rate over the last few seconds, in constant memory.

/// Seconds of history kept; the rate is averaged over the last [`RATE_SPAN`] complete seconds.
const BUCKETS: usize = 16;
pub const RATE_SPAN: i64 = 10;

/// Counts per second in a small ring indexed by epoch second.
#[derive(Debug, Clone, Default)]
pub struct RateMeter {
    counts: [u32; BUCKETS],
    /// The epoch second of the newest bucket; `None` before the first event.
    head: Option<i64>,
}

impl RateMeter {
    /// Counts one event at epoch second `sec`. Events older than the ring are ignored.
    pub fn add(&mut self, sec: i64) {
        let head = match self.head {
            None => {
                self.head = Some(sec);
                sec
            }
            Some(h) if sec > h => {
                // Clear the buckets we skip over; at most the whole ring.
                let gap = (sec - h).min(BUCKETS as i64);
                for i in 1..=gap {
                    self.counts[((h + i).rem_euclid(BUCKETS as i64)) as usize] = 0;
                }
                self.head = Some(sec);
                sec
            }
            Some(h) => h,
        };
        if head - sec < BUCKETS as i64 {
            let slot = &mut self.counts[sec.rem_euclid(BUCKETS as i64) as usize];
            *slot = slot.saturating_add(1);
        }
    }

    /// Events per second over the [`RATE_SPAN`] complete seconds before `now_sec`.
    pub fn per_second(&self, now_sec: i64) -> f64 {
        let Some(head) = self.head else { return 0.0 };
        let mut total = 0u64;
        for s in (now_sec - RATE_SPAN)..now_sec {
            if s <= head && head - s < BUCKETS as i64 {
                total += u64::from(self.counts[s.rem_euclid(BUCKETS as i64) as usize]);
            }
        }
        total as f64 / RATE_SPAN as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steady_rate() {
        let mut r = RateMeter::default();
        for sec in 100..120 {
            for _ in 0..5 {
                r.add(sec);
            }
        }
        assert_eq!(r.per_second(120), 5.0);
        // The current (incomplete) second is not counted.
        r.add(120);
        assert_eq!(r.per_second(120), 5.0);
    }

    #[test]
    fn silence_decays_to_zero() {
        let mut r = RateMeter::default();
        for _ in 0..50 {
            r.add(10);
        }
        assert_eq!(r.per_second(11), 5.0);
        assert_eq!(r.per_second(25), 0.0);
        // A long gap clears the ring rather than reusing stale buckets.
        r.add(10 + 16 * 3);
        assert_eq!(r.per_second(10 + 16 * 3 + 1), 0.1);
    }

    #[test]
    fn old_events_are_ignored() {
        let mut r = RateMeter::default();
        r.add(1000);
        r.add(10);
        assert_eq!(r.per_second(1001), 0.1);
        assert_eq!(RateMeter::default().per_second(5), 0.0);
    }
}
