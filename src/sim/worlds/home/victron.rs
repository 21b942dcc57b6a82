use super::prelude::*;

/// A Victron GX (Cerbo) with a battery monitor, a solar charger and an inverter/charger.
pub(super) struct VictronGx {
    client: usize,
    device: usize,
    portal: String,
    start: chrono::DateTime<chrono::Utc>,
    soc: f64,
    tick: Ticker,
    keepalive: Ticker,
    last: std::collections::BTreeMap<String, String>,
    voltage: Probe,
    down: Downtime,
    rng: Rng,
}

impl VictronGx {
    pub(super) fn new(b: &mut Builder) -> VictronGx {
        let mut rng = Rng::with_seed(b.seed());
        let portal = format!("c0619ab{:05x}", rng.u32(..0xFFFFF));
        let client = b.client(&format!("ve-{portal}"), None, 60);
        let device = b.device(&portal, "victron", "none", None);
        let n = |p: &str| format!("N/{portal}/{p}");
        let voltage = b
            .probe(
                device,
                &n("battery/512/Dc/0/Voltage"),
                "value",
                "continuous",
                0.01,
                "on_change",
                &[
                    FaultKind::Spike,
                    FaultKind::LevelShift,
                    FaultKind::DriftFast,
                    FaultKind::Stuck,
                ],
            )
            .scale(0.3);
        for (p, c, r) in [
            ("battery/512/Dc/0/Current", "continuous", 0.1),
            ("battery/512/Dc/0/Power", "continuous", 1.0),
            ("battery/512/Soc", "battery", 0.1),
            ("solarcharger/279/Yield/Power", "power", 1.0),
            ("solarcharger/279/Pv/V", "continuous", 0.01),
            ("solarcharger/279/State", "level", 1.0),
            ("vebus/276/Ac/Out/L1/P", "power", 1.0),
            ("system/0/Dc/Battery/Soc", "battery", 0.1),
            ("system/0/Ac/Consumption/L1/Power", "power", 1.0),
        ] {
            b.series(device, &n(p), "value", c, Some(r), "on_change");
        }
        VictronGx {
            client,
            device,
            portal,
            start: b.start,
            soc: 60.0 + rng.f64() * 30.0,
            tick: Ticker::new(2.0, 0.05, &mut rng),
            keepalive: Ticker::new(30.0, 0.0, &mut rng),
            last: Default::default(),
            voltage,
            down: Downtime::default(),
            rng,
        }
    }
}

impl Device for VictronGx {
    fn advance(&mut self, now: f64, until: f64, env: &Env, sink: &mut Sink) {
        let (c, d) = (self.client, self.device);
        if now == 0.0 {
            sink.connect(0.0, c, d);
        }
        if self.down.down(until) {
            while self.tick.due(until, &mut self.rng).is_some() {}
            while self.keepalive.due(until, &mut self.rng).is_some() {}
            return;
        }
        while let Some(t) = self.tick.due(until, &mut self.rng) {
            let sun = env.sun(t);
            let pv = (sun * 1800.0 * (0.7 + 0.3 * self.rng.f64())).max(0.0);
            let load = 180.0
                + if (17.0..22.0).contains(&env.hour(t)) {
                    600.0
                } else {
                    0.0
                }
                + self.rng.f64() * 80.0;
            let batt_p = pv - load;
            self.soc = (self.soc + batt_p * 2.0 / 3600.0 / 100.0).clamp(10.0, 100.0);
            let v = self
                .voltage
                .read(t, 51.2 + (self.soc - 50.0) * 0.03 + batt_p / 2000.0);
            let state = if pv < 5.0 {
                0
            } else if self.soc < 95.0 {
                3
            } else {
                5
            };
            let vals: Vec<(String, Value)> = vec![
                ("battery/512/Dc/0/Voltage".into(), json!(v)),
                (
                    "battery/512/Dc/0/Current".into(),
                    json!(quantise(batt_p / v, 0.1)),
                ),
                (
                    "battery/512/Dc/0/Power".into(),
                    json!(quantise(batt_p, 1.0)),
                ),
                ("battery/512/Dc/0/Temperature".into(), Value::Null),
                ("battery/512/Soc".into(), json!(quantise(self.soc, 0.1))),
                (
                    "solarcharger/279/Yield/Power".into(),
                    json!(quantise(pv, 1.0)),
                ),
                (
                    "solarcharger/279/Pv/V".into(),
                    json!(if pv > 0.0 {
                        quantise(95.0 + sun * 20.0, 0.01)
                    } else {
                        0.0
                    }),
                ),
                ("solarcharger/279/State".into(), json!(state)),
                ("vebus/276/Ac/Out/L1/P".into(), json!(quantise(load, 1.0))),
                (
                    "system/0/Dc/Battery/Soc".into(),
                    json!(quantise(self.soc, 0.1)),
                ),
                (
                    "system/0/Ac/Consumption/L1/Power".into(),
                    json!(quantise(load, 1.0)),
                ),
            ];
            for (k, (p, v)) in vals.into_iter().enumerate() {
                let text = json!({ "value": v }).to_string();
                if self.last.get(&p) != Some(&text) {
                    self.last.insert(p.clone(), text.clone());
                    sink.publish(
                        t + k as f64 * 0.002,
                        c,
                        d,
                        Msg::new(format!("N/{}/{p}", self.portal), text, false),
                    );
                }
            }
        }
        while let Some(t) = self.keepalive.due(until, &mut self.rng) {
            sink.publish(
                t,
                c,
                d,
                Msg::new(
                    format!("N/{}/system/0/Serial", self.portal),
                    json!({"value": self.portal}).to_string(),
                    false,
                ),
            );
        }
    }

    fn probes(&mut self) -> Vec<&mut Probe> {
        vec![&mut self.voltage]
    }

    fn device_faults(&self) -> &'static [FaultKind] {
        &[FaultKind::Silence]
    }

    fn inject(&mut self, kind: FaultKind, start: f64, end: f64, rng: &mut Rng) -> Vec<TruthFault> {
        let topic = format!("N/{}/system/0/Serial", self.portal);
        down_faults(
            &mut self.down,
            kind,
            start,
            end,
            rng,
            self.start,
            &self.portal.clone(),
            &topic,
        )
    }
}
