//! Plays a world on a broker in real time: every client of the world is its own MQTT
//! connection with its own Last Will (where the real system registers one). A lost
//! connection is cut without DISCONNECT, so the broker publishes the will as it would for a
//! real device. The truth so far is kept where the caller can read it when it stops.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use rumqttc::{AsyncClient, LastWill, MqttOptions, QoS};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::{Act, ClientDef, Kind, World, WorldTruth};

/// One open connection: dropping it aborts its poller (no DISCONNECT: the will fires).
struct Conn {
    client: AsyncClient,
    poller: JoinHandle<()>,
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.poller.abort();
    }
}

fn open(host: &str, port: u16, def: &ClientDef, run: u16) -> Conn {
    let mut opts = MqttOptions::new(format!("{}-{run:04x}", def.id), host, port);
    opts.set_keep_alive(Duration::from_secs(def.keepalive_s.max(5)));
    opts.set_max_packet_size(1 << 20, 1 << 20);
    if let Some(w) = &def.will {
        opts.set_last_will(LastWill::new(
            w.topic.clone(),
            w.payload.clone(),
            QoS::AtLeastOnce,
            w.retain,
        ));
    }
    let (client, mut eventloop) = AsyncClient::new(opts, 1024);
    let id = def.id.clone();
    let poller = tokio::spawn(async move {
        loop {
            if let Err(e) = eventloop.poll().await {
                log::debug!("simulated {id}: {e}");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    });
    Conn { client, poller }
}

/// A world playing on a broker.
pub struct Running {
    pub task: JoinHandle<()>,
    pub truth: Arc<Mutex<WorldTruth>>,
}

/// Starts `kind` (seeded) on `host:port` after `after`; it runs for `duration` or until
/// aborted.
pub fn spawn(
    host: &str,
    port: u16,
    kind: Kind,
    seed: u64,
    duration: Option<Duration>,
    after: Duration,
) -> Running {
    let start = Utc::now() + chrono::Duration::from_std(after).unwrap_or_default();
    let world = World::build(kind, seed, start, duration.map(|d| d.as_secs_f64()));
    let truth = Arc::new(Mutex::new(world.truth.clone()));
    let shared = truth.clone();
    let host = host.to_string();
    let task = tokio::spawn(async move {
        tokio::time::sleep(after).await;
        play(&host, port, world, shared).await;
    });
    Running { task, truth }
}

async fn play(host: &str, port: u16, mut world: World, truth: Arc<Mutex<WorldTruth>>) {
    let t0 = Instant::now();
    let run = fastrand::u16(..);
    let mut conns: Vec<Option<Conn>> = (0..world.clients.len()).map(|_| None).collect();
    let mut outs = Vec::new();
    while world.step(&mut outs) {
        for o in outs.drain(..) {
            tokio::time::sleep_until(t0 + Duration::from_secs_f64(o.t.max(0.0))).await;
            match o.act {
                Act::Connect => {
                    conns[o.client] = Some(open(host, port, &world.clients[o.client], run))
                }
                Act::Publish(m) => {
                    if let Some(c) = &conns[o.client] {
                        let qos = if m.retain {
                            QoS::AtLeastOnce
                        } else {
                            QoS::AtMostOnce
                        };
                        if let Err(e) = c.client.publish(m.topic, qos, m.retain, m.payload).await {
                            log::debug!("simulated {}: {e}", world.clients[o.client].id);
                        }
                    }
                }
                Act::Drop => conns[o.client] = None,
                // The broker publishes wills itself.
                Act::Will(_) => {}
            }
        }
        let mut t = world.truth.clone();
        t.end = super::at(t.start, world.now());
        if let Ok(mut g) = truth.lock() {
            *g = t;
        }
    }
    // A world with a duration ends with every device going away cleanly.
    for c in conns.iter().flatten() {
        let _ = c.client.disconnect().await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
}
