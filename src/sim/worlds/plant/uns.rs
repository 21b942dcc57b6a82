use super::prelude::*;

/// A press on the unified namespace.
pub(super) struct Press {
    client: usize,
    device: usize,
    name: &'static str,
    base: String,
    start: chrono::DateTime<chrono::Utc>,
    motor: Probe,
    vibration: Probe,
    parts: Probe,
    temp: f64,
    count: f64,
    tick: Ticker,
    state: &'static str,
    wander: Wander,
    has_will: bool,
    state_seen: bool,
    connected: bool,
    down: Downtime,
    rng: Rng,
}

impl Press {
    pub(super) fn new(
        b: &mut Builder,
        name: &'static str,
        will: bool,
        client: Option<usize>,
    ) -> Press {
        let mut rng = Rng::with_seed(b.seed());
        let base = format!("acme/hamburg/line1/{name}");
        let client = client.unwrap_or_else(|| {
            b.client(
                &format!("nodered-{name}"),
                will.then(|| Msg::new(format!("{base}/status"), "offline", true)),
                30,
            )
        });
        let device = b.device(
            name,
            "uns",
            if will { "will" } else { "none" },
            will.then_some(45.0),
        );
        let motor = b
            .probe(
                device,
                &format!("{base}/motor_temp"),
                "value",
                "continuous",
                0.1,
                "steady",
                TEMP_FAULTS,
            )
            .scale(2.0);
        let vibration = b
            .probe(
                device,
                &format!("{base}/vibration"),
                "value",
                "continuous",
                0.01,
                "steady",
                &[
                    FaultKind::Spike,
                    FaultKind::NoiseBurst,
                    FaultKind::LevelShift,
                ],
            )
            .scale(0.6);
        let parts = b.probe(
            device,
            &format!("{base}/parts_count"),
            "value",
            "counter",
            1.0,
            "steady",
            &[FaultKind::CounterReset],
        );
        b.series(
            device,
            &format!("{base}/cycle_time"),
            "value",
            "continuous",
            Some(0.01),
            "steady",
        );
        b.series(
            device,
            &format!("{base}/mold_temp_setpoint"),
            "value",
            "setpoint",
            Some(1.0),
            "steady",
        );
        Press {
            client,
            device,
            name,
            base,
            start: b.start,
            motor,
            vibration,
            parts,
            temp: 30.0,
            count: 100_000.0 + rng.f64() * 50_000.0,
            tick: Ticker::new(10.0, 0.01, &mut rng),
            state: "IDLE",
            wander: Wander::new(0.15, 0.97),
            has_will: will,
            state_seen: false,
            connected: false,
            down: Downtime::default(),
            rng,
        }
    }
}

impl Device for Press {
    fn advance(&mut self, now: f64, until: f64, env: &Env, sink: &mut Sink) {
        let (c, d) = (self.client, self.device);
        for s in self.down.starting(now, until).collect::<Vec<_>>() {
            if self.has_will {
                sink.drop_conn(s, c, d);
            }
            self.connected = false;
        }
        if self.down.down(until) {
            while self.tick.due(until, &mut self.rng).is_some() {}
            return;
        }
        if !self.connected {
            let t = self.down.ending(now, until).next().unwrap_or(0.0).max(now);
            if self.has_will {
                sink.connect(t, c, d);
                sink.publish(
                    t,
                    c,
                    d,
                    Msg::new(format!("{}/status", self.base), "online", true),
                );
            } else if now == 0.0 {
                sink.connect(t, c, d);
            }
            self.connected = true;
        }
        let hall = env.room("hall");
        while let Some(t) = self.tick.due(until, &mut self.rng) {
            let running = shift(env.hour(t));
            let state = if running { "RUNNING" } else { "IDLE" };
            if state != self.state {
                self.state = state;
                sink.publish(
                    t,
                    c,
                    d,
                    Msg::new(format!("{}/state", self.base), state, true),
                );
            }
            // Motor temperature: first order towards hall + load heat (τ 20 min).
            let goal = env.temp(hall, t) + if running { 40.0 } else { 0.0 };
            if self.state_seen {
                self.temp += (goal - self.temp) * (10.0 / 1200.0);
            } else {
                self.state_seen = true;
                self.temp = goal;
            }
            let m = self
                .motor
                .read(t, self.temp + self.wander.next(&mut self.rng));
            let v = self.vibration.read(
                t,
                if running {
                    2.4 + gaussian(&mut self.rng, 0.12)
                } else {
                    0.05 + self.rng.f64() * 0.03
                },
            );
            if running {
                self.count += 10.0 / (12.0 + gaussian(&mut self.rng, 0.15));
            }
            let p = self.parts.read(t, self.count.floor());
            let b = &self.base;
            sink.publish(
                t,
                c,
                d,
                Msg::new(format!("{b}/motor_temp"), fmt(m, 0.1), false),
            );
            sink.publish(
                t + 0.001,
                c,
                d,
                Msg::new(format!("{b}/vibration"), fmt(v.max(0.0), 0.01), false),
            );
            sink.publish(
                t + 0.002,
                c,
                d,
                Msg::new(format!("{b}/parts_count"), format!("{p}"), false),
            );
            if running {
                sink.publish(
                    t + 0.003,
                    c,
                    d,
                    Msg::new(
                        format!("{b}/cycle_time"),
                        fmt(12.0 + gaussian(&mut self.rng, 0.15), 0.01),
                        false,
                    ),
                );
            }
            if (t / 10.0).round() as i64 % 6 == 0 {
                sink.publish(
                    t + 0.004,
                    c,
                    d,
                    Msg::new(format!("{b}/mold_temp_setpoint"), "45", true),
                );
            }
        }
    }

    fn probes(&mut self) -> Vec<&mut Probe> {
        vec![&mut self.motor, &mut self.vibration, &mut self.parts]
    }

    fn device_faults(&self) -> &'static [FaultKind] {
        if self.has_will {
            &[FaultKind::Offline, FaultKind::Flapping]
        } else {
            &[FaultKind::Silence]
        }
    }

    fn inject(&mut self, kind: FaultKind, start: f64, end: f64, rng: &mut Rng) -> Vec<TruthFault> {
        let topic = if self.has_will {
            format!("{}/status", self.base)
        } else {
            format!("{}/motor_temp", self.base)
        };
        down_faults(
            &mut self.down,
            kind,
            start,
            end,
            rng,
            self.start,
            self.name,
            &topic,
        )
    }
}

/// The chiller and the hall's room sensor, through the same Node-RED (no will).
pub(super) struct Utilities {
    client: usize,
    chiller: usize,
    hall: usize,
    supply: Probe,
    room: Probe,
    supply_t: f64,
    valve: f64,
    setpoint: f64,
    tick: Ticker,
    room_tick: Ticker,
    rng: Rng,
}

impl Utilities {
    pub(super) fn new(b: &mut Builder, client: usize) -> Utilities {
        let mut rng = Rng::with_seed(b.seed());
        let chiller = b.device("chiller1", "uns", "none", None);
        let base = "acme/hamburg/utilities/chiller1";
        let supply = b
            .probe(
                chiller,
                &format!("{base}/supply_temp"),
                "value",
                "continuous",
                0.1,
                "steady",
                TEMP_FAULTS,
            )
            .scale(0.5);
        b.series(
            chiller,
            &format!("{base}/return_temp"),
            "value",
            "continuous",
            Some(0.1),
            "steady",
        );
        b.series(
            chiller,
            &format!("{base}/setpoint"),
            "value",
            "setpoint",
            Some(0.5),
            "steady",
        );
        b.series(
            chiller,
            &format!("{base}/valve_position"),
            "value",
            "continuous",
            Some(1.0),
            "steady",
        );
        let hall = b.device("hall_sensor", "uns", "none", None);
        let room = b.probe(
            hall,
            "acme/hamburg/hall/room_temp",
            "value",
            "quantised",
            0.5,
            "steady",
            &[
                FaultKind::Spike,
                FaultKind::LevelShift,
                FaultKind::DriftFast,
                FaultKind::DriftSlow,
                FaultKind::Stuck,
                FaultKind::UnitChange,
            ],
        );
        Utilities {
            client,
            chiller,
            hall,
            supply,
            room,
            supply_t: 7.0,
            valve: 40.0,
            setpoint: 7.0,
            tick: Ticker::new(15.0, 0.01, &mut rng),
            room_tick: Ticker::new(30.0, 0.01, &mut rng),
            rng,
        }
    }
}

impl Device for Utilities {
    fn advance(&mut self, _now: f64, until: f64, env: &Env, sink: &mut Sink) {
        let c = self.client;
        let base = "acme/hamburg/utilities/chiller1";
        while let Some(t) = self.tick.due(until, &mut self.rng) {
            let load = if shift(env.hour(t)) { 1.0 } else { 0.3 };
            // The controller opens the valve with the load; supply holds its setpoint.
            self.valve += ((35.0 + 50.0 * load) - self.valve) * 0.05 + gaussian(&mut self.rng, 0.8);
            self.supply_t += (self.setpoint - self.supply_t) * 0.1 + gaussian(&mut self.rng, 0.05);
            let s = self.supply.read(t, self.supply_t);
            let r = self.supply_t + 3.0 + 2.0 * load + gaussian(&mut self.rng, 0.1);
            let d = self.chiller;
            sink.publish(
                t,
                c,
                d,
                Msg::new(format!("{base}/supply_temp"), fmt(s, 0.1), false),
            );
            sink.publish(
                t + 0.001,
                c,
                d,
                Msg::new(format!("{base}/return_temp"), fmt(r, 0.1), false),
            );
            sink.publish(
                t + 0.002,
                c,
                d,
                Msg::new(
                    format!("{base}/valve_position"),
                    fmt(self.valve.clamp(0.0, 100.0), 1.0),
                    false,
                ),
            );
            sink.publish(
                t + 0.003,
                c,
                d,
                Msg::new(format!("{base}/setpoint"), fmt(self.setpoint, 0.5), false),
            );
        }
        let hall = env.room("hall");
        while let Some(t) = self.room_tick.due(until, &mut self.rng) {
            let x = self
                .room
                .read(t, env.temp(hall, t) + gaussian(&mut self.rng, 0.05));
            sink.publish(
                t,
                c,
                self.hall,
                Msg::new("acme/hamburg/hall/room_temp", fmt(x, 0.5), false),
            );
        }
    }

    fn probes(&mut self) -> Vec<&mut Probe> {
        vec![&mut self.supply, &mut self.room]
    }
}
