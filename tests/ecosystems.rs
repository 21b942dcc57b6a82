//! Real-shaped messages from each ecosystem a home or factory broker carries (Zigbee2MQTT,
//! Tasmota, Shelly Gen 1 and 2, Home Assistant states and discovery, Homie, `$SYS`, text,
//! units in text, binary, broken), as a recording (`tests/fixtures/ecosystems.jsonl`)
//! replayed through the binary: the series, states, devices and labels each must produce.

use std::process::Command;

use serde_json::Value;

fn snapshot() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/ecosystems.jsonl"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_twinview"))
        .args(["replay", path, "--headless"])
        .output()
        .expect("run replay");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("snapshot JSON")
}

fn find<'a>(list: &'a Value, topic: &str, field: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|s| s["topic"] == topic && s["field"] == field)
        .unwrap_or_else(|| panic!("{topic} {field} missing"))
}

fn has(list: &Value, topic: &str) -> bool {
    list.as_array().unwrap().iter().any(|s| s["topic"] == topic)
}

fn device<'a>(snap: &'a Value, id: &str) -> &'a Value {
    snap["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == id)
        .unwrap_or_else(|| panic!("device {id} missing"))
}

#[test]
fn every_ecosystem_reads_as_series_states_and_devices() {
    let snap = snapshot();
    let (sensors, states) = (&snap["sensors"], &snap["states"]);

    // Only the broken JSON is malformed; the JPEG and the long text are traffic without
    // values; the discovery configs and Homie attributes are neither.
    assert_eq!(snap["undecoded"], 1, "{}", snap["undecoded_topics"]);
    assert_eq!(snap["ignored"], 2);
    let why: Vec<(String, bool)> = snap["undecoded_topics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["topic"].as_str().unwrap().to_string(),
                u["malformed"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        why,
        [
            ("camera/front/snapshot".to_string(), false),
            ("notes/long".to_string(), false),
            ("sensors/broken".to_string(), true),
        ]
    );

    // Zigbee2MQTT with Home Assistant discovery: the friendly name, unit and class on the
    // field the template reads; the occupancy boolean a state with its changes, in the words
    // its device class gives (motion: detected / clear); the device what the config says it is.
    let lux = find(sensors, "zigbee2mqtt/kitchen_motion", "illuminance");
    assert_eq!(lux["label"], "Illuminance");
    assert_eq!(lux["unit"], "lx");
    assert_eq!(lux["device_class"], "illuminance");
    assert_eq!(lux["device"], "kitchen_motion");
    assert_eq!(
        find(sensors, "zigbee2mqtt/kitchen_motion", "battery")["label"],
        "battery"
    );
    let occ = find(states, "zigbee2mqtt/kitchen_motion", "occupancy");
    assert_eq!(occ["label"], "Occupancy");
    assert_eq!(occ["value"], "clear");
    assert_eq!(occ["changes"], 2);
    let history: Vec<&str> = occ["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["value"].as_str().unwrap())
        .collect();
    assert_eq!(history, ["clear", "detected", "clear"]);
    assert_eq!(
        find(states, "zigbee2mqtt/kitchen_motion", "update.state")["value"],
        "idle"
    );
    assert!(
        !states
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["field"] == "last_seen"),
        "a time is not a state"
    );
    let km = device(&snap, "kitchen_motion");
    assert_eq!(km["convention"], "zigbee2mqtt");
    assert_eq!(km["make"], "Xiaomi Aqara motion sensor (RTCGQ11LM)");
    assert_eq!(device(&snap, "zigbee2mqtt-bridge")["status"], "online");

    // Tasmota: nested ENERGY fields; the abbreviated discovery config arriving after the
    // first reading still names and units ENERGY.Power; POWER a state that changed; the
    // device's friendly name from the config, one device for LWT, STATE, SENSOR and POWER.
    let power = find(sensors, "tele/tasmota_1A2B3C/SENSOR", "ENERGY.Power");
    assert_eq!(power["label"], "Power");
    assert_eq!(power["unit"], "W");
    assert_eq!(power["last"], 44.0);
    assert_eq!(
        find(sensors, "tele/tasmota_1A2B3C/SENSOR", "ENERGY.Voltage")["last"],
        231.0
    );
    let relay = find(states, "stat/tasmota_1A2B3C/POWER", "value");
    assert_eq!(
        (&relay["value"], &relay["changes"]),
        (&"OFF".into(), &1.into())
    );
    assert!(relay["since"].is_string());
    assert_eq!(
        find(states, "tele/tasmota_1A2B3C/STATE", "POWER")["value"],
        "ON"
    );
    assert!(
        !has(states, "tele/tasmota_1A2B3C/SENSOR"),
        "Time fields are times"
    );
    let plug = device(&snap, "tasmota_1A2B3C");
    assert_eq!(plug["convention"], "tasmota");
    assert_eq!(plug["name"], "Kitchen plug");
    assert_eq!(plug["make"], "ITEAD Sonoff S31");
    assert_eq!(snap["commands_seen"]["Power"], 1);

    // Shelly Gen 2: nested aenergy.total; output a state; the numeric component id is not a
    // device; `<id>/online` its liveness. Gen 1: the relay word a state, `online` liveness.
    let shelly = "shellyplus1pm-a8032ab12345/status/switch:0";
    assert_eq!(find(sensors, shelly, "aenergy.total")["last"], 1234.567);
    assert_eq!(
        find(sensors, shelly, "apower")["device"],
        "shellyplus1pm-a8032ab12345"
    );
    assert_eq!(find(states, shelly, "output")["value"], "true");
    assert_eq!(
        device(&snap, "shellyplus1pm-a8032ab12345")["convention"],
        "shelly"
    );
    assert_eq!(device(&snap, "shelly1-ABC123")["status"], "online");
    assert_eq!(
        find(states, "shellies/shelly1-ABC123/relay/0", "value")["value"],
        "on"
    );

    // Home Assistant statestream: words are states (the first one's start unknown), numbers
    // readings, each under its entity; `homeassistant/status` is HA's own liveness.
    let weather = find(states, "homeassistant/weather/home/state", "value");
    assert_eq!(weather["value"], "partlycloudy");
    assert_eq!(
        weather["since"],
        Value::Null,
        "unknown: never seen to change"
    );
    assert_eq!(weather["device"], "weather.home");
    let tv = find(
        states,
        "homeassistant/media_player/living_room_tv/state",
        "value",
    );
    assert_eq!(
        (&tv["value"], &tv["changes"]),
        (&"unavailable".into(), &1.into())
    );
    assert_eq!(
        find(
            sensors,
            "homeassistant/sensor/outside_temperature/state",
            "value"
        )["last"],
        21.4
    );
    assert_eq!(device(&snap, "homeassistant")["status"], "online");

    // Homie: `$state` is liveness, `$homie` an attribute, properties readings or states.
    assert_eq!(device(&snap, "thermostat")["convention"], "homie");
    assert_eq!(
        find(sensors, "homie/thermostat/temperature/degrees", "value")["last"],
        21.5
    );
    assert_eq!(
        find(states, "homie/thermostat/heating/on", "value")["value"],
        "true"
    );
    assert!(!has(states, "homie/thermostat/$homie"));

    // $SYS is the broker's, never a series.
    assert_eq!(snap["broker"]["clients"], 3);
    assert!(!has(sensors, "$SYS/broker/clients/connected"));

    // Text: a printer's status a state; numbers with units readings with that unit.
    assert_eq!(
        find(states, "printer/office/status", "value")["value"],
        "Printing page 3 of 10"
    );
    assert_eq!(
        find(sensors, "sensors/hall/temperature", "value")["unit"],
        "C"
    );
    assert_eq!(find(sensors, "sensors/hall/humidity", "value")["unit"], "%");

    // Every topic is listed, the binary one as base64, retained flags kept.
    let topics = snap["topics"].as_array().unwrap();
    let cam = topics
        .iter()
        .find(|t| t["topic"] == "camera/front/snapshot")
        .unwrap();
    assert!(cam["payload_b64"].is_string(), "{cam}");
    let cfg = topics
        .iter()
        .find(|t| t["topic"] == "homeassistant/sensor/1A2B3C_ENERGY_Power/config")
        .unwrap();
    assert_eq!(cfg["retained"], true);
}
