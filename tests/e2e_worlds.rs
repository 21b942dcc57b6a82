//! The home world played live through a real Mosquitto: every ecosystem reaches the broker
//! from its own clients, a device that loses its connection has its will published by the
//! broker, and the truth written at the end names every device with the topics it used.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::{Mosquitto, TempDir, Twinview, BIN};
use twinview::sim::worlds::{Kind, World, WorldTruth};

/// A seed whose 30-second home drops a device that registers a will.
fn seed_with_a_will_drop() -> u64 {
    (1..200)
        .find(|s| {
            let w = World::build(Kind::Home, *s, chrono::Utc::now(), Some(30.0));
            w.truth.faults.iter().any(|f| {
                f.kind == "offline"
                    && w.truth
                        .devices
                        .iter()
                        .any(|d| d.id == f.device && d.liveness == "will")
            })
        })
        .expect("a seed in 1..200 drops a device with a will")
}

#[test]
fn the_live_home_reaches_the_broker_with_its_wills_and_its_truth() {
    let Some(m) = Mosquitto::start() else { return };
    let dir = TempDir::new("worlds");
    let rec = dir.path().join("home.jsonl");
    let truth_path = dir.path().join("truth.json");
    let port = m.port.to_string();
    let mut tv = Twinview::headless(
        m.port,
        "#",
        &["--duration", "34s", "--record", rec.to_str().unwrap()],
    );
    let seed = seed_with_a_will_drop().to_string();
    let status = Command::new(BIN)
        .args([
            "sim",
            "--world",
            "home",
            "-b",
            "127.0.0.1",
            "-p",
            &port,
            "--seed",
            &seed,
        ])
        .args(["--duration", "30s", "--truth", truth_path.to_str().unwrap()])
        .env("TWINVIEW_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .expect("run twinview sim");
    assert!(status.success(), "sim --world home failed: {status}");
    let (st, _) = tv.finish(Duration::from_secs(30));
    assert!(st.success());
    let text = std::fs::read_to_string(&rec).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let topic = |v: &serde_json::Value| v["topic"].as_str().unwrap_or("").to_string();
    for prefix in [
        "zigbee2mqtt/bridge/state",
        "tele/tasmota_",
        "shellyplus1pm-",
        "greenhouse/",
        "owntracks/alice/phone",
        "frigate/",
        "octoPrint/",
        "valetudo/RapidShyMouse/",
        "N/c0619ab",
        "homeassistant/",
    ] {
        assert!(
            lines.iter().any(|v| topic(v).starts_with(prefix)),
            "nothing on {prefix}…"
        );
    }
    let truth: WorldTruth =
        serde_json::from_str(&std::fs::read_to_string(&truth_path).unwrap()).unwrap();
    assert_eq!(truth.world, "home");
    assert_eq!(
        truth
            .devices
            .iter()
            .filter(|d| d.ecosystem != "ghost")
            .count(),
        16
    );
    // The dropped device's will, published by the broker after its drop.
    let f = truth
        .faults
        .iter()
        .find(|f| {
            f.kind == "offline"
                && truth
                    .devices
                    .iter()
                    .any(|d| d.id == f.device && d.liveness == "will")
        })
        .unwrap();
    let wills: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|v| topic(v) == f.topic)
        .filter(|v| matches!(v["payload"].as_str(), Some("offline" | "Offline" | "false")))
        .collect();
    assert!(
        !wills.is_empty(),
        "no will on {} after {}'s drop at {}",
        f.topic,
        f.device,
        f.start
    );
    // Every device with traffic has its topics in the truth.
    for d in truth
        .devices
        .iter()
        .filter(|d| d.ecosystem != "ghost" && d.id != "alice/phone")
    {
        assert!(!d.topics.is_empty(), "{} has no topics in the truth", d.id);
    }
}
