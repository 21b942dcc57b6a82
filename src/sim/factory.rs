//! The simulated factory (docs/conventions.md §5): machines that bid for jobs and a supervisor that
//! runs the Contract Net — each its own MQTT client with its own Last Will.

use std::collections::BTreeMap;
use std::time::Duration;

use fastrand::Rng;
use rumqttc::QoS;
use serde_json::{json, Value};
use tokio::time::Instant;

use super::wire::{Identity, Wire};

/// Job types the supervisor asks for; machines can do some of them.
pub const JOB_TYPES: &[&str] = &["drilling", "milling", "welding", "painting"];
/// A job type no simulated machine can do, asked for now and then so `unassigned` shows up.
pub const IMPOSSIBLE: &str = "inspection";

/// One machine's identity and what it can do (job type → seconds).
#[derive(Debug, Clone, PartialEq)]
pub struct MachineSpec {
    pub id: String,
    pub capabilities: BTreeMap<String, f64>,
}

/// Machines `m1`…`mN` with seeded capabilities: each type with probability 0.6 (at least one),
/// 1.5–6 s in half seconds; every type is covered by some machine, so only `inspection`
/// ends unassigned for want of a capable machine.
pub fn machines(n: usize, rng: &mut Rng) -> Vec<MachineSpec> {
    let mut all: Vec<MachineSpec> = (0..n)
        .map(|i| {
            let mut capabilities = BTreeMap::new();
            for ty in JOB_TYPES {
                if rng.f64() < 0.6 {
                    capabilities.insert(ty.to_string(), 1.5 + rng.u32(0..10) as f64 * 0.5);
                }
            }
            if capabilities.is_empty() {
                let ty = JOB_TYPES[i % JOB_TYPES.len()];
                capabilities.insert(ty.to_string(), 3.0);
            }
            MachineSpec {
                id: format!("m{}", i + 1),
                capabilities,
            }
        })
        .collect();
    for (k, ty) in JOB_TYPES.iter().enumerate() {
        if !all.is_empty() && !all.iter().any(|m| m.capabilities.contains_key(*ty)) {
            let i = k % all.len();
            all[i]
                .capabilities
                .insert(ty.to_string(), 1.5 + rng.u32(0..10) as f64 * 0.5);
        }
    }
    all
}

/// Topic of a machine's liveness (a plain Last Will).
pub fn status_topic(id: &str) -> String {
    format!("factory/{id}/status")
}

fn wire(host: &str, port: u16, id: &str, client_id: String, filters: Vec<String>) -> Wire {
    Wire::connect(&Identity {
        host: host.to_string(),
        port,
        client_id,
        status_topic: status_topic(id),
        online: "online".into(),
        offline: "offline".into(),
        filters,
    })
}

fn parse(payload: &[u8]) -> Option<Value> {
    serde_json::from_slice(payload).ok()
}

/// A machine: proposes when capable and idle, refuses when it cannot do the job, ignores calls
/// while busy, works for the awarded time and then reports done. In the demo, `x` cuts its
/// connection without DISCONNECT (its Last Will says `offline`, its job is lost) and `u`
/// brings it back.
pub async fn run_machine(
    host: String,
    port: u16,
    run_id: u32,
    prefix: String,
    spec: MachineSpec,
    mut control: tokio::sync::mpsc::UnboundedReceiver<super::SimControl>,
) {
    let assign_topic = format!("{prefix}/assign/{}", spec.id);
    let connect = || {
        wire(
            &host,
            port,
            &spec.id,
            format!("sim-{}-{run_id:08x}", spec.id),
            vec![format!("{prefix}/cfp"), assign_topic.clone()],
        )
    };
    let mut conn = Some(connect());
    let bid_topic = format!("{prefix}/bid/{}", spec.id);
    let done_topic = format!("{prefix}/done/{}", spec.id);
    let mut busy: Option<(String, Instant)> = None;
    let mut controlled = true;
    loop {
        let until = busy.as_ref().map(|(_, t)| *t);
        let inbox = async {
            match conn.as_mut() {
                Some(w) => w.inbox.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = async { tokio::time::sleep_until(until.unwrap_or_else(Instant::now)).await }, if until.is_some() => {
                if let (Some((job, _)), Some(w)) = (busy.take(), &conn) {
                    let _ = w.client.publish(&done_topic, QoS::AtLeastOnce, false, json!({"job_id": job}).to_string()).await;
                }
            }
            msg = inbox => {
                let Some((topic, payload)) = msg else { return };
                let Some(v) = parse(&payload) else { continue };
                let Some(job) = v.get("job_id").and_then(Value::as_str).map(String::from) else { continue };
                let Some(w) = &conn else { continue };
                if topic == assign_topic {
                    let secs = v.get("time").and_then(Value::as_f64).unwrap_or(1.0).clamp(0.0, 3600.0);
                    busy = Some((job, Instant::now() + Duration::from_secs_f64(secs)));
                } else if busy.is_none() {
                    let ty = v.get("job_type").and_then(Value::as_str).unwrap_or("");
                    let answer = match spec.capabilities.get(ty) {
                        Some(t) => json!({"job_id": job, "time": t}),
                        None => json!({"job_id": job, "reason": "cannot_do"}),
                    };
                    let _ = w.client.publish(&bid_topic, QoS::AtLeastOnce, false, answer.to_string()).await;
                }
            }
            c = control.recv(), if controlled => match c {
                Some(super::SimControl::Drop) | Some(super::SimControl::Fault(super::FaultKind::Drop)) => {
                    if conn.take().is_some() {
                        busy = None;
                        log::warn!("simulated {} dropped hard (no DISCONNECT): the broker fires its Last Will", spec.id);
                    }
                }
                Some(super::SimControl::Restore) => {
                    if conn.is_none() {
                        conn = Some(connect());
                        log::info!("simulated {} reconnecting", spec.id);
                    }
                }
                Some(super::SimControl::Fault(kind)) => {
                    log::info!("simulated {}: a machine has no {kind:?} fault (x drops it)", spec.id);
                }
                None => controlled = false,
            }
        }
    }
}

/// How the supervisor generates work.
#[derive(Debug, Clone)]
pub struct SupervisorSpec {
    pub every: Duration,
    pub deadline: Duration,
    /// Chance that a job is of a type no machine can do.
    pub impossible_share: f64,
}

/// The supervisor: broadcasts a call for proposals, collects proposals until its deadline and
/// awards the shortest to that machine only.
pub async fn run_supervisor(
    host: String,
    port: u16,
    run_id: u32,
    prefix: String,
    spec: SupervisorSpec,
    mut rng: Rng,
) {
    let mut w = wire(
        &host,
        port,
        "supervisor",
        format!("sim-supervisor-{run_id:08x}"),
        vec![format!("{prefix}/bid/+")],
    );
    let bid_prefix = format!("{prefix}/bid/");
    let mut tick = tokio::time::interval(spec.every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Let the machines subscribe before the first call.
    tokio::time::sleep(Duration::from_millis(500)).await;
    for n in 1u64.. {
        tick.tick().await;
        let job = format!("JOB_{n}");
        let ty = if rng.f64() < spec.impossible_share {
            IMPOSSIBLE
        } else {
            JOB_TYPES[rng.usize(..JOB_TYPES.len())]
        };
        let cfp = json!({"job_id": job, "job_type": ty, "deadline": spec.deadline.as_secs_f64()});
        if w.client
            .publish(
                format!("{prefix}/cfp"),
                QoS::AtLeastOnce,
                false,
                cfp.to_string(),
            )
            .await
            .is_err()
        {
            return;
        }
        let deadline = Instant::now() + spec.deadline;
        let mut best: Option<(String, f64)> = None;
        loop {
            let msg = tokio::select! {
                m = w.inbox.recv() => m,
                _ = tokio::time::sleep_until(deadline) => break,
            };
            let Some((topic, payload)) = msg else { return };
            let Some(machine) = topic.strip_prefix(&bid_prefix) else {
                continue;
            };
            let Some(v) = parse(&payload) else { continue };
            if v.get("job_id").and_then(Value::as_str) != Some(job.as_str()) {
                continue;
            }
            if let Some(t) = v.get("time").and_then(Value::as_f64) {
                if best.as_ref().is_none_or(|(_, b)| t < *b) {
                    best = Some((machine.to_string(), t));
                }
            }
        }
        if let Some((machine, t)) = best {
            let award = json!({"job_id": job, "time": t});
            let _ = w
                .client
                .publish(
                    format!("{prefix}/assign/{machine}"),
                    QoS::AtLeastOnce,
                    false,
                    award.to_string(),
                )
                .await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machines_have_capabilities_from_the_known_types() {
        let mut rng = Rng::with_seed(42);
        let ms = machines(5, &mut rng);
        assert_eq!(ms.len(), 5);
        assert_eq!(ms[0].id, "m1");
        for m in &ms {
            assert!(!m.capabilities.is_empty());
            for (ty, t) in &m.capabilities {
                assert!(JOB_TYPES.contains(&ty.as_str()));
                assert!((1.5..=6.0).contains(t), "{t}");
            }
            assert!(!m.capabilities.contains_key(IMPOSSIBLE));
        }
        for ty in JOB_TYPES {
            assert!(ms.iter().any(|m| m.capabilities.contains_key(*ty)), "{ty}");
        }
        let one = machines(1, &mut Rng::with_seed(1));
        assert_eq!(one[0].capabilities.len(), JOB_TYPES.len());
        // Seeded: the same world every time.
        assert_eq!(ms, machines(5, &mut Rng::with_seed(42)));
    }
}
