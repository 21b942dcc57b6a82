//! A small plant as its systems send it. Each model follows the system's own documentation:
//!
//! - **A unified namespace fed by Node-RED** (the ISA-95 topic hierarchy
//!   `<enterprise>/<site>/<area>/<machine>/<tag>` that UNS write-ups describe; Node-RED's
//!   `mqtt out` node sends what it is given, here plain numbers and words on a fixed inject
//!   interval): presses whose motor temperature follows their load over two shifts, vibration,
//!   a parts counter, cycle time, a state word and a mould setpoint that never moves. One
//!   press's gateway registers a will on `…/status`; the other, and the Node-RED instance that
//!   also publishes the chiller and the hall's 0.5 °C room sensor, register none.
//! - **Kepware's IoT Gateway MQTT agent** (its manual, "Standard template"): one JSON message
//!   per publish interval, `{"timestamp":…,"values":[{"id":"Channel.Device.Tag","v":…,"q":true,
//!   "t":…}]}`, an oven's three zones under on/off control around their setpoints. Its store
//!   and forward holds a publish back now and then, so it arrives late and out of order.
//! - **Shelly Pro 3EM** (Shelly's Gen 2 API, "EM" and "EMData"): the air compressor's three
//!   phases on `<prefix>/status/em:0` and the energy counters on `<prefix>/status/emdata:0`;
//!   `<prefix>/online` is its will. The compressor loads and unloads against its pressure band.
//! - **Tasmota's Smart Meter Interface** (tasmota.github.io "Smart Meter Interface"): the
//!   site's meter on `tele/<topic>/SENSOR` every TelePeriod, `{"Time":…,"<meter>":{"Total_in":…,
//!   "Power_curr":…,"Meter_Number":…}}`; `tele/<topic>/LWT` its will.
//! - **rtl_433** (its README, "MQTT output"): 433 MHz sensors decoded by a receiver and
//!   published field by field under `rtl_433/<host>/devices/<model>/<channel>/<id>/<field>`; a
//!   sensor repeats each transmission, so readings often arrive two or three times; no will.
//! - **Sparkplug B** (the Eclipse Sparkplug 3.0 specification): a pump house edge node with a
//!   pump and a tank; NDEATH with its bdSeq as the will, NBIRTH then DBIRTH (names, aliases,
//!   datatypes), DDATA by exception with aliases, `seq` 0–255 across the node's messages.
//!   Births are not retained: a host that joins later sees data it cannot name until it asks
//!   for a rebirth, and this scripted node does not answer one (start twinview first).
//! - The Contract Net factory of the seed labs runs beside the live plant (machines bidding for
//!   jobs); it is not in offline recordings, which hold what the script can say in advance.

mod energy;
mod kepware;
mod rtl433;
mod sparkplug;
mod uns;

use super::signal::{Env, FaultKind};
use super::{Builder, Device};

/// What every device model uses.
mod prelude {
    pub use fastrand::Rng;
    pub use serde_json::json;

    pub(crate) use super::super::home::down_faults;
    pub use super::super::signal::{
        fmt, quantise, Downtime, Env, FaultKind, Probe, Ticker, Wander,
    };
    pub use super::super::{at, Builder, Device, Msg, Sink, TruthFault};
    pub(crate) use super::{shift, TEMP_FAULTS};
    pub use crate::sim::sensors::gaussian;
}

pub(crate) const TEMP_FAULTS: &[FaultKind] = &[
    FaultKind::Spike,
    FaultKind::LevelShift,
    FaultKind::DriftFast,
    FaultKind::DriftSlow,
    FaultKind::Stuck,
    FaultKind::NoiseBurst,
    FaultKind::UnitChange,
];

/// Whether the presses run at `h` o'clock: two shifts, with breaks.
pub(crate) fn shift(h: f64) -> bool {
    (6.0..22.0).contains(&h)
        && !(9.5..9.75).contains(&h)
        && !(12.0..12.5).contains(&h)
        && !(18.0..18.5).contains(&h)
}

/// Every device of the plant.
pub fn devices(b: &mut Builder, env: &Env) -> Vec<Box<dyn Device>> {
    let mut out: Vec<Box<dyn Device>> = Vec::new();
    out.push(Box::new(uns::Press::new(b, "press1", true, None)));
    let shared = b.client("nodered-plant", None, 60);
    out.push(Box::new(uns::Press::new(b, "press2", false, Some(shared))));
    out.push(Box::new(uns::Utilities::new(b, shared)));
    out.push(Box::new(kepware::Oven::new(b)));
    out.push(Box::new(energy::Compressor::new(b)));
    out.push(Box::new(rtl433::Rtl433::new(b, env)));
    out.push(Box::new(sparkplug::PumpHouse::new(b)));
    out
}
