use super::prelude::*;

/// The air compressor on a Shelly Pro 3EM, and the site meter on Tasmota SML.
pub(super) struct Compressor {
    client: usize,
    device: usize,
    meter_client: usize,
    meter: usize,
    prefix: String,
    start: chrono::DateTime<chrono::Utc>,
    power: Probe,
    total: Probe,
    meter_total: Probe,
    pressure: f64,
    loaded: bool,
    kwh: f64,
    site_kwh: f64,
    tick: Ticker,
    energy_tick: Ticker,
    meter_tick: Ticker,
    last_w: f64,
    connected: [bool; 2],
    down: Downtime,
    meter_down: Downtime,
    rng: Rng,
}

impl Compressor {
    pub(super) fn new(b: &mut Builder) -> Compressor {
        let mut rng = Rng::with_seed(b.seed());
        let prefix = format!("shellypro3em-08f9e0{:06x}", rng.u32(..0xFFFFFF));
        let client = b.client(
            &prefix,
            Some(Msg::new(format!("{prefix}/online"), "false", true)),
            60,
        );
        let device = b.device("air_compressor", "shelly", "will", Some(90.0));
        let em = format!("{prefix}/status/em:0");
        let power = b
            .probe(
                device,
                &em,
                "total_act_power",
                "power",
                0.001,
                "steady",
                &[FaultKind::Spike, FaultKind::Stuck],
            )
            .scale(800.0)
            // Each phase is a third of the power read (the probe), and the rest follows it.
            .derives(&[
                "a_act_power",
                "b_act_power",
                "c_act_power",
                "a_aprt_power",
                "b_aprt_power",
                "c_aprt_power",
                "a_current",
                "b_current",
                "c_current",
                "total_aprt_power",
            ]);
        for ph in ["a", "b", "c"] {
            b.series(
                device,
                &em,
                &format!("{ph}_act_power"),
                "power",
                Some(0.1),
                "steady",
            );
            b.series(
                device,
                &em,
                &format!("{ph}_current"),
                "power",
                Some(0.001),
                "steady",
            );
            b.series(
                device,
                &em,
                &format!("{ph}_voltage"),
                "continuous",
                Some(0.1),
                "steady",
            );
            b.series(
                device,
                &em,
                &format!("{ph}_pf"),
                "power",
                Some(0.01),
                "steady",
            );
        }
        b.series(device, &em, "*", "power", None, "steady");
        let ed = format!("{prefix}/status/emdata:0");
        b.series(device, &ed, "*", "counter", None, "steady");
        let total = b.probe(
            device,
            &ed,
            "total_act",
            "counter",
            0.01,
            "steady",
            &[FaultKind::CounterReset],
        );
        let meter_client = b.client(
            "DVES_5F2A11",
            Some(Msg::new("tele/plant_meter/LWT", "Offline", true)),
            30,
        );
        let meter = b.device("plant_meter", "tasmota", "will", Some(45.0));
        let s = "tele/plant_meter/SENSOR";
        let meter_total = b.probe(
            meter,
            s,
            "MT681.Total_in",
            "counter",
            0.0001,
            "steady",
            &[FaultKind::CounterReset],
        );
        b.series(meter, s, "MT681.Power_curr", "power", Some(1.0), "steady");
        b.series(
            meter,
            s,
            "MT681.Total_out",
            "counter",
            Some(0.0001),
            "steady",
        );
        Compressor {
            client,
            device,
            meter_client,
            meter,
            prefix,
            start: b.start,
            power,
            total,
            meter_total,
            pressure: 7.0,
            loaded: false,
            kwh: 48_211.0 + rng.f64() * 100.0,
            site_kwh: 1_204_333.0 + rng.f64() * 1000.0,
            tick: Ticker::new(5.0, 0.05, &mut rng),
            energy_tick: Ticker::new(60.0, 0.0, &mut rng),
            meter_tick: Ticker::new(10.0, 0.0, &mut rng),
            last_w: 0.0,
            connected: [false, false],
            down: Downtime::default(),
            meter_down: Downtime::default(),
            rng,
        }
    }
}

impl Device for Compressor {
    fn advance(&mut self, now: f64, until: f64, env: &Env, sink: &mut Sink) {
        let (c, d) = (self.client, self.device);
        for s in self.down.starting(now, until).collect::<Vec<_>>() {
            sink.drop_conn(s, c, d);
            self.connected[0] = false;
        }
        for s in self.meter_down.starting(now, until).collect::<Vec<_>>() {
            sink.drop_conn(s, self.meter_client, self.meter);
            self.connected[1] = false;
        }
        let down = self.down.down(until);
        if !down && !self.connected[0] {
            let t = self.down.ending(now, until).next().unwrap_or(0.0).max(now);
            sink.connect(t, c, d);
            sink.publish(
                t,
                c,
                d,
                Msg::new(format!("{}/online", self.prefix), "true", true),
            );
            self.connected[0] = true;
        }
        let meter_down = self.meter_down.down(until);
        if !meter_down && !self.connected[1] {
            let t = self
                .meter_down
                .ending(now, until)
                .next()
                .unwrap_or(0.0)
                .max(now);
            sink.connect(t, self.meter_client, self.meter);
            sink.publish(
                t,
                self.meter_client,
                self.meter,
                Msg::new("tele/plant_meter/LWT", "Online", true),
            );
            self.connected[1] = true;
        }
        while let Some(t) = self.tick.due(until, &mut self.rng) {
            // Air use follows the shifts; the compressor loads below 6.5 bar, unloads at 7.5.
            let use_rate = if shift(env.hour(t)) { 0.006 } else { 0.0008 };
            self.pressure -= use_rate * 5.0;
            if self.loaded {
                self.pressure += 0.012 * 5.0;
            }
            if self.pressure < 6.5 {
                self.loaded = true;
            } else if self.pressure > 7.5 {
                self.loaded = false;
            }
            let w = if self.loaded {
                7400.0 + gaussian(&mut self.rng, 60.0)
            } else if shift(env.hour(t)) {
                2100.0 + gaussian(&mut self.rng, 30.0)
            } else {
                0.0
            };
            self.last_w = w;
            self.kwh += w * 5.0 / 3_600_000.0;
            if down {
                continue;
            }
            let p = self.power.read(t, w);
            let mut em = serde_json::Map::new();
            em.insert("id".into(), json!(0));
            for ph in ["a", "b", "c"] {
                let pw = quantise(p / 3.0 + gaussian(&mut self.rng, 5.0), 0.1);
                let v = quantise(230.0 + gaussian(&mut self.rng, 0.7), 0.1);
                em.insert(
                    format!("{ph}_current"),
                    json!(quantise((pw / v / 0.85).abs(), 0.001)),
                );
                em.insert(format!("{ph}_voltage"), json!(v));
                em.insert(format!("{ph}_act_power"), json!(pw));
                // Apparent power is a magnitude: never below zero, whichever way the phase's
                // active power reads at idle.
                em.insert(
                    format!("{ph}_aprt_power"),
                    json!(quantise((pw / 0.85).abs(), 0.1)),
                );
                em.insert(
                    format!("{ph}_pf"),
                    json!(if pw.abs() > 1.0 { 0.85 } else { 0.0 }),
                );
            }
            em.insert("n_current".into(), serde_json::Value::Null);
            em.insert("total_act_power".into(), json!(p));
            em.insert(
                "total_aprt_power".into(),
                json!(quantise((p / 0.85).abs(), 0.001)),
            );
            sink.publish(
                t,
                c,
                d,
                Msg::new(
                    format!("{}/status/em:0", self.prefix),
                    serde_json::Value::Object(em).to_string(),
                    false,
                ),
            );
        }
        while let Some(t) = self.energy_tick.due(until, &mut self.rng) {
            if !down {
                let e = json!({"id": 0, "a_total_act_energy": quantise(self.kwh * 1000.0 / 3.0, 0.01), "b_total_act_energy": quantise(self.kwh * 1000.0 / 3.0, 0.01),
                    "c_total_act_energy": quantise(self.kwh * 1000.0 / 3.0, 0.01), "total_act": self.total.read(t, self.kwh * 1000.0), "total_act_ret": 0.0});
                sink.publish(
                    t,
                    c,
                    d,
                    Msg::new(
                        format!("{}/status/emdata:0", self.prefix),
                        e.to_string(),
                        false,
                    ),
                );
            }
        }
        while let Some(t) = self.meter_tick.due(until, &mut self.rng) {
            let site = 18_000.0
                + if shift(env.hour(t)) { 60_000.0 } else { 0.0 }
                + self.last_w
                + gaussian(&mut self.rng, 400.0);
            self.site_kwh += site * 10.0 / 3_600_000.0;
            if meter_down {
                continue;
            }
            let m = json!({"Time": at(self.start, t).format("%Y-%m-%dT%H:%M:%S").to_string(),
                "MT681": {"Total_in": self.meter_total.read(t, self.site_kwh), "Total_out": 0.0, "Power_curr": quantise(site, 1.0), "Meter_Number": "0901454d48000066c8b1"}});
            sink.publish(
                t,
                self.meter_client,
                self.meter,
                Msg::new("tele/plant_meter/SENSOR", m.to_string(), false),
            );
        }
    }

    fn probes(&mut self) -> Vec<&mut Probe> {
        vec![&mut self.power, &mut self.total, &mut self.meter_total]
    }

    fn device_faults(&self) -> &'static [FaultKind] {
        &[FaultKind::Offline, FaultKind::Flapping]
    }

    fn inject(&mut self, kind: FaultKind, start: f64, end: f64, rng: &mut Rng) -> Vec<TruthFault> {
        if kind == FaultKind::Flapping {
            down_faults(
                &mut self.meter_down,
                kind,
                start,
                end,
                rng,
                self.start,
                "plant_meter",
                "tele/plant_meter/LWT",
            )
        } else {
            let topic = format!("{}/online", self.prefix);
            down_faults(
                &mut self.down,
                kind,
                start,
                end,
                rng,
                self.start,
                "air_compressor",
                &topic,
            )
        }
    }
}
