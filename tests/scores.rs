//! `replay --headless --scores FILE`: every reading's anomaly score as CSV, 0 to 1, empty while
//! the series is learning, 0.5 at a detector's threshold; a labelled spike scores above it.

mod common;

use std::process::{Command, Stdio};

use common::{TempDir, BIN};

#[test]
fn every_reading_is_scored_and_a_spike_scores_past_the_threshold() {
    let dir = TempDir::new("scores");
    let (rec, truth, csv) = (
        dir.path().join("w.jsonl"),
        dir.path().join("t.json"),
        dir.path().join("s.csv"),
    );
    let run = |args: &[&str]| {
        let out = Command::new(BIN)
            .args(args)
            .env("TWINVIEW_LOG", "error")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    run(&[
        "sim",
        "--offline",
        "--duration",
        "1h",
        "--interval",
        "5",
        "--zones",
        "2",
        "--per-zone",
        "4",
        "--seed",
        "3",
        "--out",
        rec.to_str().unwrap(),
        "--truth",
        truth.to_str().unwrap(),
    ]);
    let snap = run(&[
        "replay",
        rec.to_str().unwrap(),
        "--headless",
        "--scores",
        csv.to_str().unwrap(),
    ]);
    let snap: serde_json::Value = serde_json::from_str(&snap).unwrap();
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("time,topic,field,score"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let readings: u64 = snap["sensors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["count"].as_u64().unwrap())
        .sum();
    assert_eq!(rows.len() as u64, readings, "one row per reading");
    let mut learning = 0;
    for r in &rows {
        assert_eq!(r.len(), 4, "{r:?}");
        match r[3] {
            "" => learning += 1,
            s => {
                let x: f64 = s.parse().unwrap();
                assert!((0.0..=1.0).contains(&x), "{r:?}");
            }
        }
    }
    assert!(
        learning > 0 && learning < rows.len() / 4,
        "{learning} of {} learning",
        rows.len()
    );
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&truth).unwrap()).unwrap();
    let spike = truth["faults"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "spike")
        .unwrap();
    let (topic, start) = (
        spike["topic"].as_str().unwrap(),
        spike["start"].as_str().unwrap(),
    );
    let peak = rows
        .iter()
        .filter(|r| r[1] == topic && r[0] >= start)
        .take(3)
        .filter_map(|r| r[3].parse::<f64>().ok())
        .fold(0.0, f64::max);
    assert!(peak > 0.5, "the spike on {topic} at {start} scored {peak}");
    // --scores needs --headless.
    let out = Command::new(BIN)
        .args([
            "replay",
            rec.to_str().unwrap(),
            "--scores",
            csv.to_str().unwrap(),
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
