//! A home as its systems send it. Each model follows the system's own documentation:
//!
//! - **Zigbee2MQTT** (zigbee2mqtt.io: "MQTT topics and messages", "Device availability",
//!   "Home Assistant integration", the device pages of the Aqara WSDCGQ11LM, MCCGQ11LM and
//!   RTCGQ11LM, Sonoff SNZB-02, TuYa TS011F and IKEA LED1623G12): one MQTT client for the
//!   whole mesh; `zigbee2mqtt/bridge/state` `{"state":"online"}` retained, with
//!   `{"state":"offline"}` as its will; `bridge/info` and `bridge/devices` retained; every
//!   device's whole state as JSON on `zigbee2mqtt/<friendly_name>` at each attribute report
//!   (temperature, humidity and pressure arrive as separate reports a moment apart, so a
//!   climate sensor sends in quick pairs), with `linkquality`; `zigbee2mqtt/<name>/availability`
//!   `{"state":"online"|"offline"}` retained, decided by the bridge (mains devices pinged,
//!   offline after 10 min; battery devices offline after 25 h of silence); Home Assistant
//!   discovery configs (full key names) under `homeassistant/<component>/<ieee>/<object>/config`.
//!   Aqara sensors report on change and on a ~50 min heartbeat; the motion sensor sends
//!   `occupancy: true` at most once a minute while there is motion and `false` 90 s after;
//!   a plug reports power on change and energy now and then.
//! - **Tasmota** (tasmota.github.io: "MQTT", "Commands", "Home Assistant"): topic
//!   `tasmota_XXXXXX`; `tele/<t>/LWT` `Online`/`Offline` retained (the will); `tele/<t>/STATE`
//!   and `tele/<t>/SENSOR` (with `ENERGY`) every TelePeriod; `stat/<t>/POWER` and
//!   `stat/<t>/RESULT` on change; `tele/<t>/INFO1..3` at boot; its own discovery
//!   `tasmota/discovery/<MAC>/config` and `/sensors`, retained. `Time` is local time without
//!   a zone; `Today` starts from zero at midnight.
//! - **Shelly Gen 2** (shelly-api-docs.shelly.cloud, "MQTT", "Switch", "Sys"): prefix
//!   `shellyplus1pm-<mac>`; `<prefix>/online` `true`/`false` retained (the will);
//!   `<prefix>/status/switch:0` on change with `apower`, `voltage`, `current`,
//!   `aenergy.total`, `aenergy.by_minute`, `aenergy.minute_ts` (an epoch) and `temperature`;
//!   `<prefix>/status/sys` with `unixtime`, `uptime`, `ram_free`; `<prefix>/events/rpc`
//!   `NotifyStatus`.
//! - **ESPHome** (esphome.io: "MQTT Client Component", the DHT, Dallas and BME280 pages):
//!   `<node>/status` `online`/`offline` retained (birth and will); one plain-text state topic
//!   per entity, `<node>/<component>/<object_id>/state`; `nan` when a probe fails; log lines
//!   on `<node>/debug`; Home Assistant discovery with abbreviated keys (`stat_t`, `avty_t`,
//!   `dev_cla`, `unit_of_meas`, `dev`).
//! - **OwnTracks** (owntracks.org booklet, "JSON" and "MQTT"): `owntracks/<user>/<device>`
//!   retained `_type: location` with `tst` (epoch), `lat`, `lon`, `acc`, `batt`, `vel`;
//!   transitions on `…/event`; the will is `{"_type":"lwt","tst":…}` on the device topic.
//! - **Frigate** (docs.frigate.video, "MQTT"): `frigate/available` `online`/`offline`
//!   retained (the will); `frigate/stats` every minute (with pids, versions and epoch times);
//!   `frigate/events` large JSON (`before`/`after`, `frame_time`); per camera
//!   `frigate/<camera>/<object>` counts and `frigate/<camera>/<object>/snapshot` a retained JPEG;
//!   `frigate/<camera>/motion` `ON`/`OFF`.
//! - **OctoPrint** (the MQTT plugin's README): base `octoPrint/`; `octoPrint/mqtt`
//!   `connected`/`disconnected` retained (the will); `temperature/tool0` and `temperature/bed`
//!   `{"_timestamp":…,"actual":…,"target":…}` when a value moves past the 1 °C threshold;
//!   `progress/printing` per percent; `event/<Name>` for events.
//! - **Valetudo** (valetudo.cloud, "MQTT"): Homie 4 under the vendor root
//!   `valetudo/<identifier>`; `$state` `init`/`ready`, will `lost`; attributes with `$name`,
//!   `$datatype`, `$unit`; battery level and status retained.
//! - **Victron GX** (victronenergy/dbus-mqtt README): `N/<portal id>/<service>/<instance>/<path>`
//!   with `{"value": …}` on change, `null` where a value is not available; no will;
//!   `N/<portal>/system/0/Serial` as its keep-alive answer.
//! - **Home Assistant discovery** (home-assistant.io "MQTT Discovery"): retained configs, full
//!   and abbreviated; one stale leftover for a sensor that no longer exists.

use fastrand::Rng;
use serde_json::{json, Value};

use super::signal::{fmt, quantise, Downtime, Env, FaultKind, OnChange, Probe, Ticker, Wander};
use super::{at, Builder, Device, Msg, Sink, TruthFault};
use crate::sim::sensors::gaussian;

const PROBE_FAULTS: &[FaultKind] = &[
    FaultKind::Spike,
    FaultKind::LevelShift,
    FaultKind::DriftFast,
    FaultKind::DriftSlow,
    FaultKind::Stuck,
    FaultKind::NoiseBurst,
];
const FIRMWARE_FAULTS: &[FaultKind] = &[
    FaultKind::Spike,
    FaultKind::LevelShift,
    FaultKind::DriftFast,
    FaultKind::DriftSlow,
    FaultKind::Stuck,
    FaultKind::NoiseBurst,
    FaultKind::UnitChange,
];
const DS18B20_FAULTS: &[FaultKind] = &[
    FaultKind::Spike,
    FaultKind::Stuck,
    FaultKind::DriftFast,
    FaultKind::OutOfRange,
];
const COUNTER_FAULTS: &[FaultKind] = &[FaultKind::CounterReset];

/// Local time as Tasmota prints it (no zone).
fn local(b_start: chrono::DateTime<chrono::Utc>, t: f64) -> String {
    at(b_start, t).format("%Y-%m-%dT%H:%M:%S").to_string()
}

fn epoch(start: chrono::DateTime<chrono::Utc>, t: f64) -> f64 {
    at(start, t).timestamp_millis() as f64 / 1000.0
}

fn z(s: &str) -> String {
    format!("zigbee2mqtt/{s}")
}

/// What kind of Zigbee device.
enum ZKind {
    Climate {
        room: usize,
        temp: Probe,
        hum: Probe,
        pressure: Option<Probe>,
        wander: Wander,
        oc_t: OnChange,
        oc_h: OnChange,
        sample: Ticker,
    },
    Contact {
        room: usize,
        open: bool,
        next_change: f64,
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
    },
    Light {
        tick: Ticker,
        on: bool,
    },
}

/// One Zigbee device behind the bridge.
struct ZDevice {
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
struct Zigbee2Mqtt {
    client: usize,
    bridge: usize,
    start: chrono::DateTime<chrono::Utc>,
    devices: Vec<ZDevice>,
    rng: Rng,
    started: bool,
}

impl Zigbee2Mqtt {
    fn new(b: &mut Builder, env: &Env) -> Zigbee2Mqtt {
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
            .scale(50.0);
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
    fn state(
        &mut self,
        t: f64,
        env: &Env,
        start: chrono::DateTime<chrono::Utc>,
        rng: &mut Rng,
    ) -> Value {
        self.lq = (self.lq + gaussian(rng, 6.0)).clamp(15.0, 255.0);
        let lq = self.lq.round();
        let battery = self.battery.map(|b| b.round());
        let voltage = battery.map(|b| 2700.0 + 5.0 * b + (gaussian(rng, 8.0)).round());
        let _ = start;
        match &mut self.kind {
            ZKind::Climate {
                room,
                temp,
                hum,
                pressure,
                wander,
                ..
            } => {
                let x = env.temp(*room, t) + wander.next(rng);
                let mut v = json!({
                    "battery": battery, "humidity": hum.read(t, env.humidity(*room, t)),
                    "linkquality": lq, "temperature": temp.read(t, x), "voltage": voltage,
                });
                if let Some(p) = pressure {
                    v["pressure"] = json!(p.read(t, 1008.0 + 6.0 * (t / 40_000.0).sin()));
                    v["power_outage_count"] = json!(self.outage_count);
                }
                v
            }
            ZKind::Contact { room, open, .. } => json!({
                "battery": battery, "contact": !*open, "device_temperature": quantise(env.temp(*room, t) + 0.4, 1.0),
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
                power,
                energy,
                phase,
                kwh,
                ..
            } => {
                let w = washer_power(*phase, rng);
                let p = power.read(t, w);
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
fn washer_power(phase: usize, rng: &mut Rng) -> f64 {
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
        let (c, start) = (self.client, self.start);
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
                    ..
                } => {
                    while let Some(t) = sample.due(until, rng) {
                        let x = quantise(env.temp(*room, t), temp.resolution);
                        let h = quantise(env.humidity(*room, t), hum.resolution);
                        if oc_t.should(t, x) {
                            sends.push(t);
                        }
                        if oc_h.should(t, h) {
                            // A separate attribute report a moment later.
                            sends.push(t + 0.08 + rng.f64() * 0.4);
                        }
                    }
                }
                ZKind::Contact {
                    room,
                    open,
                    next_change,
                } => {
                    let door = env.event(*room, "door", until);
                    if door != *open {
                        *open = door;
                        sends.push(until - rng.f64() * 5.0);
                    }
                    while *next_change <= until {
                        // Somebody walks through: open for a few seconds.
                        let t = *next_change;
                        sends.push(t);
                        sends.push(t + 3.0 + rng.f64() * 8.0);
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
                        if oc_p.should(t, quantise(w, 1.0)) {
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
            for t in sends {
                let t = t.max(now + 0.001);
                let v = d.state(t, env, start, rng);
                sink.publish(t, c, dev, Msg::new(topic.clone(), v.to_string(), false));
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
            start: at(self.start, start),
            end: at(self.start, if down_to.is_finite() { down_to } else { end }),
            magnitude: 0.0,
        }]
    }
}

/// A Tasmota plug under the fridge: the compressor cycles, ENERGY every TelePeriod.
struct TasmotaFridge {
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
    fn new(b: &mut Builder) -> TasmotaFridge {
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
            .scale(40.0);
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
        sink.connect(t, c, d);
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
        self.connected = true;
    }
}

impl Device for TasmotaFridge {
    fn advance(&mut self, now: f64, until: f64, env: &Env, sink: &mut Sink) {
        for s in self.down.starting(now, until).collect::<Vec<_>>() {
            sink.drop_conn(s, self.client, self.device);
            self.connected = false;
        }
        if self.down.down(until) {
            while self.tele.due(until, &mut self.rng).is_some() {}
            return;
        }
        if !self.connected {
            let back = self.down.ending(now, until).next().unwrap_or(0.0);
            self.boots += 1;
            self.boot(back.max(now), sink);
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

/// The truth entries (and downtime) of an `Offline` or `Flapping` fault.
#[allow(clippy::too_many_arguments)]
pub(super) fn down_faults(
    down: &mut Downtime,
    kind: FaultKind,
    start: f64,
    end: f64,
    rng: &mut Rng,
    t0: chrono::DateTime<chrono::Utc>,
    device: &str,
    topic: &str,
) -> Vec<TruthFault> {
    let periods = if kind == FaultKind::Flapping {
        Downtime::flapping(start, end, rng)
    } else {
        vec![(start, end)]
    };
    down.periods.extend(periods.iter().copied());
    periods
        .iter()
        .map(|(s, e)| TruthFault {
            kind: kind.as_str().into(),
            names: kind.names().iter().map(|s| s.to_string()).collect(),
            device: device.into(),
            topic: topic.into(),
            field: String::new(),
            start: at(t0, *s),
            end: at(t0, *e),
            magnitude: 0.0,
        })
        .collect()
}

/// A Shelly Plus 1PM switching the hot-water boiler (a thermostat inside cycles it).
struct ShellyBoiler {
    client: usize,
    device: usize,
    prefix: String,
    start: chrono::DateTime<chrono::Utc>,
    power: Probe,
    on: bool,
    next_switch: f64,
    energy_wh: f64,
    minute: Ticker,
    sys: Ticker,
    connected: bool,
    down: Downtime,
    rng: Rng,
}

impl ShellyBoiler {
    fn new(b: &mut Builder) -> ShellyBoiler {
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
            .scale(100.0);
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
            next_switch: 300.0 * rng.f64(),
            energy_wh: 1_234_567.0 + rng.f64() * 1000.0,
            minute: Ticker::new(60.0, 0.0, &mut rng),
            sys: Ticker::new(60.0, 0.01, &mut rng),
            connected: false,
            down: Downtime::default(),
            rng,
        }
    }

    fn status(&mut self, t: f64, source: &str) -> Value {
        let w = if self.on {
            1995.0 + gaussian(&mut self.rng, 8.0)
        } else {
            0.0
        };
        let p = self.power.read(t, w);
        let e = epoch(self.start, t);
        json!({
            "id": 0, "source": source, "output": self.on, "apower": p,
            "voltage": quantise(230.5 + gaussian(&mut self.rng, 0.8), 0.1), "freq": 50.0,
            "current": quantise(p / 230.0, 0.001),
            "aenergy": {"total": quantise(self.energy_wh, 0.001), "by_minute": [quantise(w / 60.0 * 1000.0, 0.001), 0.0, 0.0], "minute_ts": (e / 60.0).floor() * 60.0},
            "temperature": {"tC": quantise(38.0 + if self.on { 6.0 } else { 0.0 } + gaussian(&mut self.rng, 0.2), 0.1), "tF": quantise((38.0 + if self.on { 6.0 } else { 0.0 }) * 1.8 + 32.0, 0.1)}
        })
    }
}

impl Device for ShellyBoiler {
    fn advance(&mut self, now: f64, until: f64, env: &Env, sink: &mut Sink) {
        let (c, d) = (self.client, self.device);
        for s in self.down.starting(now, until).collect::<Vec<_>>() {
            sink.drop_conn(s, c, d);
            self.connected = false;
        }
        if self.down.down(until) {
            while self.minute.due(until, &mut self.rng).is_some() {}
            while self.sys.due(until, &mut self.rng).is_some() {}
            return;
        }
        if !self.connected {
            let t = self.down.ending(now, until).next().unwrap_or(0.0).max(now);
            sink.connect(t, c, d);
            sink.publish(
                t,
                c,
                d,
                Msg::new(format!("{}/online", self.prefix), "true", true),
            );
            let s = self.status(t, "init");
            sink.publish(
                t + 0.2,
                c,
                d,
                Msg::new(
                    format!("{}/status/switch:0", self.prefix),
                    s.to_string(),
                    false,
                ),
            );
            self.connected = true;
        }
        // The boiler's own thermostat: heats for a while in the morning and evening, and a
        // short top-up now and then.
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
            let s = self.status(t, "switch");
            sink.publish(
                t,
                c,
                d,
                Msg::new(
                    format!("{}/status/switch:0", self.prefix),
                    s.to_string(),
                    false,
                ),
            );
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
        while let Some(t) = self.minute.due(until, &mut self.rng) {
            if self.on {
                self.energy_wh += 1995.0 / 60.0;
                let s = self.status(t, "timer");
                sink.publish(
                    t,
                    c,
                    d,
                    Msg::new(
                        format!("{}/status/switch:0", self.prefix),
                        s.to_string(),
                        false,
                    ),
                );
            }
        }
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

/// An ESPHome node in the greenhouse: air (DHT22 and BME280), three soil probes (DS18B20),
/// a door, a fan, Wi-Fi signal, uptime and its debug log.
struct EspGreenhouse {
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

const NODE: &str = "greenhouse";

impl EspGreenhouse {
    fn new(b: &mut Builder, env: &Env) -> EspGreenhouse {
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
        for s in self.down.starting(now, until).collect::<Vec<_>>() {
            sink.drop_conn(s, c, d);
            self.connected = false;
        }
        if self.down.down(until) {
            while self.tick.due(until, &mut self.rng).is_some() {}
            return;
        }
        if !self.connected {
            let t = self.down.ending(now, until).next().unwrap_or(0.0).max(now);
            sink.connect(t, c, d);
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
            self.connected = true;
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
                format!("{}", (t - self.boot_at).floor()),
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

/// Alice's phone running OwnTracks.
struct OwnTracks {
    client: usize,
    device: usize,
    start: chrono::DateTime<chrono::Utc>,
    next: f64,
    home: bool,
    batt: f64,
    started: bool,
    rng: Rng,
}

impl OwnTracks {
    fn new(b: &mut Builder) -> OwnTracks {
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
            self.batt = if (22.0..24.0).contains(&h) || h < 6.5 {
                (self.batt + 1.0).min(100.0)
            } else {
                (self.batt - 0.4).max(5.0)
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
                "bs": if (22.0..24.0).contains(&h) || h < 6.5 { 2 } else { 1 }, "conn": if self.home { "w" } else { "m" },
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

/// Frigate NVR with two cameras.
struct Frigate {
    client: usize,
    device: usize,
    start: chrono::DateTime<chrono::Utc>,
    stats: Ticker,
    next_event: f64,
    counts: [u32; 2],
    ends: Vec<(f64, usize, String)>,
    connected: bool,
    down: Downtime,
    rng: Rng,
}

const CAMERAS: [&str; 2] = ["front_door", "driveway"];

impl Frigate {
    fn new(b: &mut Builder) -> Frigate {
        let mut rng = Rng::with_seed(b.seed());
        let client = b.client(
            "frigate",
            Some(Msg::new("frigate/available", "offline", true)),
            60,
        );
        let device = b.device("frigate", "frigate", "will", Some(90.0));
        for cam in CAMERAS {
            b.series(
                device,
                &format!("frigate/{cam}/person"),
                "value",
                "level",
                Some(1.0),
                "event",
            );
            b.series(
                device,
                &format!("frigate/{cam}/all"),
                "value",
                "level",
                Some(1.0),
                "event",
            );
            for (f, c) in [
                ("camera_fps", "continuous"),
                ("process_fps", "continuous"),
                ("skipped_fps", "continuous"),
                ("detection_fps", "continuous"),
                ("pid", "identifier"),
                ("capture_pid", "identifier"),
                ("ffmpeg_pid", "identifier"),
            ] {
                b.series(
                    device,
                    "frigate/stats",
                    &format!("cameras.{cam}.{f}"),
                    c,
                    None,
                    "steady",
                );
            }
        }
        for (f, c) in [
            ("detectors.coral.inference_speed", "continuous"),
            ("detectors.coral.pid", "identifier"),
            ("detectors.coral.detection_start", "epoch"),
            ("detection_fps", "continuous"),
            ("service.uptime", "counter"),
            ("service.last_updated", "epoch"),
        ] {
            b.series(device, "frigate/stats", f, c, None, "steady");
        }
        b.series(device, "frigate/stats", "*", "diagnostic", None, "steady");
        b.series(device, "frigate/events", "*", "event", None, "event");
        for f in [
            "after.frame_time",
            "after.start_time",
            "after.score",
            "after.top_score",
            "after.area",
            "after.ratio",
            "before.frame_time",
            "before.start_time",
            "before.score",
            "before.top_score",
            "before.area",
            "before.ratio",
            "after.end_time",
            "before.end_time",
            "after.motionless_count",
            "after.position_changes",
            "before.motionless_count",
            "before.position_changes",
            "after.snapshot.frame_time",
            "after.snapshot.area",
            "after.snapshot.score",
        ] {
            let class = if f.contains("time") {
                "epoch"
            } else {
                "on_change"
            };
            b.series(device, "frigate/events", f, class, None, "event");
        }
        Frigate {
            client,
            device,
            start: b.start,
            stats: Ticker::new(60.0, 0.01, &mut rng),
            next_event: 300.0 * rng.f64(),
            counts: [0, 0],
            ends: Vec::new(),
            connected: false,
            down: Downtime::default(),
            rng,
        }
    }

    fn event(&mut self, kind: &str, t: f64, cam: usize, id: &str, started: f64) -> Value {
        let ft = epoch(self.start, t);
        let label = if cam == 0 { "person" } else { "car" };
        let score = 0.7 + self.rng.f64() * 0.25;
        let obj = |end: Option<f64>, score: f64| {
            json!({
                "id": id, "camera": CAMERAS[cam], "frame_time": ft, "snapshot": {"frame_time": ft, "box": [412, 188, 560, 470], "area": 41_736, "region": [320, 120, 640, 440], "score": score, "attributes": []},
                "label": label, "sub_label": null, "top_score": score, "false_positive": false, "start_time": epoch(self.start, started),
                "end_time": end, "score": score, "box": [412, 188, 560, 470], "area": 41_736, "ratio": 0.52, "region": [320, 120, 640, 440],
                "current_zones": [], "entered_zones": [], "thumbnail": null, "has_snapshot": true, "has_clip": true, "stationary": false,
                "motionless_count": 0, "position_changes": 1, "attributes": {}, "current_attributes": []
            })
        };
        let end = if kind == "end" { Some(ft) } else { None };
        json!({"type": kind, "before": obj(None, score - 0.05), "after": obj(end, score)})
    }
}

impl Device for Frigate {
    fn advance(&mut self, now: f64, until: f64, _env: &Env, sink: &mut Sink) {
        let (c, d) = (self.client, self.device);
        for s in self.down.starting(now, until).collect::<Vec<_>>() {
            sink.drop_conn(s, c, d);
            self.connected = false;
        }
        if self.down.down(until) {
            while self.stats.due(until, &mut self.rng).is_some() {}
            return;
        }
        if !self.connected {
            let t = self.down.ending(now, until).next().unwrap_or(0.0).max(now);
            sink.connect(t, c, d);
            sink.publish(t, c, d, Msg::new("frigate/available", "online", true));
            for cam in CAMERAS {
                sink.publish(
                    t + 0.1,
                    c,
                    d,
                    Msg::new(format!("frigate/{cam}/detect/state"), "ON", true),
                );
                sink.publish(
                    t + 0.1,
                    c,
                    d,
                    Msg::new(format!("frigate/{cam}/recordings/state"), "ON", true),
                );
                sink.publish(
                    t + 0.1,
                    c,
                    d,
                    Msg::new(format!("frigate/{cam}/snapshots/state"), "ON", true),
                );
            }
            self.connected = true;
        }
        while self.next_event <= until {
            let t = self.next_event;
            let cam = self.rng.usize(..2);
            let id = format!(
                "{:.6}-{}",
                epoch(self.start, t),
                self.rng.alphanumeric().to_ascii_lowercase()
            );
            self.counts[cam] += 1;
            let label = if cam == 0 { "person" } else { "car" };
            sink.publish(
                t,
                c,
                d,
                Msg::new(format!("frigate/{}/motion", CAMERAS[cam]), "ON", false),
            );
            sink.publish(
                t + 0.4,
                c,
                d,
                Msg::new(
                    format!("frigate/{}/{label}", CAMERAS[cam]),
                    self.counts[cam].to_string(),
                    false,
                ),
            );
            sink.publish(
                t + 0.4,
                c,
                d,
                Msg::new(
                    format!("frigate/{}/all", CAMERAS[cam]),
                    self.counts[cam].to_string(),
                    false,
                ),
            );
            let ev = self.event("new", t + 0.5, cam, &id, t);
            sink.publish(
                t + 0.5,
                c,
                d,
                Msg::new("frigate/events", ev.to_string(), false),
            );
            let mut jpeg = vec![
                0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00,
            ];
            jpeg.extend((0..2048).map(|_| self.rng.u8(..)));
            jpeg.extend([0xFF, 0xD9]);
            sink.publish(
                t + 1.0,
                c,
                d,
                Msg::new(
                    format!("frigate/{}/{label}/snapshot", CAMERAS[cam]),
                    jpeg,
                    true,
                ),
            );
            let len = 8.0 + self.rng.f64() * 40.0;
            self.ends.push((t + len, cam, id));
            self.next_event += 300.0 + self.rng.f64() * 3000.0;
        }
        self.ends.sort_by(|a, b| a.0.total_cmp(&b.0));
        while self.ends.first().is_some_and(|e| e.0 <= until) {
            let (t, cam, id) = self.ends.remove(0);
            let label = if cam == 0 { "person" } else { "car" };
            let ev = self.event("update", t - 2.0, cam, &id, t - 10.0);
            sink.publish(
                t - 2.0,
                c,
                d,
                Msg::new("frigate/events", ev.to_string(), false),
            );
            let ev = self.event("end", t, cam, &id, t - 10.0);
            sink.publish(t, c, d, Msg::new("frigate/events", ev.to_string(), false));
            self.counts[cam] = self.counts[cam].saturating_sub(1);
            sink.publish(
                t + 0.1,
                c,
                d,
                Msg::new(
                    format!("frigate/{}/{label}", CAMERAS[cam]),
                    self.counts[cam].to_string(),
                    false,
                ),
            );
            sink.publish(
                t + 0.1,
                c,
                d,
                Msg::new(
                    format!("frigate/{}/all", CAMERAS[cam]),
                    self.counts[cam].to_string(),
                    false,
                ),
            );
            sink.publish(
                t + 30.0_f64.min(until - t + 5.0),
                c,
                d,
                Msg::new(format!("frigate/{}/motion", CAMERAS[cam]), "OFF", false),
            );
        }
        while let Some(t) = self.stats.due(until, &mut self.rng) {
            let mut cams = serde_json::Map::new();
            for (i, cam) in CAMERAS.iter().enumerate() {
                cams.insert(cam.to_string(), json!({"camera_fps": 5.0, "process_fps": quantise(5.0 + gaussian(&mut self.rng, 0.1), 0.1), "skipped_fps": 0.0,
                    "detection_fps": quantise(self.rng.f64() * 0.4, 0.1), "detection_enabled": true, "pid": 342 + i, "capture_pid": 345 + i, "ffmpeg_pid": 350 + i, "audio_dBFS": null}));
            }
            let stats = json!({"cameras": cams, "detectors": {"coral": {"inference_speed": quantise(8.4 + gaussian(&mut self.rng, 0.3), 0.01), "detection_start": 0.0, "pid": 320}},
                "detection_fps": quantise(self.rng.f64() * 0.8, 0.1), "cpu_usages": {"1": {"cpu": "4.0", "mem": "1.2"}},
                "service": {"uptime": t.floor(), "version": "0.14.1-f4f3cfa", "latest_version": "0.14.1", "last_updated": epoch(self.start, t).floor(), "storage": {"/media/frigate/recordings": {"total": 944_418.6, "used": 31_260.4, "free": 913_158.2, "mount_type": "ext4"}}, "temperatures": {}}});
            sink.publish(t, c, d, Msg::new("frigate/stats", stats.to_string(), false));
        }
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
            "frigate",
            "frigate/available",
        )
    }
}

/// A 3D printer under OctoPrint: prints now and then (heat-up, print, cool-down).
struct OctoPrint {
    client: usize,
    device: usize,
    start: chrono::DateTime<chrono::Utc>,
    tool: Probe,
    bed: Probe,
    tool_t: f64,
    bed_t: f64,
    targets: (f64, f64),
    job: Option<(f64, f64)>,
    next_job: f64,
    poll: Ticker,
    oc: [OnChange; 2],
    progress: i64,
    started: bool,
    rng: Rng,
}

impl OctoPrint {
    fn new(b: &mut Builder) -> OctoPrint {
        let mut rng = Rng::with_seed(b.seed());
        let client = b.client(
            "octoprint-prusa",
            Some(Msg::new("octoPrint/mqtt", "disconnected", true)),
            60,
        );
        let device = b.device("octoprint", "octoprint", "will", Some(90.0));
        let tool = b
            .probe(
                device,
                "octoPrint/temperature/tool0",
                "actual",
                "continuous",
                0.01,
                "on_change",
                &[FaultKind::Spike, FaultKind::LevelShift, FaultKind::Stuck],
            )
            .scale(3.0);
        let bed = b
            .probe(
                device,
                "octoPrint/temperature/bed",
                "actual",
                "continuous",
                0.01,
                "on_change",
                &[FaultKind::Spike, FaultKind::LevelShift, FaultKind::Stuck],
            )
            .scale(2.0);
        for t in ["octoPrint/temperature/tool0", "octoPrint/temperature/bed"] {
            b.series(device, t, "target", "setpoint", Some(1.0), "on_change");
            b.series(device, t, "_timestamp", "epoch", None, "on_change");
        }
        b.series(
            device,
            "octoPrint/progress/printing",
            "progress",
            "counter",
            Some(1.0),
            "event",
        );
        for ev in ["Connected", "PrintStarted", "PrintDone"] {
            let t = format!("octoPrint/event/{ev}");
            b.series(device, &t, "*", "event", None, "event");
            b.series(device, &t, "_timestamp", "epoch", None, "event");
        }
        b.series(
            device,
            "octoPrint/progress/printing",
            "_timestamp",
            "epoch",
            None,
            "event",
        );
        let d = b.duration_s;
        OctoPrint {
            client,
            device,
            start: b.start,
            tool,
            bed,
            tool_t: 21.0,
            bed_t: 21.0,
            targets: (0.0, 0.0),
            job: None,
            next_job: d * (0.05 + rng.f64() * 0.2),
            poll: Ticker::new(2.0, 0.02, &mut rng),
            oc: [
                OnChange::new(1.0, 0.0, f64::INFINITY),
                OnChange::new(1.0, 0.0, f64::INFINITY),
            ],
            progress: -1,
            started: false,
            rng,
        }
    }
}

impl Device for OctoPrint {
    fn advance(&mut self, _now: f64, until: f64, env: &Env, sink: &mut Sink) {
        let (c, d) = (self.client, self.device);
        if !self.started {
            self.started = true;
            sink.connect(0.0, c, d);
            sink.publish(0.0, c, d, Msg::new("octoPrint/mqtt", "connected", true));
            let ev = json!({"_event": "Connected", "_timestamp": epoch(self.start, 0.0).floor(), "port": "/dev/ttyACM0", "baudrate": 115_200});
            sink.publish(
                0.5,
                c,
                d,
                Msg::new("octoPrint/event/Connected", ev.to_string(), false),
            );
        }
        while let Some(t) = self.poll.due(until, &mut self.rng) {
            let ts = epoch(self.start, t).floor();
            if self.job.is_none() && t >= self.next_job {
                let len = 1800.0 + self.rng.f64() * 5400.0;
                self.job = Some((t, len));
                self.targets = (215.0, 60.0);
                let ev = json!({"_event": "PrintStarted", "_timestamp": ts, "name": "benchy.gcode", "path": "benchy.gcode", "origin": "local", "size": 2_914_511, "owner": "alice", "user": "alice"});
                sink.publish(
                    t,
                    c,
                    d,
                    Msg::new("octoPrint/event/PrintStarted", ev.to_string(), false),
                );
            }
            if let Some((s, len)) = self.job {
                let p = (((t - s - 240.0).max(0.0) / len) * 100.0).floor() as i64;
                if p != self.progress && p <= 100 {
                    self.progress = p;
                    let pr = json!({"_timestamp": ts, "location": "local", "path": "benchy.gcode", "progress": p});
                    sink.publish(
                        t,
                        c,
                        d,
                        Msg::new("octoPrint/progress/printing", pr.to_string(), true),
                    );
                }
                if t - s >= len + 240.0 {
                    self.job = None;
                    self.progress = -1;
                    self.targets = (0.0, 0.0);
                    self.next_job = t + 7200.0 + self.rng.f64() * 36_000.0;
                    let ev = json!({"_event": "PrintDone", "_timestamp": ts, "name": "benchy.gcode", "path": "benchy.gcode", "origin": "local", "time": len});
                    sink.publish(
                        t,
                        c,
                        d,
                        Msg::new("octoPrint/event/PrintDone", ev.to_string(), false),
                    );
                }
            }
            let room = env.temp(0, t);
            let (tt, bt) = self.targets;
            let goal_tool = if tt > 0.0 { tt } else { room };
            let goal_bed = if bt > 0.0 { bt } else { room };
            self.tool_t += (goal_tool - self.tool_t) * 0.04
                + gaussian(&mut self.rng, if tt > 0.0 { 0.35 } else { 0.05 });
            self.bed_t += (goal_bed - self.bed_t) * 0.01
                + gaussian(&mut self.rng, if bt > 0.0 { 0.1 } else { 0.02 });
            let tool = self.tool.read(t, self.tool_t);
            let bed = self.bed.read(t, self.bed_t);
            if self.oc[0].should(t, tool) {
                sink.publish(
                    t,
                    c,
                    d,
                    Msg::new(
                        "octoPrint/temperature/tool0",
                        json!({"_timestamp": ts, "actual": tool, "target": tt}).to_string(),
                        false,
                    ),
                );
            }
            if self.oc[1].should(t, bed) {
                sink.publish(
                    t + 0.01,
                    c,
                    d,
                    Msg::new(
                        "octoPrint/temperature/bed",
                        json!({"_timestamp": ts, "actual": bed, "target": bt}).to_string(),
                        false,
                    ),
                );
            }
        }
    }

    fn probes(&mut self) -> Vec<&mut Probe> {
        vec![&mut self.tool, &mut self.bed]
    }
}

/// A robot vacuum under Valetudo: Homie 4 under `valetudo/<identifier>`.
struct Valetudo {
    client: usize,
    device: usize,
    battery: f64,
    status: &'static str,
    brush: f64,
    tick: Ticker,
    started: bool,
    rng: Rng,
}

const VALETUDO: &str = "valetudo/RapidShyMouse";

impl Valetudo {
    fn new(b: &mut Builder) -> Valetudo {
        let mut rng = Rng::with_seed(b.seed());
        let client = b.client(
            "valetudo_rapidshymouse",
            Some(Msg::new(format!("{VALETUDO}/$state"), "lost", true)),
            60,
        );
        let device = b.device("RapidShyMouse", "homie", "homie-state", Some(90.0));
        b.series(
            device,
            &format!("{VALETUDO}/BatteryStateAttribute/level"),
            "value",
            "battery",
            Some(1.0),
            "on_change",
        );
        b.series(
            device,
            &format!("{VALETUDO}/ConsumableStateAttribute/main_brush"),
            "value",
            "counter",
            Some(1.0),
            "on_change",
        );
        Valetudo {
            client,
            device,
            battery: 100.0,
            status: "docked",
            brush: 17_000.0 + rng.f64() * 1000.0,
            tick: Ticker::new(30.0, 0.0, &mut rng),
            started: false,
            rng,
        }
    }
}

impl Device for Valetudo {
    fn advance(&mut self, _now: f64, until: f64, env: &Env, sink: &mut Sink) {
        let (c, d) = (self.client, self.device);
        if !self.started {
            self.started = true;
            sink.connect(0.0, c, d);
            let r = |s: &str| format!("{VALETUDO}/{s}");
            sink.publish(0.0, c, d, Msg::new(r("$state"), "init", true));
            for (k, v) in [
                ("$homie", "4.0.0"),
                ("$name", "Valetudo S5 RapidShyMouse"),
                ("$extensions", ""),
                (
                    "$nodes",
                    "BatteryStateAttribute,StatusStateAttribute,ConsumableStateAttribute",
                ),
            ] {
                sink.publish(0.1, c, d, Msg::new(r(k), v, true));
            }
            for (node, prop, name, dt, unit) in [
                (
                    "BatteryStateAttribute",
                    "level",
                    "Battery level",
                    "integer",
                    "%",
                ),
                ("StatusStateAttribute", "status", "Status", "enum", ""),
                (
                    "ConsumableStateAttribute",
                    "main_brush",
                    "Main brush",
                    "integer",
                    "Minutes",
                ),
            ] {
                sink.publish(0.2, c, d, Msg::new(r(&format!("{node}/$name")), node, true));
                sink.publish(
                    0.2,
                    c,
                    d,
                    Msg::new(r(&format!("{node}/$properties")), prop, true),
                );
                sink.publish(
                    0.2,
                    c,
                    d,
                    Msg::new(r(&format!("{node}/{prop}/$name")), name, true),
                );
                sink.publish(
                    0.2,
                    c,
                    d,
                    Msg::new(r(&format!("{node}/{prop}/$datatype")), dt, true),
                );
                if !unit.is_empty() {
                    sink.publish(
                        0.2,
                        c,
                        d,
                        Msg::new(r(&format!("{node}/{prop}/$unit")), unit, true),
                    );
                }
            }
            sink.publish(
                0.3,
                c,
                d,
                Msg::new(
                    r("BatteryStateAttribute/level"),
                    format!("{}", self.battery),
                    true,
                ),
            );
            sink.publish(
                0.3,
                c,
                d,
                Msg::new(r("StatusStateAttribute/status"), self.status, true),
            );
            sink.publish(
                0.3,
                c,
                d,
                Msg::new(
                    r("ConsumableStateAttribute/main_brush"),
                    format!("{}", self.brush.floor()),
                    true,
                ),
            );
            sink.publish(0.4, c, d, Msg::new(r("$state"), "ready", true));
        }
        while let Some(t) = self.tick.due(until, &mut self.rng) {
            let h = env.hour(t);
            let want = if (10.0..11.0).contains(&h) {
                "cleaning"
            } else if (11.0..11.1).contains(&h) {
                "returning"
            } else {
                "docked"
            };
            if want != self.status {
                self.status = want;
                sink.publish(
                    t,
                    c,
                    d,
                    Msg::new(
                        format!("{VALETUDO}/StatusStateAttribute/status"),
                        want,
                        true,
                    ),
                );
            }
            let before = self.battery;
            self.battery = match self.status {
                "docked" => (self.battery + 0.6).min(100.0),
                _ => (self.battery - 0.35).max(10.0),
            };
            if self.status == "cleaning" {
                self.brush -= 0.5;
                if self.brush.floor() != (self.brush + 0.5).floor() {
                    sink.publish(
                        t,
                        c,
                        d,
                        Msg::new(
                            format!("{VALETUDO}/ConsumableStateAttribute/main_brush"),
                            format!("{}", self.brush.floor()),
                            true,
                        ),
                    );
                }
            }
            if before.round() != self.battery.round() {
                sink.publish(
                    t,
                    c,
                    d,
                    Msg::new(
                        format!("{VALETUDO}/BatteryStateAttribute/level"),
                        format!("{}", self.battery.round()),
                        true,
                    ),
                );
            }
        }
    }
}

/// A Victron GX (Cerbo) with a battery monitor, a solar charger and an inverter/charger.
struct VictronGx {
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
    fn new(b: &mut Builder) -> VictronGx {
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
        let _ = self.start;
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

/// Home Assistant discovery leftovers: a config for a sensor that is gone.
struct Leftovers {
    client: usize,
    device: usize,
    done: bool,
}

impl Device for Leftovers {
    fn advance(&mut self, _now: f64, _until: f64, _env: &Env, sink: &mut Sink) {
        if self.done {
            return;
        }
        self.done = true;
        sink.connect(0.0, self.client, self.device);
        let cfg = json!({"name": "Garage Temperature", "stat_t": "garage/sensor/garage_temperature/state", "unit_of_meas": "°C", "dev_cla": "temperature",
            "uniq_id": "ESPsensorgarage_temperature", "avty_t": "garage/status", "dev": {"ids": "e8db84000111", "name": "garage", "mdl": "esp8266", "mf": "espressif"}});
        sink.publish(
            0.0,
            self.client,
            self.device,
            Msg::new(
                "homeassistant/sensor/garage/garage_temperature/config",
                cfg.to_string(),
                true,
            ),
        );
    }
}

/// Every device of the home.
pub fn devices(b: &mut Builder, env: &Env) -> Vec<Box<dyn Device>> {
    let mut out: Vec<Box<dyn Device>> = Vec::new();
    out.push(Box::new(Zigbee2Mqtt::new(b, env)));
    out.push(Box::new(TasmotaFridge::new(b)));
    out.push(Box::new(ShellyBoiler::new(b)));
    out.push(Box::new(EspGreenhouse::new(b, env)));
    out.push(Box::new(OwnTracks::new(b)));
    out.push(Box::new(Frigate::new(b)));
    out.push(Box::new(OctoPrint::new(b)));
    out.push(Box::new(Valetudo::new(b)));
    out.push(Box::new(VictronGx::new(b)));
    // The leftover's "device" is a ghost: it is not a physical device of the home.
    let client = b.client("homeassistant-leftover", None, 60);
    let ghost = b.truth.devices.len();
    b.truth
        .ghosts
        .push("homeassistant/sensor/garage/garage_temperature/config".into());
    b.truth.devices.push(super::TruthDevice {
        id: "(ghost) garage".into(),
        ecosystem: "ghost".into(),
        liveness: "none".into(),
        ..Default::default()
    });
    out.push(Box::new(Leftovers {
        client,
        device: ghost,
        done: false,
    }));
    out
}
