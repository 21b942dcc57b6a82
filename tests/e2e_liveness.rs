//! End-to-end liveness against a real Mosquitto: Last Will on a hard drop, retained status for
//! late joiners, stale after silence and back on the next reading.

mod common;

use std::time::Duration;

use common::*;
use rumqttc::{AsyncClient, Event, LastWill, MqttOptions, Packet, QoS};
use serde_json::Value;

fn device<'a>(snap: &'a Value, id: &str) -> &'a Value {
    snap["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == id)
        .unwrap_or_else(|| panic!("no device {id} in {snap:#}"))
}

/// Connects a device with a retained Last Will `offline` and publishes a retained `online`;
/// returns once the broker acknowledged the status. Aborting the returned task drops the
/// connection without DISCONNECT.
async fn device_online(port: u16, status_topic: &str) -> tokio::task::JoinHandle<()> {
    let mut opts = MqttOptions::new(format!("dev-{}", fastrand::u32(..)), "127.0.0.1", port);
    opts.set_keep_alive(Duration::from_secs(5));
    opts.set_last_will(LastWill::new(
        status_topic,
        "offline",
        QoS::AtLeastOnce,
        true,
    ));
    let (client, mut eventloop) = AsyncClient::new(opts, 10);
    client
        .publish(status_topic, QoS::AtLeastOnce, true, "online")
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let Ok(ev) = tokio::time::timeout_at(deadline, eventloop.poll()).await else {
            panic!("the device's online status was not acknowledged within 10 s");
        };
        if let Ok(Event::Incoming(Packet::PubAck(_))) = ev {
            break;
        }
        ev.expect("device connection");
    }
    tokio::spawn(async move {
        let _client = client;
        while eventloop.poll().await.is_ok() {}
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hard_drop_fires_the_will_and_late_joiners_see_it() {
    let Some(m) = Mosquitto::start() else { return };
    let port = m.port.to_string();
    let args = |count: &'static str| {
        vec![
            "--headless".to_string(),
            "-b".into(),
            "127.0.0.1".into(),
            "-p".into(),
            port.clone(),
            "-t".into(),
            "e2e-live/#".into(),
            "--count".into(),
            count.into(),
            "--duration".into(),
            "30s".into(),
        ]
    };
    let a = args("2");
    let mut tv =
        Twinview::spawn_with_log(&a.iter().map(String::as_str).collect::<Vec<_>>(), "debug");
    tv.wait_for_stderr("subscribed to e2e-live/#", Duration::from_secs(15));

    let dev = device_online(m.port, "e2e-live/dev1/status").await;
    tv.wait_for_stderr("dev1 is online", Duration::from_secs(10));
    dev.abort(); // the socket closes without DISCONNECT: the broker publishes the will
                 // The requirement: offline in the snapshot within 2 s of the kill.
    let (status, out) = tv.finish(Duration::from_secs(2));
    assert!(status.success());
    let snap: Value = serde_json::from_str(&out).unwrap();
    let d = device(&snap, "dev1");
    assert_eq!(d["status"], "offline", "{d}");
    assert_eq!(d["convention"], "lwt");
    assert_eq!(d["detail"], "offline");
    assert!(tv.stderr_rest().contains("dev1 went offline"));

    // A subscriber that joins after the will fired learns it from the retained message.
    let a = args("1");
    let mut late = Twinview::spawn(&a.iter().map(String::as_str).collect::<Vec<_>>());
    let (status, out) = late.finish(Duration::from_secs(15));
    assert!(status.success());
    let snap: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(device(&snap, "dev1")["status"], "offline");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_device_goes_stale_and_comes_back_with_its_next_reading() {
    let Some(m) = Mosquitto::start() else { return };
    let port = m.port.to_string();
    let mut tv = Twinview::spawn_with_log(
        &[
            "--headless",
            "-b",
            "127.0.0.1",
            "-p",
            &port,
            "-t",
            "e2e-stale/#",
            "--stale-after",
            "1s",
            "--count",
            "4",
            "--duration",
            "30s",
        ],
        "debug",
    );
    tv.wait_for_stderr("subscribed to e2e-stale/#", Duration::from_secs(15));
    let reading = |v: f64| {
        (
            "e2e-stale/dev2/temperature".to_string(),
            v.to_string().into_bytes(),
        )
    };
    publish_all(m.port, &[reading(20.0), reading(20.5), reading(21.0)]).await;
    tv.wait_for_stderr("dev2 is online", Duration::from_secs(10));
    // No sleep: the twin re-judges liveness every second, and says so when dev2 falls silent.
    tv.wait_for_stderr("dev2 is stale", Duration::from_secs(10));
    publish_all(m.port, &[reading(21.5)]).await;
    let (status, out) = tv.finish(Duration::from_secs(10));
    assert!(status.success());
    assert!(tv.stderr_rest().contains("dev2 is online again"));
    let snap: Value = serde_json::from_str(&out).unwrap();
    let d = device(&snap, "dev2");
    assert_eq!(d["status"], "online", "{d}");
    assert_eq!(d["convention"], "data");
    assert_eq!(d["series"], 1);
}
