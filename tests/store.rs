//! The history store end to end: a flood through a real Mosquitto stored losslessly (count
//! and every value checked against what was published), `twinview history` reading it back,
//! a restart restoring it, and a SIGKILL losing at most about a second.

mod common;

use std::process::Command;
use std::time::Duration;

use common::*;
use serde_json::Value;

const TOPICS: usize = 20;
const PER_TOPIC: usize = 1000;

fn stored_values(db: &std::path::Path, topic: &str) -> Vec<f64> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut st = conn
        .prepare(
            "SELECT r.value FROM readings r JOIN series s ON s.id = r.series
             WHERE s.topic = ?1 ORDER BY r.value",
        )
        .unwrap();
    st.query_map([topic], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_is_stored_losslessly_and_read_back() {
    let Some(m) = Mosquitto::start() else { return };
    let dir = TempDir::new("store");
    let db = dir.path().join("history.db");
    let n = TOPICS * PER_TOPIC;
    let count = n.to_string();
    let mut tv = Twinview::headless(
        m.port,
        "flood/#",
        &[
            "--count",
            &count,
            "--duration",
            "60s",
            "--store",
            db.to_str().unwrap(),
        ],
    );
    // Every topic gets 0..PER_TOPIC, interleaved, with a fraction so no two values repeat.
    let msgs: Vec<(String, Vec<u8>)> = (0..PER_TOPIC)
        .flat_map(|i| {
            (0..TOPICS).map(move |t| {
                (
                    format!("flood/t{t}/value"),
                    format!("{}.{t:02}", i).into_bytes(),
                )
            })
        })
        .collect();
    publish_all(m.port, &msgs).await;
    let (status, out) = tv.finish(Duration::from_secs(60));
    assert!(status.success(), "{}", tv.stderr_rest());
    let snap: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(snap["messages"], n as u64);
    let store = &snap["outputs"][0];
    assert_eq!(store["output"], "store");
    assert_eq!(store["lost"], 0, "{store}");
    assert_eq!(store["queued"], 0, "{store}");
    for t in 0..TOPICS {
        let topic = format!("flood/t{t}/value");
        let want: Vec<f64> = (0..PER_TOPIC)
            .map(|i| format!("{i}.{t:02}").parse().unwrap())
            .collect();
        assert_eq!(stored_values(&db, &topic), want, "{topic}");
    }

    // `twinview history` prints them back, raw and rolled up.
    let out = Command::new(BIN)
        .args(["history", "--store", db.to_str().unwrap(), "flood/t3/value"])
        .args(["--since", "1h"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("time,topic,field,value"));
    assert_eq!(lines.count(), PER_TOPIC);
    let out = Command::new(BIN)
        .args(["history", "--store", db.to_str().unwrap(), "flood/+/value"])
        .args(["--since", "1h", "--every", "1h", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let total: u64 = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["count"]
                .as_u64()
                .unwrap()
        })
        .sum();
    assert_eq!(total, n as u64, "the rollups count every reading");

    // A stored range replays like a recording: every reading, on its series.
    let out = Command::new(BIN)
        .args([
            "replay",
            "--from-store",
            db.to_str().unwrap(),
            "--since",
            "1h",
            "--headless",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let replayed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(replayed["messages"], n as u64);
    let sensors = replayed["sensors"].as_array().unwrap();
    assert_eq!(sensors.len(), TOPICS);
    assert!(sensors.iter().all(|s| s["count"] == PER_TOPIC as u64));

    // A restart restores the recent history and says so.
    let mut again = Twinview::headless(
        m.port,
        "flood/#",
        &["--duration", "1s", "--store", db.to_str().unwrap()],
    );
    let (status, out) = again.finish(Duration::from_secs(30));
    assert!(status.success());
    let snap: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        snap["restored"]["readings"], n as u64,
        "{}",
        snap["restored"]
    );
    assert_eq!(snap["restored"]["series"], TOPICS as u64);
    assert_eq!(snap["sensors"].as_array().unwrap().len(), TOPICS);
    assert_eq!(snap["messages"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigkill_loses_at_most_about_a_second() {
    let Some(m) = Mosquitto::start() else { return };
    let dir = TempDir::new("store-kill");
    let db = dir.path().join("history.db");
    let mut tv = Twinview::headless(
        m.port,
        "kill/#",
        &[
            "--qos",
            "1",
            "--duration",
            "60s",
            "--store",
            db.to_str().unwrap(),
        ],
    );
    // 50 readings a second for three seconds, then SIGKILL.
    let mut sent = 0;
    for i in 0..150 {
        publish_all(
            m.port,
            &[("kill/a/value".into(), format!("{i}").into_bytes())],
        )
        .await;
        sent += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tv.kill_hard();
    let stored = stored_values(&db, "kill/a/value");
    // What was stored is exactly a prefix of what was sent, and at most a second short.
    let want: Vec<f64> = (0..stored.len()).map(|i| i as f64).collect();
    assert_eq!(stored, want);
    assert!(
        stored.len() + 50 >= sent,
        "{} of {sent} stored before the kill",
        stored.len()
    );
}

/// Two `--share` instances write one PostgreSQL: every reading stored once, by one of them;
/// the history reads back from PostgreSQL; a password in the URL is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_instances_store_a_flood_in_one_postgresql() {
    let Some(m) = Mosquitto::start() else { return };
    let Some(pg) = Postgres::start() else { return };
    let url = pg.url();
    let pw = pg.password_file.to_str().unwrap().to_string();
    let n = TOPICS * PER_TOPIC;
    let port = m.port.to_string();
    let spawn = || {
        let mut tv = Twinview::spawn(&[
            "--headless",
            "-b",
            "127.0.0.1",
            "-p",
            &port,
            "-t",
            "flood/#",
            "--share",
            "g",
            "--duration",
            "20s",
            "--store",
            &url,
            "--store-password-file",
            &pw,
        ]);
        tv.wait_for_stderr("subscribed to $share/g/flood/#", Duration::from_secs(15));
        tv
    };
    let (mut a, mut b) = (spawn(), spawn());
    let msgs: Vec<(String, Vec<u8>)> = (0..PER_TOPIC)
        .flat_map(|i| {
            (0..TOPICS).map(move |t| {
                (
                    format!("flood/t{t}/value"),
                    format!("{i}.{t:02}").into_bytes(),
                )
            })
        })
        .collect();
    publish_all(m.port, &msgs).await;
    // Both stop at their duration; each has stored what it received.
    let mut received = 0;
    for tv in [&mut a, &mut b] {
        let (status, out) = tv.finish(Duration::from_secs(60));
        assert!(status.success(), "{}", tv.stderr_rest());
        let snap: Value = serde_json::from_str(&out).unwrap();
        received += snap["messages"].as_u64().unwrap();
        assert_eq!(snap["outputs"][0]["lost"], 0, "{}", snap["outputs"]);
        assert!(!snap["outputs"][0]["target"]
            .as_str()
            .unwrap()
            .contains("secret"));
    }
    assert_eq!(received, n as u64, "the broker shared every message");
    assert_eq!(
        pg.psql("SELECT count(*) FROM readings").trim(),
        n.to_string()
    );
    assert_eq!(
        pg.psql("SELECT count(*) FROM series").trim(),
        TOPICS.to_string()
    );
    let got = pg.psql(
        "SELECT string_agg(value::text, ',' ORDER BY value) FROM readings r
         JOIN series s ON s.id = r.series WHERE s.topic = 'flood/t7/value'",
    );
    let want: Vec<String> = (0..PER_TOPIC)
        .map(|i| format!("{}", format!("{i}.07").parse::<f64>().unwrap()))
        .collect();
    assert_eq!(got.trim(), want.join(","));

    let out = Command::new(BIN)
        .args([
            "history",
            "--store",
            &url,
            "--store-password-file",
            &pw,
            "flood/t7/value",
        ])
        .args(["--since", "1h", "--every", "1h"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let line = text.lines().nth(1).expect("one bucket");
    assert_eq!(
        line.split(',').nth(3),
        Some(PER_TOPIC.to_string().as_str()),
        "{text}"
    );

    // The Grafana dashboard's queries run on this schema (its macros filled in as Grafana
    // would), and the rollup panel finds the readings.
    let dashboard: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/deploy/grafana-history.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let now = chrono::Utc::now().timestamp();
    for panel in dashboard["panels"].as_array().unwrap() {
        let sql = panel["targets"][0]["rawSql"].as_str().unwrap();
        let sql = sql
            .replace("$__unixEpochFrom()", &(now - 3600).to_string())
            .replace("$__unixEpochTo()", &now.to_string())
            .replace("$topic", "'flood/t7/value'");
        let out = pg.psql(&sql);
        if panel["id"] == 1 {
            assert!(out.contains("flood/t7/value"), "{out}");
        }
    }
    for v in dashboard["templating"]["list"].as_array().unwrap() {
        if let Some(q) = v["query"].as_str().filter(|q| q.starts_with("SELECT")) {
            assert!(pg.psql(q).contains("flood/t0/value"));
        }
    }

    let with_password = url.replace("postgres@", "postgres:test-store-secret@");
    let out = Command::new(BIN)
        .args(["--headless", "-d", "1s", "--store", &with_password])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no password in the store's URL"), "{err}");
    assert!(!err.contains("test-store-secret"), "{err}");
}

/// PostgreSQL stopped in the middle of a stream of readings and started again: the writer keeps
/// its rows, retries, reconnects by itself, and nothing within the queue's bound is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_stopped_mid_stream_loses_nothing_once_it_is_back() {
    let Some(m) = Mosquitto::start() else { return };
    let Some(mut pg) = Postgres::start() else {
        return;
    };
    let url = pg.url();
    let pw = pg.password_file.to_str().unwrap().to_string();
    let mut tv = Twinview::headless(
        m.port,
        "outage/#",
        &[
            "--qos",
            "1",
            "--duration",
            "14s",
            "--store",
            &url,
            "--store-password-file",
            &pw,
        ],
    );
    // 100 readings a second for 8 s; the database is down from 2 s to 5 s.
    let mut sent = 0u64;
    for i in 0..800 {
        if i == 200 {
            pg.stop();
        }
        if i == 500 {
            pg.start_again();
        }
        publish_all(
            m.port,
            &[("outage/a/value".into(), format!("{i}").into_bytes())],
        )
        .await;
        sent += 1;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let (status, out) = tv.finish(Duration::from_secs(60));
    assert!(status.success(), "{}", tv.stderr_rest());
    let snap: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(snap["messages"], sent);
    let store = &snap["outputs"][0];
    assert_eq!(store["lost"], 0, "{store}");
    assert_eq!(store["failing"], false, "{store}");
    let stderr = tv.stderr_rest();
    assert!(
        stderr.contains("cannot write"),
        "the failure was said: {stderr}"
    );
    assert!(
        stderr.contains("writing again"),
        "and the recovery: {stderr}"
    );
    assert_eq!(
        pg.psql("SELECT count(*) FROM readings").trim(),
        sent.to_string()
    );
    assert_eq!(
        pg.psql("SELECT count(DISTINCT value) FROM readings").trim(),
        sent.to_string(),
        "every reading once"
    );
}
