//! The live MQTT source: one rumqttc client whose poll loop only forwards events.
//!
//! The loop never blocks on the twin: messages go over a bounded channel with `try_send`,
//! and what does not fit is counted in [`SourceStats::dropped`] and shown in the header.
//! Subscriptions are sent on every ConnAck (a clean session forgets them) and failed
//! connections are retried with capped exponential backoff.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use rumqttc::{
    AsyncClient, ConnectReturnCode, ConnectionError, MqttOptions, Outgoing, Packet, QoS,
    SubscribeFilter, SubscribeReasonCode,
};
use tokio::sync::mpsc::{self, error::TrySendError};

use crate::config::ConnSettings;
use crate::event::{Command, CommandEvent, ConnEvent, ConnState, Event, Message, Outcome};

/// Largest packet accepted from the broker. Bigger than any sensible payload so that one
/// oversized message is counted by the decoder instead of killing the connection.
const MAX_INCOMING_PACKET: usize = 16 << 20;

/// Counters the source shares with whoever displays them.
#[derive(Debug, Default)]
pub struct SourceStats {
    /// Messages that arrived while the twin's channel was full.
    pub dropped: AtomicU64,
}

impl SourceStats {
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// Capped exponential backoff: 0.5 s, 1 s, 2 s, … up to `cap`.
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    attempt: u32,
}

impl Backoff {
    pub fn new(base: Duration, cap: Duration) -> Self {
        Backoff {
            base,
            cap,
            attempt: 0,
        }
    }

    pub fn next_delay(&mut self) -> Duration {
        let factor = 1u32 << self.attempt.min(16);
        self.attempt = self.attempt.saturating_add(1);
        self.base.saturating_mul(factor).min(self.cap)
    }

    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

pub fn qos(level: u8) -> QoS {
    match level {
        0 => QoS::AtMostOnce,
        1 => QoS::AtLeastOnce,
        _ => QoS::ExactlyOnce,
    }
}

/// rumqttc options for a monitoring client; the TLS files are read here (exit 4 if bad).
pub fn options(conn: &ConnSettings) -> Result<MqttOptions, crate::error::AppError> {
    let mut opts = MqttOptions::new(conn.client_id.clone(), conn.host.clone(), conn.port);
    opts.set_keep_alive(Duration::from_secs(15));
    opts.set_clean_session(true);
    opts.set_max_packet_size(MAX_INCOMING_PACKET, 1 << 20);
    if let (Some(user), Some(pass)) = (&conn.username, &conn.password) {
        opts.set_credentials(user.clone(), pass.expose().to_string());
    } else if let Some(user) = &conn.username {
        opts.set_credentials(user.clone(), String::new());
    }
    if let Some(t) = &conn.tls {
        if t.insecure {
            log::warn!("TLS certificate verification is OFF (--insecure): anyone in between can read and change this connection");
        }
        let config = super::tls::client_config(t)?;
        opts.set_transport(rumqttc::Transport::tls_with_config(
            rumqttc::TlsConfiguration::Rustls(config),
        ));
    }
    Ok(opts)
}

/// Publishes commands through the monitoring connection. Cloning is cheap.
#[derive(Clone)]
pub struct Publisher {
    client: AsyncClient,
    /// Commands queued but not yet written, in order (the poll loop pairs them with their
    /// packet ids as rumqttc writes them).
    pending: Arc<Mutex<VecDeque<Command>>>,
}

impl Publisher {
    /// Queues `cmd`; its outcome arrives later as an [`Event::Command`].
    pub fn send(&self, cmd: Command) -> Result<(), String> {
        let mut pending = self.pending.lock().expect("publisher lock");
        self.client
            .try_publish(
                cmd.topic.clone(),
                qos(cmd.qos),
                cmd.retain,
                cmd.payload.clone().into_bytes(),
            )
            .map_err(|e| format!("cannot queue the command: {e}"))?;
        pending.push_back(cmd);
        Ok(())
    }
}

/// Starts the source on its own task; returns the handle that publishes commands.
pub fn spawn(
    conn: ConnSettings,
    tx: mpsc::Sender<Event>,
    stats: Arc<SourceStats>,
) -> Result<Publisher, crate::error::AppError> {
    let (client, eventloop) = AsyncClient::new(options(&conn)?, 64);
    let publisher = Publisher {
        client: client.clone(),
        pending: Arc::new(Mutex::new(VecDeque::new())),
    };
    tokio::spawn(run(
        conn,
        client,
        eventloop,
        publisher.pending.clone(),
        tx,
        stats,
    ));
    Ok(publisher)
}

async fn command_event(tx: &mpsc::Sender<Event>, command: Command, outcome: Outcome) {
    match &outcome {
        Outcome::Failed(why) => log::error!("command to {} failed: {why}", command.topic),
        o => log::info!(
            "command to {} {}: {}",
            command.topic,
            o.as_str(),
            command.payload
        ),
    }
    let _ = tx
        .send(Event::Command(CommandEvent {
            at: Utc::now(),
            command,
            outcome,
        }))
        .await;
}

/// Runs until the receiving side of `tx` is dropped.
async fn run(
    conn: ConnSettings,
    client: AsyncClient,
    mut eventloop: rumqttc::EventLoop,
    pending: Arc<Mutex<VecDeque<Command>>>,
    tx: mpsc::Sender<Event>,
    stats: Arc<SourceStats>,
) {
    let url = conn.url();
    let mut inflight: HashMap<u16, Command> = HashMap::new();
    let mut connected_once = false;
    let filters: Vec<SubscribeFilter> = conn
        .topics
        .iter()
        .map(|t| SubscribeFilter::new(t.clone(), qos(conn.qos)))
        .collect();
    let mut backoff = Backoff::new(Duration::from_millis(500), Duration::from_secs(30));
    let _ = send_state(&tx, ConnState::Connecting).await;

    loop {
        match eventloop.poll().await {
            Ok(rumqttc::Event::Incoming(Packet::Publish(p))) => {
                let msg = Message {
                    at: Utc::now(),
                    topic: p.topic,
                    payload: p.payload,
                    qos: p.qos as u8,
                    retain: p.retain,
                };
                match tx.try_send(Event::Message(msg)) {
                    Ok(()) => {}
                    Err(TrySendError::Full(_)) => {
                        stats.dropped.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(TrySendError::Closed(_)) => return,
                }
            }
            Ok(rumqttc::Event::Incoming(Packet::ConnAck(_))) => {
                backoff.reset();
                connected_once = true;
                log::info!("connected to {url}");
                if let Err(e) = client.try_subscribe_many(filters.clone()) {
                    log::error!("cannot queue subscriptions: {e}");
                }
                if send_state(&tx, ConnState::Connected).await.is_err() {
                    return;
                }
            }
            Ok(rumqttc::Event::Outgoing(Outgoing::Publish(pkid))) => {
                let cmd = pending.lock().expect("publisher lock").pop_front();
                if let Some(cmd) = cmd {
                    if pkid == 0 {
                        command_event(&tx, cmd, Outcome::Sent).await;
                    } else {
                        inflight.insert(pkid, cmd);
                    }
                }
            }
            Ok(rumqttc::Event::Incoming(Packet::PubAck(ack))) => {
                if let Some(cmd) = inflight.remove(&ack.pkid) {
                    command_event(&tx, cmd, Outcome::Acknowledged).await;
                }
            }
            Ok(rumqttc::Event::Incoming(Packet::PubComp(ack))) => {
                if let Some(cmd) = inflight.remove(&ack.pkid) {
                    command_event(&tx, cmd, Outcome::Acknowledged).await;
                }
            }
            Ok(rumqttc::Event::Incoming(Packet::SubAck(ack))) => {
                for (filter, code) in conn.topics.iter().zip(ack.return_codes.iter()) {
                    match code {
                        SubscribeReasonCode::Success(q) => {
                            log::info!("subscribed to {filter} (granted {q:?})")
                        }
                        SubscribeReasonCode::Failure => {
                            log::error!("the broker refused the subscription to {filter}")
                        }
                    }
                }
            }
            Ok(_) => {}
            Err(e) => {
                if tx.is_closed() {
                    return;
                }
                let retry_in = backoff.next_delay();
                let reason = describe_error_for(&e, &conn.host);
                // A command caught in the outage is reported failed, not silently retried.
                let lost: Vec<Command> = inflight
                    .drain()
                    .map(|(_, c)| c)
                    .chain(pending.lock().expect("publisher lock").drain(..))
                    .collect();
                for cmd in lost {
                    command_event(
                        &tx,
                        cmd,
                        Outcome::Failed(format!("connection lost: {reason}")),
                    )
                    .await;
                }
                let state = match e {
                    ConnectionError::ConnectionRefused(_) => {
                        ConnState::Refused { reason, retry_in }
                    }
                    _ => ConnState::Reconnecting { reason, retry_in },
                };
                // Before the first success the header (UI) or the exit message (headless) says it.
                if connected_once {
                    log::warn!("{url}: {}", state.describe());
                } else {
                    log::debug!("{url}: {}", state.describe());
                }
                if send_state(&tx, state).await.is_err() {
                    return;
                }
                tokio::time::sleep(retry_in).await;
            }
        }
    }
}

/// Connection changes are rare and must not be lost, so they wait for room in the channel.
async fn send_state(tx: &mpsc::Sender<Event>, state: ConnState) -> Result<(), ()> {
    tx.send(Event::Connection(ConnEvent {
        at: Utc::now(),
        state,
    }))
    .await
    .map_err(|_| ())
}

/// One short phrase for the header and for the exit message, TLS failures named.
pub fn describe_error_for(e: &ConnectionError, host: &str) -> String {
    let text = format!("{e:?} {e}");
    if let Some(t) = super::tls::describe(&text, host) {
        return t;
    }
    describe_error(e)
}

/// One short phrase for the header and for the exit message.
pub fn describe_error(e: &ConnectionError) -> String {
    match e {
        ConnectionError::ConnectionRefused(code) => match code {
            ConnectReturnCode::BadUserNamePassword => "bad user name or password".into(),
            ConnectReturnCode::NotAuthorized => "not authorised".into(),
            ConnectReturnCode::BadClientId => "client id rejected".into(),
            ConnectReturnCode::ServiceUnavailable => "service unavailable".into(),
            ConnectReturnCode::RefusedProtocolVersion => "MQTT protocol version refused".into(),
            ConnectReturnCode::Success => "refused".into(),
        },
        ConnectionError::Io(io) => match io.kind() {
            std::io::ErrorKind::ConnectionRefused => {
                "connection refused (is a broker listening there?)".into()
            }
            std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::UnexpectedEof => {
                "connection closed by the broker".into()
            }
            _ => {
                let s = io.to_string();
                if s.contains("lookup address") || s.contains("Name or service") {
                    "host name not found".into()
                } else {
                    s
                }
            }
        },
        ConnectionError::NetworkTimeout => "timed out".into(),
        ConnectionError::Tls(t) => format!("TLS: {t}"),
        ConnectionError::MqttState(s) => format!("protocol: {s}"),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let mut b = Backoff::new(Duration::from_millis(500), Duration::from_secs(4));
        let got: Vec<_> = (0..6).map(|_| b.next_delay().as_millis()).collect();
        assert_eq!(got, [500, 1000, 2000, 4000, 4000, 4000]);
        b.reset();
        assert_eq!(b.next_delay(), Duration::from_millis(500));
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(30));
        for _ in 0..100 {
            assert!(b.next_delay() <= Duration::from_secs(30));
        }
    }

    #[test]
    fn errors_read_well() {
        let e = ConnectionError::ConnectionRefused(ConnectReturnCode::BadUserNamePassword);
        assert_eq!(describe_error(&e), "bad user name or password");
        let e = ConnectionError::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert!(describe_error(&e).starts_with("connection refused"));
    }

    #[test]
    fn options_carry_credentials_and_id() {
        let conn = ConnSettings {
            host: "h".into(),
            port: 1,
            topics: vec!["#".into()],
            qos: 1,
            client_id: "me".into(),
            username: Some("u".into()),
            password: Some(crate::config::Secret::new("p".into())),
            tls: None,
        };
        let o = options(&conn).unwrap();
        assert_eq!(o.client_id(), "me");
        let login = o.credentials().unwrap();
        assert_eq!(
            (login.username.as_str(), login.password.as_str()),
            ("u", "p")
        );
        assert_eq!(qos(1), QoS::AtLeastOnce);
    }
}
