//! One simulated device's MQTT connection: its own client, its own retained Last Will, an
//! `online` announcement and its subscriptions on every ConnAck, and incoming publishes on a
//! channel. Aborting the poller (or dropping the `Wire`) cuts the connection without
//! DISCONNECT, so the broker fires the will.

use std::time::Duration;

use rumqttc::{AsyncClient, LastWill, MqttOptions, Packet, QoS};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Who connects and how it announces itself.
#[derive(Debug, Clone)]
pub struct Identity {
    pub host: String,
    pub port: u16,
    pub client_id: String,
    pub status_topic: String,
    pub online: String,
    pub offline: String,
    /// Filters subscribed on every ConnAck.
    pub filters: Vec<String>,
}

pub struct Wire {
    pub client: AsyncClient,
    pub inbox: mpsc::Receiver<(String, Vec<u8>)>,
    poller: JoinHandle<()>,
}

impl Wire {
    pub fn connect(id: &Identity) -> Wire {
        let mut opts = MqttOptions::new(id.client_id.clone(), id.host.clone(), id.port);
        opts.set_keep_alive(Duration::from_secs(5));
        opts.set_last_will(LastWill::new(
            id.status_topic.clone(),
            id.offline.clone(),
            QoS::AtLeastOnce,
            true,
        ));
        let (client, mut eventloop) = AsyncClient::new(opts, 256);
        let (tx, inbox) = mpsc::channel(256);
        let c = client.clone();
        let id = id.clone();
        let poller = tokio::spawn(async move {
            loop {
                match eventloop.poll().await {
                    Ok(rumqttc::Event::Incoming(Packet::ConnAck(_))) => {
                        for f in &id.filters {
                            let _ = c.try_subscribe(f.clone(), QoS::AtLeastOnce);
                        }
                        let _ = c.try_publish(
                            id.status_topic.clone(),
                            QoS::AtLeastOnce,
                            true,
                            id.online.clone(),
                        );
                    }
                    Ok(rumqttc::Event::Incoming(Packet::Publish(p))) => {
                        // A device too busy to read its commands drops them, as a real one would.
                        let _ = tx.try_send((p.topic, p.payload.to_vec()));
                    }
                    Ok(_) => {}
                    Err(e) => {
                        log::debug!("simulated {}: {e}", id.status_topic);
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        });
        Wire {
            client,
            inbox,
            poller,
        }
    }
}

impl Drop for Wire {
    fn drop(&mut self) {
        self.poller.abort();
    }
}
