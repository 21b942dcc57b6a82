//! Anomaly detection: z-score against a series' own window, and deviation from the pooled
//! readings of its group (same zone and measurement).

use chrono::{DateTime, Utc};

use super::series::Window;

/// Readings a series needs before its z-score is trusted.
pub const WARMUP: usize = 10;
/// Sensors a group needs before cross-sensor deviation is judged.
pub const GROUP_MIN_SENSORS: usize = 3;

/// Why a reading was flagged.
#[derive(Debug, Clone, PartialEq)]
pub enum AnomalyKind {
    /// |value − mean| / σ of the window before the reading exceeded the threshold.
    /// `z` is infinite when the window was constant and the reading differs.
    ZScore { z: f64, mean: f64, stddev: f64 },
    /// The reading lay beyond mean ± k·σ of all readings in its group's windows.
    Group {
        mean: f64,
        stddev: f64,
        k: f64,
        sensors: usize,
        readings: usize,
    },
}

/// A flagged reading and every check that flagged it.
#[derive(Debug, Clone, PartialEq)]
pub struct Anomaly {
    pub at: DateTime<Utc>,
    pub value: f64,
    /// Never empty.
    pub kinds: Vec<AnomalyKind>,
}

impl Anomaly {
    /// One line saying why, e.g. `z = +4.2 (window mean 22.010, σ 0.310)`.
    pub fn reason(&self) -> String {
        self.kinds
            .iter()
            .map(AnomalyKind::reason)
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Whether the series' own z-score flagged it (as opposed to its group alone).
    pub fn by_zscore(&self) -> bool {
        self.kinds
            .iter()
            .any(|k| matches!(k, AnomalyKind::ZScore { .. }))
    }
}

impl AnomalyKind {
    pub fn reason(&self) -> String {
        match self {
            AnomalyKind::ZScore { z, mean, stddev } => {
                if z.is_finite() {
                    format!("z = {z:+.1} (window mean {mean:.3}, σ {stddev:.3})")
                } else {
                    format!("window was constant at {mean:.3}")
                }
            }
            AnomalyKind::Group {
                mean,
                stddev,
                k,
                sensors,
                readings,
            } => format!(
                "outside group mean {mean:.3} ± {k}σ (σ {stddev:.3}, {sensors} sensors, {readings} readings)"
            ),
        }
    }
}

/// Judges `x` against the window *before* it is added.
pub fn zscore(window: &Window, x: f64, threshold: f64) -> Option<AnomalyKind> {
    if window.len() < WARMUP {
        return None;
    }
    let mean = window.mean()?;
    let stddev = window.stddev()?;
    let dev = x - mean;
    // A constant window: any different reading is infinitely surprising; tiny float noise is not.
    let tiny = 1e-12 * mean.abs().max(1.0);
    let z = if stddev > tiny {
        dev / stddev
    } else if dev.abs() > tiny {
        dev.signum() * f64::INFINITY
    } else {
        0.0
    };
    (z.abs() > threshold).then_some(AnomalyKind::ZScore { z, mean, stddev })
}

/// Pooled statistics of every reading in a group's windows, kept up to date incrementally.
///
/// Sums are taken about a reference value (the group's first reading) so that the classic
/// sum-of-squares formula keeps its precision, and the twin recomputes them exactly from the
/// members' windows once the updates since the last pass reach the larger of
/// [`GroupStats::EXACT_EVERY`] and the pooled reading count, so the exact pass costs at most one
/// reading per update however large the group (10,000 sensors × 120 readings is one pass per
/// 1.2 M updates, not one per 4,096).
#[derive(Debug, Clone, Default)]
pub struct GroupStats {
    /// Series indices in the twin.
    pub members: Vec<usize>,
    reference: Option<f64>,
    n: usize,
    s1: f64,
    s2: f64,
    updates: usize,
}

impl GroupStats {
    pub const EXACT_EVERY: usize = 4096;

    pub fn add(&mut self, x: f64) {
        let r = *self.reference.get_or_insert(x);
        self.n += 1;
        self.s1 += x - r;
        self.s2 += (x - r) * (x - r);
        self.updates += 1;
    }

    pub fn remove(&mut self, x: f64) {
        let Some(r) = self.reference else { return };
        self.n = self.n.saturating_sub(1);
        self.s1 -= x - r;
        self.s2 -= (x - r) * (x - r);
    }

    pub fn needs_exact(&self) -> bool {
        self.updates >= Self::EXACT_EVERY.max(self.n)
    }

    /// Replaces the running sums by an exact pass over `values`.
    pub fn reset_exact(&mut self, values: impl Iterator<Item = f64>) {
        self.n = 0;
        self.s1 = 0.0;
        self.s2 = 0.0;
        self.updates = 0;
        self.reference = None;
        for x in values {
            let r = *self.reference.get_or_insert(x);
            self.n += 1;
            self.s1 += x - r;
            self.s2 += (x - r) * (x - r);
        }
    }

    pub fn readings(&self) -> usize {
        self.n
    }

    /// (mean, sample σ) of the pooled readings.
    pub fn stats(&self) -> Option<(f64, f64)> {
        if self.n < 2 {
            return None;
        }
        let n = self.n as f64;
        let r = self.reference?;
        let mean = r + self.s1 / n;
        let var = ((self.s2 - self.s1 * self.s1 / n) / (n - 1.0)).max(0.0);
        Some((mean, var.sqrt()))
    }

    /// Judges `x` against the pool before it is added.
    /// The pool must hold, on average, a warmed-up window per sensor before it judges.
    pub fn check(&self, x: f64, k: f64, sensors_with_data: usize) -> Option<AnomalyKind> {
        if sensors_with_data < GROUP_MIN_SENSORS || self.n < WARMUP * sensors_with_data {
            return None;
        }
        let (mean, stddev) = self.stats()?;
        if stddev <= 0.0 || (x - mean).abs() <= k * stddev {
            return None;
        }
        Some(AnomalyKind::Group {
            mean,
            stddev,
            k,
            sensors: sensors_with_data,
            readings: self.n,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(values: &[f64]) -> Window {
        let mut w = Window::new(120);
        for (i, &x) in values.iter().enumerate() {
            w.push(i as i64, x);
        }
        w
    }

    #[test]
    fn zscore_needs_warmup() {
        let w = window(&[1.0, 2.0, 1.0, 2.0, 1.0, 2.0, 1.0, 2.0, 1.0]);
        assert_eq!(zscore(&w, 100.0, 3.0), None);
    }

    #[test]
    fn zscore_flags_outlier_against_window_before_it() {
        let base = [22.0, 22.2, 21.8, 22.1, 21.9, 22.0, 22.2, 21.8, 22.1, 21.9];
        let w = window(&base);
        assert_eq!(zscore(&w, 22.3, 3.0), None);
        match zscore(&w, 30.0, 3.0) {
            Some(AnomalyKind::ZScore { z, mean, stddev }) => {
                assert!((mean - 22.0).abs() < 1e-9);
                assert!((z - (30.0 - mean) / stddev).abs() < 1e-9);
                assert!(z > 50.0);
            }
            other => panic!("{other:?}"),
        }
        match zscore(&w, 14.0, 3.0) {
            Some(AnomalyKind::ZScore { z, .. }) => assert!(z < -50.0),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn constant_window_flags_any_change() {
        let w = window(&[5.0; 12]);
        assert_eq!(zscore(&w, 5.0, 3.0), None);
        let a = zscore(&w, 5.5, 3.0).unwrap();
        let AnomalyKind::ZScore { z, .. } = a else {
            panic!()
        };
        assert!(z.is_infinite() && z > 0.0);
        let text = Anomaly {
            at: DateTime::UNIX_EPOCH,
            value: 5.5,
            kinds: vec![a],
        }
        .reason();
        assert!(text.contains("constant"), "{text}");
    }

    #[test]
    fn group_pool_matches_direct_computation() {
        let values = [
            20.0, 21.0, 22.0, 20.5, 21.5, 20.2, 21.8, 20.9, 21.1, 21.0, 20.4, 21.6, 20.8, 21.2,
            20.6, 21.4, 20.7, 21.3, 20.9, 21.1, 21.0, 20.5, 21.5, 20.6, 21.4, 20.8, 21.2, 20.9,
            21.1, 21.0,
        ];
        let mut g = GroupStats::default();
        for x in values {
            g.add(x);
        }
        g.add(99.0);
        g.remove(99.0);
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let sd = (values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        let (m, s) = g.stats().unwrap();
        assert!((m - mean).abs() < 1e-9 && (s - sd).abs() < 1e-9);
        assert_eq!(g.check(21.5, 2.0, 4), None);
        assert!(matches!(
            g.check(30.0, 2.0, 3),
            Some(AnomalyKind::Group {
                sensors: 3,
                readings: 30,
                ..
            })
        ));
        // Too few sensors, or too few readings for four: no verdict.
        assert_eq!(g.check(30.0, 2.0, 2), None);
        assert_eq!(g.check(30.0, 2.0, 4), None);
        let mut exact = GroupStats::default();
        exact.reset_exact(values.into_iter());
        assert_eq!(exact.readings(), 30);
        let (m2, s2) = exact.stats().unwrap();
        assert!((m2 - m).abs() < 1e-9 && (s2 - s).abs() < 1e-9);
    }
}
