//! Flood publisher for benchmarks: one raw MQTT 3.1.1 connection writing QoS 0 PUBLISH
//! packets of lab-6 JSON through a buffered socket, round-robin over `--topics` topics
//! `bench/sensorN/temperature`. Hand-encoded so that the broker, not the publisher, is the
//! limit.
//!
//! cargo run --release --example flood -- --port 1883 --messages 100000 --topics 1000
//! `--rate N` paces it to N messages per second (for soak runs); `--retain` publishes them
//! retained.

use std::io::{BufWriter, Read, Write};
use std::net::TcpStream;
use std::time::Instant;

fn arg(args: &[String], name: &str, default: u64) -> u64 {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name} takes a number"))
        })
        .unwrap_or(default)
}

/// MQTT's variable-length "remaining length".
fn put_len(out: &mut Vec<u8>, mut n: usize) {
    loop {
        let mut byte = (n % 128) as u8;
        n /= 128;
        if n > 0 {
            byte |= 0x80;
        }
        out.push(byte);
        if n == 0 {
            break;
        }
    }
}

fn put_str(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(&(s.len() as u16).to_be_bytes());
    out.extend_from_slice(s);
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let port = arg(&args, "--port", 1883) as u16;
    let messages = arg(&args, "--messages", 100_000);
    let topics = arg(&args, "--topics", 1000).max(1);
    let rate = arg(&args, "--rate", 0);
    // `--retain`: every message retained (a broker full of retained state at connect).
    let retain = args.iter().any(|a| a == "--retain");

    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_nodelay(true)?;
    // CONNECT: protocol "MQTT" level 4, clean session, keep-alive 60 s.
    let mut body = Vec::new();
    put_str(&mut body, b"MQTT");
    body.extend_from_slice(&[4, 0x02, 0, 60]);
    put_str(
        &mut body,
        format!("flood-{}", std::process::id()).as_bytes(),
    );
    let mut packet = vec![0x10];
    put_len(&mut packet, body.len());
    packet.extend_from_slice(&body);
    stream.write_all(&packet)?;
    let mut connack = [0u8; 4];
    stream.read_exact(&mut connack)?;
    if connack[0] != 0x20 || connack[3] != 0 {
        eprintln!("flood: broker refused the connection: {connack:?}");
        std::process::exit(1);
    }

    let start = Instant::now();
    let mut out = BufWriter::with_capacity(1 << 16, stream.try_clone()?);
    let mut packet = Vec::with_capacity(512);
    for i in 0..messages {
        if rate > 0 && i % 1000 == 0 {
            // Paced: flush, then wait until this thousand is due.
            out.flush()?;
            let due = start + std::time::Duration::from_secs_f64(i as f64 / rate as f64);
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
        }
        let n = i % topics;
        let topic = format!("bench/sensor{n}/temperature");
        let value = 22.0 + ((i * 7919) % 600) as f64 / 100.0 - 3.0;
        let payload = format!(
            r#"{{"timestamp_utc":"2026-11-21T12:00:00.000000Z","sensor_id":"sensor{n}","value":{value:.2},"unit":"Celsius","metadata":{{"location":"Bench","sensor_type":"Flood","firmware_version":"1.0.0"}}}}"#
        );
        packet.clear();
        packet.push(if retain { 0x31 } else { 0x30 });
        put_len(&mut packet, 2 + topic.len() + payload.len());
        put_str(&mut packet, topic.as_bytes());
        packet.extend_from_slice(payload.as_bytes());
        out.write_all(&packet)?;
    }
    out.write_all(&[0xE0, 0x00])?; // DISCONNECT
    out.flush()?;
    drop(out);
    stream.shutdown(std::net::Shutdown::Write)?;
    // Wait for the broker to close its side, so every byte was read before we report.
    let mut sink = [0u8; 64];
    while stream.read(&mut sink).unwrap_or(0) > 0 {}
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "flood: published {messages} messages over {topics} topics in {secs:.3} s ({:.0} msg/s)",
        messages as f64 / secs
    );
    Ok(())
}
