//! Notification targets written as URLs, in the style Apprise made common in home automation
//! (docs/alarms.md, "Notifications"):
//!
//! | URL | delivers |
//! |---|---|
//! | `mqtt://HOST[:PORT]/TOPIC` | each transition as JSON on TOPIC (QoS 1); the active set retained on `TOPIC/active` |
//! | `json://HOST[:PORT]/PATH`, `jsons://…` | a JSON POST of each transition (HTTP, HTTPS); `?template=chat` posts `{"text": …}` for Slack-, Mattermost- or Rocket.Chat-style incoming webhooks |
//! | `ntfy://TOPIC`, `ntfy://HOST[:PORT]/TOPIC`, `ntfys://…` | an ntfy message (title, priority, tags); a bare topic goes to ntfy.sh over HTTPS |
//! | `mailto://HOST[:PORT]/?to=ADDR[,ADDR][&from=ADDR]`, `mailtos://[USER@]HOST[:PORT]/?to=…` | an email over SMTP; mailtos uses STARTTLS (port 587) or TLS from the start (port 465, or `mode=ssl`) |
//! | `desktop://` | a desktop notification through `notify-send` (Linux with a notification daemon) |
//!
//! No URL carries a password: one in a URL is refused before anything could quote it. The
//! SMTP password comes from `--notify-password-file` or `TWINVIEW_NOTIFY_PASSWORD`.

use crate::text::redacted;

/// How an SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MailSecurity {
    /// `mailto://`: plain SMTP (port 25); no password is ever sent over it.
    Plain,
    /// `mailtos://` on any port but 465: STARTTLS, required.
    StartTls,
    /// `mailtos://…:465` or `mode=ssl`: TLS from the first byte.
    Tls,
}

/// Where notifications go.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum NotifyTarget {
    Mqtt {
        host: String,
        port: u16,
        topic: String,
    },
    /// A JSON POST; `chat` posts `{"text": …}` only.
    Webhook {
        tls: bool,
        host: String,
        port: u16,
        path: String,
        chat: bool,
    },
    /// An ntfy server's JSON publishing endpoint (`POST /`).
    Ntfy {
        tls: bool,
        host: String,
        port: u16,
        topic: String,
    },
    Mail {
        security: MailSecurity,
        host: String,
        port: u16,
        user: Option<String>,
        to: Vec<String>,
        from: String,
    },
    Desktop,
}

/// `scheme://[user@]host[:port][/path][?query]` taken apart.
struct Parts<'a> {
    user: Option<String>,
    host: String,
    port: Option<u16>,
    path: &'a str,
    query: Vec<(String, String)>,
}

fn parts<'a>(url: &'a str, rest: &'a str) -> Result<Parts<'a>, String> {
    let shown = redacted(url);
    let (rest, query) = match rest.split_once('?') {
        Some((r, q)) => (r, q),
        None => (rest, ""),
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let (user, hostport) = match authority.rsplit_once('@') {
        Some((u, _)) if u.contains(':') => {
            return Err(format!(
                "notify target `{shown}`: no password in the URL (--notify-password-file or TWINVIEW_NOTIFY_PASSWORD)"
            ))
        }
        Some((u, h)) => (Some(percent_decoded(u)), h),
        None => (None, authority),
    };
    let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
        let (h, after) = v6
            .split_once(']')
            .ok_or_else(|| format!("notify target `{shown}`: unclosed `[` in the host"))?;
        (h.to_string(), after.strip_prefix(':'))
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (hostport.to_string(), None),
        }
    };
    let port = match port {
        Some(p) => Some(
            p.parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| format!("notify target `{shown}`: `{p}` is not a port"))?,
        ),
        None => None,
    };
    let query = query
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (percent_decoded(k), percent_decoded(v))
        })
        .collect();
    Ok(Parts {
        user,
        host,
        port,
        path,
        query,
    })
}

/// `%40` → `@`, `+` kept (a query's `+` is a space only in forms, not in these URLs).
fn percent_decoded(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Some(v) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// An address we put in an SMTP command and a header: plain `local@domain`, nothing that
/// could end a line or a command.
fn address(url: &str, a: &str) -> Result<String, String> {
    let ok = a.len() <= 254
        && a.split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && !d.is_empty())
        && !a.chars().any(|c| {
            c.is_control() || c.is_whitespace() || matches!(c, '<' | '>' | ',' | ';' | '"')
        });
    if ok {
        Ok(a.to_string())
    } else {
        Err(format!(
            "notify target `{}`: `{}` is not an email address",
            redacted(url),
            crate::text::visible(a)
        ))
    }
}

impl NotifyTarget {
    /// Reads a target URL; the error names what is wrong and never quotes a user-info part.
    pub fn parse(url: &str) -> Result<NotifyTarget, String> {
        let shown = redacted(url);
        let Some((scheme, rest)) = url.split_once("://") else {
            return Err(format!(
                "notify target `{shown}`: not a URL (mqtt://, json://, jsons://, ntfy://, ntfys://, mailto://, mailtos://, desktop://)"
            ));
        };
        let p = parts(url, rest)?;
        let host_needed = |p: &Parts| {
            if p.host.is_empty() {
                Err(format!("notify target `{shown}`: no host"))
            } else {
                Ok(())
            }
        };
        let no_user = |p: &Parts| match p.user {
            Some(_) => Err(format!(
                "notify target `{shown}`: no user in a {scheme}:// URL"
            )),
            None => Ok(()),
        };
        let scheme = scheme.to_ascii_lowercase();
        match scheme.as_str() {
            "mqtt" => {
                no_user(&p)?;
                host_needed(&p)?;
                let topic = p.path.strip_prefix('/').unwrap_or("");
                if topic.is_empty() {
                    return Err(format!(
                        "notify target `{shown}`: no topic (mqtt://HOST[:PORT]/TOPIC)"
                    ));
                }
                if topic.contains(['+', '#']) {
                    return Err(format!(
                        "notify target `{shown}`: the topic must be a plain topic, without + or #"
                    ));
                }
                Ok(NotifyTarget::Mqtt {
                    port: p.port.unwrap_or(1883),
                    host: p.host,
                    topic: topic.to_string(),
                })
            }
            "json" | "jsons" => {
                no_user(&p)?;
                host_needed(&p)?;
                let tls = scheme == "jsons";
                let mut chat = false;
                for (k, v) in &p.query {
                    match (k.as_str(), v.as_str()) {
                        ("template", "chat") => chat = true,
                        ("template", "json") => chat = false,
                        _ => {
                            return Err(format!(
                                "notify target `{shown}`: unknown option `{k}={v}` (template=chat or template=json)"
                            ))
                        }
                    }
                }
                let path = if p.path.is_empty() { "/" } else { p.path };
                check_path(&shown, path)?;
                Ok(NotifyTarget::Webhook {
                    tls,
                    port: p.port.unwrap_or(if tls { 443 } else { 80 }),
                    host: p.host,
                    path: path.to_string(),
                    chat,
                })
            }
            "ntfy" | "ntfys" => {
                no_user(&p)?;
                if let Some((k, _)) = p.query.first() {
                    return Err(format!("notify target `{shown}`: unknown option `{k}`"));
                }
                let topic = p.path.trim_start_matches('/');
                // `ntfy://TOPIC`: the public server, over HTTPS.
                let (tls, host, topic) = if topic.is_empty() && p.port.is_none() {
                    (true, "ntfy.sh".to_string(), p.host.clone())
                } else {
                    (scheme == "ntfys", p.host.clone(), topic.to_string())
                };
                if topic.is_empty()
                    || !topic
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                {
                    return Err(format!(
                        "notify target `{shown}`: an ntfy topic is letters, digits, - and _ (ntfy://TOPIC or ntfy://HOST/TOPIC)"
                    ));
                }
                Ok(NotifyTarget::Ntfy {
                    tls,
                    port: p.port.unwrap_or(if tls { 443 } else { 80 }),
                    host,
                    topic,
                })
            }
            "mailto" | "mailtos" => {
                host_needed(&p)?;
                let mut to = Vec::new();
                let mut from = None;
                let mut mode = None;
                for (k, v) in &p.query {
                    match k.as_str() {
                        "to" => {
                            for a in v.split(',').filter(|a| !a.trim().is_empty()) {
                                to.push(address(url, a.trim())?);
                            }
                        }
                        "from" => from = Some(address(url, v.trim())?),
                        "mode" if scheme == "mailtos" => {
                            mode = Some(match v.as_str() {
                                "ssl" | "tls" => MailSecurity::Tls,
                                "starttls" => MailSecurity::StartTls,
                                _ => {
                                    return Err(format!(
                                        "notify target `{shown}`: mode is ssl or starttls, not `{v}`"
                                    ))
                                }
                            })
                        }
                        _ => {
                            return Err(format!(
                                "notify target `{shown}`: unknown option `{k}` (to, from{})",
                                if scheme == "mailtos" { ", mode" } else { "" }
                            ))
                        }
                    }
                }
                if to.is_empty() {
                    return Err(format!(
                        "notify target `{shown}`: no recipient (?to=ADDR[,ADDR])"
                    ));
                }
                let security = match (scheme.as_str(), mode, p.port) {
                    ("mailto", _, _) => MailSecurity::Plain,
                    (_, Some(m), _) => m,
                    (_, None, Some(465)) => MailSecurity::Tls,
                    _ => MailSecurity::StartTls,
                };
                let port = p.port.unwrap_or(match security {
                    MailSecurity::Plain => 25,
                    MailSecurity::StartTls => 587,
                    MailSecurity::Tls => 465,
                });
                let from = from
                    .or_else(|| p.user.clone().filter(|u| u.contains('@')))
                    .unwrap_or_else(|| format!("twinview@{}", p.host));
                Ok(NotifyTarget::Mail {
                    security,
                    host: p.host,
                    port,
                    user: p.user,
                    to,
                    from,
                })
            }
            "desktop" => {
                if !rest.trim_end_matches('/').is_empty() {
                    return Err(format!("notify target `{shown}`: desktop:// takes nothing more"));
                }
                Ok(NotifyTarget::Desktop)
            }
            other => Err(format!(
                "notify target `{shown}`: unknown scheme {}:// (mqtt, json, jsons, ntfy, ntfys, mailto, mailtos, desktop)",
                crate::text::visible(other)
            )),
        }
    }

    /// Whether delivering needs TLS (and so the notification CA or the system's roots).
    pub fn tls(&self) -> bool {
        match self {
            NotifyTarget::Webhook { tls, .. } | NotifyTarget::Ntfy { tls, .. } => *tls,
            NotifyTarget::Mail { security, .. } => *security != MailSecurity::Plain,
            _ => false,
        }
    }

    /// The target as shown in the header and logs (no user, no query beyond the recipients).
    pub fn describe(&self) -> String {
        match self {
            NotifyTarget::Mqtt { host, port, topic } => format!("mqtt://{host}:{port}/{topic}"),
            NotifyTarget::Webhook {
                tls,
                host,
                port,
                path,
                ..
            } => format!(
                "{}://{host}:{port}{path}",
                if *tls { "jsons" } else { "json" }
            ),
            NotifyTarget::Ntfy {
                tls,
                host,
                port,
                topic,
            } => format!(
                "{}://{host}:{port}/{topic}",
                if *tls { "ntfys" } else { "ntfy" }
            ),
            NotifyTarget::Mail {
                security,
                host,
                port,
                to,
                ..
            } => format!(
                "{}://{host}:{port}/?to={}",
                if *security == MailSecurity::Plain {
                    "mailto"
                } else {
                    "mailtos"
                },
                to.join(",")
            ),
            NotifyTarget::Desktop => "desktop://".into(),
        }
    }
}

/// A request path we write into an HTTP request line: printable ASCII, no spaces.
fn check_path(shown: &str, path: &str) -> Result<(), String> {
    if path.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(())
    } else {
        Err(format!(
            "notify target `{shown}`: the path must be printable ASCII without spaces (percent-encode the rest)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scheme_parses_with_its_defaults() {
        assert_eq!(
            NotifyTarget::parse("mqtt://broker:1884/plant/alarms"),
            Ok(NotifyTarget::Mqtt {
                host: "broker".into(),
                port: 1884,
                topic: "plant/alarms".into()
            })
        );
        assert_eq!(
            NotifyTarget::parse("jsons://hooks.lan/alarm?template=chat"),
            Ok(NotifyTarget::Webhook {
                tls: true,
                host: "hooks.lan".into(),
                port: 443,
                path: "/alarm".into(),
                chat: true
            })
        );
        assert_eq!(
            NotifyTarget::parse("json://127.0.0.1:8080"),
            Ok(NotifyTarget::Webhook {
                tls: false,
                host: "127.0.0.1".into(),
                port: 8080,
                path: "/".into(),
                chat: false
            })
        );
        assert_eq!(
            NotifyTarget::parse("ntfy://plant-alarms"),
            Ok(NotifyTarget::Ntfy {
                tls: true,
                host: "ntfy.sh".into(),
                port: 443,
                topic: "plant-alarms".into()
            })
        );
        assert_eq!(
            NotifyTarget::parse("ntfy://[::1]:8081/alarms"),
            Ok(NotifyTarget::Ntfy {
                tls: false,
                host: "::1".into(),
                port: 8081,
                topic: "alarms".into()
            })
        );
        assert_eq!(
            NotifyTarget::parse(
                "mailtos://ops%40plant.example@smtp.example:465/?to=a@x.example,b@x.example"
            ),
            Ok(NotifyTarget::Mail {
                security: MailSecurity::Tls,
                host: "smtp.example".into(),
                port: 465,
                user: Some("ops@plant.example".into()),
                to: vec!["a@x.example".into(), "b@x.example".into()],
                from: "ops@plant.example".into(),
            })
        );
        let NotifyTarget::Mail {
            security,
            port,
            from,
            ..
        } = NotifyTarget::parse("mailtos://smtp.example/?to=a@x.example").unwrap()
        else {
            panic!()
        };
        assert_eq!((security, port), (MailSecurity::StartTls, 587));
        assert_eq!(from, "twinview@smtp.example");
        let NotifyTarget::Mail { security, port, .. } =
            NotifyTarget::parse("mailto://127.0.0.1/?to=a@x.example&from=t@y.example").unwrap()
        else {
            panic!()
        };
        assert_eq!((security, port), (MailSecurity::Plain, 25));
        assert_eq!(NotifyTarget::parse("desktop://"), Ok(NotifyTarget::Desktop));
    }

    #[test]
    fn wrong_targets_are_named_and_no_secret_is_quoted() {
        for (url, says) in [
            ("mqtt://broker/a/#", "plain topic"),
            ("mqtt://broker", "no topic"),
            ("json://hooks.lan/a?x=1", "unknown option"),
            ("json://hooks.lan/a b", "printable ASCII"),
            ("ntfy://host/bad topic", "ntfy topic"),
            ("mailto://smtp.example/", "no recipient"),
            (
                "mailto://smtp.example/?to=a@x.example%0D%0ARCPT",
                "not an email address",
            ),
            ("mailtos://smtp.example/?to=a@x&mode=weird", "mode is"),
            ("mailto://smtp.example/?to=a@x&mode=ssl", "unknown option"),
            ("gotify://host/x", "unknown scheme"),
            ("json://host:99999/", "not a port"),
            ("hooks.lan/alarm", "not a URL"),
        ] {
            let e = NotifyTarget::parse(url).unwrap_err();
            assert!(e.contains(says), "{url}: {e}");
        }
        for url in [
            "mqtt://u:s3cret@broker/a",
            "json://u:s3cret@hooks/a",
            "mailtos://me:s3cret@smtp.example/?to=a@x.example",
            "ntfy://:s3cret@host/topic",
        ] {
            let e = NotifyTarget::parse(url).unwrap_err();
            assert!(!e.contains("s3cret"), "{e}");
            assert!(e.contains("no password"), "{e}");
        }
    }
}
