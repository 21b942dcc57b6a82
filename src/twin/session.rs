//! The twin's own session: its connection to the broker, the outages it lived through and
//! the commands it published.

use super::*;

impl Twin {
    /// Opens an outage when a connection is lost, closes it (and says so) when it returns.
    pub(super) fn note_outage(&mut self, c: &crate::source::event::ConnEvent) {
        let up = c.state.is_connected();
        if self.connection.is_connected() && !up {
            if self.outages.len() == MAX_OUTAGES {
                self.outages.pop_front();
            }
            self.outages_total += 1;
            self.outages.push_back(Outage {
                from: c.at,
                to: None,
                resumed: false,
            });
        } else if up && self.blind() {
            let o = self.outages.back_mut().expect("blind: an open outage");
            o.to = Some(c.at.max(o.from));
            o.resumed = c.resumed;
            let (from, seconds) = (
                o.from,
                (c.at - o.from).num_milliseconds().max(0) as f64 / 1000.0,
            );
            // Silence is counted from here at the earliest: before, twinview could not hear.
            self.devices.heard_since = Some(c.at);
            self.silence_soon(c.at);
            self.journal.push(Happening {
                t: c.at,
                what: What::Outage {
                    from,
                    seconds,
                    resumed: c.resumed,
                },
            });
        }
    }

    pub(super) fn apply_command(&mut self, c: &CommandEvent) {
        self.touch(c.at);
        let sent = self
            .commands
            .iter()
            .rev()
            .find(|r| r.id == c.command.id)
            .map(|r| r.at);
        self.journal.push(Happening {
            t: c.at,
            what: What::Command {
                id: c.command.id,
                topic: c.command.topic.clone(),
                payload: c.command.payload.clone(),
                qos: c.command.qos,
                outcome: match &c.outcome {
                    Outcome::Failed(why) => format!("failed: {why}"),
                    o => o.as_str().to_string(),
                },
                sent,
            },
        });
        if let Some(r) = self
            .commands
            .iter_mut()
            .rev()
            .find(|r| r.id == c.command.id)
        {
            r.outcome = c.outcome.clone();
            return;
        }
        if self.commands.len() == MAX_ALERTS {
            self.commands.pop_front();
        }
        self.commands.push_back(CommandRecord {
            id: c.command.id,
            at: c.at,
            topic: c.command.topic.clone(),
            payload: c.command.payload.clone(),
            qos: c.command.qos,
            outcome: c.outcome.clone(),
        });
    }

    pub(super) fn touch(&mut self, at: DateTime<Utc>) {
        self.first_event.get_or_insert(at);
        self.last_event = Some(at);
    }
}
