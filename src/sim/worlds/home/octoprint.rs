use super::prelude::*;

/// A 3D printer under OctoPrint: prints now and then (heat-up, print, cool-down).
pub(super) struct OctoPrint {
    client: usize,
    device: usize,
    start: chrono::DateTime<chrono::Utc>,
    tool: Probe,
    bed: Probe,
    tool_t: f64,
    bed_t: f64,
    targets: (f64, f64),
    job: Option<(f64, f64)>,
    next_job: f64,
    poll: Ticker,
    oc: [OnChange; 2],
    progress: i64,
    started: bool,
    rng: Rng,
}

impl OctoPrint {
    pub(super) fn new(b: &mut Builder) -> OctoPrint {
        let mut rng = Rng::with_seed(b.seed());
        let client = b.client(
            "octoprint-prusa",
            Some(Msg::new("octoPrint/mqtt", "disconnected", true)),
            60,
        );
        let device = b.device("octoprint", "octoprint", "will", Some(90.0));
        let tool = b
            .probe(
                device,
                "octoPrint/temperature/tool0",
                "actual",
                "continuous",
                0.01,
                "on_change",
                &[FaultKind::Spike, FaultKind::LevelShift, FaultKind::Stuck],
            )
            .scale(3.0);
        let bed = b
            .probe(
                device,
                "octoPrint/temperature/bed",
                "actual",
                "continuous",
                0.01,
                "on_change",
                &[FaultKind::Spike, FaultKind::LevelShift, FaultKind::Stuck],
            )
            .scale(2.0);
        for t in ["octoPrint/temperature/tool0", "octoPrint/temperature/bed"] {
            b.series(device, t, "target", "setpoint", Some(1.0), "on_change");
            b.series(device, t, "_timestamp", "epoch", None, "on_change");
        }
        b.series(
            device,
            "octoPrint/progress/printing",
            "progress",
            "counter",
            Some(1.0),
            "event",
        );
        for ev in ["Connected", "PrintStarted", "PrintDone"] {
            let t = format!("octoPrint/event/{ev}");
            b.series(device, &t, "*", "event", None, "event");
            b.series(device, &t, "_timestamp", "epoch", None, "event");
        }
        b.series(
            device,
            "octoPrint/progress/printing",
            "_timestamp",
            "epoch",
            None,
            "event",
        );
        let d = b.duration_s;
        OctoPrint {
            client,
            device,
            start: b.start,
            tool,
            bed,
            tool_t: 21.0,
            bed_t: 21.0,
            targets: (0.0, 0.0),
            job: None,
            next_job: d * (0.05 + rng.f64() * 0.2),
            poll: Ticker::new(2.0, 0.02, &mut rng),
            oc: [
                OnChange::new(1.0, 0.0, f64::INFINITY),
                OnChange::new(1.0, 0.0, f64::INFINITY),
            ],
            progress: -1,
            started: false,
            rng,
        }
    }
}

impl Device for OctoPrint {
    fn advance(&mut self, _now: f64, until: f64, env: &Env, sink: &mut Sink) {
        let (c, d) = (self.client, self.device);
        if !self.started {
            self.started = true;
            sink.connect(0.0, c, d);
            sink.publish(0.0, c, d, Msg::new("octoPrint/mqtt", "connected", true));
            let ev = json!({"_event": "Connected", "_timestamp": epoch(self.start, 0.0).floor(), "port": "/dev/ttyACM0", "baudrate": 115_200});
            sink.publish(
                0.5,
                c,
                d,
                Msg::new("octoPrint/event/Connected", ev.to_string(), false),
            );
        }
        while let Some(t) = self.poll.due(until, &mut self.rng) {
            let ts = epoch(self.start, t).floor();
            if self.job.is_none() && t >= self.next_job {
                let len = 1800.0 + self.rng.f64() * 5400.0;
                self.job = Some((t, len));
                self.targets = (215.0, 60.0);
                let ev = json!({"_event": "PrintStarted", "_timestamp": ts, "name": "benchy.gcode", "path": "benchy.gcode", "origin": "local", "size": 2_914_511, "owner": "alice", "user": "alice"});
                sink.publish(
                    t,
                    c,
                    d,
                    Msg::new("octoPrint/event/PrintStarted", ev.to_string(), false),
                );
            }
            if let Some((s, len)) = self.job {
                let p = (((t - s - 240.0).max(0.0) / len) * 100.0).floor() as i64;
                if p != self.progress && p <= 100 {
                    self.progress = p;
                    let pr = json!({"_timestamp": ts, "location": "local", "path": "benchy.gcode", "progress": p});
                    sink.publish(
                        t,
                        c,
                        d,
                        Msg::new("octoPrint/progress/printing", pr.to_string(), true),
                    );
                }
                if t - s >= len + 240.0 {
                    self.job = None;
                    self.progress = -1;
                    self.targets = (0.0, 0.0);
                    self.next_job = t + 7200.0 + self.rng.f64() * 36_000.0;
                    let ev = json!({"_event": "PrintDone", "_timestamp": ts, "name": "benchy.gcode", "path": "benchy.gcode", "origin": "local", "time": len});
                    sink.publish(
                        t,
                        c,
                        d,
                        Msg::new("octoPrint/event/PrintDone", ev.to_string(), false),
                    );
                }
            }
            let room = env.temp(0, t);
            let (tt, bt) = self.targets;
            let goal_tool = if tt > 0.0 { tt } else { room };
            let goal_bed = if bt > 0.0 { bt } else { room };
            self.tool_t += (goal_tool - self.tool_t) * 0.04
                + gaussian(&mut self.rng, if tt > 0.0 { 0.35 } else { 0.05 });
            self.bed_t += (goal_bed - self.bed_t) * 0.01
                + gaussian(&mut self.rng, if bt > 0.0 { 0.1 } else { 0.02 });
            let tool = self.tool.read(t, self.tool_t);
            let bed = self.bed.read(t, self.bed_t);
            if self.oc[0].should(t, tool) {
                sink.publish(
                    t,
                    c,
                    d,
                    Msg::new(
                        "octoPrint/temperature/tool0",
                        json!({"_timestamp": ts, "actual": tool, "target": tt}).to_string(),
                        false,
                    ),
                );
            }
            if self.oc[1].should(t, bed) {
                sink.publish(
                    t + 0.01,
                    c,
                    d,
                    Msg::new(
                        "octoPrint/temperature/bed",
                        json!({"_timestamp": ts, "actual": bed, "target": bt}).to_string(),
                        false,
                    ),
                );
            }
        }
    }

    fn probes(&mut self) -> Vec<&mut Probe> {
        vec![&mut self.tool, &mut self.bed]
    }
}
