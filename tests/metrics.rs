//! The twin, opened (issue #17), through the binary and a real Mosquitto: `/metrics` scraped by
//! a real Prometheus and queried through its HTTP API, `/snapshot` behind a bearer token,
//! `/healthz`, and two `--share` instances splitting one broker's traffic exactly.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{find_tool, free_port, publish_all, Mosquitto, TempDir, Twinview};
use serde_json::Value;

/// A plain HTTP/1.1 GET on loopback: (status, body).
fn get(port: u16, path: &str, headers: &[(&str, &str)]) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(15))).ok()?;
    let mut req = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).ok()?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok()?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    // Bodies of these servers are small: chunked ones are joined without their sizes.
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        let mut out = String::new();
        let mut rest = body;
        while let Some((size, after)) = rest.split_once("\r\n") {
            let n = usize::from_str_radix(size.trim(), 16).ok()?;
            if n == 0 {
                break;
            }
            out.push_str(after.get(..n)?);
            rest = after.get(n + 2..)?;
        }
        out
    } else {
        body.to_string()
    };
    Some((status, body))
}

/// `q` %-encoded for a query string.
fn percent(q: &str) -> String {
    q.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Polls `f` every 250 ms until it gives something (at most `within`).
fn eventually<T>(within: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let start = Instant::now();
    while start.elapsed() < within {
        if let Some(x) = f() {
            return Some(x);
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshot_token_healthz_and_a_real_prometheus() {
    let Some(m) = Mosquitto::start() else { return };
    let Some(prometheus) = find_tool("prometheus") else {
        return;
    };
    let dir = TempDir::new("metrics");
    let token = dir.path().join("token");
    std::fs::write(&token, "s3cret-token\n").unwrap();
    let mport = free_port();
    let listen = format!("127.0.0.1:{mport}");
    // No --duration: a service runs until SIGTERM.
    let mut tv = Twinview::headless(
        m.port,
        "#",
        &[
            "--metrics",
            &listen,
            "--metrics-token-file",
            token.to_str().unwrap(),
        ],
    );
    let msgs: Vec<(String, Vec<u8>)> = (0..20)
        .map(|i| {
            (
                "/hall/temperature/s1".to_string(),
                format!("{}", 20 + i % 4).into_bytes(),
            )
        })
        .chain([("/hall/s2/status".to_string(), b"offline".to_vec())])
        .collect();
    publish_all(m.port, &msgs).await;

    let (code, body) = eventually(Duration::from_secs(10), || {
        get(mport, "/healthz", &[]).filter(|(c, _)| *c == 200)
    })
    .expect("/healthz answers 200 while connected");
    assert!(body.starts_with("ok"), "{code} {body}");
    assert_eq!(get(mport, "/snapshot", &[]).unwrap().0, 401);
    assert_eq!(
        get(mport, "/snapshot", &[("Authorization", "Bearer nope")])
            .unwrap()
            .0,
        401
    );
    let snap = eventually(Duration::from_secs(10), || {
        let (c, b) = get(
            mport,
            "/snapshot",
            &[("Authorization", "Bearer s3cret-token")],
        )?;
        let v: Value = serde_json::from_str(&b).ok()?;
        (c == 200 && v["messages"] == 21).then_some(v)
    })
    .expect("/snapshot with the token, all 21 messages");
    assert_eq!(snap["twinview"], "snapshot");
    assert_eq!(snap["sensors"][0]["last"], 23.0);

    // A real Prometheus scraping every second.
    let pport = free_port();
    let cfg = dir.path().join("prometheus.yml");
    std::fs::write(
        &cfg,
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: twinview\n    static_configs:\n      - targets: ['{listen}']\n"
        ),
    )
    .unwrap();
    let mut prom = std::process::Command::new(prometheus)
        .arg(format!("--config.file={}", cfg.display()))
        .arg(format!("--web.listen-address=127.0.0.1:{pport}"))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.path().join("tsdb").display()
        ))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start prometheus");
    let query = |q: &str| -> Option<f64> {
        let q = percent(q);
        let (c, b) = get(pport, &format!("/api/v1/query?query={q}"), &[])?;
        let v: Value = serde_json::from_str(&b).ok()?;
        if c != 200 {
            return None;
        }
        v["data"]["result"][0]["value"][1].as_str()?.parse().ok()
    };
    let last = eventually(Duration::from_secs(60), || {
        query(r#"twinview_sensor_last{topic="/hall/temperature/s1"}"#)
    });
    let up = query(r#"twinview_device_up{device="s2"}"#);
    let messages = query("twinview_messages_total");
    // Every query of the Grafana dashboard in deploy/ is one Prometheus accepts.
    let dashboard: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/deploy/grafana-dashboard.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let mut refused = Vec::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        let expr = panel["targets"][0]["expr"]
            .as_str()
            .unwrap()
            .replace("$topic", ".*");
        let q = percent(&expr);
        let ok = get(pport, &format!("/api/v1/query?query={q}"), &[])
            .and_then(|(_, b)| serde_json::from_str::<Value>(&b).ok())
            .is_some_and(|v| v["status"] == "success");
        if !ok {
            refused.push(expr);
        }
    }
    let _ = prom.kill();
    let _ = prom.wait();
    assert_eq!(last, Some(23.0), "Prometheus has the sensor's last value");
    assert_eq!(up, Some(0.0), "and the device's status");
    assert_eq!(messages, Some(21.0), "and the message counter");
    assert!(
        refused.is_empty(),
        "dashboard queries Prometheus refused: {refused:?}"
    );
    // And the scrape configuration in deploy/ is one it accepts.
    if let Some(promtool) = find_tool("promtool") {
        let out = std::process::Command::new(promtool)
            .args([
                "check",
                "config",
                concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/prometheus.yml"),
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }

    // The header would show the scrape; headless ends on SIGTERM with its snapshot.
    // SAFETY: kill(2) on our own child's pid.
    unsafe { libc::kill(tv.pid() as i32, libc::SIGTERM) };
    let (status, out) = tv.finish(Duration::from_secs(20));
    assert!(status.success());
    let end: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(end["messages"], 21);
}

/// Two headless twinviews in one `--share` group on Mosquitto: every message reaches exactly
/// one of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_shared_instances_split_the_traffic_exactly() {
    let Some(m) = Mosquitto::start() else { return };
    let port = m.port.to_string();
    let mut tvs: Vec<Twinview> = (0..2)
        .map(|_| {
            Twinview::spawn(&[
                "--headless",
                "-b",
                "127.0.0.1",
                "-p",
                &port,
                "-t",
                "f/#",
                "--share",
                "g1",
                "--qos",
                "1",
                "--duration",
                "60s",
            ])
        })
        .collect();
    for tv in &mut tvs {
        tv.wait_for_stderr("subscribed to $share/g1/f/#", Duration::from_secs(15));
    }
    let n = 400;
    let msgs: Vec<(String, Vec<u8>)> = (0..n)
        .map(|i| {
            (
                format!("f/temperature/s{}", i % 8),
                format!("{}", i % 7).into_bytes(),
            )
        })
        .collect();
    publish_all(m.port, &msgs).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut total = 0;
    let mut each = Vec::new();
    for tv in &mut tvs {
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(tv.pid() as i32, libc::SIGTERM) };
        let (status, out) = tv.finish(Duration::from_secs(20));
        assert!(status.success());
        let snap: Value = serde_json::from_str(&out).unwrap();
        let got = snap["messages"].as_u64().unwrap();
        each.push(got);
        total += got;
    }
    assert_eq!(
        total, n as u64,
        "each message exactly once between them: {each:?}"
    );
    assert!(each.iter().all(|&x| x > 0), "both took a share: {each:?}");
}

/// A slowloris on `--metrics` (issue #34 item 2): idle connections are closed once the request
/// head is overdue, at most 64 are held at once, and the server answers again afterwards; the
/// broker connection is never starved.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_cannot_hold_the_metrics_server() {
    let Some(m) = Mosquitto::start() else { return };
    let mport = free_port();
    let listen = format!("127.0.0.1:{mport}");
    let mut tv = Twinview::headless(m.port, "#", &["--metrics", &listen, "--duration", "30s"]);
    assert!(
        eventually(Duration::from_secs(10), || get(mport, "/healthz", &[])).is_some(),
        "the server answers"
    );
    // 100 connections that never send a request.
    let idle: Vec<TcpStream> = (0..100)
        .filter_map(|_| TcpStream::connect(("127.0.0.1", mport)).ok())
        .collect();
    assert!(idle.len() >= 64);
    std::thread::sleep(Duration::from_secs(7));
    // Every one has been closed by the server: a read gives end of file (or a reset), where
    // an open connection would time out.
    let mut open = 0;
    for mut s in idle {
        s.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let mut b = [0u8; 16];
        match s.read(&mut b) {
            Ok(0) => {}
            Err(e)
                if e.kind() != std::io::ErrorKind::WouldBlock
                    && e.kind() != std::io::ErrorKind::TimedOut => {}
            _ => open += 1,
        }
    }
    assert_eq!(
        open, 0,
        "idle connections still held after the head's time limit"
    );
    let (status, _) = get(mport, "/healthz", &[]).expect("answers again");
    assert_eq!(status, 200);
    let (st, _) = tv.finish(Duration::from_secs(40));
    assert!(st.success());
}
