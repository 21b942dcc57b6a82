//! Commands from the keyboard: the keys drive the app's own event handling, the confirmed
//! command goes out through the real MQTT source, and a subscriber checks what arrives.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{FixedOffset, TimeZone, Utc};
use rumqttc::{AsyncClient, Event as MqttEvent, MqttOptions, Packet, QoS};
use tokio::sync::mpsc;

use twinview::source::conn::ConnSettings;
use twinview::source::event::{Event, Message, Outcome};
use twinview::source::mqtt::{self, SourceStats};
use twinview::twin::Twin;
use twinview::ui::keys::Action;
use twinview::ui::{Flow, Popup, UiState};

fn twin() -> Twin {
    let mut t = Twin::default();
    let at = Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap();
    for topic in ["/living_room/temperature/s1", "/living_room/temperature/s2"] {
        t.apply(&Event::Message(Message::new(at, topic, b"21.0".to_vec())));
    }
    t
}

/// twinview's own source settings, as the app builds them.
fn conn(port: u16, filter: &str, qos: u8, id: &str) -> ConnSettings {
    ConnSettings {
        host: "127.0.0.1".into(),
        port,
        topics: vec![filter.into()],
        qos,
        client_id: id.into(),
        username: None,
        password: None,
        tls: None,
        mqtt_version: 4,
        session_expiry: 0,
        share: None,
    }
}

fn ui(twin: &Twin) -> UiState {
    let now = Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 1).unwrap();
    let mut ui = UiState::new("test", now, FixedOffset::east_opt(0).unwrap());
    ui.refresh(twin);
    ui
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_key_publishes_exactly_what_the_confirmation_showed() {
    let broker = twinview::sim::broker::start().expect("embedded broker");

    // A subscriber that will see what twinview publishes.
    let mut opts = MqttOptions::new("cmd-watcher", "127.0.0.1", broker.port);
    opts.set_keep_alive(Duration::from_secs(5));
    let (watcher, mut watch_loop) = AsyncClient::new(opts, 10);
    watcher
        .subscribe("/+/reset", QoS::AtLeastOnce)
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        match tokio::time::timeout_at(deadline, watch_loop.poll()).await {
            Ok(Ok(MqttEvent::Incoming(Packet::SubAck(_)))) => break,
            Ok(Ok(_)) => {}
            other => panic!("watcher did not subscribe: {other:?}"),
        }
    }

    // twinview's own source, exactly as the app starts it.
    let conn = conn(broker.port, "nothing/#", 0, "twinview-cmd-test");
    let (tx, mut rx) = mpsc::channel(64);
    let publisher = mqtt::spawn(conn, tx, std::sync::Arc::new(SourceStats::default())).unwrap();
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(Event::Connection(c))) if c.state.is_connected() => break,
            Ok(Some(_)) => {}
            other => panic!("twinview did not connect: {other:?}"),
        }
    }

    // Select s2, press r, check the confirmation, press Enter.
    let twin = twin();
    let mut ui = ui(&twin);
    ui.handle(Action::Down, &twin);
    assert_eq!(ui.handle(Action::Reset, &twin), Flow::Continue);
    let Some(Popup::Confirm(shown)) = ui.popup.clone() else {
        panic!("no confirmation: {:?}", ui.popup)
    };
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0].topic, "/s2/reset");
    assert_eq!(shown[0].qos, 1);
    let Flow::Publish(cmds) = ui.handle(Action::Enter, &twin) else {
        panic!("Enter did not confirm")
    };
    assert_eq!(cmds, shown);
    assert!(ui.popup.is_none());
    publisher.send(cmds[0].clone()).unwrap();

    // The subscriber receives exactly that topic and payload.
    let got = loop {
        match tokio::time::timeout_at(deadline, watch_loop.poll()).await {
            Ok(Ok(MqttEvent::Incoming(Packet::Publish(p)))) => break p,
            Ok(Ok(_)) => {}
            other => panic!("nothing arrived: {other:?}"),
        }
    };
    assert_eq!(got.topic, "/s2/reset");
    assert_eq!(std::str::from_utf8(&got.payload).unwrap(), shown[0].payload);
    let v: serde_json::Value = serde_json::from_slice(&got.payload).unwrap();
    assert_eq!(v["command"], "RESET");
    assert_eq!(v["timestamp"], "2026-11-21T12:00:01.000Z");

    // And twinview learns that the broker acknowledged it.
    let outcome = loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(Event::Command(c))) => break c,
            Ok(Some(_)) => {}
            other => panic!("no command outcome: {other:?}"),
        }
    };
    assert_eq!(outcome.command.id, shown[0].id);
    assert_eq!(outcome.outcome, Outcome::Acknowledged);
}

#[test]
fn escape_cancels_and_read_only_publishes_nothing() {
    let twin = twin();
    let mut ui = ui(&twin);
    ui.handle(Action::Reset, &twin);
    assert!(ui.popup.is_some());
    assert_eq!(ui.handle(Action::Back, &twin), Flow::Continue);
    assert!(ui.popup.is_none());
    assert!(ui
        .flash
        .as_ref()
        .unwrap()
        .0
        .contains("nothing was published"));

    ui.read_only = true;
    for a in [
        Action::Reset,
        Action::ResetAnomalous,
        Action::Control,
        Action::Publish,
        Action::ClearRetained,
    ] {
        assert_eq!(ui.handle(a, &twin), Flow::Continue);
        assert!(
            ui.popup.is_none(),
            "{a:?} opened a dialog in read-only mode"
        );
        assert!(ui.flash.as_ref().unwrap().0.starts_with("read-only"));
    }
}

#[test]
fn control_form_validates_and_confirms() {
    let twin = twin();
    let mut ui = ui(&twin);
    ui.handle(Action::Control, &twin);
    // The value field has focus: clear 25.0 and try with nothing.
    for _ in 0..4 {
        ui.handle(Action::Backspace, &twin);
    }
    ui.handle(Action::Enter, &twin);
    let Some(Popup::ControlForm { error: Some(e), .. }) = &ui.popup else {
        panic!("{:?}", ui.popup)
    };
    assert!(e.contains("needs a value"), "{e}");
    // A word is a value too: it goes out as a JSON string.
    for c in "eco".chars() {
        ui.handle(Action::Char(c), &twin);
    }
    ui.handle(Action::Enter, &twin);
    let Some(Popup::Confirm(cmds)) = &ui.popup else {
        panic!("{:?}", ui.popup)
    };
    assert!(
        cmds[0].payload.contains(r#""value":"eco""#),
        "{}",
        cmds[0].payload
    );
    ui.handle(Action::No, &twin);
    ui.handle(Action::Control, &twin);
    for _ in 0..4 {
        ui.handle(Action::Backspace, &twin);
    }
    for c in "2.5".chars() {
        ui.handle(Action::Char(c), &twin);
    }
    // Switch to the name field and rename the command.
    ui.handle(Action::NextTab, &twin);
    for _ in 0.."SET_THRESHOLD".len() {
        ui.handle(Action::Backspace, &twin);
    }
    for c in "set_interval".chars() {
        ui.handle(Action::Char(c), &twin);
    }
    ui.handle(Action::Enter, &twin);
    let Some(Popup::Confirm(cmds)) = &ui.popup else {
        panic!("{:?}", ui.popup)
    };
    assert_eq!(cmds[0].topic, "digital_twin/lab/control/commands");
    assert_eq!(
        cmds[0].payload,
        r#"{"command":"SET_INTERVAL","value":2.5,"timestamp":"2026-11-21T12:00:01.000Z"}"#
    );
}

/// A zone of five sensors with small noise, one of them (s5) sending two fields; near the end
/// s1, s3 and both of s5's fields spike once. The default detectors open a spike episode on
/// each at the next reading, still open two readings later (an episode closes after five
/// normal ones).
fn twin_with_spikes() -> Twin {
    let mut t = Twin::default();
    let t0 = Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap();
    for i in 0..70i64 {
        let at = t0 + chrono::TimeDelta::seconds(i);
        let noise = |k: i64| ((i * 7 + k * 13) % 11) as f64 * 0.02;
        let spike = |name: &str| {
            if i == 67 && ["s1", "s3", "s5"].contains(&name) {
                25.0
            } else {
                0.0
            }
        };
        for k in 1..=4i64 {
            let name = format!("s{k}");
            let v = 21.0 + noise(k) + spike(&name);
            t.apply(&Event::Message(Message::new(
                at,
                format!("/living_room/temperature/{name}"),
                format!("{v:.3}").into_bytes(),
            )));
        }
        let (a, b) = (21.0 + noise(5) + spike("s5"), 40.0 + noise(6) + spike("s5"));
        t.apply(&Event::Message(Message::new(
            at,
            "/living_room/temperature/s5",
            format!(r#"{{"t":{a:.3},"h":{b:.3}}}"#).into_bytes(),
        )));
    }
    t.tick(t0 + chrono::TimeDelta::seconds(70));
    t
}

/// `R` on Mosquitto: every anomalous sensor is collected, one command per reset topic (s5's
/// two fields share one), shown, confirmed, published; a subscriber sees each exactly once and
/// the broker acknowledges each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_all_anomalous_reaches_every_device_once_through_mosquitto() {
    let Some(m) = common::Mosquitto::start() else {
        return;
    };
    let twin = twin_with_spikes();
    let anomalous: Vec<String> = twin
        .series
        .iter()
        .filter(|s| s.anomalous)
        .map(|s| s.display_name())
        .collect();
    assert_eq!(
        anomalous.len(),
        4,
        "s1, s3 and s5's two fields: {anomalous:?}"
    );

    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut opts = MqttOptions::new("reset-watcher", "127.0.0.1", m.port);
    opts.set_keep_alive(Duration::from_secs(5));
    let (watcher, mut watch_loop) = AsyncClient::new(opts, 10);
    watcher
        .subscribe("/+/reset", QoS::AtLeastOnce)
        .await
        .unwrap();
    loop {
        match tokio::time::timeout_at(deadline, watch_loop.poll()).await {
            Ok(Ok(MqttEvent::Incoming(Packet::SubAck(_)))) => break,
            Ok(Ok(_)) => {}
            other => panic!("watcher did not subscribe: {other:?}"),
        }
    }
    let conn = conn(m.port, "nothing/#", 0, "twinview-reset-all");
    let (tx, mut rx) = mpsc::channel(64);
    let publisher = mqtt::spawn(conn, tx, std::sync::Arc::new(SourceStats::default())).unwrap();
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(Event::Connection(c))) if c.state.is_connected() => break,
            Ok(Some(_)) => {}
            other => panic!("twinview did not connect: {other:?}"),
        }
    }

    let mut ui = ui(&twin);
    ui.handle(Action::ResetAnomalous, &twin);
    let Some(Popup::Confirm(shown)) = ui.popup.clone() else {
        panic!("no confirmation: {:?}", ui.popup)
    };
    let mut topics: Vec<&str> = shown.iter().map(|c| c.topic.as_str()).collect();
    topics.sort();
    assert_eq!(topics, ["/s1/reset", "/s3/reset", "/s5/reset"]);
    let Flow::Publish(cmds) = ui.handle(Action::Confirm, &twin) else {
        panic!("y did not confirm")
    };
    assert_eq!(cmds, shown);
    for c in &cmds {
        publisher.send(c.clone()).unwrap();
    }

    // Each arrives once: collect until all three came, then a short quiet spell for repeats.
    let mut got: BTreeMap<String, (usize, String)> = BTreeMap::new();
    let mut quiet_until = None;
    loop {
        let until = quiet_until.unwrap_or(deadline);
        match tokio::time::timeout_at(until, watch_loop.poll()).await {
            Ok(Ok(MqttEvent::Incoming(Packet::Publish(p)))) => {
                let e = got.entry(p.topic.clone()).or_default();
                e.0 += 1;
                e.1 = String::from_utf8_lossy(&p.payload).into_owned();
                if got.len() == cmds.len() && quiet_until.is_none() {
                    quiet_until = Some(tokio::time::Instant::now() + Duration::from_millis(500));
                }
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => panic!("watcher: {e}"),
            Err(_) if quiet_until.is_some() => break,
            Err(_) => panic!("only {got:?} arrived"),
        }
    }
    for c in &cmds {
        assert_eq!(got[&c.topic], (1, c.payload.clone()), "{}", c.topic);
    }
    let mut acked = Vec::new();
    while acked.len() < cmds.len() {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(Event::Command(c))) => {
                assert_eq!(c.outcome, Outcome::Acknowledged, "{}", c.command.topic);
                acked.push(c.command.id);
            }
            Ok(Some(_)) => {}
            other => panic!("acknowledgements missing: {other:?}"),
        }
    }
    acked.sort();
    let mut ids: Vec<u64> = cmds.iter().map(|c| c.id).collect();
    ids.sort();
    assert_eq!(acked, ids);
}

/// `X` on a folder of the Topics tab clears its retained messages (the count confirmed first),
/// `P` publishes any message prefilled from the selected topic; through twinview's own MQTT
/// source to Mosquitto, checked by a real `mosquitto_sub` asking for retained messages only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_and_retained_clear_reach_mosquitto_sub() {
    let Some(m) = common::Mosquitto::start() else {
        return;
    };
    let Some(sub) = common::find_tool("mosquitto_sub") else {
        return;
    };
    common::publish_retained(
        m.port,
        &[
            ("home/a".into(), b"old-a".to_vec()),
            ("home/b".into(), b"old-b".to_vec()),
            ("other/x".into(), b"keep".to_vec()),
        ],
    )
    .await;
    let conn = conn(m.port, "#", 1, "twinview-publish-test");
    let (tx, mut rx) = mpsc::channel(64);
    let publisher = mqtt::spawn(conn, tx, std::sync::Arc::new(SourceStats::default())).unwrap();
    // The twin as the app builds it: the three retained messages, retain flag and all, and a
    // live command topic in the same folder that never delivered a retained message (it must
    // not be cleared: an empty retained message there would reach a device).
    let mut twin = Twin::default();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while twin.messages < 3 {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(ev)) => twin.apply(&ev),
            other => panic!("the retained messages did not arrive: {other:?}"),
        }
    }
    common::publish_all(m.port, &[("home/valve/set".into(), b"OPEN".to_vec())]).await;
    while twin.messages < 4 {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(ev)) => twin.apply(&ev),
            other => panic!("the live message did not arrive: {other:?}"),
        }
    }
    let mut ui = ui(&twin);
    ui.tab = twinview::ui::Tab::Topics;
    ui.topics.reveal("home");
    ui.refresh(&twin);
    assert_eq!(ui.topics.selected(), Some("home"));
    ui.handle(Action::ClearRetained, &twin);
    let Some(Popup::ConfirmCount { cmds, .. }) = ui.popup.clone() else {
        panic!("no count to confirm: {:?}", ui.popup)
    };
    assert_eq!(cmds.len(), 2);
    ui.handle(Action::Confirm, &twin);
    let Flow::Publish(clears) = ui.handle(Action::Confirm, &twin) else {
        panic!("the clear was not confirmed: {:?}", ui.popup)
    };
    let topics: Vec<(&str, &str, bool)> = clears
        .iter()
        .map(|c| (c.topic.as_str(), c.payload.as_str(), c.retain))
        .collect();
    assert_eq!(topics, [("home/a", "", true), ("home/b", "", true)]);

    // P on home/a: prefilled with its last payload; typed over, made retained.
    ui.topics.reveal("home/a");
    ui.refresh(&twin);
    ui.handle(Action::Publish, &twin);
    let Some(Popup::PublishForm { topic, payload, .. }) = ui.popup.clone() else {
        panic!("no publish form: {:?}", ui.popup)
    };
    assert_eq!((topic.as_str(), payload.as_str()), ("home/a", "old-a"));
    for _ in 0..5 {
        ui.handle(Action::Backspace, &twin);
    }
    for c in "new-a".chars() {
        ui.handle(Action::Char(c), &twin);
    }
    ui.handle(Action::NextTab, &twin); // QoS
    ui.handle(Action::Char('1'), &twin);
    ui.handle(Action::NextTab, &twin); // retain
    ui.handle(Action::Char('y'), &twin);
    ui.handle(Action::Enter, &twin);
    let Some(Popup::Confirm(shown)) = ui.popup.clone() else {
        panic!("no confirmation: {:?}", ui.popup)
    };
    let Flow::Publish(new) = ui.handle(Action::Confirm, &twin) else {
        panic!("the publish was not confirmed")
    };
    assert_eq!(new, shown);
    assert_eq!(
        (new[0].payload.as_str(), new[0].qos, new[0].retain),
        ("new-a", 1, true)
    );

    for c in clears.iter().chain(&new) {
        publisher.send(c.clone()).unwrap();
    }
    // Every one acknowledged (QoS 1), in order.
    let mut acked = 0;
    while acked < 3 {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(Event::Command(c))) => {
                assert_eq!(c.outcome, Outcome::Acknowledged, "{c:?}");
                acked += 1;
            }
            Ok(Some(_)) => {}
            other => panic!("only {acked} of 3 acknowledged: {other:?}"),
        }
    }
    let out = std::process::Command::new(sub)
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &m.port.to_string(),
            "-t",
            "#",
            "-v",
            "--retained-only",
            "-W",
            "2",
        ])
        .output()
        .unwrap();
    let mut lines: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(String::from)
        .collect();
    lines.sort();
    assert_eq!(
        lines,
        ["home/a new-a", "other/x keep"],
        "retained after: {lines:?}"
    );
}
