//! The embedded broker (rumqttd) behind `twinview demo`: loopback only, on a free port.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use rumqttd::{Broker, Config, ConnectionSettings, RouterConfig, ServerSettings};

use crate::error::AppError;

/// A running embedded broker. It lives as long as the process: rumqttd has no shutdown call,
/// and `twinview demo` ends the process when the UI quits.
#[derive(Debug, Clone, Copy)]
pub struct EmbeddedBroker {
    pub port: u16,
}

impl EmbeddedBroker {
    pub fn host(&self) -> &'static str {
        "127.0.0.1"
    }
}

fn config(port: u16) -> Config {
    let server = ServerSettings {
        name: "twinview-embedded".into(),
        listen: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
        tls: None,
        next_connection_delay_ms: 1,
        connections: ConnectionSettings {
            connection_timeout_ms: 60_000,
            max_payload_size: 1 << 20,
            max_inflight_count: 500,
            auth: None,
            external_auth: None,
            dynamic_filters: true,
        },
    };
    Config {
        id: 0,
        router: RouterConfig {
            max_connections: 10_000,
            max_outgoing_packet_count: 200,
            max_segment_size: 16 << 20,
            max_segment_count: 10,
            ..RouterConfig::default()
        },
        v4: Some(HashMap::from([("1".to_string(), server)])),
        ..Config::default()
    }
}

/// Starts rumqttd on a free loopback port and waits (at most 5 s) until it accepts connections.
pub fn start() -> Result<EmbeddedBroker, AppError> {
    let port = {
        let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .map_err(|e| AppError::Other(format!("cannot find a free loopback port: {e}")))?;
        l.local_addr()?.port()
    };
    let cfg = config(port);
    std::thread::Builder::new()
        .name("embedded-broker".into())
        .spawn(move || {
            let mut broker = Broker::new(cfg);
            if let Err(e) = broker.start() {
                log::error!("embedded broker stopped: {e}");
            }
        })?;
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(5) {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(EmbeddedBroker { port });
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Err(AppError::Other(format!(
        "the embedded broker did not start listening on {addr} within 5 s"
    )))
}
