use super::prelude::*;
use crate::sim::worlds::signal::Link;

/// A Tasmota plug under the fridge: the compressor cycles, ENERGY every TelePeriod.
pub(super) struct TasmotaFridge {
    client: usize,
    device: usize,
    topic: String,
    mac: String,
    start: chrono::DateTime<chrono::Utc>,
    tele: Ticker,
    power: Probe,
    total: Probe,
    on_until: f64,
    off_until: f64,
    compressor: bool,
    total_kwh: f64,
    today_kwh: f64,
    yesterday_kwh: f64,
    last_day: i64,
    down: Downtime,
    connected: bool,
    boots: u32,
    rng: Rng,
}

impl TasmotaFridge {
    pub(super) fn new(b: &mut Builder) -> TasmotaFridge {
        let mut rng = Rng::with_seed(b.seed());
        let id = format!("{:06X}", rng.u32(..0xFFFFFF));
        let topic = format!("tasmota_{id}");
        let client = b.client(
            &format!("DVES_{id}"),
            Some(Msg::new(format!("tele/{topic}/LWT"), "Offline", true)),
            30,
        );
        let device = b.device("fridge_plug", "tasmota", "will", Some(45.0));
        let sensor = format!("tele/{topic}/SENSOR");
        let power = b
            .probe(
                device,
                &sensor,
                "ENERGY.Power",
                "power",
                1.0,
                "steady",
                &[FaultKind::Spike, FaultKind::Stuck],
            )
            .scale(40.0)
            .derives(&[
                "ENERGY.ApparentPower",
                "ENERGY.ReactivePower",
                "ENERGY.Current",
            ]);
        let total = b.probe(
            device,
            &sensor,
            "ENERGY.Total",
            "counter",
            0.001,
            "steady",
            COUNTER_FAULTS,
        );
        for f in ["ENERGY.Today", "ENERGY.Yesterday"] {
            b.series(device, &sensor, f, "counter", Some(0.001), "steady");
        }
        for f in [
            "ENERGY.ApparentPower",
            "ENERGY.ReactivePower",
            "ENERGY.Current",
            "ENERGY.Period",
        ] {
            b.series(device, &sensor, f, "power", None, "steady");
        }
        b.series(
            device,
            &sensor,
            "ENERGY.Factor",
            "power",
            Some(0.01),
            "steady",
        );
        b.series(
            device,
            &sensor,
            "ENERGY.Voltage",
            "continuous",
            Some(1.0),
            "steady",
        );
        let mac = format!("A4CF12{id}");
        b.series(
            device,
            &format!("tasmota/discovery/{mac}/config"),
            "*",
            "description",
            None,
            "event",
        );
        b.series(
            device,
            &format!("tasmota/discovery/{mac}/sensors"),
            "*",
            "description",
            None,
            "event",
        );
        for info in ["INFO1", "INFO2", "INFO3"] {
            b.series(
                device,
                &format!("tele/{topic}/{info}"),
                "*",
                "description",
                None,
                "event",
            );
        }
        let state = format!("tele/{topic}/STATE");
        for (f, c) in [
            ("UptimeSec", "counter"),
            ("Heap", "diagnostic"),
            ("Sleep", "setpoint"),
            ("LoadAvg", "diagnostic"),
            ("MqttCount", "counter"),
            ("Wifi.AP", "setpoint"),
            ("Wifi.Channel", "setpoint"),
            ("Wifi.RSSI", "diagnostic"),
            ("Wifi.Signal", "diagnostic"),
            ("Wifi.LinkCount", "counter"),
        ] {
            b.series(device, &state, f, c, None, "steady");
        }
        TasmotaFridge {
            client,
            device,
            mac: format!("A4CF12{id}"),
            topic,
            start: b.start,
            tele: Ticker::new(60.0, 0.0, &mut rng),
            power,
            total,
            on_until: 0.0,
            off_until: 600.0 * rng.f64(),
            compressor: false,
            total_kwh: 200.0 + rng.f64() * 300.0,
            today_kwh: 0.3,
            yesterday_kwh: 1.05,
            last_day: -1,
            down: Downtime::default(),
            connected: false,
            boots: 1,
            rng,
        }
    }

    fn boot(&mut self, t: f64, sink: &mut Sink) {
        let (c, d, tp) = (self.client, self.device, self.topic.clone());
        sink.publish(t, c, d, Msg::new(format!("tele/{tp}/LWT"), "Online", true));
        sink.publish(
            t + 0.1,
            c,
            d,
            Msg::new(format!("cmnd/{tp}/POWER"), "", false),
        );
        let info1 = json!({"Info1": {"Module": "Gosund SP111", "Version": "13.4.0(release-tasmota)", "FallbackTopic": format!("cmnd/DVES_{}_fb/", &self.mac[6..]), "GroupTopic": "cmnd/tasmotas/"}});
        sink.publish(
            t + 0.2,
            c,
            d,
            Msg::new(format!("tele/{tp}/INFO1"), info1.to_string(), false),
        );
        let info2 = json!({"Info2": {"WebServerMode": "Admin", "Hostname": format!("tasmota-{}-1234", &self.mac[6..]), "IPAddress": "192.168.1.52"}});
        sink.publish(
            t + 0.3,
            c,
            d,
            Msg::new(format!("tele/{tp}/INFO2"), info2.to_string(), false),
        );
        let info3 = json!({"Info3": {"RestartReason": if self.boots == 1 { "Power On" } else { "Software Watchdog" }, "BootCount": 17 + self.boots}});
        sink.publish(
            t + 0.4,
            c,
            d,
            Msg::new(format!("tele/{tp}/INFO3"), info3.to_string(), false),
        );
        sink.publish(
            t + 0.5,
            c,
            d,
            Msg::new(format!("stat/{tp}/RESULT"), r#"{"POWER":"ON"}"#, false),
        );
        sink.publish(
            t + 0.5,
            c,
            d,
            Msg::new(format!("stat/{tp}/POWER"), "ON", false),
        );
        let cfg = json!({
            "ip": "192.168.1.52", "dn": "Fridge", "fn": ["Fridge", null, null, null, null, null, null, null],
            "hn": format!("tasmota-{}-1234", &self.mac[6..]), "mac": self.mac, "md": "Gosund SP111", "ty": 0, "if": 0,
            "ofln": "Offline", "onln": "Online", "state": ["OFF", "ON", "TOGGLE", "HOLD"], "sw": "13.4.0",
            "t": tp, "ft": "%prefix%/%topic%/", "tp": ["cmnd", "stat", "tele"],
            "rl": [1, 0, 0, 0, 0, 0, 0, 0], "swc": [-1, -1, -1, -1, -1, -1, -1, -1], "swn": [null, null, null, null, null, null, null, null],
            "btn": [0, 0, 0, 0, 0, 0, 0, 0], "so": {"4": 0, "11": 0, "13": 0, "17": 0, "20": 0, "30": 0, "68": 0, "73": 0, "82": 0, "114": 0, "117": 0},
            "lk": 0, "lt_st": 0, "sho": [0, 0, 0, 0], "sht": [[0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0]], "ver": 1
        });
        sink.publish(
            t + 0.6,
            c,
            d,
            Msg::new(
                format!("tasmota/discovery/{}/config", self.mac),
                cfg.to_string(),
                true,
            ),
        );
        let sensors = json!({"sn": {"Time": local(self.start, t), "ENERGY": {"TotalStartTime": "2025-06-01T10:00:00", "Total": 0.0, "Yesterday": 0.0, "Today": 0.0, "Power": 0, "ApparentPower": 0, "ReactivePower": 0, "Factor": 0.0, "Voltage": 0, "Current": 0.0}}, "ver": 1});
        sink.publish(
            t + 0.6,
            c,
            d,
            Msg::new(
                format!("tasmota/discovery/{}/sensors", self.mac),
                sensors.to_string(),
                true,
            ),
        );
    }
}

impl Device for TasmotaFridge {
    fn advance(&mut self, now: f64, until: f64, env: &Env, sink: &mut Sink) {
        let (c, d) = (self.client, self.device);
        match self.down.link(&mut self.connected, now, until, sink, c, d) {
            Link::Down => {
                while self.tele.due(until, &mut self.rng).is_some() {}
                return;
            }
            Link::Connected(t) => {
                self.boots += 1;
                self.boot(t, sink);
            }
            Link::Up => {}
        }
        let rng = &mut self.rng;
        while let Some(t) = self.tele.due(until, rng) {
            // Compressor: about 15 min on, 25 min off; a start-up surge in its first seconds.
            let mut surge = false;
            if self.compressor && t >= self.on_until {
                self.compressor = false;
                self.off_until = t + 1200.0 + rng.f64() * 600.0 + (env.temp(0, t) - 20.0) * 30.0;
            } else if !self.compressor && t >= self.off_until {
                self.compressor = true;
                surge = rng.f64() < 0.3;
                self.on_until = t + 780.0 + rng.f64() * 240.0;
            }
            let w = if surge {
                380.0 + rng.f64() * 120.0
            } else if self.compressor {
                82.0 + gaussian(rng, 2.0)
            } else {
                0.0
            };
            self.total_kwh += w * 60.0 / 3_600_000.0;
            let day = ((env.tod0 + t) / 86_400.0).floor() as i64;
            if self.last_day >= 0 && day != self.last_day {
                self.yesterday_kwh = self.today_kwh;
                self.today_kwh = 0.0;
            }
            self.last_day = day;
            self.today_kwh += w * 60.0 / 3_600_000.0;
            let p = self.power.read(t, w);
            let voltage = quantise(231.0 + gaussian(rng, 1.2), 1.0);
            let factor: f64 = if p > 0.0 { 0.71 } else { 0.0 };
            let apparent = quantise(p / factor.max(0.01) * if p > 0.0 { 1.0 } else { 0.0 }, 1.0);
            let (c, d, tp) = (self.client, self.device, &self.topic);
            let energy = json!({
                "TotalStartTime": "2025-06-01T10:00:00", "Total": self.total.read(t, self.total_kwh),
                "Yesterday": quantise(self.yesterday_kwh, 0.001), "Today": quantise(self.today_kwh, 0.001),
                "Period": quantise(w * 60.0 / 3600.0, 1.0), "Power": p, "ApparentPower": apparent,
                "ReactivePower": quantise((apparent * apparent - p * p).max(0.0).sqrt(), 1.0),
                "Factor": factor, "Voltage": voltage, "Current": quantise(apparent / voltage, 0.001)
            });
            sink.publish(
                t,
                c,
                d,
                Msg::new(
                    format!("tele/{tp}/SENSOR"),
                    json!({"Time": local(self.start, t), "ENERGY": energy}).to_string(),
                    false,
                ),
            );
            if (t / 60.0).round() as i64 % 5 == 0 {
                let up = t as i64;
                let state = json!({
                    "Time": local(self.start, t), "Uptime": format!("{}T{:02}:{:02}:{:02}", up / 86400, up % 86400 / 3600, up % 3600 / 60, up % 60),
                    "UptimeSec": up, "Heap": 25 + rng.u32(0..4), "SleepMode": "Dynamic", "Sleep": 50, "LoadAvg": 19, "MqttCount": self.boots,
                    "POWER": "ON", "Wifi": {"AP": 1, "SSId": "home", "BSSId": "AA:BB:CC:11:22:33", "Channel": 6, "Mode": "11n",
                    "RSSI": 60 + rng.u32(0..10), "Signal": -72 + rng.i32(0..6), "LinkCount": self.boots, "Downtime": "0T00:00:03"}
                });
                sink.publish(
                    t + 0.01,
                    c,
                    d,
                    Msg::new(format!("tele/{tp}/STATE"), state.to_string(), false),
                );
            }
        }
    }

    fn probes(&mut self) -> Vec<&mut Probe> {
        vec![&mut self.power, &mut self.total]
    }

    fn device_faults(&self) -> &'static [FaultKind] {
        &[FaultKind::Offline, FaultKind::Flapping]
    }

    fn inject(&mut self, kind: FaultKind, start: f64, end: f64, rng: &mut Rng) -> Vec<TruthFault> {
        down_faults(
            &mut self.down,
            kind,
            start,
            end,
            rng,
            self.start,
            "fridge_plug",
            &format!("tele/{}/LWT", self.topic),
        )
    }
}
