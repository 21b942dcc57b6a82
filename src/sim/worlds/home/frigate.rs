use super::prelude::*;
use crate::sim::worlds::signal::Link;

/// Frigate NVR with two cameras.
pub(super) struct Frigate {
    client: usize,
    device: usize,
    start: chrono::DateTime<chrono::Utc>,
    stats: Ticker,
    next_event: f64,
    counts: [u32; 2],
    ends: Vec<(f64, usize, String)>,
    connected: bool,
    down: Downtime,
    rng: Rng,
}

pub(super) const CAMERAS: [&str; 2] = ["front_door", "driveway"];

impl Frigate {
    pub(super) fn new(b: &mut Builder) -> Frigate {
        let mut rng = Rng::with_seed(b.seed());
        let client = b.client(
            "frigate",
            Some(Msg::new("frigate/available", "offline", true)),
            60,
        );
        let device = b.device("frigate", "frigate", "will", Some(90.0));
        for cam in CAMERAS {
            b.series(
                device,
                &format!("frigate/{cam}/person"),
                "value",
                "level",
                Some(1.0),
                "event",
            );
            b.series(
                device,
                &format!("frigate/{cam}/all"),
                "value",
                "level",
                Some(1.0),
                "event",
            );
            for (f, c) in [
                ("camera_fps", "continuous"),
                ("process_fps", "continuous"),
                ("skipped_fps", "continuous"),
                ("detection_fps", "continuous"),
                ("pid", "identifier"),
                ("capture_pid", "identifier"),
                ("ffmpeg_pid", "identifier"),
            ] {
                b.series(
                    device,
                    "frigate/stats",
                    &format!("cameras.{cam}.{f}"),
                    c,
                    None,
                    "steady",
                );
            }
        }
        for (f, c) in [
            ("detectors.coral.inference_speed", "continuous"),
            ("detectors.coral.pid", "identifier"),
            ("detectors.coral.detection_start", "epoch"),
            ("detection_fps", "continuous"),
            ("service.uptime", "counter"),
            ("service.last_updated", "epoch"),
        ] {
            b.series(device, "frigate/stats", f, c, None, "steady");
        }
        b.series(device, "frigate/stats", "*", "diagnostic", None, "steady");
        b.series(device, "frigate/events", "*", "event", None, "event");
        for f in [
            "after.frame_time",
            "after.start_time",
            "after.score",
            "after.top_score",
            "after.area",
            "after.ratio",
            "before.frame_time",
            "before.start_time",
            "before.score",
            "before.top_score",
            "before.area",
            "before.ratio",
            "after.end_time",
            "before.end_time",
            "after.motionless_count",
            "after.position_changes",
            "before.motionless_count",
            "before.position_changes",
            "after.snapshot.frame_time",
            "after.snapshot.area",
            "after.snapshot.score",
        ] {
            let class = if f.contains("time") {
                "epoch"
            } else {
                "on_change"
            };
            b.series(device, "frigate/events", f, class, None, "event");
        }
        Frigate {
            client,
            device,
            start: b.start,
            stats: Ticker::new(60.0, 0.01, &mut rng),
            next_event: 300.0 * rng.f64(),
            counts: [0, 0],
            ends: Vec::new(),
            connected: false,
            down: Downtime::default(),
            rng,
        }
    }

    fn event(&mut self, kind: &str, t: f64, cam: usize, id: &str, started: f64) -> Value {
        let ft = epoch(self.start, t);
        let label = if cam == 0 { "person" } else { "car" };
        let score = 0.7 + self.rng.f64() * 0.25;
        let obj = |end: Option<f64>, score: f64| {
            json!({
                "id": id, "camera": CAMERAS[cam], "frame_time": ft, "snapshot": {"frame_time": ft, "box": [412, 188, 560, 470], "area": 41_736, "region": [320, 120, 640, 440], "score": score, "attributes": []},
                "label": label, "sub_label": null, "top_score": score, "false_positive": false, "start_time": epoch(self.start, started),
                "end_time": end, "score": score, "box": [412, 188, 560, 470], "area": 41_736, "ratio": 0.52, "region": [320, 120, 640, 440],
                "current_zones": [], "entered_zones": [], "thumbnail": null, "has_snapshot": true, "has_clip": true, "stationary": false,
                "motionless_count": 0, "position_changes": 1, "attributes": {}, "current_attributes": []
            })
        };
        let end = if kind == "end" { Some(ft) } else { None };
        json!({"type": kind, "before": obj(None, score - 0.05), "after": obj(end, score)})
    }
}

impl Device for Frigate {
    fn advance(&mut self, now: f64, until: f64, _env: &Env, sink: &mut Sink) {
        let (c, d) = (self.client, self.device);
        match self.down.link(&mut self.connected, now, until, sink, c, d) {
            Link::Down => {
                while self.stats.due(until, &mut self.rng).is_some() {}
                return;
            }
            Link::Connected(t) => {
                sink.publish(t, c, d, Msg::new("frigate/available", "online", true));
                for cam in CAMERAS {
                    sink.publish(
                        t + 0.1,
                        c,
                        d,
                        Msg::new(format!("frigate/{cam}/detect/state"), "ON", true),
                    );
                    sink.publish(
                        t + 0.1,
                        c,
                        d,
                        Msg::new(format!("frigate/{cam}/recordings/state"), "ON", true),
                    );
                    sink.publish(
                        t + 0.1,
                        c,
                        d,
                        Msg::new(format!("frigate/{cam}/snapshots/state"), "ON", true),
                    );
                }
            }
            Link::Up => {}
        }
        while self.next_event <= until {
            let t = self.next_event;
            let cam = self.rng.usize(..2);
            let id = format!(
                "{:.6}-{}",
                epoch(self.start, t),
                self.rng.alphanumeric().to_ascii_lowercase()
            );
            self.counts[cam] += 1;
            let label = if cam == 0 { "person" } else { "car" };
            sink.publish(
                t,
                c,
                d,
                Msg::new(format!("frigate/{}/motion", CAMERAS[cam]), "ON", false),
            );
            sink.publish(
                t + 0.4,
                c,
                d,
                Msg::new(
                    format!("frigate/{}/{label}", CAMERAS[cam]),
                    self.counts[cam].to_string(),
                    false,
                ),
            );
            sink.publish(
                t + 0.4,
                c,
                d,
                Msg::new(
                    format!("frigate/{}/all", CAMERAS[cam]),
                    self.counts[cam].to_string(),
                    false,
                ),
            );
            let ev = self.event("new", t + 0.5, cam, &id, t);
            sink.publish(
                t + 0.5,
                c,
                d,
                Msg::new("frigate/events", ev.to_string(), false),
            );
            let mut jpeg = vec![
                0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00,
            ];
            jpeg.extend((0..2048).map(|_| self.rng.u8(..)));
            jpeg.extend([0xFF, 0xD9]);
            sink.publish(
                t + 1.0,
                c,
                d,
                Msg::new(
                    format!("frigate/{}/{label}/snapshot", CAMERAS[cam]),
                    jpeg,
                    true,
                ),
            );
            let len = 8.0 + self.rng.f64() * 40.0;
            self.ends.push((t + len, cam, id));
            self.next_event += 300.0 + self.rng.f64() * 3000.0;
        }
        self.ends.sort_by(|a, b| a.0.total_cmp(&b.0));
        while self.ends.first().is_some_and(|e| e.0 <= until) {
            let (t, cam, id) = self.ends.remove(0);
            let label = if cam == 0 { "person" } else { "car" };
            let ev = self.event("update", t - 2.0, cam, &id, t - 10.0);
            sink.publish(
                t - 2.0,
                c,
                d,
                Msg::new("frigate/events", ev.to_string(), false),
            );
            let ev = self.event("end", t, cam, &id, t - 10.0);
            sink.publish(t, c, d, Msg::new("frigate/events", ev.to_string(), false));
            self.counts[cam] = self.counts[cam].saturating_sub(1);
            sink.publish(
                t + 0.1,
                c,
                d,
                Msg::new(
                    format!("frigate/{}/{label}", CAMERAS[cam]),
                    self.counts[cam].to_string(),
                    false,
                ),
            );
            sink.publish(
                t + 0.1,
                c,
                d,
                Msg::new(
                    format!("frigate/{}/all", CAMERAS[cam]),
                    self.counts[cam].to_string(),
                    false,
                ),
            );
            sink.publish(
                t + 30.0_f64.min(until - t + 5.0),
                c,
                d,
                Msg::new(format!("frigate/{}/motion", CAMERAS[cam]), "OFF", false),
            );
        }
        while let Some(t) = self.stats.due(until, &mut self.rng) {
            let mut cams = serde_json::Map::new();
            for (i, cam) in CAMERAS.iter().enumerate() {
                cams.insert(cam.to_string(), json!({"camera_fps": 5.0, "process_fps": quantise(5.0 + gaussian(&mut self.rng, 0.1), 0.1), "skipped_fps": 0.0,
                    "detection_fps": quantise(self.rng.f64() * 0.4, 0.1), "detection_enabled": true, "pid": 342 + i, "capture_pid": 345 + i, "ffmpeg_pid": 350 + i, "audio_dBFS": null}));
            }
            let stats = json!({"cameras": cams, "detectors": {"coral": {"inference_speed": quantise(8.4 + gaussian(&mut self.rng, 0.3), 0.01), "detection_start": 0.0, "pid": 320}},
                "detection_fps": quantise(self.rng.f64() * 0.8, 0.1), "cpu_usages": {"1": {"cpu": "4.0", "mem": "1.2"}},
                "service": {"uptime": t.floor(), "version": "0.14.1-f4f3cfa", "latest_version": "0.14.1", "last_updated": epoch(self.start, t).floor(), "storage": {"/media/frigate/recordings": {"total": 944_418.6, "used": 31_260.4, "free": 913_158.2, "mount_type": "ext4"}}, "temperatures": {}}});
            sink.publish(t, c, d, Msg::new("frigate/stats", stats.to_string(), false));
        }
    }

    fn device_faults(&self) -> &'static [FaultKind] {
        &[FaultKind::Offline]
    }

    fn inject(&mut self, kind: FaultKind, start: f64, end: f64, rng: &mut Rng) -> Vec<TruthFault> {
        down_faults(
            &mut self.down,
            kind,
            start,
            end,
            rng,
            self.start,
            "frigate",
            "frigate/available",
        )
    }
}
