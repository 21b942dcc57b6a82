//! Command-line definitions (docs/contracts.md). Values left out here fall back to the config
//! file, then to built-in defaults (see `config.rs`), so options are `Option`s.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "twinview",
    version,
    about = "The live digital twin of an MQTT sensor network, in your terminal",
    long_about = "The live digital twin of an MQTT sensor network, in your terminal.\n\n\
        Subscribes to MQTT topics, decodes the payloads real networks send (plain numbers, \
        lab-style JSON, multi-field JSON, [type, unit, value] arrays) without configuration, \
        keeps rolling statistics per sensor and flags anomalies.",
    after_help = "Examples:\n  twinview demo                          everything on an embedded broker\n  \
        twinview --broker localhost -t 'home/#'\n  \
        twinview --headless --duration 30s > snapshot.json\n  \
        twinview --username ops --password-file ~/.mqtt-pass\n\n\
        Exit codes: 0 success, 2 bad usage, 3 cannot connect or login refused, 4 unreadable or invalid file."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub conn: ConnArgs,
    #[command(flatten)]
    pub view: ViewArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start an embedded broker, a simulated sensor network and the UI: nothing to install.
    Demo(DemoArgs),
    /// Run only the simulated sensor network against a broker (Ctrl-C stops it).
    Sim(SimArgs),
    /// Replay a recording (twinview's, or `mosquitto_sub -F %j` output) — no broker needed.
    Replay(ReplayArgs),
    /// List the profiles of the config file ([profiles.NAME]; use one with --profile NAME or
    /// `twinview @NAME`).
    Profiles {
        /// Configuration file [default: config.toml in the config folder]
        #[arg(short = 'c', long, value_name = "FILE", env = "TWINVIEW_CONFIG")]
        config: Option<PathBuf>,
    },
    /// Where the config file is looked for (--path), or a commented example (--example).
    Config {
        /// Print the config file's path, whether it exists, and where themes are looked for
        #[arg(long, conflicts_with = "example")]
        path: bool,
        /// Print a commented example config file
        #[arg(long)]
        example: bool,
    },
    /// Print stored history (see --store): the raw readings of a series or topic, or their
    /// rollups with --every.
    History(HistoryArgs),
    /// Print a shell completion script: bash, zsh, fish, elvish or powershell.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff; `twinview man > twinview.1`, or `twinview man | man -l -`).
    Man,
}

/// `twinview @plant …` means `twinview --profile plant …`: the first argument only.
pub fn expand_profile_shorthand(mut args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let name = args
        .get(1)
        .and_then(|a| a.to_str())
        .and_then(|a| a.strip_prefix('@'))
        .filter(|n| !n.is_empty())
        .map(String::from);
    if let Some(name) = name {
        args.splice(1..2, ["--profile".into(), name.into()]);
    }
    args
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// A topic, `topic/field`, or an MQTT filter (`home/+/temperature`, `plant/#`)
    pub series: String,
    /// The store: a file or postgres://… [default: --store, else `store` in the config file]
    #[arg(long, value_name = "STORE")]
    pub store: Option<String>,
    /// With a postgres:// store: its password, first line of FILE (or TWINVIEW_STORE_PASSWORD)
    #[arg(long, value_name = "FILE")]
    pub store_password_file: Option<PathBuf>,
    /// From this long ago (e.g. 30m, 24h, 7d) or this time (RFC 3339) [default: 24h]
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
    /// Up to this long ago or this time [default: now]
    #[arg(long, value_name = "WHEN")]
    pub until: Option<String>,
    /// Rollups in buckets of this length (1m at least, whole minutes) instead of raw readings
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub every: Option<Duration>,
    /// csv (a header line, then one line per reading or bucket), json (JSON Lines), or
    /// recording (a twinview recording of the readings and state changes, for `replay`)
    #[arg(long, value_name = "FORMAT", default_value = "csv")]
    pub format: String,
    /// Raw readings printed at most (the oldest first) [default: 1000000]
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The recording (JSON Lines)
    #[arg(required_unless_present = "from_store")]
    pub file: Option<PathBuf>,
    /// Replay a time range of a history store (a file, or postgres://… with its password in
    /// TWINVIEW_STORE_PASSWORD) instead of a recording: its readings and state changes
    #[arg(long, value_name = "STORE", conflicts_with = "file")]
    pub from_store: Option<String>,
    /// With --from-store: from this long ago or this time (RFC 3339) [default: 1h]
    #[arg(long, value_name = "WHEN", requires = "from_store")]
    pub since: Option<String>,
    /// With --from-store: up to this long ago or this time [default: now]
    #[arg(long, value_name = "WHEN", requires = "from_store")]
    pub until: Option<String>,
    /// Playback speed: 0.25 to 64, or `max` [default: 1; headless replays always run at max]
    #[arg(long, value_parser = parse_speed, value_name = "X")]
    pub speed: Option<f64>,
    /// Instead of showing it, republish the session to this broker (HOST, HOST:PORT or
    /// mqtt://HOST[:PORT]) with its original timing
    #[arg(long, value_name = "BROKER")]
    pub to_broker: Option<String>,
    /// With --headless: write every reading's anomaly score to FILE as CSV (time, topic, field,
    /// score from 0 to 1, 0.5 at a detector's threshold; empty while the series is learning)
    #[arg(long, value_name = "FILE")]
    pub scores: Option<PathBuf>,
    #[command(flatten)]
    pub view: ViewArgs,
}

/// `0.25` … `64`, or `max`.
pub fn parse_speed(s: &str) -> Result<f64, String> {
    if s == "max" {
        return Ok(f64::INFINITY);
    }
    let x: f64 = s
        .trim_end_matches('x')
        .parse()
        .map_err(|_| format!("`{s}` is not a speed (0.25 to 64, or max)"))?;
    if !(0.25..=64.0).contains(&x) {
        return Err(format!("speed {x} is out of range (0.25 to 64, or max)"));
    }
    Ok(x)
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    #[command(flatten)]
    pub view: ViewArgs,
    #[command(flatten)]
    pub world: WorldArgs,
}

#[derive(Debug, Args)]
pub struct SimArgs {
    #[command(flatten)]
    pub conn: ConnArgs,
    #[command(flatten)]
    pub world: WorldArgs,
    /// Stop after this long (e.g. 90s, 5m); default: until Ctrl-C.
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub duration: Option<Duration>,
    /// Topic prefix for the Contract Net messages
    #[arg(long, default_value = "/cnp", value_name = "PREFIX")]
    pub cnp_prefix: String,
    /// Write a labelled world straight to a recording instead of publishing (no broker, far
    /// faster than real time); needs --duration, --out and --truth. The lab world: zones of
    /// temperature sensors with slow cycles, offsets, autocorrelated noise, process changes
    /// and one fault of each kind (--interval, --zones and --per-zone shape it); --world home
    /// or plant: that world as its devices send it, with its faults and devices in the truth.
    #[arg(long, requires_all = ["out", "truth", "duration"])]
    pub offline: bool,
    /// With --offline: the recording to write (JSON Lines, replayable)
    #[arg(long, value_name = "FILE", requires = "offline")]
    pub out: Option<PathBuf>,
    /// Where to write the ground truth (JSON: every fault and process change; for the home
    /// and plant worlds also every device, its topics and liveness). With --offline it is
    /// written at once; live (home and plant only) when the world stops.
    #[arg(long, value_name = "FILE")]
    pub truth: Option<PathBuf>,
    /// With --offline: zones of the world
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub zones: usize,
    /// With --offline: sensors in each zone
    #[arg(long, default_value_t = 7, value_name = "N")]
    pub per_zone: usize,
}

/// Shape of the simulated world.
#[derive(Debug, Args, Clone)]
pub struct WorldArgs {
    /// Which world: lab (the seed labs' sensors, zones, Contract Net and Sparkplug), home
    /// (Zigbee2MQTT, Tasmota, Shelly, ESPHome, OwnTracks, Frigate, OctoPrint, Valetudo, a
    /// Victron GX, Home Assistant discovery) or plant (presses, an oven, a compressor, a meter,
    /// 433 MHz probes, a chiller, a Sparkplug pump house and the Contract Net factory).
    /// The lab-only options (--sensors, --zone-sensors, --interval, --fault, --agents) shape
    /// only the lab world.
    #[arg(long, default_value = "lab", value_parser = crate::sim::worlds::Kind::parse, value_name = "WORLD")]
    pub world: crate::sim::worlds::Kind,
    /// Lab-style JSON temperature sensors (digital_twin/lab/sensor/<id>/temperature).
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub sensors: usize,
    /// Zone sensors publishing plain numbers on /<zone>/temperature/<id>.
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub zone_sensors: usize,
    /// Seconds between readings of each simulated sensor.
    #[arg(long, default_value_t = 1.0, value_name = "SECONDS")]
    pub interval: f64,
    /// Seed for the simulation's random numbers (default: random).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Contract Net machines m1…mN bidding for jobs [default: 3 in demo, 0 in sim]
    #[arg(long, value_name = "N")]
    pub machines: Option<usize>,
    /// Run a supervisor that generates jobs and awards them (always on in demo when there
    /// are machines)
    #[arg(long)]
    pub supervisor: bool,
    /// Run a Sparkplug B edge node (spBv1.0/plant/…/edge1) with two devices, pump1 and
    /// tank1 (always on in demo)
    #[arg(long)]
    pub sparkplug: bool,
    /// Seconds between the supervisor's jobs
    #[arg(long, default_value_t = 4.0, value_name = "SECONDS")]
    pub job_every: f64,
    /// Seconds each call for proposals waits for bids
    #[arg(long, default_value_t = 1.0, value_name = "SECONDS")]
    pub job_deadline: f64,
    /// Monitoring agents to run: any of average,detect,identify
    /// [default: all three in demo, none in sim]
    #[arg(long, value_name = "LIST")]
    pub agents: Option<String>,
    /// Inject a fault: SENSOR:KIND[@START[+LASTING]], KIND one of spike, stuck, drift, drop;
    /// repeatable (e.g. s2:drift@10, s4:drop@60+20 to bring s4 back 20 s later)
    #[arg(long = "fault", value_name = "SENSOR:KIND[@S]")]
    pub faults: Vec<String>,
}

/// `s2:drift@10` → (`s2`, drift, 10 s, none); `s4:drop@60+20` → (`s4`, drop, 60 s, 20 s).
pub fn parse_fault(s: &str) -> Result<crate::sim::FaultPlan, String> {
    let (id, rest) = s
        .split_once(':')
        .ok_or_else(|| format!("`{s}`: write SENSOR:KIND[@START[+LASTING]]"))?;
    let (kind, after, lasting) = match rest.split_once('@') {
        Some((k, a)) => match a.split_once('+') {
            Some((start, last)) => (k, parse_duration(start)?, Some(parse_duration(last)?)),
            None => (k, parse_duration(a)?, None),
        },
        None => (rest, Duration::ZERO, None),
    };
    let kind = crate::sim::FaultKind::parse(kind)
        .ok_or_else(|| format!("`{kind}` is not a fault (spike, stuck, drift, drop)"))?;
    if id.is_empty() {
        return Err(format!("`{s}`: which sensor?"));
    }
    Ok(crate::sim::FaultPlan {
        sensor: id.to_string(),
        kind,
        after,
        lasting,
    })
}

/// Where and how to connect.
#[derive(Debug, Args, Clone, Default)]
pub struct ConnArgs {
    /// Broker: a host, HOST:PORT, or a URL, mqtt://[USER@]HOST[:PORT] or mqtts://… for TLS
    /// (a password in a URL is refused) [default: localhost]
    #[arg(short = 'b', long, env = "TWINVIEW_BROKER")]
    pub broker: Option<String>,
    /// Broker port [default: 1883]
    #[arg(short = 'p', long, env = "TWINVIEW_PORT")]
    pub port: Option<u16>,
    /// MQTT topic filter to subscribe to, `+` and `#` allowed; repeatable [default: #]
    #[arg(
        short = 't',
        long = "topic",
        value_name = "FILTER",
        env = "TWINVIEW_TOPIC"
    )]
    pub topics: Vec<String>,
    /// With the filter `#`: leave out the broker's own `$SYS/#` topics (`#` never matches
    /// them, so twinview subscribes to them beside it by default, for the broker's health)
    #[arg(long, env = "TWINVIEW_NO_SYS")]
    pub no_sys: bool,
    /// QoS of the subscriptions [default: 0]
    #[arg(long, value_parser = clap::value_parser!(u8).range(0..=2), env = "TWINVIEW_QOS")]
    pub qos: Option<u8>,
    /// MQTT client id [default: twinview-<random>]
    #[arg(long, env = "TWINVIEW_CLIENT_ID")]
    pub client_id: Option<String>,
    /// User name for the broker
    #[arg(short = 'u', long, env = "TWINVIEW_USERNAME")]
    pub username: Option<String>,
    /// File holding the password (first line). The TWINVIEW_PASSWORD environment variable
    /// works too; a password is never accepted on the command line.
    #[arg(long, value_name = "FILE", env = "TWINVIEW_PASSWORD_FILE")]
    pub password_file: Option<PathBuf>,
    /// Connect with TLS (port 8883 unless --port says otherwise)
    #[arg(long, env = "TWINVIEW_TLS")]
    pub tls: bool,
    /// CA certificate(s) to trust, PEM [default: the system's]
    #[arg(long, value_name = "FILE", requires = "tls", env = "TWINVIEW_CA")]
    pub ca: Option<PathBuf>,
    /// Client certificate for brokers that require one, PEM (with --key)
    #[arg(
        long,
        value_name = "FILE",
        requires = "tls",
        requires = "key",
        env = "TWINVIEW_CERT"
    )]
    pub cert: Option<PathBuf>,
    /// Private key of the client certificate, PEM
    #[arg(
        long,
        value_name = "FILE",
        requires = "tls",
        requires = "cert",
        env = "TWINVIEW_KEY"
    )]
    pub key: Option<PathBuf>,
    /// Do not verify the broker's certificate (insecure; for testing only)
    #[arg(long, requires = "tls", env = "TWINVIEW_INSECURE")]
    pub insecure: bool,
    /// MQTT protocol version: 3.1.1 or 5 [default: 3.1.1]
    #[arg(long, value_name = "VERSION", env = "TWINVIEW_MQTT_VERSION")]
    pub mqtt_version: Option<String>,
    /// Ask the broker to keep twinview's session (subscriptions and QoS 1/2 messages) for
    /// this many seconds while it is disconnected, so a reconnect loses nothing; needs --qos
    /// 1 or 2 (MQTT 3.1.1: a persistent session, kept as long as the broker keeps them)
    /// [default: 0, a clean session]
    #[arg(long, value_name = "SECONDS", env = "TWINVIEW_SESSION_EXPIRY")]
    pub session_expiry: Option<u32>,
    /// Subscribe as a member of the MQTT shared subscription group GROUP
    /// (`$share/GROUP/FILTER`): several twinviews then split the broker's traffic
    #[arg(long, value_name = "GROUP", env = "TWINVIEW_SHARE")]
    pub share: Option<String>,
}

/// How to look at the twin.
#[derive(Debug, Args, Clone, Default)]
pub struct ViewArgs {
    /// Readings kept per sensor for statistics and charts [default: 120]
    #[arg(short = 'w', long, value_name = "N", env = "TWINVIEW_WINDOW")]
    pub window: Option<usize>,
    /// Anomaly detectors: `default` (one per fault kind, on learnt noise scales) or `lab`
    /// (the seed labs' z-score and group rules, for teaching) [default: default]
    #[arg(long, value_name = "NAME", env = "TWINVIEW_DETECTOR")]
    pub detector: Option<String>,
    /// With --detector lab: flag readings whose z-score exceeds this [default: 3.0]
    #[arg(short = 'z', long, value_name = "X", env = "TWINVIEW_Z_THRESHOLD")]
    pub z_threshold: Option<f64>,
    /// A device silent this long is stale (e.g. 30s), whatever its liveness source [default:
    /// devices with no will or availability topic and a steady pace, after 3 × their median
    /// interval between reports, at least 10s; others only by their own convention]
    #[arg(long, value_parser = parse_duration, value_name = "DURATION", env = "TWINVIEW_STALE_AFTER")]
    pub stale_after: Option<Duration>,
    /// Keep at most this many series and devices; the least recently seen are forgotten
    /// [default: 100000]
    #[arg(long, value_name = "N", env = "TWINVIEW_MAX_SERIES")]
    pub max_series: Option<usize>,
    /// Topic prefix of the Contract Net protocol [default: /cnp]
    #[arg(long, value_name = "PREFIX", env = "TWINVIEW_CNP_PREFIX")]
    pub cnp_prefix: Option<String>,
    /// Colour theme: default, light, high-contrast, or a TOML file [default: default]
    #[arg(long, value_name = "NAME|FILE", env = "TWINVIEW_THEME")]
    pub theme: Option<String>,
    /// Configuration file (TOML); command-line options override it [default:
    /// config.toml in the config folder, see `twinview config --path`]
    #[arg(short = 'c', long, value_name = "FILE", env = "TWINVIEW_CONFIG")]
    pub config: Option<PathBuf>,
    /// Use the named profile of the config file ([profiles.NAME]); `twinview @NAME` too
    #[arg(short = 'P', long, value_name = "NAME", env = "TWINVIEW_PROFILE")]
    pub profile: Option<String>,
    /// Redraws per second at most [default: 20]
    #[arg(long, value_name = "N", env = "TWINVIEW_FPS")]
    pub fps: Option<f64>,
    /// Never publish anything: the command keys are disabled
    #[arg(long, env = "TWINVIEW_READ_ONLY")]
    pub read_only: bool,
    /// Leave the mouse to the terminal (text selection) instead of clicks and the wheel
    #[arg(long, env = "TWINVIEW_NO_MOUSE")]
    pub no_mouse: bool,
    /// No terminal UI: ingest, then print one JSON snapshot on stdout at the end
    #[arg(long, env = "TWINVIEW_HEADLESS")]
    pub headless: bool,
    /// Stop after this long (e.g. 30s, 5m, 1h, 500ms)
    #[arg(short = 'd', long, value_parser = parse_duration, value_name = "DURATION", env = "TWINVIEW_DURATION")]
    pub duration: Option<Duration>,
    /// Record every message, command and connection event to this file (JSON Lines)
    #[arg(long, value_name = "FILE", env = "TWINVIEW_RECORD")]
    pub record: Option<PathBuf>,
    /// Write every happening (anomaly episodes, process changes, device statuses, awards,
    /// violations, alerts, commands) to this file as JSON Lines, flushed as they happen
    #[arg(long, value_name = "FILE", env = "TWINVIEW_EVENTS")]
    pub events: Option<PathBuf>,
    /// Send every alarm transition here as well as to each rule's own targets (repeatable):
    /// mqtt://HOST[:PORT]/TOPIC, json[s]://HOST[:PORT]/PATH, ntfy[s]://[HOST/]TOPIC,
    /// mailto[s]://[USER@]HOST[:PORT]/?to=ADDR, desktop:// (docs/alarms.md)
    #[arg(long = "notify", value_name = "URL")]
    pub notify: Vec<String>,
    /// CA file (PEM) trusted for jsons://, ntfys:// and mailtos:// targets instead of the
    /// system's roots
    #[arg(long, value_name = "FILE", env = "TWINVIEW_NOTIFY_CA")]
    pub notify_ca: Option<PathBuf>,
    /// The SMTP password for mailtos://USER@… targets, first line of FILE (or
    /// TWINVIEW_NOTIFY_PASSWORD); sent over TLS only
    #[arg(long, value_name = "FILE", env = "TWINVIEW_NOTIFY_PASSWORD_FILE")]
    pub notify_password_file: Option<PathBuf>,
    /// Store every reading, state change, episode, device status and command in this SQLite
    /// file (created if missing), or in PostgreSQL (postgres://[USER@]HOST[:PORT][/DB]), and
    /// restore the last hour at start (docs/store.md)
    #[arg(long, value_name = "FILE", env = "TWINVIEW_STORE")]
    pub store: Option<String>,
    /// With --store postgres://…: the password, first line of FILE (or TWINVIEW_STORE_PASSWORD)
    #[arg(
        long,
        value_name = "FILE",
        requires = "store",
        env = "TWINVIEW_STORE_PASSWORD_FILE"
    )]
    pub store_password_file: Option<PathBuf>,
    /// With --store: raw readings kept (back from the newest) [default: 7d]
    #[arg(long, value_parser = parse_duration, value_name = "DURATION", requires = "store", env = "TWINVIEW_STORE_KEEP")]
    pub store_keep: Option<Duration>,
    /// With --store: one-minute rollups kept [default: 365d]
    #[arg(long, value_parser = parse_duration, value_name = "DURATION", requires = "store", env = "TWINVIEW_STORE_ROLLUPS")]
    pub store_rollups: Option<Duration>,
    /// With a store: start with an empty twin rather than restoring its recent history
    #[arg(long, env = "TWINVIEW_NO_RESTORE")]
    pub no_restore: bool,
    /// Serve GET /metrics (OpenMetrics, for Prometheus), /snapshot and /healthz on
    /// ADDR:PORT; a bare PORT listens on 127.0.0.1 (0.0.0.0:PORT only when asked)
    #[arg(long, value_name = "ADDR:PORT", env = "TWINVIEW_METRICS")]
    pub metrics: Option<String>,
    /// With --metrics: /snapshot asks for this bearer token (first line of FILE)
    #[arg(
        long,
        value_name = "FILE",
        requires = "metrics",
        env = "TWINVIEW_METRICS_TOKEN_FILE"
    )]
    pub metrics_token_file: Option<PathBuf>,
    /// With --metrics: export at most this many series (the first by topic) [default: 10000]
    #[arg(
        long,
        value_name = "N",
        requires = "metrics",
        env = "TWINVIEW_METRICS_MAX_SERIES"
    )]
    pub metrics_max_series: Option<usize>,
    /// With --headless: stop after this many messages
    #[arg(
        short = 'C',
        long,
        value_name = "N",
        requires = "headless",
        env = "TWINVIEW_COUNT"
    )]
    pub count: Option<u64>,
}

/// Durations on the command line and in the config file (`30s`, `5m`, `1h`, `7d`, `500ms`).
pub use crate::text::parse_duration;

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn faults() {
        use crate::sim::FaultKind;
        let plan = |s: &str, k, a, l: Option<u64>| crate::sim::FaultPlan {
            sensor: s.into(),
            kind: k,
            after: Duration::from_secs(a),
            lasting: l.map(Duration::from_secs),
        };
        assert_eq!(
            parse_fault("s2:drift@10"),
            Ok(plan("s2", FaultKind::Drift, 10, None))
        );
        assert_eq!(
            parse_fault("TEMP_001:spike"),
            Ok(plan("TEMP_001", FaultKind::Spike, 0, None))
        );
        assert_eq!(
            parse_fault("s4:drop@60+20"),
            Ok(plan("s4", FaultKind::Drop, 60, Some(20)))
        );
        assert!(parse_fault("s2").is_err());
        assert!(parse_fault("s2:melt").is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2.5"), Ok(Duration::from_millis(2500)));
        assert!(parse_duration("soon").is_err());
        // Days, for the store's retention.
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert!(parse_duration("5w").is_err());
        assert!(parse_duration("-1s").is_err());
    }

    #[test]
    fn topics_repeat_and_subcommands_parse() {
        let cli =
            Cli::try_parse_from(["twinview", "-t", "a/#", "-t", "b/+/c", "--qos", "1"]).unwrap();
        assert_eq!(cli.conn.topics, ["a/#", "b/+/c"]);
        assert!(Cli::try_parse_from(["twinview", "--qos", "3"]).is_err());
        let cli = Cli::try_parse_from(["twinview", "demo", "--headless", "-d", "5s"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Demo(ref d)) if d.view.headless));
        // There is deliberately no way to pass a password in argv.
        assert!(Cli::try_parse_from(["twinview", "--password", "x"]).is_err());
    }
}
