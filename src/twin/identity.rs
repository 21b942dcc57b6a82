//! Which physical device a topic belongs to, by the convention that explains it, so that a
//! device's status topic and its data topics are one device (one row in the Devices tab).
//!
//! The rules are a table: a new convention is one more line in [`RULES`] and one more test.
//! A device named in the payload (lab-6 `sensor_id`, `device_id`) wins over every rule; the
//! topic schema's `{sensor}` level comes after the rules; the whole topic is the last resort.

/// One convention: its name and how it reads a device id from the topic's levels.
pub struct Rule {
    pub convention: &'static str,
    pub device: fn(&[&str]) -> Option<String>,
}

fn nonempty(s: &str) -> Option<String> {
    (!s.is_empty() && !s.starts_with('$')).then(|| s.to_string())
}

/// The conventions, tried in order; the first that names a device wins.
pub const RULES: &[Rule] = &[
    // Zigbee2MQTT: `zigbee2mqtt/<device>` (its data), `…/<device>/availability`, `…/set`.
    Rule {
        convention: "zigbee2mqtt",
        device: |l| match l {
            ["zigbee2mqtt", "bridge", ..] => None,
            ["zigbee2mqtt", d, ..] => nonempty(d),
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
            ["spBv1.0", _, _, node, device] => Some(format!("{node}/{device}")),
            ["spBv1.0", _, _, node] => nonempty(node),
            _ => None,
        },
    },
];

/// The device a topic belongs to by convention, and the convention's name.
pub fn device_of(topic: &str) -> Option<(String, &'static str)> {
    let levels: Vec<&str> = topic.split('/').collect();
    RULES
        .iter()
        .find_map(|r| (r.device)(&levels).map(|d| (d, r.convention)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Event, Message};
    use crate::twin::devices::Status;
    use crate::twin::Twin;
    use chrono::{TimeZone, Utc};

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
            Some(("edge1/press4".into(), "sparkplug"))
        );
        assert_eq!(device_of("zigbee2mqtt/bridge/state"), None);
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
}
