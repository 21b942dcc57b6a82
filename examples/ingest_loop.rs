//! Decode + apply in process, the way `scripts/bench.sh` floods it: lab-6 readings round-robin
//! over T topics (one series and one device each), every message a different topic from the
//! one before, so the twin's tables are walked as they are under a real flood. Prints the best
//! of five passes in nanoseconds per message: steadier than the end-to-end figures on a shared
//! machine, and what `perf record` of this example shows is the twin alone.
//!
//! cargo run --release --example ingest_loop -- 300000 10000 [PASSES]

use chrono::{Duration, TimeZone, Utc};
use twinview::source::event::{Event, Message};
use twinview::twin::Twin;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("a number"))
        .collect();
    let n = args.first().copied().unwrap_or(300_000);
    let topics = args.get(1).copied().unwrap_or(10_000).max(1);
    // Fewer passes under cachegrind (deterministic instruction and miss counts).
    let passes = args.get(2).copied().unwrap_or(5).max(1);
    let t0 = Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap();
    let events: Vec<Event> = (0..n)
        .map(|i| {
            let k = i % topics;
            let value = 22.0 + ((i * 7919) % 600) as f64 / 100.0 - 3.0;
            Event::Message(Message::new(
                // A round over every topic takes a second, as at 10,000 msg/s over 10,000.
                t0 + Duration::microseconds((i as i64) * 1_000_000 / topics as i64),
                format!("bench/sensor{k}/temperature"),
                format!(
                    r#"{{"timestamp_utc":"2026-11-21T12:00:00.000000Z","sensor_id":"sensor{k}","value":{value:.2},"unit":"Celsius","metadata":{{"location":"Bench","sensor_type":"Flood","firmware_version":"1.0.0"}}}}"#
                )
                .into_bytes(),
            ))
        })
        .collect();
    let mut best = f64::INFINITY;
    for _ in 0..passes {
        let mut twin = Twin::default();
        let start = std::time::Instant::now();
        for e in &events {
            twin.apply(e);
        }
        let ns = start.elapsed().as_nanos() as f64 / n as f64;
        best = best.min(ns);
        std::hint::black_box(&twin);
    }
    println!("{n} lab-6 messages over {topics} topics: {best:.0} ns per message (best of {passes}, from an empty twin)");
}
