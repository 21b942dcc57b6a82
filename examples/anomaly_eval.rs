//! The labelled anomaly benchmark (BENCHMARKS.md, "Anomaly detection").
//!
//! Two ways to run it:
//!
//! - `anomaly_eval --truth T.json --events E.jsonl [--truth … --events …]`: scores events
//!   files written by `twinview replay --headless --events` against the truth files written by
//!   `twinview sim --offline` (what `scripts/anomaly_eval.sh` does);
//! - `anomaly_eval --worlds N [--hours H] [--from K]`: builds N worlds (seeds from K) of
//!   varied shapes in process and scores both detector sets side by side (the same code path
//!   as headless replay, without the files).
//!
//! `--check` exits 1 when the default detectors miss the documented targets: every fault
//! kind found in at least 90 % of cases and at most 0.1 false episodes per healthy
//! sensor-hour.

use twinview::sim::eval::{self, Report};
use twinview::sim::offline::OfflineSpec;
use twinview::twin::{DetectorMode, TwinConfig};

/// The documented targets (README, "Anomalies").
const MIN_RECALL: f64 = 0.9;
const MAX_FALSE_PER_HOUR: f64 = 0.1;

/// A varied world for seed `i`: zones, sensors per zone and interval change with it.
fn shape(i: u64, hours: f64) -> OfflineSpec {
    let zones = [4, 2, 3, 5, 1, 6][i as usize % 6];
    let per_zone = [7, 5, 9, 4, 12, 6][(i / 2) as usize % 6];
    let interval = [5.0, 1.0, 10.0, 2.0, 30.0][(i / 3) as usize % 5];
    OfflineSpec {
        seed: 1000 + i,
        duration_s: hours * 3600.0,
        interval_s: interval,
        zones,
        per_zone,
        faults_per_kind: 1,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut truths = Vec::new();
    let mut events = Vec::new();
    let (mut worlds, mut hours, mut check, mut from) = (0u64, 2.0f64, false, 0u64);
    let mut title = "default".to_string();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut val = || it.next().cloned().unwrap_or_default();
        match a.as_str() {
            "--truth" => truths.push(val()),
            "--events" => events.push(val()),
            "--worlds" => worlds = val().parse().expect("--worlds N"),
            "--hours" => hours = val().parse().expect("--hours H"),
            "--from" => from = val().parse().expect("--from K"),
            "--title" => title = val(),
            "--check" => check = true,
            other => {
                eprintln!("anomaly_eval: unknown argument {other}");
                std::process::exit(2);
            }
        }
    }
    let mut default = Report::default();
    if !truths.is_empty() {
        if truths.len() != events.len() {
            eprintln!("anomaly_eval: give one --events per --truth");
            std::process::exit(2);
        }
        for (t, e) in truths.iter().zip(&events) {
            let truth = serde_json::from_str(&std::fs::read_to_string(t).expect("truth file"))
                .expect("a truth file");
            let text = std::fs::read_to_string(e).expect("events file");
            default.add(&eval::score(&truth, &eval::parse_events(&text)));
        }
        print!("{}", default.table(&title));
    } else {
        let mut lab = Report::default();
        for i in from..from + worlds {
            let spec = shape(i, hours);
            let (truth, h) = eval::run_world(&spec, &TwinConfig::default());
            let r = eval::score(&truth, &h);
            if std::env::var_os("VERBOSE").is_some() {
                eprintln!(
                    "world {i} ({} zones × {}, every {} s; {}): recall {:.2}, false {} healthy + {} faulty, process {}/{} ({} false)",
                    spec.zones, spec.per_zone, spec.interval_s, truth.shape, r.recall(), r.false_healthy, r.false_faulty,
                    r.process_found, r.process_changes, r.process_false
                );
                for n in &r.notes {
                    eprintln!("    {n}");
                }
            }
            default.add(&r);
            let labcfg = TwinConfig {
                detector: DetectorMode::Lab,
                ..TwinConfig::default()
            };
            let (truth, h) = eval::run_world(&spec, &labcfg);
            lab.add(&eval::score(&truth, &h));
        }
        print!("{}", default.table("default detectors"));
        print!("{}", lab.table("--detector lab"));
    }
    if check {
        let weakest = default
            .kinds
            .values()
            .map(|k| k.recall())
            .fold(1.0, f64::min);
        let fa = default.false_per_healthy_hour();
        if weakest < MIN_RECALL || fa > MAX_FALSE_PER_HOUR {
            eprintln!(
                "anomaly_eval: below target (weakest recall {weakest:.3} < {MIN_RECALL} or false {fa:.3}/h > {MAX_FALSE_PER_HOUR})"
            );
            std::process::exit(1);
        }
        eprintln!("anomaly_eval: targets met (weakest recall {weakest:.3}, false {fa:.3} per healthy sensor-hour)");
    }
}
