//! Noise by order of magnitude: a series whose noise grows with its value (a solar charger's
//! power under passing clouds, a pump's flow, a light sensor) steps ten times more at 200 W
//! than at 20 W. Its steps are judged against the noise learnt at the magnitude they are taken
//! (the octave of |value|: 16–32, 32–64, …), never against the quiet of a lower one.
//!
//! Premise: within one octave the noise of such a series changes by less than the burst
//! threshold (a factor 3), and an octave the series has not yet stepped in has a noise that is
//! not known ("learning"), so no burst is judged there: the first sunrise on a solar charger
//! climbs through octaves it never visited. A series that lives in one octave (a room at 21 °C)
//! has one bin, whose noise is its own. A temperature's octaves are no magnitudes (its zero is
//! arbitrary): where it just crossed into an octave it never stepped in, the detector takes the
//! noise of the octave below ([`Magnitudes::noise_just_below`]).
//!
//! Cost: O(1) per reading (the octave from the float's exponent, a scan of [`SLOTS`]).

/// Octaves remembered; the least learnt gives way when a series spans more.
const SLOTS: usize = 8;
/// Steps within an octave before its noise is known.
pub const MAG_KNOWN: u16 = 10;
/// An octave's noise is a plain mean over its first this many steps, then a running one as
/// slow as the series' own scale, so a burst of a few dozen readings cannot teach itself.
const MAG_WINDOW: u16 = 500;

/// The octave of |x|: ⌊log₂ |x|⌋ from the float's exponent, zero and subnormals in the lowest.
fn octave(x: f64) -> i16 {
    if x == 0.0 || !x.is_finite() {
        return i16::MIN;
    }
    (((x.abs().to_bits() >> 52) & 0x7ff) as i16) - 1023
}

/// The learnt mean step at each octave a series stepped in.
#[derive(Debug, Clone, Default)]
pub struct Magnitudes {
    octave: [i16; SLOTS],
    noise: [f32; SLOTS],
    n: [u16; SLOTS],
    /// The slot of the latest reading: most readings are in the octave of the one before.
    last: u8,
}

impl Magnitudes {
    fn slot(&self, o: i16) -> Option<usize> {
        let l = usize::from(self.last);
        if self.n[l] > 0 && self.octave[l] == o {
            return Some(l);
        }
        (0..SLOTS).find(|&i| self.n[i] > 0 && self.octave[i] == o)
    }

    /// Learns `step` taken to `x` when given (see [`Magnitudes::learn`]), then gives the
    /// noise where `x` is (see [`Magnitudes::noise`]): one lookup for both.
    pub fn step(&mut self, x: f64, step: Option<f64>, floor: f64) -> Option<f64> {
        let i = match step {
            Some(d) => self.learn(octave(x), d, floor),
            None => self.slot(octave(x))?,
        };
        self.last = i as u8;
        (self.n[i] >= MAG_KNOWN).then_some(f64::from(self.noise[i]))
    }

    /// The mean step learnt where `x` is, once [`MAG_KNOWN`] steps there were seen; `None`
    /// while it is still being learnt.
    pub fn noise(&self, x: f64) -> Option<f64> {
        let i = self.slot(octave(x))?;
        (self.n[i] >= MAG_KNOWN).then_some(f64::from(self.noise[i]))
    }

    /// The noise learnt at the nearest known octave above the one of `x` (`None`: none above
    /// is known). Premise (this module's): noise grows with the value, so where a series
    /// reads below the magnitudes it knows, its noise is at most theirs: a pump at 118 l/min
    /// that stops reports one 0, and a burst about that 0 is judged against its running
    /// noise, not left unjudged as an octave never stepped in. Above all it knows (the first
    /// sunrise) stays unknown.
    pub fn noise_above(&self, x: f64) -> Option<f64> {
        let o = octave(x);
        (0..SLOTS)
            .filter(|&i| self.n[i] >= MAG_KNOWN && self.octave[i] > o)
            .min_by_key(|&i| self.octave[i])
            .map(|i| f64::from(self.noise[i]))
    }

    /// The noise learnt at the octave just below the one of `x` (`None`: not known there).
    /// For a series whose zero is arbitrary (a temperature in °C or °F: a greenhouse's soil
    /// at 8.19 °C is no noisier than at 7.94), where an octave's edge is no change of
    /// magnitude at all (see [`crate::twin::detect::Detector`]'s use of it).
    pub fn noise_just_below(&self, x: f64) -> Option<f64> {
        let i = self.slot(octave(x).checked_sub(1)?)?;
        (self.n[i] >= MAG_KNOWN).then_some(f64::from(self.noise[i]))
    }

    /// Learns one step `step` (≥ 0) taken to a reading in octave `o`; once known, a step is
    /// clipped at 4× the octave's noise (and at `floor`, the resolution) so a spike cannot
    /// teach itself.
    fn learn(&mut self, o: i16, step: f64, floor: f64) -> usize {
        let i = match self.slot(o) {
            Some(i) => i,
            None => {
                let i = (0..SLOTS).min_by_key(|&i| self.n[i]).unwrap_or(0);
                (self.octave[i], self.noise[i], self.n[i]) = (o, 0.0, 0);
                i
            }
        };
        let mut step = step as f32;
        if self.n[i] >= MAG_KNOWN {
            step = step.min(4.0 * self.noise[i].max(floor as f32));
        }
        self.n[i] = self.n[i].saturating_add(1);
        let k = f32::from(self.n[i].min(MAG_WINDOW));
        self.noise[i] += (step - self.noise[i]) / k;
        i
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn octaves_from_the_exponent() {
        assert_eq!(octave(1.0), 0);
        assert_eq!(octave(1.99), 0);
        assert_eq!(octave(-2.0), 1);
        assert_eq!(octave(200.0), 7);
        assert_eq!(octave(0.3), -2);
        assert_eq!(octave(0.0), i16::MIN);
    }

    #[test]
    fn each_octave_learns_its_own_noise_and_is_unknown_before() {
        let mut m = Magnitudes::default();
        for i in 0..40 {
            m.step(20.0 + (i % 3) as f64, Some(1.0), 1.0);
            m.step(200.0 + (i % 3) as f64, Some(10.0), 1.0);
        }
        assert!((m.noise(25.0).unwrap() - 1.0).abs() < 1e-6);
        assert!((m.noise(150.0).unwrap() - 10.0).abs() < 1e-6);
        assert_eq!(m.noise(900.0), None, "never stepped there");
        assert_eq!(m.noise_above(900.0), None, "nothing known above");
        assert_eq!(m.noise_above(5.0), Some(1.0), "the nearest known above");
        assert_eq!(m.noise_above(-5.0), Some(1.0));
        assert_eq!(m.noise_above(60.0), Some(10.0));
        assert_eq!(m.noise_just_below(33.0), Some(1.0), "16-32 is known");
        assert_eq!(m.noise_just_below(70.0), None, "32-64 is not");
        // A spike within a known octave is clipped at 4× its noise.
        m.step(21.0, Some(1000.0), 1.0);
        assert!(m.noise(21.0).unwrap() < 1.2);
    }
}
