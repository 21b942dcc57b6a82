//! The twin's own tests: ingest, detectors, episodes, outages, eviction.

use super::*;
use crate::source::event::ConnEvent;
use chrono::TimeZone;

fn at(sec: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_800_000_000 + sec, 0).unwrap()
}

fn msg(sec: i64, topic: &str, payload: &str) -> Event {
    Event::Message(Message::new(at(sec), topic, payload.as_bytes().to_vec()))
}

/// A Zigbee2MQTT climate sensor's temperature `x` on `topic` at `sec`, and the clock's tick.
fn say_temperature(t: &mut Twin, topic: &str, sec: i64, x: f64) {
    t.apply(&msg(sec, topic, &format!("{{\"temperature\": {x:.2}}}")));
    t.tick(at(sec));
}

/// The reason of the stuck episode open on `topic`'s series, if one is.
fn open_stuck(t: &Twin, topic: &str) -> Option<String> {
    let s = t.series.iter().find(|x| x.topic == topic)?;
    s.episode
        .as_ref()
        .filter(|e| e.kind == EpisodeKind::Stuck)
        .map(|e| e.reason.clone())
}

/// A series' episodes, closed ones first and then the open one: (kind, start, opened), in
/// seconds from `at(0)`.
fn episode_times(s: &Series) -> Vec<(EpisodeKind, i64, i64)> {
    let secs = |d: DateTime<Utc>| d.timestamp() - at(0).timestamp();
    s.episodes
        .iter()
        .chain(s.episode.as_ref())
        .map(|e| (e.kind, secs(e.start), secs(e.opened)))
        .collect()
}

/// `found` is one level shift that began at `step` and was said within `within` seconds.
fn one_level_shift_said_within(found: &[(EpisodeKind, i64, i64)], step: i64, within: i64) {
    assert_eq!(found.len(), 1, "{found:?}");
    let (kind, start, said) = found[0];
    assert_eq!((kind, start), (EpisodeKind::LevelShift, step));
    assert!(
        said <= step + within,
        "said {} s after the step",
        said - step
    );
}

/// The kinds of a series' episodes, closed ones first and then the open one.
fn episode_kinds(s: &Series) -> Vec<EpisodeKind> {
    s.episodes
        .iter()
        .chain(s.episode.as_ref())
        .map(|e| e.kind)
        .collect()
}

#[test]
fn one_size_limit_before_any_parsing_and_job_ids_have_a_length() {
    let mut t = Twin::default();
    let big_alert = format!("[{}]", vec!["\"s1\""; 300_000].join(","));
    assert!(big_alert.len() > crate::decode::DEFAULT_MAX_PAYLOAD);
    t.apply(&msg(1, "/living_room/temperature/alert", &big_alert));
    assert!(t.alerts.is_empty());
    let long_id = "J".repeat(cnp::MAX_ID + 1);
    t.apply(&msg(2, "/cnp/cfp", &format!(r#"{{"job_id":"{long_id}"}}"#)));
    assert!(t.cnp.jobs.is_empty());
    let reasons: Vec<(&str, &str)> = {
        let mut r: Vec<(&str, &str)> = t
            .undecoded
            .iter()
            .map(|(k, u)| (k.as_str(), u.reason.as_str()))
            .collect();
        r.sort();
        r
    };
    assert_eq!(
        reasons,
        [
            ("/cnp/cfp", "a name or unit over its length limit"),
            ("/living_room/temperature/alert", "payload too large")
        ]
    );
    assert_eq!(t.undecoded_total, 2);
}

#[test]
fn plain_numbers_make_one_series_with_schema_levels() {
    let mut t = Twin::default();
    for (i, v) in [21.0, 22.0, 23.0].iter().enumerate() {
        t.apply(&msg(
            i as i64,
            "/living_room/temperature/s1",
            &v.to_string(),
        ));
    }
    assert_eq!(t.series.len(), 1);
    let s = &t.series[0];
    assert_eq!(
        (
            s.zone.as_deref(),
            s.measurement.as_deref(),
            s.device.as_str()
        ),
        (Some("living_room"), Some("temperature"), "s1")
    );
    assert_eq!((s.count, s.last), (3, 23.0));
    assert_eq!(s.window.mean(), Some(22.0));
    assert_eq!(s.label, "s1");
    assert_eq!(s.group, "living_room · temperature");
    assert_eq!(t.messages, 3);
}

#[test]
fn lab6_json_uses_payload_device_unit_and_time() {
    let mut t = Twin::default();
    t.apply(&msg(
        0,
        "digital_twin/lab/sensor/temperature",
        r#"{"timestamp_utc":"2024-01-15T14:23:45.123456Z","sensor_id":"TEMP_SENSOR_001","value":22.4,"unit":"Celsius","metadata":{"location":"Lab Environment"}}"#,
    ));
    let s = &t.series[0];
    assert_eq!(s.device, "TEMP_SENSOR_001");
    assert_eq!(s.unit.as_deref(), Some("Celsius"));
    assert_eq!(s.last_time.timestamp(), 1_705_328_625);
    assert_eq!(s.last_seen, at(0));
}

#[test]
fn multi_field_json_makes_a_series_per_field() {
    let mut t = Twin::default();
    t.apply(&msg(
        0,
        "home/living-room-01/sensors",
        r#"{"device_id":"living-room-01","temperature_c":22.1,"temperature_f":71.8,"humidity":45.2,"timestamp":1737028800.5}"#,
    ));
    let mut fields: Vec<_> = t.series.iter().map(|s| s.field.as_str()).collect();
    fields.sort();
    assert_eq!(fields, ["humidity", "temperature_c", "temperature_f"]);
    assert!(t.series.iter().all(|s| s.device == "living-room-01"));
}

#[test]
fn undecodable_payloads_are_counted_per_topic_and_ingest_goes_on() {
    let mut t = Twin::default();
    t.apply(&msg(0, "x/y/z", "[1,"));
    t.apply(&msg(1, "x/y/z", "{broken"));
    t.apply(&msg(2, "x/y/z", "1.5"));
    assert_eq!(t.undecoded_total, 2);
    let u = &t.undecoded["x/y/z"];
    assert_eq!((u.count, u.reason), (2, Undecodable::InvalidJson));
    assert_eq!(u.sample, "{broken");
    assert_eq!(t.series.len(), 1);
    assert_eq!(t.messages, 3);
}

#[test]
fn states_statuses_commands_and_alerts_are_not_series() {
    let mut t = Twin::default();
    t.apply(&msg(0, "home/living-room-01/status", "online"));
    t.apply(&msg(
        1,
        "digital_twin/lab/sensor/status",
        r#"{"sensor_id":"TEMP_SENSOR_001","status":"offline"}"#,
    ));
    t.apply(&msg(
        2,
        "/s2/reset",
        r#"{"command":"RESET","timestamp":"x"}"#,
    ));
    t.apply(&msg(3, "/living_room/temperature/alert", r#"["s2","s4"]"#));
    assert!(t.series.is_empty());
    assert_eq!(t.undecoded_total, 0);
    assert_eq!(t.device_status("living-room-01"), Some(Status::Online));
    assert_eq!(t.device_status("TEMP_SENSOR_001"), Some(Status::Offline));
    t.apply(&msg(4, "lights/kitchen/state", "ON"));
    assert_eq!(t.state_value("lights/kitchen/state", "value"), Some("ON"));
    assert_eq!(t.commands_seen["RESET"].count, 1);
    assert_eq!(t.alerts[0].sensors, ["s2", "s4"]);
    t.apply(&msg(5, "/living_room/temperature/s2", "21.0"));
    t.apply(&msg(6, "/living_room/temperature/alert", "s2"));
    assert_eq!(t.series[0].alerted_at, Some(at(6)));
}

fn lab() -> Twin {
    Twin::new(TwinConfig {
        detector: DetectorMode::Lab,
        ..TwinConfig::default()
    })
}

#[test]
fn lab_zscore_opens_an_episode_with_reason_and_closes_after_calm_readings() {
    let mut t = lab();
    for i in 0..20 {
        let v = 22.0 + if i % 2 == 0 { 0.1 } else { -0.1 };
        t.apply(&msg(i, "/lab/temp/a", &v.to_string()));
    }
    assert_eq!(t.series[0].anomalies, 0);
    t.apply(&msg(20, "/lab/temp/a", "30"));
    let s = &t.series[0];
    assert!(s.anomalous);
    assert_eq!(s.anomalies, 1);
    assert_eq!(t.anomalous_series, 1);
    let e = s.last_anomaly().unwrap();
    assert_eq!(e.kind, EpisodeKind::Zscore);
    assert!(e.reason.contains("z = +"), "{}", e.reason);
    // Hysteresis: open through four calm readings, closed at the fifth.
    for i in 21..25 {
        t.apply(&msg(i, "/lab/temp/a", "22.0"));
        assert!(t.series[0].anomalous, "still open at {i}");
    }
    t.apply(&msg(25, "/lab/temp/a", "22.0"));
    assert!(!t.series[0].anomalous);
    assert_eq!(t.anomalous_series, 0);
    assert_eq!(t.series[0].episodes[0].end(), Some(at(20)));
    assert_eq!(t.anomalies_total, 1);
}

#[test]
fn lab_group_rule_catches_one_outlier_among_four() {
    // Four sensors with the same noise; one reading far off. Its own window is warm, so
    // z-score fires too, but the group check must fire on its own account.
    let mut t = Twin::new(TwinConfig {
        z_threshold: 1e9,
        detector: DetectorMode::Lab,
        ..TwinConfig::default()
    });
    for i in 0..15 {
        for s in 1..=4 {
            let v = 20.0 + ((i * 7 + s * 3) % 5) as f64 * 0.1;
            t.apply(&msg(i, &format!("/room/temperature/s{s}"), &v.to_string()));
        }
    }
    assert_eq!(t.anomalies_total, 0);
    t.apply(&msg(16, "/room/temperature/s3", "25"));
    let s3 = t.series.iter().find(|s| s.device == "s3").unwrap();
    assert!(s3.anomalous);
    let e = s3.last_anomaly().unwrap();
    assert_eq!(e.kind, EpisodeKind::Group);
    assert!(e.reason.contains("4 sensors"), "{}", e.reason);
}

#[test]
fn default_detectors_make_one_episode_per_spike_and_journal_it() {
    let mut t = Twin::default();
    t.journal.keep_for_writer();
    let mut rng = fastrand::Rng::with_seed(3);
    for i in 0..200 {
        let mut v = 21.0 + (i as f64 / 40.0).sin() + crate::sim::sensors::gaussian(&mut rng, 0.05);
        if i == 150 {
            v += 4.0;
        }
        t.apply(&msg(i, "/room/temperature/s1", &format!("{v:.3}")));
    }
    let s = &t.series[0];
    assert_eq!(s.anomalies, 1, "{:?}", s.last_anomaly());
    let e = s.last_anomaly().unwrap();
    assert_eq!(
        (e.kind, e.start, e.end()),
        (EpisodeKind::Spike, at(150), Some(at(150)))
    );
    let types: Vec<&str> = t
        .journal
        .take_new()
        .iter()
        .map(|h| h.what.type_name())
        .filter(|n| n.starts_with("anomaly"))
        .collect();
    assert_eq!(types, ["anomaly_start", "anomaly_end"]);
}

#[test]
fn a_silent_sensor_opens_a_silence_episode_unless_its_device_is_offline() {
    let mut t = Twin::default();
    for i in 0..40 {
        t.apply(&msg(
            i,
            "/room/temperature/s1",
            &format!("{}", 20.0 + (i % 3) as f64 * 0.1),
        ));
        t.apply(&msg(
            i,
            "/room/temperature/s2",
            &format!("{}", 20.0 + (i % 4) as f64 * 0.1),
        ));
    }
    t.tick(at(50));
    assert!(!t.series.iter().any(|s| s.anomalous));
    t.apply(&msg(50, "/room/s2/status", "offline"));
    t.tick(at(60));
    let s1 = t.series.iter().find(|s| s.device == "s1").unwrap();
    let s2 = t.series.iter().find(|s| s.device == "s2").unwrap();
    assert_eq!(
        s1.episode.as_ref().map(|e| e.kind),
        Some(EpisodeKind::Silence)
    );
    assert!(
        s2.episode.is_none(),
        "offline is said as a status, not as a silence"
    );
    // The next reading ends it.
    t.apply(&msg(61, "/room/temperature/s1", "20.1"));
    let s1 = t.series.iter().find(|s| s.device == "s1").unwrap();
    assert!(s1.episode.is_none());
    assert_eq!(s1.episodes[0].kind, EpisodeKind::Silence);
}

#[test]
fn a_run_at_the_value_a_plug_reads_most_is_not_stuck_where_one_elsewhere_is() {
    // A Tasmota plug's telemetry every minute for five hours: its mains voltage 231 ± 1.2 V
    // read to 1 V (231 a third of the time), then `x` twelve times in a row, then on as
    // before. The voltage's episodes. (Its longest run before is short: by its 19 % share of
    // repeats, twelve in a row of any value were said stuck.)
    let run = |x: f64| {
        let mut t = Twin::default();
        let mut rng = fastrand::Rng::with_seed(1);
        for m in 0..320i64 {
            let v = if (300..312).contains(&m) {
                x
            } else {
                (231.0 + crate::sim::sensors::gaussian(&mut rng, 1.2)).round()
            };
            t.apply(&msg(
                m * 60,
                "tele/tasmota_96CDEF/SENSOR",
                &format!(r#"{{"ENERGY":{{"Power":0,"Voltage":{v}}}}}"#),
            ));
        }
        let s = t
            .series
            .iter()
            .find(|s| s.field == "ENERGY.Voltage")
            .unwrap();
        episode_kinds(s)
    };
    assert_eq!(
        run(231.0),
        [],
        "twelve of the value it reads a third of the time"
    );
    assert_eq!(
        run(228.0),
        [EpisodeKind::Stuck],
        "twelve of one it rarely reads"
    );
}

/// A Shelly Plus 1PM's `aenergy.by_minute[0]` on a boiler (the energy of the last whole
/// minute, in mWh), as a home world sent it until 07:00 (held-out 24 h home seed 42): the
/// status is sent on change and every minute while on; 0 while off, about 33,250 while the
/// boiler's 2 kW heats. "second:value" pairs.
const SHELLY_BY_MINUTE: &str = concat!(
    "0:0 213:33318 229:33307 289:33243 349:33295 409:33281 469:33365 529:33320 ",
    "589:33174 649:33316 709:33110 729:0 12732:33164 12769:33457 12829:33187 ",
    "12889:32970 12949:33237 13009:33514 13069:33248 13129:33389 13189:33023 ",
    "13249:33086 13309:33464 13330:0 20517:32999 20569:33241 20629:33267 20689:33102 ",
    "20749:33351 20809:33116 20869:33284 20929:33388 20989:33293 21049:33187 ",
    "21109:33078 21169:33135 21229:33257 21289:33267 21349:33155 21409:33136 ",
    "21469:33224 21529:33123 21589:33081 21649:33125 21709:33203 21769:33305 ",
    "21829:33468 21889:33211 21949:33283 22009:33342 22069:33272 22129:33453 ",
    "22189:33220 22249:33570 22309:32938 22369:32898 22429:33245 22489:33260 22504:0 ",
    "23092:33399 23149:33276 23209:33142 23269:33125 23329:33155 23389:33083 ",
    "23449:33438 23509:33312 23569:33040 23629:33226 23689:33574 23749:33053 ",
    "23809:33163 23869:33323 23929:33270 23989:33328 24049:33276 24109:33327 ",
    "24169:33295 24229:33329 24289:33172 24349:33251 24409:33137 24469:33355 ",
    "24529:32973 24589:33434 24649:33085 24709:33201 24769:33106 24829:33304 ",
    "24889:33183 24949:33291 25009:33300 25069:33310 25129:33197 25189:33260 ",
    "25249:33181 ",
);

#[test]
fn a_shellys_energy_of_the_last_minute_is_a_power_switched_on() {
    // The boiler's runs from 00:03, 03:32 and 05:41, and from 06:24, nine minutes after the
    // last ended: that start was said a level shift. `field` names the entry; the episodes of
    // that series.
    let run = |field: &str| {
        let mut t = Twin::default();
        let topic = "shellyplus1pm-441793e08ef5/status/switch:0";
        for pair in SHELLY_BY_MINUTE.split_whitespace() {
            let (sec, x) = pair.split_once(':').unwrap();
            let sec: i64 = sec.parse().unwrap();
            t.apply(&msg(
                sec,
                topic,
                &format!(r#"{{"aenergy":{{"{field}":[{x},0.0,0.0]}}}}"#),
            ));
            t.tick(at(sec));
        }
        let s = t.series.iter().find(|s| s.field.contains(field)).unwrap();
        episode_kinds(s)
    };
    assert_eq!(run("by_minute"), []);
    // (Under a name that says nothing of a load, that start is a level shift.)
    assert!(
        run("energy").contains(&EpisodeKind::LevelShift),
        "{:?}",
        run("energy")
    );
}

#[test]
fn a_device_with_availability_paced_by_its_room_is_not_silent_when_the_room_rests() {
    // Two Zigbee2MQTT devices whose availability topics say online. The bedroom sensor
    // reports on change: every 20 minutes (±1) through an eight-hour night, evenly every 6.5
    // minutes (±10 s) for two hours while the heating warms the room, then nothing for 39
    // minutes: the room rests. A plug reports every minute all along, and goes quiet at the
    // same time. Ticks every 30 s. The bedroom's silence episodes, and the plug's.
    let mut t = Twin::default();
    for name in ["bedroom", "plug"] {
        t.apply(&msg(
            0,
            &format!("zigbee2mqtt/{name}/availability"),
            r#"{"state":"online"}"#,
        ));
    }
    let mut rng = fastrand::Rng::with_seed(34);
    let night: Vec<i64> = (1..=24).map(|i| i * 1200 + rng.i64(-60..=60)).collect();
    let warm: Vec<i64> = (1..=18)
        .map(|i| 8 * 3600 + i * 390 + rng.i64(-10..=10))
        .collect();
    let last = *warm.last().unwrap();
    let mut reports = night.iter().chain(&warm).copied().peekable();
    let mut x = 16.0;
    for sec in (0..last + 39 * 60).step_by(30) {
        while reports.peek().is_some_and(|r| *r <= sec) {
            let r = reports.next().unwrap();
            x += if r > 8 * 3600 { 0.2 } else { -0.01 };
            t.apply(&msg(
                r,
                "zigbee2mqtt/bedroom",
                &format!(
                    r#"{{"battery":100,"temperature":{x:.2},"humidity":48.5,"voltage":3200}}"#
                ),
            ));
        }
        if sec % 60 == 0 && sec <= last {
            let w = 20.0 + 0.5 * ((sec / 60) % 7) as f64;
            t.apply(&msg(
                sec,
                "zigbee2mqtt/plug",
                &format!(r#"{{"power":{w:.1},"state":"ON"}}"#),
            ));
        }
        t.tick(at(sec));
    }
    let silences = |device: &str| {
        t.series
            .iter()
            .filter(|s| s.device == device)
            .flat_map(|s| s.episodes.iter().chain(s.episode.as_ref()))
            .filter(|e| e.kind == EpisodeKind::Silence)
            .count()
    };
    assert_eq!(
        silences("bedroom"),
        0,
        "paced by its room: its rest is no silence"
    );
    assert!(silences("plug") > 0, "a metronome that stopped is silent");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]
    /// Skipping the once-a-second passes while nothing can have fallen silent or stale
    /// changes nothing: the same episodes and statuses as a twin that passes every time.
    #[test]
    fn skipped_passes_find_what_full_passes_find(
        steps in proptest::collection::vec((0u8..4, 0u8..6, 0i64..25), 1..160)
    ) {
        let (mut skip, mut full) = (Twin::default(), Twin::default());
        let mut now = 0i64;
        for (sensor, what, dt) in steps {
            now += dt;
            let ev = match what {
                // Readings, mostly; a device saying it is offline or back; a tick.
                0..=2 => Some(msg(now, &format!("/z/t/s{sensor}"), &format!("{}", 20 + sensor))),
                3 => Some(msg(now, &format!("/z/s{sensor}/status"), if now % 2 == 0 { "offline" } else { "online" })),
                _ => None,
            };
            match ev {
                Some(e) => {
                    skip.apply(&e);
                    full.apply(&e);
                }
                None => {
                    full.silence_due = Some(DateTime::<Utc>::MIN_UTC);
                    full.devices.force_next_pass();
                    skip.tick(at(now));
                    full.tick(at(now));
                }
            }
            let look = |t: &Twin| {
                let mut v: Vec<(String, Option<EpisodeKind>, usize)> = t
                    .series
                    .iter()
                    .map(|s| (s.topic.clone(), s.episode.as_ref().map(|e| e.kind), s.episodes.len()))
                    .collect();
                v.sort_by(|a, b| a.0.cmp(&b.0));
                let mut d: Vec<(String, Status)> =
                    t.devices.by_id.values().map(|d| (d.id.clone(), d.status)).collect();
                d.sort_by(|a, b| a.0.cmp(&b.0));
                (v, d)
            };
            proptest::prop_assert_eq!(look(&skip), look(&full));
        }
    }
}

#[test]
fn aggregates_do_not_join_their_group() {
    let mut t = Twin::default();
    t.apply(&msg(0, "/room/temperature/average", "21"));
    assert!(t.series[0].aggregate);
    assert_eq!(t.series[0].label, "average");
    assert!(t.groups.is_empty());
}

#[test]
fn a_topic_flood_is_capped_least_recently_seen_first() {
    let mut t = Twin::new(TwinConfig {
        max_series: 100,
        ..TwinConfig::default()
    });
    for i in 0..250i64 {
        // Zone topics, so groups are exercised too; sensor 0 keeps publishing.
        t.apply(&msg(i, &format!("/z{}/t/s{i}", i % 5), "20"));
        t.apply(&msg(i, "/z0/t/s0", "21"));
    }
    assert!(t.series.len() <= 100, "{}", t.series.len());
    assert_eq!(t.evicted_series as usize + t.series.len(), 250);
    // The busy sensor and the newest survive.
    assert!(t.series.iter().any(|s| s.topic == "/z0/t/s0"));
    assert!(t.series.iter().any(|s| s.topic == "/z4/t/s249"));
    assert!(!t.series.iter().any(|s| s.topic == "/z1/t/s1"));
    // Every index still points at its own series.
    for (topic, e) in &t.topics {
        for (field, idx) in &e.series {
            assert_eq!(
                (&t.series[*idx].topic, t.series[*idx].field.as_str()),
                (&topic.to_string(), field.as_ref())
            );
        }
    }
    for g in t.groups.values() {
        for &i in &g.members {
            assert!(i < t.series.len());
        }
    }
    assert!(t.devices.by_id.len() <= 100);
    // Readings keep flowing into the survivors.
    let before = t
        .series
        .iter()
        .find(|s| s.topic == "/z0/t/s0")
        .unwrap()
        .count;
    t.apply(&msg(300, "/z0/t/s0", "22"));
    assert_eq!(
        t.series
            .iter()
            .find(|s| s.topic == "/z0/t/s0")
            .unwrap()
            .count,
        before + 1
    );
}

#[test]
fn broker_topics_and_command_topics_are_neither_devices_nor_sensors() {
    let mut t = Twin::default();
    for (i, (topic, payload)) in [
        ("$SYS/broker/clients/connected", "7"),
        ("$SYS/broker/load/messages/received/1min", "120.5"),
        ("$SYS/broker/bytes/received", "123456"),
        (
            "digital_twin/lab/control/commands",
            r#"{"command":"SET_THRESHOLD","value":25}"#,
        ),
        ("/s2/reset", r#"{"command":"RESET"}"#),
        ("cmnd/plug1/POWER", "ON"),
        ("zigbee2mqtt/lamp/set", r#"{"state":"ON","brightness":120}"#),
    ]
    .into_iter()
    .enumerate()
    {
        t.apply(&msg(i as i64, topic, payload));
    }
    assert!(
        t.series.is_empty(),
        "{:?}",
        t.series.iter().map(|s| &s.topic).collect::<Vec<_>>()
    );
    assert!(
        t.devices.by_id.is_empty(),
        "{:?}",
        t.devices.by_id.keys().collect::<Vec<_>>()
    );
    assert_eq!(t.undecoded_total, 0);
    assert_eq!(t.broker.clients, Some(7));
    assert_eq!(t.broker.messages, 3);
    assert_eq!(t.commands_seen["SET_THRESHOLD"].count, 1);
    assert_eq!(t.commands_seen["RESET"].count, 1);
    assert_eq!(t.commands_seen["POWER"].count, 1);
    assert_eq!(t.commands_seen["set"].count, 1);
}

fn conn(sec: i64, state: ConnState, resumed: bool) -> Event {
    Event::Connection(ConnEvent {
        at: at(sec),
        state,
        resumed,
    })
}

fn lost() -> ConnState {
    ConnState::Reconnecting {
        reason: "connection reset".into(),
        retry_in: Duration::from_secs(2),
    }
}

/// A sensor every 5 s, then twinview away from 200 s to 260 s.
fn outage_world(resumed: bool) -> Twin {
    let mut t = Twin::default();
    t.apply(&conn(0, ConnState::Connected, false));
    for sec in (0..=200).step_by(5) {
        t.apply(&msg(sec, "/z/temperature/s1", &format!("{}", 20 + sec % 3)));
        t.tick(at(sec));
    }
    t.apply(&conn(201, lost(), false));
    for sec in 202..260 {
        // Blind: no silence, no stale, however long.
        t.tick(at(sec));
    }
    assert!(t.blind());
    assert_eq!(t.anomalies_total, 0);
    assert_eq!(t.device_status("s1"), Some(Status::Online));
    t.apply(&conn(260, ConnState::Connected, resumed));
    t
}

#[test]
fn an_outage_is_said_and_the_readings_it_cost_are_a_gap() {
    let mut t = outage_world(false);
    assert!(!t.blind());
    let said = t.journal.recent.back().unwrap();
    assert_eq!(said.what.type_name(), "outage");
    assert!(said.is_warning());
    assert!(
        said.describe().contains("59.0 s away"),
        "{}",
        said.describe()
    );
    assert!(said.describe().contains("lost to twinview"));
    // The next reading comes a little after the reconnection: no silence was judged in
    // between (silence counts from the reconnection), and a gap of ~12 readings is noted.
    for sec in 261..266 {
        t.tick(at(sec));
    }
    t.apply(&msg(266, "/z/temperature/s1", "21"));
    let s = &t.series[0];
    assert_eq!(s.gaps, 1);
    let (from, to, missed) = s.last_gap.unwrap();
    assert_eq!((from, to), (at(200), at(266)));
    assert_eq!(missed, 12);
    assert_eq!(t.anomalies_total, 0);
    // The next reading is no gap.
    t.apply(&msg(271, "/z/temperature/s1", "21"));
    assert_eq!(t.series[0].gaps, 1);
}

#[test]
fn a_resumed_session_is_no_gap() {
    let mut t = outage_world(true);
    let said = t.journal.recent.back().unwrap();
    assert!(!said.is_warning());
    assert!(said.describe().contains("resumed"));
    // The broker delivers what it kept, late: no gap is claimed.
    t.apply(&msg(260, "/z/temperature/s1", "21"));
    assert_eq!(t.series[0].gaps, 0);
    assert_eq!(t.outages.len(), 1);
    assert!(t.outages[0].resumed);
}

#[test]
fn a_machine_is_active_when_it_bids_is_awarded_or_reports_done() {
    let mut t = Twin::default();
    t.apply(&msg(0, "factory/m1/status", "online"));
    for (sec, topic, payload) in [
        (40, "/cnp/cfp", r#"{"job_id":"J"}"#),
        (41, "/cnp/bid/m1", r#"{"job_id":"J","time":2}"#),
        (42, "/cnp/assign/m1", r#"{"job_id":"J","time":2}"#),
        (44, "/cnp/done/m1", r#"{"job_id":"J"}"#),
    ] {
        t.apply(&msg(sec, topic, payload));
    }
    let d = &t.devices.by_id["m1"];
    assert_eq!(d.last_seen, at(44));
    assert_eq!(d.status, Status::Online);
    assert!(d.messages >= 3, "{}", d.messages);
}

#[test]
fn connection_events_set_state_and_since() {
    let mut t = Twin::default();
    t.apply(&Event::Connection(ConnEvent {
        at: at(5),
        state: ConnState::Connected,
        resumed: false,
    }));
    assert!(t.connection.is_connected());
    assert_eq!(t.connection_since, Some(at(5)));
}

/// A topic with many fields finds each through its index, before and after an eviction
/// renumbers the series.
#[test]
fn a_wide_topic_finds_every_field_through_its_index_across_evictions() {
    let mut t = Twin::new(TwinConfig {
        max_series: 60,
        ..TwinConfig::default()
    });
    let wide = |base: i64| {
        let fields: Vec<String> = (0..40).map(|i| format!("\"f{i}\":{}", base + i)).collect();
        format!("{{{}}}", fields.join(","))
    };
    t.apply(&msg(1, "plant/wide", &wide(0)));
    t.apply(&msg(2, "plant/wide", &wide(1000)));
    assert!(t.field_index.contains_key("plant/wide"));
    let f = |t: &Twin, field: &str| -> Vec<(u64, f64)> {
        t.series
            .iter()
            .filter(|s| s.topic == "plant/wide" && s.field == field)
            .map(|s| (s.count, s.last))
            .collect()
    };
    assert_eq!(f(&t, "f7"), [(2, 1007.0)]);
    // Other topics push the twin past its 60 series: the oldest are forgotten and the rest
    // renumbered.
    for i in 0..30 {
        t.apply(&msg(3 + i, &format!("plant/other{i}"), "1"));
    }
    t.apply(&msg(40, "plant/wide", &wide(2000)));
    for field in ["f0", "f7", "f39"] {
        let seen = f(&t, field);
        assert_eq!(seen.len(), 1, "{field}: one series, {seen:?}");
        assert_eq!(seen[0].1, 2000.0 + field[1..].parse::<f64>().unwrap());
    }
    assert!(t.series.len() <= 60);
}

/// A topic too long to track is counted and listed by its beginning, never copied into
/// topics, series, devices or labels.
#[test]
fn a_topic_over_its_length_limit_is_counted_never_tracked() {
    let mut t = Twin::default();
    for i in 0..50 {
        let topic = format!("home/{i}/{}", "x".repeat(60_000));
        t.apply(&msg(i, &topic, "21.5"));
    }
    assert!(t.series.is_empty());
    assert_eq!(t.topics.len(), 0);
    assert!(t.devices.by_id.is_empty());
    assert_eq!(t.undecoded_total, 50);
    assert!(
        t.undecoded.keys().all(|k| k.len() <= 203),
        "listed by their first 200 bytes"
    );
    let u = t.undecoded.values().next().unwrap();
    assert_eq!(u.reason.as_str(), "topic over 1,024 bytes");
    // At the limit it is an ordinary topic.
    let topic = format!("home/{}", "y".repeat(crate::decode::payload::MAX_TOPIC - 5));
    assert_eq!(topic.len(), crate::decode::payload::MAX_TOPIC);
    t.apply(&msg(60, &topic, "21.5"));
    assert_eq!(t.series.len(), 1);
}

/// Two lone series on one machine (no zone peers), every 10 s for 2 h; from `step_at` the
/// first jumps by 15 and, when `together`, the second by 30 within the same minute.
fn machine_start(together: bool) -> Twin {
    machine_start_until(together, 7200)
}

fn machine_start_until(together: bool, until: i64) -> Twin {
    let mut t = Twin::default();
    let mut rng = fastrand::Rng::with_seed(5);
    let step_at = 5400;
    for i in 0..until / 10 {
        let s = i * 10;
        let up = s >= step_at;
        let a = 40.0 + if up { 15.0 } else { 0.0 } + crate::sim::sensors::gaussian(&mut rng, 0.1);
        let b = 1.0
            + if up && together { 30.0 } else { 0.0 }
            + crate::sim::sensors::gaussian(&mut rng, 0.1);
        t.apply(&msg(s, "plant/press1/motor_temp", &format!("{a:.2}")));
        t.apply(&msg(s + 1, "plant/press1/current", &format!("{b:.2}")));
    }
    t
}

#[test]
fn a_lone_step_is_a_level_shift_unless_another_series_stepped_with_it() {
    let kinds = |t: &Twin| -> Vec<EpisodeKind> {
        t.series
            .iter()
            .filter_map(|s| s.last_anomaly().map(|e| e.kind))
            .collect()
    };
    // One sensor alone jumps and stays: a unit switched, an offset, a probe gone.
    let alone = machine_start(false);
    assert_eq!(kinds(&alone), [EpisodeKind::LevelShift]);
    // Two series of the machine jump within a minute: a change of mode, not a fault.
    let together = machine_start(true);
    assert_eq!(
        kinds(&together),
        [],
        "a machine starting moves several series"
    );
}

#[test]
fn a_probe_gone_to_its_error_value_is_a_fault_whatever_stepped_with_it() {
    // A DS18B20 in a greenhouse bed (°C) every 10 s for 2 h; from 5400 s it reads `to` for
    // five minutes while a pump's current steps in the same minute.
    let run = |to: f64, noise: f64| -> Vec<(EpisodeKind, String)> {
        let mut t = Twin::default();
        let mut rng = fastrand::Rng::with_seed(5);
        for i in 0..720 {
            let s = i * 10;
            let up = s >= 5400;
            let bed = crate::sim::sensors::gaussian(&mut rng, 0.05);
            let bed = if up && s < 5700 {
                to + bed * noise
            } else {
                9.0 + bed
            };
            let pump =
                1.0 + if up { 30.0 } else { 0.0 } + crate::sim::sensors::gaussian(&mut rng, 0.1);
            let bed = format!(r#"{{"value":{bed:.2},"unit":"°C"}}"#);
            t.apply(&msg(s, "greenhouse/bed1/temperature", &bed));
            t.apply(&msg(
                s + 1,
                "greenhouse/pump/current",
                &format!("{pump:.2}"),
            ));
        }
        t.series
            .iter()
            .filter_map(|s| s.last_anomaly().map(|e| (e.kind, e.reason.clone())))
            .collect()
    };
    // 85 °C is no temperature of this bed: its power-on reset value.
    let found = run(85.0, 0.0);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, EpisodeKind::LevelShift);
    assert!(found[0].1.contains("DS18B20"), "{}", found[0].1);
    // 84 °C (with its noise) is a reading: stepping with the pump, a change of mode.
    assert_eq!(run(84.0, 1.0), [], "steps together");
}

/// Every recent episode of every series of `t`: (topic, kind).
fn episodes_by_topic(t: &Twin) -> Vec<(String, EpisodeKind)> {
    t.series
        .iter()
        .flat_map(|s| {
            s.recent_episodes()
                .map(|e| (s.topic.clone(), e.kind))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn a_run_while_the_devices_other_probes_stand_still_is_the_place_at_rest() {
    // One node with an air and a soil probe (°C), every minute for five hours of a moving
    // day; then for an hour the air reads its last value exactly while the soil stands still (`warm`
    // false: dawn) or warms by a degree.
    let run = |warm: bool| -> Vec<(String, EpisodeKind)> {
        let mut t = Twin::default();
        let mut rng = fastrand::Rng::with_seed(9);
        let mut g = || crate::sim::sensors::gaussian(&mut rng, 0.05);
        let json = |x: f64| format!(r#"{{"sensor_id":"greenhouse","value":{x},"unit":"°C"}}"#);
        let (mut held, mut still) = (0.0, 0.0);
        for i in 0..360i64 {
            let h = i as f64 / 60.0;
            let (air, soil) = if i < 300 {
                (
                    3.0 + 2.0 * (h * 1.3).sin() + g(),
                    7.0 + 0.5 * (h * 0.9).sin() + g(),
                )
            } else if warm {
                (held, still + (i - 300) as f64 / 60.0)
            } else {
                (held, still)
            };
            let air = (air * 10.0).round() / 10.0;
            let soil = (soil * 16.0).round() / 16.0;
            if i < 300 {
                (held, still) = (air, soil);
            }
            t.apply(&msg(i * 60, "greenhouse/air/temperature", &json(air)));
            t.apply(&msg(i * 60 + 1, "greenhouse/soil/temperature", &json(soil)));
        }
        assert_eq!(t.series[0].device, t.series[1].device);
        episodes_by_topic(&t)
    };
    assert_eq!(run(false), [], "both still: the place at rest");
    let found = run(true);
    assert!(
        found.contains(&("greenhouse/air/temperature".to_string(), EpisodeKind::Stuck)),
        "the soil warmed while the air read the same: {found:?}"
    );
}

#[test]
fn a_run_in_a_quantised_zone_at_rest_is_its_quiet_and_one_while_the_zone_moves_is_stuck() {
    // Three soil probes in one zone, read to 1/16 °C every minute: five hours of a slow
    // cycle, then two hours at the night minimum, where s1 reads 6.3125 throughout while s2
    // and s3, near the edge of a step, flicker one step and back (`moving` false), or cool
    // 0.4 °C while s1 still reads 6.3125.
    let run = |moving: bool| -> Vec<(String, EpisodeKind)> {
        let mut t = Twin::default();
        let mut rng = fastrand::Rng::with_seed(13);
        let q = |x: f64| (x * 16.0).round() / 16.0;
        for i in 0..420i64 {
            let h = i as f64 / 60.0;
            let night = i >= 300;
            let base = 7.0 + 0.6 * (h * 0.8).cos();
            for (k, offset) in [(1, 0.0), (2, 0.08), (3, 0.05)] {
                let x = if !night {
                    q(base + offset + crate::sim::sensors::gaussian(&mut rng, 0.02))
                } else if k == 1 {
                    6.3125
                } else {
                    let cooled = if moving {
                        0.4 * (i - 300) as f64 / 120.0
                    } else {
                        0.0
                    };
                    let flicker = if rng.f64() < 0.3 { 0.0625 } else { 0.0 };
                    6.375 + flicker - q(cooled)
                };
                let topic = format!("/greenhouse/temperature/s{k}");
                t.apply(&msg(i * 60 + k, &topic, &x.to_string()));
            }
            t.tick(at(i * 60 + 5));
        }
        episodes_by_topic(&t)
    };
    assert_eq!(run(false), [], "the zone at rest");
    let found = run(true);
    assert!(
        found.contains(&("/greenhouse/temperature/s1".to_string(), EpisodeKind::Stuck)),
        "the zone cooled while s1 read the same: {found:?}"
    );
}

#[test]
fn a_printers_bed_is_judged_against_its_target() {
    // OctoPrint's bed every 10 s: idle at 20 °C (target 0), a print that heats it to 60 °C
    // in 8 minutes and holds it for an hour, idle again; then a print that stops at 55.
    let mut t = Twin::default();
    let mut at = 0;
    let mut feed = |t: &mut Twin, x: f64, target: f64| {
        at += 10;
        let p = format!(r#"{{"actual":{x:.2},"target":{target}}}"#);
        t.apply(&msg(at, "octoPrint/temperature/bed", &p));
    };
    let mut rng = fastrand::Rng::with_seed(4);
    let mut jitter = || 0.1 * (rng.f64() - 0.5);
    for print in [60.0, 55.0] {
        for _ in 0..360 {
            feed(&mut t, 20.0 + jitter(), 0.0);
        }
        for i in 0..360 {
            let x = (20.0 + 40.0 * f64::from(i) / 47.0).min(print) + jitter();
            feed(&mut t, x, 60.0);
        }
    }
    let bed = t.series.iter().find(|s| s.field == "actual").unwrap();
    let e = bed.last_anomaly().expect("said");
    assert_eq!(e.kind, EpisodeKind::LevelShift);
    assert!(
        e.reason.contains("has not reached its setpoint 60"),
        "{}",
        e.reason
    );
    assert_eq!(bed.anomalies, 1, "only the second print");
}

#[test]
fn a_hotend_that_stops_reporting_while_held_at_its_target_is_stuck_and_an_idle_one_is_not() {
    // OctoPrint's tool0, sent on change: idle at 20 °C (target 0) for an hour, heated to 215
    // in three minutes, then held within a degree of it (a report every 40 to 90 s) for four
    // hours while the print's progress comes every 30 s, then switched off and quiet for an
    // hour. With `frozen`, it sends nothing for 20 minutes from 3 h 20 min (the value held,
    // the device reporting), then goes on.
    let run = |frozen: bool| {
        let mut t = Twin::default();
        let tool = |t: &mut Twin, sec: i64, x: f64, target: f64| {
            let p = format!(r#"{{"actual":{x:.2},"target":{target}}}"#);
            t.apply(&msg(sec, "octoPrint/temperature/tool0", &p));
        };
        let mut next_tool = 0;
        let mut k = 0;
        for sec in (0..5 * 3600 + 3600).step_by(10) {
            if sec % 30 == 0 {
                let p = format!(r#"{{"progress":{}}}"#, sec / 180);
                t.apply(&msg(sec, "octoPrint/progress/printing", &p));
            }
            let quiet = frozen && (12_000..13_200).contains(&sec);
            // Idle: a report every ten minutes at the room's temperature; done at 5 h: switched
            // off, one report, then quiet for an hour.
            let s = sec;
            if !(3600..18_000).contains(&s) {
                if s % 600 == 0 && s <= 18_000 {
                    let x = if s < 3600 {
                        20.0 + 0.1 * (k % 2) as f64
                    } else {
                        180.0
                    };
                    tool(&mut t, s, x, 0.0);
                    k += 1;
                }
            } else if s < 3780 {
                tool(&mut t, s, 20.0 + 195.0 * (s - 3600) as f64 / 180.0, 215.0);
            } else if s >= next_tool && !quiet {
                k += 1;
                tool(&mut t, s, 214.4 + 1.2 * ((k * 7) % 5) as f64 / 4.0, 215.0);
                next_tool = s + 40 + (k * 13) % 50;
            }
            t.tick(at(sec));
        }
        let s = t.series.iter().find(|s| s.field == "actual").unwrap();
        s.episodes
            .iter()
            .chain(s.episode.as_ref())
            .map(|e| (e.kind, e.reason.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(run(false), []);
    let found = run(true);
    assert_eq!(found.len(), 1, "said once: {found:?}");
    assert_eq!(found[0].0, EpisodeKind::Stuck);
    assert!(
        found[0].1.contains("settled at its setpoint 215"),
        "{found:?}"
    );
}

#[test]
fn a_persistent_change_is_taken_as_normal_ten_minutes_after_it_began() {
    let t = machine_start(false);
    let s = &t.series[0];
    let e = s.last_anomaly().unwrap();
    assert_eq!(e.kind, EpisodeKind::LevelShift);
    let end = e.end().expect("closed");
    // The step (at 5400 s) was said a minute later; it is taken as normal once it has lasted
    // ten minutes, not ten minutes after it was said.
    assert!(e.opened > e.start, "{e:?}");
    // It ends when it was due (its reading, seconds later, only noticed it): no episode
    // taken as the normal is open longer than that.
    assert_eq!(
        (end - e.start).num_milliseconds(),
        judging::ADOPT_AFTER_S * 1000,
        "{e:?}"
    );
    assert!(e.reason.contains("now taken as its normal"), "{}", e.reason);
    assert_eq!(s.anomalies, 1, "said once");
}

#[test]
fn an_episode_is_taken_as_normal_on_the_clock_when_its_series_falls_quiet() {
    // The step at 5400 s is decided at 5460 s; the readings stop at 5520 s.
    let mut t = machine_start_until(false, 5520);
    let start = t.series[0].episode.as_ref().expect("open").start;
    t.tick(start + chrono::Duration::seconds(judging::ADOPT_AFTER_S - 1));
    assert!(t.series[0].episode.is_some(), "not due yet");
    t.tick(start + chrono::Duration::seconds(judging::ADOPT_AFTER_S + 1));
    assert!(
        t.series[0].episode.is_none(),
        "taken as normal without a reading"
    );
    let e = t.series[0].last_anomaly().unwrap();
    assert!(e.reason.contains("now taken as its normal"), "{}", e.reason);
    assert_eq!(
        e.end(),
        Some(start + chrono::Duration::seconds(judging::ADOPT_AFTER_S))
    );
}

#[test]
fn a_change_said_late_is_seen_for_two_minutes_before_it_is_taken_as_normal() {
    // The step at 5400 s is decided at 5460 s: said 9½ minutes after it began (as a change
    // decided late would be), it stays open for ADOPT_SEEN_S, not for the 30 s left.
    let mut t = machine_start_until(false, 5520);
    let idx = 0;
    let e = t.series[idx].episode.as_mut().expect("open");
    e.start = e.opened - chrono::Duration::seconds(judging::ADOPT_AFTER_S - 30);
    let opened = e.opened;
    // (The start moved after the episode was scheduled: look at it on the next tick.)
    t.adopt_due = Some(opened);
    t.tick(opened + chrono::Duration::seconds(judging::ADOPT_SEEN_S - 1));
    assert!(
        t.series[idx].episode.is_some(),
        "seen for two minutes first"
    );
    t.tick(opened + chrono::Duration::seconds(judging::ADOPT_SEEN_S + 1));
    assert!(t.series[idx].episode.is_none());
}

#[test]
fn a_reading_delivered_late_is_kept_but_not_judged_as_the_next_step() {
    // A gateway's store and forward: now and then a publish arrives 30 s late, after newer
    // ones, with its own timestamp. The series warms slowly (0.05 per second).
    let mut t = Twin::default();
    let mut rng = fastrand::Rng::with_seed(4);
    let stamp = |sec: i64| at(sec).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let value = |sec: i64, rng: &mut fastrand::Rng| {
        20.0 + 0.05 * sec as f64 + crate::sim::sensors::gaussian(rng, 0.01)
    };
    let mut late = 0;
    for i in 0..600 {
        let sent = if i > 100 && i % 50 == 0 { i - 30 } else { i };
        late += usize::from(sent != i);
        let v = value(sent, &mut rng);
        t.apply(&msg(
            i,
            "plant/line2/oven1",
            &format!(
                r#"{{"timestamp_utc":"{}","sensor_id":"oven1","value":{v:.3}}}"#,
                stamp(sent)
            ),
        ));
    }
    let s = &t.series[0];
    assert!(late > 5);
    assert_eq!(s.count, 600, "every reading kept");
    assert_eq!(
        s.last_time,
        at(599),
        "the latest is the newest, not the last delivered"
    );
    assert_eq!(s.anomalies, 0, "{:?}", s.last_anomaly());
}

#[test]
fn a_spike_delivered_late_is_judged_against_the_readings_stamped_either_side_of_it() {
    // The same gateway, on a series that waves (±1 over six minutes, noise ±0.05); one of its
    // late publishes (stamped 370 s, delivered at 400 s) carries a reading 5 above the wave.
    let mut t = Twin::default();
    let mut rng = fastrand::Rng::with_seed(4);
    let stamp = |sec: i64| at(sec).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    for i in 0..600 {
        let sent = if i > 100 && i % 50 == 0 { i - 30 } else { i };
        let mut v =
            20.0 + (sent as f64 / 60.0).sin() + crate::sim::sensors::gaussian(&mut rng, 0.05);
        if i == 400 {
            v += 5.0;
        }
        t.apply(&msg(
            i,
            "plant/line2/oven1",
            &format!(
                r#"{{"timestamp_utc":"{}","sensor_id":"oven1","value":{v:.3}}}"#,
                stamp(sent)
            ),
        ));
        t.tick(at(i));
    }
    let s = &t.series[0];
    let found: Vec<_> = episode_times(s).iter().map(|e| (e.0, e.1)).collect();
    assert_eq!(found, [(EpisodeKind::Spike, 370)]);
    assert_eq!(s.last_time, at(599), "and not taken as the latest");
}

#[test]
fn a_report_repeated_within_half_a_second_is_one_reading() {
    // rtl_433 sends each radio transmission up to three times: a 433 MHz thermometer every
    // 50 s, each reading once, twice or three times 70 ms apart. A spike repeated so is one
    // reading that stood out from its neighbours.
    let mut t = Twin::default();
    let mut rng = fastrand::Rng::with_seed(6);
    let topic = "rtl_433/pi/devices/LaCrosse/77/temperature_C";
    for i in 0..200i64 {
        let v = if i == 152 {
            -1.8
        } else {
            ((3.2 + crate::sim::sensors::gaussian(&mut rng, 0.08)) * 10.0).round() / 10.0
        };
        for k in 0..(1 + i % 3) {
            let when = at(i * 50) + chrono::Duration::milliseconds(70 * k);
            t.apply(&Event::Message(Message::new(
                when,
                topic,
                format!("{v}").into_bytes(),
            )));
        }
    }
    let s = &t.series[0];
    let e = s.last_anomaly().expect("the spike is found");
    assert_eq!(
        (s.anomalies, e.kind, e.start),
        (1, EpisodeKind::Spike, at(152 * 50))
    );
}

#[test]
fn a_device_clock_set_back_is_a_new_clock_not_a_late_delivery() {
    let mut t = Twin::default();
    let stamp = |sec: i64| at(sec).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let send = |t: &mut Twin, i: i64, stamped: i64| {
        t.apply(&msg(
            i,
            "lab/sensor/temperature",
            &format!(
                r#"{{"timestamp_utc":"{}","sensor_id":"s1","value":{}}}"#,
                stamp(stamped),
                20.0 + (i % 5) as f64 * 0.1
            ),
        ));
    };
    for i in 0..100 {
        send(&mut t, i, i);
    }
    // The device rebooted with its clock a day behind.
    for i in 100..200 {
        send(&mut t, i, i - 86_400);
    }
    let s = &t.series[0];
    assert_eq!(
        s.last_time,
        at(199 - 86_400),
        "its readings are taken as the latest"
    );
    assert_eq!(s.detector.readings(), 200, "and judged");
}

#[test]
fn a_device_whose_clock_is_stuck_is_still_judged_on_every_reading() {
    // Every payload stamped with the same time, one reading a second: the repeats are real
    // readings (by arrival), so a frozen value is still found stuck.
    let mut t = Twin::default();
    let mut rng = fastrand::Rng::with_seed(9);
    for i in 0..400 {
        let v = if i >= 300 {
            21.37
        } else {
            21.0 + crate::sim::sensors::gaussian(&mut rng, 0.2)
        };
        t.apply(&msg(
            i,
            "lab/sensor/temperature",
            &format!(
                r#"{{"timestamp_utc":"2026-01-05T00:00:00Z","sensor_id":"s1","value":{v:.2}}}"#
            ),
        ));
    }
    let s = &t.series[0];
    assert_eq!(s.detector.readings(), 400);
    assert!(
        s.last_anomaly()
            .is_some_and(|e| e.kind == EpisodeKind::Stuck),
        "{:?}",
        s.last_anomaly()
    );
}

#[test]
fn a_fast_sensor_that_freezes_is_still_found_stuck() {
    // Ten readings a second, then frozen: its repeats within half a second are readings.
    let mut t = Twin::default();
    let mut rng = fastrand::Rng::with_seed(10);
    for i in 0..3000 {
        let v = if i >= 2500 {
            21.37
        } else {
            21.0 + crate::sim::sensors::gaussian(&mut rng, 0.2)
        };
        let when = at(0) + chrono::Duration::milliseconds(100 * i);
        t.apply(&Event::Message(Message::new(
            when,
            "lab/fast/temperature",
            format!("{v:.2}").into_bytes(),
        )));
    }
    let s = &t.series[0];
    assert_eq!(s.detector.readings(), 3000);
    assert!(s
        .last_anomaly()
        .is_some_and(|e| e.kind == EpisodeKind::Stuck));
}

#[test]
fn a_value_reported_on_change_that_holds_while_its_device_reports_is_stuck() {
    // A Victron GX: every 2 s it publishes each value that changed. The battery voltage
    // changes by one or two of its 0.01 V steps at nearly every tick (now and then it holds
    // one or two ticks, and nothing is sent); the inverter's power changes at every tick.
    let volt = "N/c0619ab1cc68/battery/512/Dc/0/Voltage";
    let power = "N/c0619ab1cc68/vebus/276/Ac/Out/L1/P";
    let mut t = Twin::default();
    let mut v = 5120i64;
    let mut seed = 7u64;
    let mut rand = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((seed >> 33) % 100) as i64
    };
    let stuck_at = 2400;
    for i in 0..1500i64 {
        let s = 2 * i;
        let r = rand();
        let held = r < 8 || (stuck_at..stuck_at + 120).contains(&s);
        if !held {
            v += if r % 2 == 0 {
                1 + (r % 3 == 0) as i64
            } else {
                -1
            };
            t.apply(&msg(
                s,
                volt,
                &format!("{{\"value\": {:.2}}}", v as f64 / 100.0),
            ));
        }
        t.apply(&msg(
            s,
            power,
            &format!("{{\"value\": {}}}", 300 + i % 7 + r),
        ));
        t.tick(at(s));
        let vs = t.series.iter().find(|x| x.topic == volt).unwrap();
        if s < stuck_at {
            assert!(vs.episode.is_none(), "at {s}: {:?}", vs.episode);
        }
        if s == stuck_at + 118 {
            let e = vs.episode.as_ref().expect("found while the value holds");
            assert_eq!(e.kind, EpisodeKind::Stuck);
            assert!(e.reason.contains("reports on change"), "{}", e.reason);
        }
    }
    // The next new value ended it; nothing else was said of the voltage.
    let vs = t.series.iter().find(|x| x.topic == volt).unwrap();
    assert!(vs.episode.is_none());
    assert_eq!(vs.episodes.len(), 1);
    // The whole device quiet is no held value: the voltage is not said stuck.
    t.tick(at(3000 + 120));
    assert_eq!(open_stuck(&t, volt), None);
}

#[test]
fn a_victron_value_that_steps_far_holds_while_its_gx_reports_and_is_stuck_not_on_its_return() {
    // A battery under charge: its voltage steps by up to a tenth (ten of its 0.01 V steps) at
    // nearly every 2 s tick, and the GX sends it only when it moved, as dbus-mqtt does; its
    // current moves at every tick. Its steps are too big to tell from its own readings that
    // it reports on change; Victron's convention says it. The same readings under topics of
    // no convention are not judged held.
    let run = |root: &str| {
        let volt = format!("{root}/battery/512/Dc/0/Voltage");
        let current = format!("{root}/battery/512/Dc/0/Current");
        let mut t = Twin::default();
        let (mut v, mut c) = (5300i64, 120i64);
        let mut seed = 11u64;
        let mut rand = move || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) % 21) as i64 - 10
        };
        let stuck_at = 2400;
        let mut said = None;
        for i in 0..1500i64 {
            let s = 2 * i;
            let d = rand();
            // (Pulled back towards 53.00 so it wanders about it.)
            let step = d - (v - 5300) / 20;
            if step != 0 && !(stuck_at..stuck_at + 120).contains(&s) {
                v += step;
                t.apply(&msg(
                    s,
                    &volt,
                    &format!("{{\"value\": {:.2}}}", v as f64 / 100.0),
                ));
            }
            // (The current, in tenths, moves at every tick: it too is sent on change.)
            let c_step = (d.signum() * (1 + d.abs() % 3) - (c - 120) / 20).clamp(-4, 4);
            c += if c_step == 0 { 1 } else { c_step };
            t.apply(&msg(
                s,
                &current,
                &format!("{{\"value\": {:.1}}}", c as f64 / 10.0),
            ));
            t.tick(at(s));
            let vs = t.series.iter().find(|x| x.topic == volt).unwrap();
            if s < stuck_at {
                assert!(vs.episode.is_none(), "{root} at {s}: {:?}", vs.episode);
            }
            if s == stuck_at + 118 {
                said = vs.episode.as_ref().map(|e| (e.kind, e.reason.clone()));
            }
        }
        (t, said)
    };
    let (mut t, said) = run("N/c0619ab1cc68");
    let (kind, reason) = said.expect("found while the value holds");
    assert_eq!(kind, EpisodeKind::Stuck);
    assert!(reason.contains("reports on change"), "{reason}");
    let (_, said) = run("site/gx/c0619ab1cc68");
    assert!(said.is_none(), "no convention: {said:?}");
    // The GX quiet as a whole for fourteen minutes, then back: its voltage first, its current
    // a moment later (looked at in between). The current did not hold while its device
    // reported.
    let volt = "N/c0619ab1cc68/battery/512/Dc/0/Voltage";
    let current = "N/c0619ab1cc68/battery/512/Dc/0/Current";
    let back = 3000 + 14 * 60;
    for s in (3000..back).step_by(30) {
        t.tick(at(s));
    }
    t.apply(&msg(back, volt, r#"{"value": 53.12}"#));
    t.tick(at(back));
    t.tick(at(back + 1));
    assert_eq!(open_stuck(&t, current), None);
}

#[test]
fn a_flow_reported_past_its_deadband_that_holds_while_running_is_stuck_and_at_rest_is_not() {
    // A pump's flow, read every second and sent by exception when it moved a whole unit past
    // what was last sent (its noise is about as wide, so it is sent every few seconds while
    // the pump runs); its motor's temperature every 20 s. An hour stopped (the flow sent as 0
    // once, nothing more), two hours' run, an hour stopped, an hour's run (the pump offline
    // for ten minutes of it, by its will: no hold of the flow, then or at its return); then
    // the flow holds at its last value for five minutes while the temperature goes on.
    let flow = "plant/pumphouse/pump1/flow";
    let temp = "plant/pumphouse/pump1/motor_temp";
    let will = "plant/pumphouse/pump1/status";
    let run = |hold_at_rest: bool| {
        let mut t = Twin::default();
        let mut rng = fastrand::Rng::with_seed(5);
        let mut sent: Option<f64> = None;
        let (stop, start, held) = (10800, 14400, 18000);
        let mut said = Vec::new();
        for s in 0..held + 300 {
            let running = (3600..stop).contains(&s) || (start..held).contains(&s) || {
                s >= held && !hold_at_rest
            };
            let x = if running {
                118.0 + crate::sim::sensors::gaussian(&mut rng, 0.8)
            } else {
                0.0
            };
            let x = (x * 10.0).round() / 10.0;
            let holding = !hold_at_rest && s >= held;
            if s == 0 || s == 16600 {
                t.apply(&msg(s, will, "online"));
            }
            if (16000..16600).contains(&s) {
                if s == 16000 {
                    t.apply(&msg(s, will, "offline"));
                }
                t.tick(at(s));
                continue;
            }
            if s % 20 == 0 {
                let c = if running { 45.0 } else { 30.0 } + (s % 40) as f64 / 40.0;
                t.apply(&msg(s, temp, &format!("{{\"value\": {c:.2}}}")));
            }
            if !holding && sent.is_none_or(|v| (x - v).abs() >= 1.0) {
                sent = Some(x);
                t.apply(&msg(s, flow, &format!("{{\"value\": {x:.1}}}")));
            }
            t.tick(at(s));
            let fs = t.series.iter().find(|x| x.topic == flow).unwrap();
            if let Some(e) = &fs.episode {
                said.push((s, e.kind, e.reason.clone()));
            }
        }
        said
    };
    let said = run(false);
    let (s, kind, reason) = said.first().expect("the held flow is found");
    assert!(
        *s >= 18000,
        "nothing before the hold: {:?}",
        &said[..said.len().min(5)]
    );
    assert_eq!(*kind, EpisodeKind::Stuck);
    assert!(reason.contains("deadband"), "{reason}");
    // Stopped at 0, it sends nothing for as long: its rest.
    let said = run(true);
    assert!(said.is_empty(), "at rest: {:?}", &said[..said.len().min(5)]);
}

#[test]
fn a_sparkplug_rebirths_republished_value_does_not_hide_a_flows_deadband() {
    // A pump's flow sent by exception, past a deadband of one unit (118 ± a few, to 0.1):
    // each DDATA step is a unit or more. Every half hour its node is reborn (NBIRTH, DBIRTH),
    // and the birth carries every metric's current value: 0.4 from the last sent, within the
    // deadband. That step is no step of its reports; its deadband stays known.
    use crate::decode::sparkplug::{datatype, encode, Metric, Payload, Value};
    let flow = |alias: Option<u64>, name: Option<&str>, v: f64| Metric {
        name: name.map(String::from),
        alias,
        datatype: Some(datatype::DOUBLE),
        value: Value::Float(v),
        ..Metric::default()
    };
    let payload = |seq: u64, metrics: Vec<Metric>| {
        encode(&Payload {
            timestamp: None,
            seq: Some(seq),
            metrics,
            cut: 0,
        })
    };
    let send = |t: &mut Twin, s: i64, topic: &str, p: Vec<u8>| {
        t.apply(&Event::Message(Message::new(at(s), topic, p)));
        t.tick(at(s));
    };
    let mut t = Twin::default();
    let mut rng = fastrand::Rng::with_seed(9);
    let (mut sent, mut seq, mut bd) = (118.0f64, 0u64, 0i64);
    for s in 0..4 * 3600i64 {
        if s % 1800 == 0 {
            let nbirth = vec![Metric {
                name: Some("bdSeq".into()),
                datatype: Some(datatype::INT64),
                value: Value::Int(bd),
                ..Metric::default()
            }];
            bd += 1;
            seq = 0;
            send(
                &mut t,
                s,
                "spBv1.0/water/NBIRTH/pumphouse",
                payload(0, nbirth),
            );
            // (0.4 off what was last sent: the value read now, within the deadband.)
            let now = ((sent + if s % 3600 == 0 { 0.4 } else { -0.4 }) * 10.0).round() / 10.0;
            seq += 1;
            let dbirth = vec![flow(Some(10), Some("Flow"), now)];
            send(
                &mut t,
                s,
                "spBv1.0/water/DBIRTH/pumphouse/pump1",
                payload(seq, dbirth),
            );
            sent = now;
            continue;
        }
        let x = ((118.0 + crate::sim::sensors::gaussian(&mut rng, 0.8)) * 10.0).round() / 10.0;
        if (x - sent).abs() >= 1.0 {
            sent = x;
            seq = (seq + 1) % 256;
            let data = vec![flow(Some(10), None, x)];
            send(
                &mut t,
                s,
                "spBv1.0/water/DDATA/pumphouse/pump1",
                payload(seq, data),
            );
        }
    }
    let fs = t
        .series
        .iter()
        .find(|x| x.field == "Flow")
        .expect("the flow");
    let p = fs.detector.profile(t.cfg.anomaly.warmup);
    assert_eq!(p.deadband, Some(1.0), "{p:?}");
}

#[test]
fn a_noise_burst_taken_as_normal_is_not_said_again_by_its_own_steps() {
    // A Zigbee climate sensor that reports on change: every 2 min while the room warms, then a
    // burst of noise for 5 min (a reading every 10 s), then only now and then (every 15 min,
    // a step of 0.03) as the room rests.
    let topic = "zigbee2mqtt/bedroom";
    let mut t = Twin::default();
    let mut rng = fastrand::Rng::with_seed(11);
    let say = |t: &mut Twin, s: i64, x: f64| say_temperature(t, topic, s, x);
    let mut x = 19.0;
    let mut s = 0;
    while s < 6 * 3600 {
        x += 0.02 * (s as f64 / 3000.0).cos() + crate::sim::sensors::gaussian(&mut rng, 0.03);
        say(&mut t, s, x);
        s += 120;
    }
    let burst = s;
    while s < burst + 300 {
        say(&mut t, s, x + crate::sim::sensors::gaussian(&mut rng, 1.5));
        s += 10;
    }
    while s < burst + 5 * 3600 {
        x += if (s / 900) % 2 == 0 { 0.03 } else { -0.03 };
        say(&mut t, s, x);
        s += 900;
    }
    let series = t.series.iter().find(|x| x.field == "temperature").unwrap();
    let kinds: Vec<_> = series.episodes.iter().map(|e| (e.opened, e.kind)).collect();
    assert_eq!(
        kinds.len(),
        1,
        "one burst, said once and taken as normal once: {kinds:?}"
    );
    assert_eq!(kinds[0].1, EpisodeKind::NoiseBurst);
}

#[test]
fn a_burst_that_begins_with_a_spike_is_one_noise_burst() {
    // A Zigbee climate sensor every 10 s, then a burst of noise whose first reading stands out
    // alone (said as a spike at the next reading) and whose next ones jump as far (the
    // readings of a simulated home's bathroom at 17:04).
    let topic = "zigbee2mqtt/bathroom";
    let mut t = Twin::default();
    let mut rng = fastrand::Rng::with_seed(12);
    let say = |t: &mut Twin, s: i64, x: f64| say_temperature(t, topic, s, x);
    let mut s = 0;
    while s < 3 * 3600 {
        let x =
            21.6 + 0.3 * (s as f64 / 2000.0).sin() + crate::sim::sensors::gaussian(&mut rng, 0.1);
        say(&mut t, s, x);
        s += 10;
    }
    let burst = [
        21.45, 22.46, 20.96, 23.94, 22.02, 24.05, 20.17, 22.75, 21.24, 20.02, 18.75, 22.99, 23.64,
        20.88, 22.61, 23.46, 22.9, 20.78,
    ];
    for x in burst {
        say(&mut t, s, x);
        s += 10;
    }
    let series = t.series.iter().find(|x| x.field == "temperature").unwrap();
    let kinds = episode_kinds(series);
    assert_eq!(kinds, [EpisodeKind::NoiseBurst], "{kinds:?}");
}

#[test]
fn a_step_with_a_switch_of_its_devices_other_series_is_a_change_of_mode() {
    // A pump's controller every 30 s: its power cycles between 0 W (20 minutes) and about
    // 80 W (15 minutes); its output holds 40 % whatever the power. After four hours the output
    // steps to 55 % and stays: at the moment the power switches on, the controller changed
    // mode; ten minutes later, with no switch, the output stepped alone.
    let run = |step_at: i64| {
        let mut t = Twin::default();
        let mut rng = fastrand::Rng::with_seed(8);
        for i in 0..(5 * 120) {
            let s = i * 30;
            let power = if (s / 60) % 35 >= 20 {
                80.0 + f64::from(rng.i32(-2..=2))
            } else {
                0.0
            };
            let out = if s >= step_at { 55.0 } else { 40.0 } + 0.1 * f64::from(rng.i32(-2..=2));
            t.apply(&msg(
                s,
                "plant/pump1/telemetry",
                &format!(r#"{{"power":{power},"output":{out:.1}}}"#),
            ));
            t.tick(at(s));
        }
        episode_kinds(t.series.iter().find(|s| s.field == "output").unwrap())
    };
    // Minute 265 (15,900 s) is a start of the power's cycle (7 × 35 + 20).
    assert_eq!(
        run(15_900),
        [],
        "the power switched with it: a change of mode"
    );
    assert!(
        run(16_500).contains(&EpisodeKind::LevelShift),
        "alone, the output's step is news: {:?}",
        run(16_500)
    );
}

/// A Zigbee climate sensor as it reports: it samples every 10 s and reports a change of 0.2 °C
/// or more from its last report (or an hour after it); the room wanders ±0.8 °C over two hours
/// and the probe's noise (σ 0.06 °C) makes its pace irregular. `fault(s, x)` is what it samples at `s` for the room's `x`. Ticked
/// every 10 s for 7 hours; the series' episodes as (kind, start, noticed), in seconds.
fn on_change_room(fault: impl Fn(i64, f64) -> f64) -> Vec<(EpisodeKind, i64, i64)> {
    let topic = "zigbee2mqtt/bedroom";
    let mut t = Twin::default();
    let mut rng = fastrand::Rng::with_seed(3);
    let mut last: Option<(i64, f64)> = None;
    for i in 0..(7 * 360) {
        let s = i * 10;
        let room = 19.0
            + 0.8 * (s as f64 * std::f64::consts::TAU / 7200.0).sin()
            + crate::sim::sensors::gaussian(&mut rng, 0.06);
        let x = (fault(s, room) * 100.0).round() / 100.0;
        if last.is_none_or(|(t0, l)| (x - l).abs() >= 0.2 || s - t0 >= 3600) {
            last = Some((s, x));
            t.apply(&msg(s, topic, &format!(r#"{{"temperature":{x:.2}}}"#)));
        }
        t.tick(at(s));
    }
    episode_times(t.series.iter().find(|s| s.field == "temperature").unwrap())
}

#[test]
fn a_step_of_a_sensor_that_reports_on_change_is_decided_a_minute_after_it() {
    // At 6 h the probe reads 2.5 °C low and stays so for 40 minutes: it reports the step
    // once and then nothing (its value holds within 0.2 °C) until the step ends. A minute
    // without a report says the level held.
    let step = 21_600;
    let found = on_change_room(|s, x| {
        if (step..step + 2400).contains(&s) {
            x - 2.5
        } else {
            x
        }
    });
    one_level_shift_said_within(&found, step, 70);
    // One reading 2.5 °C low: its return is reported 10 s later; no level shift.
    let spike = on_change_room(|s, x| if s == step { x - 2.5 } else { x });
    assert!(
        spike.iter().all(|e| e.0 != EpisodeKind::LevelShift),
        "{spike:?}"
    );
    // A value gone to exactly 0 and quiet is a publisher switched off (a PV charger's panel
    // voltage at dusk): its next report decides, as before; nothing in the next half hour.
    let off = on_change_room(|s, x| if s >= step { 0.0 } else { x });
    assert!(off.iter().all(|e| e.2 >= step + 1800), "{off:?}");
}

/// A 3D printer's bed as OctoPrint's MQTT plugin publishes it: sampled every 2 s, published
/// once it moved a degree or more from the last value published (two decimals). It idles at
/// the room's 21 °C (wandering ±0.3 °C over hours) and heats to 60 °C for an hour's print every
/// three hours (first order, 1 % of the way a sample, with the controller's ±0.1 °C jitter),
/// then cools. `off(s)` is the probe's error at `s`. Ticked every 2 s for 12 hours; the
/// series' episodes as (kind, start, noticed), and its profile's deadband.
fn octoprint_bed(off: impl Fn(i64) -> f64) -> (Vec<(EpisodeKind, i64, i64)>, Option<f64>) {
    let topic = "octoPrint/temperature/bed";
    let mut t = Twin::default();
    let mut rng = fastrand::Rng::with_seed(11);
    let mut bed = 21.0;
    let mut last: Option<f64> = None;
    for i in 0..(12 * 1800) {
        let s = i * 2;
        let room = 21.0 + 0.3 * (s as f64 * std::f64::consts::TAU / 14_400.0).sin();
        let target = if s % 10_800 >= 3_600 && s % 10_800 < 7_200 {
            60.0
        } else {
            0.0
        };
        let goal = if target > 0.0 { target } else { room };
        let jitter = if target > 0.0 { 0.1 } else { 0.01 };
        bed += (goal - bed) * 0.01 + crate::sim::sensors::gaussian(&mut rng, jitter);
        let x = ((bed + off(s)) * 100.0).round() / 100.0;
        if last.is_none_or(|l| (x - l).abs() >= 1.0) {
            last = Some(x);
            t.apply(&msg(
                s,
                topic,
                &format!(
                    r#"{{"_timestamp": {}, "actual": {x:.2}, "target": {target:.1}}}"#,
                    1_800_000_000 + s
                ),
            ));
        }
        t.tick(at(s));
    }
    let s = t.series.iter().find(|s| s.field == "actual").unwrap();
    (episode_times(s), s.detector.profile(20).deadband)
}

/// [`octoprint_bed`] with the probe reading `by` high for `secs` seconds from `step`.
fn bed_offset(step: i64, secs: i64, by: f64) -> (Vec<(EpisodeKind, i64, i64)>, Option<f64>) {
    octoprint_bed(|s| {
        if (step..step + secs).contains(&s) {
            by
        } else {
            0.0
        }
    })
}

#[test]
fn a_step_past_its_deadband_is_measured_by_how_far_past_it_went() {
    // Healthy: four prints' heating, holding and cooling, and the idle hours, say nothing, and
    // its history says it is reported past a deadband of a degree.
    let (found, deadband) = octoprint_bed(|_| 0.0);
    assert_eq!(found, [], "healthy");
    assert!(
        deadband.is_some_and(|db| (0.9..=1.05).contains(&db)),
        "{deadband:?}"
    );
    // Idle after the second print has cooled, the probe reads 3.6 °C high for 45 minutes: one
    // report 3.6 up, then nothing until the error ends. Its steps go a tenth of a degree past
    // the deadband, this one 2.6 past it: a level shift, said a minute after it though no
    // report comes (where its usual step of about a degree would make 3.6 no jump at all).
    let step = 20_700;
    let (found, _) = bed_offset(step, 2700, 3.6);
    assert!(!found.is_empty(), "missed");
    one_level_shift_said_within(&found[..1], step, 70);
    // Only the shift: its return 45 minutes later is the step back after a jump.
    assert_eq!(found.len(), 1, "{found:?}");
    // Holding 60 °C in the third print, it reads 3.9 high for 20 minutes: a level shift, not
    // the end of a drift (its reports wander a degree or three around the setpoint; a creep
    // goes five deadbands one way at least).
    for step in [26_600, 27_000, 27_400] {
        let (found, _) = bed_offset(step, 1200, 3.9);
        assert!(!found.is_empty(), "missed at {step}");
        one_level_shift_said_within(&found[..1], step, 70);
    }
    // … and so, in the second print, when its reports went down three degrees in the twenty
    // minutes before and the step lands back where they began: three reports one way are its
    // wander around the setpoint, not a creep whose end the step would be (at least five
    // deadbands one way).
    let step = 17_000;
    let (found, _) = octoprint_bed(|s| {
        if (step - 1200..step).contains(&s) {
            -3.2 * (s - step + 1200) as f64 / 1200.0
        } else if (step..step + 1200).contains(&s) {
            0.7
        } else {
            0.0
        }
    });
    assert!(!found.is_empty(), "missed");
    one_level_shift_said_within(&found[..1], step, 70);
}

/// The ESPHome greenhouse node's two air probes.
const GREENHOUSE: [&str; 2] = ["greenhouse_temperature", "greenhouse_bme_temperature"];

/// Home Assistant discovery for the greenhouse node's two air probes, each reading °C.
fn greenhouse_discovery(t: &mut Twin) {
    for name in GREENHOUSE {
        t.apply(&msg(
            0,
            &format!("homeassistant/sensor/greenhouse/{name}/config"),
            &format!(
                r#"{{"dev":{{"ids":"e8db84a1b2c3","name":"greenhouse"}},"dev_cla":"temperature","name":"{name}","stat_t":"greenhouse/sensor/{name}/state","uniq_id":"ESPsensor{name}","unit_of_meas":"°C"}}"#
            ),
        ));
    }
}

/// The greenhouse node's two air probes read `readings` (to 0.1 °C) at `sec`, and the
/// clock's tick.
fn greenhouse_reads(t: &mut Twin, sec: i64, readings: [f64; 2]) {
    for (name, x) in GREENHOUSE.iter().zip(readings) {
        t.apply(&msg(
            sec,
            &format!("greenhouse/sensor/{name}/state"),
            &format!("{x:.1}"),
        ));
    }
    t.tick(at(sec));
}

/// One episode, a level shift said against the place's creep (`kinds` and the last
/// episode's reason).
fn level_shift_against_the_place((kinds, reason): (Vec<EpisodeKind>, Option<String>)) {
    assert_eq!(kinds, [EpisodeKind::LevelShift], "{reason:?}");
    assert!(
        reason
            .as_deref()
            .is_some_and(|r| r.contains("crept with it")),
        "{reason:?}"
    );
}

/// The series of the greenhouse probe `name` (one of [`GREENHOUSE`]).
fn greenhouse_probe<'a>(t: &'a Twin, name: &str) -> &'a Series {
    let part = format!("/{name}/");
    t.series.iter().find(|s| s.topic.contains(&part)).unwrap()
}

#[test]
fn a_creep_another_probe_of_the_device_made_too_is_the_places_not_a_drift() {
    // An ESPHome greenhouse node, both probes every 30 s for 5 h at 12 °C (noise σ 0.05).
    // From 3 h the air probe creeps up 2 °C over 50 minutes and then reads 2 lower at once,
    // back where it stood. `bme_creeps`: the node's other air probe crept with it (the morning
    // sun: the step back is a level shift made against it), or stood still (the creep was the
    // probe's own: a drift that ended).
    let run = |bme_creeps: bool| {
        let mut t = Twin::default();
        let mut rng = fastrand::Rng::with_seed(6);
        let (start, end) = (10_800, 13_800);
        for i in 0..600 {
            let s = i * 30;
            let creep = if (start..end).contains(&s) {
                2.0 * (s - start) as f64 / 3000.0
            } else if s >= end {
                2.0
            } else {
                0.0
            };
            let noise = |rng: &mut fastrand::Rng| crate::sim::sensors::gaussian(rng, 0.05);
            let air = 12.0 + if s < end { creep } else { 0.0 } + noise(&mut rng);
            let bme = 12.0 + if bme_creeps { creep } else { 0.0 } + noise(&mut rng);
            greenhouse_reads(&mut t, s, [air, bme]);
        }
        let air = greenhouse_probe(&t, GREENHOUSE[0]);
        let bme = greenhouse_probe(&t, GREENHOUSE[1]);
        assert_eq!(air.device, bme.device, "one node");
        (
            episode_kinds(air),
            air.last_anomaly().map(|e| e.reason.clone()),
        )
    };
    level_shift_against_the_place(run(true));
    assert_eq!(run(false).0, [EpisodeKind::Drift]);
}

#[test]
fn a_creep_of_hours_another_probe_made_too_is_the_places_beyond_the_window() {
    // An ESPHome greenhouse node, both air probes every minute for 8 h at 2 °C (noise σ 0.05,
    // the BME 0.3 higher), a window of 120 readings (two hours). `place`: from 3 h the night
    // cools the greenhouse 2 °C over 4 hours, and the DHT then jumps +2 (a level shift,
    // landing where it stood before the cooling); else the DHT alone creeps -2 and steps back
    // (a drift that ended). Where the cooling began, the BME's window no longer reaches: its
    // trails say where it stood, when both probes name their unit (`units`, by discovery).
    let run = |place: bool, units: bool| {
        let mut t = Twin::default();
        let mut rng = fastrand::Rng::with_seed(7);
        if units {
            greenhouse_discovery(&mut t);
        }
        let cool = |m: i64| -2.0 * ((m - 180).clamp(0, 240) as f64) / 240.0;
        for m in 1..480 {
            let s = m * 60;
            let noise = |rng: &mut fastrand::Rng| crate::sim::sensors::gaussian(rng, 0.05);
            let (dht, bme) = if place {
                (cool(m) + if m >= 420 { 2.0 } else { 0.0 }, cool(m))
            } else {
                (if m < 420 { cool(m) } else { 0.0 }, 0.0)
            };
            let readings = [2.0 + dht + noise(&mut rng), 2.3 + bme + noise(&mut rng)];
            greenhouse_reads(&mut t, s, readings);
        }
        let dht = greenhouse_probe(&t, GREENHOUSE[0]);
        (
            episode_kinds(dht),
            dht.last_anomaly().map(|e| e.reason.clone()),
        )
    };
    level_shift_against_the_place(run(true, true));
    assert_eq!(run(false, true).0, [EpisodeKind::Drift]);
    // With no unit named, where the BME stood hours ago is not asked of its trails: unknown,
    // and the drift stands.
    assert_eq!(run(true, false).0, [EpisodeKind::Drift]);
}

/// An ESPHome greenhouse node whose discovery says both air probes read °C, every minute for
/// a day: the air swings 12 °C with the sun; the DHT reads it with noise σ 0.05, the BME
/// 0.3 higher with σ 0.02, both to 0.1. `dht(minute)` is added to the DHT's reading. The
/// episodes of the DHT and of the BME, as (kind, start minute).
fn greenhouse_pair(dht: impl Fn(i64) -> f64) -> [Vec<(EpisodeKind, i64)>; 2] {
    let mut t = Twin::default();
    let mut rng = fastrand::Rng::with_seed(11);
    greenhouse_discovery(&mut t);
    let q = |x: f64| (x * 10.0).round() / 10.0;
    for m in 1..24 * 60 {
        let s = m * 60;
        let air = 15.0 - 6.0 * (std::f64::consts::TAU * m as f64 / 1440.0).cos();
        let gauss = crate::sim::sensors::gaussian;
        let readings = [
            q(air + dht(m) + gauss(&mut rng, 0.05)),
            q(air + 0.3 + gauss(&mut rng, 0.02)),
        ];
        greenhouse_reads(&mut t, s, readings);
    }
    GREENHOUSE.map(|name| {
        let s = greenhouse_probe(&t, name);
        assert_eq!(s.unit.as_deref(), Some("°C"));
        s.episodes
            .iter()
            .chain(s.episode.as_ref())
            .map(|e| (e.kind, (e.start.timestamp() - at(0).timestamp()) / 60))
            .collect()
    })
}

#[test]
fn a_fine_probe_holding_while_its_noisy_partner_rests_is_the_place_at_rest() {
    // An ESPHome greenhouse node: both air probes every minute, to 0.1 °C, for a day of
    // six-hour swings between 1 and 5 °C (the DHT with noise σ 0.1, the BME 0.3 higher with
    // σ 0.02), then half an hour's warming to 2 °C; then for 150 minutes the air stands at 2
    // °C (`warms` false: the BME, quiet and mid-step, reads 2.3 throughout while the DHT jumps
    // a step or two each minute) or warms 2 °C while the BME reads 2.3 regardless (stuck).
    // The BME's episodes.
    let run = |warms: bool| {
        let mut t = Twin::default();
        let mut rng = fastrand::Rng::with_seed(25);
        greenhouse_discovery(&mut t);
        let q = |x: f64| (x * 10.0).round() / 10.0;
        let gauss = crate::sim::sensors::gaussian;
        let flat = 24 * 60 + 30;
        for m in 1..flat + 150 {
            let h = m as f64 / 60.0;
            let air = if m < 24 * 60 {
                1.0 + 4.0 * (std::f64::consts::PI * h / 6.0).sin().powi(2)
            } else if m < flat {
                1.0 + (m - 24 * 60) as f64 / 30.0
            } else if warms {
                2.0 + 2.0 * (m - flat) as f64 / 150.0
            } else {
                2.0
            };
            let dht = q(air + gauss(&mut rng, 0.1));
            let bme = if m < flat {
                q(air + 0.3 + gauss(&mut rng, 0.02))
            } else {
                2.3
            };
            greenhouse_reads(&mut t, m * 60, [dht, bme]);
        }
        episode_kinds(greenhouse_probe(&t, GREENHOUSE[1]))
    };
    assert_eq!(run(false), [], "the partner rests: the place at rest");
    assert_eq!(run(true), [EpisodeKind::Stuck], "the partner warmed 2 °C");
}

#[test]
fn a_probe_that_crept_from_its_twin_on_the_node_and_stepped_back_had_drifted() {
    // The DHT creeps 0.5 °C low over six hours from noon, and is back at 18:00: too slow and
    // too small for its own history (its day swings 12 °C), plain against the BME beside it.
    let [dht, bme] = greenhouse_pair(|m| {
        if (720..1080).contains(&m) {
            -0.5 * (m - 720) as f64 / 360.0
        } else {
            0.0
        }
    });
    assert_eq!(dht, [(EpisodeKind::Drift, 1080)]);
    assert_eq!(bme, []);
    // Healthy: nothing on either.
    assert_eq!(greenhouse_pair(|_| 0.0), [vec![], vec![]]);
}

#[test]
fn a_step_of_a_sensor_reporting_every_50_s_is_decided_a_minute_after_it() {
    // An rtl_433 thermometer's temperature every 50 s (σ 0.05 °C, read to 0.1), for 6 hours;
    // at 4 h it reads 2 °C higher and stays. Its next report (50 s later) shows the step held;
    // the clock decides it at the minute, not the report after (100 s).
    let topic = "rtl_433/pi/devices/LaCrosse-TX141THBv2/0/77/temperature_C";
    let mut t = Twin::default();
    let mut rng = fastrand::Rng::with_seed(5);
    let step = 4 * 3600;
    for i in 0..(6 * 360) {
        let s = i * 10;
        if s % 50 == 0 {
            let x = 12.0
                + crate::sim::sensors::gaussian(&mut rng, 0.05)
                + if s >= step { 2.0 } else { 0.0 };
            t.apply(&msg(s, topic, &format!("{:.1}", (x * 10.0).round() / 10.0)));
        }
        t.tick(at(s));
    }
    let found = episode_times(t.series.iter().find(|s| s.topic == topic).unwrap());
    one_level_shift_said_within(&found, step, 70);
}

/// Two presses of one line whose motor temperatures follow one shift plan (on four hours, off
/// forty minutes: heating to 58 °C, 60 from 7 h 30, and cooling to 20 with a ten-minute time
/// constant), each
/// read every 10 s to 0.1 °C with its own noise, for 14 hours. `off(sec)` is added to press1's.
/// Returns press1's motor temperature episodes: (kind, start in seconds, reason).
fn presses(off: impl Fn(i64) -> f64) -> Vec<(EpisodeKind, i64, String)> {
    let mut t = Twin::default();
    let mut rng = fastrand::Rng::with_seed(11);
    let mut temp = 20.0;
    for sec in (0..14 * 3600).step_by(10) {
        let on = sec % 16_800 < 14_400;
        // (The hall warms the motors by 2 °C from 5 h 30 to 7 h 30.)
        let warm = 2.0 * ((sec - 19_800) as f64 / 7_200.0).clamp(0.0, 1.0);
        let goal = if on { 58.0 + warm } else { 20.0 };
        temp += (goal - temp) * (10.0 / 600.0);
        for (press, x) in [(1, temp + off(sec)), (2, temp - 0.2)] {
            let x = x + crate::sim::sensors::gaussian(&mut rng, 0.08);
            let topic = format!("acme/hamburg/line1/press{press}/motor_temp");
            t.apply(&msg(sec + press, &topic, &format!("{x:.1}")));
        }
        t.tick(at(sec + 2));
    }
    episodes_of(&t, "press1/motor_temp")
}

/// Every episode, closed or open, of the first series whose topic contains `topic`: its kind,
/// the second it started (from `at(0)`) and its reason.
fn episodes_of(t: &Twin, topic: &str) -> Vec<(EpisodeKind, i64, String)> {
    let s = t.series.iter().find(|s| s.topic.contains(topic)).unwrap();
    s.episodes
        .iter()
        .chain(s.episode.as_ref())
        .map(|e| {
            let secs = e.start.timestamp() - at(0).timestamp();
            (e.kind, secs, e.reason.clone())
        })
        .collect()
}

#[test]
fn a_press_that_crept_from_its_numbered_sibling_and_stepped_back_had_drifted() {
    // Healthy: nothing.
    assert_eq!(presses(|_| 0.0), []);
    // From 5 h press1 creeps 1.5 °C over six hours, then reads true again: the step back at
    // 11 h (with the press on, steady) is the end of a drift.
    let creep = |sec: i64| {
        if (18_000..39_600).contains(&sec) {
            1.5 * (sec - 18_000) as f64 / 21_600.0
        } else {
            0.0
        }
    };
    // (The step's episode: where the creep shifts its cooling, the noise test may say more.)
    let at_step = |found: &[(EpisodeKind, i64, String)]| {
        let f: Vec<_> = found.iter().filter(|(_, t, _)| t / 60 == 660).collect();
        assert_eq!(f.len(), 1, "{found:?}");
        (f[0].0, f[0].2.clone())
    };
    let (kind, reason) = at_step(&presses(creep));
    assert_eq!(kind, EpisodeKind::Drift);
    assert!(reason.contains("numbered sibling"), "{reason}");
    // Over once said: the press heating on after it is no change to take as its normal.
    assert!(!reason.contains("now taken as its normal"), "{reason}");
    // The same step with no creep before it: a level shift.
    let shift = |sec: i64| if sec >= 39_600 { -1.5 } else { 0.0 };
    let found = presses(shift);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(at_step(&found).0, EpisodeKind::LevelShift);
}

#[test]
fn a_drifts_end_is_over_once_said_though_the_tank_fills_on() {
    // Every 10 s for 18 h: a pump fills the tank at 0.42 %/min between 40 and 80 %, a draw
    // empties it at 0.30. From 16 h its probe creeps 0.1 %/min for 50 minutes and is then
    // reset (reading 6060): the step back is the drift's end, over once said, and the tank
    // moving on after it is its life. Looked at five minutes after the reset.
    let mut t = Twin::default();
    let mut tank = crate::twin::ramps::TestTank::new();
    for i in 0..6090i64 {
        let m = (i - 5760) as f64 / 6.0;
        let creep = if (0.0..50.0).contains(&m) {
            0.1 * m
        } else {
            0.0
        };
        let x = tank.step(0.05, 0.12) + creep;
        t.apply(&msg(
            i * 10,
            "plant/pumphouse/tank1/level",
            &format!("{x:.2}"),
        ));
        t.tick(at(i * 10));
    }
    let s = &t.series[0];
    assert!(s.episode.is_none(), "{:?}", s.episode);
    let end = s
        .episodes
        .iter()
        .find(|e| e.reason.contains("undoing the creep"))
        .unwrap_or_else(|| panic!("{:?}", s.episodes));
    assert_eq!(end.kind, EpisodeKind::Drift);
    assert_eq!(end.last, end.start, "{end:?}");
    assert!(!end.reason.contains("now taken as its normal"), "{end:?}");
}

/// An ESPHome greenhouse node for 12 h, every minute: three soil probes (DS18B20, read to
/// 1/16 °C) and the air. The soil cools 0.1 °C/h at night and warms 1.5 °C/h from 8 h; the
/// air 4 °C/h. `off(minute)` is added to soil bed 2. Returns bed 2's episodes (kind, minute
/// it started, reason).
fn soil_beds(off: impl Fn(i64) -> f64) -> Vec<(EpisodeKind, i64, String)> {
    soil_family(2, off, "soil_bed_2")
}

/// [`soil_beds`] with `off` added to soil bed `faulty`, returning the episodes of `watch`.
fn soil_family(
    faulty: i64,
    off: impl Fn(i64) -> f64,
    watch: &str,
) -> Vec<(EpisodeKind, i64, String)> {
    let mut t = Twin::default();
    let mut rng = fastrand::Rng::with_seed(5);
    let q = |x: f64| (x * 16.0).round() / 16.0;
    for m in 0..12 * 60i64 {
        let h = m as f64 / 60.0;
        let soil = if h < 8.0 {
            7.5 - 0.1 * h
        } else {
            6.7 + 1.5 * (h - 8.0)
        };
        let air = if h < 8.0 { 2.0 } else { 2.0 + 4.0 * (h - 8.0) };
        for (bed, base) in [(1, -0.3), (2, 0.3), (3, 0.0)] {
            let x = soil + base + crate::sim::sensors::gaussian(&mut rng, 0.02);
            let x = if bed == faulty { x + off(m) } else { x };
            let topic = format!("greenhouse/sensor/soil_bed_{bed}/state");
            t.apply(&msg(m * 60 + bed, &topic, &format!("{}", q(x))));
        }
        let x = air + crate::sim::sensors::gaussian(&mut rng, 0.05);
        t.apply(&msg(
            m * 60 + 4,
            "greenhouse/sensor/greenhouse_temperature/state",
            &format!("{x:.1}"),
        ));
        t.tick(at(m * 60 + 5));
    }
    episodes_of(&t, watch)
        .into_iter()
        .map(|(k, secs, r)| (k, secs / 60, r))
        .collect()
}

#[test]
fn a_soil_probe_that_crept_from_the_rest_of_its_family_and_stepped_back_had_drifted() {
    // Healthy: nothing.
    assert_eq!(soil_beds(|_| 0.0), []);
    // From 8 h bed 2 creeps 1.6 °C/h for 84 minutes, while the soil warms 1.5 °C/h and the
    // air 4 °C/h, then reads true again: the step back is the end of a drift (the air crept
    // as far, but the rest of its family did not).
    let creep = |m: i64| {
        if (480..564).contains(&m) {
            1.6 * (m - 480) as f64 / 60.0
        } else {
            0.0
        }
    };
    let found = soil_beds(creep);
    let at_step: Vec<_> = found.iter().filter(|(_, m, _)| *m == 564).collect();
    assert_eq!(at_step.len(), 1, "{found:?}");
    assert_eq!(at_step[0].0, EpisodeKind::Drift, "{found:?}");
    assert!(
        at_step[0].2.contains("rest of its numbered family"),
        "{found:?}"
    );
    // The same step with no creep before it: a level shift.
    let found = soil_beds(|m| if m >= 564 { -2.2 } else { 0.0 });
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, EpisodeKind::LevelShift, "{found:?}");
}

#[test]
fn two_soil_probes_warming_alike_while_the_third_drifts_are_their_place() {
    // From 8 h the soil warms 1.5 °C/h; bed 1's probe drifts -2.5 °C/h for an hour, so the
    // median of the rest of bed 2's family (the mean of beds 1 and 3) falls while bed 2
    // warms. Bed 3 warmed as far with it: the place moved, not bed 2 (see `FAMILY_MOVED`).
    let drift = |m: i64| {
        if (480..540).contains(&m) {
            -2.5 * (m - 480) as f64 / 60.0
        } else {
            0.0
        }
    };
    for watch in ["soil_bed_2", "soil_bed_3"] {
        let found = soil_family(1, drift, watch);
        assert!(
            !found
                .iter()
                .any(|(_, _, r)| r.contains("this probe drifts")),
            "{watch}: {found:?}"
        );
    }
    let faulty = soil_family(1, drift, "soil_bed_1");
    assert!(!faulty.is_empty(), "the drifting probe itself: {faulty:?}");
}

/// A Zigbee door contact's report: whether it is shut, its own temperature (whole °C), at
/// `sec`; and the clock's tick.
fn front_door_says(t: &mut Twin, sec: i64, contact: bool, temp: i64) {
    let payload = format!(
        "{{\"battery\":90,\"contact\":{contact},\"device_temperature\":{temp},\"linkquality\":120}}"
    );
    t.apply(&msg(sec, "zigbee2mqtt/front_door", &payload));
    t.tick(at(sec));
}

/// A day of a shut door's contact reports, 10 to 40 minutes apart, its temperature 17 to 20;
/// the second after the last.
fn a_shut_doors_day(t: &mut Twin, rng: &mut fastrand::Rng) -> i64 {
    let mut sec = 0;
    while sec < 86_400 {
        let hour = sec as f64 / 3600.0;
        let air = 18.5 + 1.5 * (std::f64::consts::TAU * hour / 24.0).sin() + 0.3 * rng.f64();
        front_door_says(t, sec, true, air.round() as i64);
        sec += 600 + rng.i64(0..1800);
    }
    sec
}

/// The episodes of the door contact's own temperature.
fn front_door_temperature(t: &Twin) -> Vec<EpisodeKind> {
    episode_kinds(
        t.series
            .iter()
            .find(|s| s.topic == "zigbee2mqtt/front_door" && s.field == "device_temperature")
            .expect("the device's temperature"),
    )
}

#[test]
fn a_door_sensors_own_temperature_moves_with_the_door_it_watches() {
    // A shut door's day; then the door opens on a winter's day (the opening's report still
    // reads 19), and its next report, a quarter of an hour later, 9.
    let run = |opens: bool| {
        let mut t = Twin::default();
        let mut rng = fastrand::Rng::with_seed(7);
        let sec = a_shut_doors_day(&mut t, &mut rng);
        front_door_says(&mut t, sec, !opens, 19);
        for (k, temp) in [9, 10, 10, 11, 11].into_iter().enumerate() {
            front_door_says(&mut t, sec + 870 + k as i64 * 600, !opens, temp);
        }
        front_door_temperature(&t)
    };
    assert_eq!(run(true), [], "the door's doing (see STATE_MODE_MS)");
    assert_eq!(
        run(false),
        [EpisodeKind::LevelShift],
        "the same step with the door shut"
    );
}

#[test]
fn a_door_left_open_for_minutes_moves_its_contacts_temperature_one_open_for_seconds_does_not() {
    // A shut door's day; then a busy hour: the door opens for seconds every quarter of an
    // hour (each opening and shutting reported, at 19); then it opens and stays open 14
    // minutes (`minutes`), or shuts after 10 seconds; the report that it shut, 14 minutes
    // after it opened, reads 10, and the next ones 10 and 11.
    let run = |minutes: bool| {
        let mut t = Twin::default();
        let mut rng = fastrand::Rng::with_seed(65);
        let mut sec = a_shut_doors_day(&mut t, &mut rng);
        for _ in 0..3 {
            sec += 900 + rng.i64(0..240);
            front_door_says(&mut t, sec, false, 19);
            front_door_says(&mut t, sec + 5, true, 19);
        }
        sec += 1000;
        front_door_says(&mut t, sec, false, 19);
        if !minutes {
            front_door_says(&mut t, sec + 10, true, 19);
        }
        front_door_says(&mut t, sec + 836, true, 10);
        for (k, temp) in [10, 11].into_iter().enumerate() {
            front_door_says(&mut t, sec + 836 + 430 * (k as i64 + 1), true, temp);
        }
        front_door_temperature(&t)
    };
    assert_eq!(run(true), [], "the door left open (see OPENING_HELD_MS)");
    assert_eq!(run(false), [EpisodeKind::LevelShift], "open for seconds");
}

/// A Victron battery's voltage (read to 0.01 V, every 4 s) and its inverter's output power
/// for 4 h: at 2 h the inverter changes mode, the power steps by 800 W and the voltage by
/// -0.32 V in the same minute; at 3 h the voltage alone steps by `later`. The voltage's
/// episodes (kind, second it started).
fn battery_after_a_mode_change(later: f64) -> Vec<(EpisodeKind, i64)> {
    let mut t = Twin::default();
    let mut rng = fastrand::Rng::with_seed(3);
    for i in 0..3600i64 {
        let s = i * 4;
        let v = 52.55
            + if s >= 7200 { -0.32 } else { 0.0 }
            + if s >= 10_800 { later } else { 0.0 }
            + crate::sim::sensors::gaussian(&mut rng, 0.012);
        let p = 300.0
            + if s >= 7200 { 800.0 } else { 0.0 }
            + crate::sim::sensors::gaussian(&mut rng, 5.0);
        t.apply(&msg(
            s,
            "N/c0619abbb880/battery/512/Dc/0/Voltage",
            &format!("{{\"value\": {v:.2}}}"),
        ));
        t.apply(&msg(
            s + 1,
            "N/c0619abbb880/vebus/276/Ac/Out/L1/P",
            &format!("{{\"value\": {p:.0}}}"),
        ));
        t.tick(at(s + 2));
    }
    episodes_of(&t, "Dc/0/Voltage")
        .into_iter()
        .map(|(k, secs, _)| (k, secs))
        .collect()
}

#[test]
fn a_lone_step_far_larger_than_a_recent_change_of_mode_is_still_judged() {
    // The change of mode is no fault, nor a like step an hour later.
    assert_eq!(battery_after_a_mode_change(0.0), []);
    assert_eq!(battery_after_a_mode_change(0.33), []);
    // A step alone 2.4 times the mode's: a level shift.
    let found = battery_after_a_mode_change(0.77);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, EpisodeKind::LevelShift, "{found:?}");
    assert!((10_800..10_900).contains(&found[0].1), "{found:?}");
}

#[test]
fn a_stuck_run_taken_as_normal_is_not_said_again_while_it_lasts() {
    // An oven zone every 5 s, read to 0.1 °C, cycling ±2 °C about its setpoint 200 °C for 20
    // minutes and resting at 80 °C for 10, for six hours; then held at 201.1 for 40 minutes,
    // then cycling again. A repeat at its setpoint is judged by that level's own noise, which
    // taking the run as its normal does not change: the run is said once, taken as normal ten
    // minutes after it began, and not said again every two minutes until it ends.
    let mut t = Twin::default();
    let mut rng = fastrand::Rng::with_seed(41);
    let mut sec = 0;
    let say = |t: &mut Twin, x: f64, sec: &mut i64| {
        t.apply(&msg(
            *sec,
            "line2/oven1/zone2_temperature",
            &format!("{x:.1}"),
        ));
        t.tick(at(*sec));
        *sec += 5;
    };
    let cycle = |rng: &mut fastrand::Rng, level: f64, i: usize| {
        let phase = (i % 12) as f64 / 12.0;
        let saw = 4.0 * (phase - 0.5).abs() - 1.0;
        level + 2.0 * saw + crate::sim::sensors::gaussian(rng, 0.3)
    };
    for c in 0..36 {
        let level = if c % 3 == 2 { 80.0 } else { 200.0 };
        for i in 0..120 {
            let x = cycle(&mut rng, level, i);
            say(&mut t, x, &mut sec);
        }
    }
    assert_eq!(episode_kinds(&t.series[0]), [], "its cycles are its life");
    for _ in 0..480 {
        say(&mut t, 201.1, &mut sec);
    }
    for i in 0..120 {
        let x = cycle(&mut rng, 200.0, i);
        say(&mut t, x, &mut sec);
    }
    let s = &t.series[0];
    assert_eq!(episode_kinds(s), [EpisodeKind::Stuck], "said once");
    let e = s.last_anomaly().unwrap();
    assert!(e.reason.contains("now taken as its normal"), "{}", e.reason);
}

#[test]
fn a_noise_burst_is_one_episode_though_its_readings_seem_to_settle_midway() {
    // A Zigbee bedroom's temperature about every 10 s, read to 0.01 °C, wandering ±0.05 for
    // three hours; then a burst of ±1.6 °C for ten minutes (home seed 5: its readings seemed
    // to settle at a new place for five readings midway, the burst was not judged there, and
    // it was said twice, 40 s apart); then calm again. Said once.
    // (Without the rule these seeds said it two or three times; 20 of seeds 0-59 did.)
    for seed in [0, 3, 10, 26] {
        let mut t = Twin::default();
        let mut rng = fastrand::Rng::with_seed(seed);
        let g = crate::sim::sensors::gaussian;
        let mut sec = 0;
        let mut x = 18.3;
        for i in 0..1500 {
            x += g(&mut rng, 0.01) + (18.3 - x) * 0.01;
            let burst = (1080..1140).contains(&i);
            let v = if burst {
                x + g(&mut rng, 1.6)
            } else {
                x + g(&mut rng, 0.03)
            };
            say_temperature(
                &mut t,
                "zigbee2mqtt/bedroom",
                sec,
                (v * 100.0).round() / 100.0,
            );
            sec += 10;
        }
        let kinds = episode_kinds(&t.series[0]);
        assert_eq!(kinds, [EpisodeKind::NoiseBurst], "seed {seed}");
    }
}

#[test]
fn a_stuck_probe_taken_as_normal_stays_out_of_its_zones_consensus() {
    // Five probes in one zone every 5 s, read to 0.01 °C with their own offsets and noise on a
    // shared slow cycle; then s1 holds its reading for 40 minutes while the zone warms 2.5 °C.
    // s1 is said stuck once and taken as its normal after ten minutes; its held reading must
    // not pull the zone's median meanwhile, or a healthy peer is said shifted.
    let mut t = Twin::default();
    let mut rng = fastrand::Rng::with_seed(21);
    let offsets = [0.0, 0.3, -0.2, 0.5, -0.4];
    let mut held = None;
    for i in 0..2400i64 {
        let h = i as f64 * 5.0 / 3600.0;
        let warming = if i >= 1440 {
            2.5 * (i - 1440) as f64 / 480.0
        } else {
            0.0
        };
        let zone = 20.0 + 0.8 * (h * 1.3).sin() + warming.min(2.5);
        for (k, off) in offsets.iter().enumerate() {
            let mut x = zone + off + crate::sim::sensors::gaussian(&mut rng, 0.05);
            if k == 0 && (1440..1920).contains(&i) {
                x = *held.get_or_insert(x);
            }
            let topic = format!("/south/temperature/s{}", k + 1);
            t.apply(&msg(i * 5, &topic, &format!("{x:.2}")));
        }
        t.tick(at(i * 5 + 1));
    }
    let found = episodes_by_topic(&t);
    assert!(
        found
            .iter()
            .all(|(topic, _)| topic == "/south/temperature/s1"),
        "only the stuck probe: {found:?}"
    );
    // (Said once; its return to the zone after the hold is its own news.)
    let stuck = found.iter().filter(|(_, k)| *k == EpisodeKind::Stuck);
    assert_eq!(stuck.count(), 1, "{found:?}");
}

/// The plant world's (seed 23) two presses' vibrations and states until 10:00: both start
/// at 06:00 (RUNNING) and stop at 09:30 (IDLE). With `says` false their states are left out.
/// press2's vibration's episodes.
fn presses_stopping(says: bool) -> Vec<EpisodeKind> {
    use crate::sim::worlds::{offline_start, Act, Kind, World};
    let day = 86_400.0;
    let start = offline_start(day);
    let mut w = World::build(Kind::Plant, 23, start, Some(day));
    let mut t = Twin::default();
    let mut outs = Vec::new();
    while w.now() < 36_000.0 && w.step(&mut outs) {
        for o in outs.drain(..) {
            let Act::Publish(m) = o.act else { continue };
            let wanted = ["press1/vibration", "press2/vibration"]
                .iter()
                .chain(if says {
                    ["press1/state", "press2/state"].iter()
                } else {
                    [].iter()
                })
                .any(|end| m.topic == format!("acme/hamburg/line1/{end}"));
            if wanted {
                let when = crate::sim::worlds::at(start, o.t);
                t.apply(&Event::Message(Message::new(when, m.topic, m.payload)));
                t.tick(when);
            }
        }
    }
    episode_kinds(
        t.series
            .iter()
            .find(|s| s.topic == "acme/hamburg/line1/press2/vibration")
            .expect("the vibration"),
    )
}

#[test]
fn a_step_across_its_machines_announced_state_change_is_the_machines() {
    // press2's vibration fell from 2.35 to 0.05 as it said IDLE, as it rose with its RUNNING
    // (see STATE_HELD_MS; held-out 24 h plant seeds 23, 89).
    assert_eq!(presses_stopping(true), []);
    // The same fall with no word from the press: a step it had taken once only.
    assert_eq!(presses_stopping(false), [EpisodeKind::LevelShift]);
}

/// A pump's flow sent by exception (past 1 m³/h of its last report, looked at every 2 s:
/// 118 ± 1.5 while it runs, one report of 0 as it stops, nothing while it rests) on its own
/// topic, and its `running` state on another, a second before the flow's first report: it runs
/// an hour from every second hour, for 12 hours. From `held` (s) the flow is held at what it
/// read for twenty minutes. The flow's episodes (kind, start, opened), in seconds, and their
/// reasons.
fn pump_waking(held: Option<i64>, says: bool) -> (Vec<(EpisodeKind, i64, i64)>, Vec<String>) {
    let mut t = Twin::default();
    let mut rng = fastrand::Rng::with_seed(5);
    let mut last = f64::NAN;
    let mut kept = f64::NAN;
    for sec in (0..12 * 3600).step_by(2) {
        let running = (sec / 3600) % 2 == 1;
        if says && sec % 3600 == 0 {
            let word = if running { "RUNNING" } else { "IDLE" };
            t.apply(&msg(sec, "plant/pump7/running", word));
        }
        let flow = if running {
            118.0 + 1.5 * crate::sim::sensors::gaussian(&mut rng, 1.0)
        } else {
            0.0
        };
        let flow = if held.is_some_and(|h| (h..h + 1200).contains(&sec)) {
            if kept.is_nan() {
                kept = last;
            }
            kept
        } else {
            (flow * 10.0).round() / 10.0
        };
        if (sec > 0 || last.is_nan()) && (last.is_nan() || (flow - last).abs() >= 1.0) {
            last = flow;
            t.apply(&msg(sec + 1, "plant/pump7/flow", &format!("{flow}")));
        }
        t.tick(at(sec + 1));
    }
    let s = t
        .series
        .iter()
        .find(|s| s.topic == "plant/pump7/flow")
        .expect("the flow");
    let reasons = s.episodes.iter().chain(s.episode.as_ref());
    (
        episode_times(s),
        reasons.map(|e| e.reason.clone()).collect(),
    )
}

#[test]
fn a_reading_that_always_woke_with_its_machines_state_and_did_not_is_held() {
    assert_eq!(pump_waking(None, true).0, [], "healthy");
    // Held at 0 from 10 minutes before its sixth start (at 11 h) for twenty: its `running`
    // turned RUNNING at 39,600 s, and two minutes without its flow say it held.
    let (found, why) = pump_waking(Some(39_000), true);
    assert!(
        matches!(found[..], [(EpisodeKind::Stuck, 39_600, at)] if (39_720..39_800).contains(&at)),
        "{found:?}"
    );
    assert!(
        why[0].starts_with("its device's running turned RUNNING at ")
            && why[0].contains("held at 0"),
        "{why:?}"
    );
    // Without a word from the pump, its silence is its rest.
    assert_eq!(pump_waking(Some(39_000), false).0, [], "no state");
}
