//! Fitting the user's setup: `twinview profiles`, `twinview config --path|--example`,
//! `twinview completions SHELL` and `twinview man`, all from the same definitions as the
//! command line itself (clap_complete and clap_mangen read [`crate::cli::Cli`]).

use std::io::Write;
use std::path::Path;

use clap::CommandFactory;

use crate::cli::Cli;
use crate::config::{Environment, FileConfig};
use crate::error::AppError;

/// A commented example config file (`twinview config --example`); every key optional.
pub const EXAMPLE: &str = r##"# twinview configuration. Every key is optional; the command line and TWINVIEW_*
# environment variables override what is here (README, "Configuration file").
# Where twinview looks for this file: `twinview config --path`.

# The broker: a host, host:port, or a URL (mqtt://[user@]host[:port], mqtts://… for TLS).
broker = "mqtt://localhost:1883"
topics = ["#"]             # subscription filters
qos = 0                    # 1 or 2 with session_expiry
# session_expiry = 3600    # seconds the broker keeps twinview's session while it is away
# username = "ops"
# password_file = "~/.config/twinview/password"   # never a password in this file or a URL
# tls = true
# ca = "/etc/ssl/certs/plant-ca.pem"
# mqtt_version = "5"

window = 120               # readings kept per sensor
detector = "default"       # or "lab" (the seed labs' z-score rules)
theme = "default"          # default, light, high-contrast, a file, or themes/NAME.toml here
read_only = false          # true: no command is ever published
# max_series = 100000
# stale_after = "30s"

# History (docs/store.md): a SQLite file, true for the data folder, or postgres://USER@HOST/DB.
# store = true
# store_keep = "7d"        # raw readings; one-minute rollups: store_rollups = "365d"

# Where every alarm change goes, besides each rule's own `notify` (docs/alarms.md).
# notify = ["mqtt://localhost/alarms", "ntfys://ntfy.example.com/plant-alarms",
#           "mailtos://ops@smtp.example.com/?to=oncall@example.com"]
# The SMTP password: the first line of this file (or TWINVIEW_NOTIFY_PASSWORD), never a URL.
# notify_password_file = "/etc/twinview/smtp-password"
# A CA for receivers with a private certificate (jsons://, ntfys://, mailtos://).
# notify_ca = "/etc/twinview/notify-ca.pem"

# Profiles: named brokers (or any keys above), chosen with `--profile NAME` or `twinview @NAME`.
# A profile's keys replace the file's.
[profiles.lab]
broker = "mqtt://localhost:1883"

[profiles.plant]
broker = "mqtts://ops@broker.plant.example"
password_file = "/home/ops/.config/twinview/plant-password"
topics = ["plant/#", "spBv1.0/#"]
theme = "light"
read_only = true

# Alarm rules (docs/alarms.md): value, rate, state, device, anomaly or health.
[[alarms]]
name = "freezer warm"
priority = "high"
when = "value"
topic = "home/+/temperature"
above = -10.0
deadband = 2.0
on_delay = "5m"
"##;

/// `twinview profiles`: the profiles of the config file, one line each.
pub fn profiles(config: Option<&Path>) -> Result<(), AppError> {
    let env = Environment::of_process();
    let path = match config
        .map(Path::to_path_buf)
        .or_else(|| env.default_config())
    {
        Some(p) => p,
        None => {
            return Err(AppError::Usage(format!(
                "no config file: none at {} (see `twinview config --path`), and no -c FILE",
                env.config_dir
                    .map(|d| d.join("config.toml").display().to_string())
                    .unwrap_or_else(|| "the config folder (HOME is not set)".into())
            )))
        }
    };
    let (base, profiles) = FileConfig::load_all(&path)?;
    let mut out = String::new();
    out.push_str(&format!("{}\n", path.display()));
    if base.profiles.is_empty() {
        out.push_str(
            "  no profiles ([profiles.NAME] tables); `twinview config --example` shows one\n",
        );
    }
    let width = base.profiles.iter().map(|n| n.len()).max().unwrap_or(0);
    for (name, f) in &profiles {
        out.push_str(&format!("  {name:<width$}  {}\n", summary(f)));
    }
    print(&out)
}

/// One line about what a profile connects to.
fn summary(f: &FileConfig) -> String {
    let url = f.broker.as_deref().map(crate::config::url::parse);
    let mut parts = Vec::new();
    match url {
        Some(Err(e)) => parts.push(format!("(bad broker: {e})")),
        Some(Ok(u)) => {
            let tls = u.tls.unwrap_or(f.tls.unwrap_or(false));
            let user = u
                .username
                .or(f.username.clone())
                .map(|u| format!("{u}@"))
                .unwrap_or_default();
            let host = if u.host.contains(':') {
                format!("[{}]", u.host)
            } else {
                u.host
            };
            let port = u.port.or(f.port).unwrap_or(if tls { 8883 } else { 1883 });
            let scheme = if tls { "mqtts" } else { "mqtt" };
            parts.push(format!("{scheme}://{user}{host}:{port}"));
        }
        None => parts.push("(no broker: localhost)".into()),
    }
    if let Some(t) = &f.topics {
        parts.push(format!("topics {}", t.join(" ")));
    }
    if f.read_only == Some(true) {
        parts.push("read-only".into());
    }
    if let Some(t) = &f.theme {
        parts.push(format!("theme {t}"));
    }
    crate::text::visible(&parts.join("  ")).into_owned()
}

/// `twinview config --path` / `--example`.
pub fn config(path: bool, example: bool) -> Result<(), AppError> {
    if example {
        return print(EXAMPLE);
    }
    if !path {
        return Err(AppError::Usage(
            "twinview config: give --path (where the config file is looked for) or --example (a commented one)".into(),
        ));
    }
    let env = Environment::of_process();
    let Some(dir) = env.config_dir else {
        return Err(AppError::Usage(
            "no config folder: neither XDG_CONFIG_HOME nor HOME is set (use -c FILE)".into(),
        ));
    };
    let file = dir.join("config.toml");
    let state = if file.is_file() {
        "exists"
    } else {
        "not there: defaults apply"
    };
    print(&format!(
        "{}\t({state})\nthemes: {}/NAME.toml\n",
        file.display(),
        dir.join("themes").display()
    ))
}

/// `twinview completions SHELL`.
pub fn completions(shell: clap_complete::Shell) -> Result<(), AppError> {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "twinview", &mut buf);
    print_bytes(&buf)
}

/// `twinview man`: the manual page, in roff.
pub fn man() -> Result<(), AppError> {
    let mut buf = Vec::new();
    man_page(&mut buf).map_err(|e| AppError::Other(format!("cannot render the man page: {e}")))?;
    print_bytes(&buf)
}

/// The manual page, with every subcommand's options in it.
pub fn man_page(out: &mut Vec<u8>) -> std::io::Result<()> {
    let cmd = Cli::command();
    clap_mangen::Man::new(cmd.clone()).render(out)?;
    for sub in cmd.get_subcommands() {
        // One page: each subcommand follows as a section of its own.
        let title = format!("TWINVIEW {}", sub.get_name().to_uppercase());
        out.extend_from_slice(format!(".SH \"{title}\"\n").as_bytes());
        let man = clap_mangen::Man::new(sub.clone());
        man.render_description_section(out)?;
        man.render_options_section(out)?;
    }
    Ok(())
}

fn print(text: &str) -> Result<(), AppError> {
    print_bytes(text.as_bytes())
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
fn print_bytes(b: &[u8]) -> Result<(), AppError> {
    let mut out = std::io::stdout().lock();
    match out.write_all(b).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(AppError::Other(format!("cannot write to stdout: {e}")))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_config_is_valid_with_every_profile() {
        let dir = std::env::temp_dir().join(format!("twinview-example-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("config.toml");
        std::fs::write(&p, EXAMPLE).unwrap();
        let base = FileConfig::load(&p, None).unwrap();
        assert_eq!(base.profiles, ["lab", "plant"]);
        let plant = FileConfig::load(&p, Some("plant")).unwrap();
        assert_eq!(plant.read_only, Some(true));
        assert_eq!(
            summary(&plant),
            "mqtts://ops@broker.plant.example:8883  topics plant/# spBv1.0/#  read-only  theme light"
        );
        assert_eq!(
            summary(&FileConfig::load(&p, Some("lab")).unwrap()),
            "mqtt://localhost:1883  topics #  theme default"
        );
        let err = FileConfig::load(&p, Some("nope")).unwrap_err().to_string();
        assert!(err.contains("it has lab, plant"), "{err}");
    }

    #[test]
    fn completions_and_man_page_come_from_the_command_line_definition() {
        for shell in [
            clap_complete::Shell::Bash,
            clap_complete::Shell::Zsh,
            clap_complete::Shell::Fish,
            clap_complete::Shell::PowerShell,
        ] {
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "twinview", &mut buf);
            let text = String::from_utf8(buf).unwrap();
            for word in [
                "broker",
                "session-expiry",
                "profile",
                "replay",
                "completions",
            ] {
                assert!(text.contains(word), "{shell}: no {word}");
            }
        }
        let mut page = Vec::new();
        man_page(&mut page).unwrap();
        let page = String::from_utf8(page).unwrap();
        assert!(
            page.starts_with(".ie") || page.contains(".TH twinview"),
            "{}",
            &page[..200]
        );
        for word in [
            "TWINVIEW_BROKER",
            "session\\-expiry",
            "TWINVIEW REPLAY",
            "\\-\\-to\\-broker",
        ] {
            assert!(page.contains(word), "man page without {word}");
        }
    }
}
