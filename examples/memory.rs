//! Memory per series: fills a twin with N lab-style series × a full window and prints the
//! resident set size before and after, and the growth per series.
//!
//! cargo run --release --example memory -- 10000 120
//!
//! With `flood KIND N [MAX_SERIES]` it sends N messages that each name something new instead
//! (the adversarial review's floods, issue #14 item 5) and prints the RSS growth and what the
//! bounds forgot: `states` (a device state word per topic), `commands` (distinct command
//! names), `machines` (distinct Contract Net machines bidding), `bids` (bids on one job).
//!
//! cargo run --release --example memory -- flood states 800000 1000

use chrono::{Duration, TimeZone, Utc};
use twinview::source::event::{Event, Message};
use twinview::twin::{Twin, TwinConfig};

/// The allocator the twinview binary uses, so the figures are the shipped configuration's.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn flood(kind: &str, n: usize, max_series: usize) {
    let t0 = Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap();
    let before = rss_kb();
    let mut twin = Twin::new(TwinConfig {
        max_series,
        ..TwinConfig::default()
    });
    let mut feed = |i: usize, topic: String, payload: String| {
        twin.apply(&Event::Message(Message::new(
            t0 + Duration::milliseconds(i as i64),
            topic,
            payload.into_bytes(),
        )));
    };
    if kind == "bids" {
        feed(
            0,
            "/cnp/cfp".into(),
            r#"{"job_id":"J","job_type":"t"}"#.into(),
        );
    }
    for i in 0..n {
        match kind {
            "states" => feed(i, format!("/home/power/dev{i}"), "ON".into()),
            "commands" => feed(
                i,
                "/lab/s1/reset".into(),
                format!(r#"{{"command":"C{i}"}}"#),
            ),
            "machines" => feed(
                i,
                format!("/cnp/bid/m{i}"),
                format!(r#"{{"job_id":"J{}","time":1}}"#, i % 100),
            ),
            "bids" => feed(
                i,
                format!("/cnp/bid/m{}", i % 500),
                format!(r#"{{"job_id":"J","time":{}}}"#, 1 + i % 97),
            ),
            other => panic!("unknown flood {other}: states, commands, machines or bids"),
        }
    }
    let after = rss_kb();
    println!(
        "flood {kind} × {n} (--max-series {max_series}): RSS {:.1} MB → {:.1} MB (+{:.1} MB); kept: {} states, {} command names, {} machines, {} bids on J; evicted: {:?}",
        before as f64 / 1024.0,
        after as f64 / 1024.0,
        (after as f64 - before as f64) / 1024.0,
        twin.states.len(),
        twin.commands_seen.len(),
        twin.cnp.machines.len(),
        twin.cnp.jobs.get("J").map_or(0, |j| j.proposals.len()),
        twin.evicted_entries()
    );
    std::hint::black_box(&twin);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("flood") {
        let kind = args.get(2).map(String::as_str).unwrap_or("states");
        let n = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(100_000);
        let max_series = args.get(4).and_then(|a| a.parse().ok()).unwrap_or(100_000);
        return flood(kind, n, max_series);
    }
    let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let window: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(120);
    let t0 = Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap();
    let before = rss_kb();
    let mut twin = Twin::new(TwinConfig {
        window,
        ..TwinConfig::default()
    });
    for round in 0..window {
        for i in 0..n {
            let v = 22.0 + ((i * 7 + round * 13) % 600) as f64 / 100.0;
            let payload = format!(
                r#"{{"timestamp_utc":"2026-11-21T12:00:00.000000Z","sensor_id":"sensor{i}","value":{v:.2},"unit":"Celsius","metadata":{{"location":"Bench"}}}}"#
            );
            twin.apply(&Event::Message(Message::new(
                t0 + Duration::seconds(round as i64),
                format!("bench/sensor{i}/temperature"),
                payload.into_bytes(),
            )));
        }
    }
    let after = rss_kb();
    println!(
        "{n} series × window {window}: RSS {:.1} MB → {:.1} MB, {:.0} bytes per series",
        before as f64 / 1024.0,
        after as f64 / 1024.0,
        (after - before) as f64 * 1024.0 / n as f64
    );
    std::hint::black_box(&twin);
}
