//! The demo's Contract Net machines can be dropped like its sensors.

use std::process::Command;

/// `--fault m1:drop@4` (and `x` on a machine in the demo) cuts a Contract Net machine off
/// without DISCONNECT: its Last Will makes it offline, and later jobs go to the others.
#[test]
fn a_dropped_machine_goes_offline_and_jobs_go_elsewhere() {
    let dir = std::env::temp_dir().join(format!("twinview-drop-m-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let events = dir.join("events.jsonl");
    let out = Command::new(env!("CARGO_BIN_EXE_twinview"))
        .args(["demo", "--headless", "--duration", "16s", "--seed", "2"])
        .args(["--job-every", "1", "--fault", "m1:drop@3"])
        .arg("--events")
        .arg(&events)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let snap: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let m1 = snap["machines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "m1")
        .unwrap()
        .clone();
    assert_eq!(m1["state"], "offline", "{m1}");
    let text = std::fs::read_to_string(&events).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let offline_at = lines
        .iter()
        .find(|v| v["type"] == "device_status" && v["id"] == "m1" && v["to"] == "offline")
        .map(|v| v["t"].as_str().unwrap().to_string())
        .expect("m1 went offline by its Last Will");
    let later: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|v| v["type"] == "job_awarded" && v["t"].as_str().unwrap() > offline_at.as_str())
        .collect();
    assert!(!later.is_empty(), "jobs go on after the drop");
    assert!(later.iter().all(|v| v["machine"] != "m1"), "{later:?}");
    std::fs::remove_dir_all(&dir).ok();
}
