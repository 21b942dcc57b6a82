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
    // Anomalies, alerts naming the drifting sensor, and resets answering them.
    let anomalies: u64 = snap["sensors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["anomalies"].as_u64().unwrap())
        .sum();
    assert!(anomalies > 5);
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
