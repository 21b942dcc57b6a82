//! The adversarial review of issue #14, one reproduction per case. Cases whose path goes
//! through a broker run on Mosquitto here or in the file named; the rest run in process.
//!
//! | item | case | reproduction |
//! |---|---|---|
//! | 1 | a wire time of 1e13 overflowed a date (exit 101); retained, at every start | `a_retained_time_of_1e13_does_not_crash_twinview_at_start` (Mosquitto), `huge_wire_times_never_panic` |
//! | 2 | escape sequences from the wire on stderr | `tests/e2e_security.rs` `escape_sequences_from_the_wire_never_reach_the_terminal_raw` (Mosquitto) |
//! | 3 | 1 MiB alerts parsed; over-long ids and names | `one_megabyte_alerts_are_counted_not_parsed` (Mosquitto), `every_name_has_a_length_limit` |
//! | 4 | a retained payload over 16 MiB: reconnect loop | `tests/e2e_security.rs` `a_retained_payload_over_16_mib_is_counted_once_not_a_reconnect_loop` (Mosquitto) |
//! | 5 | unbounded maps (states, command names, machines, bids per job, undecoded topics) | `every_map_is_bounded_and_counts_what_it_forgets`, `a_state_flood_stays_bounded` (Mosquitto) |
//! | 6 | statistics after a 1e17 leaves the window; ±1e308 | `src/twin/series.rs` `an_outlier_leaving_the_window_leaves_exact_statistics`, property test `statistics_stay_exact_across_magnitudes` |
//! | 7 | the UI lost retained messages at connect | `scripts/retained_ui.sh` (a terminal is needed; figures in BENCHMARKS.md) |
//! | 8 | loss during a broker outage said nothing | `tests/e2e_security.rs` `a_persistent_session_keeps_what_was_published_while_twinview_was_away` (Mosquitto) |
//! | 9 | Contract Net sequences: panic or unbounded growth | `contract_net_memory_is_bounded_by_any_sequence` (property), `tests/hostile.rs` |
//! | 10 | SIGHUP left the terminal raw; Ctrl-Z | `scripts/signals.sh` (a real terminal in tmux; run by `.ci/run`) |
//! | 11 | files of unlimited length | `tests/e2e.rs` `usage_and_file_errors_have_their_exit_codes` (`/dev/zero` as config, password, theme, recording) |
//! | also | `--mqtt-version 4`, `--fault s9:spike`, an unknown template placeholder | `tests/e2e.rs` `usage_and_file_errors_have_their_exit_codes` |
//!
//! Longer property runs: `scripts/nightly.sh` (PROPTEST_CASES=200000).

mod common;

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;
use serde_json::Value;

use common::{publish_all, publish_retained, Mosquitto, Twinview};
use twinview::decode::{decode, Decoded, Undecodable, DEFAULT_MAX_PAYLOAD, MAX_NAME};
use twinview::source::event::{Event, Message};
use twinview::twin::cnp::{Cnp, Step, MAX_PER_JOB};
use twinview::twin::{Twin, TwinConfig};

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300)
}

fn at(ms: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap() + chrono::TimeDelta::milliseconds(ms)
}

fn feed(twin: &mut Twin, ms: i64, topic: &str, payload: impl Into<Vec<u8>>) {
    twin.apply(&Event::Message(Message::new(at(ms), topic, payload.into())));
}

#[test]
fn huge_wire_times_never_panic() {
    let mut t = Twin::default();
    let msgs = [
        (
            "/cnp/cfp",
            r#"{"job_id":"J","job_type":"x","deadline":1e300}"#,
        ),
        ("/cnp/bid/m1", r#"{"job_id":"J","time":1e13}"#),
        ("/cnp/assign/m1", r#"{"job_id":"J"}"#),
        ("/cnp/assign/m2", r#"{"job_id":"K","time":1e13}"#),
        ("/cnp/done/m2", r#"{"job_id":"K","time":-1e308}"#),
        ("/z/temperature/s1", r#"{"value":1,"timestamp":1e300}"#),
        ("/z/temperature/s1", r#"{"value":1,"timestamp":-1e300}"#),
        (
            "/z/temperature/s1",
            r#"{"value":1,"timestamp":"+275760-09-13T00:00:00Z"}"#,
        ),
    ];
    for (i, (topic, payload)) in msgs.iter().enumerate() {
        feed(&mut t, i as i64, topic, *payload);
    }
    // Ticks far ahead run every timer the wire times could have set.
    for ms in [10_000, 10_000_000_000, i64::MAX / 4_000_000] {
        t.tick(at(ms));
    }
    assert_eq!(t.panics, 0);
    assert_eq!(t.messages, msgs.len() as u64);
    let m1 = &t.cnp.machines["m1"];
    assert_eq!(
        m1.busy_until, None,
        "a run time past the calendar is unknown"
    );
}

#[test]
fn every_name_has_a_length_limit() {
    let long = "x".repeat(MAX_NAME + 1);
    let ok = "x".repeat(MAX_NAME);
    let too_long = Decoded::Undecoded(Undecodable::FieldTooLong);
    for payload in [
        format!(r#"{{"device_id":"{long}","value":1}}"#),
        format!(r#"{{"{long}":1}}"#),
        format!(r#"{{"value":1,"unit":"{}"}}"#, "u".repeat(65)),
        format!(r#"{{"command":"{long}"}}"#),
    ] {
        assert_eq!(
            decode(payload.as_bytes(), DEFAULT_MAX_PAYLOAD),
            too_long,
            "{payload}"
        );
    }
    // A word longer than a state can be is no state: nothing of it is kept.
    assert_eq!(
        decode(
            format!(r#"{{"status":"{long}"}}"#).as_bytes(),
            DEFAULT_MAX_PAYLOAD
        ),
        Decoded::Undecoded(Undecodable::NoNumbers)
    );
    assert!(matches!(
        decode(
            format!(r#"{{"device_id":"{ok}","value":1}}"#).as_bytes(),
            DEFAULT_MAX_PAYLOAD
        ),
        Decoded::Readings(_)
    ));
    let mut t = Twin::default();
    feed(&mut t, 0, "/z/temperature/alert", format!(r#"["{long}"]"#));
    let many: Vec<String> = (0..300).map(|i| format!("\"s{i}\"")).collect();
    feed(
        &mut t,
        1,
        "/z/temperature/alert",
        format!("[{}]", many.join(",")),
    );
    feed(
        &mut t,
        2,
        "/cnp/cfp",
        format!(r#"{{"job_id":"J","job_type":"{long}"}}"#),
    );
    feed(
        &mut t,
        3,
        &format!("/cnp/bid/{long}"),
        r#"{"job_id":"J","time":1}"#,
    );
    feed(
        &mut t,
        4,
        "/cnp/bid/m1",
        format!(r#"{{"job_id":"J","reason":"{long}"}}"#),
    );
    assert!(t.alerts.is_empty());
    assert!(t.cnp.jobs.is_empty() && t.cnp.machines.is_empty());
    assert_eq!(t.undecoded_total, 5);
    assert!(t
        .undecoded
        .values()
        .all(|u| u.reason == Undecodable::FieldTooLong));
}

#[test]
fn every_map_is_bounded_and_counts_what_it_forgets() {
    let cap = 100;
    let mut t = Twin::new(TwinConfig {
        max_series: cap,
        ..TwinConfig::default()
    });
    let mut ms = 0;
    let mut next = || {
        ms += 1;
        ms
    };
    // Device state words: one per device, on topics with no series.
    for i in 0..1000 {
        feed(&mut t, next(), &format!("/home/power/d{i}"), "ON");
    }
    // Command names seen on the wire.
    for i in 0..10_050 {
        feed(
            &mut t,
            next(),
            "/lab/s1/reset",
            format!(r#"{{"command":"C{i}"}}"#),
        );
    }
    // Undecodable topics.
    for i in 0..10_050 {
        feed(&mut t, next(), &format!("junk/{i}"), "{not json");
    }
    // Contract Net machines, and one job with more bids than it keeps.
    feed(
        &mut t,
        next(),
        "/cnp/cfp",
        r#"{"job_id":"BIG","job_type":"t"}"#,
    );
    for i in 0..(MAX_PER_JOB + 500) {
        // The best bid comes last: it must still be the one kept as best.
        let time = if i == MAX_PER_JOB + 499 {
            0.5
        } else {
            10.0 + i as f64
        };
        feed(
            &mut t,
            next(),
            &format!("/cnp/bid/m{i}"),
            format!(r#"{{"job_id":"BIG","time":{time}}}"#),
        );
    }
    // A machine with more job types than it keeps.
    for i in 0..300 {
        let job = format!("T{i}");
        feed(
            &mut t,
            next(),
            "/cnp/cfp",
            format!(r#"{{"job_id":"{job}","job_type":"type{i}"}}"#),
        );
        feed(
            &mut t,
            next(),
            "/cnp/bid/mX",
            format!(r#"{{"job_id":"{job}","time":1}}"#),
        );
    }
    // Awarded to a machine whose bid was not kept: unknown, so no violation.
    feed(&mut t, next(), "/cnp/assign/m1200", r#"{"job_id":"BIG"}"#);

    assert_eq!(t.panics, 0);
    assert!(t.states.len() <= cap, "{}", t.states.len());
    assert!(
        t.states.find("/home/power/d999", "value").is_some(),
        "the most recent state is kept"
    );
    assert!(t.commands_seen.len() <= 10_000);
    assert!(t.commands_seen.contains_key("C10049"));
    assert!(t.undecoded.len() <= 10_000);
    assert!(t.undecoded.contains_key("junk/10049"));
    assert_eq!(t.undecoded_total, 10_050, "the total keeps counting");
    assert!(t.cnp.machines.len() <= cap);
    assert!(t.cnp.machines.contains_key("mX"));
    let big = &t.cnp.jobs["BIG"];
    assert_eq!(big.proposals.len(), MAX_PER_JOB);
    assert_eq!(big.best().map(|p| p.time), Some(0.5));
    assert_eq!(big.bids_not_kept, 500);
    assert!(big.violations.is_empty(), "{:?}", big.violations);
    assert!(big.log.len() <= MAX_PER_JOB);
    assert_eq!(t.cnp.machines["mX"].capabilities.len(), 256);

    let e = t.evicted_entries();
    assert_eq!(e.states as usize, 1000 - t.states.len());
    assert_eq!(e.command_names as usize, 10_050 - t.commands_seen.len());
    assert_eq!(e.undecoded_topics as usize, 10_050 - t.undecoded.len());
    assert!(e.machines >= (MAX_PER_JOB + 501 - cap) as u64);
    assert!(e.negotiation >= 500);
    assert_eq!(e.job_types, 44);
    assert!(e.total() > 0);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    /// No sequence of Contract Net messages grows the tracker past its bounds (item 9).
    #[test]
    fn contract_net_memory_is_bounded_by_any_sequence(
        msgs in prop::collection::vec((0u8..4, 0u16..400, 0u16..3000, 0u8..3, -5.0f64..1e14), 0..1500)
    ) {
        let mut cnp = Cnp::new("/cnp", Duration::from_secs(3));
        cnp.max_machines = 64;
        for (i, (step, m, job, ty, time)) in msgs.iter().enumerate() {
            let machine = format!("m{m}");
            let (step, payload) = match step {
                0 => (Step::Cfp, format!(r#"{{"job_id":"J{job}","job_type":"t{ty}","deadline":{time}}}"#)),
                1 => (Step::Bid, format!(r#"{{"job_id":"J{}","time":{time}}}"#, job % 3)),
                2 => (Step::Assign, format!(r#"{{"job_id":"J{job}","time":{time}}}"#)),
                _ => (Step::Done, format!(r#"{{"job_id":"J{job}"}}"#)),
            };
            let t = at(i as i64 * 100);
            prop_assert!(cnp.apply(step, Some(&machine), payload.as_bytes(), t).is_ok());
            cnp.tick(t);
            prop_assert!(cnp.machines.len() <= 64);
            prop_assert!(cnp.jobs.len() <= 2000);
        }
        for job in cnp.jobs.values() {
            prop_assert!(job.proposals.len() <= MAX_PER_JOB);
            prop_assert!(job.log.len() <= MAX_PER_JOB);
            prop_assert!(job.refusals.len() <= MAX_PER_JOB);
            prop_assert!(job.violations.len() <= MAX_PER_JOB);
        }
    }
}

fn headless(port: u16, filter: &str, count: usize, extra: &[&str]) -> Twinview {
    let count = count.to_string();
    let mut args = vec!["--count", &count, "--duration", "40s"];
    args.extend_from_slice(extra);
    Twinview::headless(port, filter, &args)
}

/// Item 1: retained, `{"job_id":"J","time":1e13}` on an assign topic crashed twinview at
/// every start. Through Mosquitto: it is taken at connect, and what follows arrives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retained_time_of_1e13_does_not_crash_twinview_at_start() {
    let Some(m) = Mosquitto::start() else { return };
    publish_retained(
        m.port,
        &[
            (
                "/cnp/bid/m1".into(),
                br#"{"job_id":"J","time":1e13}"#.to_vec(),
            ),
            (
                "/cnp/assign/m1".into(),
                br#"{"job_id":"J","time":1e13}"#.to_vec(),
            ),
        ],
    )
    .await;
    for _ in 0..2 {
        // Twice: the retained messages come again at every start.
        let mut tv = headless(m.port, "#", 12, &[]);
        let msgs: Vec<(String, Vec<u8>)> = (0..10)
            .map(|i| {
                (
                    "/z/temperature/s1".to_string(),
                    format!("{}", 20 + i).into_bytes(),
                )
            })
            .collect();
        publish_all(m.port, &msgs).await;
        let (status, out) = tv.finish(Duration::from_secs(40));
        assert!(status.success(), "{status:?}\n{}", tv.stderr_rest());
        let snap: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(snap["messages"], 12);
        assert_eq!(snap["ingest_errors"], 0);
        assert_eq!(snap["jobs"][0]["winner"], "m1");
        assert_eq!(snap["sensors"][0]["count"], 10);
    }
}

/// Item 3: 40 alerts of 1 MiB were parsed (1.32 GB RSS, a 272 MB snapshot). Now each is
/// counted as too large before parsing; the snapshot stays small.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_megabyte_alerts_are_counted_not_parsed() {
    let Some(m) = Mosquitto::start() else { return };
    let mut tv = headless(m.port, "#", 41, &[]);
    let names: Vec<String> = (0..100_000).map(|i| format!("\"s{i:07}\"")).collect();
    let alert = format!("[{}]", names.join(","));
    assert!(alert.len() > 1 << 20);
    let mut msgs: Vec<(String, Vec<u8>)> = (0..40)
        .map(|_| {
            (
                "/z/temperature/alert".to_string(),
                alert.clone().into_bytes(),
            )
        })
        .collect();
    msgs.push(("/z/temperature/alert".into(), br#"["s1"]"#.to_vec()));
    publish_all(m.port, &msgs).await;
    let (status, out) = tv.finish(Duration::from_secs(40));
    assert!(status.success());
    assert!(out.len() < 64 << 10, "snapshot of {} bytes", out.len());
    let snap: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(snap["messages"], 41);
    assert_eq!(snap["undecoded"], 40);
    assert_eq!(snap["alerts"].as_array().map(Vec::len), Some(1));
    assert_eq!(snap["undecoded_topics"][0]["reason"], "payload too large");
}

/// Item 5: 20,000 devices each reporting a state word, with `--max-series 500`: the states
/// kept stay within the bound, and the snapshot says how many were forgotten.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_flood_stays_bounded() {
    let Some(m) = Mosquitto::start() else { return };
    let n = 20_000;
    let mut tv = headless(m.port, "#", n, &["--max-series", "500"]);
    let msgs: Vec<(String, Vec<u8>)> = (0..n)
        .map(|i| (format!("/home/power/dev{i}"), b"ON".to_vec()))
        .collect();
    publish_all(m.port, &msgs).await;
    let (status, out) = tv.finish(Duration::from_secs(60));
    assert!(status.success());
    let snap: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(snap["messages"], n as u64);
    let forgotten = snap["evicted_entries"]["states"].as_u64().unwrap();
    assert!(forgotten >= (n - 500) as u64, "{forgotten}");
}

/// One run of item 8: a sensor every 200 ms; the broker stopped for 5 s and started again;
/// 10 readings published while twinview is still away (its retry is ~2 s later); 5 more
/// after it is back. Returns the snapshot and stderr.
async fn broker_outage(persistent: bool) -> Option<(Value, String)> {
    let m = Mosquitto::start_with(|dir| {
        // The broker drops to the `mosquitto` user when started as root: it must be able
        // to write its persistence file.
        let db = dir.join("db");
        std::fs::create_dir_all(&db).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o777)).unwrap();
        format!("persistence true\npersistence_location {}/\n", db.display())
    });
    let mut m = m?;
    let id = format!("tv-outage-{}", fastrand::u32(..));
    let mut args = vec!["--qos", "1", "--client-id", &id, "--duration", "60s"];
    if persistent {
        args.extend(["--session-expiry", "600"]);
    }
    let mut tv = Twinview::headless(m.port, "/z/#", &args);
    let reading = |i: usize| {
        vec![(
            "/z/temperature/s1".to_string(),
            format!("{}", 20 + i % 3).into_bytes(),
        )]
    };
    for i in 0..10 {
        publish_all(m.port, &reading(i)).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    m.stop();
    tokio::time::sleep(Duration::from_secs(5)).await;
    m.start_again();
    let meanwhile: Vec<_> = (10..20).flat_map(reading).collect();
    publish_all(m.port, &meanwhile).await;
    tv.wait_for_stderr("connected to", Duration::from_secs(20));
    for i in 20..25 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        publish_all(m.port, &reading(i)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    // SAFETY: kill(2) on our own child's pid; SIGTERM ends a headless run with its snapshot.
    unsafe { libc::kill(tv.pid() as i32, libc::SIGTERM) };
    let (status, out) = tv.finish(Duration::from_secs(20));
    assert!(status.success());
    Some((serde_json::from_str(&out).unwrap(), tv.stderr_rest()))
}

/// Item 8: a broker outage cost readings and nothing said so. Now the reconnection says how
/// long twinview was away and whether the broker kept its session, the sensor shows the gap;
/// and with `--session-expiry` (a persistent session, QoS 1) the broker keeps the readings
/// published meanwhile, and every one arrives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_restart_loses_readings_visibly_or_none_with_a_kept_session() {
    let Some((snap, err)) = broker_outage(false).await else {
        return;
    };
    let s1 = &snap["sensors"][0];
    assert_eq!(s1["count"], 15, "{s1}\n{err}");
    assert_eq!(s1["gaps"], 1, "{s1}");
    assert!(s1["last_gap"]["missed"].as_u64().unwrap() >= 5, "{s1}");
    assert_eq!(snap["outages"].as_array().map(Vec::len), Some(1));
    assert_eq!(snap["outages"][0]["resumed"], false);
    assert_eq!(
        s1["anomalies"], 0,
        "twinview's own blindness is no silence: {s1}"
    );

    let (snap, err) = broker_outage(true).await.unwrap();
    let s1 = &snap["sensors"][0];
    assert_eq!(s1["count"], 25, "{s1}\n{err}");
    assert_eq!(s1["gaps"], 0, "{s1}");
    assert_eq!(snap["outages"][0]["resumed"], true, "{}", snap["outages"]);
    assert!(err.contains("resumed the session"), "{err}");
}
