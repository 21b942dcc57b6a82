//! The device truth check (docs/worlds.md): the home and plant worlds, written by the real
//! binary and replayed headless through it, scored device by device against their truth.
//! One row per physical device (no splits, no merges, no rows of nothing), every down period
//! said by the device's own convention within its delay, and at most 0.1 false offline or
//! stale changes per device-hour. What remains of those is silence that is real but not a
//! device's end: a gateway's store and forward holding publishes back for half a minute, two
//! radio transmissions lost in a row; only devices with no liveness source are judged by
//! silence at all.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::{TempDir, BIN};
use twinview::sim::worlds::score;
use twinview::sim::worlds::WorldTruth;

fn run(args: &[&str]) -> String {
    let out = Command::new(BIN)
        .args(args)
        .env("TWINVIEW_LOG", "error")
        .stdin(Stdio::null())
        .output()
        .expect("run twinview");
    assert!(
        out.status.success(),
        "twinview {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn check(dir: &Path, world: &str, seed: u64) -> score::Report {
    let base = dir.join(format!("{world}-{seed}"));
    let (rec, truth, events) = (
        base.with_extension("jsonl"),
        base.with_extension("truth"),
        base.with_extension("events"),
    );
    let seed = seed.to_string();
    run(&[
        "sim",
        "--offline",
        "--world",
        world,
        "--seed",
        &seed,
        "--duration",
        "3h",
    ]
    .into_iter()
    .chain([
        "--out",
        rec.to_str().unwrap(),
        "--truth",
        truth.to_str().unwrap(),
    ])
    .collect::<Vec<_>>());
    let snap = run(&[
        "replay",
        rec.to_str().unwrap(),
        "--headless",
        "--events",
        events.to_str().unwrap(),
    ]);
    let truth: WorldTruth =
        serde_json::from_str(&std::fs::read_to_string(&truth).unwrap()).unwrap();
    let snap: serde_json::Value = serde_json::from_str(&snap).unwrap();
    score::score(&truth, &std::fs::read_to_string(&events).unwrap(), &snap)
}

#[test]
fn one_row_per_physical_device_and_liveness_from_the_source_that_knows() {
    let dir = TempDir::new("device-truth");
    for (world, seed) in [("home", 11), ("home", 12), ("plant", 11), ("plant", 12)] {
        let r = check(dir.path(), world, seed);
        let notes: Vec<&String> = r
            .notes
            .iter()
            .filter(|n| !n.contains(": false ") && !n.contains(" missed") && !n.contains(" named "))
            .collect();
        assert_eq!(
            (
                r.rows,
                r.split_devices,
                r.merged_rows,
                r.unattributed_rows,
                r.ghost_rows
            ),
            (r.devices, 0, 0, 0, 0),
            "{world} seed {seed}: rows for {} devices: {notes:#?}",
            r.devices
        );
        assert_eq!(
            r.down_said, r.down_periods,
            "{world} seed {seed}: {notes:#?}"
        );
        let per_hour = r.false_liveness as f64 / r.device_hours;
        assert!(
            per_hour <= 0.1,
            "{world} seed {seed}: {per_hour:.3} false liveness changes per device-hour: {notes:#?}"
        );
    }
}
