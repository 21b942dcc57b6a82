//! The terminal UI rendered on ratatui's TestBackend from a fixed twin and a fixed clock.
//! Review changes with `cargo insta review` (or delete the .snap file and re-run).

use chrono::{DateTime, Duration, FixedOffset, TimeZone, Utc};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use twinview::source::event::{ConnEvent, ConnState, Event, Message};
use twinview::twin::Twin;
use twinview::ui::keys::Action;
use twinview::ui::theme::Theme;
use twinview::ui::{render, UiState};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap()
}

/// A small network: four zone sensors (one spikes a reading before the end, so the spike
/// detector, which waits for the next reading, has seen it), a lab sensor, a multi-field
/// device and one undecodable topic.
fn fixed_twin() -> Twin {
    let mut twin = Twin::default();
    twin.apply(&Event::Connection(ConnEvent {
        at: t0(),
        state: ConnState::Connected,
        resumed: false,
    }));
    let mut feed = |sec: i64, topic: &str, payload: String| {
        twin.apply(&Event::Message(Message::new(
            t0() + Duration::seconds(sec),
            topic,
            payload.into_bytes(),
        )));
    };
    for i in 0..61i64 {
        for s in 1..=4i64 {
            let wave = ((i + s * 3) as f64 * 0.2).sin();
            let mut v = 21.0 + wave + s as f64 * 0.1;
            if s == 3 && i == 59 {
                v += 9.0;
            }
            feed(
                i,
                &format!("/living_room/temperature/s{s}"),
                format!("{v:.3}"),
            );
        }
        let lab = 22.0 + ((i * 37) % 11) as f64 * 0.05;
        feed(
            i,
            "digital_twin/lab/sensor/TEMP_001/temperature",
            format!(
                r#"{{"timestamp_utc":"{}","sensor_id":"TEMP_001","value":{lab:.3},"unit":"Celsius"}}"#,
                (t0() + Duration::seconds(i)).to_rfc3339()
            ),
        );
        if i % 5 == 0 {
            feed(
                i,
                "home/living-room-01/sensors",
                format!(
                    r#"{{"device_id":"living-room-01","temperature_c":{:.1},"humidity":{:.1}}}"#,
                    22.0 + i as f64 * 0.01,
                    45.0 - i as f64 * 0.05
                ),
            );
        }
    }
    feed(59, "bin/blob", "{not json".into());
    twin
}

fn ui_at(twin: &Twin) -> UiState {
    let mut ui = UiState::new(
        "mqtt://localhost:1883",
        t0() + Duration::seconds(60),
        FixedOffset::east_opt(0).unwrap(),
    );
    ui.refresh(twin);
    ui
}

fn draw(twin: &Twin, ui: &UiState, w: u16, h: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    let theme = Theme::default();
    terminal
        .draw(|f| render(f, twin, ui, &theme))
        .expect("draw");
    format!("{}", terminal.backend())
}

#[test]
fn sensors_tab_100x30() {
    let twin = fixed_twin();
    let ui = ui_at(&twin);
    insta::assert_snapshot!(draw(&twin, &ui, 100, 30));
}

#[test]
fn sensors_tab_80x24() {
    let twin = fixed_twin();
    let ui = ui_at(&twin);
    insta::assert_snapshot!(draw(&twin, &ui, 80, 24));
}

#[test]
fn sensors_tab_wide_sorted_by_last_value_with_filter() {
    let twin = fixed_twin();
    let mut ui = ui_at(&twin);
    ui.handle(Action::Sort, &twin);
    ui.handle(Action::Filter, &twin);
    for c in "living".chars() {
        ui.handle(Action::Char(c), &twin);
    }
    ui.handle(Action::Enter, &twin);
    insta::assert_snapshot!(draw(&twin, &ui, 150, 20));
}

#[test]
fn detail_view_of_the_spiking_sensor() {
    let twin = fixed_twin();
    let mut ui = ui_at(&twin);
    // Rows: [lab] TEMP_001, [living-room-01] humidity, temperature_c, [living_room] s1 s2 s3 …
    // (headings can be selected too: Enter on one folds it).
    for _ in 0..7 {
        ui.handle(Action::Down, &twin);
    }
    assert_eq!(twin.series[ui.sensors.selected().unwrap()].label, "s3");
    ui.handle(Action::Enter, &twin);
    let screen = draw(&twin, &ui, 100, 30);
    assert!(screen.contains("spike"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn help_overlay_and_pause_badge() {
    let twin = fixed_twin();
    let mut ui = ui_at(&twin);
    ui.handle(Action::Pause, &twin);
    ui.handle(Action::Help, &twin);
    let screen = draw(&twin, &ui, 100, 30);
    assert!(screen.contains("PAUSED"));
    insta::assert_snapshot!(screen);
}

#[test]
fn empty_twin_says_what_it_is_waiting_for() {
    let twin = Twin::default();
    let ui = ui_at(&twin);
    let screen = draw(&twin, &ui, 80, 24);
    assert!(screen.contains("Waiting for sensor readings"), "{screen}");
}

/// The fixed twin plus liveness: an offline zone sensor, a sleeping Homie device, a Tasmota
/// plug, a Sparkplug node and a device that fell silent.
fn twin_with_liveness() -> Twin {
    let mut twin = fixed_twin();
    let mut feed = |sec: i64, topic: &str, payload: &str| {
        twin.apply(&Event::Message(Message::new(
            t0() + Duration::seconds(sec),
            topic,
            payload.as_bytes().to_vec(),
        )));
    };
    for s in 0..3 {
        feed(s, "garden/old-sensor/temperature", "12.5");
    }
    feed(30, "/living_room/s4/status", "offline");
    feed(1, "home/living-room-01/status", "online");
    feed(2, "tele/plug-7/LWT", "Online");
    feed(3, "homie/boiler/$state", "sleeping");
    // A Sparkplug birth: seq 0 and its bdSeq.
    let birth = twinview::decode::sparkplug::encode(&twinview::decode::sparkplug::Payload {
        seq: Some(0),
        metrics: vec![twinview::decode::sparkplug::Metric {
            name: Some("bdSeq".into()),
            datatype: Some(twinview::decode::sparkplug::datatype::INT64),
            value: twinview::decode::sparkplug::Value::Int(0),
            ..Default::default()
        }],
        ..Default::default()
    });
    twin.apply(&Event::Message(Message::new(
        t0() + Duration::seconds(4),
        "spBv1.0/plant/NBIRTH/edge1",
        birth,
    )));
    twin.tick(t0() + Duration::seconds(60));
    twin
}

#[test]
fn devices_tab() {
    let twin = twin_with_liveness();
    let mut ui = ui_at(&twin);
    ui.handle(Action::GoTab(1), &twin);
    let screen = draw(&twin, &ui, 100, 24);
    assert!(screen.contains("1 stale"), "{screen}");
    insta::assert_snapshot!(screen);
    // The status filter narrows the list to offline devices.
    ui.handle(Action::StatusFilter, &twin);
    ui.handle(Action::StatusFilter, &twin);
    assert_eq!(ui.devices.list.rows(), ["boiler", "s4"]);
}

#[test]
fn sensors_of_offline_devices_are_marked() {
    let twin = twin_with_liveness();
    let ui = ui_at(&twin);
    let screen = draw(&twin, &ui, 100, 24);
    let s4 = screen.lines().find(|l| l.contains(" s4 ")).unwrap();
    assert!(s4.contains("offline"), "{s4}");
    let old = screen.lines().find(|l| l.contains("old-sensor")).unwrap();
    assert!(old.contains("stale"), "{old}");
}

#[test]
fn drop_keys_outside_the_demo_say_where_they_work() {
    let twin = twin_with_liveness();
    let mut ui = ui_at(&twin);
    assert_eq!(
        ui.handle(Action::DropDevice, &twin),
        twinview::ui::Flow::Continue
    );
    assert!(ui.flash.as_ref().unwrap().0.contains("twinview demo"));
    ui.demo = true;
    assert_eq!(
        ui.handle(Action::DropDevice, &twin),
        twinview::ui::Flow::Sim("old-sensor".into(), twinview::sim::SimControl::Drop)
    );
}

/// A factory's negotiations: a clean one, one awarded to the slower bidder, one nobody can do.
fn twin_with_jobs() -> Twin {
    let mut twin = Twin::default();
    feed_jobs(&mut twin);
    twin.tick(t0() + Duration::seconds(12));
    twin
}

fn feed_jobs(twin: &mut Twin) {
    let mut feed = |ms: i64, topic: &str, payload: &str| {
        twin.apply(&Event::Message(Message::new(
            t0() + Duration::milliseconds(ms),
            topic,
            payload.as_bytes().to_vec(),
        )));
    };
    feed(
        0,
        "/cnp/cfp",
        r#"{"job_id":"JOB_1","job_type":"drilling","deadline":1.0}"#,
    );
    feed(100, "/cnp/bid/m1", r#"{"job_id":"JOB_1","time":3.0}"#);
    feed(120, "/cnp/bid/m2", r#"{"job_id":"JOB_1","time":5.0}"#);
    feed(
        130,
        "/cnp/bid/m3",
        r#"{"job_id":"JOB_1","reason":"cannot_do"}"#,
    );
    feed(1000, "/cnp/assign/m1", r#"{"job_id":"JOB_1","time":3.0}"#);
    feed(4000, "/cnp/done/m1", r#"{"job_id":"JOB_1"}"#);
    feed(
        5000,
        "/cnp/cfp",
        r#"{"job_id":"JOB_2","job_type":"milling","deadline":1.0}"#,
    );
    feed(5100, "/cnp/bid/m1", r#"{"job_id":"JOB_2","time":2.0}"#);
    feed(5200, "/cnp/bid/m2", r#"{"job_id":"JOB_2","time":4.5}"#);
    feed(6000, "/cnp/assign/m2", r#"{"job_id":"JOB_2","time":4.5}"#);
    feed(
        9000,
        "/cnp/cfp",
        r#"{"job_id":"JOB_3","job_type":"inspection","deadline":1.0}"#,
    );
    feed(
        9100,
        "/cnp/bid/m1",
        r#"{"job_id":"JOB_3","reason":"cannot_do"}"#,
    );
}

/// Every tab at a small, a middling and a large terminal: nothing overlaps, names keep their
/// distinguishing end, the Sensors tab uses the room it has (chart below or beside the list).
#[test]
fn every_tab_at_three_sizes() {
    let mut twin = twin_with_liveness();
    feed_jobs(&mut twin);
    twin.tick(t0() + Duration::seconds(60));
    for (i, tab) in ["sensors", "devices", "jobs", "log", "topics"]
        .iter()
        .enumerate()
    {
        for (w, h) in [(60, 15), (100, 30), (200, 50)] {
            let mut ui = ui_at(&twin);
            ui.handle(Action::GoTab(i), &twin);
            let screen = draw(&twin, &ui, w, h);
            if *tab == "sensors" && w == 60 {
                // TEMP_001 keeps its end when the name column is narrow.
                assert!(!screen.contains("TEMP_0 "), "{screen}");
            }
            if *tab == "sensors" && (h >= 30 || w >= 200) {
                // Room to spare shows the selected sensor's chart.
                assert!(screen.contains("Anomaly episodes"), "{screen}");
            }
            insta::assert_snapshot!(format!("tab_{tab}_{w}x{h}"), screen);
        }
    }
}

#[test]
fn jobs_tab_and_negotiation() {
    let twin = twin_with_jobs();
    let mut ui = UiState::new(
        "mqtt://localhost:1883",
        t0() + Duration::seconds(12),
        FixedOffset::east_opt(0).unwrap(),
    );
    ui.refresh(&twin);
    ui.handle(Action::GoTab(2), &twin);
    let screen = draw(&twin, &ui, 100, 30);
    assert!(screen.contains("unassigned"), "{screen}");
    insta::assert_snapshot!("jobs_tab", screen);
    // Newest first: JOB_3, JOB_2; Enter opens JOB_2's negotiation with its violation.
    ui.handle(Action::Down, &twin);
    ui.handle(Action::Enter, &twin);
    let screen = draw(&twin, &ui, 100, 16);
    assert!(
        screen.contains("violation: awarded to m2 (4.5 s) but m1 proposed 2 s"),
        "{screen}"
    );
    insta::assert_snapshot!("jobs_negotiation", screen);
}

/// Past the 2,000-job cap the Jobs list keeps following: the newest job is on top and
/// selected (its cache is keyed on a revision, not on the number of jobs).
#[test]
fn jobs_tab_after_2500_jobs_shows_the_newest() {
    let mut twin = Twin::default();
    let mut ui = UiState::new(
        "mqtt://localhost:1883",
        t0(),
        FixedOffset::east_opt(0).unwrap(),
    );
    ui.handle(Action::GoTab(2), &twin);
    for i in 1..=2500i64 {
        let at = t0() + Duration::seconds(4 * i);
        let job = format!("JOB_{i}");
        for (ms, topic, payload) in [
            (
                0,
                "/cnp/cfp",
                format!(r#"{{"job_id":"{job}","job_type":"drilling","deadline":1.0}}"#),
            ),
            (
                100,
                "/cnp/bid/m1",
                format!(r#"{{"job_id":"{job}","time":2.0}}"#),
            ),
            (
                1100,
                "/cnp/assign/m1",
                format!(r#"{{"job_id":"{job}","time":2.0}}"#),
            ),
            (3200, "/cnp/done/m1", format!(r#"{{"job_id":"{job}"}}"#)),
        ] {
            twin.apply(&Event::Message(Message::new(
                at + Duration::milliseconds(ms),
                topic,
                payload.into_bytes(),
            )));
        }
        // The UI refreshes now and then while jobs come in, as it does on its clock.
        if i % 97 == 0 {
            ui.refresh(&twin);
        }
    }
    ui.now = t0() + Duration::seconds(4 * 2500 + 4);
    ui.refresh(&twin);
    assert_eq!(ui.jobs.selected(), Some("JOB_2500"));
    let screen = draw(&twin, &ui, 100, 20);
    assert!(screen.contains("JOB_2500"), "{screen}");
    assert!(!screen.contains("JOB_501 "), "{screen}");
    let m1 = &twin.cnp.machines["m1"];
    assert_eq!((m1.jobs_won, m1.jobs_done), (2500, 2500));
    insta::assert_snapshot!("jobs_after_2500", screen);
}

/// Enter on a device row opens its detail: liveness, its series, its status history and the
/// commands twinview sent to it; Esc goes back to the list.
#[test]
fn device_detail_shows_series_history_and_commands() {
    use twinview::source::event::{Command, CommandEvent, Outcome};
    let mut twin = twin_with_liveness();
    let cmd = Command {
        id: 1,
        topic: "/s4/reset".into(),
        payload: r#"{"command":"RESET"}"#.into(),
        qos: 1,
        retain: false,
        binary: None,
    };
    for outcome in [Outcome::Sent, Outcome::Acknowledged] {
        twin.apply(&Event::Command(CommandEvent {
            at: t0() + Duration::seconds(40),
            command: cmd.clone(),
            outcome,
        }));
    }
    // A reset someone else published, seen on the wire.
    twin.apply(&Event::Message(Message::new(
        t0() + Duration::seconds(45),
        "/s4/reset",
        br#"{"command":"RESET"}"#.to_vec(),
    )));
    let mut ui = ui_at(&twin);
    ui.handle(Action::GoTab(1), &twin);
    // Trouble first: boiler (offline, `sleeping`), then s4.
    ui.handle(Action::Down, &twin);
    assert_eq!(ui.devices.selected(), Some("s4"));
    ui.handle(Action::Enter, &twin);
    let screen = draw(&twin, &ui, 100, 24);
    for want in [
        "s4 — offline",
        "/living_room/temperature/s4",
        "online → offline (offline)",
        "/s4/reset",
        "acknowledged",
        "RESET on /s4/reset",
    ] {
        assert!(screen.contains(want), "{want}\n{screen}");
    }
    insta::assert_snapshot!(screen);
    ui.handle(Action::Back, &twin);
    assert!(!ui.devices.detail);
}

/// The Topics tab: the tree with counts, a JSON payload with the fields that became series
/// marked, and a binary payload in hex.
#[test]
fn topics_tab_tree_json_and_hex() {
    let mut twin = twin_with_liveness();
    twin.apply(&Event::Message(Message::new(
        t0() + Duration::seconds(59),
        "spBv1.0/plant/DDATA/edge1/pump",
        vec![
            0x08, 0xc4, 0x01, 0x12, 0x0b, b'T', b'e', b'm', b'p', 0xff, 0x00,
        ],
    )));
    let mut ui = ui_at(&twin);
    ui.handle(Action::GoTab(4), &twin);
    ui.topics.reveal("home/living-room-01/sensors");
    ui.refresh(&twin);
    assert_eq!(ui.topics.selected(), Some("home/living-room-01/sensors"));
    let screen = draw(&twin, &ui, 140, 36);
    assert!(screen.contains("◂ series"), "{screen}");
    assert!(!screen.contains("Earlier payloads"), "{screen}");
    insta::assert_snapshot!("topics_json", screen);
    // A new payload while the topic is shown: the one before it is listed with its time.
    twin.apply(&Event::Message(Message::new(
        t0() + Duration::seconds(61),
        "home/living-room-01/sensors",
        br#"{"device_id":"living-room-01","temperature_c":23.0,"humidity":41.0}"#.to_vec(),
    )));
    ui.refresh(&twin);
    let screen = draw(&twin, &ui, 140, 36);
    assert!(
        screen.contains("Earlier payloads (seen while this topic was shown)"),
        "{screen}"
    );
    assert!(screen.contains("12:01:00  {\"device_id\""), "{screen}");
    assert!(screen.contains("\"temperature_c\": 23.0"), "{screen}");
    ui.topics.reveal("spBv1.0/plant/DDATA/edge1/pump");
    ui.refresh(&twin);
    let screen = draw(&twin, &ui, 140, 36);
    assert!(screen.contains("00000000  08 c4 01 12"), "{screen}");
    insta::assert_snapshot!("topics_hex", screen);
    // Folding a subtree keeps its count.
    ui.topics.reveal("home");
    ui.refresh(&twin);
    ui.handle(Action::Enter, &twin);
    assert!(ui
        .topics
        .rows()
        .iter()
        .any(|r| r.path == "home" && r.folded && r.under == 2));
}

/// Text states: rows with their value, how long it held and a timeline; the detail with
/// the changes; HA discovery's friendly names.
#[test]
fn text_states_in_the_sensors_tab() {
    let mut twin = Twin::default();
    let mut feed = |sec: i64, topic: &str, payload: &str| {
        twin.apply(&Event::Message(Message::new(
            t0() + Duration::seconds(sec),
            topic,
            payload.as_bytes().to_vec(),
        )));
    };
    feed(
        0,
        "homeassistant/binary_sensor/k/occupancy/config",
        r#"{"name":"Occupancy","state_topic":"zigbee2mqtt/kitchen","value_template":"{{ value_json.occupancy }}","device":{"name":"kitchen","manufacturer":"Xiaomi","model":"RTCGQ11LM"}}"#,
    );
    for (sec, occ, lux) in [
        (0, false, 20),
        (200, true, 25),
        (420, false, 22),
        (590, true, 30),
    ] {
        feed(
            sec,
            "zigbee2mqtt/kitchen",
            &format!(r#"{{"illuminance":{lux},"occupancy":{occ}}}"#),
        );
    }
    feed(10, "homeassistant/weather/home/state", "partlycloudy");
    let mut ui = UiState::new(
        "mqtt://localhost:1883",
        t0() + Duration::seconds(600),
        FixedOffset::east_opt(0).unwrap(),
    );
    ui.refresh(&twin);
    // Rows: [kitchen] illuminance, Occupancy; [weather.home] weather.home.
    ui.handle(Action::Down, &twin);
    assert!(ui.sensors.selected_state().is_some());
    let screen = draw(&twin, &ui, 100, 30);
    assert!(screen.contains("Occupancy"), "{screen}");
    assert!(screen.contains("partlycloudy"), "{screen}");
    assert!(screen.contains("≥9m"), "{screen}");
    assert!(
        screen.contains("since unknown") || screen.contains("changes"),
        "{screen}"
    );
    insta::assert_snapshot!("text_states", screen);
    ui.handle(Action::Enter, &twin);
    let screen = draw(&twin, &ui, 100, 30);
    assert!(screen.contains("3 changes"), "{screen}");
    assert!(screen.contains("12:09:50"), "{screen}");
    insta::assert_snapshot!("text_state_detail", screen);
}

/// A Sparkplug B payload in the Topics tab is shown decoded, not as hex.
#[test]
fn topics_tab_decodes_sparkplug() {
    use twinview::decode::sparkplug::{datatype::*, encode, Metric, Payload, Value};
    let mut twin = Twin::default();
    let birth = encode(&Payload {
        timestamp: Some(1_764_583_200_000),
        seq: Some(1),
        metrics: vec![
            Metric {
                name: Some("Motor/Speed".into()),
                alias: Some(1),
                datatype: Some(DOUBLE),
                unit: Some("rpm".into()),
                value: Value::Float(1450.0),
                ..Metric::default()
            },
            Metric {
                name: Some("Motor/Running".into()),
                alias: Some(2),
                datatype: Some(BOOLEAN),
                value: Value::Bool(true),
                ..Metric::default()
            },
        ],
        cut: 0,
    });
    twin.apply(&Event::Message(Message::new(
        t0(),
        "spBv1.0/plant/DBIRTH/edge1/pump1",
        birth,
    )));
    let mut ui = ui_at(&twin);
    ui.handle(Action::GoTab(4), &twin);
    ui.topics.reveal("spBv1.0/plant/DBIRTH/edge1/pump1");
    ui.refresh(&twin);
    let screen = draw(&twin, &ui, 140, 30);
    assert!(
        screen.contains("Sparkplug B · seq 1 · timestamp 1764583200000 · 2 metrics"),
        "{screen}"
    );
    assert!(
        screen.contains("Motor/Speed (alias 1) = 1450 rpm  [Double]"),
        "{screen}"
    );
    assert!(
        screen.contains("Motor/Running (alias 2) = true  [Boolean]"),
        "{screen}"
    );
}

/// The home world (docs/worlds.md) after ten minutes, as a user would see it.
fn home_twin() -> (Twin, DateTime<Utc>) {
    use twinview::source::replay::{parse_line, Line};
    let mut rec = Vec::new();
    twinview::sim::worlds::write(twinview::sim::worlds::Kind::Home, 7, 600.0, &mut rec).unwrap();
    let mut twin = Twin::default();
    let start = twinview::sim::worlds::offline_start(600.0);
    twin.apply(&Event::Connection(ConnEvent {
        at: start,
        state: ConnState::Connected,
        resumed: false,
    }));
    let mut last_tick: Option<DateTime<Utc>> = None;
    let mut end = start;
    for text in String::from_utf8(rec).unwrap().lines() {
        match parse_line(text).unwrap() {
            Line::Event(ev) => {
                let at = twinview::source::replay::event_time(&ev);
                if last_tick.is_none_or(|t| at - t >= Duration::seconds(1)) {
                    twin.tick(at);
                    last_tick = Some(at);
                }
                twin.apply(&ev);
                end = at;
            }
            Line::End(at) => end = at,
            Line::Header { .. } => {}
        }
    }
    twin.tick(end);
    (twin, end)
}

/// The names a list shows, one per row (the text of the name column up to the first double
/// space), for rows that start with a marker column.
fn listed_names(screen: &str) -> Vec<String> {
    screen
        .lines()
        .filter_map(|l| l.strip_prefix("\"│")?.strip_suffix("│\""))
        .filter_map(|l| {
            let mut chars = l.chars();
            let marker = chars.next()?;
            let rest: String = chars.collect();
            let name = rest.trim_start();
            // Group headings fold (▾ ▸); a row starts with its marker, then its name.
            if name.starts_with(['▾', '▸']) || marker == '│' {
                return None;
            }
            let end = name.find("  ").unwrap_or(name.len());
            let n = name[..end].trim().to_string();
            (!n.is_empty()).then_some(n)
        })
        .collect()
}

#[test]
fn the_home_world_on_every_tab_at_four_sizes_and_no_two_names_alike() {
    let (twin, end) = home_twin();
    let tabs = ["sensors", "devices", "jobs", "log", "topics", "alarms"];
    for (i, tab) in tabs.iter().enumerate() {
        for (w, h) in [(60, 15), (80, 24), (160, 45), (220, 60)] {
            let mut ui = UiState::new(
                "mqtt://localhost:1883",
                end,
                FixedOffset::east_opt(0).unwrap(),
            );
            ui.refresh(&twin);
            ui.handle(Action::GoTab(i), &twin);
            let screen = draw(&twin, &ui, w, h);
            if w <= 80 && matches!(*tab, "sensors" | "devices") {
                let names = listed_names(&screen);
                let mut seen = std::collections::BTreeSet::new();
                for n in &names {
                    assert!(seen.insert(n), "{tab} at {w}×{h}: `{n}` twice in\n{screen}");
                }
            }
            insta::assert_snapshot!(format!("home_{tab}_{w}x{h}"), screen);
        }
    }
}
