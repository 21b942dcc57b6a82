//! Simulated sensors (docs/conventions.md §5): pure models, stepped by the world's tasks.

use std::f64::consts::TAU;

use fastrand::Rng;

/// A normally distributed sample (Box–Muller).
pub fn gaussian(rng: &mut Rng, sigma: f64) -> f64 {
    let u1 = rng.f64().max(f64::MIN_POSITIVE);
    let u2 = rng.f64();
    sigma * (-2.0 * u1.ln()).sqrt() * (TAU * u2).cos()
}

/// The lab-6 temperature sensor: base 22 °C, Gaussian noise σ 0.3, a random drift of at most
/// ±0.1 °C/s, everything bounded to base ± 3.
#[derive(Debug, Clone)]
pub struct LabSensor {
    pub base: f64,
    pub noise: f64,
    pub max_drift_per_s: f64,
    pub bound: f64,
    offset: f64,
    /// Seconds since start or since the last reset.
    pub elapsed: f64,
}

impl Default for LabSensor {
    fn default() -> Self {
        LabSensor {
            base: 22.0,
            noise: 0.3,
            max_drift_per_s: 0.1,
            bound: 3.0,
            offset: 0.0,
            elapsed: 0.0,
        }
    }
}

impl LabSensor {
    pub fn step(&mut self, dt: f64, rng: &mut Rng) -> f64 {
        self.elapsed += dt;
        let drift = (rng.f64() * 2.0 - 1.0) * self.max_drift_per_s * dt;
        self.offset = (self.offset + drift).clamp(-self.bound, self.bound);
        let x = self.base + self.offset + gaussian(rng, self.noise);
        x.clamp(self.base - self.bound, self.base + self.bound)
    }

    /// Back to base, internal clock restarted.
    pub fn reset(&mut self) {
        self.offset = 0.0;
        self.elapsed = 0.0;
    }
}

/// A zone sensor from the MQTT lab: a slow sinusoid plus a little noise, with an optional
/// occasional spike so anomalies show up in the demo.
#[derive(Debug, Clone)]
pub struct ZoneSensor {
    pub base: f64,
    pub amplitude: f64,
    pub period_s: f64,
    pub phase: f64,
    pub noise: f64,
    pub elapsed: f64,
    pub spikes: Option<Spikes>,
}

/// Spikes of `magnitude` at random intervals between `min_gap_s` and `max_gap_s`.
#[derive(Debug, Clone)]
pub struct Spikes {
    pub magnitude: f64,
    pub min_gap_s: f64,
    pub max_gap_s: f64,
    pub next_at: f64,
}

impl ZoneSensor {
    pub fn new(phase: f64) -> Self {
        ZoneSensor {
            base: 21.0,
            amplitude: 1.5,
            period_s: 120.0,
            phase,
            noise: 0.1,
            elapsed: 0.0,
            spikes: None,
        }
    }

    /// Spikes of +6 °C, the first after `first_at` seconds, then every 20–40 s.
    pub fn with_spikes(mut self, first_at: f64) -> Self {
        self.spikes = Some(Spikes {
            magnitude: 6.0,
            min_gap_s: 20.0,
            max_gap_s: 40.0,
            next_at: first_at,
        });
        self
    }

    pub fn step(&mut self, dt: f64, rng: &mut Rng) -> f64 {
        self.elapsed += dt;
        let mut x = self.base
            + self.amplitude * (TAU * self.elapsed / self.period_s + self.phase).sin()
            + gaussian(rng, self.noise);
        if let Some(s) = &mut self.spikes {
            if self.elapsed >= s.next_at {
                x += s.magnitude;
                s.next_at = self.elapsed + s.min_gap_s + rng.f64() * (s.max_gap_s - s.min_gap_s);
            }
        }
        x
    }

    /// Restarts the internal time.
    pub fn reset(&mut self) {
        self.elapsed = 0.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaussian_has_the_right_spread() {
        let mut rng = Rng::with_seed(7);
        let xs: Vec<f64> = (0..20_000).map(|_| gaussian(&mut rng, 0.3)).collect();
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let sd = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / xs.len() as f64).sqrt();
        assert!(mean.abs() < 0.01, "{mean}");
        assert!((sd - 0.3).abs() < 0.01, "{sd}");
    }

    #[test]
    fn lab_sensor_stays_in_bounds_and_resets() {
        let mut rng = Rng::with_seed(1);
        let mut s = LabSensor {
            max_drift_per_s: 5.0,
            ..LabSensor::default()
        };
        for _ in 0..10_000 {
            let x = s.step(1.0, &mut rng);
            assert!((19.0..=25.0).contains(&x), "{x}");
        }
        s.reset();
        assert_eq!(s.elapsed, 0.0);
        // After a reset the offset is gone: the reading is base plus noise (and a tiny drift).
        let x = s.step(0.001, &mut rng);
        assert!((x - 22.0).abs() < 1.5, "{x}");
    }

    #[test]
    fn zone_sensor_spikes_on_schedule() {
        let mut rng = Rng::with_seed(3);
        let mut s = ZoneSensor::new(0.0).with_spikes(5.0);
        let xs: Vec<f64> = (0..60).map(|_| s.step(1.0, &mut rng)).collect();
        let spikes: Vec<usize> = xs
            .iter()
            .enumerate()
            .filter(|(_, &x)| x > 21.0 + 1.5 + 3.0)
            .map(|(i, _)| i)
            .collect();
        assert_eq!(spikes[0], 4, "first spike at t = 5 s: {xs:?}");
        assert!(spikes.len() >= 2 && spikes[1] - spikes[0] >= 20);
        s.reset();
        assert_eq!(s.elapsed, 0.0);
    }
}
