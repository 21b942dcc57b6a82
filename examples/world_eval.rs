//! Scores twinview on the home and plant worlds (BENCHMARKS.md, "Worlds like the real ones").
//!
//! `world_eval --truth T.json --events E.jsonl --snapshot S.json [--truth … --events … --snapshot …]
//!  [--title TEXT] [--notes N] [--check]`
//!
//! Each triple is one world: the truth `twinview sim --offline --world …` (or a live `sim
//! --world … --truth`) wrote, and the events file and final snapshot of twinview watching it
//! (`twinview replay REC --headless --events E > S`). It prints, per signal class, false
//! episodes per healthy series-hour and the share of healthy time inside them; per fault kind,
//! faults found, named right and the median delay; and the device check: rows per physical
//! device, splits, merges, and liveness said in time or falsely. The rules are in
//! `twinview::sim::worlds::score`. `scripts/world_eval.sh` runs it over worlds and seeds.
//! With `--check` it exits 1 when the figures fail the gates in `score::gates`.

use twinview::sim::worlds::score::{self, Report};
use twinview::sim::worlds::WorldTruth;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mut truths, mut events, mut snaps) = (Vec::new(), Vec::new(), Vec::new());
    let mut title = "default detectors".to_string();
    let mut notes = 20usize;
    let mut check = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut val = || it.next().cloned().unwrap_or_default();
        match a.as_str() {
            "--truth" => truths.push(val()),
            "--events" => events.push(val()),
            "--snapshot" => snaps.push(val()),
            "--title" => title = val(),
            "--notes" => notes = val().parse().unwrap_or(20),
            "--check" => check = true,
            other => {
                eprintln!("world_eval: unknown argument {other}");
                std::process::exit(2);
            }
        }
    }
    if truths.is_empty() || truths.len() != events.len() || truths.len() != snaps.len() {
        eprintln!("world_eval: give one --events and one --snapshot per --truth");
        std::process::exit(2);
    }
    let read = |p: &str| {
        std::fs::read_to_string(p).unwrap_or_else(|e| {
            eprintln!("world_eval: cannot read {p}: {e}");
            std::process::exit(2)
        })
    };
    let mut all = Report::default();
    for ((t, e), s) in truths.iter().zip(&events).zip(&snaps) {
        let truth: WorldTruth = serde_json::from_str(&read(t)).unwrap_or_else(|e| {
            eprintln!("world_eval: {t} is not a version 2 truth file: {e}");
            std::process::exit(2)
        });
        let snap: serde_json::Value = serde_json::from_str(&read(s)).unwrap_or_else(|e| {
            eprintln!("world_eval: {s} is not a snapshot: {e}");
            std::process::exit(2)
        });
        all.add(&score::score(&truth, &read(e), &snap));
    }
    print!("{}", all.table(&title));
    if notes > 0 && !all.notes.is_empty() {
        println!(
            "  first {} of {} notes:",
            notes.min(all.notes.len()),
            all.notes.len()
        );
        for n in all.notes.iter().take(notes) {
            println!("    {n}");
        }
    }
    if check {
        let failed = all.check();
        if !failed.is_empty() {
            println!("  FAILED the gates (twinview::sim::worlds::score::gates):");
            for f in &failed {
                println!("    {f}");
            }
            std::process::exit(1);
        }
        println!("  gates held (twinview::sim::worlds::score::gates)");
    }
}
