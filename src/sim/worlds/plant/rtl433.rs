use super::prelude::*;

/// 433 MHz sensors through rtl_433: the cold store and the yard.
pub(super) struct Rtl433 {
    client: usize,
    start: chrono::DateTime<chrono::Utc>,
    sensors: Vec<(usize, String, Probe, Ticker, Option<usize>, f64)>,
    rng: Rng,
}

impl Rtl433 {
    pub(super) fn new(b: &mut Builder, env: &Env) -> Rtl433 {
        let mut rng = Rng::with_seed(b.seed());
        let client = b.client("rtl_433-pi", None, 60);
        let mut sensors = Vec::new();
        for (model, ch, id, room, period) in [
            (
                "Acurite-Tower",
                "A",
                1234,
                Some(env.room("cold_store")),
                16.0,
            ),
            ("LaCrosse-TX141THBv2", "0", 77, None, 50.0),
        ] {
            let base = format!("rtl_433/pi/devices/{model}/{ch}/{id}");
            let dev = b.device(&format!("{model} {id}"), "rtl_433", "none", None);
            let p = b.probe(
                dev,
                &format!("{base}/temperature_C"),
                "value",
                "quantised",
                0.1,
                "steady",
                TEMP_FAULTS,
            );
            b.series(
                dev,
                &format!("{base}/humidity"),
                "value",
                "quantised",
                Some(1.0),
                "steady",
            );
            b.series(
                dev,
                &format!("{base}/battery_ok"),
                "value",
                "level",
                Some(1.0),
                "steady",
            );
            b.series(
                dev,
                &format!("{base}/id"),
                "value",
                "identifier",
                Some(1.0),
                "steady",
            );
            sensors.push((
                dev,
                base,
                p,
                Ticker::new(period, 0.002, &mut rng),
                room,
                rng.f64() * 0.4,
            ));
        }
        Rtl433 {
            client,
            start: b.start,
            sensors,
            rng,
        }
    }
}

impl Device for Rtl433 {
    fn advance(&mut self, now: f64, until: f64, env: &Env, sink: &mut Sink) {
        let c = self.client;
        if now == 0.0 {
            if let Some(s) = self.sensors.first() {
                sink.connect(0.0, c, s.0);
            }
        }
        for (dev, base, p, tick, room, off) in &mut self.sensors {
            while let Some(t) = tick.due(until, &mut self.rng) {
                // A lost transmission now and then; repeats of one decoded now and then.
                if self.rng.f64() < 0.05 {
                    continue;
                }
                let truth = match room {
                    Some(r) => env.temp(*r, t),
                    None => env.outdoor(t),
                } + *off;
                let x = p.read(t, truth + gaussian(&mut self.rng, 0.03));
                let copies = if self.rng.f64() < 0.4 {
                    1 + self.rng.usize(1..3)
                } else {
                    1
                };
                for k in 0..copies {
                    let tt = t + k as f64 * 0.07;
                    sink.publish(
                        tt,
                        c,
                        *dev,
                        Msg::new(
                            format!("{base}/time"),
                            at(self.start, tt).format("%Y-%m-%d %H:%M:%S").to_string(),
                            false,
                        ),
                    );
                    sink.publish(
                        tt,
                        c,
                        *dev,
                        Msg::new(
                            format!("{base}/id"),
                            base.rsplit('/').next().unwrap_or("0"),
                            false,
                        ),
                    );
                    sink.publish(
                        tt,
                        c,
                        *dev,
                        Msg::new(format!("{base}/battery_ok"), "1", false),
                    );
                    sink.publish(
                        tt,
                        c,
                        *dev,
                        Msg::new(format!("{base}/temperature_C"), fmt(x, 0.1), false),
                    );
                    sink.publish(
                        tt,
                        c,
                        *dev,
                        Msg::new(
                            format!("{base}/humidity"),
                            format!("{}", (80.0 + gaussian(&mut self.rng, 2.0)).round()),
                            false,
                        ),
                    );
                    sink.publish(
                        tt,
                        c,
                        *dev,
                        Msg::new(format!("{base}/mic"), "CHECKSUM", false),
                    );
                }
            }
        }
    }

    fn probes(&mut self) -> Vec<&mut Probe> {
        self.sensors.iter_mut().map(|s| &mut s.2).collect()
    }
}
