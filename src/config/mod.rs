//! Layered configuration: built-in defaults < config file (TOML) < the profile chosen in it
//! < `TWINVIEW_*` environment variables < command line (README, "Configuration file").
//!
//! The config file is `-c FILE` (or `TWINVIEW_CONFIG`), else `config.toml` in the platform's
//! config folder when it exists ([`config_dir`]).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::cli::{ConnArgs, ViewArgs};
use crate::error::AppError;

pub mod setup;
pub mod url;
pub use crate::source::conn::{ConnSettings, Secret};
use crate::twin::schema::Schemas;
use crate::twin::{DetectorMode, TwinConfig};

/// Everything a config file may set. Unknown keys are an error, so typos do not pass silently.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub broker: Option<String>,
    pub port: Option<u16>,
    pub topics: Option<Vec<String>>,
    pub qos: Option<u8>,
    pub client_id: Option<String>,
    pub username: Option<String>,
    pub password_file: Option<PathBuf>,
    pub tls: Option<bool>,
    pub ca: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    pub insecure: Option<bool>,
    pub mqtt_version: Option<String>,
    pub session_expiry: Option<u32>,
    pub share: Option<String>,
    /// `ADDR:PORT` or a port: serve /metrics there.
    pub metrics: Option<String>,
    pub metrics_token_file: Option<PathBuf>,
    pub metrics_max_series: Option<usize>,
    pub window: Option<usize>,
    /// `default` or `lab`
    pub detector: Option<String>,
    /// Thresholds of the default detectors (`[anomaly]` table).
    pub anomaly: Option<crate::twin::detect::DetectorConfig>,
    pub z_threshold: Option<f64>,
    /// k in the cross-sensor check "beyond group mean ± k·σ" [default: 2.0]
    pub group_sigma: Option<f64>,
    pub theme: Option<String>,
    pub fps: Option<f64>,
    /// false: leave the mouse to the terminal [default: true]
    pub mouse: Option<bool>,
    /// e.g. "30s": a device silent this long is stale
    pub stale_after: Option<String>,
    /// Contract Net topic prefix [default: /cnp]
    pub cnp_prefix: Option<String>,
    pub read_only: Option<bool>,
    /// Command templates (`[commands]` table).
    pub commands: Option<crate::outputs::commands::Templates>,
    /// e.g. "3s": how long a call for proposals waits when it names no deadline
    pub cnp_deadline: Option<String>,
    /// Extra topic schemas, tried before the built-in ones.
    pub schemas: Option<Vec<String>>,
    /// Payloads larger than this many bytes are counted, not decoded [default: 1048576]
    pub max_payload: Option<usize>,
    /// Series (and devices) kept at most [default: 100000]
    pub max_series: Option<usize>,
    /// `true` (the default file in the platform's data folder) or a file path: store the
    /// history there.
    pub store: Option<StoreKey>,
    /// Raw readings kept, e.g. "7d" [default: 7d]
    pub store_keep: Option<String>,
    /// One-minute rollups kept, e.g. "365d" [default: 365d]
    pub store_rollups: Option<String>,
    /// false: start with an empty twin even when the store has history [default: true]
    pub restore: Option<bool>,
    /// With a postgres:// store: the file whose first line is its password.
    pub store_password_file: Option<PathBuf>,
    /// Alarm rules (`[[alarms]]` tables; docs/alarms.md).
    pub alarms: Option<Vec<crate::twin::alarms::RuleConfig>>,
    /// Where every alarm transition goes (URLs), besides each rule's own.
    pub notify: Option<Vec<String>>,
    /// A CA file (PEM) for TLS notification targets, instead of the system's roots.
    pub notify_ca: Option<PathBuf>,
    /// The file whose first line is the SMTP password of mailtos:// targets.
    pub notify_password_file: Option<PathBuf>,
    /// Named sets of the keys above (`[profiles.plant]`), chosen with `--profile plant`.
    /// Read by [`FileConfig::load`], which merges the chosen one over the rest.
    #[serde(skip)]
    pub profiles: Vec<String>,
}

impl FileConfig {
    /// Reads `path`: its top-level table and its `[profiles.NAME]` tables.
    fn parse(path: &Path) -> Result<(toml::Table, toml::Table), AppError> {
        let text = crate::error::read_capped(path, crate::error::CONFIG_MAX, "config file")?;
        let mut table: toml::Table =
            toml::from_str(&text).map_err(|e| invalid(path, e.message().to_string()))?;
        let profiles = match table.remove("profiles") {
            None => toml::Table::new(),
            Some(toml::Value::Table(t)) => t,
            Some(_) => {
                return Err(invalid(
                    path,
                    "`profiles` must be a table of tables ([profiles.NAME])".into(),
                ))
            }
        };
        Ok((table, profiles))
    }

    /// The top-level table with profile `name`'s keys over it.
    fn merged(
        path: &Path,
        table: &toml::Table,
        name: &str,
        p: &toml::Value,
    ) -> Result<FileConfig, AppError> {
        let toml::Value::Table(p) = p else {
            return Err(invalid(
                path,
                format!("profile `{name}` must be a table ([profiles.{name}])"),
            ));
        };
        if p.contains_key("profiles") {
            return Err(invalid(
                path,
                format!("profile `{name}`: profiles do not nest"),
            ));
        }
        let mut t = table.clone();
        t.extend(p.clone());
        toml::Value::Table(t)
            .try_into()
            .map_err(|e: toml::de::Error| {
                invalid(path, format!("profile `{name}`: {}", e.message()))
            })
    }

    /// Reads a config file and applies the profile `profile` (its keys over the file's).
    /// Every profile is checked, chosen or not, so a typo in one is found at once.
    pub fn load(path: &Path, profile: Option<&str>) -> Result<Self, AppError> {
        let (table, profiles) = FileConfig::parse(path)?;
        for (name, p) in &profiles {
            FileConfig::merged(path, &table, name, p)?;
        }
        let mut file: FileConfig = match profile {
            None => toml::Value::Table(table.clone())
                .try_into()
                .map_err(|e: toml::de::Error| invalid(path, e.message().to_string()))?,
            Some(name) => match profiles.get(name) {
                Some(p) => FileConfig::merged(path, &table, name, p)?,
                None => {
                    return Err(AppError::Usage(format!(
                        "no profile `{name}` in {} ({})",
                        path.display(),
                        if profiles.is_empty() {
                            "it has none".to_string()
                        } else {
                            format!(
                                "it has {}",
                                profiles.keys().cloned().collect::<Vec<_>>().join(", ")
                            )
                        }
                    )))
                }
            },
        };
        file.profiles = profiles.keys().cloned().collect();
        Ok(file)
    }

    /// The file without a profile, and each profile merged over it: the file read and each
    /// profile merged once (`twinview profiles`; loading each in turn was quadratic).
    pub fn load_all(path: &Path) -> Result<(Self, Vec<(String, Self)>), AppError> {
        let (table, profiles) = FileConfig::parse(path)?;
        let names: Vec<String> = profiles.keys().cloned().collect();
        let mut all = Vec::with_capacity(profiles.len());
        for (name, p) in &profiles {
            let mut f = FileConfig::merged(path, &table, name, p)?;
            f.profiles = names.clone();
            all.push((name.clone(), f));
        }
        let mut base: FileConfig = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| invalid(path, e.message().to_string()))?;
        base.profiles = names;
        Ok((base, all))
    }
}

/// A config file error, naming the file.
fn invalid(path: &Path, e: String) -> AppError {
    AppError::File(format!("invalid config file {}: {e}", path.display()))
}

/// The platform's folder for twinview's configuration: `$XDG_CONFIG_HOME/twinview` when that
/// is set (on every platform), else `~/.config/twinview` (Linux and the other Unixes) or
/// `~/Library/Application Support/twinview` (macOS), or `%APPDATA%\twinview` (Windows).
pub fn config_dir_from(var: impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    platform_dir(var, "XDG_CONFIG_HOME", "APPDATA", ".config/twinview")
}

/// `$XDG/twinview`, else the Windows folder in `windows`, else under `$HOME`: `unix` (macOS:
/// `Library/Application Support/twinview`).
fn platform_dir(
    var: impl Fn(&str) -> Option<String>,
    xdg: &str,
    windows: &str,
    unix: &str,
) -> Option<PathBuf> {
    let set = |k: &str| var(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(x) = set(xdg) {
        return Some(x.join("twinview"));
    }
    if cfg!(windows) {
        return set(windows).map(|a| a.join("twinview"));
    }
    let home = set("HOME")?;
    Some(if cfg!(target_os = "macos") {
        home.join("Library/Application Support/twinview")
    } else {
        home.join(unix)
    })
}

/// The folder for twinview's data (the history store): `$XDG_DATA_HOME/twinview`, else
/// `~/.local/share/twinview` (`~/Library/Application Support/twinview` on macOS,
/// `%LOCALAPPDATA%\\twinview` on Windows).
pub fn data_dir_from(var: impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    platform_dir(
        var,
        "XDG_DATA_HOME",
        "LOCALAPPDATA",
        ".local/share/twinview",
    )
}

/// [`data_dir_from`] this process's environment.
pub fn data_dir() -> Option<PathBuf> {
    data_dir_from(|k| std::env::var(k).ok())
}

/// [`config_dir_from`] this process's environment.
pub fn config_dir() -> Option<PathBuf> {
    config_dir_from(|k| std::env::var(k).ok())
}

/// What the process environment contributes beyond clap's `TWINVIEW_*` options, passed in
/// so tests need not touch the process environment.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    /// `TWINVIEW_PASSWORD`.
    pub password: Option<String>,
    /// The platform's config folder ([`config_dir`]), where `config.toml` and `themes/` are
    /// looked for.
    pub config_dir: Option<PathBuf>,
    /// The platform's data folder ([`data_dir`]), where `store = true` keeps `history.db`.
    pub data_dir: Option<PathBuf>,
    /// `TWINVIEW_STORE_PASSWORD`: a postgres:// store's password.
    pub store_password: Option<String>,
    /// `TWINVIEW_NOTIFY_PASSWORD`: the SMTP password of mailtos:// targets.
    pub notify_password: Option<String>,
}

impl Environment {
    pub fn of_process() -> Environment {
        Environment {
            password: std::env::var("TWINVIEW_PASSWORD").ok(),
            config_dir: config_dir(),
            data_dir: data_dir(),
            store_password: std::env::var("TWINVIEW_STORE_PASSWORD").ok(),
            notify_password: std::env::var("TWINVIEW_NOTIFY_PASSWORD").ok(),
        }
    }

    /// The config file used when `-c` is not given: `config.toml` in the config folder, if
    /// it exists.
    pub fn default_config(&self) -> Option<PathBuf> {
        self.config_dir
            .as_ref()
            .map(|d| d.join("config.toml"))
            .filter(|p| p.is_file())
    }
}

/// `--metrics`: where to serve, who may read /snapshot, how many series to export.
#[derive(Debug, Clone)]
pub struct MetricsSettings {
    pub addr: std::net::SocketAddr,
    pub token: Option<Secret>,
    pub max_series: usize,
}

/// `9464` or `:9464` → 127.0.0.1:9464; `ADDR:PORT` with an IP address (`[::1]:9464` for
/// IPv6) or `localhost`.
pub fn parse_listen(text: &str) -> Result<std::net::SocketAddr, String> {
    let t = text.trim();
    let port_only = t.strip_prefix(':').unwrap_or(t);
    if let Ok(port) = port_only.parse::<u16>() {
        return Ok((std::net::Ipv4Addr::LOCALHOST, port).into());
    }
    if let Some(port) = t.strip_prefix("localhost:") {
        let port = port
            .parse::<u16>()
            .map_err(|_| format!("`{text}`: `{port}` is not a port"))?;
        return Ok((std::net::Ipv4Addr::LOCALHOST, port).into());
    }
    t.parse().map_err(|_| {
        format!("`{text}` is not ADDR:PORT (e.g. 9464, 127.0.0.1:9464, 0.0.0.0:9464, [::1]:9464)")
    })
}

/// Resolved settings for a run.
#[derive(Debug, Clone)]
pub struct Settings {
    pub conn: ConnSettings,
    pub twin: TwinConfig,
    pub theme: String,
    pub fps: f64,
    /// Clicks and the wheel in the UI (`--no-mouse`, `mouse = false`).
    pub mouse: bool,
    pub read_only: bool,
    pub commands: crate::outputs::commands::Templates,
    pub headless: bool,
    pub record: Option<std::path::PathBuf>,
    pub events: Option<std::path::PathBuf>,
    pub duration: Option<Duration>,
    pub count: Option<u64>,
    /// The profile chosen (`--profile`, `@NAME`), shown in the header.
    pub profile: Option<String>,
    /// Where themes named neither built-in nor as a file are looked for (`themes/NAME.toml`).
    pub config_dir: Option<PathBuf>,
    pub metrics: Option<MetricsSettings>,
    /// `--store`: where the history goes.
    pub store: Option<crate::outputs::store::StoreSettings>,
    /// `--notify` and `notify`: every alarm's targets (checked).
    pub notify: Vec<String>,
    /// The notification targets' TLS roots and SMTP password.
    pub notify_with: crate::outputs::notify::NotifySettings,
}

/// Resolves the command line against the config file it names (if any) and the defaults.
/// `password_env` is the value of `TWINVIEW_PASSWORD`, passed in so tests need not touch
/// the process environment.
pub fn resolve(conn: &ConnArgs, view: &ViewArgs, env: &Environment) -> Result<Settings, AppError> {
    let path = view.config.clone().or_else(|| env.default_config());
    let file = match (&path, &view.profile) {
        (Some(p), profile) => FileConfig::load(p, profile.as_deref())?,
        (None, Some(name)) => {
            return Err(AppError::Usage(format!(
                "profile `{name}` asked for, but there is no config file (-c FILE, or {})",
                env.config_dir
                    .as_ref()
                    .map(|d| d.join("config.toml").display().to_string())
                    .unwrap_or_else(
                        || "no config folder: neither XDG_CONFIG_HOME nor HOME is set".into()
                    )
            )))
        }
        (None, None) => FileConfig::default(),
    };
    let password_env = env.password.clone();
    let cli_url = conn
        .broker
        .as_deref()
        .map(crate::config::url::parse)
        .transpose()
        .map_err(AppError::Usage)?;
    let file_url = file
        .broker
        .as_deref()
        .map(crate::config::url::parse)
        .transpose()
        .map_err(|e| AppError::Usage(format!("config file broker: {e}")))?;
    if let (Some(u), Some(p)) = (&cli_url, conn.port) {
        if u.port.is_some_and(|q| q != p) {
            return Err(AppError::Usage(format!(
                "the port is given twice: {} in --broker and {p} in --port",
                u.port.unwrap_or_default()
            )));
        }
    }
    if cli_url.as_ref().is_some_and(|u| u.tls == Some(false)) && conn.tls {
        return Err(AppError::Usage(
            "--broker mqtt://… says no TLS but --tls asks for it (use mqtts://)".into(),
        ));
    }
    let url_user =
        |u: &Option<crate::config::url::BrokerUrl>| u.as_ref().and_then(|u| u.username.clone());
    if let (Some(a), Some(b)) = (&conn.username, url_user(&cli_url)) {
        if *a != b {
            return Err(AppError::Usage(format!(
                "the user name is given twice: `{b}` in --broker and `{a}` in --username"
            )));
        }
    }
    let tls_on = match cli_url.as_ref().and_then(|u| u.tls) {
        Some(t) => t || conn.tls,
        None => {
            conn.tls
                || file_url
                    .as_ref()
                    .and_then(|u| u.tls)
                    .unwrap_or(file.tls.unwrap_or(false))
        }
    };

    let topics = if !conn.topics.is_empty() {
        conn.topics.clone()
    } else {
        file.topics.clone().unwrap_or_else(|| vec!["#".into()])
    };
    for t in &topics {
        validate_filter(t)?;
    }
    let qos = conn.qos.or(file.qos).unwrap_or(0);
    if qos > 2 {
        return Err(AppError::Usage(format!("qos must be 0, 1 or 2, not {qos}")));
    }
    let share = conn.share.clone().or(file.share.clone());
    if let Some(g) = &share {
        if g.is_empty() || g.contains(['/', '+', '#']) {
            return Err(AppError::Usage(format!(
                "--share: `{g}` is not a group name (no `/`, `+` or `#`)"
            )));
        }
    }
    // `#` never matches `$` topics (MQTT 4.7.2): whoever asks for everything also gets the
    // broker's health, as its own subscription, unless --no-sys (or a shared subscription,
    // where each instance would get a share of it).
    let mut topics = topics;
    if topics.iter().any(|t| t == "#")
        && !conn.no_sys
        && share.is_none()
        && !topics.iter().any(|t| t.starts_with("$SYS"))
    {
        topics.push("$SYS/#".into());
    }
    let metrics = match view.metrics.clone().or(file.metrics.clone()) {
        None => None,
        Some(text) => Some(MetricsSettings {
            addr: parse_listen(&text).map_err(|e| AppError::Usage(format!("--metrics: {e}")))?,
            token: match view
                .metrics_token_file
                .as_ref()
                .or(file.metrics_token_file.as_ref())
            {
                Some(p) => Some(read_secret_file(p, "token file")?),
                None => None,
            },
            max_series: view
                .metrics_max_series
                .or(file.metrics_max_series)
                .unwrap_or(crate::outputs::metrics::DEFAULT_MAX_SERIES),
        }),
    };
    let session_expiry = conn.session_expiry.or(file.session_expiry).unwrap_or(0);
    if session_expiry > 0 && qos == 0 {
        return Err(AppError::Usage(
            "--session-expiry needs --qos 1 or 2: a broker keeps only QoS 1 and 2 messages for an absent client".into(),
        ));
    }
    let username = conn
        .username
        .clone()
        .or(url_user(&cli_url))
        .or(file.username.clone())
        .or(url_user(&file_url));
    let password = match conn.password_file.as_ref().or(file.password_file.as_ref()) {
        Some(path) => Some(read_secret_file(path, "password file")?),
        None => password_env.filter(|p| !p.is_empty()).map(Secret::new),
    };
    if password.is_some() && username.is_none() {
        return Err(AppError::Usage(
            "a password was given but no --username to go with it".into(),
        ));
    }

    let tls = tls_on.then(|| crate::source::tls::TlsSettings {
        ca: conn.ca.clone().or(file.ca.clone()),
        cert: conn.cert.clone().or(file.cert.clone()),
        key: conn.key.clone().or(file.key.clone()),
        insecure: conn.insecure || file.insecure.unwrap_or(false),
    });
    let window = view.window.or(file.window).unwrap_or(120);
    if !(2..=1_000_000).contains(&window) {
        return Err(AppError::Usage(format!(
            "--window must be between 2 and 1000000, not {window}"
        )));
    }
    let z_threshold = view.z_threshold.or(file.z_threshold).unwrap_or(3.0);
    if !(z_threshold.is_finite() && z_threshold > 0.0) {
        return Err(AppError::Usage(format!(
            "--z-threshold must be a positive number, not {z_threshold}"
        )));
    }
    let group_sigma = file.group_sigma.unwrap_or(2.0);
    if !(group_sigma.is_finite() && group_sigma > 0.0) {
        return Err(AppError::Usage(format!(
            "group_sigma must be a positive number, not {group_sigma}"
        )));
    }
    let detector = match view.detector.as_deref().or(file.detector.as_deref()) {
        None => DetectorMode::Default,
        Some(name) => DetectorMode::parse(name).ok_or_else(|| {
            AppError::Usage(format!(
                "--detector must be `default` or `lab`, not `{name}`"
            ))
        })?,
    };
    let anomaly = file.anomaly.clone().unwrap_or_default();
    anomaly
        .validate()
        .map_err(|e| AppError::Usage(format!("config file: {e}")))?;
    let fps = view.fps.or(file.fps).unwrap_or(20.0);
    if !(fps.is_finite() && (0.5..=240.0).contains(&fps)) {
        return Err(AppError::Usage(format!(
            "--fps must be between 0.5 and 240, not {fps}"
        )));
    }
    let stale_after = match (view.stale_after, &file.stale_after) {
        (Some(d), _) => Some(d),
        (None, Some(text)) => Some(
            crate::cli::parse_duration(text)
                .map_err(|e| AppError::Usage(format!("config file stale_after: {e}")))?,
        ),
        (None, None) => None,
    };
    let cnp_prefix = view
        .cnp_prefix
        .clone()
        .or(file.cnp_prefix.clone())
        .unwrap_or_else(|| "/cnp".into());
    if cnp_prefix.is_empty() || cnp_prefix.contains(['+', '#']) {
        return Err(AppError::Usage(format!(
            "--cnp-prefix must be a plain topic prefix, not `{cnp_prefix}`"
        )));
    }
    let cnp_deadline = match &file.cnp_deadline {
        Some(text) => crate::cli::parse_duration(text)
            .map_err(|e| AppError::Usage(format!("config file cnp_deadline: {e}")))?,
        None => Duration::from_secs(3),
    };
    let commands = file.commands.clone().unwrap_or_default();
    commands
        .validate()
        .map_err(|e| AppError::Usage(format!("config file: {e}")))?;
    let schemas = Schemas::with_extra(file.schemas.as_deref().unwrap_or(&[]))
        .map_err(|e| AppError::Usage(format!("config file: {e}")))?;

    let store = store_settings(view, &file, env)?;
    // Every notification target is checked at start: a typo is an error now, not a lost alarm.
    let notify: Vec<String> = if view.notify.is_empty() {
        file.notify.clone().unwrap_or_default()
    } else {
        view.notify.clone()
    };
    for url in notify.iter().chain(
        file.alarms
            .iter()
            .flatten()
            .flat_map(|a| a.notify.iter().flatten()),
    ) {
        crate::outputs::notify::NotifyTarget::parse(url).map_err(AppError::Usage)?;
    }
    let notify_with = crate::outputs::notify::NotifySettings {
        ca: view.notify_ca.clone().or(file.notify_ca.clone()),
        password: match view
            .notify_password_file
            .as_ref()
            .or(file.notify_password_file.as_ref())
        {
            Some(p) => Some(read_secret_file(p, "notify password file")?),
            None => env
                .notify_password
                .clone()
                .filter(|p| !p.is_empty())
                .map(Secret::new),
        },
    };
    Ok(Settings {
        conn: ConnSettings {
            host: cli_url
                .as_ref()
                .or(file_url.as_ref())
                .map(|u| u.host.clone())
                .unwrap_or_else(|| "localhost".into()),
            port: conn
                .port
                .or(cli_url.as_ref().and_then(|u| u.port))
                .or(file.port)
                .or(file_url.as_ref().and_then(|u| u.port))
                .unwrap_or(if tls.is_some() { 8883 } else { 1883 }),
            topics,
            qos,
            client_id: conn
                .client_id
                .clone()
                .or(file.client_id)
                .unwrap_or_else(default_client_id),
            username,
            password,
            tls,
            session_expiry,
            share,
            mqtt_version: match conn
                .mqtt_version
                .as_deref()
                .or(file.mqtt_version.as_deref())
            {
                // Protocol levels are not versions: `4` (3.1.1's level) and `3` (3.1, which
                // rumqttc does not speak) are refused rather than guessed at.
                None | Some("3.1.1") => 4,
                Some("5") => 5,
                Some(other) => {
                    return Err(AppError::Usage(format!(
                        "--mqtt-version must be 3.1.1 or 5, not `{other}`"
                    )))
                }
            },
        },
        twin: TwinConfig {
            window,
            z_threshold,
            group_sigma,
            schemas,
            max_payload: file
                .max_payload
                .unwrap_or(crate::decode::DEFAULT_MAX_PAYLOAD),
            stale_after,
            cnp_prefix,
            cnp_deadline,
            max_series: view
                .max_series
                .or(file.max_series)
                .unwrap_or(100_000)
                .max(1),
            detector,
            anomaly,
            alarms: crate::twin::alarms::rules(file.alarms.as_deref().unwrap_or_default())
                .map_err(|e| AppError::Usage(format!("config: {e}")))?,
        },
        theme: view
            .theme
            .clone()
            .or(file.theme)
            .unwrap_or_else(|| "default".into()),
        fps,
        mouse: !view.no_mouse && file.mouse.unwrap_or(true),
        read_only: view.read_only || file.read_only.unwrap_or(false),
        commands,
        headless: view.headless,
        record: view.record.clone(),
        events: view.events.clone(),
        duration: view.duration,
        count: view.count,
        profile: view.profile.clone(),
        config_dir: env.config_dir.clone(),
        metrics,
        store,
        notify,
        notify_with,
    })
}

/// `store = true` or `store = "PATH"` in a config file.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum StoreKey {
    On(bool),
    Path(String),
}

/// `--store` and the config file's `store`, `store_keep`, `store_rollups` and `restore`.
fn store_settings(
    view: &ViewArgs,
    file: &FileConfig,
    env: &Environment,
) -> Result<Option<crate::outputs::store::StoreSettings>, AppError> {
    use crate::outputs::store::{StoreSettings, Target};
    let text = match (&view.store, &file.store) {
        (Some(t), _) => t.clone(),
        (None, Some(StoreKey::Path(p))) => p.clone(),
        (None, Some(StoreKey::On(true))) => match &env.data_dir {
            Some(d) => d.join("history.db").display().to_string(),
            None => {
                return Err(AppError::Usage(
                    "store = true, but there is no data folder (neither XDG_DATA_HOME nor HOME is set): give store = \"PATH\"".into(),
                ))
            }
        },
        (None, Some(StoreKey::On(false)) | None) => return Ok(None),
    };
    let mut target = Target::parse(&text).map_err(AppError::Usage)?;
    if let Target::Postgres(pg) = &mut target {
        pg.password = match view
            .store_password_file
            .as_ref()
            .or(file.store_password_file.as_ref())
        {
            Some(p) => Some(read_secret_file(p, "store password file")?),
            None => env
                .store_password
                .clone()
                .filter(|p| !p.is_empty())
                .map(Secret::new),
        };
    }
    let mut s = StoreSettings::new(target);
    let days = |flag: &str, text: &str| {
        crate::cli::parse_duration(text).map_err(|e| AppError::Usage(format!("{flag}: {e}")))
    };
    if let Some(d) = view.store_keep {
        s.keep_raw = d;
    } else if let Some(t) = &file.store_keep {
        s.keep_raw = days("store_keep", t)?;
    }
    if let Some(d) = view.store_rollups {
        s.keep_rollups = d;
    } else if let Some(t) = &file.store_rollups {
        s.keep_rollups = days("store_rollups", t)?;
    }
    if s.keep_rollups < s.keep_raw {
        return Err(AppError::Usage(
            "--store-rollups must be at least --store-keep (rollups are the longer memory)".into(),
        ));
    }
    s.restore = !view.no_restore && file.restore.unwrap_or(true);
    Ok(Some(s))
}

/// A client id unique per run, so two twinviews never kick each other off the broker.
pub fn default_client_id() -> String {
    format!("twinview-{:08x}", fastrand::u32(..))
}

/// The first line of a password file or a metrics token file (`what` names it in errors).
fn read_secret_file(path: &Path, what: &str) -> Result<Secret, AppError> {
    let text = crate::error::read_capped(path, crate::error::PASSWORD_MAX, what)?;
    let line = text.lines().next().unwrap_or("").to_string();
    if line.is_empty() {
        return Err(AppError::File(format!(
            "{what} {} is empty",
            path.display()
        )));
    }
    Ok(Secret::new(line))
}

/// Checks a topic to publish to: not empty, no wildcards, no NUL, at most 65,535 bytes.
pub fn validate_topic(topic: &str) -> Result<(), String> {
    if topic.is_empty() {
        Err("the topic is empty".into())
    } else if topic.contains(['+', '#']) {
        Err("a topic to publish to has no wildcards (+, #)".into())
    } else if topic.contains('\0') || topic.len() > 65_535 {
        Err("a topic has no NUL and at most 65,535 bytes".into())
    } else {
        Ok(())
    }
}

/// Checks an MQTT subscription filter: `#` only last and alone in its level, `+` alone.
pub fn validate_filter(filter: &str) -> Result<(), AppError> {
    let bad = |why: &str| {
        Err(AppError::Usage(format!(
            "invalid topic filter `{filter}`: {why}"
        )))
    };
    if filter.is_empty() {
        return bad("it is empty");
    }
    let levels: Vec<&str> = filter.split('/').collect();
    for (i, level) in levels.iter().enumerate() {
        if level.contains('#') && (*level != "#" || i != levels.len() - 1) {
            return bad("`#` must be a whole level and the last one");
        }
        if level.contains('+') && *level != "+" {
            return bad("`+` must be a whole level");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn tmp_file(name: &str, body: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("twinview-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::File::create(&p)
            .unwrap()
            .write_all(body.as_bytes())
            .unwrap();
        p
    }

    #[test]
    fn defaults() {
        let s = resolve(
            &ConnArgs::default(),
            &ViewArgs::default(),
            &Environment::default(),
        )
        .unwrap();
        assert_eq!(s.conn.url(), "mqtt://localhost:1883");
        // `#` never matches `$SYS`: the broker's health is its own subscription.
        assert_eq!(s.conn.topics, ["#", "$SYS/#"]);
        let no_sys = ConnArgs {
            no_sys: true,
            ..ConnArgs::default()
        };
        let s2 = resolve(&no_sys, &ViewArgs::default(), &Environment::default()).unwrap();
        assert_eq!(s2.conn.topics, ["#"]);
        let shared = ConnArgs {
            share: Some("g".into()),
            ..ConnArgs::default()
        };
        let s3 = resolve(&shared, &ViewArgs::default(), &Environment::default()).unwrap();
        assert_eq!(s3.conn.topics, ["#"]);
        assert_eq!((s.twin.window, s.twin.z_threshold, s.fps), (120, 3.0, 20.0));
        assert!(s.conn.client_id.starts_with("twinview-"));
        assert_eq!(s.theme, "default");
    }

    #[test]
    fn a_kept_session_needs_qos_1_or_2() {
        let ask = |qos: Option<u8>, expiry: Option<u32>| {
            let conn = ConnArgs {
                qos,
                session_expiry: expiry,
                ..ConnArgs::default()
            };
            resolve(&conn, &ViewArgs::default(), &Environment::default())
                .map(|s| s.conn.session_expiry)
        };
        assert_eq!(ask(None, None).unwrap(), 0);
        assert_eq!(ask(Some(1), Some(600)).unwrap(), 600);
        let err = ask(None, Some(600)).unwrap_err().to_string();
        assert!(err.contains("needs --qos 1 or 2"), "{err}");
    }

    #[test]
    fn file_then_cli_layering() {
        let cfg = tmp_file(
            "layer.toml",
            "broker = \"filehost\"\nport = 1999\nwindow = 50\ntopics = [\"a/#\"]\nschemas = [\"plant/{zone}/{sensor}\"]\n",
        );
        let view = ViewArgs {
            config: Some(cfg),
            window: Some(60),
            ..ViewArgs::default()
        };
        let s = resolve(&ConnArgs::default(), &view, &Environment::default()).unwrap();
        assert_eq!(s.conn.host, "filehost");
        assert_eq!(s.conn.port, 1999);
        assert_eq!(s.twin.window, 60, "command line beats file");
        assert_eq!(s.conn.topics, ["a/#"]);
        assert_eq!(
            s.twin.schemas.match_topic("plant/hall/m1").zone.as_deref(),
            Some("hall")
        );
    }

    #[test]
    fn bad_files_are_file_errors() {
        let view = ViewArgs {
            config: Some(tmp_file("bad.toml", "colour = 3\n")),
            ..ViewArgs::default()
        };
        let err = resolve(&ConnArgs::default(), &view, &Environment::default()).unwrap_err();
        assert_eq!(err.exit_code(), 4);
        let view = ViewArgs {
            config: Some("/nonexistent/twinview.toml".into()),
            ..ViewArgs::default()
        };
        assert_eq!(
            resolve(&ConnArgs::default(), &view, &Environment::default())
                .unwrap_err()
                .exit_code(),
            4
        );
    }

    fn with_password(p: &str) -> Environment {
        Environment {
            password: Some(p.into()),
            ..Environment::default()
        }
    }

    #[test]
    fn passwords_from_file_or_env_never_debug_printed() {
        let conn = ConnArgs {
            username: Some("ops".into()),
            password_file: Some(tmp_file("pw", "s3cret\nignored\n")),
            ..ConnArgs::default()
        };
        let s = resolve(&conn, &ViewArgs::default(), &with_password("envpw")).unwrap();
        assert_eq!(s.conn.password.as_ref().unwrap().expose(), "s3cret");
        assert!(!format!("{s:?}").contains("s3cret"));

        let conn = ConnArgs {
            username: Some("ops".into()),
            ..ConnArgs::default()
        };
        let s = resolve(&conn, &ViewArgs::default(), &with_password("envpw")).unwrap();
        assert_eq!(s.conn.password.unwrap().expose(), "envpw");

        let err = resolve(
            &ConnArgs::default(),
            &ViewArgs::default(),
            &with_password("x"),
        );
        assert_eq!(err.unwrap_err().exit_code(), 2);
    }

    #[test]
    fn filters_are_validated() {
        for ok in ["#", "a/+/c", "/a/#", "+"] {
            assert!(validate_filter(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a/#/b", "a#", "a/b+"] {
            assert!(validate_filter(bad).is_err(), "{bad}");
        }
        let conn = ConnArgs {
            topics: vec!["a/#/b".into()],
            ..ConnArgs::default()
        };
        assert_eq!(
            resolve(&conn, &ViewArgs::default(), &Environment::default())
                .unwrap_err()
                .exit_code(),
            2
        );
    }

    #[test]
    fn every_profile_at_once_is_each_profile_alone() {
        let dir = std::env::temp_dir().join(format!("twinview-profiles-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("config.toml");
        let mut text = String::from("broker = \"localhost\"\nwindow = 60\n");
        for i in 0..40 {
            text += &format!("[profiles.p{i:02}]\nbroker = \"mqtt://h{i}.example\"\n");
        }
        std::fs::write(&path, text).unwrap();
        let (base, all) = FileConfig::load_all(&path).unwrap();
        assert_eq!(base.broker.as_deref(), Some("localhost"));
        assert_eq!(all.len(), 40);
        for (name, f) in &all {
            let alone = FileConfig::load(&path, Some(name)).unwrap();
            assert_eq!(f.broker, alone.broker);
            assert_eq!(f.window, Some(60));
            assert_eq!(f.profiles, alone.profiles);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
