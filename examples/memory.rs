//! Memory per series: fills a twin with N lab-style series × a full window and prints the
//! resident set size before and after, and the growth per series.
//!
//! cargo run --release --example memory -- 10000 120

use chrono::{Duration, TimeZone, Utc};
use twinview::event::{Event, Message};
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

fn main() {
    let args: Vec<String> = std::env::args().collect();
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
