//! Where to connect and as whom: the settings a broker connection needs, resolved from the
//! command line, the environment and the config file by [`crate::config`].

use std::fmt;

/// A password that never shows up in `Debug` output or logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: String) -> Self {
        Secret(s)
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Where to connect and what to subscribe to.
#[derive(Debug, Clone)]
pub struct ConnSettings {
    pub host: String,
    pub port: u16,
    pub topics: Vec<String>,
    pub qos: u8,
    pub client_id: String,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub tls: Option<super::tls::TlsSettings>,
    /// 4 (MQTT 3.1.1) or 5.
    pub mqtt_version: u8,
    /// Seconds the broker keeps the session while twinview is away (0: a clean session).
    pub session_expiry: u32,
    /// `--share GROUP`: every filter subscribed as `$share/GROUP/FILTER`.
    pub share: Option<String>,
}

impl ConnSettings {
    /// The filters as subscribed (shared when `--share` is given).
    pub fn subscriptions(&self) -> Vec<String> {
        match &self.share {
            Some(g) => self
                .topics
                .iter()
                .map(|t| format!("$share/{g}/{t}"))
                .collect(),
            None => self.topics.clone(),
        }
    }
}

impl ConnSettings {
    /// `mqtt://host:port` or `mqtts://host:port`, as shown in the header and the snapshot.
    pub fn url(&self) -> String {
        match &self.tls {
            None => format!("mqtt://{}:{}", self.host, self.port),
            Some(t) if t.insecure => format!("mqtts://{}:{} (INSECURE)", self.host, self.port),
            Some(_) => format!("mqtts://{}:{}", self.host, self.port),
        }
    }
}
