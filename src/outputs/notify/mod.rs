//! Alarm notifications, an output of the live loop (docs/alarms.md, "Notifications").
//!
//! Each alarm transition the twin journals (raised, cleared, acknowledged, shelved,
//! chattering) goes to the targets of its rule and to every `--notify` target ([`target`]
//! lists the URL forms). Every target has a task of its own fed from a bounded queue, so a
//! slow or absent receiver never holds up ingest or another target; feeding never blocks, and
//! what a full queue cannot hold is counted as lost.
//!
//! - MQTT: each transition published with QoS 1 as JSON, and the set of active alarms
//!   retained on `TOPIC/active` (the seed paper's alert network: whoever subscribes learns the
//!   current alarms at once). rumqttc reconnects and re-sends what was not acknowledged.
//! - Webhooks, ntfy, email, desktop ([`deliver`]): one transition at a time, in order; a
//!   failed attempt is retried after 1 s, 2 s, 4 s … up to a minute between tries until it is
//!   delivered (a receiver that is down gets everything once it is back); an answer that says
//!   retrying cannot help (HTTP 4xx, an SMTP 5xx) is counted as lost and logged.
//!
//! Exactly once: a transition is sent until one attempt is acknowledged (an MQTT PUBACK, a
//! 2xx answer, SMTP's 250 after the message). Only when the acknowledgement itself is lost
//! (the connection cut between the receiver's commit and its answer) can a transition arrive
//! twice; each carries an `id` (the email its Message-ID) so a receiver can drop that rare
//! duplicate.

pub mod deliver;
pub mod target;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use tokio::sync::mpsc;

use super::{Health, News, Output, Wants};
use crate::error::AppError;
use crate::twin::journal::What;
use crate::twin::Twin;
pub use target::NotifyTarget;

/// Notifications waiting per target at most.
const QUEUE: usize = 4096;

/// The longest wait between two attempts at one delivery.
const BACKOFF_MAX: Duration = Duration::from_secs(60);

/// One alarm transition, as every target receives it.
#[derive(Debug)]
pub struct Transition {
    pub id: String,
    pub t: DateTime<Utc>,
    pub alarm: String,
    pub priority: &'static str,
    pub subject: String,
    pub state: &'static str,
    pub value: Option<f64>,
    pub message: String,
    /// The JSON document (MQTT and plain webhooks send it as it is).
    pub json: Vec<u8>,
}

impl Transition {
    /// `[CRITICAL] freezer warm: active (home/freezer/temperature)`: a subject line.
    pub fn title(&self) -> String {
        format!(
            "[{}] {}: {} ({})",
            self.priority.to_ascii_uppercase(),
            crate::text::visible(&self.alarm),
            self.state,
            crate::text::visible(&self.subject)
        )
    }

    /// The rule's message, then the facts, one a line.
    pub fn body(&self) -> String {
        let mut b = format!(
            "{}\n\nalarm: {}\npriority: {}\nstate: {}\nsubject: {}\n",
            crate::text::visible(&self.message),
            crate::text::visible(&self.alarm),
            self.priority,
            self.state,
            crate::text::visible(&self.subject),
        );
        if let Some(v) = self.value {
            b.push_str(&format!("value: {v}\n"));
        }
        b.push_str(&format!("at: {}\nid: {}\n", self.t.to_rfc3339(), self.id));
        b
    }

    /// One line for a chat: `[critical] freezer warm active: <message>`.
    pub fn line(&self) -> String {
        format!(
            "[{}] {} {}: {}",
            self.priority,
            crate::text::visible(&self.alarm),
            self.state,
            crate::text::visible(&self.message)
        )
    }

    /// ntfy's 1 (min) to 5 (max).
    pub fn ntfy_priority(&self) -> u8 {
        match self.priority {
            "critical" => 5,
            "high" => 4,
            "medium" => 3,
            _ => 2,
        }
    }
}

/// The TLS roots and SMTP password the targets may need (`--notify-ca`,
/// `--notify-password-file`).
#[derive(Debug, Clone, Default)]
pub struct NotifySettings {
    pub ca: Option<std::path::PathBuf>,
    pub password: Option<crate::source::conn::Secret>,
}

#[derive(Debug, Default)]
struct Counters {
    sent: AtomicU64,
    lost: AtomicU64,
    queued: AtomicU64,
    /// Targets whose last attempt failed and are being retried.
    failing: AtomicU64,
}

/// What a target's queue carries.
#[derive(Debug, Clone)]
enum Note {
    Transition(Arc<Transition>),
    /// The set of active alarms, JSON (MQTT targets only: retained on `TOPIC/active`).
    Active(Arc<Vec<u8>>),
}

/// The notifications output.
pub struct Notifier {
    /// Per target: its queue.
    targets: Vec<(NotifyTarget, mpsc::Sender<Note>)>,
    /// Every-rule targets (`--notify`), by index into `targets`.
    global: Vec<usize>,
    /// Per rule: its own targets, by index.
    per_rule: Vec<Vec<usize>>,
    counters: Arc<Counters>,
    shown: Arc<str>,
    seq: u64,
}

impl Notifier {
    /// Starts a delivering task per target (call inside the runtime). `global` applies to
    /// every rule; `per_rule[i]` are rule i's own. TLS roots are read once, here, when a
    /// target needs them; `desktop://` needs `notify-send` on the PATH.
    pub fn start(
        global: &[String],
        per_rule: &[Vec<String>],
        settings: &NotifySettings,
    ) -> Result<Notifier, AppError> {
        let parsed: Vec<NotifyTarget> = global
            .iter()
            .chain(per_rule.iter().flatten())
            .map(|u| NotifyTarget::parse(u).map_err(AppError::Usage))
            .collect::<Result<_, _>>()?;
        let tls = if parsed.iter().any(NotifyTarget::tls) {
            Some(crate::source::tls::client_config(
                &crate::source::tls::TlsSettings {
                    ca: settings.ca.clone(),
                    ..Default::default()
                },
            )?)
        } else {
            None
        };
        if parsed.contains(&NotifyTarget::Desktop) && !on_path("notify-send") {
            return Err(AppError::Usage(
                "desktop:// notifications need notify-send on the PATH (Debian: apt install libnotify-bin)".into(),
            ));
        }
        let means = deliver::Means {
            tls,
            password: settings.password.clone(),
        };
        let mut targets: Vec<(NotifyTarget, mpsc::Sender<Note>)> = Vec::new();
        let counters = Arc::new(Counters::default());
        // `parsed` holds the global URLs, then each rule's in order: one task per distinct target.
        let mut index = |t: &NotifyTarget| -> usize {
            if let Some(i) = targets.iter().position(|(x, _)| x == t) {
                return i;
            }
            let (tx, rx) = mpsc::channel(QUEUE);
            match t {
                NotifyTarget::Mqtt { host, port, topic } => {
                    spawn_mqtt(host.clone(), *port, topic.clone(), rx, counters.clone())
                }
                _ => spawn_delivery(t.clone(), rx, counters.clone(), means.clone()),
            }
            targets.push((t.clone(), tx));
            targets.len() - 1
        };
        let mut next = parsed.iter();
        let global: Vec<usize> = next.by_ref().take(global.len()).map(&mut index).collect();
        let per_rule: Vec<Vec<usize>> = per_rule
            .iter()
            .map(|urls| next.by_ref().take(urls.len()).map(&mut index).collect())
            .collect();
        let shown: Arc<str> = targets
            .iter()
            .map(|(t, _)| t.describe())
            .collect::<Vec<_>>()
            .join(", ")
            .into();
        Ok(Notifier {
            targets,
            global,
            per_rule,
            counters,
            shown,
            seq: 0,
        })
    }

    /// Whether there is anywhere to notify.
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    fn send(&self, target: usize, note: Note) {
        let c = &self.counters;
        match self.targets[target].1.try_send(note) {
            Ok(()) => {
                c.queued.fetch_add(1, Ordering::Relaxed);
            }
            Err(_) => {
                c.lost.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// Whether `program` is an executable file in a folder of the PATH.
fn on_path(program: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|d| {
            std::fs::metadata(d.join(program))
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
    })
}

/// The publishing task of an MQTT target: its own connection (rumqttc reconnects by itself
/// and re-sends unacknowledged QoS 1 publishes).
fn spawn_mqtt(
    host: String,
    port: u16,
    topic: String,
    mut rx: mpsc::Receiver<Note>,
    c: Arc<Counters>,
) {
    let mut opts = MqttOptions::new(
        format!("twinview-notify-{:08x}", fastrand::u32(..)),
        host,
        port,
    );
    opts.set_keep_alive(Duration::from_secs(30));
    opts.set_clean_session(false);
    let (client, mut eventloop) = AsyncClient::new(opts, 256);
    let acks = c.clone();
    tokio::spawn(async move {
        let mut failing = false;
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::PubAck(_))) => {
                    acks.sent.fetch_add(1, Ordering::Relaxed);
                    acks.queued.fetch_sub(1, Ordering::Relaxed);
                }
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    if failing {
                        log::info!("notifications: connected again");
                        acks.failing.fetch_sub(1, Ordering::Relaxed);
                    }
                    failing = false;
                }
                Ok(_) => {}
                Err(e) => {
                    if !failing {
                        log::warn!("notifications: cannot reach the broker ({e}); retrying");
                        acks.failing.fetch_add(1, Ordering::Relaxed);
                    }
                    failing = true;
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    });
    tokio::spawn(async move {
        while let Some(note) = rx.recv().await {
            let (topic, payload, retain) = match note {
                Note::Transition(n) => (topic.clone(), n.json.clone(), false),
                Note::Active(set) => (format!("{topic}/active"), set.to_vec(), true),
            };
            if client
                .publish(topic, QoS::AtLeastOnce, retain, payload)
                .await
                .is_err()
            {
                c.queued.fetch_sub(1, Ordering::Relaxed);
                c.lost.fetch_add(1, Ordering::Relaxed);
            }
        }
    });
}

/// The delivering task of a webhook, ntfy, email or desktop target: one transition at a
/// time, in order, each retried with a growing pause until it is delivered or refused for
/// good.
fn spawn_delivery(
    target: NotifyTarget,
    mut rx: mpsc::Receiver<Note>,
    c: Arc<Counters>,
    means: deliver::Means,
) {
    tokio::spawn(async move {
        let shown = target.describe();
        let mut failing = false;
        while let Some(note) = rx.recv().await {
            let Note::Transition(n) = note else {
                c.queued.fetch_sub(1, Ordering::Relaxed);
                continue;
            };
            let mut pause = Duration::from_secs(1);
            loop {
                match deliver::deliver(&target, &n, &means).await {
                    Ok(()) => {
                        c.sent.fetch_add(1, Ordering::Relaxed);
                        if failing {
                            log::info!("notifications to {shown}: delivered again");
                            c.failing.fetch_sub(1, Ordering::Relaxed);
                            failing = false;
                        }
                        break;
                    }
                    Err(f) if !f.retry => {
                        c.lost.fetch_add(1, Ordering::Relaxed);
                        log::warn!("notification {} to {shown} not delivered: {}", n.id, f.why);
                        break;
                    }
                    Err(f) => {
                        if !failing {
                            log::warn!("notifications to {shown}: {}; retrying", f.why);
                            c.failing.fetch_add(1, Ordering::Relaxed);
                            failing = true;
                        }
                        tokio::time::sleep(pause).await;
                        pause = (pause * 2).min(BACKOFF_MAX);
                    }
                }
            }
            c.queued.fetch_sub(1, Ordering::Relaxed);
        }
    });
}

impl Output for Notifier {
    fn wants(&self) -> Wants {
        Wants {
            happenings: true,
            scores: false,
            rows: false,
        }
    }

    fn feed(&mut self, twin: &Twin, news: &News<'_>) {
        let mut changed = Vec::new();
        for h in news.happenings {
            let What::Alarm {
                name,
                priority,
                subject,
                state,
                value,
                message,
            } = &h.what
            else {
                continue;
            };
            let Some(rule) = twin.alarms.rules.iter().position(|r| r.name == *name) else {
                continue;
            };
            self.seq += 1;
            let id = format!("{}-{}-{}", h.t.timestamp_millis(), rule, self.seq);
            let json = serde_json::json!({
                "id": id,
                "t": crate::outputs::snapshot::ts(h.t),
                "alarm": name,
                "priority": priority,
                "subject": subject,
                "state": state,
                "value": value,
                "message": message,
            })
            .to_string()
            .into_bytes();
            let n = Arc::new(Transition {
                id,
                t: h.t,
                alarm: name.clone(),
                priority,
                subject: subject.clone(),
                state,
                value: *value,
                message: message.clone(),
                json,
            });
            let mut to: Vec<usize> = self.global.clone();
            to.extend(self.per_rule.get(rule).into_iter().flatten());
            to.sort_unstable();
            to.dedup();
            for t in to {
                self.send(t, Note::Transition(n.clone()));
                if matches!(self.targets[t].0, NotifyTarget::Mqtt { .. }) {
                    changed.push(t);
                }
            }
        }
        if changed.is_empty() {
            return;
        }
        // The set of active alarms, retained, for whoever subscribes later.
        changed.sort_unstable();
        changed.dedup();
        let active: Vec<serde_json::Value> = twin
            .alarms
            .standing()
            .into_iter()
            .filter(|a| a.state.active() && a.shelved_until.is_none())
            .map(|a| {
                let r = &twin.alarms.rules[a.rule];
                serde_json::json!({
                    "alarm": r.name, "priority": r.priority.as_str(), "subject": a.subject,
                    "state": a.state.as_str(), "since": crate::outputs::snapshot::ts(a.since),
                    "value": a.value,
                })
            })
            .collect();
        let set = Arc::new(serde_json::Value::Array(active).to_string().into_bytes());
        for t in changed {
            self.send(t, Note::Active(set.clone()));
        }
    }

    fn health(&self) -> Option<Health> {
        let c = &self.counters;
        Some(Health {
            output: "notify",
            target: self.shown.clone(),
            written: c.sent.load(Ordering::Relaxed),
            lost: c.lost.load(Ordering::Relaxed),
            queued: c.queued.load(Ordering::Relaxed),
            failing: c.failing.load(Ordering::Relaxed) > 0,
        })
    }

    /// Gives what is queued up to five seconds to be delivered (a headless run ending right
    /// after an alarm still sends it).
    fn finish(&mut self) -> Result<(), AppError> {
        let start = std::time::Instant::now();
        while self.counters.queued.load(Ordering::Relaxed) > 0
            && start.elapsed() < Duration::from_secs(5)
        {
            std::thread::sleep(Duration::from_millis(20));
        }
        let left = self.counters.queued.load(Ordering::Relaxed);
        if left > 0 {
            log::warn!("{left} alarm notifications not delivered by the end of the run");
        }
        Ok(())
    }
}
