//! Alarms end to end: a rule from the config file, raised and cleared by readings through a
//! real Mosquitto, each transition notified exactly once over MQTT, the active set retained,
//! and the snapshot's alarm counts.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_raises_and_clears_and_each_transition_is_notified_once() {
    let Some(m) = Mosquitto::start() else { return };
    let Some(sub_bin) = find_tool("mosquitto_sub") else {
        return;
    };
    let dir = TempDir::new("alarms");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        r#"
[[alarms]]
name = "freezer warm"
priority = "critical"
when = "value"
topic = "home/+/temperature"
above = -10.0
deadband = 2.0
message = "{name}: {subject} at {value} °C"
"#,
    )
    .unwrap();
    let port = m.port.to_string();
    // Everything on alarms/#, as a subscriber sees it (the retained set included).
    let sub = Command::new(&sub_bin)
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "-t",
            "alarms/#",
            "-v",
            "-W",
            "14",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let notify = format!("mqtt://127.0.0.1:{port}/alarms");
    let mut tv = Twinview::headless(
        m.port,
        "home/#",
        &[
            "-c",
            config.to_str().unwrap(),
            "--notify",
            &notify,
            "--duration",
            "8s",
        ],
    );
    let reading = |v: &str| {
        vec![(
            "home/freezer/temperature".to_string(),
            v.as_bytes().to_vec(),
        )]
    };
    publish_all(m.port, &reading("-18")).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    publish_all(m.port, &reading("-4")).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // Inside the deadband: still active.
    publish_all(m.port, &reading("-11")).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    publish_all(m.port, &reading("-16")).await;
    let (status, out) = tv.finish(Duration::from_secs(30));
    assert!(status.success(), "{}", tv.stderr_rest());
    let snap: Value = serde_json::from_str(&out).unwrap();
    let a = &snap["alarms"];
    assert_eq!(a["rules"], 1);
    assert_eq!(a["active"]["critical"], 0);
    assert_eq!(a["list"][0]["state"], "cleared_unacknowledged", "{a}");
    assert_eq!(a["list"][0]["raised"], 1);
    let notify = snap["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["output"] == "notify")
        .unwrap();
    assert_eq!(
        (notify["written"].as_u64(), notify["lost"].as_u64()),
        (Some(4), Some(0))
    );

    let out = sub.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let transitions: Vec<Value> = text
        .lines()
        .filter_map(|l| l.strip_prefix("alarms "))
        .map(|p| serde_json::from_str(p).unwrap())
        .collect();
    assert_eq!(
        transitions
            .iter()
            .map(|t| t["state"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["active", "cleared"],
        "each transition once: {text}"
    );
    assert_eq!(
        transitions[0]["message"],
        "freezer warm: home/freezer/temperature at -4 °C"
    );
    assert_eq!(transitions[0]["priority"], "critical");
    let sets: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("alarms/active "))
        .collect();
    assert_eq!(sets.len(), 2, "{text}");
    assert!(sets[0].contains("freezer warm"));
    assert_eq!(sets[1], "[]", "cleared: nothing active");
}

#[test]
fn a_bad_rule_is_an_error_at_start_naming_it() {
    let dir = TempDir::new("alarms-bad");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "[[alarms]]\nname = \"door\"\nwhen = \"state\"\ntopic = \"door/contact\"\n",
    )
    .unwrap();
    let out = Command::new(BIN)
        .args(["--headless", "-d", "1s", "-c", config.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("alarm `door`: when = \"state\" needs equals"),
        "{err}"
    );
    let out = Command::new(BIN)
        .args([
            "--headless",
            "-d",
            "1s",
            "--notify",
            "mailto://smtp.lan/?to=me",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`me` is not an email address"));
}
