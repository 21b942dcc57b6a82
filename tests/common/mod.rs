//! Helpers for end-to-end tests: a Mosquitto the test starts itself, the real twinview
//! binary, and a publisher. Loopback only; every wait is bounded.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rumqttc::{AsyncClient, Event, MqttOptions, Outgoing, Packet, QoS};

pub const BIN: &str = env!("CARGO_BIN_EXE_twinview");

pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn wait_for_port(port: u16, within: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < within {
        if TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    false
}

/// An external program the end-to-end tests need (`mosquitto`, `mosquitto_sub`), looked up in
/// PATH and the usual sbin directories. Missing, it is a skip (said on stderr), except under
/// CI (`CI=true`, exported by `.ci/run`), where it is a failure: every e2e test goes through
/// here, so none can skip silently in CI.
pub fn find_tool(name: &str) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    dirs.extend(["/usr/sbin", "/usr/local/sbin", "/sbin"].map(PathBuf::from));
    let found = dirs.into_iter().map(|d| d.join(name)).find(|p| p.is_file());
    if found.is_none() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{name} is not installed, and CI=true: install it (apt-get install -y mosquitto mosquitto-clients)");
        }
        eprintln!("SKIPPED: {name} is not installed (apt-get install mosquitto mosquitto-clients to run this test)");
    }
    found
}

/// A mosquitto process on a free loopback port, killed on drop.
pub struct Mosquitto {
    pub port: u16,
    child: Child,
    _dir: TempDir,
    bin: PathBuf,
    conf: PathBuf,
}

impl Mosquitto {
    /// Starts mosquitto, or returns `None` (after saying so) when it is not installed.
    /// Under CI (`CI=true`) a missing mosquitto is a failure, not a skip.
    pub fn start() -> Option<Mosquitto> {
        Mosquitto::start_with(|_| String::new())
    }

    /// Starts mosquitto with extra listener configuration; `extra` gets the work directory
    /// (readable by the `mosquitto` user, which the broker drops to when started as root)
    /// and returns lines that follow `listener PORT 127.0.0.1`.
    pub fn start_with(extra: impl FnOnce(&Path) -> String) -> Option<Mosquitto> {
        let bin = find_tool("mosquitto")?;
        let dir = TempDir::new("mosquitto");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let mut extra = extra(dir.path());
        if !extra.contains("allow_anonymous") {
            extra.push_str("allow_anonymous true\n");
        }
        let conf = dir.path().join("mosquitto.conf");
        // Tests run in parallel: another test's broker may win the race for a free port, so
        // make sure the broker listening is ours (bounded retries).
        for _ in 0..5 {
            let port = free_port();
            std::fs::write(
                &conf,
                format!("per_listener_settings false\npersistence false\nlistener {port} 127.0.0.1\n{extra}"),
            )
            .unwrap();
            let mut child = Command::new(&bin)
                .arg("-c")
                .arg(&conf)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start mosquitto");
            let start = Instant::now();
            let mut listening = false;
            while start.elapsed() < Duration::from_secs(10) {
                if child.try_wait().unwrap().is_some() {
                    break; // ours died: the port was taken
                }
                if TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok() {
                    // Listening, and still alive a moment later: it is ours.
                    std::thread::sleep(Duration::from_millis(50));
                    listening = child.try_wait().unwrap().is_none();
                    break;
                }
                std::thread::sleep(Duration::from_millis(25));
            }
            if listening {
                return Some(Mosquitto {
                    port,
                    child,
                    _dir: dir,
                    bin,
                    conf,
                });
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("could not start mosquitto on a free loopback port in 5 tries");
    }
}

impl Mosquitto {
    /// Kills the broker (SIGKILL) and starts it again on the same port and configuration.
    pub fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.start_again();
    }

    /// Stops the broker as an operator would (SIGTERM: it saves its persistence file), and
    /// waits (at most 10 s) for it to exit.
    pub fn stop(&mut self) {
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if self.child.try_wait().unwrap().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.kill();
    }

    /// Starts the broker again on the same port and configuration (after [`Mosquitto::stop`]).
    pub fn start_again(&mut self) {
        self.child = Command::new(&self.bin)
            .arg("-c")
            .arg(&self.conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("restart mosquitto");
        assert!(
            wait_for_port(self.port, Duration::from_secs(10)),
            "mosquitto did not come back on {}",
            self.port
        );
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A temporary directory removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!(
            "twinview-{tag}-{}-{}",
            std::process::id(),
            fastrand::u64(..)
        ));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running twinview whose stderr is read line by line on a thread.
pub struct Twinview {
    child: Child,
    lines: mpsc::Receiver<String>,
    pub stderr_seen: Vec<String>,
    /// Stdout is read as it comes, so a large snapshot never blocks the child on a full pipe.
    stdout: Option<std::thread::JoinHandle<String>>,
}

impl Twinview {
    pub fn spawn(args: &[&str]) -> Twinview {
        Twinview::spawn_with_log(args, "info")
    }

    /// `twinview --headless` on 127.0.0.1:`port` subscribed to `filter`, with `extra`
    /// arguments; returns once the subscription is acknowledged (at most 15 s).
    pub fn headless(port: u16, filter: &str, extra: &[&str]) -> Twinview {
        let port = port.to_string();
        let mut args = vec!["--headless", "-b", "127.0.0.1", "-p", &port, "-t", filter];
        args.extend_from_slice(extra);
        let mut tv = Twinview::spawn(&args);
        tv.wait_for_stderr(&format!("subscribed to {filter}"), Duration::from_secs(15));
        tv
    }

    /// With `TWINVIEW_LOG=level` (e.g. `debug` to see every device's first appearance).
    pub fn spawn_with_log(args: &[&str], level: &str) -> Twinview {
        let mut child = Command::new(BIN)
            .args(args)
            .env("TWINVIEW_LOG", level)
            .env_remove("TWINVIEW_PASSWORD")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start twinview");
        let mut out = child.stdout.take().unwrap();
        let stdout = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = out.read_to_string(&mut text);
            text
        });
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Twinview {
            child,
            lines: rx,
            stderr_seen: Vec::new(),
            stdout: Some(stdout),
        }
    }

    /// Waits for a stderr line containing `needle`.
    pub fn wait_for_stderr(&mut self, needle: &str, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let hit = line.contains(needle);
                    self.stderr_seen.push(line);
                    if hit {
                        return;
                    }
                }
                Err(_) => panic!(
                    "twinview did not print {needle:?} on stderr within {within:?}; it printed:\n{}",
                    self.stderr_seen.join("\n")
                ),
            }
        }
    }

    /// Waits for the process to end (bounded) and returns its status and stdout.
    pub fn finish(&mut self, within: Duration) -> (ExitStatus, String) {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                let out = self
                    .stdout
                    .take()
                    .map(|h| h.join().unwrap_or_default())
                    .unwrap_or_default();
                return (status, out);
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                while let Ok(l) = self.lines.try_recv() {
                    self.stderr_seen.push(l);
                }
                panic!(
                    "twinview did not finish within {within:?}; stderr:\n{}",
                    self.stderr_seen.join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL: no chance to flush or clean up.
    pub fn kill_hard(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Everything twinview printed on stderr. Once the process has ended this waits (bounded)
    /// for the reader to reach the end of the pipe, so no line is missed; while it still runs,
    /// it takes what has arrived.
    pub fn stderr_rest(&mut self) -> String {
        let ended = self.child.try_wait().ok().flatten().is_some();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if ended {
                let left = deadline.saturating_duration_since(Instant::now());
                match self.lines.recv_timeout(left) {
                    Ok(l) => self.stderr_seen.push(l),
                    Err(mpsc::RecvTimeoutError::Disconnected) => break,
                    Err(mpsc::RecvTimeoutError::Timeout) => {
                        panic!("twinview's stderr did not close within 10 s of its exit")
                    }
                }
            } else {
                match self.lines.try_recv() {
                    Ok(l) => self.stderr_seen.push(l),
                    Err(_) => break,
                }
            }
        }
        self.stderr_seen.join("\n")
    }
}

impl Drop for Twinview {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Publishes `messages` at QoS 1 to 127.0.0.1:`port` and waits until the broker has
/// acknowledged every one (bounded by 20 s).
pub async fn publish_all(port: u16, messages: &[(String, Vec<u8>)]) {
    publish_all_with(port, messages, false).await
}

/// As [`publish_all`], as retained messages.
pub async fn publish_retained(port: u16, messages: &[(String, Vec<u8>)]) {
    publish_all_with(port, messages, true).await
}

async fn publish_all_with(port: u16, messages: &[(String, Vec<u8>)], retain: bool) {
    let mut opts = MqttOptions::new(format!("e2e-pub-{}", fastrand::u32(..)), "127.0.0.1", port);
    opts.set_keep_alive(Duration::from_secs(5));
    opts.set_inflight(100);
    // Tests publish payloads of up to tens of MiB.
    opts.set_max_packet_size(64 << 20, 64 << 20);
    let (client, mut eventloop) = AsyncClient::new(opts, 1000);
    let msgs = messages.to_vec();
    let sender = tokio::spawn(async move {
        for (topic, payload) in msgs {
            client
                .publish(topic, QoS::AtLeastOnce, retain, payload)
                .await
                .unwrap();
        }
        client
    });
    let mut acked = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while acked < messages.len() {
        let Ok(ev) = tokio::time::timeout_at(deadline, eventloop.poll()).await else {
            panic!(
                "only {acked}/{} publishes acknowledged in 20 s",
                messages.len()
            );
        };
        match ev {
            Ok(Event::Incoming(Packet::PubAck(_))) => acked += 1,
            Ok(Event::Outgoing(Outgoing::Publish(_))) | Ok(_) => {}
            Err(e) => panic!("publisher: {e}"),
        }
    }
    let client = sender.await.unwrap();
    let _ = client.disconnect().await;
    let _ = tokio::time::timeout(Duration::from_secs(1), eventloop.poll()).await;
}

/// Rolling statistics computed independently of twinview, over the last `window` values.
pub struct Expected {
    pub count: u64,
    pub last: f64,
    pub mean: f64,
    pub min: f64,
    pub max: f64,
    pub stddev: f64,
}

pub fn expected(values: &[f64], window: usize) -> Expected {
    let w = &values[values.len().saturating_sub(window)..];
    let n = w.len() as f64;
    let mean = w.iter().sum::<f64>() / n;
    let var = w.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
    Expected {
        count: values.len() as u64,
        last: *values.last().unwrap(),
        mean,
        min: w.iter().copied().fold(f64::INFINITY, f64::min),
        max: w.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        stddev: var.sqrt(),
    }
}

pub fn assert_sensor(snapshot: &serde_json::Value, topic: &str, field: &str, want: &Expected) {
    let s = snapshot["sensors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["topic"] == topic && s["field"] == field)
        .unwrap_or_else(|| panic!("no sensor {topic} [{field}] in {snapshot:#}"));
    let close = |key: &str, want: f64| {
        let got = s[key]
            .as_f64()
            .unwrap_or_else(|| panic!("{key} missing: {s}"));
        assert!(
            (got - want).abs() <= 1e-9 * want.abs().max(1.0),
            "{topic} [{field}] {key}: got {got}, want {want}"
        );
    };
    assert_eq!(s["count"].as_u64(), Some(want.count), "{topic} count");
    close("last", want.last);
    close("mean", want.mean);
    close("min", want.min);
    close("max", want.max);
    close("stddev", want.stddev);
}

/// A PostgreSQL server of the test's own on a free loopback port, run as the `postgres` user
/// (initdb and postgres refuse root), with password authentication; killed on drop. `None`
/// (after saying so) when PostgreSQL is not installed; under CI that is a failure.
pub struct Postgres {
    pub port: u16,
    child: Child,
    pub password_file: PathBuf,
    dir: TempDir,
}

impl Postgres {
    pub fn start() -> Option<Postgres> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()
            .and_then(|d| {
                let mut v: Vec<PathBuf> = d
                    .filter_map(|e| e.ok())
                    .map(|e| e.path().join("bin"))
                    .collect();
                v.sort();
                v.pop()
            })
            .filter(|b| b.join("initdb").is_file());
        let Some(bin) = bin else {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("PostgreSQL is not installed, and CI=true: install it (apt-get install -y postgresql)");
            }
            eprintln!("SKIPPED: PostgreSQL is not installed (apt-get install postgresql to run this test)");
            return None;
        };
        let dir = TempDir::new("postgres");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let data = dir.path().join("data");
        let pw = dir.path().join("pw");
        std::fs::write(&pw, "test-store-secret\n").unwrap();
        let chown = |p: &Path| {
            let ok = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(p)
                .status()
                .is_ok_and(|s| s.success());
            assert!(
                ok,
                "chown postgres {}: tests that start PostgreSQL run as root",
                p.display()
            );
        };
        std::fs::create_dir_all(&data).unwrap();
        chown(dir.path());
        let as_postgres = |exe: &str| {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(bin.join(exe));
            c
        };
        let out = as_postgres("initdb")
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "--auth=scram-sha-256", "--pwfile"])
            .arg(&pw)
            .output()
            .expect("run initdb");
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        for _ in 0..5 {
            let port = free_port();
            let mut child = as_postgres("postgres")
                .arg("-D")
                .arg(&data)
                .args([
                    "-p",
                    &port.to_string(),
                    "-c",
                    "listen_addresses=127.0.0.1",
                    "-k",
                ])
                .arg(dir.path())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start postgres");
            if wait_for_port(port, Duration::from_secs(20)) && child.try_wait().unwrap().is_none() {
                // Accepting connections takes a moment more than listening.
                std::thread::sleep(Duration::from_millis(300));
                return Some(Postgres {
                    port,
                    child,
                    password_file: pw,
                    dir,
                });
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("could not start PostgreSQL on a free loopback port in 5 tries");
    }

    /// Stops the server (a fast shutdown: clients are cut off) and waits until it is gone.
    pub fn stop(&mut self) {
        // The postmaster itself (the child is `runuser`, which does not pass SIGINT on).
        let pid = std::fs::read_to_string(self.dir.path().join("data/postmaster.pid"))
            .ok()
            .and_then(|s| s.lines().next().map(str::to_string))
            .unwrap_or_else(|| self.child.id().to_string());
        let _ = Command::new("kill").args(["-INT", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if self.child.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("PostgreSQL did not stop within 20 s");
    }

    /// Starts the stopped server again on the same port and data.
    pub fn start_again(&mut self) {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.path().join("bin"))
            .filter(|b| b.join("postgres").is_file())
            .max()
            .unwrap();
        self.child = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(bin.join("postgres"))
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args([
                "-p",
                &self.port.to_string(),
                "-c",
                "listen_addresses=127.0.0.1",
                "-k",
            ])
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start postgres again");
        assert!(
            wait_for_port(self.port, Duration::from_secs(20)),
            "PostgreSQL back"
        );
        std::thread::sleep(Duration::from_millis(300));
    }

    /// `postgres://postgres@127.0.0.1:PORT/postgres`
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Runs `sql` with psql and returns what it printed (unaligned, tuples only).
    pub fn psql(&self, sql: &str) -> String {
        let out = Command::new("psql")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                "-At",
                "-c",
                sql,
            ])
            .env("PGPASSWORD", "test-store-secret")
            .output()
            .expect("run psql");
        assert!(
            out.status.success(),
            "psql: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_some() {
            return;
        }
        // SIGINT to the postmaster is a fast shutdown (the child is `runuser`, which does not
        // pass it on); then the data folder can go.
        let pid = std::fs::read_to_string(self.dir.path().join("data/postmaster.pid"))
            .ok()
            .and_then(|s| s.lines().next().map(str::to_string));
        if let Some(pid) = pid {
            let _ = Command::new("kill").args(["-INT", &pid]).status();
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.child.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs openssl in `dir` (the TLS tests make their certificates at test time).
pub fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl is needed for the TLS tests");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA, a server certificate for `localhost` and a client certificate, all signed by the CA.
pub fn make_pki(dir: &Path) {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let mut ca = vec!["req", "-x509"];
    ca.extend(ec);
    ca.extend([
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "2",
        "-subj",
        "/CN=twinview test CA",
    ]);
    openssl(dir, &ca);
    for (name, ext) in [
        (
            "server",
            "subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n",
        ),
        ("client", "extendedKeyUsage=clientAuth\n"),
    ] {
        let mut req = vec!["req"];
        req.extend(ec);
        let key = format!("{name}.key");
        let csr = format!("{name}.csr");
        let subj = format!(
            "/CN={}",
            if name == "server" {
                "localhost"
            } else {
                "twinview-client"
            }
        );
        req.extend(["-keyout", &key, "-out", &csr, "-subj", &subj]);
        openssl(dir, &req);
        std::fs::write(dir.join(format!("{name}.ext")), ext).unwrap();
        let (crt, extfile) = (format!("{name}.crt"), format!("{name}.ext"));
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                &crt,
                "-days",
                "2",
                "-extfile",
                &extfile,
            ],
        );
    }
    use std::os::unix::fs::PermissionsExt;
    for f in std::fs::read_dir(dir).unwrap() {
        let _ = std::fs::set_permissions(f.unwrap().path(), std::fs::Permissions::from_mode(0o644));
    }
}
