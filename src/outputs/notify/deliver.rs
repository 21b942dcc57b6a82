//! Delivering one alarm transition to a webhook, an ntfy server, an SMTP server or the
//! desktop. Each call is one attempt, bounded in time; the caller retries (mod.rs).
//!
//! HTTP is written by hand: one `POST` with `Connection: close`, and only the status line of
//! the answer read (a few lines that need no HTTP client in the tree). SMTP likewise: EHLO,
//! STARTTLS when asked, AUTH PLAIN only over TLS, MAIL, RCPT, DATA with a base64 body (no
//! line can start with a dot or run long), QUIT.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use super::target::{MailSecurity, NotifyTarget};
use super::Transition;

/// One attempt's time limit, connection included.
pub const ATTEMPT: Duration = Duration::from_secs(20);

/// Why an attempt failed; `retry` false when trying again cannot help (a 4xx answer, a
/// permanent SMTP refusal, no notify-send).
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub why: String,
    pub retry: bool,
}

fn again(why: impl Into<String>) -> Failure {
    Failure {
        why: why.into(),
        retry: true,
    }
}

fn never(why: impl Into<String>) -> Failure {
    Failure {
        why: why.into(),
        retry: false,
    }
}

/// What delivering needs besides the target: TLS roots and the SMTP password.
#[derive(Clone, Default)]
pub struct Means {
    pub tls: Option<Arc<rustls::ClientConfig>>,
    pub password: Option<crate::source::conn::Secret>,
}

/// One attempt to deliver `n` to `target` (not MQTT: that target has its own task).
pub async fn deliver(target: &NotifyTarget, n: &Transition, means: &Means) -> Result<(), Failure> {
    match tokio::time::timeout(ATTEMPT, attempt(target, n, means)).await {
        Ok(r) => r,
        Err(_) => Err(again(format!("no answer within {} s", ATTEMPT.as_secs()))),
    }
}

async fn attempt(target: &NotifyTarget, n: &Transition, means: &Means) -> Result<(), Failure> {
    match target {
        NotifyTarget::Webhook {
            tls,
            host,
            port,
            path,
            chat,
        } => {
            let body = if *chat {
                serde_json::json!({ "text": n.line() })
                    .to_string()
                    .into_bytes()
            } else {
                n.json.clone()
            };
            post(means, *tls, host, *port, path, &body).await
        }
        NotifyTarget::Ntfy {
            tls,
            host,
            port,
            topic,
        } => {
            let body = serde_json::json!({
                "topic": topic,
                "title": n.title(),
                "message": n.body(),
                "priority": n.ntfy_priority(),
                "tags": [n.priority, n.state],
            })
            .to_string()
            .into_bytes();
            post(means, *tls, host, *port, "/", &body).await
        }
        NotifyTarget::Mail {
            security,
            host,
            port,
            user,
            to,
            from,
        } => {
            let mail = Mail {
                security: *security,
                host,
                port: *port,
                user: user.as_deref(),
                to,
                from,
            };
            mail.send(n, means).await
        }
        NotifyTarget::Desktop => desktop(n).await,
        NotifyTarget::Mqtt { .. } => Ok(()),
    }
}

async fn connect(host: &str, port: u16) -> Result<TcpStream, Failure> {
    TcpStream::connect((host, port))
        .await
        .map_err(|e| again(format!("cannot connect to {host}:{port}: {e}")))
}

async fn secure(
    means: &Means,
    host: &str,
    tcp: TcpStream,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, Failure> {
    let config = means
        .tls
        .clone()
        .ok_or_else(|| never("no TLS configuration (a bug: TLS targets are prepared at start)"))?;
    let name = ServerName::try_from(host.to_string())
        .map_err(|_| never(format!("`{host}` is not a name TLS can check")))?;
    tokio_rustls::TlsConnector::from(config)
        .connect(name, tcp)
        .await
        .map_err(|e| again(format!("TLS with {host}: {e}")))
}

/// `POST path` with a JSON body; a 2xx answer is delivered, 4xx (but 408 and 429) will not
/// be better next time, anything else is tried again.
async fn post(
    means: &Means,
    tls: bool,
    host: &str,
    port: u16,
    path: &str,
    body: &[u8],
) -> Result<(), Failure> {
    let tcp = connect(host, port).await?;
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nUser-Agent: twinview/{}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        host_header(host, port, tls),
        env!("CARGO_PKG_VERSION"),
        body.len()
    );
    let status = if tls {
        exchange(secure(means, host, tcp).await?, &head, body).await?
    } else {
        exchange(tcp, &head, body).await?
    };
    match status {
        200..=299 => Ok(()),
        408 | 429 => Err(again(format!("HTTP {status}"))),
        400..=499 => Err(never(format!("HTTP {status}: the receiver refuses it"))),
        _ => Err(again(format!("HTTP {status}"))),
    }
}

fn host_header(host: &str, port: u16, tls: bool) -> String {
    let h = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    if port == if tls { 443 } else { 80 } {
        h
    } else {
        format!("{h}:{port}")
    }
}

/// Writes the request, reads the status line (`HTTP/1.x NNN …`).
async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    s: S,
    head: &str,
    body: &[u8],
) -> Result<u16, Failure> {
    let mut s = BufReader::new(s);
    let io = |e: std::io::Error| again(format!("connection: {e}"));
    s.get_mut().write_all(head.as_bytes()).await.map_err(io)?;
    s.get_mut().write_all(body).await.map_err(io)?;
    s.get_mut().flush().await.map_err(io)?;
    let line = read_line(&mut s).await?;
    status_of(&line).ok_or_else(|| again("not an HTTP answer"))
}

fn status_of(line: &str) -> Option<u16> {
    let mut words = line.split_ascii_whitespace();
    let version = words.next()?;
    if !version.starts_with("HTTP/1.") {
        return None;
    }
    words
        .next()?
        .parse()
        .ok()
        .filter(|s| (100..600).contains(s))
}

/// One line of an answer, at most 4 KiB (a longer one is an error, not a memory cost).
async fn read_line<S: AsyncRead + Unpin>(s: &mut BufReader<S>) -> Result<String, Failure> {
    let mut buf = Vec::new();
    let mut limited = (&mut *s).take(4096);
    let n = limited
        .read_until(b'\n', &mut buf)
        .await
        .map_err(|e| again(format!("connection: {e}")))?;
    if n == 0 {
        return Err(again("the connection closed before an answer"));
    }
    if !buf.ends_with(b"\n") {
        return Err(again("an answer line longer than 4 KiB"));
    }
    Ok(String::from_utf8_lossy(&buf).trim_end().to_string())
}

/// One SMTP delivery.
struct Mail<'a> {
    security: MailSecurity,
    host: &'a str,
    port: u16,
    user: Option<&'a str>,
    to: &'a [String],
    from: &'a str,
}

/// An SMTP reply: its code and its lines' text (a multi-line reply has `NNN-` before its
/// last line `NNN `).
async fn reply<S: AsyncRead + Unpin>(s: &mut BufReader<S>) -> Result<(u16, Vec<String>), Failure> {
    let mut lines = Vec::new();
    for _ in 0..64 {
        let line = read_line(s).await?;
        let code: u16 = line.get(..3).and_then(|c| c.parse().ok()).ok_or_else(|| {
            again(format!(
                "not an SMTP reply: {}",
                crate::text::visible(&line)
            ))
        })?;
        let last = line.as_bytes().get(3) != Some(&b'-');
        lines.push(line.get(4..).unwrap_or("").to_string());
        if last {
            return Ok((code, lines));
        }
    }
    Err(again("an SMTP reply of more than 64 lines"))
}

/// Sends a command (None: just reads) and checks the reply's code is one of `ok`. A 5xx
/// reply is permanent, 4xx temporary.
async fn step<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut BufReader<S>,
    command: Option<&str>,
    ok: &[u16],
    shown: &str,
) -> Result<Vec<String>, Failure> {
    if let Some(c) = command {
        let io = |e: std::io::Error| again(format!("connection: {e}"));
        s.get_mut().write_all(c.as_bytes()).await.map_err(io)?;
        s.get_mut().write_all(b"\r\n").await.map_err(io)?;
        s.get_mut().flush().await.map_err(io)?;
    }
    let (code, lines) = reply(s).await?;
    if ok.contains(&code) {
        return Ok(lines);
    }
    let why = format!(
        "{shown}: {code} {}",
        crate::text::visible(lines.last().map(String::as_str).unwrap_or(""))
    );
    Err(if code >= 500 { never(why) } else { again(why) })
}

impl Mail<'_> {
    async fn send(&self, n: &Transition, means: &Means) -> Result<(), Failure> {
        if self.security == MailSecurity::Plain && means.password.is_some() && self.user.is_some() {
            return Err(never(
                "a password is only sent over TLS: use mailtos:// for an SMTP server that needs one",
            ));
        }
        let tcp = connect(self.host, self.port).await?;
        match self.security {
            MailSecurity::Plain => self.session(BufReader::new(tcp), true, n, means).await,
            MailSecurity::Tls => {
                let tls = secure(means, self.host, tcp).await?;
                self.session(BufReader::new(tls), true, n, means).await
            }
            MailSecurity::StartTls => {
                let mut s = BufReader::new(tcp);
                step(&mut s, None, &[220], "greeting").await?;
                let offered = step(&mut s, Some("EHLO twinview"), &[250], "EHLO").await?;
                if !offered.iter().any(|l| {
                    l.eq_ignore_ascii_case("STARTTLS")
                        || l.to_ascii_uppercase().starts_with("STARTTLS ")
                }) {
                    return Err(never(format!(
                        "{} does not offer STARTTLS (mailto:// sends without TLS; mailtos://…:465 uses TLS from the start)",
                        self.host
                    )));
                }
                step(&mut s, Some("STARTTLS"), &[220], "STARTTLS").await?;
                // Nothing the server sent before the handshake may be read after it.
                if !s.buffer().is_empty() {
                    return Err(never("the server sent data before the TLS handshake"));
                }
                let tls = secure(means, self.host, s.into_inner()).await?;
                self.session(BufReader::new(tls), false, n, means).await
            }
        }
    }

    /// From the greeting (when `greet`) or the EHLO after STARTTLS to QUIT.
    async fn session<S: AsyncRead + AsyncWrite + Unpin>(
        &self,
        mut s: BufReader<S>,
        greet: bool,
        n: &Transition,
        means: &Means,
    ) -> Result<(), Failure> {
        if greet {
            step(&mut s, None, &[220], "greeting").await?;
        }
        step(&mut s, Some("EHLO twinview"), &[250], "EHLO").await?;
        if let (Some(user), Some(pw)) = (self.user, &means.password) {
            let token = base64::engine::general_purpose::STANDARD
                .encode(format!("\0{user}\0{}", pw.expose()));
            // The command carries the password: its echo in an error is the reply, never it.
            step(&mut s, Some(&format!("AUTH PLAIN {token}")), &[235], "AUTH").await?;
        }
        step(
            &mut s,
            Some(&format!("MAIL FROM:<{}>", self.from)),
            &[250],
            "MAIL FROM",
        )
        .await?;
        for to in self.to {
            step(
                &mut s,
                Some(&format!("RCPT TO:<{to}>")),
                &[250, 251],
                "RCPT TO",
            )
            .await?;
        }
        step(&mut s, Some("DATA"), &[354], "DATA").await?;
        let message = self.message(n);
        step(&mut s, Some(&message), &[250], "the message").await?;
        // Delivered: a failing QUIT changes nothing.
        let _ = step(&mut s, Some("QUIT"), &[221], "QUIT").await;
        Ok(())
    }

    /// The message, headers and base64 body, ending with the lone dot (written as one
    /// command: `step` adds the last CRLF).
    fn message(&self, n: &Transition) -> String {
        let b64 = base64::engine::general_purpose::STANDARD;
        let mut m = String::new();
        let mut header = |k: &str, v: &str| {
            m.push_str(k);
            m.push_str(": ");
            m.push_str(v);
            m.push_str("\r\n");
        };
        header("From", &format!("twinview <{}>", self.from));
        header("To", &self.to.join(", "));
        header("Subject", &encoded_word(&n.title()));
        header("Date", &n.t.to_rfc2822());
        header("Message-ID", &format!("<{}@twinview>", n.id));
        header("MIME-Version", "1.0");
        header("Content-Type", "text/plain; charset=utf-8");
        header("Content-Transfer-Encoding", "base64");
        header("X-Twinview-Alarm", &encoded_word(&n.alarm));
        m.push_str("\r\n");
        let body = b64.encode(n.body().as_bytes());
        for chunk in body.as_bytes().chunks(76) {
            m.push_str(std::str::from_utf8(chunk).unwrap_or(""));
            m.push_str("\r\n");
        }
        m.push('.');
        m
    }
}

/// A header value: as it is when printable ASCII, else one RFC 2047 encoded word (nothing
/// from a topic can end the header or start another).
fn encoded_word(s: &str) -> String {
    if s.len() <= 200 && s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return s.to_string();
    }
    let s: String = s.chars().take(200).collect();
    format!(
        "=?UTF-8?B?{}?=",
        base64::engine::general_purpose::STANDARD.encode(s.as_bytes())
    )
}

/// A desktop notification with `notify-send` (libnotify): urgency from the priority.
async fn desktop(n: &Transition) -> Result<(), Failure> {
    let urgency = match n.priority {
        "critical" | "high" => "critical",
        "medium" => "normal",
        _ => "low",
    };
    let out = tokio::process::Command::new("notify-send")
        .args(["-a", "twinview", "-u", urgency, "--"])
        .arg(crate::text::visible(&n.title()).as_ref())
        .arg(crate::text::visible(&n.body()).as_ref())
        .stdin(std::process::Stdio::null())
        .output()
        .await;
    match out {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => Err(again(format!(
            "notify-send: {}",
            crate::text::visible(String::from_utf8_lossy(&o.stderr).trim())
        ))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(never(
            "notify-send is not installed (Debian: libnotify-bin)",
        )),
        Err(e) => Err(again(format!("notify-send: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines_are_read_strictly() {
        assert_eq!(status_of("HTTP/1.1 204 No Content"), Some(204));
        assert_eq!(status_of("HTTP/1.0 500"), Some(500));
        assert_eq!(status_of("SSH-2.0-OpenSSH"), None);
        assert_eq!(status_of("HTTP/1.1 999 x"), None);
        assert_eq!(host_header("::1", 8080, false), "[::1]:8080");
        assert_eq!(host_header("hooks.lan", 443, true), "hooks.lan");
    }

    #[test]
    fn a_header_from_a_topic_cannot_start_another() {
        assert_eq!(encoded_word("freezer warm"), "freezer warm");
        let w = encoded_word("x\r\nBcc: someone@else");
        assert!(w.starts_with("=?UTF-8?B?") && !w.contains('\n'), "{w}");
        assert!(encoded_word("Küche").starts_with("=?UTF-8?B?"));
    }
}
