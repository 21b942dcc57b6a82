//! A password in a broker URL is refused before anything could quote it, wherever the URL
//! comes from: `-b`, `TWINVIEW_BROKER`, `sim -b`, `replay --to-broker`, a profile (issue #34).

mod common;

use std::process::{Command, Stdio};

use common::{TempDir, BIN};

fn run(args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let mut c = Command::new(BIN);
    c.args(args)
        .stdin(Stdio::null())
        .env_remove("TWINVIEW_PASSWORD")
        .env_remove("TWINVIEW_BROKER");
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().expect("run twinview");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn no_error_echoes_a_password_from_any_source() {
    let dir = TempDir::new("password-echo");
    let rec = dir.path().join("r.jsonl");
    std::fs::write(&rec, "{\"twinview\":\"recording\",\"version\":1,\"started\":\"2026-01-05T00:00:00.000Z\",\"source\":\"t\",\"filters\":[\"#\"]}\n").unwrap();
    let cfg = dir.path().join("twinview.toml");
    std::fs::write(
        &cfg,
        "[profiles.plant]\nbroker = \"mqtt://ops:hunter/2#x@plant.example\"\n",
    )
    .unwrap();
    for url in [
        "mqtt://ops:hunter/2@host",
        "ws://ops:hunter2@host",
        "gopher://ops:hunter2@host/x",
        "mqtt://ops:hun?ter2@host",
    ] {
        for (args, env) in [
            (vec!["--headless", "-b", url, "--duration", "1s"], vec![]),
            (
                vec!["--headless", "--duration", "1s"],
                vec![("TWINVIEW_BROKER", url)],
            ),
            (vec!["sim", "-b", url, "--duration", "1s"], vec![]),
            (
                vec!["replay", rec.to_str().unwrap(), "--to-broker", url],
                vec![],
            ),
        ] {
            let (code, text) = run(&args, &env);
            assert_ne!(code, 0, "{args:?} {env:?} was not refused");
            assert!(
                !text.contains("hunter") && !text.contains("ter2"),
                "{args:?} {env:?} echoed the password:\n{text}"
            );
        }
    }
    // `-c` before or after `profiles` (issue #34 item 10: before, it was ignored).
    let cfg = cfg.to_str().unwrap();
    for args in [["profiles", "-c", cfg], ["-c", cfg, "profiles"]] {
        let (_, text) = run(&args, &[]);
        assert!(
            text.contains("plant") && text.contains("password in the broker URL is refused"),
            "{args:?}: {text}"
        );
        assert!(
            !text.contains("hunter"),
            "profiles echoed the password:\n{text}"
        );
    }
}

#[test]
fn a_bad_token_file_is_called_a_token_file() {
    let dir = TempDir::new("token-file");
    let empty = dir.path().join("token");
    std::fs::write(&empty, "").unwrap();
    for path in [empty.to_str().unwrap(), "/nonexistent/twinview-token"] {
        let (code, text) = run(
            &[
                "--headless",
                "-b",
                "127.0.0.1",
                "--metrics",
                "127.0.0.1:0",
                "--metrics-token-file",
                path,
                "--duration",
                "1s",
            ],
            &[],
        );
        assert_ne!(code, 0);
        assert!(
            text.contains("token file") && !text.contains("password file"),
            "{text}"
        );
    }
}
