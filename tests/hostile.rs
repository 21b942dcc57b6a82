//! Hostile input: arbitrary bytes, deep nesting, NaN/Infinity/huge numbers and 1 MiB payloads
//! through the decoder, the twin, the Contract Net tracker and the recording reader — no
//! panic, and nothing lost from the rest of the stream.
//!
//! A short run is part of `cargo test`; a longer one: `PROPTEST_CASES=200000 cargo test
//! --release --test hostile` (figures in BENCHMARKS.md).

use std::time::Duration;

use chrono::{TimeZone, Utc};
use proptest::prelude::*;

use twinview::decode::{decode, DEFAULT_MAX_PAYLOAD};
use twinview::source::event::{Event, Message};
use twinview::source::replay::parse_line;
use twinview::twin::cnp::{Cnp, Step};
use twinview::twin::{Twin, TwinConfig};

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000)
}

/// JSON-looking text: fragments of real payloads glued together, often broken.
fn jsonish() -> impl Strategy<Value = String> {
    let atoms = prop::sample::select(vec![
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        "\"value\"",
        "\"timestamp\"",
        "\"sensor_id\"",
        "\"env\"",
        "1e308",
        "1e999",
        "-0",
        "NaN",
        "Infinity",
        "null",
        "true",
        "\"ON\"",
        "22.4",
        "\"2024-01-15T14:23:45Z\"",
        "\"\\u0000\"",
        "\"metadata\"",
        "\"status\"",
        "\"offline\"",
        "\"job_id\"",
        "\"time\"",
        "3.0",
        "\"\\ud800\"",
        " ",
        "\n",
    ]);
    prop::collection::vec(atoms, 0..40).prop_map(|v| v.concat())
}

fn at(i: usize) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap()
        + chrono::TimeDelta::milliseconds(i as i64 * 10)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn decoder_survives_arbitrary_bytes(payload in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode(&payload, DEFAULT_MAX_PAYLOAD);
    }

    /// Random bytes through the Sparkplug reader: no panic, and nothing allocated beyond what
    /// the payload can hold (every metric costs at least two bytes of it).
    #[test]
    fn sparkplug_reader_survives_arbitrary_bytes(payload in prop::collection::vec(any::<u8>(), 0..1024)) {
        if let Ok(p) = twinview::decode::sparkplug::decode(&payload) {
            prop_assert!(p.metrics.len() <= payload.len() / 2);
        }
    }

    /// Real Sparkplug payloads, cut and with bytes flipped, through the twin on every message
    /// type: no panic, and the good readings all arrive.
    #[test]
    fn sparkplug_session_survives_mangled_payloads(
        msgs in prop::collection::vec((0usize..8, 0usize..3, prop::collection::vec((any::<u8>(), any::<u64>(), any::<f64>(), any::<bool>()), 0..6), any::<u16>(), any::<u8>()), 0..40),
    ) {
        use twinview::decode::sparkplug::{encode, Metric, Payload, Value};
        const KINDS: [&str; 8] = ["NBIRTH", "NDEATH", "NDATA", "NCMD", "DBIRTH", "DDEATH", "DDATA", "DCMD"];
        let mut twin = Twin::new(TwinConfig { max_series: 10_000, ..TwinConfig::default() });
        let mut n = 0;
        let mut good = 0u64;
        for (kind, node, metrics, cut, flip) in &msgs {
            let metrics = metrics
                .iter()
                .map(|(dt, alias, x, named)| Metric {
                    name: named.then(|| format!("m{}", alias % 5)),
                    alias: Some(alias % 7),
                    datatype: Some(u32::from(*dt % 20)),
                    value: match dt % 4 {
                        0 => Value::Float(*x),
                        1 => Value::Int(*alias as i64),
                        2 => Value::Bool(*named),
                        _ => Value::Str(format!("{x}")),
                    },
                    ..Metric::default()
                })
                .collect();
            let mut bytes = encode(&Payload { timestamp: Some([0, 1_764_583_200_000, u64::MAX][n % 3]), seq: Some(n as u64 % 300), metrics, cut: 0 });
            if !bytes.is_empty() {
                let i = usize::from(*cut) % bytes.len();
                bytes[i] ^= *flip;
                if cut % 3 == 0 {
                    bytes.truncate(i);
                }
            }
            let kind = KINDS[*kind];
            let topic = if kind.starts_with('D') {
                format!("spBv1.0/g/{kind}/n{node}/d{node}")
            } else {
                format!("spBv1.0/g/{kind}/n{node}")
            };
            twin.apply(&Event::Message(Message::new(at(n), topic, bytes)));
            n += 1;
            twin.apply(&Event::Message(Message::new(at(n), "/ok_zone/temperature/good", b"21".to_vec())));
            n += 1;
            good += 1;
        }
        prop_assert_eq!(twin.panics, 0);
        if good > 0 {
            let s = twin.series.iter().find(|s| s.topic == "/ok_zone/temperature/good");
            prop_assert_eq!(s.map(|s| s.count), Some(good));
        }
    }

    #[test]
    fn decoder_survives_jsonish_text(text in jsonish()) {
        let _ = decode(text.as_bytes(), DEFAULT_MAX_PAYLOAD);
    }

    #[test]
    fn garbage_never_costs_the_good_readings(
        garbage in prop::collection::vec((".{0,40}", prop::collection::vec(any::<u8>(), 0..64)), 0..40),
        jsonish_payloads in prop::collection::vec(jsonish(), 0..20),
    ) {
        let mut twin = Twin::new(TwinConfig { max_series: 10_000, ..TwinConfig::default() });
        let mut n = 0;
        let mut good = 0u64;
        let mut feed = |twin: &mut Twin, topic: &str, payload: Vec<u8>| {
            twin.apply(&Event::Message(Message::new(at(n), topic, payload)));
            n += 1;
        };
        for (i, (topic, payload)) in garbage.iter().enumerate() {
            feed(&mut twin, topic, payload.clone());
            if let Some(p) = jsonish_payloads.get(i) {
                feed(&mut twin, "fuzz/j/son", p.clone().into_bytes());
            }
            feed(&mut twin, "/ok_zone/temperature/good", format!("{}", 20 + i % 3).into_bytes());
            good += 1;
        }
        twin.tick(at(n + 1000));
        // The broker's own `$` topics are counted apart (broker.messages).
        let broker_own = garbage.iter().filter(|(t, _)| t.starts_with('$')).count();
        prop_assert_eq!(twin.messages, (n - broker_own) as u64);
        prop_assert_eq!(twin.broker.messages, broker_own as u64);
        if good > 0 {
            let s = twin.series.iter().find(|s| s.topic == "/ok_zone/temperature/good");
            prop_assert!(s.is_some());
            prop_assert_eq!(s.unwrap().count, good);
        }
    }

    #[test]
    fn cnp_tracker_survives_any_sequence(
        msgs in prop::collection::vec((0u8..4, prop::option::of("m[0-3]"), jsonish(), 0u64..5000), 0..60)
    ) {
        let mut cnp = Cnp::new("/cnp", Duration::from_secs(3));
        for (i, (step, machine, payload, ms)) in msgs.iter().enumerate() {
            let step = [Step::Cfp, Step::Bid, Step::Assign, Step::Done][*step as usize];
            let t = at(i) + chrono::TimeDelta::milliseconds(*ms as i64);
            let _ = cnp.apply(step, machine.as_deref(), payload.as_bytes(), t);
            let _ = cnp.tick(t);
        }
        for m in cnp.machines.values() {
            prop_assert!(m.busy_seconds >= 0.0);
        }
    }

    #[test]
    fn cnp_tracker_survives_well_formed_but_wild_protocols(
        msgs in prop::collection::vec((0u8..4, 0u8..4, 0u8..6, -5.0f64..1e6), 0..80)
    ) {
        let mut cnp = Cnp::new("/cnp", Duration::from_secs(3));
        for (i, (step, m, job, time)) in msgs.iter().enumerate() {
            let machine = format!("m{m}");
            let (step, payload) = match step {
                0 => (Step::Cfp, format!(r#"{{"job_id":"J{job}","job_type":"t{m}","deadline":{time}}}"#)),
                1 => (Step::Bid, format!(r#"{{"job_id":"J{job}","time":{time}}}"#)),
                2 => (Step::Assign, format!(r#"{{"job_id":"J{job}","time":{time}}}"#)),
                _ => (Step::Done, format!(r#"{{"job_id":"J{job}"}}"#)),
            };
            let t = at(i * 100);
            prop_assert!(cnp.apply(step, Some(&machine), payload.as_bytes(), t).is_ok());
            cnp.tick(t);
        }
    }

    #[test]
    fn recording_reader_survives_any_line(line in ".{0,200}") {
        let _ = parse_line(&line);
    }

    #[test]
    fn recording_reader_survives_jsonish_lines(line in jsonish()) {
        let _ = parse_line(&line);
    }
}

#[test]
fn extreme_payloads() {
    let mut twin = Twin::default();
    let deep = format!("{}1{}", "{\"a\":".repeat(10_000), "}".repeat(10_000));
    let deep_array = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let big = vec![b'7'; 1 << 20];
    let too_big = vec![b'7'; (1 << 20) + 1];
    let huge_json = format!("{{\"v\":{}}}", "9".repeat(5000));
    let payloads: Vec<Vec<u8>> = vec![
        deep.into_bytes(),
        deep_array.into_bytes(),
        big,
        too_big,
        huge_json.into_bytes(),
        b"NaN".to_vec(),
        b"Infinity".to_vec(),
        b"-inf".to_vec(),
        b"1e309".to_vec(),
        br#"{"value":1e308,"other":-1e308}"#.to_vec(),
        vec![0xff; 1 << 20],
    ];
    for (i, p) in payloads.iter().enumerate() {
        twin.apply(&Event::Message(Message::new(
            at(i),
            format!("x/y/{i}"),
            p.clone(),
        )));
    }
    twin.apply(&Event::Message(Message::new(
        at(99),
        "x/y/ok",
        b"1".to_vec(),
    )));
    assert_eq!(twin.messages, payloads.len() as u64 + 1);
    assert!(twin.series.iter().any(|s| s.topic == "x/y/ok"));
    // No series ever holds a non-finite value.
    for s in &twin.series {
        assert!(s.window.values().all(f64::is_finite), "{}", s.topic);
        assert!(s.window.mean().unwrap().is_finite());
    }
    let reasons: Vec<&str> = twin.undecoded.values().map(|u| u.reason.as_str()).collect();
    assert!(reasons.contains(&"payload too large"), "{reasons:?}");
    assert!(reasons.contains(&"NaN or infinite number"), "{reasons:?}");
}
