//! End-to-end: the real twinview binary, headless, against a real broker — the embedded
//! rumqttd and a Mosquitto started here — compared with statistics computed in the test.

mod common;

use std::time::Duration;

use common::*;
use serde_json::Value;

/// Readings of three payload forms plus one undecodable message; returns them and the
/// plain-number values (for expected statistics).
/// (topic, payload) pairs to publish.
type Messages = Vec<(String, Vec<u8>)>;

fn traffic() -> (Messages, Vec<f64>, Vec<f64>) {
    let mut msgs = Vec::new();
    let mut plain = Vec::new();
    let mut lab = Vec::new();
    // 150 readings: more than the default window of 120, so eviction is exercised.
    for i in 0..150u32 {
        let v = 20.0 + ((i * 7919) % 97) as f64 / 10.0;
        plain.push(v);
        msgs.push((
            "/e2e_zone/temperature/s1".to_string(),
            format!("{v}").into_bytes(),
        ));
        if i % 3 == 0 {
            let x = 22.0 + ((i * 31) % 13) as f64 * 0.125;
            lab.push(x);
            msgs.push((
                "digital_twin/lab/sensor/TEMP_E2E/temperature".to_string(),
                format!(
                    r#"{{"timestamp_utc":"2024-01-15T14:23:45.123456Z","sensor_id":"TEMP_E2E","value":{x},"unit":"Celsius","metadata":{{"location":"Lab"}}}}"#
                )
                .into_bytes(),
            ));
        }
    }
    msgs.push((
        "home/e2e-dev/sensors".to_string(),
        br#"{"device_id":"e2e-dev","temperature_c":22.1,"humidity":45.2,"timestamp":1737028800.5}"#
            .to_vec(),
    ));
    msgs.push((
        "e2e/garbage".to_string(),
        b"\xff\xfe not decodable".to_vec(),
    ));
    (msgs, plain, lab)
}

async fn check_against(port: u16) {
    let (msgs, plain, lab) = traffic();
    let port_s = port.to_string();
    let count = msgs.len().to_string();
    let mut tv = Twinview::spawn(&[
        "--headless",
        "--broker",
        "127.0.0.1",
        "--port",
        &port_s,
        "--qos",
        "1",
        "-t",
        "/e2e_zone/#",
        "-t",
        "digital_twin/#",
        "-t",
        "home/+/sensors",
        "-t",
        "e2e/#",
        "--count",
        &count,
        "--duration",
        "60s",
    ]);
    tv.wait_for_stderr("subscribed to e2e/#", Duration::from_secs(15));
    publish_all(port, &msgs).await;
    let (status, out) = tv.finish(Duration::from_secs(30));
    assert!(status.success(), "exit {status:?}");
    let snap: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));

    assert_eq!(snap["twinview"], "snapshot");
    assert_eq!(snap["source"], format!("mqtt://127.0.0.1:{port}"));
    assert_eq!(snap["messages"].as_u64(), Some(msgs.len() as u64));
    // The binary payload is traffic without values, not a malformed one.
    assert_eq!(snap["undecoded"], 0);
    assert_eq!(snap["ignored"], 1);
    assert_eq!(snap["dropped"], 0);
    assert_sensor(
        &snap,
        "/e2e_zone/temperature/s1",
        "value",
        &expected(&plain, 120),
    );
    assert_sensor(
        &snap,
        "digital_twin/lab/sensor/TEMP_E2E/temperature",
        "value",
        &expected(&lab, 120),
    );
    let sensors = snap["sensors"].as_array().unwrap();
    let lab_row = sensors
        .iter()
        .find(|s| s["device"] == "TEMP_E2E")
        .expect("lab sensor keyed by its sensor_id");
    assert_eq!(lab_row["unit"], "Celsius");
    let multi: Vec<&str> = sensors
        .iter()
        .filter(|s| s["device"] == "e2e-dev")
        .map(|s| s["field"].as_str().unwrap())
        .collect();
    assert_eq!(multi, ["humidity", "temperature_c"]);
    assert_eq!(sensors.len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headless_statistics_match_through_the_embedded_broker() {
    let broker = twinview::sim::broker::start().expect("embedded broker");
    check_against(broker.port).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headless_statistics_match_through_mosquitto() {
    let Some(m) = Mosquitto::start() else { return };
    check_against(m.port).await;
}

#[test]
fn unreachable_broker_exits_3_with_one_sentence() {
    let port = free_port(); // nothing listens there
    let port_s = port.to_string();
    let mut tv = Twinview::spawn(&[
        "--headless",
        "--broker",
        "127.0.0.1",
        "--port",
        &port_s,
        "--duration",
        "30s",
    ]);
    let (status, out) = tv.finish(Duration::from_secs(20));
    assert_eq!(status.code(), Some(3));
    assert!(out.is_empty(), "no snapshot on failure: {out}");
    let err = tv.stderr_rest();
    let line = format!("twinview: cannot connect to mqtt://127.0.0.1:{port}: connection refused");
    assert!(err.contains(&line), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn usage_and_file_errors_have_their_exit_codes() {
    let run = |args: &[&str]| {
        std::process::Command::new(BIN)
            .args(args)
            .output()
            .expect("run twinview")
    };
    let out = run(&["--qos", "7"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&["--headless", "--config", "/nonexistent/twinview.toml"]);
    assert_eq!(out.status.code(), Some(4));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("twinview: cannot read config file /nonexistent/twinview.toml"),
        "{err}"
    );
    let out = run(&["--theme", "plaid"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown theme `plaid`"));
    let out = run(&["--headless", "-t", "a/#/b"]);
    assert_eq!(out.status.code(), Some(2));
    // A protocol level is not a version; a fault on a device the world lacks; a command
    // template placeholder nothing fills: each refused with the reason.
    let out = run(&["--headless", "--mqtt-version", "4"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("must be 3.1.1 or 5, not `4`"));
    let out = run(&["demo", "--headless", "--fault", "s9:spike"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("`s9`, which the simulated world does not have"),
        "{err}"
    );
    let dir = TempDir::new("cfg");
    let cfg = dir.path().join("bad.toml");
    std::fs::write(&cfg, "[commands]\nreset_topic = \"/{nosuch}/reset\"\n").unwrap();
    let out = run(&["--headless", "--config", cfg.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("`{nosuch}`"));
    // Files of unlimited length are refused at a size their format implies (exit 4).
    for args in [
        &["--headless", "-c", "/dev/zero"][..],
        &["--headless", "--password-file", "/dev/zero", "-u", "x"][..],
        &["--theme", "/dev/zero"][..],
        &["replay", "/dev/zero", "--headless"][..],
    ] {
        let out = run(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(4), "{args:?}: {err}");
        assert!(
            err.contains("larger than")
                || err.contains("longer than")
                || err.contains("not a regular file"),
            "{args:?}: {err}"
        );
    }
    // A FIFO nobody writes to as the config file, and FIFOs nobody reads as outputs: each an
    // error at once (exit 4), not a hang past --duration.
    let dir = TempDir::new("fifo");
    let fifo = dir.path().join("fifo");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let f = fifo.to_str().unwrap();
    for (args, says) in [
        (
            &["--headless", "-d", "1s", "-c", f][..],
            "not a regular file",
        ),
        (
            &["--headless", "-d", "1s", "--events", f][..],
            "no program is reading this FIFO",
        ),
        (
            &["--headless", "-d", "1s", "--record", f][..],
            "no program is reading this FIFO",
        ),
        (
            &[
                "replay",
                concat!(env!("CARGO_MANIFEST_DIR"), "/recordings/demo-session.jsonl"),
                "--headless",
                "--scores",
                f,
            ][..],
            "no program is reading this FIFO",
        ),
        (&["--theme", f][..], "not a regular file"),
    ] {
        let start = std::time::Instant::now();
        let out = run(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(4), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(start.elapsed() < Duration::from_secs(20), "{args:?} waited");
    }
    // A file without one event to replay is an error, not an empty success.
    let dir = TempDir::new("norec");
    let empty = dir.path().join("nothing.jsonl");
    std::fs::write(&empty, "not json\n{\"also\":\"not an event\"}\n").unwrap();
    let out = run(&["replay", empty.to_str().unwrap(), "--headless"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("holds no event to replay (2 lines skipped)")
    );
    let out = run(&["--help"]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--broker",
        "--topic",
        "--password-file",
        "--headless",
        "--window",
    ] {
        assert!(help.contains(flag), "help lacks {flag}");
    }
}

#[test]
fn demo_headless_shows_the_simulated_world() {
    let mut tv = Twinview::spawn(&[
        "demo",
        "--headless",
        "--duration",
        "4s",
        "--interval",
        "0.1",
    ]);
    let (status, out) = tv.finish(Duration::from_secs(30));
    assert!(status.success());
    let snap: Value = serde_json::from_str(&out).unwrap();
    let sensors = snap["sensors"].as_array().unwrap();
    let topics: Vec<&str> = sensors
        .iter()
        .map(|s| s["topic"].as_str().unwrap())
        .collect();
    // Seven sensors plus the averaging agent's zone average, and the Sparkplug edge node's
    // five numeric metrics (it starts 2 s in, and births them all).
    assert_eq!(sensors.len(), 13, "{topics:?}");
    let node = &snap["sparkplug"]["nodes"][0];
    assert_eq!(
        (&node["node"], &node["status"]),
        (&"edge1".into(), &"online".into())
    );
    assert_eq!(node["needs_rebirth"], 0, "{node}");
    assert!(topics.contains(&"spBv1.0/plant/DDATA/edge1/pump1"));
    assert!(topics.contains(&"/living_room/temperature/average"));
    assert!(topics.contains(&"/living_room/temperature/s3"));
    assert!(topics.contains(&"digital_twin/lab/sensor/TEMP_002/temperature"));
    assert_eq!(snap["undecoded"], 0);
    // About 40 readings per sensor in 4 s; allow for start-up.
    for s in sensors.iter().filter(|s| {
        let t = s["topic"].as_str().unwrap();
        !t.ends_with("average") && !t.starts_with("spBv1.0/")
    }) {
        assert!(s["count"].as_u64().unwrap() >= 10, "{s}");
    }
    // The factory and the agents run too: machines bid, every device is online.
    assert!(!snap["machines"].as_array().unwrap().is_empty());
    for d in snap["devices"].as_array().unwrap() {
        assert_eq!(d["status"], "online", "{d}");
    }
}
