//! Sparkplug B: payloads built from the proto through the twin (every scalar type, null,
//! alias-only DATA after BIRTH, DATA before BIRTH, seq gap, stale NDEATH, primary host), and
//! end to end on Mosquitto with the simulated edge node: a host that joins late sees "needs
//! rebirth", asks for a rebirth, gets the births, and sees the node die with its Last Will
//! when it is dropped hard.

mod common;

use std::time::Duration;

use chrono::{TimeZone, Utc};
use common::*;
use serde_json::Value as Json;
use twinview::decode::sparkplug::{datatype::*, encode, rebirth_request, Metric, Payload, Value};
use twinview::outputs::snapshot::Snapshot;
use twinview::source::event::{Event, Message};
use twinview::twin::Twin;

fn m(name: Option<&str>, alias: Option<u64>, dt: Option<u32>, v: Value) -> Metric {
    Metric {
        name: name.map(String::from),
        alias,
        datatype: dt,
        value: v,
        ..Metric::default()
    }
}

fn p(seq: Option<u64>, metrics: Vec<Metric>) -> Vec<u8> {
    encode(&Payload {
        timestamp: Some(1_764_583_200_000),
        seq,
        metrics,
        cut: 0,
    })
}

fn feed(twin: &mut Twin, sec: i64, topic: &str, payload: Vec<u8>) {
    let at = Utc.timestamp_opt(1_764_583_200 + sec, 0).unwrap();
    twin.apply(&Event::Message(Message::new(at, topic, payload)));
}

fn snapshot(twin: &Twin) -> Json {
    let now = Utc.timestamp_opt(1_764_583_300, 0).unwrap();
    serde_json::from_str(&Snapshot::of(twin, "test", 0, now).to_json()).unwrap()
}

fn find<'a>(list: &'a Json, topic: &str, field: &str) -> Option<&'a Json> {
    list.as_array()
        .unwrap()
        .iter()
        .find(|s| s["topic"] == topic && s["field"] == field)
}

#[test]
fn births_data_deaths_and_every_scalar_type_through_the_twin() {
    let mut twin = Twin::default();
    let ddata = "spBv1.0/plant/DDATA/edge1/pump";

    // DATA before any birth: counted, never attributed.
    feed(
        &mut twin,
        0,
        ddata,
        p(
            Some(9),
            vec![m(Some("Speed"), None, Some(DOUBLE), Value::Float(1.0))],
        ),
    );
    feed(
        &mut twin,
        1,
        "spBv1.0/plant/NBIRTH/edge1",
        p(
            Some(0),
            vec![
                m(Some("bdSeq"), None, Some(INT64), Value::Int(5)),
                m(
                    Some("Node Control/Rebirth"),
                    None,
                    Some(BOOLEAN),
                    Value::Bool(false),
                ),
            ],
        ),
    );
    // Every scalar type in a device birth, with aliases; a null; a unit from properties.
    let scalars: Vec<(u32, Value)> = vec![
        (INT8, Value::Int(-8)),
        (INT16, Value::Int(-16)),
        (INT32, Value::Int(-32)),
        (INT64, Value::Int(-64)),
        (UINT8, Value::UInt(8)),
        (UINT16, Value::UInt(16)),
        (UINT32, Value::UInt(32)),
        (UINT64, Value::UInt(64)),
        (FLOAT, Value::Float(1.5)),
        (DOUBLE, Value::Float(2.5)),
        (BOOLEAN, Value::Bool(true)),
        (STRING, Value::Str("Running".into())),
        (TEXT, Value::Str("all good".into())),
        (DATETIME, Value::UInt(1_764_583_200_000)),
    ];
    let mut birth: Vec<Metric> = scalars
        .iter()
        .enumerate()
        .map(|(i, (t, v))| {
            m(
                Some(&format!("T/{}", name(*t))),
                Some(i as u64 + 1),
                Some(*t),
                v.clone(),
            )
        })
        .collect();
    birth.push(Metric {
        unit: Some("rpm".into()),
        ..m(
            Some("Motor/Speed"),
            Some(50),
            Some(DOUBLE),
            Value::Float(1450.0),
        )
    });
    birth.push(Metric {
        is_null: true,
        ..m(Some("Broken"), Some(51), Some(DOUBLE), Value::Null)
    });
    feed(
        &mut twin,
        2,
        "spBv1.0/plant/DBIRTH/edge1/pump",
        p(Some(1), birth),
    );
    // Alias-only DATA: the birth's names, types (a signed value without its type) and units.
    feed(
        &mut twin,
        3,
        ddata,
        p(
            Some(2),
            vec![
                m(None, Some(50), None, Value::Float(1460.0)),
                m(None, Some(1), None, Value::UInt(0xfe)),
                m(None, Some(11), None, Value::Bool(false)),
                m(None, Some(77), None, Value::Float(3.0)),
            ],
        ),
    );
    // A seq gap (3 was lost), and a death of an older session.
    feed(&mut twin, 4, ddata, p(Some(4), vec![]));
    feed(
        &mut twin,
        5,
        "spBv1.0/plant/NDEATH/edge1",
        p(
            None,
            vec![m(Some("bdSeq"), None, Some(INT64), Value::Int(4))],
        ),
    );
    // A broken payload in the namespace; protobuf-looking bytes outside it.
    feed(
        &mut twin,
        6,
        "spBv1.0/plant/NDATA/edge1",
        vec![0x12, 0x09, 0x01],
    );
    feed(&mut twin, 6, "other/topic", p(Some(1), vec![]));
    feed(
        &mut twin,
        7,
        "spBv1.0/STATE/scada",
        br#"{"online":true,"timestamp":1}"#.to_vec(),
    );
    feed(
        &mut twin,
        8,
        "spBv1.0/plant/NCMD/edge1",
        rebirth_request(1_764_583_208_000),
    );

    let s = snapshot(&twin);
    let node = &s["sparkplug"]["nodes"][0];
    assert_eq!(
        node["status"], "online",
        "the stale NDEATH is ignored: {node}"
    );
    assert_eq!(node["stale_deaths"], 1);
    assert_eq!(node["bd_seq"], 5);
    assert_eq!(node["seq_gaps"], 1);
    // One before the birth, one unknown alias (77).
    assert_eq!(node["needs_rebirth"], 2);
    assert_eq!(s["sparkplug"]["hosts"][0]["host"], "scada");
    assert_eq!(s["sparkplug"]["hosts"][0]["online"], true);
    assert_eq!(s["undecoded"], 1, "{}", s["undecoded_topics"]);
    assert_eq!(s["commands_seen"]["Node Control/Rebirth"], 1);

    let (sensors, states) = (&s["sensors"], &s["states"]);
    let speed = find(sensors, ddata, "Motor/Speed").expect("Motor/Speed");
    assert_eq!(speed["last"], 1460.0);
    assert_eq!(speed["unit"], "rpm");
    assert_eq!(speed["count"], 2, "the birth's value and the data's");
    assert_eq!(speed["device"], "plant/edge1/pump");
    for (t, v) in &scalars {
        let field = format!("T/{}", name(*t));
        match v.number() {
            Some(x) if *t != DATETIME => {
                let last = find(sensors, ddata, &field).unwrap_or_else(|| panic!("{field}"))
                    ["last"]
                    .as_f64()
                    .unwrap();
                if *t == INT8 {
                    assert_eq!(last, -2.0, "0xfe as the birth's Int8");
                } else {
                    assert_eq!(last, x, "{field}");
                }
            }
            _ => assert!(find(states, ddata, &field).is_some(), "{field} as a state"),
        }
    }
    assert_eq!(find(states, ddata, "T/Boolean").unwrap()["value"], "false");
    assert_eq!(find(states, ddata, "T/String").unwrap()["value"], "Running");
    assert!(
        find(sensors, ddata, "Broken").is_none(),
        "null is no reading"
    );
    assert!(
        find(sensors, ddata, "Speed").is_none(),
        "data before the birth"
    );
    // The node's control metrics and bdSeq are the session's, not the process's.
    assert!(find(sensors, "spBv1.0/plant/NDATA/edge1", "bdSeq").is_none());
    // Births and data feed one series, on the DATA topic; a DATA topic never received is
    // not listed among the topics.
    let mut fresh = Twin::default();
    feed(
        &mut fresh,
        0,
        "spBv1.0/plant/NBIRTH/edge2",
        p(
            Some(0),
            vec![m(Some("Flow"), Some(1), Some(FLOAT), Value::Float(2.0))],
        ),
    );
    let f = snapshot(&fresh);
    assert!(find(&f["sensors"], "spBv1.0/plant/NDATA/edge2", "Flow").is_some());
    let topics: Vec<&str> = f["topics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["topic"].as_str().unwrap())
        .collect();
    assert_eq!(topics, ["spBv1.0/plant/NBIRTH/edge2"]);

    // The current session's death: node and device offline.
    feed(
        &mut twin,
        9,
        "spBv1.0/plant/NDEATH/edge1",
        p(
            None,
            vec![m(Some("bdSeq"), None, Some(INT64), Value::Int(5))],
        ),
    );
    let s = snapshot(&twin);
    assert_eq!(s["sparkplug"]["nodes"][0]["status"], "offline");
    assert_eq!(
        s["sparkplug"]["nodes"][0]["devices"][0]["status"],
        "offline"
    );
    let dev = s["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == "plant/edge1/pump")
        .unwrap();
    assert_eq!(dev["status"], "offline");
    assert_eq!(dev["convention"], "sparkplug");
}

fn name(t: u32) -> &'static str {
    twinview::decode::sparkplug::datatype::name(t)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_host_asks_for_rebirth_then_sees_the_will_on_a_hard_drop() {
    let Some(mq) = Mosquitto::start() else { return };
    let port = mq.port.to_string();
    // The edge node first: its births go by before twinview subscribes (not retained).
    let mut sim = Twinview::spawn(&[
        "sim",
        "--sparkplug",
        "--sensors",
        "0",
        "--zone-sensors",
        "0",
        "--interval",
        "0.2",
        "-b",
        "127.0.0.1",
        "-p",
        &port,
    ]);
    std::thread::sleep(Duration::from_millis(1500));
    let filter = "spBv1.0/#";
    let mut tv = Twinview::spawn_with_log(
        &[
            "--headless",
            "-b",
            "127.0.0.1",
            "-p",
            &port,
            "-t",
            filter,
            "--duration",
            "60s",
        ],
        "debug",
    );
    tv.wait_for_stderr("subscribed to spBv1.0/#", Duration::from_secs(15));
    tv.wait_for_stderr("before its birth: needs rebirth", Duration::from_secs(15));

    publish_all(
        mq.port,
        &[("spBv1.0/plant/NCMD/edge1".to_string(), rebirth_request(0))],
    )
    .await;
    sim.wait_for_stderr("rebirth requested", Duration::from_secs(10));
    tv.wait_for_stderr("plant/edge1/pump1 is online", Duration::from_secs(10));
    // Some data after the rebirth, then a hard drop: the broker publishes the NDEATH. The node
    // reports by exception: Motor/Speed moves past its deadband in about 30 % of its 0.2 s
    // steps, so 1.5 s (7 steps) left it unreported 8 % of the time; 4 s (20 steps), 0.08 %.
    std::thread::sleep(Duration::from_millis(4000));
    sim.kill_hard();
    tv.wait_for_stderr("plant/edge1 went offline", Duration::from_secs(15));

    unsafe {
        libc::kill(tv.pid() as i32, libc::SIGTERM);
    }
    let (status, out) = tv.finish(Duration::from_secs(20));
    assert!(status.success(), "{status:?}");
    let s: Json = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let node = &s["sparkplug"]["nodes"][0];
    assert_eq!(node["node"], "edge1");
    assert_eq!(node["status"], "offline", "{node}");
    assert_eq!(
        node["births"], 1,
        "the rebirth is the first birth this host saw"
    );
    assert_eq!(node["stale_deaths"], 0);
    assert!(node["needs_rebirth"].as_u64().unwrap() >= 1, "{node}");
    assert_eq!(node["seq_gaps"], 0, "{node}");
    for d in node["devices"].as_array().unwrap() {
        assert_eq!(d["status"], "offline", "{d}");
        assert_eq!(d["births"], 1, "{d}");
    }
    let speed = find(
        &s["sensors"],
        "spBv1.0/plant/DDATA/edge1/pump1",
        "Motor/Speed",
    )
    .expect("Motor/Speed after the rebirth");
    assert_eq!(speed["unit"], "rpm");
    assert!(speed["count"].as_u64().unwrap() >= 2, "{speed}");
    assert!(find(&s["states"], "spBv1.0/plant/DDATA/edge1/tank1", "Mode").is_some());
    assert_eq!(s["undecoded"], 0);
}
