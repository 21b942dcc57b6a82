use super::prelude::*;

/// Alice's phone running OwnTracks.
pub(super) struct OwnTracks {
    client: usize,
    device: usize,
    start: chrono::DateTime<chrono::Utc>,
    next: f64,
    home: bool,
    batt: f64,
    /// When the battery was last brought up to date (seconds).
    batt_t: f64,
    started: bool,
    rng: Rng,
}

impl OwnTracks {
    pub(super) fn new(b: &mut Builder) -> OwnTracks {
        let mut rng = Rng::with_seed(b.seed());
        let tst = b.start.timestamp();
        let client = b.client(
            "alice-phone",
            Some(Msg::new(
                "owntracks/alice/phone",
                format!(r#"{{"_type":"lwt","tst":{tst}}}"#),
                false,
            )),
            60,
        );
        let device = b.device("alice/phone", "owntracks", "none", None);
        let t = "owntracks/alice/phone";
        for (f, c) in [
            ("lat", "continuous"),
            ("lon", "continuous"),
            ("acc", "diagnostic"),
            ("alt", "continuous"),
            ("batt", "battery"),
            ("bs", "level"),
            ("tst", "epoch"),
            ("created_at", "epoch"),
            ("vel", "continuous"),
            ("vac", "diagnostic"),
            ("m", "level"),
        ] {
            b.series(device, t, f, c, None, "event");
        }
        for (f, c) in [
            ("lat", "continuous"),
            ("lon", "continuous"),
            ("acc", "diagnostic"),
            ("tst", "epoch"),
            ("wtst", "epoch"),
        ] {
            b.series(device, "owntracks/alice/phone/event", f, c, None, "event");
        }
        OwnTracks {
            client,
            device,
            start: b.start,
            // The app reports where it is when it connects.
            next: 2.0 + 8.0 * rng.f64(),
            home: true,
            batt: 80.0,
            batt_t: 0.0,
            started: false,
            rng,
        }
    }
}

impl Device for OwnTracks {
    fn advance(&mut self, _now: f64, until: f64, env: &Env, sink: &mut Sink) {
        let (c, d) = (self.client, self.device);
        if !self.started {
            self.started = true;
            sink.connect(0.0, c, d);
        }
        while self.next <= until {
            let t = self.next;
            let h = env.hour(t);
            let away = (8.1..17.6).contains(&h) && env.tod0 + t > 0.0;
            let tst = epoch(self.start, t).floor();
            if away == self.home {
                self.home = !away;
                let ev = json!({"_type": "transition", "acc": 14, "desc": "Home", "event": if away { "leave" } else { "enter" },
                    "lat": 52.5200, "lon": 13.4050, "t": "c", "tid": "ph", "tst": tst, "wtst": 1_700_000_000});
                sink.publish(
                    t,
                    c,
                    d,
                    Msg::new("owntracks/alice/phone/event", ev.to_string(), false),
                );
            }
            // The battery follows time, not reports: on its charger at night (about 40 % an
            // hour, full in two), drained by about 4 % an hour by day, so a day's use leaves
            // it near 40 %. (A first model moved it per report and clamped it at 5 %: over ten
            // days it sank to 5 % and held there for hours while reporting, which no phone
            // does; twinview was right to call that stuck.)
            let charging = (22.0..24.0).contains(&h) || h < 6.5;
            let dt_h = (t - self.batt_t).max(0.0) / 3600.0;
            self.batt_t = t;
            self.batt = if charging {
                (self.batt + 40.0 * dt_h).min(100.0)
            } else {
                (self.batt - 4.0 * dt_h).max(1.0)
            };
            let (lat, lon, vel) = if self.home {
                (
                    52.5200 + gaussian(&mut self.rng, 0.0001),
                    13.4050 + gaussian(&mut self.rng, 0.0001),
                    0,
                )
            } else {
                (
                    52.53 + self.rng.f64() * 0.02,
                    13.38 + self.rng.f64() * 0.05,
                    self.rng.u32(0..40),
                )
            };
            let loc = json!({"_type": "location", "acc": 5 + self.rng.u32(0..30), "alt": 41 + self.rng.u32(0..10), "batt": self.batt.round(),
                "bs": if !charging { 1 } else if self.batt >= 100.0 { 3 } else { 2 }, "conn": if self.home { "w" } else { "m" },
                "created_at": tst, "lat": (lat * 1e6_f64).round() / 1e6, "lon": (lon * 1e6_f64).round() / 1e6, "m": 1, "t": "u",
                "tid": "ph", "tst": tst, "vac": 3, "vel": vel});
            sink.publish(
                t,
                c,
                d,
                Msg::new("owntracks/alice/phone", loc.to_string(), true),
            );
            // Significant-change mode: often while moving, rarely at rest.
            self.next += if self.home {
                900.0 + self.rng.f64() * 2700.0
            } else {
                60.0 + self.rng.f64() * 600.0
            };
        }
    }
}
