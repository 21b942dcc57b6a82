//! Signal life as it is: the shared physics of a world (rooms, outdoor air, schedules,
//! showers, doors, shifts), probes that read it the way real sensors do (offset, noise,
//! resolution) with faults injected into them, and the two ways devices decide to send
//! (a steady period with jitter; on change with a minimum gap and a heartbeat).

use std::f64::consts::TAU;

use fastrand::Rng;

use super::{Builder, Kind};
use crate::sim::sensors::gaussian;

/// What can go wrong, as injected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FaultKind {
    Spike,
    LevelShift,
    DriftFast,
    /// 0.5 (in the probe's scale: °C for temperatures) over 6 h; only in worlds of 8 h or more.
    DriftSlow,
    Stuck,
    NoiseBurst,
    /// The firmware switched to °F.
    UnitChange,
    /// A reading no such sensor can give (a DS18B20's 85 °C power-on value, a negative level).
    OutOfRange,
    /// A counter starts again from zero (a meter replaced, a device reset).
    CounterReset,
    /// The battery runs down over hours, then the device goes quiet.
    BatteryDying,
    /// The device loses power and comes back; its will (or its hub) says so.
    Offline,
    /// The device goes quiet with no liveness source to say so.
    Silence,
    /// The device drops off and comes back again and again.
    Flapping,
}

impl FaultKind {
    pub const ALL: [FaultKind; 13] = [
        FaultKind::Spike,
        FaultKind::LevelShift,
        FaultKind::DriftFast,
        FaultKind::DriftSlow,
        FaultKind::Stuck,
        FaultKind::NoiseBurst,
        FaultKind::UnitChange,
        FaultKind::OutOfRange,
        FaultKind::CounterReset,
        FaultKind::BatteryDying,
        FaultKind::Offline,
        FaultKind::Silence,
        FaultKind::Flapping,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FaultKind::Spike => "spike",
            FaultKind::LevelShift => "level_shift",
            FaultKind::DriftFast => "drift",
            FaultKind::DriftSlow => "drift_slow",
            FaultKind::Stuck => "stuck",
            FaultKind::NoiseBurst => "noise_burst",
            FaultKind::UnitChange => "unit_change",
            FaultKind::OutOfRange => "out_of_range",
            FaultKind::CounterReset => "counter_reset",
            FaultKind::BatteryDying => "battery_dying",
            FaultKind::Offline => "offline",
            FaultKind::Silence => "silence",
            FaultKind::Flapping => "flapping",
        }
    }

    /// The episode kinds that name this fault right. Kinds twinview does not have yet are
    /// listed too (`unit_change`, `out_of_range`, `counter_reset`, `battery_low`): the truth
    /// says what a right answer is, not what today's build can say.
    pub fn names(self) -> &'static [&'static str] {
        match self {
            FaultKind::Spike => &["spike"],
            FaultKind::LevelShift => &["level_shift"],
            FaultKind::DriftFast | FaultKind::DriftSlow => &["drift"],
            FaultKind::Stuck => &["stuck"],
            FaultKind::NoiseBurst => &["noise_burst"],
            FaultKind::UnitChange => &["unit_change", "level_shift"],
            FaultKind::OutOfRange => &["out_of_range", "spike", "level_shift"],
            FaultKind::CounterReset => &["counter_reset"],
            FaultKind::BatteryDying => &["battery_low", "drift"],
            FaultKind::Silence => &["silence"],
            // Liveness faults: the device check judges them, not episodes.
            FaultKind::Offline | FaultKind::Flapping => &[],
        }
    }

    pub fn whole_device(self) -> bool {
        matches!(
            self,
            FaultKind::BatteryDying | FaultKind::Offline | FaultKind::Silence | FaultKind::Flapping
        )
    }

    /// When it starts and ends in a world of `dur` seconds.
    pub fn window(self, dur: f64, rng: &mut Rng) -> (f64, f64) {
        let min = |a: f64, b: f64, rng: &mut Rng| 60.0 * (a + rng.f64() * (b - a));
        let length = match self {
            FaultKind::Spike | FaultKind::CounterReset => 0.0,
            FaultKind::LevelShift => min(20.0, 60.0, rng),
            FaultKind::DriftFast => min(40.0, 90.0, rng),
            FaultKind::DriftSlow => 6.0 * 3600.0,
            FaultKind::Stuck => min(10.0, 40.0, rng),
            FaultKind::NoiseBurst => min(5.0, 20.0, rng),
            FaultKind::UnitChange => min(30.0, 90.0, rng),
            FaultKind::OutOfRange => min(1.0, 5.0, rng),
            FaultKind::BatteryDying => min(120.0, 240.0, rng),
            FaultKind::Offline | FaultKind::Silence => min(5.0, 20.0, rng),
            FaultKind::Flapping => min(10.0, 20.0, rng),
        };
        let length = if self == FaultKind::DriftSlow {
            length
        } else {
            length.min(dur * 0.25)
        };
        let start = (dur - length) * (0.3 + rng.f64() * 0.5);
        (start, start + length)
    }
}

/// One probe: a sensor reading a physical quantity, with its faults.
#[derive(Debug, Clone)]
pub struct Probe {
    pub device: String,
    pub topic: String,
    pub field: String,
    pub resolution: f64,
    /// The size of its ordinary variation (°C for a room, W for a plug): faults scale with it.
    pub scale: f64,
    /// What it reads when out of range (default: far above anything real).
    pub out_of_range: Option<f64>,
    /// Fields of its topic the device computes from this reading (a meter's current from its
    /// power): they carry its faults too.
    pub derived: Vec<String>,
    allowed: &'static [FaultKind],
    fault: Option<(FaultKind, f64, f64, f64)>,
    /// Its device publishes some of its topic's fields at a time (Sparkplug's report by
    /// exception) and says when it published this one ([`Probe::shown`]); and whether that
    /// happened while its fault lasted (to the score's grace after). See `TruthFault::hidden`.
    pub partial: bool,
    pub shown_in_fault: bool,
    /// Its fault made a reading differ from what the healthy probe would have read by
    /// [`SHOWN_STEPS`] steps of its resolution or more: a stuck probe held at the value it
    /// would have read anyway (a plug at 0 W all night) changed nothing, and a drift of one
    /// step in all (a 0.5 °C hall sensor's 0.5 °C) changed what a place moving by less than a
    /// step changes too. See `TruthFault::hidden`.
    pub altered: bool,
    /// Its readings from its fault's start to the score's grace after its end: when, what,
    /// and whether the fault altered it by [`SHOWN_STEPS`] steps. A device that reports on
    /// change takes readings it never sends; [`Probe::sent`] looks up the one it sent.
    reads: Vec<(f64, f64, bool)>,
    /// Whether what its device published while the fault lasted carried an altered reading:
    /// `None` until a published reading of it was read back (a payload whose field it cannot
    /// find, Sparkplug's protobuf or Kepware's list, leaves it to [`Probe::altered`]).
    pub sent_altered: Option<bool>,
    held: Option<f64>,
    spiked: bool,
    reset_base: Option<f64>,
    rng: Rng,
}

impl Probe {
    pub fn new(
        device: String,
        topic: &str,
        field: &str,
        resolution: f64,
        allowed: &'static [FaultKind],
        seed: u64,
    ) -> Probe {
        Probe {
            device,
            topic: topic.to_string(),
            field: field.to_string(),
            resolution,
            scale: 1.0,
            out_of_range: None,
            derived: Vec::new(),
            allowed,
            fault: None,
            partial: false,
            shown_in_fault: false,
            altered: false,
            reads: Vec::new(),
            sent_altered: None,
            held: None,
            spiked: false,
            reset_base: None,
            rng: Rng::with_seed(seed),
        }
    }

    pub fn scale(mut self, s: f64) -> Probe {
        self.scale = s;
        self
    }

    /// The fields of its topic computed from this reading (see [`Probe::derived`]).
    pub fn derives(mut self, fields: &[&str]) -> Probe {
        self.derived = fields.iter().map(|f| f.to_string()).collect();
        self
    }

    pub fn out_of_range(mut self, v: f64) -> Probe {
        self.out_of_range = Some(v);
        self
    }

    /// The device published this probe's reading at `t` (for devices that publish a topic's
    /// fields one by one; see [`Probe::partial`]).
    pub fn shown(&mut self, t: f64) {
        self.partial = true;
        if let Some((_, start, end, _)) = self.fault {
            if t >= start && t <= end + super::score::GRACE_S {
                self.shown_in_fault = true;
            }
        }
    }

    /// A fault was injected into it.
    pub fn faulty(&self) -> bool {
        self.fault.is_some()
    }

    pub fn allows(&self, k: FaultKind) -> bool {
        self.allowed.contains(&k)
    }

    /// Injects `k` over `[start, end]`; returns its magnitude for the truth.
    pub fn inject(&mut self, k: FaultKind, start: f64, end: f64, rng: &mut Rng) -> f64 {
        let sign = if rng.bool() { 1.0 } else { -1.0 };
        let s = self.scale;
        let m = match k {
            FaultKind::Spike => sign * s * (4.0 + rng.f64() * 4.0),
            FaultKind::LevelShift => sign * s * (1.5 + rng.f64() * 1.5),
            // Per hour.
            FaultKind::DriftFast => sign * s * (1.5 + rng.f64() * 1.5),
            FaultKind::DriftSlow => sign * s * 0.5 / 6.0,
            FaultKind::NoiseBurst => s * (1.0 + rng.f64()),
            FaultKind::OutOfRange => self.out_of_range.unwrap_or(s * 50.0),
            _ => 0.0,
        };
        let end = if k == FaultKind::CounterReset {
            f64::INFINITY
        } else {
            end
        };
        self.fault = Some((k, start, end, m));
        m
    }

    /// What the probe reports at `t` for the true value `x` (quantised), faults applied.
    pub fn read(&mut self, t: f64, x: f64) -> f64 {
        let mut v = x;
        if let Some((k, start, end, m)) = self.fault {
            let on = t >= start && t <= end;
            match k {
                FaultKind::Spike if t >= start && !self.spiked => {
                    self.spiked = true;
                    v += m;
                }
                FaultKind::LevelShift if on => v += m,
                FaultKind::DriftFast | FaultKind::DriftSlow if on => v += m * (t - start) / 3600.0,
                FaultKind::Stuck if on => v = *self.held.get_or_insert(x),
                FaultKind::NoiseBurst if on => v += gaussian(&mut self.rng, m),
                FaultKind::UnitChange if on => v = v * 9.0 / 5.0 + 32.0,
                FaultKind::OutOfRange if on => v = m,
                FaultKind::CounterReset if t >= start => {
                    let base = *self.reset_base.get_or_insert(x);
                    v = x - base;
                }
                _ => {}
            }
            if k == FaultKind::Stuck && t > end {
                self.held = None;
            }
        }
        let read = quantise(v, self.resolution);
        let off = (read - quantise(x, self.resolution)).abs();
        let altered = off > 0.0 && off >= (SHOWN_STEPS - 0.5) * self.resolution;
        self.altered |= altered;
        if let Some((k, start, end, _)) = self.fault {
            if k != FaultKind::CounterReset && t >= start && t <= end + super::score::GRACE_S {
                self.reads.push((t, read, altered));
            }
        }
        read
    }

    /// Its device published `payload` on its topic at `t`: if that was within its fault (to
    /// the score's grace after), notes whether the reading it carried was one the fault
    /// altered (the latest reading taken by then with the value sent). A value no reading
    /// had counts as altered: only what is known unaltered is counted apart.
    pub fn sent(&mut self, t: f64, payload: &[u8]) {
        if let Some(v) = field_value(payload, &self.field) {
            self.sent_value(t, v);
        }
    }

    /// Its device published the reading `v` at `t`, in a payload [`Probe::sent`] cannot read
    /// (Sparkplug's protobuf): the device says what it sent.
    pub fn sent_value(&mut self, t: f64, v: f64) {
        let Some((k, start, end, _)) = self.fault else {
            return;
        };
        if k == FaultKind::CounterReset
            || t < start
            || t > end + super::score::GRACE_S
            || self.sent_altered == Some(true)
        {
            return;
        }
        let near = 0.01 * self.resolution.max(1e-9);
        let took = self
            .reads
            .iter()
            .rev()
            .filter(|r| r.0 <= t + 1e-6)
            .find(|r| (r.1 - v).abs() <= near);
        self.sent_altered = Some(took.is_none_or(|r| r.2));
    }
}

/// The number a payload carries for `field` (a path of object keys, `ENERGY.Power`), or
/// the payload itself where it is a bare number and the field is `value`.
pub(super) fn field_value(payload: &[u8], field: &str) -> Option<f64> {
    let v: serde_json::Value = serde_json::from_slice(payload).ok()?;
    if let Some(x) = v.as_f64() {
        return (field == "value").then_some(x);
    }
    field
        .split('.')
        .try_fold(&v, |v, k| v.get(k))
        .and_then(|v| v.as_f64())
}

/// A reading shows its probe's fault once it is this many steps of the probe's resolution
/// from what the healthy probe would have read. One step is within what quantising does to a
/// healthy reading: a hall's 0.5 °C sensor whose air sits near a step's edge reads either
/// neighbour, and a probe whose fault moved it by one step at most (a drift of 0.5 °C in all,
/// a reading held at 4.6 where the healthy one read 4.6 and 4.7) shows nothing a place moving
/// by less than one step would not.
pub const SHOWN_STEPS: f64 = 2.0;

/// `x` to the nearest multiple of `res`, printed without binary noise where 1/res is whole.
pub fn quantise(x: f64, res: f64) -> f64 {
    if res <= 0.0 {
        return x;
    }
    let inv = 1.0 / res;
    if (inv - inv.round()).abs() < 1e-9 {
        (x * inv).round() / inv.round()
    } else {
        (x / res).round() * res
    }
}

/// `x` as a device prints it at resolution `res` (`21.4`, `12.0625`, `85`).
pub fn fmt(x: f64, res: f64) -> String {
    let mut decimals = 0;
    let mut r = res;
    while decimals < 6 && (r - r.round()).abs() > 1e-9 {
        r *= 10.0;
        decimals += 1;
    }
    format!("{:.*}", decimals, quantise(x, res))
}

/// A steady sender: every `period` seconds, each interval jittered by ±`jitter` of it.
#[derive(Debug, Clone)]
pub struct Ticker {
    pub next: f64,
    pub period: f64,
    pub jitter: f64,
}

impl Ticker {
    pub fn new(period: f64, jitter: f64, rng: &mut Rng) -> Ticker {
        Ticker {
            next: rng.f64() * period,
            period,
            jitter,
        }
    }

    /// The next tick in `(.., until]`, if any (call until it returns None).
    pub fn due(&mut self, until: f64, rng: &mut Rng) -> Option<f64> {
        if self.next > until {
            return None;
        }
        let t = self.next;
        self.next += self.period * (1.0 + (rng.f64() * 2.0 - 1.0) * self.jitter);
        Some(t)
    }
}

/// Report on change: when the value moved by `delta` since the last report (no sooner than
/// `min_gap` after it), or when `heartbeat` has passed without one.
#[derive(Debug, Clone)]
pub struct OnChange {
    pub delta: f64,
    pub min_gap: f64,
    pub heartbeat: f64,
    last_v: Option<f64>,
    last_t: f64,
}

impl OnChange {
    pub fn new(delta: f64, min_gap: f64, heartbeat: f64) -> OnChange {
        OnChange {
            delta,
            min_gap,
            heartbeat,
            last_v: None,
            last_t: f64::NEG_INFINITY,
        }
    }

    pub fn should(&mut self, t: f64, v: f64) -> bool {
        let send = match self.last_v {
            None => true,
            Some(l) => {
                ((v - l).abs() >= self.delta && t - self.last_t >= self.min_gap)
                    || t - self.last_t >= self.heartbeat
            }
        };
        if send {
            self.last_v = Some(v);
            self.last_t = t;
        }
        send
    }
}

/// A room: temperature and relative humidity, heated to a schedule, losing heat outdoors.
#[derive(Debug, Clone)]
pub struct Room {
    pub name: &'static str,
    pub temp: f64,
    prev_temp: f64,
    pub humidity: f64,
    prev_humidity: f64,
    /// Heated (°C by day, °C by night) or, for a greenhouse, `None`.
    heating: Option<(f64, f64)>,
    /// Seconds for the heating to close most of the gap.
    tau: f64,
    /// (start, end, kind) of showers and open doors, in seconds from the world's start.
    pub events: Vec<(f64, f64, &'static str)>,
    base_humidity: f64,
    /// The temperature at which the room's air holds `base_humidity` (its start).
    ref_temp: f64,
}

/// The shared physics of a world.
#[derive(Debug, Clone)]
pub struct Env {
    /// Seconds since the world's start.
    pub t: f64,
    prev_t: f64,
    /// Time of day at the world's start, in seconds.
    pub tod0: f64,
    outdoor_mean: f64,
    outdoor_swing: f64,
    /// Hourly weather wander, °C.
    weather: Vec<f64>,
    pub rooms: Vec<Room>,
}

impl Env {
    pub fn new(b: &mut Builder, kind: Kind) -> Env {
        let tod0 = b.start.timestamp().rem_euclid(86_400) as f64;
        let days = (b.duration_s / 86_400.0).ceil() as usize + 2;
        let mut weather = Vec::with_capacity(days * 24);
        let mut w = 0.0;
        for _ in 0..days * 24 {
            w = 0.9 * w + gaussian(&mut b.rng, 0.6);
            weather.push(w);
        }
        let mut env = Env {
            t: 0.0,
            prev_t: 0.0,
            tod0,
            outdoor_mean: 1.0 + b.rng.f64() * 6.0,
            outdoor_swing: 2.0 + b.rng.f64() * 3.0,
            weather,
            rooms: Vec::new(),
        };
        let room = |name, heating: Option<(f64, f64)>, tau, hum| Room {
            name,
            temp: 0.0,
            prev_temp: 0.0,
            humidity: hum,
            prev_humidity: hum,
            heating,
            tau,
            events: Vec::new(),
            base_humidity: hum,
            ref_temp: 0.0,
        };
        match kind {
            Kind::Home => {
                env.rooms
                    .push(room("living_room", Some((21.0, 18.0)), 2400.0, 45.0));
                env.rooms
                    .push(room("bathroom", Some((22.0, 19.0)), 1800.0, 55.0));
                env.rooms
                    .push(room("bedroom", Some((19.0, 16.5)), 3000.0, 50.0));
                env.rooms
                    .push(room("hallway", Some((19.0, 17.0)), 2400.0, 45.0));
                env.rooms.push(room("greenhouse", None, 1200.0, 75.0));
            }
            Kind::Plant => {
                env.rooms
                    .push(room("hall", Some((19.0, 16.0)), 3600.0, 40.0));
                env.rooms
                    .push(room("cold_store", Some((4.0, 4.0)), 1500.0, 85.0));
            }
            Kind::Lab => {}
        }
        let dur = b.duration_s;
        // Process changes, placed in the world's time so every world has them.
        if kind == Kind::Home {
            // Showers: at 06:45 and 19:30 each day the world spans, and one inside a short world.
            let mut showers = Vec::new();
            let mut day = -1.0;
            while day * 86_400.0 < dur + 86_400.0 {
                for at in [6.75 * 3600.0, 19.5 * 3600.0] {
                    let s = day * 86_400.0 + at - tod0 + b.rng.f64() * 1200.0;
                    if s >= 0.0 && s < dur {
                        showers.push(s);
                    }
                }
                day += 1.0;
            }
            if dur < 12.0 * 3600.0 {
                showers.push(dur * (0.2 + b.rng.f64() * 0.5));
            }
            for s in showers {
                let len = 420.0 + b.rng.f64() * 480.0;
                env.rooms[1].events.push((s, s + len, "shower"));
                b.process("bathroom", "shower", s, (s + len + 1800.0).min(dur), 30.0);
            }
            // A door left open in winter, once.
            let s = dur * (0.25 + b.rng.f64() * 0.5);
            let len = (300.0 + b.rng.f64() * 600.0).min(dur * 0.15);
            env.rooms[3].events.push((s, s + len, "door"));
            b.process(
                "hallway",
                "door_opened",
                s,
                (s + len + 1800.0).min(dur),
                -4.0,
            );
        }
        if kind == Kind::Plant {
            // The cold store's door held open for a delivery.
            let s = dur * (0.25 + b.rng.f64() * 0.5);
            let len = (240.0 + b.rng.f64() * 480.0).min(dur * 0.15);
            env.rooms[1].events.push((s, s + len, "door"));
            b.process(
                "cold_store",
                "door_opened",
                s,
                (s + len + 1800.0).min(dur),
                5.0,
            );
        }
        // Start every room near its equilibrium.
        let o = env.outdoor(0.0);
        let tod = env.tod(0.0);
        for r in &mut env.rooms {
            r.temp = match r.heating {
                Some((day, night)) => {
                    (if (6.0..22.5).contains(&(tod / 3600.0)) {
                        day
                    } else {
                        night
                    }) - 0.3
                }
                None => o + 2.0,
            };
            r.prev_temp = r.temp;
            r.ref_temp = r.temp;
        }
        env
    }

    /// Seconds since midnight at world time `t`.
    pub fn tod(&self, t: f64) -> f64 {
        (self.tod0 + t).rem_euclid(86_400.0)
    }

    /// Hours since midnight.
    pub fn hour(&self, t: f64) -> f64 {
        self.tod(t) / 3600.0
    }

    /// Outdoor air, °C: a daily swing (coldest near 05:00) and the weather's wander.
    pub fn outdoor(&self, t: f64) -> f64 {
        let h = self.hour(t);
        self.outdoor_mean
            + self.outdoor_swing * (TAU * (h - 11.0) / 24.0).sin()
            + self.weather_at(t)
    }

    /// The weather's wander at `t`, °C (interpolated between its hours).
    fn weather_at(&self, t: f64) -> f64 {
        let i = ((t / 3600.0).max(0.0) as usize).min(self.weather.len() - 1);
        let j = (i + 1).min(self.weather.len() - 1);
        let f = (t / 3600.0).fract().max(0.0);
        self.weather[i] * (1.0 - f) + self.weather[j] * f
    }

    /// Daylight, 0 (night) to 1 (winter noon).
    pub fn sun(&self, t: f64) -> f64 {
        let h = self.hour(t);
        if (8.0..16.5).contains(&h) {
            ((h - 8.0) / 8.5 * std::f64::consts::PI).sin()
        } else {
            0.0
        }
    }

    pub fn room(&self, name: &str) -> usize {
        self.rooms
            .iter()
            .position(|r| r.name == name)
            .expect("a room of this world")
    }

    /// Room temperature at `t` within the last step (interpolated).
    pub fn temp(&self, room: usize, t: f64) -> f64 {
        let r = &self.rooms[room];
        lerp(r.prev_temp, r.temp, self.prev_t, self.t, t)
    }

    pub fn humidity(&self, room: usize, t: f64) -> f64 {
        let r = &self.rooms[room];
        lerp(r.prev_humidity, r.humidity, self.prev_t, self.t, t)
    }

    /// Whether a room's event of `kind` is on at `t`.
    pub fn event(&self, room: usize, kind: &str, t: f64) -> bool {
        self.rooms[room]
            .events
            .iter()
            .any(|(s, e, k)| *k == kind && t >= *s && t < *e)
    }

    /// Advances every room to `until` (steps of at most the world's step).
    pub fn advance(&mut self, until: f64) {
        let dt = until - self.t;
        if dt <= 0.0 {
            return;
        }
        let t = until;
        let outdoor = self.outdoor(t);
        let sun = self.sun(t);
        let tod = self.tod(t) / 3600.0;
        let weather = self.weather_at(t);
        for r in &mut self.rooms {
            r.prev_temp = r.temp;
            r.prev_humidity = r.humidity;
            let door = r
                .events
                .iter()
                .any(|(s, e, k)| *k == "door" && t >= *s && t < *e);
            let shower = r
                .events
                .iter()
                .any(|(s, e, k)| *k == "shower" && t >= *s && t < *e);
            let mut d = match r.heating {
                Some((day, night)) => {
                    let set = if (6.0..22.5).contains(&tod) {
                        day
                    } else {
                        night
                    };
                    // The heating can only heat; cooling is the walls' loss.
                    let heat = if r.temp < set {
                        (set + 0.5 - r.temp) / r.tau
                    } else {
                        0.0
                    };
                    heat + (outdoor - r.temp) / 40_000.0
                }
                None => (outdoor + 12.0 * sun - r.temp) / r.tau,
            };
            if door {
                d += (outdoor - r.temp) / 900.0;
            }
            if shower {
                d += 1.5 / 600.0;
            }
            r.temp += d * dt;
            // Relative humidity of air holding its moisture: about 6.5 % less per °C warmer
            // (a heated room's morning dries it, a cold night raises it), and the weather's
            // moisture with the weather's wander. A room's humidity is never flat for hours.
            let target_h = if shower {
                95.0
            } else {
                (r.base_humidity * (-0.065 * (r.temp - r.ref_temp)).exp() + 1.5 * weather)
                    .clamp(10.0, 99.0)
            };
            let tau_h = if shower { 200.0 } else { 1500.0 };
            r.humidity += (target_h - r.humidity) * (dt / tau_h).min(1.0);
        }
        self.prev_t = self.t;
        self.t = until;
    }
}

fn lerp(a: f64, b: f64, t0: f64, t1: f64, t: f64) -> f64 {
    if t1 <= t0 {
        return b;
    }
    let f = ((t - t0) / (t1 - t0)).clamp(0.0, 1.0);
    a + (b - a) * f
}

/// AR(1) noise a probe adds on top of the truth (self-heating, air movement).
#[derive(Debug, Clone)]
pub struct Wander {
    x: f64,
    phi: f64,
    innovation: f64,
}

impl Wander {
    pub fn new(sigma: f64, phi: f64) -> Wander {
        Wander {
            x: 0.0,
            phi,
            innovation: sigma * (1.0 - phi * phi).sqrt(),
        }
    }

    pub fn next(&mut self, rng: &mut Rng) -> f64 {
        self.x = self.phi * self.x + gaussian(rng, self.innovation);
        self.x
    }
}

/// What a client's connection does in a step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Link {
    /// Down: it says nothing.
    Down,
    /// Connected at this moment: births are due.
    Connected(f64),
    Up,
}

/// Whole-device downtime: when a device is down (`Offline`, `Silence`, `Flapping`,
/// `BatteryDying` after its battery is flat).
#[derive(Debug, Clone, Default)]
pub struct Downtime {
    pub periods: Vec<(f64, f64)>,
}

impl Downtime {
    pub fn down(&self, t: f64) -> bool {
        self.periods.iter().any(|(s, e)| t >= *s && t < *e)
    }

    /// Periods that start in `(now, until]`.
    pub fn starting(&self, now: f64, until: f64) -> impl Iterator<Item = f64> + '_ {
        self.periods
            .iter()
            .map(|p| p.0)
            .filter(move |s| *s > now && *s <= until)
    }

    /// Periods that end in `(now, until]`.
    pub fn ending(&self, now: f64, until: f64) -> impl Iterator<Item = f64> + '_ {
        self.periods
            .iter()
            .map(|p| p.1)
            .filter(move |e| *e > now && *e <= until)
    }

    /// Carries a client's connection through this downtime for one step: drops it when a
    /// down period starts, and connects it at the start of the world or when it comes back
    /// (the caller then sends its births).
    pub fn link(
        &self,
        connected: &mut bool,
        now: f64,
        until: f64,
        sink: &mut super::Sink,
        client: usize,
        device: usize,
    ) -> Link {
        for s in self.starting(now, until) {
            sink.drop_conn(s, client, device);
            *connected = false;
        }
        if self.down(until) {
            return Link::Down;
        }
        if *connected {
            return Link::Up;
        }
        let t = self.ending(now, until).next().unwrap_or(0.0).max(now);
        sink.connect(t, client, device);
        *connected = true;
        Link::Connected(t)
    }

    /// The periods of a flapping device inside `[start, end]`: down 20–90 s, up 30–150 s.
    pub fn flapping(start: f64, end: f64, rng: &mut Rng) -> Vec<(f64, f64)> {
        let mut out = Vec::new();
        let mut t = start;
        while t < end {
            let down = 20.0 + rng.f64() * 70.0;
            out.push((t, (t + down).min(end)));
            t += down + 30.0 + rng.f64() * 120.0;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantised_values_print_as_devices_print_them() {
        assert_eq!(fmt(12.07, 0.0625), "12.0625");
        assert_eq!(fmt(21.36, 0.1), "21.4");
        assert_eq!(fmt(21.26, 0.5), "21.5");
        assert_eq!(fmt(84.9, 1.0), "85");
        assert_eq!(quantise(21.3, 0.1).to_string(), "21.3");
    }

    #[test]
    fn on_change_reports_changes_and_heartbeats_only() {
        let mut c = OnChange::new(0.5, 10.0, 3600.0);
        assert!(c.should(0.0, 20.0));
        assert!(!c.should(60.0, 20.3));
        assert!(c.should(120.0, 20.6));
        assert!(!c.should(125.0, 21.5), "too soon after the last report");
        assert!(!c.should(3000.0, 20.6));
        assert!(c.should(3721.0, 20.6), "the heartbeat");
    }

    #[test]
    fn a_probe_takes_each_fault_as_injected() {
        let mut p = Probe::new("d".into(), "t", "value", 0.1, &[FaultKind::Stuck], 1);
        let mut rng = Rng::with_seed(3);
        p.inject(FaultKind::Stuck, 100.0, 200.0, &mut rng);
        assert_eq!(p.read(50.0, 20.04), 20.0);
        assert_eq!(p.read(100.0, 20.5), 20.5);
        assert_eq!(p.read(150.0, 23.0), 20.5, "held while stuck");
        assert_eq!(p.read(250.0, 23.0), 23.0, "free after");
        let mut u = Probe::new("d".into(), "t", "value", 0.1, &[], 1);
        u.inject(FaultKind::UnitChange, 0.0, 10.0, &mut rng);
        assert_eq!(u.read(5.0, 20.0), 68.0);
        let mut c = Probe::new("d".into(), "t", "value", 0.001, &[], 1);
        c.inject(FaultKind::CounterReset, 10.0, 10.0, &mut rng);
        assert_eq!(c.read(5.0, 120.0), 120.0);
        assert_eq!(c.read(11.0, 121.0), 0.0);
        assert_eq!(c.read(1e6, 130.0), 9.0, "counts on from zero for good");
    }

    #[test]
    fn a_fault_shows_by_the_readings_its_device_sent_not_those_it_took() {
        // A humidity held at 41.0 while the room dried to 41.5: its device sent its reading
        // at the fault's start (still what the healthy probe read) and the next only after.
        let held = |sends: &[(f64, &str)]| {
            let mut p = Probe::new("d".into(), "z/room", "humidity", 0.01, &[], 1);
            p.inject(FaultKind::Stuck, 100.0, 200.0, &mut Rng::with_seed(3));
            for (t, x) in [(100.0, 41.0), (150.0, 41.5), (250.0, 42.5)] {
                p.read(t, x);
                for (_, payload) in sends.iter().filter(|(at, _)| *at == t) {
                    p.sent(t, payload.as_bytes());
                }
            }
            assert!(p.altered, "it took a held reading");
            p.sent_altered
        };
        let unsent = held(&[
            (100.0, r#"{"humidity":41.0}"#),
            (250.0, r#"{"humidity":42.5}"#),
        ]);
        assert_eq!(unsent, Some(false));
        let sent = held(&[(150.0, r#"{"humidity":41.0,"temperature":20.1}"#)]);
        assert_eq!(
            sent,
            Some(true),
            "the held reading sent while the room dried"
        );
        assert_eq!(
            held(&[(150.0, r#"{"humidity":40.0}"#)]),
            Some(true),
            "none took it"
        );
        assert_eq!(held(&[(150.0, r#"{"temperature":20.1}"#)]), None);
        assert_eq!(field_value(b"21.5", "value"), Some(21.5));
        assert_eq!(field_value(b"21.5", "temperature"), None);
        assert_eq!(
            field_value(br#"{"ENERGY":{"Power":83}}"#, "ENERGY.Power"),
            Some(83.0)
        );
    }

    #[test]
    fn a_spike_on_a_scan_its_device_did_not_send_showed_nothing() {
        // A tank level read every second and sent every ten (in protobuf, so its device says
        // what it sent): a spike at second 103 was never sent; one at second 110 was.
        let spiked = |at: f64| {
            let mut p = Probe::new("d".into(), "t", "Level", 0.1, &[], 1);
            p.inject(FaultKind::Spike, at, at, &mut Rng::with_seed(3));
            for t in 90..240 {
                let t = f64::from(t);
                let v = p.read(t, 50.0);
                if t % 10.0 == 0.0 {
                    p.sent_value(t, v);
                }
            }
            assert!(p.altered, "it took the spike");
            p.sent_altered
        };
        assert_eq!(spiked(103.0), Some(false));
        assert_eq!(spiked(110.0), Some(true));
    }
}
