//! Closing the loop on a real Mosquitto, observed from the headless twin: a drift fault is
//! injected into a simulated sensor, the detection agent names it in an alert, the
//! identification agent resets it, and its readings return to normal.

mod common;

use std::time::Duration;

use common::*;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_drift_is_detected_alerted_reset_and_recovers() {
    let Some(m) = Mosquitto::start() else { return };
    let port = m.port.to_string();
    let mut tv = Twinview::spawn(&[
        "--headless",
        "-b",
        "127.0.0.1",
        "-p",
        &port,
        "-t",
        "/#",
        "--duration",
        "16s",
    ]);
    tv.wait_for_stderr("subscribed to /#", Duration::from_secs(15));
    let mut sim = Twinview::spawn(&[
        "sim",
        "-b",
        "127.0.0.1",
        "-p",
        &port,
        "--sensors",
        "0",
        "--zone-sensors",
        "4",
        "--interval",
        "0.2",
        "--agents",
        "detect,identify",
        "--fault",
        "s2:drift@3",
        "--seed",
        "5",
        "--duration",
        "14s",
    ]);
    sim.wait_for_stderr("Drift fault injected", Duration::from_secs(10));
    sim.wait_for_stderr("detect agent: s2", Duration::from_secs(10));
    sim.wait_for_stderr("simulated s2: RESET received", Duration::from_secs(10));
    let (status, _) = sim.finish(Duration::from_secs(20));
    assert!(status.success());
    let (status, out) = tv.finish(Duration::from_secs(20));
    assert!(status.success());
    let snap: Value = serde_json::from_str(&out).unwrap();

    // The twin saw the alert naming s2 and the reset on the wire.
    let alerts = snap["alerts"].as_array().unwrap();
    assert!(
        alerts
            .iter()
            .any(|a| a["topic"] == "/living_room/temperature/alert"
                && a["sensors"].as_array().unwrap().iter().any(|s| s == "s2")),
        "{alerts:#?}"
    );
    assert!(
        snap["commands_seen"]["RESET"].as_u64().unwrap() >= 1,
        "{}",
        snap["commands_seen"]
    );
    // s2 ran away before the reset (its window's max is far above its peers'), and its last
    // reading is back among them.
    let sensors = snap["sensors"].as_array().unwrap();
    let get = |id: &str| {
        sensors
            .iter()
            .find(|s| s["topic"] == format!("/living_room/temperature/{id}"))
            .unwrap_or_else(|| panic!("no {id}"))
    };
    let s2 = get("s2");
    let peers: Vec<f64> = ["s1", "s3", "s4"]
        .iter()
        .map(|id| get(id)["last"].as_f64().unwrap())
        .collect();
    let peer_mean = peers.iter().sum::<f64>() / peers.len() as f64;
    let peer_max = ["s1", "s3", "s4"]
        .iter()
        .map(|id| get(id)["max"].as_f64().unwrap())
        .fold(f64::MIN, f64::max);
    assert!(
        s2["max"].as_f64().unwrap() > peer_max,
        "s2 never ran away: {s2}"
    );
    let last = s2["last"].as_f64().unwrap();
    assert!(
        (last - peer_mean).abs() < 1.5,
        "s2 did not recover: last {last}, peers {peers:?}"
    );
}
