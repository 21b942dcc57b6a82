//! Alarm notifications, an output of the live loop (docs/alarms.md, "Notifications").
//!
//! Each alarm transition the twin journals (raised, cleared, acknowledged, shelved, chattering)
//! goes to the targets of its rule and to every `--notify` target. This build delivers to MQTT
//! targets, `mqtt://HOST[:PORT]/TOPIC`: each transition published with QoS 1 on TOPIC as JSON,
//! and the set of active alarms retained on `TOPIC/active` (the seed paper's alert network:
//! whoever subscribes learns the current alarms at once). A task of its own per broker
//! publishes from a bounded queue; rumqttc reconnects and re-sends what was not acknowledged,
//! so a target that is down receives its notifications once it is back (each carries an `id`,
//! so a receiver can drop the rare duplicate a reconnection may cause). Feeding never blocks:
//! what the queue cannot hold is counted as lost.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use tokio::sync::mpsc;

use super::{Health, News, Output, Wants};
use crate::error::AppError;
use crate::twin::journal::What;
use crate::twin::Twin;

/// Notifications waiting per target at most.
const QUEUE: usize = 4096;

/// Where notifications go.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum NotifyTarget {
    Mqtt {
        host: String,
        port: u16,
        topic: String,
    },
}

impl NotifyTarget {
    /// `mqtt://HOST[:PORT]/TOPIC`. Other schemes of the Apprise style are named and refused.
    pub fn parse(url: &str) -> Result<NotifyTarget, String> {
        let Some(rest) = url.strip_prefix("mqtt://") else {
            let scheme = url.split("://").next().unwrap_or(url);
            return Err(format!(
                "notify target `{}`: this build delivers to mqtt://HOST[:PORT]/TOPIC only (not {scheme}://)",
                crate::text::redacted(url)
            ));
        };
        let (hostport, topic) = rest
            .split_once('/')
            .ok_or_else(|| format!("notify target `{url}`: no topic (mqtt://HOST[:PORT]/TOPIC)"))?;
        if topic.is_empty() || topic.contains(['+', '#']) {
            return Err(format!(
                "notify target `{url}`: the topic must be a plain topic, without + or #"
            ));
        }
        if hostport.contains('@') {
            return Err(format!(
                "notify target `{}`: no user or password in the URL",
                crate::text::redacted(url)
            ));
        }
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) => (
                h.to_string(),
                p.parse()
                    .map_err(|_| format!("notify target `{url}`: `{p}` is not a port"))?,
            ),
            None => (hostport.to_string(), 1883),
        };
        if host.is_empty() {
            return Err(format!("notify target `{url}`: no host"));
        }
        Ok(NotifyTarget::Mqtt {
            host,
            port,
            topic: topic.to_string(),
        })
    }

    pub fn describe(&self) -> String {
        match self {
            NotifyTarget::Mqtt { host, port, topic } => format!("mqtt://{host}:{port}/{topic}"),
        }
    }
}

#[derive(Debug, Default)]
struct Counters {
    sent: AtomicU64,
    lost: AtomicU64,
    queued: AtomicU64,
}

/// One message for a target: topic, payload, retained.
type Note = (String, Vec<u8>, bool);

/// The notifications output.
pub struct Notifier {
    /// Per target: its queue and its topic.
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
    /// Starts a publishing task per target (call inside the runtime). `global` applies to
    /// every rule; `per_rule[i]` are rule i's own.
    pub fn start(global: &[String], per_rule: &[Vec<String>]) -> Result<Notifier, AppError> {
        let mut targets: Vec<(NotifyTarget, mpsc::Sender<Note>)> = Vec::new();
        let counters = Arc::new(Counters::default());
        let mut index = |url: &str| -> Result<usize, AppError> {
            let t = NotifyTarget::parse(url).map_err(AppError::Usage)?;
            if let Some(i) = targets.iter().position(|(x, _)| *x == t) {
                return Ok(i);
            }
            let (tx, rx) = mpsc::channel(QUEUE);
            spawn(t.clone(), rx, counters.clone());
            targets.push((t, tx));
            Ok(targets.len() - 1)
        };
        let global = global
            .iter()
            .map(|u| index(u))
            .collect::<Result<Vec<_>, _>>()?;
        let per_rule = per_rule
            .iter()
            .map(|urls| urls.iter().map(|u| index(u)).collect::<Result<Vec<_>, _>>())
            .collect::<Result<Vec<_>, _>>()?;
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

/// The publishing task of one target: its own MQTT connection (rumqttc reconnects by itself
/// and re-sends unacknowledged QoS 1 publishes).
fn spawn(target: NotifyTarget, mut rx: mpsc::Receiver<Note>, c: Arc<Counters>) {
    let NotifyTarget::Mqtt { host, port, .. } = target;
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
                    }
                    failing = false;
                }
                Ok(_) => {}
                Err(e) => {
                    if !failing {
                        log::warn!("notifications: cannot reach the broker ({e}); retrying");
                    }
                    failing = true;
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    });
    tokio::spawn(async move {
        while let Some((topic, payload, retain)) = rx.recv().await {
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
            let payload = serde_json::json!({
                "id": format!("{}-{}-{}", h.t.timestamp_millis(), rule, self.seq),
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
            let mut to: Vec<usize> = self.global.clone();
            to.extend(self.per_rule.get(rule).into_iter().flatten());
            to.sort_unstable();
            to.dedup();
            for t in to {
                let NotifyTarget::Mqtt { topic, .. } = &self.targets[t].0;
                self.send(t, (topic.clone(), payload.clone(), false));
                changed.push(t);
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
        let set = serde_json::Value::Array(active).to_string().into_bytes();
        for t in changed {
            let NotifyTarget::Mqtt { topic, .. } = &self.targets[t].0;
            self.send(t, (format!("{topic}/active"), set.clone(), true));
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
            failing: false,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_and_other_schemes_are_named() {
        assert_eq!(
            NotifyTarget::parse("mqtt://broker:1884/plant/alarms"),
            Ok(NotifyTarget::Mqtt {
                host: "broker".into(),
                port: 1884,
                topic: "plant/alarms".into()
            })
        );
        assert!(NotifyTarget::parse("mqtt://broker/a/#").is_err());
        assert!(NotifyTarget::parse("mqtt://broker").is_err());
        let e = NotifyTarget::parse("json://hooks.lan/alarm").unwrap_err();
        assert!(e.contains("not json://"), "{e}");
        let e = NotifyTarget::parse("mqtt://u:secret@broker/a").unwrap_err();
        assert!(!e.contains("secret"), "{e}");
    }
}
