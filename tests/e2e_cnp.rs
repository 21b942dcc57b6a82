//! End-to-end Contract Net: the simulated machines and supervisor (`twinview sim`) on a real
//! Mosquitto, watched by the headless twin.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use common::*;
use serde_json::Value;

/// When a machine held a job: (awarded, done).
type Span = (DateTime<Utc>, DateTime<Utc>);

fn time(v: &Value) -> Option<DateTime<Utc>> {
    v.as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulated_factory_follows_the_protocol() {
    let Some(m) = Mosquitto::start() else { return };
    let port = m.port.to_string();
    let mut tv = Twinview::spawn(&[
        "--headless",
        "-b",
        "127.0.0.1",
        "-p",
        &port,
        "-t",
        "/cnp/#",
        "-t",
        "factory/#",
        "--duration",
        "9s",
    ]);
    tv.wait_for_stderr("subscribed to factory/#", Duration::from_secs(15));
    let mut sim = Twinview::spawn(&[
        "sim",
        "-b",
        "127.0.0.1",
        "-p",
        &port,
        "--sensors",
        "0",
        "--zone-sensors",
        "0",
        "--machines",
        "3",
        "--supervisor",
        "--job-every",
        "0.4",
        "--job-deadline",
        "0.3",
        "--seed",
        "11",
        "--duration",
        "6s",
    ]);
    sim.wait_for_stderr("simulating", Duration::from_secs(10));
    // A job no machine can do: refused or ignored by all, never awarded.
    publish_all(
        m.port,
        &[(
            "/cnp/cfp".to_string(),
            br#"{"job_id":"TEST_IMPOSSIBLE","job_type":"inspection","deadline":0.5}"#.to_vec(),
        )],
    )
    .await;
    let (status, _) = sim.finish(Duration::from_secs(20));
    assert!(status.success(), "sim exit {status:?}");
    let (status, out) = tv.finish(Duration::from_secs(20));
    assert!(status.success());
    let snap: Value = serde_json::from_str(&out).unwrap();

    let jobs = snap["jobs"].as_array().unwrap();
    let awarded: Vec<&Value> = jobs.iter().filter(|j| !j["winner"].is_null()).collect();
    assert!(awarded.len() >= 5, "too few awarded jobs: {jobs:#?}");
    for j in jobs {
        assert_eq!(j["violations"], serde_json::json!([]), "{j:#}");
    }
    // Every winner proposed the shortest time.
    for j in &awarded {
        let best = j["proposals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["time"].as_f64().unwrap())
            .fold(f64::INFINITY, f64::min);
        let winner = j["winner"].as_str().unwrap();
        let own = j["proposals"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["machine"] == winner)
            .unwrap_or_else(|| panic!("winner {winner} did not propose: {j:#}"))["time"]
            .as_f64()
            .unwrap();
        assert_eq!(own, best, "{j:#}");
    }
    // No machine holds two jobs at once: its awarded intervals do not overlap.
    let mut by_machine: HashMap<&str, Vec<Span>> = HashMap::new();
    for j in &awarded {
        let start = time(&j["awarded_at"]).unwrap();
        let end = time(&j["done_at"]).unwrap_or(DateTime::<Utc>::MAX_UTC);
        by_machine
            .entry(j["winner"].as_str().unwrap())
            .or_default()
            .push((start, end));
    }
    for (machine, mut spans) in by_machine {
        spans.sort();
        for w in spans.windows(2) {
            assert!(w[0].1 <= w[1].0, "{machine} held two jobs at once: {w:?}");
        }
    }
    // Jobs nobody can do end unassigned.
    let impossible: Vec<&Value> = jobs
        .iter()
        .filter(|j| j["job_type"] == "inspection")
        .collect();
    assert!(impossible.iter().any(|j| j["job_id"] == "TEST_IMPOSSIBLE"));
    for j in impossible {
        assert_eq!(j["state"], "unassigned", "{j:#}");
        assert!(j["proposals"].as_array().unwrap().is_empty());
    }
    let machines = snap["machines"].as_array().unwrap();
    assert_eq!(machines.len(), 3);
    let won: u64 = machines
        .iter()
        .map(|m| m["jobs_won"].as_u64().unwrap())
        .sum();
    assert_eq!(won as usize, awarded.len());
}

/// A machine cut off without DISCONNECT (`--fault m1:drop@2`) on a real Mosquitto: its Last
/// Will makes it offline in the twin, and the jobs awarded afterwards go to the others.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_machine_goes_offline_by_its_last_will() {
    let Some(m) = Mosquitto::start() else { return };
    let port = m.port.to_string();
    let dir = TempDir::new("cnp-drop");
    let events = dir.path().join("events.jsonl");
    let events_arg = events.to_string_lossy().to_string();
    let mut tv = Twinview::spawn(&[
        "--headless",
        "-b",
        "127.0.0.1",
        "-p",
        &port,
        "-t",
        "/cnp/#",
        "-t",
        "factory/#",
        "--duration",
        "14s",
        "--events",
        &events_arg,
    ]);
    tv.wait_for_stderr("subscribed to factory/#", Duration::from_secs(15));
    let mut sim = Twinview::spawn(&[
        "sim",
        "-b",
        "127.0.0.1",
        "-p",
        &port,
        "--sensors",
        "0",
        "--zone-sensors",
        "0",
        "--machines",
        "3",
        "--supervisor",
        "--job-every",
        "0.5",
        "--job-deadline",
        "0.3",
        "--seed",
        "11",
        "--fault",
        "m1:drop@2",
        "--duration",
        "11s",
    ]);
    sim.wait_for_stderr("simulating", Duration::from_secs(10));
    let (status, _) = sim.finish(Duration::from_secs(25));
    assert!(status.success(), "sim exit {status:?}");
    let (status, out) = tv.finish(Duration::from_secs(25));
    assert!(status.success());
    let snap: Value = serde_json::from_str(&out).unwrap();
    let m1 = snap["machines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == "m1")
        .cloned()
        .expect("m1 seen");
    assert_eq!(m1["state"], "offline", "{m1}");
    let lines: Vec<Value> = std::fs::read_to_string(&events)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let offline = lines
        .iter()
        .find(|v| v["type"] == "device_status" && v["id"] == "m1" && v["to"] == "offline")
        .and_then(|v| time(&v["t"]))
        .expect("m1's Last Will");
    let after: Vec<&Value> = lines
        .iter()
        .filter(|v| v["type"] == "job_awarded" && time(&v["t"]).is_some_and(|t| t > offline))
        .collect();
    assert!(!after.is_empty(), "jobs go on after the drop");
    assert!(after.iter().all(|v| v["machine"] != "m1"), "{after:?}");
}
