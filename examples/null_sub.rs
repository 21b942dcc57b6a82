//! The reference for twinview's cost per message: a minimal rumqttc client that subscribes
//! and only counts, then exits after `--count` messages (or when the connection fails).
//!
//! cargo run --release --example null_sub -- --port 1883 --topic 'bench/#' --count 1000000

use std::time::{Duration, Instant};

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};

fn arg<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let port: u16 = arg(&args, "--port").unwrap_or("1883").parse().unwrap();
    let topic = arg(&args, "--topic").unwrap_or("#").to_string();
    let count: u64 = arg(&args, "--count").unwrap_or("1000000").parse().unwrap();
    let mut opts = MqttOptions::new(
        format!("null-sub-{}", std::process::id()),
        "127.0.0.1",
        port,
    );
    opts.set_keep_alive(Duration::from_secs(30));
    opts.set_max_packet_size(16 << 20, 1 << 20);
    let (client, mut eventloop) = AsyncClient::new(opts, 64);
    let mut n = 0u64;
    let mut start = None;
    loop {
        match eventloop.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                client
                    .subscribe(topic.clone(), QoS::AtMostOnce)
                    .await
                    .unwrap();
            }
            Ok(Event::Incoming(Packet::SubAck(_))) => eprintln!("null_sub: subscribed to {topic}"),
            Ok(Event::Incoming(Packet::Publish(_))) => {
                start.get_or_insert_with(Instant::now);
                n += 1;
                if n >= count {
                    break;
                }
            }
            Ok(_) => {}
            Err(e) => {
                eprintln!("null_sub: {e}");
                break;
            }
        }
    }
    let secs = start.map(|s| s.elapsed().as_secs_f64()).unwrap_or(0.0);
    eprintln!("null_sub: received {n} messages in {secs:.3} s");
}
