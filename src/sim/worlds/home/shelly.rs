use super::prelude::*;
use crate::sim::worlds::signal::Link;

/// How fast a Shelly's own temperature follows its load (s).
const SHELLY_TEMP_TAU_S: f64 = 600.0;

/// A Shelly Plus 1PM switching the hot-water boiler (a thermostat inside cycles it).
pub(super) struct ShellyBoiler {
    client: usize,
    device: usize,
    prefix: String,
    start: chrono::DateTime<chrono::Utc>,
    power: Probe,
    on: bool,
    /// The device's own temperature (°C), when it was last brought up to date (s), and whether
    /// the load was on since.
    temp: (f64, f64, bool),
    next_switch: f64,
    energy_wh: f64,
    minute: Ticker,
    sys: Ticker,
    connected: bool,
    down: Downtime,
    rng: Rng,
}

impl ShellyBoiler {
    pub(super) fn new(b: &mut Builder) -> ShellyBoiler {
        let mut rng = Rng::with_seed(b.seed());
        let prefix = format!("shellyplus1pm-441793{:06x}", rng.u32(..0xFFFFFF));
        let client = b.client(
            &prefix,
            Some(Msg::new(format!("{prefix}/online"), "false", true)),
            60,
        );
        let device = b.device("boiler_switch", "shelly", "will", Some(90.0));
        let st = format!("{prefix}/status/switch:0");
        let power = b
            .probe(
                device,
                &st,
                "apower",
                "power",
                0.1,
                "on_change",
                &[FaultKind::Spike, FaultKind::Stuck],
            )
            .scale(100.0)
            .derives(&["current"]);
        b.series(device, &st, "voltage", "continuous", Some(0.1), "on_change");
        b.series(device, &st, "freq", "continuous", Some(0.1), "on_change");
        b.series(device, &st, "current", "power", Some(0.001), "on_change");
        b.series(
            device,
            &st,
            "aenergy.total",
            "counter",
            Some(0.001),
            "on_change",
        );
        b.series(device, &st, "aenergy.minute_ts", "epoch", None, "on_change");
        b.series(
            device,
            &st,
            "temperature.tC",
            "continuous",
            Some(0.1),
            "on_change",
        );
        b.series(
            device,
            &st,
            "temperature.tF",
            "continuous",
            Some(0.1),
            "on_change",
        );
        b.series(device, &st, "*", "power", None, "on_change");
        let sys = format!("{prefix}/status/sys");
        b.series(device, &sys, "*", "diagnostic", None, "steady");
        for (f, c) in [
            ("unixtime", "epoch"),
            ("uptime", "counter"),
            ("ram_size", "setpoint"),
            ("ram_free", "diagnostic"),
            ("fs_size", "setpoint"),
            ("fs_free", "diagnostic"),
            ("cfg_rev", "identifier"),
        ] {
            b.series(device, &sys, f, c, None, "steady");
        }
        ShellyBoiler {
            client,
            device,
            prefix,
            start: b.start,
            power,
            on: false,
            temp: (38.0, 0.0, false),
            next_switch: 300.0 * rng.f64(),
            energy_wh: 1_234_567.0 + rng.f64() * 1000.0,
            minute: Ticker::new(60.0, 0.0, &mut rng),
            sys: Ticker::new(60.0, 0.01, &mut rng),
            connected: false,
            down: Downtime::default(),
            rng,
        }
    }

    /// The boiler's own thermostat up to `until`: heats for a while in the morning and
    /// evening, and a short top-up now and then; a status and an RPC notification at each
    /// switch.
    fn switch_until(&mut self, until: f64, env: &Env, sink: &mut Sink) {
        let (c, d) = (self.client, self.device);
        while self.next_switch <= until {
            let t = self.next_switch;
            let h = env.hour(t);
            self.on = !self.on;
            self.next_switch += if self.on {
                if (5.5..7.0).contains(&h) || (17.5..19.0).contains(&h) {
                    1800.0 + self.rng.f64() * 1200.0
                } else {
                    300.0 + self.rng.f64() * 300.0
                }
            } else if (5.5..7.0).contains(&h) || (17.5..19.0).contains(&h) {
                300.0 + self.rng.f64() * 600.0
            } else {
                5400.0 + self.rng.f64() * 7200.0
            };
            self.publish_status(t, t, "switch", sink);
            let rpc = json!({"src": self.prefix, "dst": format!("{}/events", self.prefix), "method": "NotifyStatus", "params": {"ts": epoch(self.start, t), "switch:0": {"id": 0, "output": self.on}}});
            sink.publish(
                t + 0.01,
                c,
                d,
                Msg::new(
                    format!("{}/events/rpc", self.prefix),
                    rpc.to_string(),
                    false,
                ),
            );
        }
    }

    /// Publishes its status taken at `t` (`source`: why) at `at`.
    fn publish_status(&mut self, t: f64, at: f64, source: &str, sink: &mut Sink) {
        let s = self.status(t, source);
        sink.publish(
            at,
            self.client,
            self.device,
            Msg::new(
                format!("{}/status/switch:0", self.prefix),
                s.to_string(),
                false,
            ),
        );
    }

    fn status(&mut self, t: f64, source: &str) -> Value {
        let w = if self.on {
            1995.0 + gaussian(&mut self.rng, 8.0)
        } else {
            0.0
        };
        let p = self.power.read(t, w);
        let e = epoch(self.start, t);
        // The relay and shunt warm the device 6 °C above its idle 38 °C while the boiler draws
        // 2 kW, with the lag of its mass (ten minutes): a switch off for one report does not
        // cool it 6 °C at once. (Under the state it had since the last report: a report
        // follows each switch, so the new state starts now.)
        let (temp, since, was_on) = self.temp;
        let target = 38.0 + if was_on { 6.0 } else { 0.0 };
        let temp =
            temp + (target - temp) * (1.0 - (-(t - since).max(0.0) / SHELLY_TEMP_TAU_S).exp());
        self.temp = (temp, t, self.on);
        json!({
            "id": 0, "source": source, "output": self.on, "apower": p,
            "voltage": quantise(230.5 + gaussian(&mut self.rng, 0.8), 0.1), "freq": 50.0,
            "current": quantise(p / 230.0, 0.001),
            "aenergy": {"total": quantise(self.energy_wh, 0.001), "by_minute": [quantise(w / 60.0 * 1000.0, 0.001), 0.0, 0.0], "minute_ts": (e / 60.0).floor() * 60.0},
            "temperature": {"tC": quantise(temp + gaussian(&mut self.rng, 0.2), 0.1), "tF": quantise(temp * 1.8 + 32.0, 0.1)}
        })
    }
}

impl Device for ShellyBoiler {
    fn advance(&mut self, now: f64, until: f64, env: &Env, sink: &mut Sink) {
        let (c, d) = (self.client, self.device);
        match self.down.link(&mut self.connected, now, until, sink, c, d) {
            Link::Down => {
                while self.minute.due(until, &mut self.rng).is_some() {}
                while self.sys.due(until, &mut self.rng).is_some() {}
                return;
            }
            Link::Connected(t) => {
                sink.publish(
                    t,
                    c,
                    d,
                    Msg::new(format!("{}/online", self.prefix), "true", true),
                );
                self.publish_status(t, t + 0.2, "init", sink);
            }
            Link::Up => {}
        }
        // Switches and the minute's energy in time order: a Shelly's aenergy.total only
        // grows, and a report at a switch carries the total of the minutes before it.
        while let Some(t) = self.minute.due(until, &mut self.rng) {
            self.switch_until(t, env, sink);
            if self.on {
                self.energy_wh += 1995.0 / 60.0;
                self.publish_status(t, t, "timer", sink);
            }
        }
        self.switch_until(until, env, sink);
        while let Some(t) = self.sys.due(until, &mut self.rng) {
            let e = epoch(self.start, t).floor();
            let sys = json!({
                "mac": self.prefix[14..].to_uppercase(), "restart_required": false, "time": at(self.start, t).format("%H:%M").to_string(),
                "unixtime": e, "uptime": t.floor(), "ram_size": 246_284, "ram_free": 148_000 + self.rng.u32(0..4000),
                "fs_size": 458_752, "fs_free": 135_168, "cfg_rev": 12, "kvs_rev": 0, "schedule_rev": 0, "webhook_rev": 0,
                "available_updates": {}
            });
            sink.publish(
                t,
                c,
                d,
                Msg::new(
                    format!("{}/status/sys", self.prefix),
                    sys.to_string(),
                    false,
                ),
            );
        }
    }

    fn probes(&mut self) -> Vec<&mut Probe> {
        vec![&mut self.power]
    }

    fn device_faults(&self) -> &'static [FaultKind] {
        &[FaultKind::Offline]
    }

    fn inject(&mut self, kind: FaultKind, start: f64, end: f64, rng: &mut Rng) -> Vec<TruthFault> {
        down_faults(
            &mut self.down,
            kind,
            start,
            end,
            rng,
            self.start,
            "boiler_switch",
            &format!("{}/online", self.prefix),
        )
    }
}
