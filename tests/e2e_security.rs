//! TLS, authentication, refusals, a broker restart and a topic flood, against a Mosquitto the
//! test configures and starts itself (certificates made with openssl at test time).

mod common;

use std::process::Command;
use std::time::Duration;

use common::*;
use serde_json::Value;

fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .env_remove("TWINVIEW_PASSWORD")
        .output()
        .expect("run twinview");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn mosquitto_pub(port: u16, extra: &[&str], topic: &str, msg: &str) {
    let port = port.to_string();
    let mut args = vec!["-p", &port, "-t", topic, "-m", msg, "-r", "-q", "1"];
    args.extend(extra);
    let out = Command::new("mosquitto_pub")
        .args(&args)
        .output()
        .expect("mosquitto_pub");
    assert!(
        out.status.success(),
        "mosquitto_pub: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn tls_with_a_ca_client_certificates_and_every_refusal() {
    let pki = TempDir::new("pki");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(pki.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    make_pki(pki.path());
    let p = |f: &str| pki.path().join(f).to_str().unwrap().to_string();
    let (ca, crt, key) = (p("ca.crt"), p("client.crt"), p("client.key"));
    let Some(m) = Mosquitto::start_with(|_| {
        format!(
            "cafile {}\ncertfile {}\nkeyfile {}\nrequire_certificate true\n",
            p("ca.crt"),
            p("server.crt"),
            p("server.key")
        )
    }) else {
        return;
    };
    let port = m.port.to_string();
    mosquitto_pub(
        m.port,
        &[
            "-h",
            "localhost",
            "--cafile",
            &ca,
            "--cert",
            &crt,
            "--key",
            &key,
        ],
        "tls/s1/temperature",
        "21.5",
    );

    // Trusted CA, right host name, client certificate: the retained reading arrives.
    let (code, out, err) = run(&[
        "--headless",
        "--tls",
        "--ca",
        &ca,
        "--cert",
        &crt,
        "--key",
        &key,
        "-b",
        "localhost",
        "-p",
        &port,
        "-t",
        "tls/#",
        "--count",
        "1",
        "--duration",
        "20s",
    ]);
    assert_eq!(code, Some(0), "{err}");
    let snap: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(snap["source"], format!("mqtts://localhost:{port}"));
    assert_eq!(snap["sensors"][0]["last"], 21.5);

    // Untrusted certificate (the system roots do not know our CA).
    let (code, _, err) = run(&[
        "--headless",
        "--tls",
        "--cert",
        &crt,
        "--key",
        &key,
        "-b",
        "localhost",
        "-p",
        &port,
    ]);
    assert_eq!(code, Some(3), "{err}");
    assert!(
        err.contains(&format!(
            "cannot connect to mqtts://localhost:{port}: the broker's certificate is not trusted"
        )),
        "{err}"
    );

    // Wrong host name: the certificate is for localhost, not 127.0.0.1.
    let (code, _, err) = run(&[
        "--headless",
        "--tls",
        "--ca",
        &ca,
        "--cert",
        &crt,
        "--key",
        &key,
        "-b",
        "127.0.0.1",
        "-p",
        &port,
    ]);
    assert_eq!(code, Some(3), "{err}");
    assert!(
        err.contains("not valid for the host name `127.0.0.1`"),
        "{err}"
    );

    // No client certificate where the broker requires one.
    let (code, _, err) = run(&[
        "--headless",
        "--tls",
        "--ca",
        &ca,
        "-b",
        "localhost",
        "-p",
        &port,
    ]);
    assert_eq!(code, Some(3), "{err}");
    assert!(
        err.starts_with(&format!(
            "twinview: cannot connect to mqtts://localhost:{port}:"
        )),
        "{err}"
    );

    // --insecure connects to the untrusted broker, and says so.
    let (code, out, err) = run(&[
        "--headless",
        "--tls",
        "--insecure",
        "--cert",
        &crt,
        "--key",
        &key,
        "-b",
        "127.0.0.1",
        "-p",
        &port,
        "-t",
        "tls/#",
        "--count",
        "1",
        "--duration",
        "20s",
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("TLS certificate verification is OFF"), "{err}");
    assert!(out.contains("(INSECURE)"));

    // Plain MQTT against the TLS port, and TLS against a closed port.
    let (code, _, err) = run(&[
        "--headless",
        "-b",
        "127.0.0.1",
        "-p",
        &port,
        "--duration",
        "10s",
    ]);
    assert_eq!(code, Some(3), "{err}");
    let closed = free_port().to_string();
    let (code, _, err) = run(&[
        "--headless",
        "--tls",
        "--ca",
        &ca,
        "-b",
        "localhost",
        "-p",
        &closed,
    ]);
    assert_eq!(code, Some(3), "{err}");
    assert!(err.contains("connection refused"), "{err}");
    assert!(!err.contains("panicked"));
}

#[test]
fn passwords_from_a_file_or_the_environment_and_refusals() {
    let Some(m) = Mosquitto::start_with(|dir| {
        let pw = dir.join("passwd");
        let out = Command::new("mosquitto_passwd")
            .args(["-b", "-c", pw.to_str().unwrap(), "ops", "s3cret-pw"])
            .output()
            .expect("mosquitto_passwd");
        assert!(out.status.success());
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(0o644)).unwrap();
        format!("allow_anonymous false\npassword_file {}\n", pw.display())
    }) else {
        return;
    };
    let port = m.port.to_string();
    let dir = TempDir::new("pw");
    let good = dir.path().join("good");
    let bad = dir.path().join("bad");
    std::fs::write(&good, "s3cret-pw\n").unwrap();
    std::fs::write(&bad, "wrong\n").unwrap();
    mosquitto_pub(
        m.port,
        &["-h", "127.0.0.1", "-u", "ops", "-P", "s3cret-pw"],
        "pw/s1/t",
        "7",
    );

    let (code, out, err) = run(&[
        "--headless",
        "-b",
        "127.0.0.1",
        "-p",
        &port,
        "-u",
        "ops",
        "--password-file",
        good.to_str().unwrap(),
        "-t",
        "pw/#",
        "--count",
        "1",
        "--duration",
        "20s",
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("\"last\": 7.0"));
    assert!(!err.contains("s3cret-pw") && !out.contains("s3cret-pw"));

    let (code, _, err) = run(&[
        "--headless",
        "-b",
        "127.0.0.1",
        "-p",
        &port,
        "-u",
        "ops",
        "--password-file",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(3));
    // Mosquitto 2 answers a wrong password with "not authorised" (CONNACK 5).
    let line = format!("twinview: cannot connect to mqtt://127.0.0.1:{port}: ");
    assert!(
        err.trim() == format!("{line}not authorised")
            || err.trim() == format!("{line}bad user name or password"),
        "{err}"
    );
    let (code, _, err) = run(&["--headless", "-b", "127.0.0.1", "-p", &port]);
    assert_eq!(code, Some(3), "{err}");
    assert!(
        err.contains("not authorised") || err.contains("bad user name or password"),
        "{err}"
    );

    // MQTT 5: the same session, and a refusal that names its reason code.
    let (code, out, err) = run(&[
        "--headless",
        "--mqtt-version",
        "5",
        "-b",
        "127.0.0.1",
        "-p",
        &port,
        "-u",
        "ops",
        "--password-file",
        good.to_str().unwrap(),
        "-t",
        "pw/#",
        "--count",
        "1",
        "--duration",
        "20s",
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("\"last\": 7.0"));
    let (code, _, err) = run(&[
        "--headless",
        "--mqtt-version",
        "5",
        "-b",
        "127.0.0.1",
        "-p",
        &port,
        "-u",
        "ops",
        "--password-file",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(3));
    assert!(err.contains("(reason code "), "{err}");

    // TWINVIEW_PASSWORD works too, and never shows up anywhere.
    let out = Command::new(BIN)
        .args([
            "--headless",
            "-b",
            "127.0.0.1",
            "-p",
            &port,
            "-u",
            "ops",
            "-t",
            "pw/#",
            "--count",
            "1",
            "--duration",
            "20s",
        ])
        .env("TWINVIEW_PASSWORD", "s3cret-pw")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!all.contains("s3cret-pw"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_restart_is_survived_with_state_kept_and_no_duplicates() {
    let Some(mut m) = Mosquitto::start() else {
        return;
    };
    let port = m.port.to_string();
    let dir = TempDir::new("restart");
    let rec = dir.path().join("restart.jsonl");
    let mut tv = Twinview::spawn(&[
        "--headless",
        "-b",
        "127.0.0.1",
        "-p",
        &port,
        "-t",
        "rs/#",
        "--qos",
        "1",
        "--record",
        rec.to_str().unwrap(),
        "--count",
        "20",
        "--duration",
        "60s",
    ]);
    tv.wait_for_stderr("subscribed to rs/#", Duration::from_secs(15));
    let before: Vec<(String, Vec<u8>)> = (0..10)
        .map(|i| ("rs/a/t".to_string(), format!("{i}").into_bytes()))
        .collect();
    publish_all(m.port, &before).await;
    m.restart();
    tv.wait_for_stderr("reconnecting", Duration::from_secs(15));
    tv.wait_for_stderr("subscribed to rs/#", Duration::from_secs(30));
    let after: Vec<(String, Vec<u8>)> = (0..10)
        .map(|i| ("rs/b/t".to_string(), format!("{}", 100 + i).into_bytes()))
        .collect();
    publish_all(m.port, &after).await;
    let (status, out) = tv.finish(Duration::from_secs(20));
    assert!(status.success());
    let snap: Value = serde_json::from_str(&out).unwrap();
    let count = |t: &str| {
        snap["sensors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["topic"] == t)
            .map(|s| s["count"].as_u64().unwrap())
    };
    // Both sides of the gap, each reading exactly once.
    assert_eq!(count("rs/a/t"), Some(10));
    assert_eq!(count("rs/b/t"), Some(10));
    assert_eq!(snap["messages"], 20);
    // The outage is in the recording.
    let text = std::fs::read_to_string(&rec).unwrap();
    assert!(text.contains(r#""event":"disconnected""#), "{text}");
    assert_eq!(text.matches(r#""event":"connected""#).count(), 2);
}

/// A `/proc/PID/status` field in kB (Linux); None once the process is gone or a zombie.
fn proc_kb(pid: u32, field: &str) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

/// 20,000 topics with `--max-series 500`: 500 series and devices are kept, the rest evicted
/// and counted, and memory grows by what 500 series cost, not 20,000. The bound: peak RSS at
/// most 30 MB above the RSS before the flood. Measured on this debug build: +10.5 MB with the
/// limit (500 series at the documented < 5 kB each, BENCHMARKS.md "Memory per series", plus
/// the source channel holding the flood and allocator slack), +120 MB without it (20,000
/// series kept); the bound sits about 3× from each.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_topic_flood_beyond_max_series_stays_bounded() {
    const TOPICS: usize = 20_000;
    let Some(m) = Mosquitto::start() else { return };
    let port = m.port.to_string();
    // One message more than the flood: twinview stays up after the flood until the test has
    // read its high-water mark, so the peak is always sampled (a run that ended before the
    // first sample would have passed with no measurement).
    let count = (TOPICS + 1).to_string();
    let mut tv = Twinview::spawn(&[
        "--headless",
        "-b",
        "127.0.0.1",
        "-p",
        &port,
        "-t",
        "flood/#",
        "--max-series",
        "500",
        "--count",
        &count,
        "--duration",
        "90s",
    ]);
    tv.wait_for_stderr("subscribed to flood/#", Duration::from_secs(15));
    let pid = tv.pid();
    let before_kb = proc_kb(pid, "VmRSS:").expect("twinview's RSS before the flood");
    let msgs: Vec<(String, Vec<u8>)> = (0..TOPICS)
        .map(|i| (format!("flood/dev{i}/temperature"), b"20.5".to_vec()))
        .collect();
    publish_all(m.port, &msgs).await;
    // The high-water mark only grows: sample it until it has not moved for two seconds (the
    // flood ingested), at most 60 s.
    let mut peak_kb = before_kb;
    let (mut samples, mut still_since) = (0, std::time::Instant::now());
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while std::time::Instant::now() < deadline && !tv_done(pid) {
        let Some(kb) = proc_kb(pid, "VmHWM:") else {
            break;
        };
        samples += 1;
        if kb > peak_kb {
            peak_kb = kb;
            still_since = std::time::Instant::now();
        } else if still_since.elapsed() > Duration::from_secs(2) {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(samples > 0, "the peak was never sampled");
    assert!(!tv_done(pid), "twinview ended before the last message");
    publish_all(m.port, &[("flood/last".to_string(), b"1".to_vec())]).await;
    let grew = peak_kb.saturating_sub(before_kb);
    eprintln!("topic flood: RSS {before_kb} kB before, peak {peak_kb} kB (+{grew} kB)");
    let (status, out) = tv.finish(Duration::from_secs(60));
    assert!(status.success());
    let snap: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(snap["messages"], TOPICS as u64 + 1);
    let kept = snap["sensors"].as_array().unwrap().len();
    assert!(kept <= 500, "{kept} series kept");
    assert!(snap["devices"].as_array().unwrap().len() <= 500);
    assert!(snap["evicted"].as_u64().unwrap() >= (TOPICS as u64 - 500) * 2 - 10);
    assert!(
        grew <= 30 * 1024,
        "peak RSS {peak_kb} kB, {grew} kB above the {before_kb} kB before the flood"
    );
}

/// Whether the process has written its snapshot and is exiting (a zombie or gone).
fn tv_done(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            s.rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next())
                .is_some_and(|state| state == "Z" || state == "X")
        })
        .unwrap_or(true)
}

/// Terminal injection (#14): wire text that reaches stderr — a job id, an alert's sensor
/// names, a device's status word — arrives with escape sequences through Mosquitto; twinview's
/// log shows them as visible escapes, never as raw control characters, while the snapshot keeps
/// the exact text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escape_sequences_from_the_wire_never_reach_the_terminal_raw() {
    let Some(m) = Mosquitto::start() else { return };
    let port = m.port.to_string();
    let mut tv = Twinview::spawn_with_log(
        &[
            "--headless",
            "-b",
            "127.0.0.1",
            "-p",
            &port,
            "--count",
            "4",
            "--no-sys",
            "--duration",
            "30s",
        ],
        "debug",
    );
    tv.wait_for_stderr("subscribed to #", Duration::from_secs(15));
    let evil = "\u{1b}]0;PWNED\u{7}\u{1b}[2J\u{202e}";
    let esc = |s: &str| serde_json::to_string(s).unwrap();
    publish_all(
        m.port,
        &[
            (
                "/cnp/cfp".into(),
                format!(r#"{{"job_id":{},"job_type":"drilling"}}"#, esc(evil)).into_bytes(),
            ),
            (
                "/zone/temperature/alert".into(),
                format!("[{}]", esc(&format!("s1{evil}"))).into_bytes(),
            ),
            (
                "/zone/s9/status".into(),
                format!("offline{evil}").into_bytes(),
            ),
            ("/zone/temperature/s1".into(), evil.as_bytes().to_vec()),
        ],
    )
    .await;
    let (status, out) = tv.finish(Duration::from_secs(20));
    assert!(status.success());
    let err = tv.stderr_rest();
    assert!(
        !err.contains('\u{1b}') && !err.contains('\u{7}') && !err.contains('\u{202e}'),
        "raw control characters on stderr:\n{}",
        err.escape_debug()
    );
    assert!(err.contains("\\u{1b}]0;PWNED\\u{7}"), "{err}");
    // The JSON keeps the exact text.
    let snap: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(snap["jobs"][0]["job_id"], evil);
}

/// A retained payload over 16 MiB (#14 item 4) used to make twinview reconnect forever: its
/// client refused the packet, reconnected, and was sent it again. Now it is taken and counted
/// once as undecoded, and every other message arrives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retained_payload_over_16_mib_is_counted_once_not_a_reconnect_loop() {
    let Some(m) = Mosquitto::start() else { return };
    publish_retained(m.port, &[("big/blob".into(), vec![b'x'; 17 << 20])]).await;
    let port = m.port.to_string();
    let mut tv = Twinview::spawn(&[
        "--headless",
        "-b",
        "127.0.0.1",
        "-p",
        &port,
        "-t",
        "big/#",
        "--count",
        "301",
        "--duration",
        "40s",
    ]);
    tv.wait_for_stderr("subscribed to big/#", Duration::from_secs(15));
    let msgs: Vec<(String, Vec<u8>)> = (0..300)
        .map(|i| (format!("big/s{}/temperature", i % 3), b"20.5".to_vec()))
        .collect();
    publish_all(m.port, &msgs).await;
    let (status, out) = tv.finish(Duration::from_secs(40));
    assert!(status.success());
    let err = tv.stderr_rest();
    assert!(!err.contains("reconnecting"), "{err}");
    let snap: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(snap["messages"], 301);
    let big = snap["undecoded_topics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["topic"] == "big/blob")
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        (big["count"].as_u64(), big["reason"].as_str()),
        (Some(1), Some("payload too large")),
        "{big}"
    );
}

/// Round three's hostile loads through a real broker (issue #34 items 1, 5, 6): a Sparkplug
/// birth of 2,000 arrays, 100 discovery configs naming one state topic and one with a 1 MB
/// name, and topics of 60 kB. Each is bounded and counted in the snapshot.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_three_loads_through_mosquitto_are_bounded_and_counted() {
    let Some(m) = Mosquitto::start() else { return };
    let mut tv = Twinview::headless(m.port, "#", &["--duration", "8s"]);
    fn varint(out: &mut Vec<u8>, mut x: u64) {
        while x >= 0x80 {
            out.push((x as u8) | 0x80);
            x >>= 7;
        }
        out.push(x as u8);
    }
    fn field(out: &mut Vec<u8>, n: u64, b: &[u8]) {
        varint(out, n << 3 | 2);
        varint(out, b.len() as u64);
        out.extend_from_slice(b);
    }
    // NBIRTH { metrics: 2,000 × { name, datatype = Int8Array (22), bytes_value: 64 bytes } }
    let mut birth = Vec::new();
    for i in 0..2000 {
        let mut metric = Vec::new();
        field(&mut metric, 1, format!("a{i}").as_bytes());
        varint(&mut metric, 4 << 3);
        varint(&mut metric, 22);
        field(&mut metric, 16, &[7u8; 64]);
        field(&mut birth, 2, &metric);
    }
    let mut msgs: Vec<(String, Vec<u8>)> = vec![("spBv1.0/g/NBIRTH/edge".into(), birth)];
    for i in 0..100 {
        msgs.push((
            format!("homeassistant/sensor/s{i}/config"),
            serde_json::json!({"name": format!("s{i}"), "state_topic": "home/one"})
                .to_string()
                .into_bytes(),
        ));
    }
    msgs.push((
        "homeassistant/sensor/big/config".into(),
        serde_json::json!({"name": "x".repeat(1_000_000), "state_topic": "home/big"})
            .to_string()
            .into_bytes(),
    ));
    for i in 0..5 {
        msgs.push((format!("long/{i}/{}", "t".repeat(60_000)), b"21.5".to_vec()));
    }
    publish_all(m.port, &msgs).await;
    let (status, out) = tv.finish(Duration::from_secs(30));
    assert!(status.success(), "{}", tv.stderr_rest());
    let snap: Value = serde_json::from_str(&out).unwrap();
    let node = &snap["sparkplug"]["nodes"][0];
    assert_eq!(node["values_cut"], 2000 - 64, "{node}");
    let arrays = snap["sensors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["topic"] == "spBv1.0/g/NDATA/edge")
        .count();
    assert_eq!(arrays, 4096, "64 arrays of 64 elements");
    assert_eq!(snap["evicted_entries"]["discovery_configs"], 100 - 64 + 1);
    let long: Vec<&Value> = snap["undecoded_topics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["reason"] == "topic over 1,024 bytes")
        .collect();
    assert_eq!(long.len(), 5);
    assert!(long
        .iter()
        .all(|u| u["topic"].as_str().unwrap().len() <= 203));
    assert!(!snap["sensors"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["topic"].as_str().unwrap().starts_with("long/")));
}
