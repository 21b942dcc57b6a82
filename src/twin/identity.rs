//! Which physical device a topic belongs to, by the convention that explains it, so that a
//! device's status topic and its data topics are one device (one row in the Devices tab).
//!
//! The rules are a table: a new convention is one more line in [`RULES`] and one more test.
//! A device named in the payload (lab-6 `sensor_id`, `device_id`) wins over every rule; Homie
//! devices under a vendor root, learnt from their `$state` / `$homie` topics ([`Learnt`]),
//! come next; then the table; then the topic schema's `{sensor}` level; then, for a topic of
//! four levels or more, the level before its leaf ([`parent_of`]); the whole topic is the last
//! resort. docs/identity.md states the order and the premise of each rule.
//!
//! Identity never crosses conventions by design of the table: each rule claims topics by
//! their root (`zigbee2mqtt/`, `frigate/`, `N/<portal>/`, …), so a camera named `front_door`
//! under `frigate/` and a Zigbee contact named `front_door` are two devices (`frigate` and
//! `front_door`). Two unknown layouts that use the same word at their device level are still
//! one row (nothing in the topics can tell them apart); a payload id or a discovery config
//! that names them apart wins.

use super::levels;

/// One convention: its name and how it reads a device id from the topic's levels.
pub struct Rule {
    pub convention: &'static str,
    pub device: fn(&[&str]) -> Option<String>,
}

fn nonempty(s: &str) -> Option<String> {
    (!s.is_empty() && !s.starts_with('$')).then(|| s.to_string())
}

/// ESPHome's MQTT components: `<node>/<component>/<object_id>/state|command`.
const ESPHOME_COMPONENTS: &[&str] = &[
    "sensor",
    "binary_sensor",
    "text_sensor",
    "switch",
    "light",
    "fan",
    "cover",
    "climate",
    "number",
    "select",
    "button",
    "lock",
    "valve",
    "text",
    "event",
    "alarm_control_panel",
    "datetime",
    "date",
    "time",
    "update",
];

/// A Victron portal id: twelve hexadecimal digits (the GX's MAC address).
fn victron_portal(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The conventions, tried in order; the first that names a device wins.
pub const RULES: &[Rule] = &[
    // Zigbee2MQTT: `zigbee2mqtt/<device>` (its data), `…/<device>/availability`, `…/set`; the
    // bridge's own topics (`bridge/state`, `bridge/info`, …) are the bridge, one device.
    Rule {
        convention: "zigbee2mqtt",
        device: |l| match l {
            ["zigbee2mqtt", "bridge", ..] => Some(BRIDGE.to_string()),
            ["zigbee2mqtt", d, ..] => nonempty(d),
            _ => None,
        },
    },
    // Frigate: everything under `frigate/` is the NVR (its cameras are its parts), whose
    // liveness is `frigate/available`.
    Rule {
        convention: "frigate",
        device: |l| match l {
            ["frigate", _, ..] => Some("frigate".into()),
            _ => None,
        },
    },
    // OctoPrint's MQTT plugin: everything under its base topic `octoPrint/` is the printer;
    // `octoPrint/mqtt` is its will.
    Rule {
        convention: "octoprint",
        device: |l| match l {
            ["octoPrint", _, ..] => Some("octoPrint".into()),
            _ => None,
        },
    },
    // OwnTracks: `owntracks/<user>/<device>` and what hangs below it (`/event`, `/info`).
    Rule {
        convention: "owntracks",
        device: |l| match l {
            ["owntracks", u, d, ..] if !u.is_empty() && !d.is_empty() => Some(format!("{u}/{d}")),
            _ => None,
        },
    },
    // Victron's dbus-mqtt: `N|R|W/<portal id>/<service>/<instance>/<path>`: one device per
    // GX (the portal). Its services (battery monitor, charger, inverter) are parts of one
    // installation behind one connection, as a camera is part of its NVR.
    Rule {
        convention: "victron",
        device: |l| match l {
            ["N" | "R" | "W", p, _, ..] if victron_portal(p) => Some(p.to_string()),
            _ => None,
        },
    },
    // ESPHome: `<node>/<component>/<object_id>/state|command` and `<node>/debug` are the
    // node, whose liveness is `<node>/status`.
    Rule {
        convention: "esphome",
        device: |l| match l {
            [node, c, _, "state" | "command"] if ESPHOME_COMPONENTS.contains(c) => nonempty(node),
            [node, "debug"] => nonempty(node),
            _ => None,
        },
    },
    // rtl_433: `rtl_433/<host>/devices/<model>[/<subtype>][/<channel>]/<id>/<field>`: one
    // device per decoded sensor (model, channel, id); `rtl_433/<host>/…` else is the receiver.
    Rule {
        convention: "rtl_433",
        device: |l| match l {
            ["rtl_433", _, "devices", rest @ .., _] if !rest.is_empty() => Some(rest.join("/")),
            ["rtl_433", host, _, ..] => nonempty(host).map(|h| format!("rtl_433/{h}")),
            _ => None,
        },
    },
    // Homie 3/4 `homie/<device>/<node>/<property>`, Homie 5 `homie/5/<device>/…`.
    Rule {
        convention: "homie",
        device: |l| match l {
            ["homie", "5", d, ..] => nonempty(d),
            ["homie", d, ..] => nonempty(d),
            _ => None,
        },
    },
    // Tasmota `tele|stat|cmnd/<device>/<name>`.
    Rule {
        convention: "tasmota",
        device: |l| match l {
            ["tele" | "stat" | "cmnd", d, _, ..] => nonempty(d),
            _ => None,
        },
    },
    // Shelly (Gen 1) `shellies/<device>/…`.
    Rule {
        convention: "shelly",
        device: |l| match l {
            ["shellies", d, _, ..] => nonempty(d),
            _ => None,
        },
    },
    // Shelly (Gen 2) `<id>/status/<component>`, `<id>/online`, `<id>/events/…` (ids `shelly…`).
    Rule {
        convention: "shelly",
        device: |l| match l {
            [d, "status" | "online" | "events" | "rpc", ..] if d.starts_with("shelly") => {
                nonempty(d)
            }
            _ => None,
        },
    },
    // Home Assistant MQTT Statestream `homeassistant/<domain>/<object>/<attribute>`: the
    // entity (`sensor.outside_temperature`).
    Rule {
        convention: "home-assistant",
        device: |l| match l {
            ["homeassistant", domain, object, _] => Some(format!("{domain}.{object}")),
            _ => None,
        },
    },
    // The home lab's `home/<device>/…` (sensors, status).
    Rule {
        convention: "home",
        device: |l| match l {
            ["home", d, _, ..] => nonempty(d),
            _ => None,
        },
    },
    // Sparkplug B `spBv1.0/<group>/<type>/<node>[/<device>]`.
    Rule {
        convention: "sparkplug",
        device: |l| match l {
            // The group is part of a node's name: `group/node[/device]`.
            ["spBv1.0", g, _, node, device] if !g.is_empty() && !node.is_empty() => {
                Some(format!("{g}/{node}/{device}"))
            }
            ["spBv1.0", g, _, node] if !g.is_empty() && !node.is_empty() => {
                Some(format!("{g}/{node}"))
            }
            _ => None,
        },
    },
];

/// The part of a topic that tells a device's series apart, for conventions whose devices
/// publish on many topics: ESPHome's object id (`soil_bed_1`), the levels below Frigate's,
/// OctoPrint's or a Victron portal's root (`front_door/person`, `temperature/tool0`,
/// `battery/512/Dc/0/Voltage`), a Homie node and property under a vendor root, an rtl_433
/// field, and the leaf of a deep topic named by its parent level (`motor_temp`). `None` for
/// conventions whose fields already tell them apart (Zigbee2MQTT, Tasmota, Shelly, …) and
/// for a device's own topic.
pub fn part_of(topic: &str, device: &str) -> Option<String> {
    let levels: Vec<&str> = levels::levels(topic).collect();
    let join = |l: &[&str]| (!l.is_empty()).then(|| l.join("/"));
    match levels.as_slice() {
        [node, c, object, "state" | "command"]
            if *node == device && ESPHOME_COMPONENTS.contains(c) =>
        {
            Some(object.to_string())
        }
        ["frigate" | "octoPrint", rest @ ..] => join(rest),
        ["N" | "R" | "W", p, rest @ ..] if *p == device => join(rest),
        ["owntracks", _, _, rest @ ..] => join(rest),
        ["rtl_433", _, "devices", .., field] => Some(field.to_string()),
        [root, d, rest @ ..] if *root != "homie" && *d == device && rest.len() >= 2 => join(rest),
        [.., d, leaf] if levels.len() >= 4 && *d == device => Some(leaf.to_string()),
        _ => None,
    }
}

/// The family of a numbered series: its topic and field with the number of each numbered name
/// masked (`greenhouse/sensor/soil_bed_2/state` → `greenhouse/sensor/soil_bed_#/state`,
/// Tasmota's `DS18B20-2.Temperature` → `DS18B20-#.Temperature`). `None` when nothing is
/// numbered. A numbered name is a name with at least two letters ending in a number after a
/// letter, `_` or `-`; a level or field segment that is a number alone is a position or an
/// instance (an array index, Victron's `Dc/0`, Shelly's `switch:0`), and a hexadecimal id is
/// an id, so neither makes a family. Premise (used by the twin, which also asks that they
/// share a device, and that they are seen to move together before they are compared): probes
/// numbered alike on one device measure like things side by side, as an ESPHome node's soil
/// probes or a Tasmota's DS18B20 chain do.
pub fn numbered_family(topic: &str, field: &str) -> Option<String> {
    fn mask(seg: &str, out: &mut String) -> bool {
        let digits = seg.len() - seg.trim_end_matches(|c: char| c.is_ascii_digit()).len();
        let stem = &seg[..seg.len() - digits];
        let numbered = digits > 0
            && stem.ends_with(|c: char| c.is_ascii_alphabetic() || c == '_' || c == '-')
            && stem.chars().filter(|c| c.is_ascii_alphabetic()).count() >= 2
            && !(stem.len() >= 6 && stem.chars().all(|c| c.is_ascii_hexdigit()));
        out.push_str(if numbered { stem } else { seg });
        if numbered {
            out.push('#');
        }
        numbered
    }
    let mut out = String::with_capacity(topic.len() + field.len() + 1);
    let mut any = false;
    for (name, sep) in [(topic, '/'), (field, '.')] {
        if sep == '.' {
            out.push(' ');
        }
        for (i, seg) in name.split(sep).enumerate() {
            if i > 0 {
                out.push(sep);
            }
            any |= mask(seg, &mut out);
        }
    }
    any.then_some(out)
}

/// The id of Zigbee2MQTT's bridge (its data and its `bridge/state` alike).
pub const BRIDGE: &str = "zigbee2mqtt-bridge";

/// The device a topic belongs to by convention, and the convention's name.
pub fn device_of(topic: &str) -> Option<(String, &'static str)> {
    let levels: Vec<&str> = levels::levels(topic).collect();
    RULES
        .iter()
        .find_map(|r| (r.device)(&levels).map(|d| (d, r.convention)))
}

/// The level before a topic's leaf, for a topic of four levels or more that no convention or
/// schema explains (`acme/hamburg/line1/press1/motor_temp` → `press1`). Premise: a device
/// publishes its values as leaves under its own level, as a Last Will's `…/<device>/status`
/// does, so its data and its status are one device.
pub fn parent_of(topic: &str) -> Option<String> {
    let levels: Vec<&str> = levels::levels(topic).filter(|l| !l.is_empty()).collect();
    if levels.len() < 4 {
        return None;
    }
    nonempty(levels[levels.len() - 2])
}

/// Topics that describe devices rather than measure anything: Tasmota's own discovery, the
/// Zigbee2MQTT bridge's inventories and settings, Homie attributes (`$name`, `$nodes`, …)
/// under any root, and an OwnTracks phone's will. They make no series and no states.
pub fn is_description(topic: &str) -> bool {
    let mut levels = levels::levels(topic);
    let first = levels.next().unwrap_or("");
    let last = levels::last(topic);
    (first == "tasmota" && topic.starts_with("tasmota/discovery/"))
        || (first == "zigbee2mqtt"
            && matches!(
                topic,
                "zigbee2mqtt/bridge/info"
                    | "zigbee2mqtt/bridge/devices"
                    | "zigbee2mqtt/bridge/groups"
                    | "zigbee2mqtt/bridge/definitions"
                    | "zigbee2mqtt/bridge/extensions"
                    | "zigbee2mqtt/bridge/config"
                    | "zigbee2mqtt/bridge/converters"
            ))
        || (last.starts_with('$') && last != "$state")
}

/// Homie devices found under roots other than `homie/` (Valetudo publishes under
/// `valetudo/<id>/`): learnt from their `$homie` or `$state` topics, so their nodes'
/// properties (`valetudo/<id>/<node>/<property>`) are the device. At most [`MAX_LEARNT`].
#[derive(Debug, Clone, Default)]
pub struct Learnt {
    homie: std::collections::BTreeSet<String>,
}

/// How many Homie devices under other roots are remembered.
pub const MAX_LEARNT: usize = 4096;

impl Learnt {
    /// Learns from a topic `<root>/<device>/$homie|$state`.
    pub fn learn(&mut self, topic: &str) {
        let levels: Vec<&str> = levels::levels(topic).collect();
        if let [root, device, "$homie" | "$state"] = levels.as_slice() {
            if *root != "homie"
                && !root.is_empty()
                && !device.is_empty()
                && self.homie.len() < MAX_LEARNT
            {
                self.homie.insert(format!("{root}/{device}"));
            }
        }
    }

    /// The Homie device a topic is under, when it is one learnt.
    pub fn device_of(&self, topic: &str) -> Option<String> {
        if self.homie.is_empty() {
            return None;
        }
        let mut it = levels::levels(topic);
        let (root, device) = (it.next()?, it.next()?);
        it.next()?;
        let key = format!("{root}/{device}");
        self.homie.contains(&key).then(|| device.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::event::{Event, Message};
    use crate::twin::devices::Status;
    use crate::twin::Twin;
    use chrono::{TimeZone, Utc};

    #[test]
    fn numbered_families() {
        let f = numbered_family;
        assert_eq!(
            f("greenhouse/sensor/soil_bed_2/state", "value").as_deref(),
            Some("greenhouse/sensor/soil_bed_#/state value")
        );
        assert_eq!(
            f("tele/boiler/SENSOR", "DS18B20-2.Temperature").as_deref(),
            Some("tele/boiler/SENSOR DS18B20-#.Temperature")
        );
        // Positions, instances and ids make no family.
        assert_eq!(f("iotgateway/line/oven", "values.4.v"), None);
        assert_eq!(
            f(
                "iotgateway/line2/oven1",
                "values.Line2.Oven1.Zone3.Temperature.v"
            )
            .as_deref(),
            Some("iotgateway/line#/oven# values.Line#.Oven#.Zone#.Temperature.v")
        );
        assert_eq!(f("N/c0619ab1cc68/battery/512/Dc/0/Voltage", "value"), None);
        assert_eq!(f("shellyplus1pm/status/switch:0", "apower"), None);
        assert_eq!(f("shellies/441793217ec7/relay", "power"), None);
        assert_eq!(f("home/x7/temperature", "value"), None);
    }

    /// Feeds literal messages of one convention; returns the twin.
    fn feed(msgs: &[(&str, &str)]) -> Twin {
        let mut t = Twin::default();
        for (i, (topic, payload)) in msgs.iter().enumerate() {
            t.apply(&Event::Message(Message::new(
                Utc.timestamp_opt(1_800_000_000 + i as i64, 0).unwrap(),
                *topic,
                payload.as_bytes().to_vec(),
            )));
        }
        t
    }

    /// One device row, with its status and its data.
    fn one_device(t: &Twin, id: &str, series: usize) {
        let ids: Vec<&String> = t.devices.by_id.keys().collect();
        assert_eq!(ids, [id], "one device");
        let d = &t.devices.by_id[id];
        assert_eq!(d.status, Status::Online);
        assert_eq!(d.series, series, "its data");
        assert!(t.series.iter().all(|s| s.device == id));
    }

    #[test]
    fn zigbee2mqtt_availability_and_data_are_one_device() {
        let t = feed(&[
            (
                "zigbee2mqtt/living_room_sensor/availability",
                r#"{"state":"online"}"#,
            ),
            (
                "zigbee2mqtt/living_room_sensor",
                r#"{"temperature":21.4,"humidity":48.2,"battery":97,"linkquality":120}"#,
            ),
        ]);
        one_device(&t, "living_room_sensor", 4);
    }

    #[test]
    fn homie_state_and_properties_are_one_device() {
        let t = feed(&[
            ("homie/boiler/$state", "ready"),
            ("homie/boiler/temperature/value", "64.5"),
        ]);
        one_device(&t, "boiler", 1);
        let t = feed(&[
            ("homie/5/boiler/$state", "ready"),
            ("homie/5/boiler/water/temperature", "64.5"),
        ]);
        one_device(&t, "boiler", 1);
    }

    #[test]
    fn tasmota_lwt_and_telemetry_are_one_device() {
        let t = feed(&[
            ("tele/plug1/LWT", "Online"),
            (
                "tele/plug1/SENSOR",
                r#"{"ENERGY":{"Power":42.0,"Voltage":230}}"#,
            ),
        ]);
        one_device(&t, "plug1", 2);
    }

    #[test]
    fn home_lab_status_and_sensors_are_one_device() {
        let t = feed(&[
            ("home/living-room-01/status", "online"),
            (
                "home/living-room-01/sensors",
                r#"{"temperature_c":22.1,"humidity":45.2,"timestamp":1737028800.5}"#,
            ),
        ]);
        one_device(&t, "living-room-01", 2);
    }

    #[test]
    fn shelly_and_sparkplug_topics_name_their_device() {
        assert_eq!(
            device_of("shellies/shelly1-ABC/relay/0/power"),
            Some(("shelly1-ABC".into(), "shelly"))
        );
        assert_eq!(
            device_of("spBv1.0/plant/DDATA/edge1/press4"),
            Some(("plant/edge1/press4".into(), "sparkplug"))
        );
        assert_eq!(
            device_of("zigbee2mqtt/bridge/state"),
            Some((BRIDGE.into(), "zigbee2mqtt"))
        );
        assert_eq!(device_of("/living_room/temperature/s1"), None);
    }

    #[test]
    fn a_device_named_in_the_payload_wins() {
        let t = feed(&[(
            "home/hub/sensors",
            r#"{"device_id":"kitchen-2","temperature_c":20.5}"#,
        )]);
        assert_eq!(t.series[0].device, "kitchen-2");
    }

    /// Every device of a twin, by id.
    fn ids(t: &Twin) -> Vec<&str> {
        t.devices.by_id.keys().map(String::as_str).collect()
    }

    #[test]
    fn esphome_status_entities_and_log_are_one_node() {
        let t = feed(&[
            ("greenhouse/status", "online"),
            ("greenhouse/sensor/greenhouse_temperature/state", "21.4"),
            ("greenhouse/binary_sensor/greenhouse_door/state", "OFF"),
            ("greenhouse/switch/greenhouse_fan/state", "ON"),
            (
                "greenhouse/debug",
                "[D][sensor:093]: 'Greenhouse Temperature': Sending state 21.40000",
            ),
        ]);
        assert_eq!(ids(&t), ["greenhouse"]);
        assert_eq!(t.series[0].device, "greenhouse");
    }

    #[test]
    fn frigate_cameras_are_parts_of_frigate_and_its_will_is_available() {
        let t = feed(&[
            ("frigate/available", "online"),
            ("frigate/front_door/person", "1"),
            ("frigate/driveway/car", "0"),
            (
                "frigate/stats",
                r#"{"detection_fps":0.2,"service":{"uptime":3600}}"#,
            ),
        ]);
        assert_eq!(ids(&t), ["frigate"]);
        assert_eq!(t.devices.by_id["frigate"].status, Status::Online);
        let t = feed(&[("frigate/available", "offline")]);
        assert_eq!(t.devices.by_id["frigate"].status, Status::Offline);
    }

    #[test]
    fn octoprint_is_one_printer_whose_will_is_its_connection_topic() {
        let t = feed(&[
            ("octoPrint/mqtt", "connected"),
            (
                "octoPrint/temperature/tool0",
                r#"{"_timestamp":1767600000,"actual":214.8,"target":215.0}"#,
            ),
            (
                "octoPrint/temperature/bed",
                r#"{"_timestamp":1767600000,"actual":60.1,"target":60.0}"#,
            ),
            (
                "octoPrint/progress/printing",
                r#"{"_timestamp":1767600000,"location":"local","path":"b.gcode","progress":37}"#,
            ),
            (
                "octoPrint/event/PrintStarted",
                r#"{"_event":"PrintStarted","_timestamp":1767600000,"size":2914511}"#,
            ),
        ]);
        assert_eq!(ids(&t), ["octoPrint"]);
        let t = feed(&[("octoPrint/mqtt", "disconnected")]);
        assert_eq!(t.devices.by_id["octoPrint"].status, Status::Offline);
    }

    #[test]
    fn owntracks_device_and_its_events_are_one_device() {
        let t = feed(&[
            (
                "owntracks/alice/phone",
                r#"{"_type":"location","lat":52.52,"lon":13.405,"batt":76,"tst":1767600000}"#,
            ),
            (
                "owntracks/alice/phone/event",
                r#"{"_type":"transition","event":"leave","lat":52.52,"lon":13.405,"tst":1767600100}"#,
            ),
        ]);
        assert_eq!(ids(&t), ["alice/phone"]);
    }

    #[test]
    fn homie_under_a_vendor_root_is_one_device_with_its_state() {
        let t = feed(&[
            ("valetudo/RapidShyMouse/$homie", "4.0.0"),
            ("valetudo/RapidShyMouse/$name", "Valetudo S5 RapidShyMouse"),
            ("valetudo/RapidShyMouse/$state", "ready"),
            (
                "valetudo/RapidShyMouse/BatteryStateAttribute/$name",
                "BatteryStateAttribute",
            ),
            ("valetudo/RapidShyMouse/BatteryStateAttribute/level", "87"),
            (
                "valetudo/RapidShyMouse/StatusStateAttribute/status",
                "docked",
            ),
        ]);
        assert_eq!(ids(&t), ["RapidShyMouse"]);
        assert_eq!(t.devices.by_id["RapidShyMouse"].status, Status::Online);
        assert_eq!(
            t.series.len(),
            1,
            "the battery; the attributes are descriptions"
        );
    }

    #[test]
    fn a_victron_gx_is_one_device_per_portal() {
        let t = feed(&[
            (
                "N/c0619ab12345/battery/512/Dc/0/Voltage",
                r#"{"value":52.31}"#,
            ),
            (
                "N/c0619ab12345/solarcharger/279/Yield/Power",
                r#"{"value":812}"#,
            ),
            (
                "N/c0619ab12345/system/0/Serial",
                r#"{"value":"c0619ab12345"}"#,
            ),
            (
                "N/c0619ab12345/battery/512/Dc/0/Temperature",
                r#"{"value":null}"#,
            ),
        ]);
        assert_eq!(ids(&t), ["c0619ab12345"]);
    }

    #[test]
    fn descriptions_make_no_devices_and_the_bridge_is_one() {
        let t = feed(&[
            ("zigbee2mqtt/bridge/state", r#"{"state":"online"}"#),
            (
                "zigbee2mqtt/bridge/info",
                r#"{"version":"1.40.2","network":{"channel":15,"pan_id":6754}}"#,
            ),
            (
                "zigbee2mqtt/bridge/devices",
                r#"[{"friendly_name":"bathroom","definition":{"model":"WSDCGQ11LM","vendor":"Aqara"}}]"#,
            ),
            (
                "tasmota/discovery/A4CF12A1B2C3/config",
                r#"{"dn":"Fridge","md":"Gosund SP111","t":"tasmota_A1B2C3","ty":0,"rl":[1,0]}"#,
            ),
            (
                "tasmota/discovery/A4CF12A1B2C3/sensors",
                r#"{"sn":{"ENERGY":{"Power":0}},"ver":1}"#,
            ),
            ("tele/tasmota_A1B2C3/LWT", "Online"),
            ("zigbee2mqtt/bathroom", r#"{"temperature":21.3}"#),
        ]);
        assert_eq!(ids(&t), [BRIDGE, "tasmota_A1B2C3", "bathroom"]);
        assert_eq!(t.series.len(), 1, "descriptions are no readings");
        assert_eq!(
            t.devices.description("bathroom").and_then(|d| d.make()),
            Some("Aqara WSDCGQ11LM".into())
        );
    }

    #[test]
    fn the_same_word_under_two_conventions_is_two_devices() {
        let t = feed(&[
            (
                "zigbee2mqtt/front_door",
                r#"{"contact":true,"battery":100}"#,
            ),
            (
                "zigbee2mqtt/front_door/availability",
                r#"{"state":"online"}"#,
            ),
            ("frigate/front_door/person", "1"),
            ("frigate/front_door/motion", "ON"),
        ]);
        assert_eq!(ids(&t), ["front_door", "frigate"]);
        assert!(t
            .series
            .iter()
            .filter(|s| s.topic.starts_with("frigate/"))
            .all(|s| s.device == "frigate"));
    }

    #[test]
    fn deep_topics_are_the_device_of_their_leaf_with_its_will() {
        let t = feed(&[
            ("acme/hamburg/line1/press1/status", "online"),
            ("acme/hamburg/line1/press1/motor_temp", "61.2"),
            ("acme/hamburg/line1/press1/parts_count", "104211"),
        ]);
        assert_eq!(ids(&t), ["press1"]);
    }

    #[test]
    fn rtl_433_sensors_are_one_device_each() {
        let t = feed(&[
            (
                "rtl_433/pi/devices/Acurite-Tower/A/1234/temperature_C",
                "3.5",
            ),
            ("rtl_433/pi/devices/Acurite-Tower/A/1234/humidity", "81"),
            (
                "rtl_433/pi/devices/LaCrosse-TX141THBv2/0/77/temperature_C",
                "-1.2",
            ),
        ]);
        assert_eq!(
            ids(&t),
            ["Acurite-Tower/A/1234", "LaCrosse-TX141THBv2/0/77"]
        );
    }

    #[test]
    fn states_speak_the_words_their_description_gives() {
        let door = r#"{"device_class":"door","payload_on":false,"payload_off":true,
            "state_topic":"zigbee2mqtt/front_door","value_template":"{{ value_json.contact }}",
            "name":"Contact"}"#;
        let motion = r#"{"dev_cla":"motion","stat_t":"greenhouse/binary_sensor/motion/state","name":"Motion"}"#;
        let plug = r#"{"state_topic":"zigbee2mqtt/plug","value_template":"{{ value_json.state }}",
            "command_topic":"zigbee2mqtt/plug/set","payload_on":"ON","payload_off":"OFF"}"#;
        let t = feed(&[
            ("homeassistant/binary_sensor/0x01/contact/config", door),
            (
                "homeassistant/binary_sensor/greenhouse/motion/config",
                motion,
            ),
            ("homeassistant/switch/0x02/switch/config", plug),
            (
                "zigbee2mqtt/front_door",
                r#"{"contact":false,"battery":100}"#,
            ),
            ("greenhouse/binary_sensor/motion/state", "ON"),
            ("zigbee2mqtt/plug", r#"{"state":"OFF","power":0}"#),
        ]);
        let value = |topic: &str, field: &str| {
            let i = t.states.find(topic, field).expect("a state");
            t.states.list[i].value.clone()
        };
        assert_eq!(value("zigbee2mqtt/front_door", "contact"), "open");
        assert_eq!(
            value("greenhouse/binary_sensor/motion/state", "value"),
            "detected"
        );
        assert_eq!(value("zigbee2mqtt/plug", "state"), "off");
    }

    #[test]
    fn series_of_a_many_topic_device_are_told_apart() {
        assert_eq!(
            part_of("octoPrint/temperature/tool0", "octoPrint").as_deref(),
            Some("temperature/tool0")
        );
        assert_eq!(
            part_of("greenhouse/sensor/soil_bed_1/state", "greenhouse").as_deref(),
            Some("soil_bed_1")
        );
        assert_eq!(
            part_of("N/c0619ab12345/battery/512/Dc/0/Voltage", "c0619ab12345").as_deref(),
            Some("battery/512/Dc/0/Voltage")
        );
        assert_eq!(
            part_of("acme/hamburg/line1/press1/motor_temp", "press1").as_deref(),
            Some("motor_temp")
        );
        assert_eq!(
            part_of("valetudo/Robot/BatteryStateAttribute/level", "Robot").as_deref(),
            Some("BatteryStateAttribute/level")
        );
        assert_eq!(part_of("zigbee2mqtt/bathroom", "bathroom"), None);
        assert_eq!(part_of("tele/plug1/SENSOR", "plug1"), None);
        let t = feed(&[
            (
                "octoPrint/temperature/tool0",
                r#"{"_timestamp":1767600000,"actual":214.8,"target":215.0}"#,
            ),
            (
                "octoPrint/temperature/bed",
                r#"{"_timestamp":1767600000,"actual":60.1,"target":60.0}"#,
            ),
        ]);
        let labels: std::collections::BTreeSet<&str> =
            t.series.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(
            labels.len(),
            t.series.len(),
            "every label differs: {labels:?}"
        );
        assert!(labels.contains("temperature/tool0 · actual"));
    }

    #[test]
    fn epoch_times_inside_payloads_are_no_series() {
        // feed() stamps messages at 1_800_000_000 s: the payload's times are near it.
        let t = feed(&[
            (
                "owntracks/alice/phone",
                r#"{"_type":"location","lat":52.52,"lon":13.405,"tst":1800000000,"created_at":1799999990,"batt":76}"#,
            ),
            (
                "shellyplus1pm-a8032ab12345/status/sys",
                r#"{"unixtime":1800000001,"uptime":3600,"ram_free":148000}"#,
            ),
            (
                "frigate/events",
                r#"{"type":"new","after":{"frame_time":1800000000.123,"score":0.8}}"#,
            ),
        ]);
        let fields: Vec<&str> = t.series.iter().map(|s| s.field.as_str()).collect();
        assert_eq!(
            fields,
            ["batt", "lat", "lon", "ram_free", "uptime", "after.score"]
        );
    }
}
