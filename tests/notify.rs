//! Alarm notifications delivered to real receivers started by the test: an HTTP server (plain
//! webhooks, the chat template, ntfy's JSON endpoint, HTTPS) and an SMTP server (aiosmtpd:
//! plain, STARTTLS with a password, TLS from the start), including a receiver that is down
//! when the alarm is raised and comes back, and one that answers 503 at first. Each
//! transition must arrive exactly once. Loopback only; every wait bounded.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

const RECEIVERS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/receivers.py");

/// A Python 3 that has aiosmtpd (Debian's python3-aiosmtpd); missing, a skip, or a failure
/// under CI.
fn python() -> Option<PathBuf> {
    for p in ["/usr/bin/python3", "python3"] {
        let ok = Command::new(p)
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return Some(PathBuf::from(p));
        }
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("python3 with aiosmtpd is not installed, and CI=true: apt-get install -y python3-aiosmtpd");
    }
    eprintln!("SKIPPED: python3 with aiosmtpd is not installed (apt-get install python3-aiosmtpd)");
    None
}

/// A receiver process writing one JSON line per delivery to `out`; killed on drop.
struct Receiver {
    child: Child,
    out: PathBuf,
}

impl Receiver {
    fn start(py: &Path, mode: &str, port: u16, out: &Path, extra: &[&str]) -> Receiver {
        let mut child = Command::new(py)
            .arg(RECEIVERS)
            .args([mode, &port.to_string(), out.to_str().unwrap()])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        // "ready" on stdout once it listens.
        let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        std::io::BufRead::read_line(&mut stdout, &mut line).unwrap();
        assert_eq!(line.trim(), "ready", "the {mode} receiver did not start");
        assert!(wait_for_port(port, Duration::from_secs(10)));
        Receiver {
            child,
            out: out.to_path_buf(),
        }
    }

    fn received(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.out)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// What arrived once `n` deliveries are there (or 20 s have passed).
    fn wait_for(&self, n: usize) -> Vec<Value> {
        let start = Instant::now();
        while self.received().len() < n && start.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_millis(100));
        }
        self.received()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const RULE: &str = r#"
[[alarms]]
name = "freezer warm"
priority = "critical"
when = "value"
topic = "home/+/temperature"
above = -10.0
deadband = 2.0
message = "{name}: {subject} at {value} °C"
"#;

/// Runs twinview headless with `RULE` and `args`, raising the alarm and clearing it with
/// readings through Mosquitto; `meanwhile` runs after the alarm is raised. Returns the
/// snapshot and stderr.
async fn raise_and_clear(
    m: &Mosquitto,
    dir: &Path,
    args: &[&str],
    meanwhile: impl FnOnce(),
) -> (Value, String) {
    let config = dir.join("config.toml");
    std::fs::write(&config, RULE).unwrap();
    let mut all = vec!["-c", config.to_str().unwrap(), "--duration", "9s"];
    all.extend_from_slice(args);
    let mut tv = Twinview::headless(m.port, "home/#", &all);
    let reading = |v: &str| {
        vec![(
            "home/freezer/temperature".to_string(),
            v.as_bytes().to_vec(),
        )]
    };
    publish_all(m.port, &reading("-18")).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    publish_all(m.port, &reading("-4")).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    meanwhile();
    publish_all(m.port, &reading("-16")).await;
    let (status, out) = tv.finish(Duration::from_secs(40));
    let err = tv.stderr_rest();
    assert!(status.success(), "{err}");
    (serde_json::from_str(&out).unwrap(), err)
}

fn notify_health(snap: &Value) -> (u64, u64, u64) {
    let n = snap["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["output"] == "notify")
        .expect("the notifier is an output");
    (
        n["written"].as_u64().unwrap(),
        n["lost"].as_u64().unwrap(),
        n["queued"].as_u64().unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_ntfy_and_chat_each_get_every_transition_once_even_from_a_receiver_that_was_down()
{
    let Some(m) = Mosquitto::start() else { return };
    let Some(py) = python() else { return };
    let dir = TempDir::new("notify-http");
    let (up, down, flaky) = (free_port(), free_port(), free_port());
    let up_rx = Receiver::start(&py, "http", up, &dir.path().join("up.jsonl"), &[]);
    // Answers 503 twice before it takes anything.
    let flaky_rx = Receiver::start(
        &py,
        "http",
        flaky,
        &dir.path().join("flaky.jsonl"),
        &["--fail", "2"],
    );
    let json = format!("json://127.0.0.1:{up}/hooks/alarm");
    let chat = format!("json://127.0.0.1:{up}/chat?template=chat");
    let ntfy = format!("ntfy://127.0.0.1:{up}/plant-alarms");
    let late = format!("json://127.0.0.1:{down}/late");
    let retried = format!("json://127.0.0.1:{flaky}/retried");
    let mut down_rx = None;
    let (snap, err) = raise_and_clear(
        &m,
        dir.path(),
        &[
            "--notify", &json, "--notify", &chat, "--notify", &ntfy, "--notify", &late, "--notify",
            &retried,
        ],
        || {
            // The late receiver starts after the alarm was raised.
            down_rx = Some(Receiver::start(
                &py,
                "http",
                down,
                &dir.path().join("late.jsonl"),
                &[],
            ));
        },
    )
    .await;
    assert!(err.contains("retrying"), "the failure is said: {err}");
    assert!(!err.contains("not delivered"), "{err}");
    let got = up_rx.wait_for(6);
    let on = |path: &str| -> Vec<&Value> { got.iter().filter(|g| g["path"] == path).collect() };

    // The plain webhook: the transition's JSON document, each once.
    let hooks: Vec<Value> = on("/hooks/alarm")
        .iter()
        .map(|g| serde_json::from_str(g["body"].as_str().unwrap()).unwrap())
        .collect();
    let states: Vec<&str> = hooks.iter().map(|h| h["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["active", "cleared"], "{got:?}");
    assert_eq!(hooks[0]["alarm"], "freezer warm");
    assert_eq!(hooks[0]["priority"], "critical");
    assert_eq!(
        hooks[0]["message"],
        "freezer warm: home/freezer/temperature at -4 °C"
    );
    assert_eq!(on("/hooks/alarm")[0]["content_type"], "application/json");

    // The chat template: {"text": …} only.
    let chats: Vec<Value> = on("/chat")
        .iter()
        .map(|g| serde_json::from_str(g["body"].as_str().unwrap()).unwrap())
        .collect();
    assert_eq!(chats.len(), 2, "{got:?}");
    assert_eq!(
        chats[0],
        serde_json::json!({"text": "[critical] freezer warm active: freezer warm: home/freezer/temperature at -4 °C"})
    );

    // ntfy: its JSON publishing endpoint, topic, title and priority.
    let ntfys: Vec<Value> = on("/")
        .iter()
        .map(|g| serde_json::from_str(g["body"].as_str().unwrap()).unwrap())
        .collect();
    assert_eq!(ntfys.len(), 2, "{got:?}");
    assert_eq!(ntfys[0]["topic"], "plant-alarms");
    assert_eq!(ntfys[0]["priority"], 5);
    assert_eq!(
        ntfys[0]["title"],
        "[CRITICAL] freezer warm: active (home/freezer/temperature)"
    );
    assert!(ntfys[1]["message"]
        .as_str()
        .unwrap()
        .contains("state: cleared"));

    // Down when the alarm was raised, up before the run ended: both, once, in order.
    let late: Vec<Value> = down_rx
        .as_ref()
        .unwrap()
        .wait_for(2)
        .iter()
        .map(|g| serde_json::from_str(g["body"].as_str().unwrap()).unwrap())
        .collect();
    assert_eq!(
        late.iter()
            .map(|h| h["state"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["active", "cleared"]
    );
    assert_eq!(
        late[0]["id"], hooks[0]["id"],
        "the same transition, the same id"
    );
    // 503, 503, then delivered: once.
    let retried = flaky_rx.wait_for(2);
    assert_eq!(retried.len(), 2, "{retried:?}");

    // Two transitions to five targets; nothing lost or left.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(up_rx.received().len(), 6, "no duplicate afterwards");
    let (written, lost, _) = notify_health(&snap);
    assert_eq!(lost, 0);
    assert!(written >= 8, "{written}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_over_starttls_with_a_password_over_tls_and_plain_and_an_https_webhook() {
    let Some(m) = Mosquitto::start() else { return };
    let Some(py) = python() else { return };
    let dir = TempDir::new("notify-smtp");
    make_pki(dir.path());
    let cert = dir.path().join("server.crt");
    let key = dir.path().join("server.key");
    let ca = dir.path().join("ca.crt");
    let (cert, key) = (cert.to_str().unwrap(), key.to_str().unwrap());
    let (p_start, p_tls, p_plain) = (free_port(), free_port(), free_port());
    let starttls = Receiver::start(
        &py,
        "smtp",
        p_start,
        &dir.path().join("starttls.jsonl"),
        &["--starttls", cert, key, "--auth", "ops", "pw-from-file"],
    );
    let tls = Receiver::start(
        &py,
        "smtp",
        p_tls,
        &dir.path().join("tls.jsonl"),
        &["--tls", cert, key],
    );
    let plain = Receiver::start(&py, "smtp", p_plain, &dir.path().join("plain.jsonl"), &[]);
    let p_https = free_port();
    let https = Receiver::start(
        &py,
        "http",
        p_https,
        &dir.path().join("https.jsonl"),
        &["--tls", cert, key],
    );
    let t4 = format!("jsons://localhost:{p_https}/secure");
    let password = dir.path().join("smtp-password");
    std::fs::write(&password, "pw-from-file\n").unwrap();
    let t1 = format!(
        "mailtos://ops@localhost:{p_start}/?to=oncall@plant.example&from=twin@plant.example"
    );
    let t2 = format!("mailtos://localhost:{p_tls}/?to=a@plant.example,b@plant.example&mode=ssl");
    let t3 = format!("mailto://127.0.0.1:{p_plain}/?to=log@plant.example");
    let (snap, err) = raise_and_clear(
        &m,
        dir.path(),
        &[
            "--notify",
            &t1,
            "--notify",
            &t2,
            "--notify",
            &t3,
            "--notify",
            &t4,
            "--notify-ca",
            ca.to_str().unwrap(),
            "--notify-password-file",
            password.to_str().unwrap(),
        ],
        || {},
    )
    .await;
    assert!(!err.contains("pw-from-file"), "the password is never said");
    let got = starttls.wait_for(2);
    assert_eq!(got.len(), 2, "{got:?}\n{err}");
    assert_eq!(got[0]["tls"], true);
    assert_eq!(got[0]["login"], "ops");
    assert_eq!(got[0]["from"], "twin@plant.example");
    assert_eq!(got[0]["to"], serde_json::json!(["oncall@plant.example"]));
    let data = got[0]["data"].as_str().unwrap();
    assert!(
        data.contains("Subject: [CRITICAL] freezer warm: active (home/freezer/temperature)"),
        "{data}"
    );
    assert!(data.contains("Content-Transfer-Encoding: base64"));
    // The body, decoded, says the message and the facts.
    let b64: String = data
        .split("\r\n\r\n")
        .nth(1)
        .or_else(|| data.split("\n\n").nth(1))
        .unwrap()
        .split_whitespace()
        .collect();
    use base64::Engine;
    let body = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(&b64)
            .unwrap(),
    )
    .unwrap();
    assert!(
        body.starts_with("freezer warm: home/freezer/temperature at -4 °C"),
        "{body}"
    );
    assert!(body.contains("state: active"));
    assert!(got[1]["data"].as_str().unwrap().contains("cleared"));

    let got = tls.wait_for(2);
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0]["tls"], true);
    assert_eq!(
        got[0]["to"],
        serde_json::json!(["a@plant.example", "b@plant.example"])
    );
    let got = plain.wait_for(2);
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0]["tls"], false);
    assert_eq!(got[0]["from"], "twinview@127.0.0.1");
    // HTTPS with the same CA.
    let got = https.wait_for(2);
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0]["host"], format!("localhost:{p_https}"));
    let (_, lost, queued) = notify_health(&snap);
    assert_eq!((lost, queued), (0, 0));
}

/// A wrong password is refused by the server for good (535): counted as lost and said, not
/// retried forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_password_is_said_and_counted_not_retried() {
    let Some(m) = Mosquitto::start() else { return };
    let Some(py) = python() else { return };
    let dir = TempDir::new("notify-smtp-refused");
    make_pki(dir.path());
    let (cert, key) = (dir.path().join("server.crt"), dir.path().join("server.key"));
    let port = free_port();
    let rx = Receiver::start(
        &py,
        "smtp",
        port,
        &dir.path().join("out.jsonl"),
        &[
            "--starttls",
            cert.to_str().unwrap(),
            key.to_str().unwrap(),
            "--auth",
            "ops",
            "right",
        ],
    );
    let target = format!("mailtos://ops@localhost:{port}/?to=oncall@plant.example");
    let ca = dir.path().join("ca.crt");
    let (snap, err) = raise_and_clear(
        &m,
        dir.path(),
        &["--notify", &target, "--notify-ca", ca.to_str().unwrap()],
        || {},
    )
    .await;
    // TWINVIEW_NOTIFY_PASSWORD is not set by the harness: no AUTH, so the server refuses
    // MAIL FROM (530 authentication required), permanently.
    assert!(err.contains("not delivered"), "{err}");
    assert!(rx.received().is_empty());
    let (_, lost, _) = notify_health(&snap);
    assert_eq!(lost, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desktop_notification_goes_through_notify_send() {
    let Some(m) = Mosquitto::start() else { return };
    let dir = TempDir::new("notify-desktop");
    // A stand-in notify-send that records its arguments, first on the PATH.
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let log = dir.path().join("notify-send.log");
    let script = format!(
        "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\t' \"$a\"; done >> {}\necho >> {}\n",
        log.display(),
        log.display()
    );
    std::fs::write(bin.join("notify-send"), script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        bin.join("notify-send"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let config = dir.path().join("config.toml");
    std::fs::write(&config, RULE).unwrap();
    let port = m.port.to_string();
    let child = Command::new(BIN)
        .args([
            "--headless",
            "-b",
            "127.0.0.1",
            "-p",
            &port,
            "-t",
            "home/#",
            "-c",
            config.to_str().unwrap(),
            "--notify",
            "desktop://",
            "--duration",
            "5s",
        ])
        .env("PATH", &path)
        .env("TWINVIEW_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let r = |v: &str| {
        vec![(
            "home/freezer/temperature".to_string(),
            v.as_bytes().to_vec(),
        )]
    };
    publish_all(m.port, &r("-18")).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    publish_all(m.port, &r("-3")).await;
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let calls = std::fs::read_to_string(&log).unwrap_or_default();
    let lines: Vec<&str> = calls.lines().collect();
    assert_eq!(lines.len(), 1, "{calls}");
    let args: Vec<&str> = lines[0].trim_end_matches('\t').split('\t').collect();
    assert_eq!(&args[..5], ["-a", "twinview", "-u", "critical", "--"]);
    assert_eq!(
        args[5],
        "[CRITICAL] freezer warm: active (home/freezer/temperature)"
    );
    assert!(args[6].starts_with("freezer warm: home/freezer/temperature at -3 °C"));

    // Without notify-send, desktop:// is an error at start, naming the package.
    let out = Command::new(BIN)
        .args(["--headless", "-d", "1s", "--notify", "desktop://"])
        .env("PATH", dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("libnotify-bin"));
}
