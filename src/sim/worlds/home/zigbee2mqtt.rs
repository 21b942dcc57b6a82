use super::prelude::*;

/// What kind of Zigbee device (a handful per world: their size does not matter).
#[allow(clippy::large_enum_variant)]
pub(super) enum ZKind {
    Climate {
        room: usize,
        temp: Probe,
        hum: Probe,
        pressure: Option<Probe>,
        wander: Wander,
        oc_t: OnChange,
        oc_h: OnChange,
        sample: Ticker,
        /// What it measured at its last sample (with its faults): what it reports.
        measured: (f64, f64),
    },
    Contact {
        room: usize,
        open: bool,
        next_change: f64,
        /// Open for someone walking through, until then.
        opened_until: f64,
    },
    Motion {
        room: usize,
        occupied_until: f64,
        last_report: f64,
        next_motion: f64,
    },
    Plug {
        power: Probe,
        energy: Probe,
        phase: usize,
        phase_end: f64,
        kwh: f64,
        oc_p: OnChange,
        energy_tick: Ticker,
        sample: Ticker,
        measured: f64,
    },
    Light {
        tick: Ticker,
        on: bool,
    },
}

/// One Zigbee device behind the bridge.
pub(super) struct ZDevice {
    name: &'static str,
    ieee: String,
    model: &'static str,
    vendor: &'static str,
    device: usize,
    battery: Option<f64>,
    mains: bool,
    lq: f64,
    heartbeat: Ticker,
    kind: ZKind,
    down: Downtime,
    /// Said offline by the bridge (availability).
    said_offline: bool,
    /// When the battery started dying (BatteryDying).
    dying: Option<(f64, f64)>,
    outage_count: u32,
}

/// Zigbee2MQTT: the bridge and the mesh behind it, one MQTT client.
pub(super) struct Zigbee2Mqtt {
    client: usize,
    bridge: usize,
    start: chrono::DateTime<chrono::Utc>,
    devices: Vec<ZDevice>,
    rng: Rng,
    started: bool,
}

impl Zigbee2Mqtt {
    pub(super) fn new(b: &mut Builder, env: &Env) -> Zigbee2Mqtt {
        let client = b.client(
            "zigbee2mqtt_4f3a2c1b",
            Some(Msg::new(z("bridge/state"), r#"{"state":"offline"}"#, true)),
            60,
        );
        let bridge = b.device("zigbee2mqtt bridge", "zigbee2mqtt", "will", Some(90.0));
        b.series(bridge, &z("bridge/info"), "*", "description", None, "event");
        b.series(
            bridge,
            &z("bridge/devices"),
            "*",
            "description",
            None,
            "event",
        );
        let mut rng = Rng::with_seed(b.seed());
        let mut devices = Vec::new();
        let ieee = |n: u64| format!("0x00158d000{:07x}", 0x1a2b3c0 + n);
        let avail_battery = Some(25.0 * 3600.0);
        let avail_mains = Some(660.0);
        // Bathroom: Aqara climate sensor (temperature, humidity, pressure).
        let d = b.device("bathroom", "zigbee2mqtt", "availability", avail_battery);
        let topic = z("bathroom");
        let temp = b
            .probe(
                d,
                &topic,
                "temperature",
                "continuous",
                0.01,
                "on_change",
                PROBE_FAULTS,
            )
            .scale(1.0);
        let hum = b
            .probe(
                d,
                &topic,
                "humidity",
                "continuous",
                0.01,
                "on_change",
                &[FaultKind::Stuck, FaultKind::Spike],
            )
            .scale(5.0);
        let pressure = b
            .probe(d, &topic, "pressure", "continuous", 0.1, "on_change", &[])
            .scale(2.0);
        for (f, c) in [
            ("battery", "battery"),
            ("voltage", "battery"),
            ("linkquality", "diagnostic"),
            ("power_outage_count", "counter"),
        ] {
            b.series(d, &topic, f, c, None, "on_change");
        }
        let room = env.room("bathroom");
        devices.push(ZDevice {
            name: "bathroom",
            ieee: ieee(1),
            model: "WSDCGQ11LM",
            vendor: "Aqara",
            device: d,
            battery: Some(91.0),
            mains: false,
            lq: 87.0,
            heartbeat: Ticker::new(3000.0, 0.05, &mut rng),
            kind: ZKind::Climate {
                room,
                temp,
                hum,
                pressure: Some(pressure),
                wander: Wander::new(0.05, 0.95),
                oc_t: OnChange::new(0.5, 5.0, 3000.0),
                oc_h: OnChange::new(6.0, 5.0, 3000.0),
                sample: Ticker::new(10.0, 0.1, &mut rng),
                measured: (f64::NAN, f64::NAN),
            },
            down: Downtime::default(),
            said_offline: false,
            dying: None,
            outage_count: 3,
        });
        // Bedroom and living room: Sonoff SNZB-02 (temperature, humidity).
        for (name, room_name, n) in [
            ("bedroom", "bedroom", 2),
            ("living_room_climate", "living_room", 3),
        ] {
            let d = b.device(name, "zigbee2mqtt", "availability", avail_battery);
            let topic = z(name);
            let temp = b
                .probe(
                    d,
                    &topic,
                    "temperature",
                    "continuous",
                    0.01,
                    "on_change",
                    PROBE_FAULTS,
                )
                .scale(1.0);
            let hum = b
                .probe(
                    d,
                    &topic,
                    "humidity",
                    "continuous",
                    0.01,
                    "on_change",
                    &[FaultKind::Stuck],
                )
                .scale(5.0);
            for (f, c) in [
                ("battery", "battery"),
                ("voltage", "battery"),
                ("linkquality", "diagnostic"),
            ] {
                b.series(d, &topic, f, c, None, "on_change");
            }
            devices.push(ZDevice {
                name,
                ieee: ieee(n),
                model: "SNZB-02",
                vendor: "SONOFF",
                device: d,
                battery: Some(100.0),
                mains: false,
                lq: 100.0 + rng.f64() * 60.0,
                heartbeat: Ticker::new(3600.0, 0.02, &mut rng),
                kind: ZKind::Climate {
                    room: env.room(room_name),
                    temp,
                    hum,
                    pressure: None,
                    wander: Wander::new(0.04, 0.95),
                    oc_t: OnChange::new(0.2, 10.0, 3600.0),
                    oc_h: OnChange::new(2.0, 10.0, 3600.0),
                    sample: Ticker::new(10.0, 0.1, &mut rng),
                    measured: (f64::NAN, f64::NAN),
                },
                down: Downtime::default(),
                said_offline: false,
                dying: None,
                outage_count: 0,
            });
        }
        // The front door's contact sensor.
        let d = b.device("front_door", "zigbee2mqtt", "availability", avail_battery);
        let topic = z("front_door");
        b.series(
            d,
            &topic,
            "device_temperature",
            "quantised",
            Some(1.0),
            "on_change",
        );
        for (f, c) in [
            ("battery", "battery"),
            ("voltage", "battery"),
            ("linkquality", "diagnostic"),
            ("power_outage_count", "counter"),
        ] {
            b.series(d, &topic, f, c, None, "on_change");
        }
        devices.push(ZDevice {
            name: "front_door",
            ieee: ieee(4),
            model: "MCCGQ11LM",
            vendor: "Aqara",
            device: d,
            battery: Some(100.0),
            mains: false,
            lq: 60.0,
            heartbeat: Ticker::new(3000.0, 0.05, &mut rng),
            kind: ZKind::Contact {
                room: env.room("hallway"),
                open: false,
                opened_until: -1.0,
                next_change: 1800.0 * rng.f64(),
            },
            down: Downtime::default(),
            said_offline: false,
            dying: None,
            outage_count: 7,
        });
        // The hallway's motion sensor.
        let d = b.device(
            "hallway_motion",
            "zigbee2mqtt",
            "availability",
            avail_battery,
        );
        let topic = z("hallway_motion");
        b.series(d, &topic, "illuminance", "on_change", Some(1.0), "event");
        b.series(
            d,
            &topic,
            "illuminance_lux",
            "on_change",
            Some(1.0),
            "event",
        );
        b.series(
            d,
            &topic,
            "device_temperature",
            "quantised",
            Some(1.0),
            "event",
        );
        for (f, c) in [
            ("battery", "battery"),
            ("voltage", "battery"),
            ("linkquality", "diagnostic"),
        ] {
            b.series(d, &topic, f, c, None, "event");
        }
        devices.push(ZDevice {
            name: "hallway_motion",
            ieee: ieee(5),
            model: "RTCGQ11LM",
            vendor: "Aqara",
            device: d,
            battery: Some(100.0),
            mains: false,
            lq: 78.0,
            heartbeat: Ticker::new(3000.0, 0.05, &mut rng),
            kind: ZKind::Motion {
                room: env.room("hallway"),
                occupied_until: -1.0,
                last_report: -1e9,
                next_motion: 120.0 * rng.f64(),
            },
            down: Downtime::default(),
            said_offline: false,
            dying: None,
            outage_count: 0,
        });
        // The washing machine's plug (mains: a router, pinged by the bridge).
        let d = b.device("washer_plug", "zigbee2mqtt", "availability", avail_mains);
        let topic = z("washer_plug");
        let power = b
            .probe(
                d,
                &topic,
                "power",
                "power",
                1.0,
                "on_change",
                &[FaultKind::Spike, FaultKind::Stuck],
            )
            .scale(50.0)
            .derives(&["current"]);
        let energy = b
            .probe(
                d,
                &topic,
                "energy",
                "counter",
                0.01,
                "on_change",
                COUNTER_FAULTS,
            )
            .scale(1.0);
        for (f, c) in [
            ("voltage", "continuous"),
            ("current", "power"),
            ("linkquality", "diagnostic"),
        ] {
            b.series(d, &topic, f, c, None, "on_change");
        }
        devices.push(ZDevice {
            name: "washer_plug",
            ieee: format!("0xa4c13800{:08x}", rng.u32(..)),
            model: "TS011F_plug_1",
            vendor: "TuYa",
            device: d,
            battery: None,
            mains: true,
            lq: 120.0,
            heartbeat: Ticker::new(600.0, 0.0, &mut rng),
            kind: ZKind::Plug {
                power,
                energy,
                phase: 0,
                phase_end: 0.0,
                kwh: 12.0 + rng.f64() * 50.0,
                oc_p: OnChange::new(5.0, 10.0, 600.0),
                energy_tick: Ticker::new(300.0, 0.0, &mut rng),
                sample: Ticker::new(5.0, 0.1, &mut rng),
                measured: 0.4,
            },
            down: Downtime::default(),
            said_offline: false,
            dying: None,
            outage_count: 0,
        });
        // The living room's bulb: it reports its state every minute, in pairs.
        let d = b.device(
            "living_room_lamp",
            "zigbee2mqtt",
            "availability",
            avail_mains,
        );
        let topic = z("living_room_lamp");
        b.series(d, &topic, "brightness", "level", Some(1.0), "steady");
        b.series(d, &topic, "color_temp", "level", Some(1.0), "steady");
        b.series(d, &topic, "linkquality", "diagnostic", None, "steady");
        b.series(
            d,
            &topic,
            "update.installed_version",
            "identifier",
            None,
            "steady",
        );
        b.series(
            d,
            &topic,
            "update.latest_version",
            "identifier",
            None,
            "steady",
        );
        devices.push(ZDevice {
            name: "living_room_lamp",
            ieee: format!("0x000d6ffff{:07x}", rng.u32(..) & 0xfffffff),
            model: "LED1623G12",
            vendor: "IKEA",
            device: d,
            battery: None,
            mains: true,
            lq: 81.0,
            heartbeat: Ticker::new(600.0, 0.0, &mut rng),
            kind: ZKind::Light {
                tick: Ticker::new(60.0, 0.02, &mut rng),
                on: false,
            },
            down: Downtime::default(),
            said_offline: false,
            dying: None,
            outage_count: 0,
        });
        Zigbee2Mqtt {
            client,
            bridge,
            start: b.start,
            devices,
            rng,
            started: false,
        }
    }

    fn discovery(&self, d: &ZDevice) -> Vec<Msg> {
        let fields: &[(&str, &str, &str, &str)] = match d.kind {
            ZKind::Climate {
                pressure: Some(_), ..
            } => &[
                ("sensor", "temperature", "temperature", "°C"),
                ("sensor", "humidity", "humidity", "%"),
                ("sensor", "pressure", "pressure", "hPa"),
                ("sensor", "battery", "battery", "%"),
            ],
            ZKind::Climate { .. } => &[
                ("sensor", "temperature", "temperature", "°C"),
                ("sensor", "humidity", "humidity", "%"),
                ("sensor", "battery", "battery", "%"),
            ],
            ZKind::Contact { .. } => &[
                ("binary_sensor", "contact", "door", ""),
                ("sensor", "battery", "battery", "%"),
            ],
            ZKind::Motion { .. } => &[
                ("binary_sensor", "occupancy", "motion", ""),
                ("sensor", "illuminance_lux", "illuminance", "lx"),
            ],
            ZKind::Plug { .. } => &[
                ("switch", "state", "outlet", ""),
                ("sensor", "power", "power", "W"),
                ("sensor", "energy", "energy", "kWh"),
            ],
            ZKind::Light { .. } => &[("light", "light", "", "")],
        };
        let mut out = Vec::new();
        for (component, object, class, unit) in fields {
            let mut cfg = json!({
                "availability": [
                    {"topic": "zigbee2mqtt/bridge/state", "value_template": "{{ value_json.state }}"},
                    {"topic": format!("zigbee2mqtt/{}/availability", d.name), "value_template": "{{ value_json.state }}"}
                ],
                "availability_mode": "all",
                "device": {
                    "identifiers": [format!("zigbee2mqtt_{}", d.ieee)],
                    "manufacturer": d.vendor,
                    "model": d.model,
                    "name": d.name,
                    "via_device": "zigbee2mqtt_bridge_0x00124b0024c2b1a3"
                },
                "object_id": format!("{}_{}", d.name, object),
                "origin": {"name": "Zigbee2MQTT", "sw": "1.40.2", "url": "https://www.zigbee2mqtt.io"},
                "state_topic": z(d.name),
                "unique_id": format!("{}_{}_zigbee2mqtt", d.ieee, object),
            });
            let m = cfg.as_object_mut().expect("an object");
            match *component {
                "binary_sensor" => {
                    m.insert("device_class".into(), json!(class));
                    let (on, off) = if *object == "contact" {
                        (false, true)
                    } else {
                        (true, false)
                    };
                    m.insert("payload_on".into(), json!(on));
                    m.insert("payload_off".into(), json!(off));
                    m.insert(
                        "value_template".into(),
                        json!(format!("{{{{ value_json.{object} }}}}")),
                    );
                }
                "switch" => {
                    m.insert(
                        "command_topic".into(),
                        json!(format!("zigbee2mqtt/{}/set", d.name)),
                    );
                    m.insert("payload_on".into(), json!("ON"));
                    m.insert("payload_off".into(), json!("OFF"));
                    m.insert("value_template".into(), json!("{{ value_json.state }}"));
                }
                "light" => {
                    m.insert("schema".into(), json!("json"));
                    m.insert("brightness".into(), json!(true));
                    m.insert(
                        "command_topic".into(),
                        json!(format!("zigbee2mqtt/{}/set", d.name)),
                    );
                }
                _ => {
                    m.insert("device_class".into(), json!(class));
                    m.insert(
                        "state_class".into(),
                        json!(if *object == "energy" {
                            "total_increasing"
                        } else {
                            "measurement"
                        }),
                    );
                    m.insert("unit_of_measurement".into(), json!(unit));
                    m.insert(
                        "value_template".into(),
                        json!(format!("{{{{ value_json.{object} }}}}")),
                    );
                }
            }
            out.push(Msg::new(
                format!("homeassistant/{component}/{}/{object}/config", d.ieee),
                cfg.to_string(),
                true,
            ));
        }
        out
    }

    fn births(&mut self, t: f64, sink: &mut Sink) {
        let (c, br) = (self.client, self.bridge);
        sink.connect(t, c, br);
        sink.publish(
            t,
            c,
            br,
            Msg::new(z("bridge/state"), r#"{"state":"online"}"#, true),
        );
        let info = json!({
            "version": "1.40.2", "commit": "7f3b2c1",
            "coordinator": {"ieee_address": "0x00124b0024c2b1a3", "type": "zStack3x0", "meta": {"revision": 20230507, "transportrev": 2}},
            "network": {"channel": 15, "pan_id": 6754, "extended_pan_id": "0xdddddddddddddddd"},
            "log_level": "info", "permit_join": false,
            "config": {"homeassistant": {"enabled": true}, "availability": {"enabled": true, "active": {"timeout": 10}, "passive": {"timeout": 1500}}}
        });
        sink.publish(t, c, br, Msg::new(z("bridge/info"), info.to_string(), true));
        let list: Vec<Value> = std::iter::once(json!({
            "ieee_address": "0x00124b0024c2b1a3", "friendly_name": "Coordinator", "type": "Coordinator",
            "network_address": 0, "supported": true, "interview_completed": true
        }))
        .chain(self.devices.iter().map(|d| {
            json!({
                "ieee_address": d.ieee, "friendly_name": d.name,
                "type": if d.mains { "Router" } else { "EndDevice" },
                "power_source": if d.mains { "Mains (single phase)" } else { "Battery" },
                "network_address": (d.ieee.len() * 977) % 65_000,
                "supported": true, "interview_completed": true, "disabled": false,
                "definition": {"model": d.model, "vendor": d.vendor, "description": d.model, "supports_ota": d.mains},
                "model_id": d.model, "manufacturer": d.vendor
            })
        }))
        .collect();
        sink.publish(
            t,
            c,
            br,
            Msg::new(z("bridge/devices"), Value::Array(list).to_string(), true),
        );
        let mut configs = Vec::new();
        for d in &self.devices {
            configs.push((d.device, self.discovery(d)));
        }
        for (dev, msgs) in configs {
            for m in msgs {
                sink.publish(t, c, dev, m);
            }
        }
        for d in &self.devices {
            sink.publish(
                t + 0.05,
                c,
                d.device,
                Msg::new(
                    format!("zigbee2mqtt/{}/availability", d.name),
                    r#"{"state":"online"}"#,
                    true,
                ),
            );
        }
    }
}

impl ZDevice {
    fn state(&mut self, t: f64, env: &Env, rng: &mut Rng) -> Value {
        self.lq = (self.lq + gaussian(rng, 6.0)).clamp(15.0, 255.0);
        let lq = self.lq.round();
        let battery = self.battery.map(|b| b.round());
        let voltage = battery.map(|b| 2700.0 + 5.0 * b + (gaussian(rng, 8.0)).round());
        match &mut self.kind {
            ZKind::Climate {
                room,
                temp,
                hum,
                pressure,
                wander,
                measured,
                ..
            } => {
                if measured.0.is_nan() {
                    let x = env.temp(*room, t) + wander.next(rng);
                    *measured = (temp.read(t, x), hum.read(t, env.humidity(*room, t)));
                }
                let mut v = json!({
                    "battery": battery, "humidity": measured.1,
                    "linkquality": lq, "temperature": measured.0, "voltage": voltage,
                });
                if let Some(p) = pressure {
                    v["pressure"] = json!(p.read(t, 1008.0 + 6.0 * (t / 40_000.0).sin()));
                    v["power_outage_count"] = json!(self.outage_count);
                }
                v
            }
            ZKind::Contact {
                room,
                open,
                opened_until,
                ..
            } => json!({
                "battery": battery, "contact": !(*open || t < *opened_until), "device_temperature": quantise(env.temp(*room, t) + 0.4, 1.0),
                "linkquality": lq, "power_outage_count": self.outage_count, "voltage": voltage,
            }),
            ZKind::Motion {
                room,
                occupied_until,
                ..
            } => {
                let lux = (env.sun(t) * 180.0 + rng.f64() * 3.0).round();
                json!({
                    "battery": battery, "device_temperature": quantise(env.temp(*room, t) + 1.0, 1.0),
                    "illuminance": lux, "illuminance_lux": lux, "linkquality": lq,
                    "occupancy": t < *occupied_until, "voltage": voltage,
                })
            }
            ZKind::Plug {
                energy,
                kwh,
                measured,
                ..
            } => {
                let p = *measured;
                json!({
                    "current": quantise(p / 230.0, 0.01), "energy": energy.read(t, *kwh),
                    "linkquality": lq, "power": p, "state": "ON",
                    "voltage": quantise(230.0 + gaussian(rng, 1.5), 1.0),
                })
            }
            ZKind::Light { on, .. } => json!({
                "brightness": if *on { 254 } else { 0 }, "color_mode": "color_temp", "color_temp": 370,
                "linkquality": lq, "state": if *on { "ON" } else { "OFF" },
                "update": {"installed_version": 587_814_449u64, "latest_version": 587_814_449u64, "state": "idle"},
                "update_available": false,
            }),
        }
    }
}

/// A washing machine's draw: idle, filling, heating, washing, spinning.
pub(super) fn washer_power(phase: usize, rng: &mut Rng) -> f64 {
    match phase {
        1 => 8.0 + rng.f64() * 4.0,
        2 => 2050.0 + gaussian(rng, 25.0),
        3 => 180.0 + rng.f64() * 220.0,
        4 => 420.0 + rng.f64() * 180.0,
        _ => 0.4,
    }
}

impl Device for Zigbee2Mqtt {
    fn advance(&mut self, now: f64, until: f64, env: &Env, sink: &mut Sink) {
        if !self.started {
            self.started = true;
            self.births(0.0, sink);
        }
        let c = self.client;
        let rng = &mut self.rng;
        for d in &mut self.devices {
            let dev = d.device;
            let topic = z(d.name);
            // Battery: a slow fall; a dying one falls fast, then the device stops.
            if let (Some(bat), Some((s, e))) = (d.battery.as_mut(), d.dying) {
                if until > s {
                    let f = ((until - s) / (e - s)).clamp(0.0, 1.0);
                    *bat = (*bat).min(100.0 * (1.0 - f)).max(0.0);
                }
            }
            let down = d.down.down(until);
            // The bridge says offline after its timeout, online at the first message back.
            if let Some(&(s, _)) = d
                .down
                .periods
                .iter()
                .find(|(s, e)| *s <= until && until < *e)
            {
                let timeout = if d.mains { 600.0 } else { 25.0 * 3600.0 };
                let say = s + timeout + 10.0;
                if !d.said_offline && say > now && say <= until {
                    d.said_offline = true;
                    sink.publish(
                        say,
                        c,
                        dev,
                        Msg::new(
                            format!("zigbee2mqtt/{}/availability", d.name),
                            r#"{"state":"offline"}"#,
                            true,
                        ),
                    );
                }
            }
            if !down && d.said_offline {
                d.said_offline = false;
                sink.publish(
                    now + 0.5,
                    c,
                    dev,
                    Msg::new(
                        format!("zigbee2mqtt/{}/availability", d.name),
                        r#"{"state":"online"}"#,
                        true,
                    ),
                );
            }
            if down {
                // Keep the tickers moving so nothing bursts when it comes back.
                while d.heartbeat.due(until, rng).is_some() {}
                match &mut d.kind {
                    ZKind::Climate { sample, .. } | ZKind::Plug { sample, .. } => {
                        while sample.due(until, rng).is_some() {}
                    }
                    ZKind::Light { tick, .. } => while tick.due(until, rng).is_some() {},
                    _ => {}
                }
                continue;
            }
            let mut sends: Vec<f64> = Vec::new();
            // A climate sensor's reports carry what it measured when it decided to send
            // (two samples may fall in one step: the later must not overwrite a spike).
            let mut carried: Vec<(f64, (f64, f64))> = Vec::new();
            // A plug's reports carry its latest sample at the time of each (its heartbeat and
            // energy reports too): what it measured before this step, until a sample in it.
            let mut plug_samples: Vec<(f64, f64)> = Vec::new();
            let plug_before = match &d.kind {
                ZKind::Plug { measured, .. } => Some(*measured),
                _ => None,
            };
            while let Some(t) = d.heartbeat.due(until, rng) {
                sends.push(t);
            }
            match &mut d.kind {
                ZKind::Climate {
                    room,
                    sample,
                    oc_t,
                    oc_h,
                    temp,
                    hum,
                    wander,
                    measured,
                    ..
                } => {
                    while let Some(t) = sample.due(until, rng) {
                        // The device decides on what it measured, faults and all.
                        let x = temp.read(t, env.temp(*room, t) + wander.next(rng));
                        let h = hum.read(t, env.humidity(*room, t));
                        *measured = (x, h);
                        if oc_t.should(t, x) {
                            sends.push(t);
                            carried.push((t, (x, h)));
                        }
                        if oc_h.should(t, h) {
                            // A separate attribute report a moment later.
                            let at = t + 0.08 + rng.f64() * 0.4;
                            sends.push(at);
                            carried.push((at, (x, h)));
                        }
                    }
                }
                ZKind::Contact {
                    room,
                    open,
                    next_change,
                    opened_until,
                } => {
                    let door = env.event(*room, "door", until);
                    if door != *open {
                        *open = door;
                        sends.push(until - rng.f64() * 5.0);
                    }
                    while *next_change <= until {
                        // Somebody walks through: open for a few seconds.
                        let t = *next_change;
                        *opened_until = t + 3.0 + rng.f64() * 8.0;
                        sends.push(t);
                        sends.push(*opened_until);
                        let h = env.hour(t);
                        let busy = (6.5..9.0).contains(&h) || (16.0..20.0).contains(&h);
                        *next_change += if busy {
                            600.0 + rng.f64() * 1800.0
                        } else {
                            3600.0 + rng.f64() * 7200.0
                        };
                    }
                }
                ZKind::Motion {
                    occupied_until,
                    last_report,
                    next_motion,
                    ..
                } => {
                    while *next_motion <= until {
                        let t = *next_motion;
                        if t - *last_report >= 60.0 {
                            *last_report = t;
                            *occupied_until = t + 90.0;
                            sends.push(t);
                            sends.push(t + 90.0);
                        }
                        let h = env.hour(t);
                        let awake = (6.0..23.0).contains(&h);
                        // Motion comes in bursts: a few seconds apart while someone is there.
                        *next_motion += if rng.f64() < 0.6 {
                            2.0 + rng.f64() * 20.0
                        } else if awake {
                            300.0 + rng.f64() * 2400.0
                        } else {
                            3600.0 + rng.f64() * 10_000.0
                        };
                    }
                }
                ZKind::Plug {
                    phase,
                    phase_end,
                    kwh,
                    oc_p,
                    energy_tick,
                    sample,
                    power,
                    measured,
                    ..
                } => {
                    while let Some(t) = sample.due(until, rng) {
                        if t >= *phase_end {
                            // Washes start in the morning or evening; each phase lasts a while.
                            let h = env.hour(t);
                            let (next, len) = match *phase {
                                0 if ((7.0..9.0).contains(&h) || (18.0..20.0).contains(&h))
                                    && rng.f64() < 0.02 =>
                                {
                                    (1, 240.0)
                                }
                                0 => (0, 600.0),
                                1 => (2, 900.0 + rng.f64() * 600.0),
                                2 => (3, 1800.0 + rng.f64() * 900.0),
                                3 => (4, 480.0 + rng.f64() * 240.0),
                                _ => (0, 1200.0),
                            };
                            *phase = next;
                            *phase_end = t + len;
                        }
                        let w = washer_power(*phase, rng);
                        *kwh += w * 5.0 / 3_600_000.0;
                        *measured = power.read(t, w);
                        plug_samples.push((t, *measured));
                        if oc_p.should(t, *measured) {
                            sends.push(t);
                        }
                    }
                    while let Some(t) = energy_tick.due(until, rng) {
                        sends.push(t);
                    }
                }
                ZKind::Light { tick, on } => {
                    let h = env.hour(until);
                    let want = (17.0..23.5).contains(&h) || (6.5..7.5).contains(&h);
                    if want != *on {
                        *on = want;
                        sends.push(until - rng.f64() * 9.0);
                    }
                    while let Some(t) = tick.due(until, rng) {
                        sends.push(t);
                        sends.push(t + 0.05 + rng.f64() * 0.3);
                    }
                }
            }
            sends.sort_by(f64::total_cmp);
            let latest = match &d.kind {
                ZKind::Climate { measured, .. } => Some(*measured),
                _ => None,
            };
            for t in sends {
                if let (Some(&(_, m)), ZKind::Climate { measured, .. }) =
                    (carried.iter().find(|(at, _)| *at == t), &mut d.kind)
                {
                    *measured = m;
                }
                if let (Some(before), ZKind::Plug { measured, .. }) = (plug_before, &mut d.kind) {
                    *measured = plug_samples
                        .iter()
                        .rev()
                        .find(|(at, _)| *at <= t)
                        .map_or(before, |&(_, m)| m);
                }
                let t = t.max(now + 0.001);
                let v = d.state(t, env, rng);
                sink.publish(t, c, dev, Msg::new(topic.clone(), v.to_string(), false));
            }
            if let (Some(m), ZKind::Climate { measured, .. }) = (latest, &mut d.kind) {
                *measured = m;
            }
            if let (Some(&(_, m)), ZKind::Plug { measured, .. }) =
                (plug_samples.last(), &mut d.kind)
            {
                *measured = m;
            }
        }
    }

    fn probes(&mut self) -> Vec<&mut Probe> {
        let mut out = Vec::new();
        for d in &mut self.devices {
            match &mut d.kind {
                ZKind::Climate {
                    temp,
                    hum,
                    pressure,
                    ..
                } => {
                    out.push(temp);
                    out.push(hum);
                    if let Some(p) = pressure {
                        out.push(p);
                    }
                }
                ZKind::Plug { power, energy, .. } => {
                    out.push(power);
                    out.push(energy);
                }
                _ => {}
            }
        }
        out
    }

    fn device_faults(&self) -> &'static [FaultKind] {
        &[FaultKind::BatteryDying, FaultKind::Offline]
    }

    fn inject(&mut self, kind: FaultKind, start: f64, end: f64, rng: &mut Rng) -> Vec<TruthFault> {
        // A battery device runs flat; a mains device loses power.
        let want_mains = kind == FaultKind::Offline;
        let cands: Vec<usize> = (0..self.devices.len())
            .filter(|i| {
                self.devices[*i].mains == want_mains
                    && !matches!(self.devices[*i].kind, ZKind::Light { .. })
            })
            .collect();
        let Some(&i) = cands.get(rng.usize(..cands.len().max(1))) else {
            return Vec::new();
        };
        let d = &mut self.devices[i];
        let (down_from, down_to) = match kind {
            FaultKind::BatteryDying => {
                d.dying = Some((start, end));
                // Flat at the end: silent for good.
                (end, f64::INFINITY)
            }
            _ => (start, end),
        };
        d.down.periods.push((down_from, down_to));
        vec![TruthFault {
            kind: kind.as_str().into(),
            names: kind.names().iter().map(|s| s.to_string()).collect(),
            device: d.name.into(),
            topic: z(d.name),
            field: if kind == FaultKind::BatteryDying {
                "battery".into()
            } else {
                String::new()
            },
            also: Vec::new(),
            start: at(self.start, start),
            end: at(self.start, if down_to.is_finite() { down_to } else { end }),
            magnitude: 0.0,
            hidden: false,
            shown_until: None,
        }]
    }
}
