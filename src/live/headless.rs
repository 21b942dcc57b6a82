//! `--headless`: ingest exactly as the UI does, then print one JSON snapshot
//! ([`crate::outputs::snapshot`]).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;

use crate::error::AppError;
use crate::live::pump::Step;
use crate::outputs::events::EventsWriter;
use crate::outputs::snapshot::Snapshot;
use crate::source::event::{ConnState, Event};
use crate::source::mqtt::SourceStats;
use crate::twin::Twin;

/// What ended a headless run.
pub struct Limits {
    pub duration: Option<Duration>,
    pub count: Option<u64>,
}

/// Feeds the twin until the limits are reached, the source ends, or SIGINT/SIGTERM.
///
/// A connection that fails before it ever succeeded ends the run with [`AppError::Connect`]:
/// scripts must learn at once that the broker is wrong, not after `--duration`.
pub async fn ingest(
    twin: &mut Twin,
    rx: &mut mpsc::Receiver<Event>,
    limits: &Limits,
    source: &str,
    events: Option<&EventsWriter>,
    serving: &mut crate::outputs::metrics::Serving,
    stats: &SourceStats,
) -> Result<(), AppError> {
    let drain = |twin: &mut Twin| {
        if let Some(w) = events {
            w.drain(twin);
        }
    };
    let deadline = limits
        .duration
        .map(|d| tokio::time::Instant::now() + d)
        .unwrap_or_else(|| tokio::time::Instant::now() + Duration::from_secs(100 * 365 * 86400));
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    let sleep = tokio::time::sleep_until(deadline);
    tokio::pin!(sleep);
    let mut connected_once = false;
    let done = |twin: &Twin| limits.count.is_some_and(|c| twin.messages >= c);
    let mut liveness = tokio::time::interval(Duration::from_secs(1));
    liveness.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);

    loop {
        tokio::select! {
            ev = rx.recv() => {
                let Some(ev) = ev else { return Ok(()) };
                let mut refused = None;
                let batch = crate::live::pump::apply_batch(twin, ev, rx, |twin, ev| match ev {
                    Event::Connection(c) => match &c.state {
                        ConnState::Connected => {
                            connected_once = true;
                            Step::Go
                        }
                        ConnState::Reconnecting { reason, .. } | ConnState::Refused { reason, .. }
                            if !connected_once =>
                        {
                            refused = Some(reason.clone());
                            Step::StopBefore
                        }
                        _ => Step::Go,
                    },
                    Event::Message(_) if limits.count.is_some_and(|c| twin.messages + 1 >= c) => {
                        Step::StopAfter
                    }
                    _ => Step::Go,
                });
                drain(twin);
                if let Some(reason) = refused {
                    return Err(AppError::Connect(format!("cannot connect to {source}: {reason}")));
                }
                if batch.stopped || done(twin) {
                    return Ok(());
                }
                crate::live::pump::settle(batch).await;
            }
            _ = liveness.tick() => {
                twin.tick(Utc::now());
                drain(twin);
            }
            ask = serving.asks.next() => {
                serving.answer(ask, twin, source, stats.dropped(), rx.len());
            }
            _ = &mut sleep => return Ok(()),
            _ = &mut shutdown => return Ok(()),
        }
    }
}

/// Resolves on SIGINT, SIGTERM, SIGHUP (the terminal went away) or SIGQUIT: every one ends
/// twinview the same way, with the terminal restored and the snapshot or recording finished.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut term), Ok(mut hup), Ok(mut quit)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
            signal(SignalKind::quit()),
        ) else {
            let _ = tokio::signal::ctrl_c().await;
            return;
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
            _ = hup.recv() => {}
            _ = quit.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Runs a headless session and prints the snapshot on stdout; returns the time it describes.
pub async fn run(
    mut twin: Twin,
    mut rx: mpsc::Receiver<Event>,
    limits: Limits,
    source: &str,
    stats: Arc<SourceStats>,
    events: Option<EventsWriter>,
    mut serving: crate::outputs::metrics::Serving,
) -> Result<DateTime<Utc>, AppError> {
    let ended = ingest(
        &mut twin,
        &mut rx,
        &limits,
        source,
        events.as_ref(),
        &mut serving,
        &stats,
    )
    .await;
    let now = Utc::now();
    twin.tick(now);
    if let Some(w) = events {
        w.drain(&mut twin);
        w.finish();
    }
    ended?;
    let snap = Snapshot::of(&twin, source, stats.dropped(), now);
    drop(twin);
    snap.print()?;
    Ok(now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::event::Message;

    #[tokio::test]
    async fn connection_failure_before_first_success_is_an_error() {
        let (tx, mut rx) = mpsc::channel(8);
        tx.send(Event::Connection(crate::source::event::ConnEvent {
            at: Utc::now(),
            resumed: false,
            state: ConnState::Reconnecting {
                reason: "connection refused".into(),
                retry_in: Duration::from_secs(1),
            },
        }))
        .await
        .unwrap();
        let mut twin = Twin::default();
        let limits = Limits {
            duration: Some(Duration::from_secs(5)),
            count: None,
        };
        let err = ingest(
            &mut twin,
            &mut rx,
            &limits,
            "mqtt://x:1",
            None,
            &mut crate::outputs::metrics::Serving::none(),
            &SourceStats::default(),
        )
        .await
        .unwrap_err();
        assert_eq!(err.exit_code(), 3);
        assert_eq!(
            err.to_string(),
            "cannot connect to mqtt://x:1: connection refused"
        );
    }

    #[tokio::test]
    async fn count_limit_stops_ingest() {
        let (tx, mut rx) = mpsc::channel(64);
        for i in 0..10 {
            tx.send(Event::Message(Message::new(
                Utc::now(),
                "a/b/c",
                format!("{i}").into_bytes(),
            )))
            .await
            .unwrap();
        }
        let mut twin = Twin::default();
        let limits = Limits {
            duration: None,
            count: Some(4),
        };
        ingest(
            &mut twin,
            &mut rx,
            &limits,
            "x",
            None,
            &mut crate::outputs::metrics::Serving::none(),
            &SourceStats::default(),
        )
        .await
        .unwrap();
        assert_eq!(twin.messages, 4);
    }
}
