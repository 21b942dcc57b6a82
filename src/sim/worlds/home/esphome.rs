use super::prelude::*;
use crate::sim::worlds::signal::Link;

/// An ESPHome node in the greenhouse: air (DHT22 and BME280), three soil probes (DS18B20),
/// a door, a fan, Wi-Fi signal, uptime and its debug log.
pub(super) struct EspGreenhouse {
    client: usize,
    device: usize,
    start: chrono::DateTime<chrono::Utc>,
    room: usize,
    dht: Probe,
    dht_h: Probe,
    bme: Probe,
    soil: Vec<(Probe, f64, Wander)>,
    tick: Ticker,
    fan: bool,
    door: bool,
    connected: bool,
    boot_at: f64,
    down: Downtime,
    /// Seconds at which the DHT fails to answer (it sends `nan`).
    dht_fails: Vec<f64>,
    rng: Rng,
}

pub(super) const NODE: &str = "greenhouse";

impl EspGreenhouse {
    pub(super) fn new(b: &mut Builder, env: &Env) -> EspGreenhouse {
        let mut rng = Rng::with_seed(b.seed());
        let client = b.client(
            NODE,
            Some(Msg::new(format!("{NODE}/status"), "offline", true)),
            15,
        );
        let device = b.device(NODE, "esphome", "will", Some(30.0));
        let st = |c: &str, o: &str| format!("{NODE}/{c}/{o}/state");
        let dht = b.probe(
            device,
            &st("sensor", "greenhouse_temperature"),
            "value",
            "quantised",
            0.1,
            "steady",
            FIRMWARE_FAULTS,
        );
        let dht_h = b
            .probe(
                device,
                &st("sensor", "greenhouse_humidity"),
                "value",
                "quantised",
                0.1,
                "steady",
                &[FaultKind::Stuck, FaultKind::Spike],
            )
            .scale(4.0);
        let bme = b.probe(
            device,
            &st("sensor", "greenhouse_bme_temperature"),
            "value",
            "quantised",
            0.1,
            "steady",
            PROBE_FAULTS,
        );
        let mut soil = Vec::new();
        for i in 1..=3 {
            let p = b
                .probe(
                    device,
                    &st("sensor", &format!("soil_bed_{i}")),
                    "value",
                    "quantised",
                    0.0625,
                    "steady",
                    DS18B20_FAULTS,
                )
                .out_of_range(85.0);
            soil.push((p, gaussian(&mut rng, 0.3), Wander::new(0.02, 0.98)));
        }
        b.series(
            device,
            &st("sensor", "greenhouse_wifi_signal"),
            "value",
            "diagnostic",
            Some(1.0),
            "steady",
        );
        b.series(
            device,
            &st("sensor", "greenhouse_uptime"),
            "value",
            "counter",
            Some(1.0),
            "steady",
        );
        let mut dht_fails = Vec::new();
        let n = (b.duration_s / 3600.0 * 0.5).ceil() as usize;
        for _ in 0..n {
            dht_fails.push(b.rng.f64() * b.duration_s);
        }
        EspGreenhouse {
            client,
            device,
            start: b.start,
            room: env.room("greenhouse"),
            dht,
            dht_h,
            bme,
            soil,
            tick: Ticker::new(60.0, 0.005, &mut rng),
            fan: false,
            door: false,
            connected: false,
            boot_at: 0.0,
            down: Downtime::default(),
            dht_fails,
            rng,
        }
    }

    fn configs(&self) -> Vec<Msg> {
        let dev = json!({"ids": "e8db84a1b2c3", "name": NODE, "sw": "esphome v2024.6.1 Jun 20 2024, 10:00:00", "mdl": "esp32dev", "mf": "espressif"});
        let mut out = Vec::new();
        let sensors = [
            (
                "greenhouse_temperature",
                "Greenhouse Temperature",
                "temperature",
                "°C",
            ),
            (
                "greenhouse_humidity",
                "Greenhouse Humidity",
                "humidity",
                "%",
            ),
            (
                "greenhouse_bme_temperature",
                "Greenhouse BME Temperature",
                "temperature",
                "°C",
            ),
            ("soil_bed_1", "Soil Bed 1", "temperature", "°C"),
            ("soil_bed_2", "Soil Bed 2", "temperature", "°C"),
            ("soil_bed_3", "Soil Bed 3", "temperature", "°C"),
            (
                "greenhouse_wifi_signal",
                "Greenhouse WiFi Signal",
                "signal_strength",
                "dBm",
            ),
            ("greenhouse_uptime", "Greenhouse Uptime", "duration", "s"),
        ];
        for (obj, name, class, unit) in sensors {
            let cfg = json!({"dev_cla": class, "unit_of_meas": unit, "stat_cla": "measurement", "name": name,
                "stat_t": format!("{NODE}/sensor/{obj}/state"), "avty_t": format!("{NODE}/status"),
                "uniq_id": format!("ESPsensor{obj}"), "dev": dev});
            out.push(Msg::new(
                format!("homeassistant/sensor/{NODE}/{obj}/config"),
                cfg.to_string(),
                true,
            ));
        }
        let door = json!({"dev_cla": "door", "name": "Greenhouse Door", "stat_t": format!("{NODE}/binary_sensor/greenhouse_door/state"),
            "avty_t": format!("{NODE}/status"), "uniq_id": "ESPbinary_sensorgreenhouse_door", "dev": dev});
        out.push(Msg::new(
            format!("homeassistant/binary_sensor/{NODE}/greenhouse_door/config"),
            door.to_string(),
            true,
        ));
        let fan = json!({"name": "Greenhouse Fan", "stat_t": format!("{NODE}/switch/greenhouse_fan/state"), "cmd_t": format!("{NODE}/switch/greenhouse_fan/command"),
            "avty_t": format!("{NODE}/status"), "uniq_id": "ESPswitchgreenhouse_fan", "dev": dev});
        out.push(Msg::new(
            format!("homeassistant/switch/{NODE}/greenhouse_fan/config"),
            fan.to_string(),
            true,
        ));
        out
    }
}

impl Device for EspGreenhouse {
    fn advance(&mut self, now: f64, until: f64, env: &Env, sink: &mut Sink) {
        let (c, d) = (self.client, self.device);
        match self.down.link(&mut self.connected, now, until, sink, c, d) {
            Link::Down => {
                while self.tick.due(until, &mut self.rng).is_some() {}
                return;
            }
            Link::Connected(t) => {
                sink.publish(t, c, d, Msg::new(format!("{NODE}/status"), "online", true));
                for m in self.configs() {
                    sink.publish(t + 0.1, c, d, m);
                }
                sink.publish(
                    t + 0.2,
                    c,
                    d,
                    Msg::new(
                        format!("{NODE}/binary_sensor/greenhouse_door/state"),
                        if self.door { "ON" } else { "OFF" },
                        true,
                    ),
                );
                sink.publish(
                    t + 0.2,
                    c,
                    d,
                    Msg::new(
                        format!("{NODE}/switch/greenhouse_fan/state"),
                        if self.fan { "ON" } else { "OFF" },
                        true,
                    ),
                );
                self.boot_at = t;
            }
            Link::Up => {}
        }
        let rng = &mut self.rng;
        while let Some(t) = self.tick.due(until, rng) {
            let air = env.temp(self.room, t);
            let pub_ = |sink: &mut Sink, topic: &str, v: String, dt: f64| {
                sink.publish(
                    t + dt,
                    c,
                    d,
                    Msg::new(format!("{NODE}/sensor/{topic}/state"), v, false),
                );
            };
            let fail = self.dht_fails.iter().any(|f| t >= *f && t < *f + 60.0);
            if fail {
                pub_(sink, "greenhouse_temperature", "nan".into(), 0.0);
                pub_(sink, "greenhouse_humidity", "nan".into(), 0.01);
                sink.publish(
                    t,
                    c,
                    d,
                    Msg::new(
                        format!("{NODE}/debug"),
                        "[W][dht:174]: Requesting data from DHT failed!",
                        false,
                    ),
                );
            } else {
                let x = self.dht.read(t, air + gaussian(rng, 0.05));
                pub_(sink, "greenhouse_temperature", fmt(x, 0.1), 0.0);
                let h = self
                    .dht_h
                    .read(t, env.humidity(self.room, t) + gaussian(rng, 0.4));
                pub_(
                    sink,
                    "greenhouse_humidity",
                    fmt(h.clamp(0.0, 99.9), 0.1),
                    0.01,
                );
                sink.publish(t, c, d, Msg::new(format!("{NODE}/debug"), format!("[D][sensor:093]: 'Greenhouse Temperature': Sending state {x:.5} °C with 1 decimals of accuracy"), false));
            }
            let b = self.bme.read(t, air + 0.3 + gaussian(rng, 0.02));
            pub_(sink, "greenhouse_bme_temperature", fmt(b, 0.1), 0.02);
            for (i, (p, off, w)) in self.soil.iter_mut().enumerate() {
                // Soil follows the air slowly (a lagged, damped copy).
                let soil = 10.0 + (air - 10.0) * 0.35 + *off + w.next(rng);
                let v = p.read(t, soil);
                pub_(
                    sink,
                    &format!("soil_bed_{}", i + 1),
                    format!("{v:.2}"),
                    0.03 + i as f64 * 0.01,
                );
            }
            pub_(
                sink,
                "greenhouse_wifi_signal",
                format!("{}", -67 + rng.i32(-4..4)),
                0.05,
            );
            pub_(
                sink,
                "greenhouse_uptime",
                // (A sample taken in the step the node came back in may precede its boot.)
                format!("{}", (t - self.boot_at).max(0.0).floor()),
                0.06,
            );
            // The fan runs when it is warm; the door is opened now and then by day.
            let want_fan = air > 24.0;
            if want_fan != self.fan {
                self.fan = want_fan;
                sink.publish(
                    t + 0.07,
                    c,
                    d,
                    Msg::new(
                        format!("{NODE}/switch/greenhouse_fan/state"),
                        if self.fan { "ON" } else { "OFF" },
                        true,
                    ),
                );
            }
            let h = env.hour(t);
            let want_door =
                (9.0..17.0).contains(&h) && rng.f64() < if self.door { 0.7 } else { 0.01 };
            if want_door != self.door {
                self.door = want_door;
                sink.publish(
                    t + 0.08,
                    c,
                    d,
                    Msg::new(
                        format!("{NODE}/binary_sensor/greenhouse_door/state"),
                        if self.door { "ON" } else { "OFF" },
                        true,
                    ),
                );
            }
        }
    }

    fn probes(&mut self) -> Vec<&mut Probe> {
        let mut v = vec![&mut self.dht, &mut self.dht_h, &mut self.bme];
        for (p, _, _) in &mut self.soil {
            v.push(p);
        }
        v
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
            NODE,
            &format!("{NODE}/status"),
        )
    }
}
