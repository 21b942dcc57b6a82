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

mod esphome;
mod frigate;
mod octoprint;
mod owntracks;
mod shelly;
mod tasmota;
mod valetudo;
mod victron;
mod zigbee2mqtt;

use fastrand::Rng;
use serde_json::json;

use super::signal::{Downtime, Env, FaultKind};
use super::{at, Builder, Device, Msg, Sink, TruthFault};

/// What every device model uses.
mod prelude {
    pub use fastrand::Rng;
    pub use serde_json::{json, Value};

    pub use super::super::signal::{
        fmt, quantise, Downtime, Env, FaultKind, OnChange, Probe, Ticker, Wander,
    };
    pub use super::super::{at, Builder, Device, Msg, Sink, TruthFault};
    pub(crate) use super::{
        down_faults, epoch, local, z, COUNTER_FAULTS, DS18B20_FAULTS, FIRMWARE_FAULTS, PROBE_FAULTS,
    };
    pub use crate::sim::sensors::gaussian;
}

pub(crate) const PROBE_FAULTS: &[FaultKind] = &[
    FaultKind::Spike,
    FaultKind::LevelShift,
    FaultKind::DriftFast,
    FaultKind::DriftSlow,
    FaultKind::Stuck,
    FaultKind::NoiseBurst,
];
pub(crate) const FIRMWARE_FAULTS: &[FaultKind] = &[
    FaultKind::Spike,
    FaultKind::LevelShift,
    FaultKind::DriftFast,
    FaultKind::DriftSlow,
    FaultKind::Stuck,
    FaultKind::NoiseBurst,
    FaultKind::UnitChange,
];
pub(crate) const DS18B20_FAULTS: &[FaultKind] = &[
    FaultKind::Spike,
    FaultKind::Stuck,
    FaultKind::DriftFast,
    FaultKind::OutOfRange,
];
pub(crate) const COUNTER_FAULTS: &[FaultKind] = &[FaultKind::CounterReset];

/// Local time as Tasmota prints it (no zone).
pub(crate) fn local(b_start: chrono::DateTime<chrono::Utc>, t: f64) -> String {
    at(b_start, t).format("%Y-%m-%dT%H:%M:%S").to_string()
}

pub(crate) fn epoch(start: chrono::DateTime<chrono::Utc>, t: f64) -> f64 {
    at(start, t).timestamp_millis() as f64 / 1000.0
}

pub(crate) fn z(s: &str) -> String {
    format!("zigbee2mqtt/{s}")
}

/// The truth entries (and downtime) of an `Offline` or `Flapping` fault.
#[allow(clippy::too_many_arguments)]
pub(crate) fn down_faults(
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
            also: Vec::new(),
            start: at(t0, *s),
            end: at(t0, *e),
            magnitude: 0.0,
            hidden: false,
            shown_until: None,
        })
        .collect()
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
    let mut out: Vec<Box<dyn Device>> = vec![
        Box::new(zigbee2mqtt::Zigbee2Mqtt::new(b, env)),
        Box::new(tasmota::TasmotaFridge::new(b)),
        Box::new(shelly::ShellyBoiler::new(b)),
        Box::new(esphome::EspGreenhouse::new(b, env)),
        Box::new(owntracks::OwnTracks::new(b)),
        Box::new(frigate::Frigate::new(b)),
        Box::new(octoprint::OctoPrint::new(b)),
        Box::new(valetudo::Valetudo::new(b)),
        Box::new(victron::VictronGx::new(b)),
    ];
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
