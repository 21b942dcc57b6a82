//! Time to render the `/metrics` exposition of a twin holding N series (lab-6 JSON, one
//! device each, a full window), as the ingest loop does on each scrape.
//!
//! cargo run --release --example metrics_render -- 10000

use chrono::{Duration, TimeZone, Utc};
use twinview::outputs::metrics::{exposition, Context};
use twinview::source::event::{Event, Message};
use twinview::twin::Twin;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    let t0 = Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap();
    let mut twin = Twin::default();
    for round in 0..40 {
        for i in 0..n {
            let v = 22.0 + ((i * 7 + round * 13) % 600) as f64 / 100.0;
            let payload = format!(r#"{{"sensor_id":"sensor{i}","value":{v:.2},"unit":"Celsius"}}"#);
            twin.apply(&Event::Message(Message::new(
                t0 + Duration::seconds(round as i64),
                format!("bench/sensor{i}/temperature"),
                payload.into_bytes(),
            )));
        }
    }
    let cx = Context {
        source: "mqtt://bench:1883",
        dropped: 0,
        queued: 0,
        max_series: usize::MAX,
        now: t0,
        health: &[],
    };
    let mut times = Vec::new();
    let mut size = 0;
    for _ in 0..7 {
        let start = std::time::Instant::now();
        let text = exposition(&twin, &cx);
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        size = text.len();
    }
    times.sort_by(f64::total_cmp);
    println!(
        "{n} series: exposition {:.1} MB, render median {:.0} ms (min {:.0}, max {:.0}) over 7",
        size as f64 / 1e6,
        times[3],
        times[0],
        times[6]
    );
}
