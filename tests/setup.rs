//! Fitting the user's setup (issue #19), through the binary: the five sources of a setting and
//! their precedence, the config folder found through XDG_CONFIG_HOME, profiles, broker URLs,
//! completions and the man page, and what `cargo package` ships.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{free_port, TempDir, BIN};

/// Runs twinview with only the given environment (plus PATH), HOME and XDG_CONFIG_HOME
/// pointing into `home`.
fn run(home: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut c = Command::new(BIN);
    c.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    c.env("HOME", home).env("XDG_CONFIG_HOME", home.join("xdg"));
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run twinview")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Writes the config file where discovery finds it.
fn write_config(home: &Path, text: &str) {
    let dir = home.join("xdg/twinview");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.toml"), text).unwrap();
}

/// Command line > environment > profile > config file > defaults, for the broker: each
/// source names a different loopback address, nothing listens on the port, and the exit-3
/// sentence says which address was tried.
#[test]
fn the_five_sources_of_a_setting_in_their_order() {
    let home = TempDir::new("setup-precedence");
    let port = free_port().to_string();
    // (command line, environment, profile, config file) → the address tried
    let rows: [(bool, bool, bool, bool, &str); 6] = [
        (true, true, true, true, "127.0.0.5"),
        (false, true, true, true, "127.0.0.4"),
        (false, false, true, true, "127.0.0.3"),
        (false, false, false, true, "127.0.0.2"),
        (false, false, false, false, "localhost"),
        (true, false, false, true, "127.0.0.5"),
    ];
    for (cli, env, profile, file, want) in rows {
        let mut text = String::new();
        if file {
            text.push_str("broker = \"127.0.0.2\"\n");
        }
        text.push_str("[profiles.p]\nbroker = \"127.0.0.3\"\n");
        write_config(home.path(), &text);
        let mut args = vec!["--headless", "--port", &port, "--duration", "5s"];
        if cli {
            args.extend(["--broker", "127.0.0.5"]);
        }
        if profile {
            args.extend(["--profile", "p"]);
        }
        let envs: &[(&str, &str)] = if env {
            &[("TWINVIEW_BROKER", "127.0.0.4")]
        } else {
            &[]
        };
        let out = run(home.path(), envs, &args);
        let err = stderr(&out);
        assert_eq!(
            out.status.code(),
            Some(3),
            "{cli} {env} {profile} {file}: {err}"
        );
        assert!(
            err.contains(&format!("cannot connect to mqtt://{want}:{port}")),
            "{cli} {env} {profile} {file}: want {want}, got {err}"
        );
    }
    // `twinview @p` is `--profile p`; the header would name it; a profile that is not there
    // is a usage error naming the ones that are.
    let out = run(home.path(), &[], &["@p", "--headless", "--port", &port]);
    assert!(
        stderr(&out).contains("mqtt://127.0.0.3:"),
        "{}",
        stderr(&out)
    );
    let out = run(home.path(), &[], &["@nope", "--headless"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no profile `nope`") && stderr(&out).contains("it has p"));
    // An environment flag and a number from the environment are read as such.
    let out = run(home.path(), &[("TWINVIEW_QOS", "7")], &["--headless"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("TWINVIEW_QOS") || stderr(&out).contains("qos"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn broker_urls_on_the_command_line() {
    let home = TempDir::new("setup-urls");
    let port = free_port();
    for (arg, want) in [
        (
            format!("mqtt://127.0.0.1:{port}"),
            format!("mqtt://127.0.0.1:{port}"),
        ),
        (
            format!("127.0.0.1:{port}"),
            format!("mqtt://127.0.0.1:{port}"),
        ),
        (
            format!("mqtt://ops@127.0.0.1:{port}/"),
            format!("mqtt://127.0.0.1:{port}"),
        ),
    ] {
        let out = run(
            home.path(),
            &[],
            &["--headless", "-b", &arg, "--duration", "5s"],
        );
        assert_eq!(out.status.code(), Some(3), "{arg}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(&format!("cannot connect to {want}")),
            "{arg}: {}",
            stderr(&out)
        );
    }
    for (args, why) in [
        (
            vec!["-b", "mqtt://ops:hunter2@h"],
            "password in the broker URL is refused",
        ),
        (
            vec!["-b", "ws://h:8080"],
            "WebSocket brokers are not supported",
        ),
        (
            vec!["-b", "mqtt://h:1884", "-p", "1885"],
            "the port is given twice",
        ),
        (vec!["-b", "mqtt://h", "--tls"], "says no TLS"),
        (
            vec!["-b", "mqtt://a@h", "-u", "b"],
            "the user name is given twice",
        ),
    ] {
        let mut all = vec!["--headless"];
        all.extend(args.iter().copied());
        let out = run(home.path(), &[], &all);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(why), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).contains("hunter2"));
    }
    // Where else a broker is named.
    let out = run(
        home.path(),
        &[],
        &["sim", "-b", "mqtts://h", "--duration", "1s"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let rec = home.path().join("r.jsonl");
    std::fs::write(
        &rec,
        "{\"t\":\"2026-01-01T00:00:00Z\",\"topic\":\"a\",\"payload\":\"1\"}\n",
    )
    .unwrap();
    let out = run(
        home.path(),
        &[],
        &[
            "replay",
            rec.to_str().unwrap(),
            "--to-broker",
            &format!("mqtt://127.0.0.1:{port}"),
        ],
    );
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("mqtt://127.0.0.1:{port}")),
        "{}",
        stderr(&out)
    );
}

#[test]
fn config_folder_profiles_completions_and_man_page() {
    let home = TempDir::new("setup-folder");
    let out = run(home.path(), &[], &["config", "--path"]);
    let xdg = home.path().join("xdg/twinview");
    assert!(out.status.success());
    assert!(stdout(&out).contains(&format!("{}", xdg.join("config.toml").display())));
    assert!(stdout(&out).contains("not there"));

    let example = stdout(&run(home.path(), &[], &["config", "--example"]));
    write_config(home.path(), &example);
    let out = run(home.path(), &[], &["config", "--path"]);
    assert!(stdout(&out).contains("(exists)"), "{}", stdout(&out));
    let out = run(home.path(), &[], &["profiles"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let list = stdout(&out);
    assert!(list.contains("lab    mqtt://localhost:1883"), "{list}");
    assert!(
        list.contains("plant  mqtts://ops@broker.plant.example:8883"),
        "{list}"
    );

    // A theme name that is neither built in nor a file is refused naming the folder where
    // `themes/NAME.toml` is looked for (found there: `theme::tests`).
    let out = run(
        home.path(),
        &[],
        &["replay", "/nonexistent", "--theme", "nosuch"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("{}", xdg.join("themes").display())),
        "{}",
        stderr(&out)
    );

    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = run(home.path(), &[], &["completions", shell]);
        assert!(out.status.success(), "{shell}");
        assert!(stdout(&out).contains("session-expiry"), "{shell}");
    }
    let man = run(home.path(), &[], &["man"]);
    assert!(man.status.success());
    assert!(stdout(&man).contains(".TH twinview 1"));
    assert!(stdout(&man).contains("TWINVIEW_BROKER"));
}

/// `cargo package --list`: the themes and the sample recording ship; tests and their fixtures
/// do not.
#[test]
fn the_package_holds_the_themes_and_no_test_fixtures() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["package", "--list", "--allow-dirty", "--offline"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo package --list");
    assert!(out.status.success(), "{}", stderr(&out));
    let files = stdout(&out);
    for want in [
        "themes/default.toml",
        "themes/light.toml",
        "themes/high-contrast.toml",
        "src/main.rs",
        "README.md",
        "recordings/demo-session.jsonl",
        "Cargo.lock",
    ] {
        assert!(files.lines().any(|l| l == want), "{want} missing:\n{files}");
    }
    for line in files.lines() {
        assert!(
            !line.starts_with("tests/")
                && !line.contains("proptest-regressions")
                && !line.starts_with("target/"),
            "{line} is shipped"
        );
    }
}

/// Where cargo-deb is installed: `scripts/deb.sh` builds the package, and unpacked
/// (`dpkg-deb -x`) it holds a working binary, the man page, the completions, the example
/// config and the themes. Skipped, with a message, where cargo-deb or dpkg-deb is missing,
/// except under CI (`CI=true`), where that is a failure: `.ci/run` installs cargo-deb.
#[test]
fn the_debian_package_holds_what_it_promises() {
    let have = |tool: &str, arg: &str| {
        Command::new(tool)
            .arg(arg)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !have("cargo-deb", "--version") || !have("dpkg-deb", "--version") {
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "cargo-deb or dpkg-deb is not installed, and CI=true: .ci/run installs them (cargo install cargo-deb)"
        );
        eprintln!(
            "SKIP the_debian_package_holds_what_it_promises: cargo-deb or dpkg-deb not installed"
        );
        return;
    }
    let root = env!("CARGO_MANIFEST_DIR");
    let out = Command::new("scripts/deb.sh")
        .current_dir(root)
        .output()
        .expect("run scripts/deb.sh");
    assert!(out.status.success(), "{}", stderr(&out));
    let deb = std::fs::read_dir(Path::new(root).join("target/debian"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "deb"))
        .max_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
        .expect("a .deb in target/debian");
    let dir = TempDir::new("deb");
    let status = Command::new("dpkg-deb")
        .arg("-x")
        .arg(&deb)
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    for f in [
        "usr/bin/twinview",
        "usr/share/man/man1/twinview.1.gz",
        "usr/share/bash-completion/completions/twinview",
        "usr/share/zsh/vendor-completions/_twinview",
        "usr/share/fish/vendor_completions.d/twinview.fish",
        "usr/share/doc/twinview/config.example.toml",
        "usr/share/twinview/themes/light.toml",
    ] {
        let p = dir.path().join(f);
        assert!(
            p.is_file() && std::fs::metadata(&p).unwrap().len() > 0,
            "{f} missing from {}",
            deb.display()
        );
    }
    let v = Command::new(dir.path().join("usr/bin/twinview"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(stdout(&v).starts_with("twinview "), "{}", stdout(&v));
}
