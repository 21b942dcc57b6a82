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

use crate::source::conn::ConnSettings;
use crate::source::event::{
    Command, CommandEvent, ConnEvent, ConnState, Event, Message, Outcome, SourceId,
};

/// Largest packet accepted from the broker: the largest MQTT allows (a remaining length of
/// 268,435,455 bytes), which is also what Mosquitto sends by default (`message_size_limit 0`).
/// A smaller limit turned one oversized retained message into a reconnect loop: the client
/// dropped the connection, reconnected, and was sent the same message again. Now the message
/// is taken and the decoder counts it (`payload too large`, over `max_payload`), once.
const MAX_INCOMING_PACKET: usize = 268_435_455 + 5;

/// rumqttc parses at most this many packets per socket read before it returns them.
const READ_BURST: usize = 9;
/// How long the source waits after draining the socket before it reads again. At the rates a
/// local broker delivers (≈ 60,000 msg/s here) a millisecond gathers ≈ 60 messages, which the
/// kernel's socket buffer holds many times over; below that rate, it delays a reading by at
/// most this long.
const GATHER_READS: Duration = Duration::from_millis(1);

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
    // A kept session (`--session-expiry`): MQTT 3.1.1 has no expiry, the broker decides.
    opts.set_clean_session(conn.session_expiry == 0);
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

/// The client side of either protocol version.
#[derive(Clone)]
enum Client {
    V4(AsyncClient),
    V5(rumqttc::v5::AsyncClient),
}

impl Client {
    fn subscribe(&self, filters: &[String], level: u8) -> Result<(), String> {
        match self {
            Client::V4(c) => c
                .try_subscribe_many(
                    filters
                        .iter()
                        .map(|t| SubscribeFilter::new(t.clone(), qos(level))),
                )
                .map_err(|e| e.to_string()),
            Client::V5(c) => c
                .try_subscribe_many(
                    filters
                        .iter()
                        .map(|t| rumqttc::v5::mqttbytes::v5::Filter::new(t.clone(), qos5(level))),
                )
                .map_err(|e| e.to_string()),
        }
    }

    fn publish(&self, cmd: &Command) -> Result<(), String> {
        let payload = match &cmd.binary {
            Some(b) => b.clone(),
            None => cmd.payload.clone().into_bytes(),
        };
        match self {
            Client::V4(c) => c
                .try_publish(cmd.topic.clone(), qos(cmd.qos), cmd.retain, payload)
                .map_err(|e| e.to_string()),
            Client::V5(c) => c
                .try_publish(cmd.topic.clone(), qos5(cmd.qos), cmd.retain, payload)
                .map_err(|e| e.to_string()),
        }
    }
}

fn qos5(level: u8) -> rumqttc::v5::mqttbytes::QoS {
    use rumqttc::v5::mqttbytes::QoS as Q;
    match level {
        0 => Q::AtMostOnce,
        1 => Q::AtLeastOnce,
        _ => Q::ExactlyOnce,
    }
}

/// Publishes commands through the monitoring connection. Cloning is cheap.
#[derive(Clone)]
pub struct Publisher {
    client: Client,
    /// Commands queued but not yet written, in order (the poll loop pairs them with their
    /// packet ids as rumqttc writes them).
    pending: Arc<Mutex<VecDeque<Command>>>,
}

impl Publisher {
    /// Queues `cmd`; its outcome arrives later as an [`Event::Command`].
    pub fn send(&self, cmd: Command) -> Result<(), String> {
        let mut pending = self.pending.lock().expect("publisher lock");
        self.client
            .publish(&cmd)
            .map_err(|e| format!("cannot queue the command: {e}"))?;
        pending.push_back(cmd);
        Ok(())
    }
}

/// What one turn of either event loop brought, in protocol-neutral terms.
enum Happening {
    Publish(Message),
    /// The broker accepted the connection; whether it resumed a kept session.
    ConnAck {
        resumed: bool,
    },
    /// A publish of ours was written (packet id 0 for QoS 0).
    Wrote(u16),
    Acked(u16),
    /// Per filter: the granted QoS, or why not.
    SubAck(Vec<Result<u8, String>>),
    Other,
    Failed {
        reason: String,
        refused: bool,
    },
}

/// One per connection, so the size difference between the versions does not matter.
#[allow(clippy::large_enum_variant)]
enum Session {
    V4(rumqttc::EventLoop),
    V5(rumqttc::v5::EventLoop),
}

impl Session {
    /// Whether the client holds no more parsed packets, so the next [`Session::next`] reads
    /// the socket.
    fn queue_empty(&self) -> bool {
        match self {
            Session::V4(el) => el.state.events.is_empty(),
            Session::V5(el) => el.state.events.is_empty(),
        }
    }

    async fn next(&mut self, host: &str) -> Happening {
        match self {
            Session::V4(el) => match el.poll().await {
                Ok(rumqttc::Event::Incoming(Packet::Publish(p))) => Happening::Publish(Message {
                    source: SourceId::MAIN,
                    at: Utc::now(),
                    topic: p.topic,
                    payload: p.payload,
                    qos: p.qos as u8,
                    retain: p.retain,
                }),
                Ok(rumqttc::Event::Incoming(Packet::ConnAck(a))) => Happening::ConnAck {
                    resumed: a.session_present,
                },
                Ok(rumqttc::Event::Outgoing(Outgoing::Publish(pkid))) => Happening::Wrote(pkid),
                Ok(rumqttc::Event::Incoming(Packet::PubAck(a))) => Happening::Acked(a.pkid),
                Ok(rumqttc::Event::Incoming(Packet::PubComp(a))) => Happening::Acked(a.pkid),
                Ok(rumqttc::Event::Incoming(Packet::SubAck(a))) => Happening::SubAck(
                    a.return_codes
                        .iter()
                        .map(|c| match c {
                            SubscribeReasonCode::Success(q) => Ok(*q as u8),
                            SubscribeReasonCode::Failure => Err("refused".to_string()),
                        })
                        .collect(),
                ),
                Ok(_) => Happening::Other,
                Err(e) => Happening::Failed {
                    refused: matches!(e, ConnectionError::ConnectionRefused(_)),
                    reason: describe_error_for(&e, host),
                },
            },
            Session::V5(el) => {
                use rumqttc::v5::mqttbytes::v5::{Packet as P5, SubscribeReasonCode as S5};
                use rumqttc::v5::{ConnectionError as E5, Event as Ev5};
                match el.poll().await {
                    Ok(Ev5::Incoming(P5::Publish(p))) => Happening::Publish(Message {
                        source: SourceId::MAIN,
                        at: Utc::now(),
                        topic: String::from_utf8_lossy(&p.topic).into_owned(),
                        payload: p.payload,
                        qos: p.qos as u8,
                        retain: p.retain,
                    }),
                    Ok(Ev5::Incoming(P5::ConnAck(a))) => Happening::ConnAck {
                        resumed: a.session_present,
                    },
                    Ok(Ev5::Outgoing(rumqttc::Outgoing::Publish(pkid))) => Happening::Wrote(pkid),
                    Ok(Ev5::Incoming(P5::PubAck(a))) => Happening::Acked(a.pkid),
                    Ok(Ev5::Incoming(P5::PubComp(a))) => Happening::Acked(a.pkid),
                    Ok(Ev5::Incoming(P5::SubAck(a))) => Happening::SubAck(
                        a.return_codes
                            .iter()
                            .map(|c| match c {
                                S5::Success(q) => Ok(*q as u8),
                                other => Err(format!("{other:?}")),
                            })
                            .collect(),
                    ),
                    Ok(_) => Happening::Other,
                    Err(E5::ConnectionRefused(code)) => Happening::Failed {
                        refused: true,
                        reason: describe_v5_refusal(code),
                    },
                    Err(e) => Happening::Failed {
                        refused: false,
                        reason: {
                            let text = format!("{e:?} {e}");
                            super::tls::describe(&text, host).unwrap_or_else(|| match &e {
                                E5::Io(io) => describe_error(&ConnectionError::Io(
                                    std::io::Error::new(io.kind(), io.to_string()),
                                )),
                                E5::Timeout(_) => "timed out".into(),
                                other => other.to_string(),
                            })
                        },
                    },
                }
            }
        }
    }
}

/// MQTT 5 refusals carry a reason code; say it.
fn describe_v5_refusal(code: rumqttc::v5::mqttbytes::v5::ConnectReturnCode) -> String {
    use rumqttc::v5::mqttbytes::v5::ConnectReturnCode as C;
    let plain = match code {
        C::BadUserNamePassword => "bad user name or password",
        C::NotAuthorized => "not authorised",
        C::Banned => "banned",
        C::ClientIdentifierNotValid => "client id rejected",
        C::ServerUnavailable | C::ServerBusy => "server unavailable",
        C::UnsupportedProtocolVersion => "MQTT 5 not supported by the broker",
        _ => "refused",
    };
    format!("{plain} (reason code {code:?})")
}

/// rumqttc options for MQTT 5; the TLS files are read here (exit 4 if bad).
fn options5(conn: &ConnSettings) -> Result<rumqttc::v5::MqttOptions, crate::error::AppError> {
    let mut opts =
        rumqttc::v5::MqttOptions::new(conn.client_id.clone(), conn.host.clone(), conn.port);
    opts.set_keep_alive(Duration::from_secs(15));
    opts.set_clean_start(conn.session_expiry == 0);
    if conn.session_expiry > 0 {
        opts.set_session_expiry_interval(Some(conn.session_expiry));
    }
    opts.set_max_packet_size(Some(MAX_INCOMING_PACKET as u32));
    if let Some(user) = &conn.username {
        let pass = conn
            .password
            .as_ref()
            .map(|p| p.expose().to_string())
            .unwrap_or_default();
        opts.set_credentials(user.clone(), pass);
    }
    if let Some(t) = &conn.tls {
        if t.insecure {
            log::warn!("TLS certificate verification is OFF (--insecure): anyone in between can read and change this connection");
        }
        opts.set_transport(rumqttc::Transport::tls_with_config(
            rumqttc::TlsConfiguration::Rustls(super::tls::client_config(t)?),
        ));
    }
    Ok(opts)
}

/// Starts the source on its own task; returns the handle that publishes commands.
pub fn spawn(
    conn: ConnSettings,
    tx: mpsc::Sender<Event>,
    stats: Arc<SourceStats>,
) -> Result<Publisher, crate::error::AppError> {
    let (client, session) = if conn.mqtt_version == 5 {
        let (c, el) = rumqttc::v5::AsyncClient::new(options5(&conn)?, 64);
        (Client::V5(c), Session::V5(el))
    } else {
        let (c, el) = AsyncClient::new(options(&conn)?, 64);
        (Client::V4(c), Session::V4(el))
    };
    let publisher = Publisher {
        client: client.clone(),
        pending: Arc::new(Mutex::new(VecDeque::new())),
    };
    tokio::spawn(run(
        conn,
        client,
        session,
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
    client: Client,
    mut session: Session,
    pending: Arc<Mutex<VecDeque<Command>>>,
    tx: mpsc::Sender<Event>,
    stats: Arc<SourceStats>,
) {
    let url = conn.url();
    let subscriptions = conn.subscriptions();
    let mut inflight: HashMap<u16, Command> = HashMap::new();
    let mut connected_once = false;
    let mut backoff = Backoff::new(Duration::from_millis(500), Duration::from_secs(30));
    let _ = send_state(&tx, ConnState::Connecting).await;
    // Messages taken from the socket since the client's queue was last empty.
    let mut burst = 0usize;

    loop {
        match session.next(&conn.host).await {
            Happening::Publish(msg) => {
                match tx.try_send(Event::Message(msg)) {
                    Ok(()) => {}
                    Err(TrySendError::Full(_)) => {
                        stats.dropped.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(TrySendError::Closed(_)) => return,
                }
                burst += 1;
                if session.queue_empty() {
                    // A short burst means the socket was drained: let the next messages gather
                    // in the kernel's buffer for a moment, so one wake-up and one read take many
                    // of them instead of a few (BENCHMARKS.md, "Reads coalesced").
                    if burst < READ_BURST {
                        tokio::time::sleep(GATHER_READS).await;
                    }
                    burst = 0;
                }
            }
            Happening::ConnAck { resumed } => {
                backoff.reset();
                connected_once = true;
                if resumed {
                    log::info!("connected to {url}; the broker resumed the session it kept");
                } else {
                    log::info!("connected to {url}");
                }
                if let Err(e) = client.subscribe(&subscriptions, conn.qos) {
                    log::error!("cannot queue subscriptions: {e}");
                }
                if send_conn(&tx, ConnState::Connected, resumed).await.is_err() {
                    return;
                }
            }
            Happening::Wrote(pkid) => {
                let cmd = pending.lock().expect("publisher lock").pop_front();
                if let Some(cmd) = cmd {
                    if pkid == 0 {
                        command_event(&tx, cmd, Outcome::Sent).await;
                    } else {
                        inflight.insert(pkid, cmd);
                    }
                }
            }
            Happening::Acked(pkid) => {
                if let Some(cmd) = inflight.remove(&pkid) {
                    command_event(&tx, cmd, Outcome::Acknowledged).await;
                }
            }
            Happening::SubAck(codes) => {
                for (filter, code) in subscriptions.iter().zip(codes) {
                    match code {
                        Ok(q) => log::info!("subscribed to {filter} (granted QoS {q})"),
                        Err(why) => {
                            log::error!("the broker refused the subscription to {filter}: {why}")
                        }
                    }
                }
            }
            Happening::Other => {}
            Happening::Failed { reason, refused } => {
                if tx.is_closed() {
                    return;
                }
                let retry_in = backoff.next_delay();
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
                let state = if refused {
                    ConnState::Refused { reason, retry_in }
                } else {
                    ConnState::Reconnecting { reason, retry_in }
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
    send_conn(tx, state, false).await
}

async fn send_conn(tx: &mpsc::Sender<Event>, state: ConnState, resumed: bool) -> Result<(), ()> {
    tx.send(Event::Connection(ConnEvent {
        at: Utc::now(),
        state,
        resumed,
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
            password: Some(crate::source::conn::Secret::new("p".into())),
            tls: None,
            mqtt_version: 4,
            session_expiry: 0,
            share: None,
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
