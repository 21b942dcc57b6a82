//! Broker URLs, wherever a broker is named (`--broker`, `replay --to-broker`, `sim`, a
//! profile's `broker`): `mqtt://[user@]host[:port]`, `mqtts://…` (TLS, port 8883), or a plain
//! `host` / `host:port` / `[v6]:port`. A password in a URL is refused (it would sit in the
//! shell history and the process list); WebSocket URLs are refused with the reason.

/// What a broker argument says. Absent parts are left to the other options and defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerUrl {
    pub host: String,
    pub port: Option<u16>,
    /// `Some(true)` for `mqtts://`, `Some(false)` for `mqtt://`, `None` for a bare host.
    pub tls: Option<bool>,
    pub username: Option<String>,
}

impl BrokerUrl {
    /// The port this URL means, given whether TLS is on in the end.
    pub fn port_or_default(&self, tls: bool) -> u16 {
        self.port.unwrap_or(if tls { 8883 } else { 1883 })
    }
}

/// Parses a broker argument (see the module doc).
pub fn parse(text: &str) -> Result<BrokerUrl, String> {
    let raw = text.trim();
    // The password check comes first, before anything that could quote the URL: a password
    // may hold `/`, `#`, `?` or `@`, and the user-info ends at the last `@`.
    let after_scheme = raw.split_once("://").map_or(raw, |(_, r)| r);
    if after_scheme
        .rsplit_once('@')
        .is_some_and(|(userinfo, _)| userinfo.contains(':'))
    {
        return Err(PASSWORD_REFUSED.to_string());
    }
    // Every error below quotes the URL without its user-info.
    let shown = redacted(raw);
    let text = shown.as_str();
    let (tls, rest) = match text.split_once("://") {
        None => (None, text),
        Some((scheme, rest)) => match scheme.to_ascii_lowercase().as_str() {
            "mqtt" | "tcp" => (Some(false), rest),
            "mqtts" | "ssl" | "tls" => (Some(true), rest),
            "ws" | "wss" => {
                return Err(format!(
                    "`{text}`: WebSocket brokers are not supported (twinview's MQTT client is built without WebSocket support, to stay lean); use the broker's MQTT port, mqtt://HOST:1883 or mqtts://HOST:8883"
                ))
            }
            other => {
                return Err(format!(
                    "`{text}`: unknown scheme `{other}://` (use mqtt:// or mqtts://)"
                ))
            }
        },
    };
    // Nothing after the authority but an optional `/`.
    let authority = match rest.split_once('/') {
        Some((a, "")) => a,
        Some((_, path)) => {
            return Err(format!(
                "`{text}`: a broker URL has no path (`/{path}`); topics go in --topic"
            ))
        }
        None => rest,
    };
    if authority.contains(['?', '#']) {
        return Err(format!("`{text}`: a broker URL has no query or fragment"));
    }
    // The user name is read from the URL itself, not from the redacted text.
    let raw_rest = raw.split_once("://").map_or(raw, |(_, r)| r);
    let authority = raw_rest.split_once('/').map_or(raw_rest, |(a, _)| a);
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    let username = match userinfo {
        None => None,
        Some(u) if u.contains(':') => return Err(PASSWORD_REFUSED.to_string()),
        Some("") => return Err(format!("`{text}`: empty user name before `@`")),
        Some(u) => Some(
            percent_decode(u).ok_or_else(|| format!("`{text}`: bad %-escape in the user name"))?,
        ),
    };
    let (host, port) = split_host_port(hostport).map_err(|why| format!("`{text}`: {why}"))?;
    if host.is_empty() {
        return Err(format!("`{text}`: no host"));
    }
    if tls.is_none() && username.is_some() {
        return Err(format!(
            "`{text}`: a user name needs a URL (mqtt://{}@HOST), or use --username",
            username.unwrap_or_default()
        ));
    }
    Ok(BrokerUrl {
        host,
        port,
        tls,
        username,
    })
}

/// Why a URL with a password is refused (it quotes nothing of the URL).
const PASSWORD_REFUSED: &str = "a password in the broker URL is refused: it would be kept in the shell history and shown in the process list; put it in a file (--password-file) or in TWINVIEW_PASSWORD";

/// `text` with its user-info replaced by `…` ([`crate::text::redacted`]).
pub use crate::text::redacted;

/// `host`, `host:port`, `[v6]`, `[v6]:port`; a bare IPv6 literal (two or more colons) is
/// a host without a port.
fn split_host_port(s: &str) -> Result<(String, Option<u16>), String> {
    if let Some(inner) = s.strip_prefix('[') {
        let (host, after) = inner
            .split_once(']')
            .ok_or("an IPv6 address needs its closing `]`")?;
        if host.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(format!("`{host}` is not an IPv6 address"));
        }
        return match after {
            "" => Ok((host.to_string(), None)),
            p => Ok((
                host.to_string(),
                Some(port(
                    p.strip_prefix(':').ok_or("expected `:PORT` after `]`")?,
                )?),
            )),
        };
    }
    if s.matches(':').count() >= 2 {
        if s.parse::<std::net::Ipv6Addr>().is_ok() {
            return Ok((s.to_string(), None));
        }
        return Err("an IPv6 address with a port is written [ADDRESS]:PORT".into());
    }
    match s.split_once(':') {
        Some((h, p)) => Ok((h.to_string(), Some(port(p)?))),
        None => Ok((s.to_string(), None)),
    }
}

fn port(p: &str) -> Result<u16, String> {
    match p.parse::<u16>() {
        Ok(0) | Err(_) => Err(format!("`{p}` is not a port (1 to 65535)")),
        Ok(n) => Ok(n),
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> (String, Option<u16>, Option<bool>, Option<String>) {
        let u = parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        (u.host, u.port, u.tls, u.username)
    }

    fn t(
        h: &str,
        p: Option<u16>,
        tls: Option<bool>,
        u: Option<&str>,
    ) -> (String, Option<u16>, Option<bool>, Option<String>) {
        (h.into(), p, tls, u.map(String::from))
    }

    #[test]
    fn every_form_a_broker_is_named_in() {
        for (text, want) in [
            ("localhost", t("localhost", None, None, None)),
            ("broker.lan:1884", t("broker.lan", Some(1884), None, None)),
            (
                "mqtt://broker.lan",
                t("broker.lan", None, Some(false), None),
            ),
            (
                "mqtt://broker.lan:1884",
                t("broker.lan", Some(1884), Some(false), None),
            ),
            (
                "mqtt://broker.lan:1884/",
                t("broker.lan", Some(1884), Some(false), None),
            ),
            (
                "MQTTS://broker.lan",
                t("broker.lan", None, Some(true), None),
            ),
            (
                "mqtts://ops@broker.lan:8884",
                t("broker.lan", Some(8884), Some(true), Some("ops")),
            ),
            (
                "tcp://10.0.0.5:1883",
                t("10.0.0.5", Some(1883), Some(false), None),
            ),
            ("ssl://10.0.0.5", t("10.0.0.5", None, Some(true), None)),
            ("mqtt://a%40b@h", t("h", None, Some(false), Some("a@b"))),
            ("[::1]:1883", t("::1", Some(1883), None, None)),
            ("[::1]", t("::1", None, None, None)),
            ("::1", t("::1", None, None, None)),
            (
                "mqtt://[fe80::1]:1884",
                t("fe80::1", Some(1884), Some(false), None),
            ),
            ("mqtts://ops@[::1]", t("::1", None, Some(true), Some("ops"))),
        ] {
            assert_eq!(ok(text), want, "{text}");
        }
        assert_eq!(parse("mqtts://h").unwrap().port_or_default(true), 8883);
        assert_eq!(parse("h").unwrap().port_or_default(false), 1883);
    }

    #[test]
    fn refusals_say_why() {
        for (text, why) in [
            (
                "mqtt://ops:secret@h",
                "password in the broker URL is refused",
            ),
            ("ws://h:8080", "WebSocket brokers are not supported"),
            ("wss://h", "WebSocket brokers are not supported"),
            ("http://h", "unknown scheme `http://`"),
            ("mqtt://h:0", "not a port"),
            ("mqtt://h:99999", "not a port"),
            ("h:x", "not a port"),
            ("mqtt://h/plant/#", "no path"),
            ("mqtt://", "no host"),
            ("mqtt://@h", "empty user name"),
            ("[::1", "closing `]`"),
            ("[nope]:1", "not an IPv6 address"),
            ("fe80::1:1883x", "[ADDRESS]:PORT"),
            ("ops@h", "needs a URL"),
        ] {
            let err = parse(text).expect_err(text);
            assert!(err.contains(why), "{text}: {err}");
        }
        // The password never appears in the refusal.
        assert!(!parse("mqtt://ops:secret@h").unwrap_err().contains("secret"));
    }

    #[test]
    fn no_error_quotes_the_user_info() {
        for url in [
            "mqtt://ops:se/cret@host",
            "mqtt://ops:se#cret@host",
            "mqtt://ops:se?cret@host:1883",
            "ws://ops:secret@host",
            "gopher://ops:secret@host",
            "ops:secret@host",
            "mqtt://ops:p@ss@host/path",
        ] {
            let e = parse(url).unwrap_err();
            assert!(
                !e.contains("secret") && !e.contains("cret") && !e.contains("p@ss"),
                "{url}: {e}"
            );
            assert!(
                e.contains("password in the broker URL is refused"),
                "{url}: {e}"
            );
        }
        // Without a password, the user name is not quoted either.
        for url in [
            "gopher://ops@host",
            "mqtt://ops@host/path",
            "ws://ops@host",
            "mqtt://ops@[::1",
        ] {
            let e = parse(url).unwrap_err();
            assert!(!e.contains("ops"), "{url}: {e}");
        }
        assert_eq!(redacted("mqtt://ops@host:1883"), "mqtt://…@host:1883");
        assert_eq!(
            parse("mqtt://ops@host").unwrap().username.as_deref(),
            Some("ops")
        );
    }
}
