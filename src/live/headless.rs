//! `--headless`: ingest exactly as the UI does, then print one JSON snapshot
//! ([`crate::outputs::snapshot`]).

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::error::AppError;
use crate::live::pump::Step;
use crate::live::{Live, Woke};
use crate::outputs::snapshot::Snapshot;
use crate::source::event::{ConnState, Event};
use crate::twin::Twin;

/// What ended a headless run.
pub struct Limits {
    pub duration: Option<Duration>,
    pub count: Option<u64>,
}

/// Runs the loop until the limits are reached, the source ends, or SIGINT/SIGTERM.
///
/// A connection that fails before it ever succeeded ends the run with [`AppError::Connect`]:
/// scripts must learn at once that the broker is wrong, not after `--duration`.
pub async fn ingest(live: &mut Live, limits: &Limits) -> Result<(), AppError> {
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

    loop {
        let mut refused = None;
        let woke = tokio::select! {
            woke = live.step(|twin, ev| match ev {
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
                Event::Message(m)
                    if !m.topic.starts_with('$')
                        && limits.count.is_some_and(|c| twin.messages + 1 >= c) =>
                {
                    Step::StopAfter
                }
                _ => Step::Go,
            }) => woke,
            _ = &mut sleep => return Ok(()),
            _ = &mut shutdown => return Ok(()),
        };
        match woke {
            Woke::Ended => return Ok(()),
            Woke::Batch(batch) => {
                if let Some(reason) = refused {
                    return Err(AppError::Connect(format!(
                        "cannot connect to {}: {reason}",
                        live.source()
                    )));
                }
                if batch.stopped || done(&live.twin) {
                    return Ok(());
                }
                crate::live::pump::settle(batch).await;
            }
            Woke::Tick | Woke::Asked => {}
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
pub async fn run(mut live: Live, limits: Limits) -> Result<DateTime<Utc>, AppError> {
    let ended = ingest(&mut live, &limits).await;
    let now = Utc::now();
    let finished = live.finish(now);
    ended?;
    finished?;
    let snap =
        Snapshot::of(&live.twin, live.source(), live.dropped(), now).with_outputs(live.health());
    drop(live);
    snap.print()?;
    Ok(now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::event::Message;

    #[tokio::test]
    async fn connection_failure_before_first_success_is_an_error() {
        let (tx, rx) = tokio::sync::mpsc::channel(8);
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
        let mut live = Live::new(Twin::default(), Some(rx), "mqtt://x:1", Default::default());
        let limits = Limits {
            duration: Some(Duration::from_secs(5)),
            count: None,
        };
        let err = ingest(&mut live, &limits).await.unwrap_err();
        assert_eq!(err.exit_code(), 3);
        assert_eq!(
            err.to_string(),
            "cannot connect to mqtt://x:1: connection refused"
        );
    }

    #[tokio::test]
    async fn count_limit_stops_ingest() {
        let (tx, rx) = tokio::sync::mpsc::channel(64);
        for i in 0..10 {
            tx.send(Event::Message(Message::new(
                Utc::now(),
                "a/b/c",
                format!("{i}").into_bytes(),
            )))
            .await
            .unwrap();
        }
        let mut live = Live::new(Twin::default(), Some(rx), "x", Default::default());
        let limits = Limits {
            duration: None,
            count: Some(4),
        };
        ingest(&mut live, &limits).await.unwrap();
        assert_eq!(live.twin.messages, 4);
    }
}
