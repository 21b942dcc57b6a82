use super::prelude::*;

/// An oven behind Kepware's IoT Gateway.
pub(super) struct Oven {
    client: usize,
    device: usize,
    start: chrono::DateTime<chrono::Utc>,
    zones: Vec<(Probe, f64, f64, bool)>,
    tick: Ticker,
    rng: Rng,
}

impl Oven {
    pub(super) fn new(b: &mut Builder) -> Oven {
        let mut rng = Rng::with_seed(b.seed());
        let client = b.client("kepware-iotgateway", None, 60);
        let device = b.device("oven1", "kepware", "none", None);
        let topic = "iotgateway/line2/oven1";
        let mut zones = Vec::new();
        for (i, sp) in [180.0, 200.0, 190.0].into_iter().enumerate() {
            let p = b
                .probe(
                    device,
                    topic,
                    &format!("values.Line2.Oven1.Zone{}.Temperature.v", i + 1),
                    "continuous",
                    0.1,
                    "steady",
                    TEMP_FAULTS,
                )
                .scale(2.0);
            b.series(
                device,
                topic,
                &format!("values.Line2.Oven1.Zone{}.Setpoint.v", i + 1),
                "setpoint",
                Some(1.0),
                "steady",
            );
            b.series(
                device,
                topic,
                &format!("values.Line2.Oven1.Zone{}.Temperature.t", i + 1),
                "epoch",
                None,
                "steady",
            );
            b.series(
                device,
                topic,
                &format!("values.Line2.Oven1.Zone{}.Setpoint.t", i + 1),
                "epoch",
                None,
                "steady",
            );
            zones.push((p, sp, sp - 2.0, false));
        }
        b.series(device, topic, "timestamp", "epoch", None, "steady");
        Oven {
            client,
            device,
            start: b.start,
            zones,
            tick: Ticker::new(5.0, 0.002, &mut rng),
            rng,
        }
    }
}

impl Device for Oven {
    fn advance(&mut self, now: f64, until: f64, env: &Env, sink: &mut Sink) {
        let (c, d) = (self.client, self.device);
        if now == 0.0 {
            sink.connect(0.0, c, d);
        }
        while let Some(t) = self.tick.due(until, &mut self.rng) {
            let on_shift = shift(env.hour(t));
            let ms = at(self.start, t).timestamp_millis();
            let mut values = Vec::new();
            for (i, (p, sp, x, heating)) in self.zones.iter_mut().enumerate() {
                let set = if on_shift { *sp } else { 80.0 };
                // On/off control with a 1.5 °C band.
                if *x < set - 1.5 {
                    *heating = true;
                } else if *x > set + 1.5 {
                    *heating = false;
                }
                *x += if *heating { 0.9 } else { -0.5 } + gaussian(&mut self.rng, 0.05);
                let v = p.read(t, *x);
                values.push(json!({"id": format!("Line2.Oven1.Zone{}.Temperature", i + 1), "v": v, "q": true, "t": ms}));
                values.push(json!({"id": format!("Line2.Oven1.Zone{}.Setpoint", i + 1), "v": set, "q": true, "t": ms}));
            }
            let m = json!({"timestamp": ms, "values": values});
            // Store and forward: now and then a publish waits in the gateway's buffer and
            // arrives late, after newer ones, with its own timestamp.
            let late = if self.rng.f64() < 0.03 {
                5.0 + self.rng.f64() * 25.0
            } else {
                0.0
            };
            sink.publish(
                t + late,
                c,
                d,
                Msg::new("iotgateway/line2/oven1", m.to_string(), false),
            );
        }
    }

    fn probes(&mut self) -> Vec<&mut Probe> {
        self.zones.iter_mut().map(|z| &mut z.0).collect()
    }
}
