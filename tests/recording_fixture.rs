//! The committed recording replays into the story `recordings/README.md` tells.

use std::process::Command;

use serde_json::Value;

#[test]
fn demo_session_recording_tells_its_story() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/recordings/demo-session.jsonl");
    let out = Command::new(env!("CARGO_BIN_EXE_twinview"))
        .args(["replay", path, "--headless"])
        .output()
        .expect("run replay");
    assert!(out.status.success());
    let log = String::from_utf8_lossy(&out.stderr);
    let snap: Value = serde_json::from_slice(&out.stdout).unwrap();

    assert!(snap["messages"].as_u64().unwrap() > 1000);
    assert_eq!(snap["undecoded"], 0);
    assert!(!log.contains("skipped"), "{log}");
    // Seven sensors and the zone average.
    assert_eq!(snap["sensors"].as_array().unwrap().len(), 8);
    // Anomaly episodes: s3's built-in spikes, each one episode named a spike; the healthy
    // sensors quiet; s4's drop said as its status, not as a silence.
    let sensor = |topic: &str| {
        snap["sensors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["topic"] == topic)
            .unwrap()
            .clone()
    };
    let s3 = sensor("/living_room/temperature/s3");
    assert!(s3["anomalies"].as_u64().unwrap() >= 1, "{s3}");
    assert!(s3["episodes"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["kind"] == "spike"));
    for healthy in [
        "/living_room/temperature/s1",
        "/living_room/temperature/s4",
        "digital_twin/lab/sensor/TEMP_001/temperature",
        "digital_twin/lab/sensor/TEMP_002/temperature",
        "digital_twin/lab/sensor/TEMP_003/temperature",
    ] {
        assert_eq!(sensor(healthy)["anomalies"], 0, "{healthy}");
    }
    assert_eq!(
        sensor("/living_room/temperature/average")["kind"],
        "aggregate"
    );
    assert!(snap["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["sensors"].as_array().unwrap().iter().any(|s| s == "s2")));
    assert!(snap["commands_seen"]["RESET"].as_u64().unwrap() >= 1);
    // s4 went offline through its Last Will and came back.
    assert!(log.contains("s4 went offline"), "{log}");
    assert!(log.contains("s4 is online again"), "{log}");
    // Contract Net: awarded jobs, done jobs, and no protocol violation.
    let jobs = snap["jobs"].as_array().unwrap();
    assert!(jobs.len() >= 30);
    assert!(jobs.iter().filter(|j| j["state"] == "done").count() >= 20);
    assert!(jobs
        .iter()
        .all(|j| j["violations"] == serde_json::json!([])));
}
