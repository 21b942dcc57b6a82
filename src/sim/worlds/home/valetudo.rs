use super::prelude::*;

/// A robot vacuum under Valetudo: Homie 4 under `valetudo/<identifier>`.
pub(super) struct Valetudo {
    client: usize,
    device: usize,
    battery: f64,
    status: &'static str,
    brush: f64,
    tick: Ticker,
    started: bool,
    rng: Rng,
}

pub(super) const VALETUDO: &str = "valetudo/RapidShyMouse";

impl Valetudo {
    pub(super) fn new(b: &mut Builder) -> Valetudo {
        let mut rng = Rng::with_seed(b.seed());
        let client = b.client(
            "valetudo_rapidshymouse",
            Some(Msg::new(format!("{VALETUDO}/$state"), "lost", true)),
            60,
        );
        let device = b.device("RapidShyMouse", "homie", "homie-state", Some(90.0));
        b.series(
            device,
            &format!("{VALETUDO}/BatteryStateAttribute/level"),
            "value",
            "battery",
            Some(1.0),
            "on_change",
        );
        b.series(
            device,
            &format!("{VALETUDO}/ConsumableStateAttribute/main_brush"),
            "value",
            "counter",
            Some(1.0),
            "on_change",
        );
        Valetudo {
            client,
            device,
            battery: 100.0,
            status: "docked",
            brush: 17_000.0 + rng.f64() * 1000.0,
            tick: Ticker::new(30.0, 0.0, &mut rng),
            started: false,
            rng,
        }
    }
}

impl Device for Valetudo {
    fn advance(&mut self, _now: f64, until: f64, env: &Env, sink: &mut Sink) {
        let (c, d) = (self.client, self.device);
        if !self.started {
            self.started = true;
            sink.connect(0.0, c, d);
            let r = |s: &str| format!("{VALETUDO}/{s}");
            sink.publish(0.0, c, d, Msg::new(r("$state"), "init", true));
            for (k, v) in [
                ("$homie", "4.0.0"),
                ("$name", "Valetudo S5 RapidShyMouse"),
                ("$extensions", ""),
                (
                    "$nodes",
                    "BatteryStateAttribute,StatusStateAttribute,ConsumableStateAttribute",
                ),
            ] {
                sink.publish(0.1, c, d, Msg::new(r(k), v, true));
            }
            for (node, prop, name, dt, unit) in [
                (
                    "BatteryStateAttribute",
                    "level",
                    "Battery level",
                    "integer",
                    "%",
                ),
                ("StatusStateAttribute", "status", "Status", "enum", ""),
                (
                    "ConsumableStateAttribute",
                    "main_brush",
                    "Main brush",
                    "integer",
                    "Minutes",
                ),
            ] {
                sink.publish(0.2, c, d, Msg::new(r(&format!("{node}/$name")), node, true));
                sink.publish(
                    0.2,
                    c,
                    d,
                    Msg::new(r(&format!("{node}/$properties")), prop, true),
                );
                sink.publish(
                    0.2,
                    c,
                    d,
                    Msg::new(r(&format!("{node}/{prop}/$name")), name, true),
                );
                sink.publish(
                    0.2,
                    c,
                    d,
                    Msg::new(r(&format!("{node}/{prop}/$datatype")), dt, true),
                );
                if !unit.is_empty() {
                    sink.publish(
                        0.2,
                        c,
                        d,
                        Msg::new(r(&format!("{node}/{prop}/$unit")), unit, true),
                    );
                }
            }
            sink.publish(
                0.3,
                c,
                d,
                Msg::new(
                    r("BatteryStateAttribute/level"),
                    format!("{}", self.battery),
                    true,
                ),
            );
            sink.publish(
                0.3,
                c,
                d,
                Msg::new(r("StatusStateAttribute/status"), self.status, true),
            );
            sink.publish(
                0.3,
                c,
                d,
                Msg::new(
                    r("ConsumableStateAttribute/main_brush"),
                    format!("{}", self.brush.floor()),
                    true,
                ),
            );
            sink.publish(0.4, c, d, Msg::new(r("$state"), "ready", true));
        }
        while let Some(t) = self.tick.due(until, &mut self.rng) {
            let h = env.hour(t);
            let want = if (10.0..11.0).contains(&h) {
                "cleaning"
            } else if (11.0..11.1).contains(&h) {
                "returning"
            } else {
                "docked"
            };
            if want != self.status {
                self.status = want;
                sink.publish(
                    t,
                    c,
                    d,
                    Msg::new(
                        format!("{VALETUDO}/StatusStateAttribute/status"),
                        want,
                        true,
                    ),
                );
            }
            let before = self.battery;
            self.battery = match self.status {
                "docked" => (self.battery + 0.6).min(100.0),
                _ => (self.battery - 0.35).max(10.0),
            };
            if self.status == "cleaning" {
                self.brush -= 0.5;
                if self.brush.floor() != (self.brush + 0.5).floor() {
                    sink.publish(
                        t,
                        c,
                        d,
                        Msg::new(
                            format!("{VALETUDO}/ConsumableStateAttribute/main_brush"),
                            format!("{}", self.brush.floor()),
                            true,
                        ),
                    );
                }
            }
            if before.round() != self.battery.round() {
                sink.publish(
                    t,
                    c,
                    d,
                    Msg::new(
                        format!("{VALETUDO}/BatteryStateAttribute/level"),
                        format!("{}", self.battery.round()),
                        true,
                    ),
                );
            }
        }
    }
}
