//! In-process ceiling: decode + apply per payload form, and the rolling statistics alone.
//!
//! cargo bench --bench ingest

use chrono::{Duration, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};

use twinview::decode::{decode, DEFAULT_MAX_PAYLOAD};
use twinview::source::event::{Event, Message};
use twinview::twin::series::Window;
use twinview::twin::Twin;

/// The allocator the twinview binary uses, so the figures are the shipped configuration's.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

const TOPICS: usize = 1000;
const MESSAGES: usize = 10_000;

fn events(form: &str) -> Vec<Event> {
    let t0 = Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap();
    (0..MESSAGES)
        .map(|i| {
            let n = i % TOPICS;
            let v = 22.0 + ((i * 7919) % 600) as f64 / 100.0 - 3.0;
            let (topic, payload) = match form {
                "plain" => (format!("/zone{}/temperature/s{n}", n % 10), format!("{v:.2}")),
                "lab6" => (
                    format!("digital_twin/lab/sensor/S{n}/temperature"),
                    format!(
                        r#"{{"timestamp_utc":"2024-01-15T14:23:45.123456Z","sensor_id":"S{n}","value":{v:.2},"unit":"Celsius","metadata":{{"location":"Lab Environment","sensor_type":"Simulated Thermistor","firmware_version":"1.0.0"}}}}"#
                    ),
                ),
                "multi" => (
                    format!("home/dev{n}/sensors"),
                    format!(
                        r#"{{"device_id":"dev{n}","temperature_c":{v:.1},"temperature_f":{:.1},"humidity":{:.1},"timestamp":1737028800.5}}"#,
                        v * 1.8 + 32.0,
                        40.0 + v / 10.0
                    ),
                ),
                "array" => (
                    format!("/samos/node{n}/gr/campus/r101/temperature"),
                    format!(r#"["float","C",{v:.2}]"#),
                ),
                "nested" => (format!("plant/m{n}/env"), format!(r#"{{"env":{{"t":{v:.2},"rh":41}}}}"#)),
                _ => unreachable!(),
            };
            Event::Message(Message::new(
                t0 + Duration::milliseconds(i as i64),
                topic,
                payload.into_bytes(),
            ))
        })
        .collect()
}

fn bench_apply(c: &mut Criterion) {
    let mut g = c.benchmark_group("decode+apply");
    g.throughput(Throughput::Elements(MESSAGES as u64));
    for form in ["plain", "lab6", "multi", "array", "nested"] {
        let evs = events(form);
        // A warm twin: every topic already known, windows full (the steady state).
        let mut warm = Twin::default();
        for _ in 0..12 {
            for e in &evs {
                warm.apply(e);
            }
        }
        g.bench_function(form, |b| {
            b.iter_batched_ref(
                || warm.clone(),
                |twin| {
                    for e in &evs {
                        twin.apply(e);
                    }
                },
                BatchSize::LargeInput,
            )
        });
    }
    g.finish();
}

fn bench_decode(c: &mut Criterion) {
    let mut g = c.benchmark_group("decode");
    g.throughput(Throughput::Elements(1));
    for (form, payload) in [
        ("plain", &b"21.7"[..]),
        ("lab6", br#"{"timestamp_utc":"2024-01-15T14:23:45.123456Z","sensor_id":"TEMP_SENSOR_001","value":22.4,"unit":"Celsius","metadata":{"location":"Lab Environment","sensor_type":"Simulated Thermistor","firmware_version":"1.0.0"}}"#),
        ("multi", br#"{"device_id":"living-room-01","temperature_c":22.1,"temperature_f":71.8,"humidity":45.2,"timestamp":1737028800.5}"#),
        ("array", br#"["float","C",23.5]"#),
    ] {
        g.bench_function(form, |b| b.iter(|| decode(std::hint::black_box(payload), DEFAULT_MAX_PAYLOAD)));
    }
    g.finish();
}

fn bench_window(c: &mut Criterion) {
    let mut g = c.benchmark_group("rolling-stats");
    g.throughput(Throughput::Elements(1));
    for cap in [120usize, 10_000] {
        let mut w = Window::new(cap);
        let mut i = 0i64;
        g.bench_function(format!("push window={cap}"), |b| {
            b.iter(|| {
                i += 1;
                w.push(i, ((i * 7919) % 600) as f64);
                std::hint::black_box((w.mean(), w.stddev(), w.min(), w.max()))
            })
        });
    }
    g.finish();
}

/// Building one 200×50 frame of the Sensors tab from a twin of 10,000 series (what every redraw
/// costs; only the visible rows are rendered).
fn bench_frame(c: &mut Criterion) {
    use chrono::FixedOffset;
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;
    use twinview::ui::theme::Theme;
    use twinview::ui::{render, UiState};

    let t0 = Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap();
    let mut twin = Twin::default();
    for round in 0..120 {
        for n in 0..10_000 {
            let v = 22.0 + ((n * 7 + round * 13) % 600) as f64 / 100.0;
            twin.apply(&Event::Message(Message::new(
                t0 + Duration::seconds(round as i64),
                format!("/zone{}/temperature/s{n}", n % 100),
                format!("{v:.2}").into_bytes(),
            )));
        }
    }
    let mut ui = UiState::new(
        "mqtt://bench",
        t0 + Duration::seconds(121),
        FixedOffset::east_opt(0).unwrap(),
    );
    ui.refresh(&twin);
    let theme = Theme::default();
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).unwrap();
    let mut g = c.benchmark_group("frame");
    g.bench_function("sensors 200x50, 10k series", |b| {
        b.iter(|| {
            ui.refresh(&twin);
            terminal.draw(|f| render(f, &twin, &ui, &theme)).unwrap();
        })
    });
    g.finish();
}

/// The Topics tab against the Sensors tab at 100,000 topics (one series each): a frame of
/// each, and the Topics tree's layout (done when topics appear, at most once a second for a
/// large table).
fn bench_topics(c: &mut Criterion) {
    use chrono::FixedOffset;
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;
    use twinview::ui::keys::Action;
    use twinview::ui::theme::Theme;
    use twinview::ui::{render, UiState};

    let t0 = Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap();
    let mut twin = Twin::default();
    for n in 0..100_000 {
        twin.apply(&Event::Message(Message::new(
            t0,
            format!("/zone{}/temperature/s{n}", n % 100),
            format!("{}", 20 + n % 7).into_bytes(),
        )));
    }
    let theme = Theme::default();
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).unwrap();
    let mut g = c.benchmark_group("frame");
    g.sample_size(20);
    for (tab, name) in [(0, "sensors"), (4, "topics")] {
        let mut ui = UiState::new(
            "mqtt://bench",
            t0 + Duration::seconds(1),
            FixedOffset::east_opt(0).unwrap(),
        );
        ui.handle(Action::GoTab(tab), &twin);
        ui.refresh(&twin);
        g.bench_function(format!("{name} 200x50, 100k topics"), |b| {
            b.iter(|| {
                ui.refresh(&twin);
                terminal.draw(|f| render(f, &twin, &ui, &theme)).unwrap();
            })
        });
    }
    let folded = std::collections::BTreeSet::new();
    g.bench_function("topics tree layout, 100k topics", |b| {
        b.iter(|| {
            let mut topics: Vec<&str> = twin.topic_traffic().map(|(t, _)| t).collect();
            std::hint::black_box(twinview::ui::tabs::topics::layout(&mut topics, &folded))
        })
    });
    g.bench_function("sensors layout, 100k series", |b| {
        b.iter(|| {
            std::hint::black_box(twinview::ui::layout_rows(
                &twin,
                "",
                twinview::ui::SortKey::Name,
                false,
                &folded,
                t0,
            ))
        })
    });
    g.finish();
}

/// Sparkplug B: DDATA messages of 10 alias-only metrics (8 Double, a Boolean, a String) on
/// 100 devices of 10 edge nodes, after their births; throughput is per metric.
fn bench_sparkplug(c: &mut Criterion) {
    use twinview::decode::sparkplug::{datatype::*, encode, Metric, Payload, Value};
    const NODES: usize = 10;
    const DEVICES: usize = 10;
    const METRICS: u64 = 10;
    let t0 = Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap();
    let kind = |a: u64| match a {
        8 => BOOLEAN,
        9 => STRING,
        _ => DOUBLE,
    };
    let value = |a: u64, i: usize| match kind(a) {
        BOOLEAN => Value::Bool(i.is_multiple_of(7)),
        STRING => Value::Str(
            if i.is_multiple_of(11) {
                "auto"
            } else {
                "manual"
            }
            .into(),
        ),
        _ => Value::Float(100.0 + a as f64 + ((i * 7919) % 600) as f64 / 100.0),
    };
    let mut births = Vec::new();
    for n in 0..NODES {
        births.push(Event::Message(Message::new(
            t0,
            format!("spBv1.0/bench/NBIRTH/node{n}"),
            encode(&Payload {
                seq: Some(0),
                ..Payload::default()
            }),
        )));
        for d in 0..DEVICES {
            births.push(Event::Message(Message::new(
                t0,
                format!("spBv1.0/bench/DBIRTH/node{n}/dev{d}"),
                encode(&Payload {
                    seq: Some(d as u64 + 1),
                    metrics: (0..METRICS)
                        .map(|a| Metric {
                            name: Some(format!("Line/Metric{a}")),
                            alias: Some(a),
                            datatype: Some(kind(a)),
                            value: value(a, 0),
                            ..Metric::default()
                        })
                        .collect(),
                    ..Payload::default()
                }),
            )));
        }
    }
    let data: Vec<Event> = (0..MESSAGES)
        .map(|i| {
            let (n, d) = (i % NODES, (i / NODES) % DEVICES);
            let seq = (DEVICES + 1 + i / NODES) as u64 % 256;
            Event::Message(Message::new(
                t0 + Duration::milliseconds(i as i64),
                format!("spBv1.0/bench/DDATA/node{n}/dev{d}"),
                encode(&Payload {
                    timestamp: Some(1_764_583_200_000 + i as u64),
                    seq: Some(seq),
                    metrics: (0..METRICS)
                        .map(|a| Metric {
                            alias: Some(a),
                            value: value(a, i),
                            ..Metric::default()
                        })
                        .collect(),
                    ..Payload::default()
                }),
            ))
        })
        .collect();
    let mut warm = Twin::default();
    for e in &births {
        warm.apply(e);
    }
    for e in &data {
        warm.apply(e);
    }
    let mut g = c.benchmark_group("sparkplug");
    g.throughput(Throughput::Elements(MESSAGES as u64 * METRICS));
    g.bench_function("DDATA decode+apply, 10 metrics", |b| {
        b.iter_batched_ref(
            || warm.clone(),
            |twin| {
                for e in &data {
                    twin.apply(e);
                }
            },
            BatchSize::LargeInput,
        )
    });
    if let Event::Message(m) = &data[0] {
        let payload = m.payload.clone();
        g.throughput(Throughput::Elements(METRICS));
        g.bench_function("decode only, 10 metrics", |b| {
            b.iter(|| twinview::decode::sparkplug::decode(std::hint::black_box(&payload)))
        });
    }
    g.finish();
}

criterion_group!(
    benches,
    bench_sparkplug,
    bench_apply,
    bench_decode,
    bench_window,
    bench_frame,
    bench_topics
);
criterion_main!(benches);
