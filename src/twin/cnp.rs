//! Contract Net tracking (docs/conventions.md §3): calls for proposals, bids, refusals, awards and
//! completions, per job and per machine, with the protocol violations they reveal.

use super::levels;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;

/// Longest job id, machine id, job type or refusal reason taken (bytes); a message with a
/// longer one is counted as undecoded, not tracked.
pub const MAX_ID: usize = 256;
/// The error [`Cnp::apply`] gives for a job id over [`MAX_ID`].
pub const TOO_LONG: &str = "a Contract Net id, job type or reason longer than 256 bytes";
/// Jobs kept (oldest finished jobs are forgotten first).
const MAX_JOBS: usize = 2000;
/// Machines remembered as called per job (the first by id, beyond that).
const MAX_CALLED: usize = 256;
/// Busy periods kept per machine for the timeline.
const MAX_PERIODS: usize = 64;
/// Bids, refusals, violations and negotiation lines kept per job, each.
pub const MAX_PER_JOB: usize = 1000;
/// Job types kept per machine, as capabilities and as refused types, each.
const MAX_JOB_TYPES: usize = 256;

/// The kind of a Contract Net message, from its topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Cfp,
    Bid,
    Assign,
    Done,
}

/// Where a job is in its negotiation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum JobState {
    Bidding,
    Assigned,
    Running,
    Done,
    Unassigned,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Bidding => "bidding",
            JobState::Assigned => "assigned",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Unassigned => "unassigned",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    pub machine: String,
    pub time: f64,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub machine: String,
    pub reason: String,
    pub at: DateTime<Utc>,
}

/// One message of a negotiation, for the detail view.
#[derive(Debug, Clone, PartialEq)]
pub struct NegotiationLine {
    pub at: DateTime<Utc>,
    pub step: Step,
    pub machine: Option<String>,
    pub text: String,
}

#[derive(Debug, Clone)]
pub struct Job {
    pub id: String,
    pub job_type: Option<String>,
    pub cfp_at: DateTime<Utc>,
    pub deadline: Duration,
    pub proposals: Vec<Proposal>,
    pub refusals: Vec<Refusal>,
    pub winner: Option<String>,
    pub awarded_time: Option<f64>,
    pub awarded_at: Option<DateTime<Utc>>,
    pub done_at: Option<DateTime<Utc>>,
    pub state: JobState,
    pub violations: Vec<String>,
    pub log: Vec<NegotiationLine>,
    /// Done by the clock (award + bid time passed) rather than by the winner's word.
    pub done_inferred: bool,
    /// Its completion was counted for the winner (once, however it came).
    credited: bool,
    /// Machines known when the call went out: those that neither bid nor refused stayed
    /// silent.
    pub called: Vec<String>,
    /// Bids past [`MAX_PER_JOB`] that were not kept (the best ones are).
    pub bids_not_kept: u64,
    /// Refusals, violations and lines past [`MAX_PER_JOB`] not kept.
    pub lines_not_kept: u64,
}

impl Job {
    fn new(id: &str, at: DateTime<Utc>, deadline: Duration) -> Job {
        Job {
            id: id.to_string(),
            job_type: None,
            cfp_at: at,
            deadline,
            proposals: Vec::new(),
            refusals: Vec::new(),
            winner: None,
            awarded_time: None,
            awarded_at: None,
            done_at: None,
            state: JobState::Bidding,
            violations: Vec::new(),
            log: Vec::new(),
            done_inferred: false,
            credited: false,
            called: Vec::new(),
            bids_not_kept: 0,
            lines_not_kept: 0,
        }
    }

    /// Adds a line to the negotiation's log, if there is room. Returns whether it was kept.
    fn note(&mut self, line: NegotiationLine) -> bool {
        if self.log.len() < MAX_PER_JOB {
            self.log.push(line);
            true
        } else {
            self.lines_not_kept += 1;
            false
        }
    }

    /// Keeps a bid: while there is room, every bid; past it, the bid replaces the worst kept
    /// one when it is better (so [`Job::best`] stays true). Returns whether it was kept.
    fn bid(&mut self, p: Proposal) -> bool {
        if self.proposals.len() < MAX_PER_JOB {
            self.proposals.push(p);
            return true;
        }
        self.bids_not_kept += 1;
        let worst = self
            .proposals
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.time.total_cmp(&b.1.time))
            .map(|(i, w)| (i, w.time));
        match worst {
            Some((i, t)) if p.time < t => {
                self.proposals[i] = p;
                true
            }
            _ => false,
        }
    }

    fn refusal(&mut self, r: Refusal) {
        if self.refusals.len() < MAX_PER_JOB {
            self.refusals.push(r);
        } else {
            self.lines_not_kept += 1;
        }
    }

    fn violation(&mut self, v: String) {
        if self.violations.len() < MAX_PER_JOB {
            self.violations.push(v);
        } else {
            self.lines_not_kept += 1;
        }
    }

    /// Machines called for proposals that neither bid nor refused.
    pub fn silent(&self) -> impl Iterator<Item = &str> {
        self.called.iter().map(String::as_str).filter(|m| {
            !self.proposals.iter().any(|p| p.machine == *m)
                && !self.refusals.iter().any(|r| r.machine == *m)
        })
    }

    pub fn best(&self) -> Option<&Proposal> {
        self.proposals
            .iter()
            .min_by(|a, b| a.time.total_cmp(&b.time))
    }
}

/// What a machine is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MachineState {
    Idle,
    Busy(String),
}

#[derive(Debug, Clone)]
pub struct Machine {
    pub id: String,
    pub state: MachineState,
    /// Job type → seconds, from its proposals.
    pub capabilities: BTreeMap<String, f64>,
    /// Job types it refused as `cannot_do`.
    pub cannot: BTreeSet<String>,
    pub jobs_won: u64,
    pub jobs_done: u64,
    /// Completed busy time in seconds (the current job not included).
    pub busy_seconds: f64,
    pub busy_since: Option<DateTime<Utc>>,
    /// Expected end of the current job (award + bid time).
    pub busy_until: Option<DateTime<Utc>>,
    pub first_seen: DateTime<Utc>,
    /// When a message last named it (the bound forgets the least recently seen machines).
    pub last_seen: DateTime<Utc>,
    /// Recent busy periods (start, end) for the timeline.
    pub periods: VecDeque<(DateTime<Utc>, DateTime<Utc>)>,
}

impl Machine {
    /// A fresh machine record (for view tests).
    pub fn new_for_test(id: &str, at: DateTime<Utc>) -> Machine {
        Machine::new(id, at)
    }

    fn new(id: &str, at: DateTime<Utc>) -> Machine {
        Machine {
            id: id.to_string(),
            state: MachineState::Idle,
            capabilities: BTreeMap::new(),
            cannot: BTreeSet::new(),
            jobs_won: 0,
            jobs_done: 0,
            busy_seconds: 0.0,
            busy_since: None,
            busy_until: None,
            first_seen: at,
            last_seen: at,
            periods: VecDeque::new(),
        }
    }

    /// Busy seconds up to `now`, the current job included.
    pub fn busy_at(&self, now: DateTime<Utc>) -> f64 {
        self.busy_seconds
            + self
                .busy_since
                .map(|s| secs(now - s).max(0.0))
                .unwrap_or(0.0)
    }

    /// Share of time busy since it was first seen.
    pub fn utilisation(&self, now: DateTime<Utc>) -> f64 {
        let span = secs(now - self.first_seen);
        if span <= 0.0 {
            0.0
        } else {
            (self.busy_at(now) / span).clamp(0.0, 1.0)
        }
    }

    fn finish(&mut self, at: DateTime<Utc>) {
        if let Some(start) = self.busy_since.take() {
            let end = at.max(start);
            self.busy_seconds += secs(end - start);
            if self.periods.len() == MAX_PERIODS {
                self.periods.pop_front();
            }
            self.periods.push_back((start, end));
        }
        self.busy_until = None;
        self.state = MachineState::Idle;
    }
}

/// `at` plus `secs` seconds, or None when that is not a time (negative, not finite, or past
/// the calendar's end: wire values such as `"time": 1e13` must not overflow).
pub fn after(at: DateTime<Utc>, secs: f64) -> Option<DateTime<Utc>> {
    if !(0.0..1e12).contains(&secs) {
        return None;
    }
    let d = chrono::TimeDelta::try_milliseconds((secs * 1000.0) as i64)?;
    at.checked_add_signed(d)
}

fn secs(d: chrono::TimeDelta) -> f64 {
    d.num_milliseconds() as f64 / 1000.0
}

/// The tracker.
#[derive(Debug, Clone)]
pub struct Cnp {
    /// Topic prefix, e.g. `/cnp`.
    pub prefix: String,
    pub default_deadline: Duration,
    pub jobs: HashMap<String, Job>,
    /// Job ids, oldest first.
    pub order: VecDeque<String>,
    pub machines: BTreeMap<String, Machine>,
    /// Grows with every change; views cache on it.
    pub revision: u64,
    /// Awards and violations since the twin last took them (it does after every message).
    pub news: Vec<CnpNews>,
    /// Grows whenever a job is added or forgotten: the Jobs list caches on it (never on a
    /// length, which stops changing once the cap is reached).
    pub jobs_revision: u64,
    /// Machines kept (least recently seen forgotten first; the twin sets it to `--max-series`).
    pub max_machines: usize,
    /// What the bounds made it forget (machines, jobs, negotiation lines, job types).
    pub evicted: crate::twin::bound::Evicted,
}

/// What the twin reports of the Contract Net as happenings.
#[derive(Debug, Clone, PartialEq)]
pub enum CnpNews {
    Awarded { job: String, machine: String },
    Violation { job: String, text: String },
}

impl Cnp {
    pub fn new(prefix: &str, default_deadline: Duration) -> Cnp {
        Cnp {
            prefix: prefix.trim_end_matches('/').to_string(),
            default_deadline,
            jobs: HashMap::new(),
            order: VecDeque::new(),
            machines: BTreeMap::new(),
            revision: 0,
            news: Vec::new(),
            jobs_revision: 0,
            max_machines: 100_000,
            evicted: Default::default(),
        }
    }

    /// Everything the bounds made it forget so far.
    pub fn evicted(&self) -> crate::twin::bound::Evicted {
        let mut e = self.evicted;
        e.negotiation += self
            .jobs
            .values()
            .map(|j| j.bids_not_kept + j.lines_not_kept)
            .sum::<u64>();
        e
    }

    /// The step and machine a topic names, if it is a Contract Net topic.
    pub fn classify(&self, topic: &str) -> Option<(Step, Option<String>)> {
        let rest = topic.strip_prefix(&self.prefix)?.strip_prefix('/')?;
        let mut parts = levels::levels(rest);
        let step = match parts.next()? {
            "cfp" => Step::Cfp,
            "bid" => Step::Bid,
            "assign" => Step::Assign,
            "done" => Step::Done,
            _ => return None,
        };
        let machine = parts.next().filter(|m| !m.is_empty()).map(String::from);
        if parts.next().is_some() || (step == Step::Cfp) != machine.is_none() {
            return None;
        }
        Some((step, machine))
    }

    fn machine(&mut self, id: &str, at: DateTime<Utc>) -> &mut Machine {
        if !self.machines.contains_key(id) && self.machines.len() >= self.max_machines.max(1) {
            let old = crate::twin::bound::least_recent(
                self.machines.iter().map(|(k, m)| (k, m.last_seen)),
            );
            for k in old {
                self.machines.remove(&k);
                self.evicted.machines += 1;
            }
        }
        let m = self
            .machines
            .entry(id.to_string())
            .or_insert_with(|| Machine::new(id, at));
        m.last_seen = m.last_seen.max(at);
        m
    }

    fn job(&mut self, id: &str, at: DateTime<Utc>) -> &mut Job {
        if !self.jobs.contains_key(id) {
            self.jobs
                .insert(id.to_string(), Job::new(id, at, self.default_deadline));
            self.order.push_back(id.to_string());
            self.jobs_revision += 1;
            self.forget_old();
        }
        self.jobs.get_mut(id).expect("just inserted")
    }

    fn forget_old(&mut self) {
        while self.order.len() > MAX_JOBS {
            if let Some(old) = self.order.pop_front() {
                if let Some(job) = self.jobs.remove(&old) {
                    self.evicted.negotiation += job.bids_not_kept + job.lines_not_kept;
                }
                self.evicted.jobs += 1;
            }
        }
    }

    /// Applies one message; returns log lines worth showing (violations, unassigned jobs).
    /// A payload it cannot read is reported as `Err` with the reason.
    pub fn apply(
        &mut self,
        step: Step,
        machine: Option<&str>,
        payload: &[u8],
        at: DateTime<Utc>,
    ) -> Result<Vec<String>, &'static str> {
        let v: Value = std::str::from_utf8(payload)
            .ok()
            .and_then(|t| serde_json::from_str(t).ok())
            .ok_or("Contract Net payload is not JSON")?;
        let job_id = match v.get("job_id") {
            Some(Value::String(s)) if s.len() > MAX_ID => return Err(TOO_LONG),
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => return Err("Contract Net payload without job_id"),
        };
        let long = |k: &str| {
            v.get(k)
                .and_then(Value::as_str)
                .is_some_and(|s| s.len() > MAX_ID)
        };
        if long("job_type") || long("reason") || machine.is_some_and(|m| m.len() > MAX_ID) {
            return Err(TOO_LONG);
        }
        let time = v
            .get("time")
            .and_then(Value::as_f64)
            .filter(|t| t.is_finite() && *t >= 0.0);
        self.revision += 1;
        let mut notes = Vec::new();
        let mut news = Vec::new();
        match (step, machine) {
            (Step::Cfp, _) => {
                let deadline = v
                    .get("deadline")
                    .and_then(Value::as_f64)
                    .filter(|d| d.is_finite() && *d >= 0.0 && *d < 1e6)
                    .map(Duration::from_secs_f64)
                    .unwrap_or(self.default_deadline);
                let job_type = v.get("job_type").and_then(Value::as_str).map(String::from);
                let called: Vec<String> = self.machines.keys().take(MAX_CALLED).cloned().collect();
                let job = self.job(&job_id, at);
                job.called = called;
                job.cfp_at = at;
                job.deadline = deadline;
                job.job_type = job_type.clone();
                job.note(NegotiationLine {
                    at,
                    step,
                    machine: None,
                    text: format!(
                        "call for proposals: {} (deadline {:.1} s)",
                        job_type.as_deref().unwrap_or("?"),
                        deadline.as_secs_f64()
                    ),
                });
            }
            (Step::Bid, Some(m)) => {
                let reason = v.get("reason").and_then(Value::as_str).map(String::from);
                let job_type = self.job(&job_id, at).job_type.clone();
                let mach = self.machine(m, at);
                match (time, reason) {
                    (Some(t), _) => {
                        if let Some(ty) = &job_type {
                            if mach.capabilities.len() < MAX_JOB_TYPES
                                || mach.capabilities.contains_key(ty)
                            {
                                mach.capabilities.insert(ty.clone(), t);
                            } else {
                                self.evicted.job_types += 1;
                            }
                        }
                        let job = self.job(&job_id, at);
                        if job.winner.is_some() {
                            let note = format!("proposal from {m} after the award");
                            notes.push(format!("{job_id}: {note}"));
                            news.push(CnpNews::Violation {
                                job: job_id.clone(),
                                text: note.clone(),
                            });
                            job.violation(note);
                        }
                        job.bid(Proposal {
                            machine: m.to_string(),
                            time: t,
                            at,
                        });
                        job.note(NegotiationLine {
                            at,
                            step,
                            machine: Some(m.to_string()),
                            text: format!("proposes {t} s"),
                        });
                    }
                    (None, reason) => {
                        let reason = reason.unwrap_or_else(|| "refused".into());
                        if reason == "cannot_do" {
                            if let Some(ty) = &job_type {
                                if mach.cannot.len() < MAX_JOB_TYPES || mach.cannot.contains(ty) {
                                    mach.cannot.insert(ty.clone());
                                } else {
                                    self.evicted.job_types += 1;
                                }
                            }
                        }
                        let job = self.job(&job_id, at);
                        job.refusal(Refusal {
                            machine: m.to_string(),
                            reason: reason.clone(),
                            at,
                        });
                        job.note(NegotiationLine {
                            at,
                            step,
                            machine: Some(m.to_string()),
                            text: format!("refuses: {reason}"),
                        });
                    }
                }
            }
            (Step::Assign, Some(m)) => {
                let busy_with = match &self.machine(m, at).state {
                    MachineState::Busy(j) if *j != job_id => Some(j.clone()),
                    _ => None,
                };
                let job = self.job(&job_id, at);
                let mut violations = Vec::new();
                let own = job
                    .proposals
                    .iter()
                    .find(|p| p.machine == m)
                    .map(|p| p.time);
                // A job has one winner: the first award. A second one is a violation, never
                // a second credit (for the same machine or another).
                if let Some(first) = job.winner.clone() {
                    violations.push(if first == m {
                        format!("awarded a second time to {m}")
                    } else {
                        format!("awarded a second time, to {m} (first to {first})")
                    });
                    job.note(NegotiationLine {
                        at,
                        step,
                        machine: Some(m.to_string()),
                        text: "awarded again (violation)".into(),
                    });
                    for v in &violations {
                        notes.push(format!("{job_id}: {v}"));
                        news.push(CnpNews::Violation {
                            job: job_id.clone(),
                            text: v.clone(),
                        });
                    }
                    for v in violations {
                        job.violation(v);
                    }
                    self.news.extend(news);
                    return Ok(notes);
                }
                match own {
                    // Past the per-job bound the worst bids are not kept: whether this
                    // machine proposed is then unknown, and no violation is claimed.
                    None if job.bids_not_kept > 0 => {}
                    None => violations.push(format!("awarded to {m}, which did not propose")),
                    Some(t) => {
                        if let Some(best) = job.best() {
                            if best.time < t {
                                violations.push(format!(
                                    "awarded to {m} ({t} s) but {} proposed {} s",
                                    best.machine, best.time
                                ));
                            }
                        }
                    }
                }
                // The supervisor decides once the deadline has passed, so an award a little
                // after it is the protocol; one later than the deadline again (at least 1 s)
                // is not.
                let wait = job.deadline.as_secs_f64();
                if let Some(late) = after(job.cfp_at, 2.0 * wait + 1.0) {
                    if at > late {
                        violations.push(format!(
                            "awarded to {m} {:.1} s after the call, past its {wait:.1} s deadline",
                            secs(at - job.cfp_at)
                        ));
                    }
                }
                if let Some(other) = &busy_with {
                    violations.push(format!("awarded to {m} while it is busy with {other}"));
                }
                let run_time = time.or(own);
                job.winner = Some(m.to_string());
                job.awarded_time = run_time;
                job.awarded_at = Some(at);
                job.state = JobState::Assigned;
                job.note(NegotiationLine {
                    at,
                    step,
                    machine: Some(m.to_string()),
                    text: match run_time {
                        Some(t) => format!("awarded, {t} s"),
                        None => "awarded".into(),
                    },
                });
                for v in &violations {
                    notes.push(format!("{job_id}: {v}"));
                    news.push(CnpNews::Violation {
                        job: job_id.clone(),
                        text: v.clone(),
                    });
                }
                news.push(CnpNews::Awarded {
                    job: job_id.clone(),
                    machine: m.to_string(),
                });
                for v in violations {
                    job.violation(v);
                }
                let mach = self.machine(m, at);
                if busy_with.is_some() {
                    mach.finish(at);
                }
                mach.jobs_won += 1;
                mach.state = MachineState::Busy(job_id.clone());
                mach.busy_since = Some(at);
                // A run time from the wire too large for the calendar is not a time: unknown.
                mach.busy_until = run_time.and_then(|t| after(at, t));
            }
            (Step::Done, Some(m)) => {
                let job = self.job(&job_id, at);
                let winner = job.winner.clone();
                if winner.as_deref() != Some(m) {
                    // Only the winner's done completes a job: anyone else's is a violation,
                    // not a credit, and the winner stays busy.
                    let v = match &winner {
                        Some(w) => format!("done reported by {m}, but it was awarded to {w}"),
                        None => format!("done reported by {m}, but no award of it was seen"),
                    };
                    job.note(NegotiationLine {
                        at,
                        step,
                        machine: Some(m.to_string()),
                        text: "done (violation)".into(),
                    });
                    notes.push(format!("{job_id}: {v}"));
                    news.push(CnpNews::Violation {
                        job: job_id.clone(),
                        text: v.clone(),
                    });
                    job.violation(v);
                    self.machine(m, at);
                    self.news.extend(news);
                    return Ok(notes);
                }
                let credit = !job.credited;
                job.credited = true;
                if job.state != JobState::Done || job.done_inferred {
                    job.done_at = Some(at);
                }
                job.state = JobState::Done;
                job.done_inferred = false;
                job.note(NegotiationLine {
                    at,
                    step,
                    machine: Some(m.to_string()),
                    text: "done".into(),
                });
                let mach = self.machine(m, at);
                if mach.state == MachineState::Busy(job_id.clone()) {
                    mach.finish(at);
                }
                if credit {
                    mach.jobs_done += 1;
                }
            }
            (_, None) => return Err("Contract Net topic without machine"),
        }
        self.news.extend(news);
        Ok(notes)
    }

    /// Advances time: deadlines pass, awarded jobs start running, and jobs of machines that
    /// never report done end at award time + bid time.
    pub fn tick(&mut self, now: DateTime<Utc>) -> Vec<String> {
        let mut notes = Vec::new();
        let mut finished = Vec::new();
        for job in self.jobs.values_mut() {
            match job.state {
                JobState::Bidding => {
                    let deadline = after(job.cfp_at, job.deadline.as_secs_f64());
                    if deadline.is_some_and(|d| now > d) && job.proposals.is_empty() {
                        job.state = JobState::Unassigned;
                        notes.push(format!(
                            "{}: unassigned, no proposal before its deadline",
                            job.id
                        ));
                        self.revision += 1;
                    }
                }
                JobState::Assigned | JobState::Running => {
                    if job.state == JobState::Assigned {
                        job.state = JobState::Running;
                        self.revision += 1;
                    }
                    if let (Some(end), Some(w)) = (
                        job.awarded_at
                            .zip(job.awarded_time)
                            .and_then(|(at, t)| after(at, t)),
                        &job.winner,
                    ) {
                        if now >= end {
                            job.state = JobState::Done;
                            job.done_at = Some(end);
                            job.done_inferred = true;
                            let credit = !job.credited;
                            job.credited = true;
                            finished.push((w.clone(), job.id.clone(), end, credit));
                            self.revision += 1;
                        }
                    }
                }
                _ => {}
            }
        }
        for (m, job, end, credit) in finished {
            if let Some(mach) = self.machines.get_mut(&m) {
                if mach.state == MachineState::Busy(job) {
                    mach.finish(end);
                }
                if credit {
                    mach.jobs_done += 1;
                }
            }
        }
        notes
    }

    /// Jobs, newest first.
    pub fn jobs_newest_first(&self) -> impl Iterator<Item = &Job> {
        self.order.iter().rev().filter_map(|id| self.jobs.get(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(ms: i64) -> DateTime<Utc> {
        Utc.timestamp_millis_opt(1_800_000_000_000 + ms).unwrap()
    }

    /// Feeds (ms, topic, payload) through classify + apply; returns every note.
    fn run(cnp: &mut Cnp, msgs: &[(i64, &str, &str)]) -> Vec<String> {
        let mut notes = Vec::new();
        for (ms, topic, payload) in msgs {
            let (step, m) = cnp.classify(topic).unwrap_or_else(|| panic!("{topic}"));
            notes.extend(
                cnp.apply(step, m.as_deref(), payload.as_bytes(), t(*ms))
                    .unwrap(),
            );
        }
        notes
    }

    fn tracker() -> Cnp {
        Cnp::new("/cnp", Duration::from_secs(3))
    }

    #[test]
    fn won_and_done_count_distinct_jobs_and_only_the_winner_completes() {
        // 37 awards and 37 dones to m2, with the clock inferring some completions first.
        let mut c = tracker();
        for i in 0..37i64 {
            let job = format!("J{i}");
            let base = i * 10_000;
            run(
                &mut c,
                &[
                    (base, "/cnp/cfp", &format!(r#"{{"job_id":"{job}"}}"#)),
                    (
                        base + 100,
                        "/cnp/bid/m2",
                        &format!(r#"{{"job_id":"{job}","time":1}}"#),
                    ),
                    (
                        base + 1200,
                        "/cnp/assign/m2",
                        &format!(r#"{{"job_id":"{job}","time":1}}"#),
                    ),
                ],
            );
            if i % 2 == 0 {
                c.tick(t(base + 5000));
            }
            run(
                &mut c,
                &[(
                    base + 6000,
                    "/cnp/done/m2",
                    &format!(r#"{{"job_id":"{job}"}}"#),
                )],
            );
        }
        let m2 = &c.machines["m2"];
        assert_eq!((m2.jobs_won, m2.jobs_done), (37, 37));
        assert!(c.jobs.values().all(|j| j.violations.is_empty()));

        // cfp J → bid m1 → assign m1 → done from m2: a violation, not a completion.
        let mut c = tracker();
        let notes = run(
            &mut c,
            &[
                (0, "/cnp/cfp", r#"{"job_id":"J"}"#),
                (100, "/cnp/bid/m1", r#"{"job_id":"J","time":30}"#),
                (1200, "/cnp/assign/m1", r#"{"job_id":"J"}"#),
                (2000, "/cnp/done/m2", r#"{"job_id":"J"}"#),
            ],
        );
        assert_eq!(notes, ["J: done reported by m2, but it was awarded to m1"]);
        let j = &c.jobs["J"];
        assert_eq!(
            (j.state, j.winner.as_deref()),
            (JobState::Assigned, Some("m1"))
        );
        assert_eq!(c.machines["m1"].state, MachineState::Busy("J".into()));
        assert_eq!(c.machines["m2"].jobs_done, 0);
        // The winner's own done ends it; the clock's inference never counts twice.
        run(&mut c, &[(40_000, "/cnp/done/m1", r#"{"job_id":"J"}"#)]);
        c.tick(t(50_000));
        let m1 = &c.machines["m1"];
        assert_eq!(
            (m1.jobs_won, m1.jobs_done, &m1.state),
            (1, 1, &MachineState::Idle)
        );

        // Two awards of one job to the same machine: won once, and a violation.
        let mut c = tracker();
        let notes = run(
            &mut c,
            &[
                (0, "/cnp/cfp", r#"{"job_id":"K"}"#),
                (100, "/cnp/bid/m1", r#"{"job_id":"K","time":2}"#),
                (1200, "/cnp/assign/m1", r#"{"job_id":"K"}"#),
                (1300, "/cnp/assign/m1", r#"{"job_id":"K"}"#),
                (1400, "/cnp/assign/m3", r#"{"job_id":"K"}"#),
            ],
        );
        assert_eq!(
            notes,
            [
                "K: awarded a second time to m1",
                "K: awarded a second time, to m3 (first to m1)"
            ]
        );
        assert_eq!(c.machines["m1"].jobs_won, 1);
        assert_eq!(c.machines["m3"].jobs_won, 0);
        assert_eq!(c.jobs["K"].winner.as_deref(), Some("m1"));
    }

    #[test]
    fn a_late_award_is_a_violation_and_silent_machines_are_listed() {
        let mut c = tracker();
        run(
            &mut c,
            &[
                (0, "/cnp/bid/m1", r#"{"job_id":"OLD","time":1}"#),
                (0, "/cnp/bid/m2", r#"{"job_id":"OLD","time":1}"#),
                (0, "/cnp/bid/m3", r#"{"job_id":"OLD","time":1}"#),
                (1000, "/cnp/cfp", r#"{"job_id":"J","deadline":1}"#),
                (1500, "/cnp/bid/m1", r#"{"job_id":"J","time":2}"#),
                (1600, "/cnp/bid/m2", r#"{"reason":"busy","job_id":"J"}"#),
                // On time: the supervisor decides just after the deadline.
                (2100, "/cnp/assign/m1", r#"{"job_id":"J"}"#),
                (10_000, "/cnp/cfp", r#"{"job_id":"L","deadline":1}"#),
                (10_200, "/cnp/bid/m1", r#"{"job_id":"L","time":2}"#),
                (14_000, "/cnp/assign/m1", r#"{"job_id":"L"}"#),
            ],
        );
        assert!(
            c.jobs["J"].violations.is_empty(),
            "{:?}",
            c.jobs["J"].violations
        );
        assert_eq!(c.jobs["J"].silent().collect::<Vec<_>>(), ["m3"]);
        assert!(
            c.jobs["L"].violations[0].contains("past its 1.0 s deadline"),
            "{:?}",
            c.jobs["L"].violations
        );
    }

    proptest::proptest! {
        /// Whatever order (and duplication) Contract Net messages come in, done never
        /// exceeds won, for every machine.
        #[test]
        fn done_never_exceeds_won(msgs in proptest::collection::vec((0u8..4, 0u8..3, 0u8..4, 0i64..20_000), 0..120)) {
            let mut c = tracker();
            for (step, machine, job, ms) in msgs {
                let topic = match step {
                    0 => "/cnp/cfp".to_string(),
                    1 => format!("/cnp/bid/m{machine}"),
                    2 => format!("/cnp/assign/m{machine}"),
                    _ => format!("/cnp/done/m{machine}"),
                };
                let payload = format!(r#"{{"job_id":"J{job}","time":1.5}}"#);
                let (st, m) = c.classify(&topic).unwrap();
                let _ = c.apply(st, m.as_deref(), payload.as_bytes(), t(ms));
                if ms % 3 == 0 {
                    c.tick(t(ms));
                }
            }
            c.tick(t(1_000_000));
            for m in c.machines.values() {
                proptest::prop_assert!(m.jobs_done <= m.jobs_won, "{} won {} done {}", m.id, m.jobs_won, m.jobs_done);
            }
        }
    }

    #[test]
    fn times_from_the_wire_too_large_for_the_calendar_do_not_panic() {
        // Once a crash at "DateTime + TimeDelta overflowed", and, retained, at every start.
        let mut c = tracker();
        run(
            &mut c,
            &[
                (
                    0,
                    "/cnp/cfp",
                    r#"{"job_id":"J","job_type":"drilling","deadline":1e300}"#,
                ),
                (10, "/cnp/bid/m1", r#"{"job_id":"J","time":1e13}"#),
                (20, "/cnp/assign/m1", r#"{"job_id":"J"}"#),
                (30, "/cnp/assign/m2", r#"{"job_id":"K","time":1e13}"#),
                (40, "/cnp/bid/m3", r#"{"job_id":"L","time":1e308}"#),
                (50, "/cnp/assign/m3", r#"{"job_id":"L"}"#),
            ],
        );
        c.tick(t(100_000));
        let m1 = &c.machines["m1"];
        assert_eq!(m1.busy_until, None, "unknown, not a date in year 300,000");
        assert!(matches!(m1.state, MachineState::Busy(ref j) if j == "J"));
        assert_eq!(after(t(0), 1e13), None);
        assert_eq!(after(t(0), f64::NAN), None);
        assert_eq!(after(t(0), 1.5), Some(t(1500)));
    }

    #[test]
    fn topics() {
        let c = tracker();
        assert_eq!(c.classify("/cnp/cfp"), Some((Step::Cfp, None)));
        assert_eq!(
            c.classify("/cnp/bid/m1"),
            Some((Step::Bid, Some("m1".into())))
        );
        assert_eq!(
            c.classify("/cnp/assign/m1"),
            Some((Step::Assign, Some("m1".into())))
        );
        assert_eq!(
            c.classify("/cnp/done/m1"),
            Some((Step::Done, Some("m1".into())))
        );
        assert_eq!(c.classify("/cnp/bid"), None);
        assert_eq!(c.classify("/cnp/cfp/x"), None);
        assert_eq!(c.classify("/cnpx/cfp"), None);
        assert_eq!(c.classify("cnp/cfp"), None);
        assert_eq!(
            Cnp::new("contractnet", Duration::ZERO).classify("contractnet/cfp"),
            Some((Step::Cfp, None))
        );
    }

    #[test]
    fn a_clean_negotiation() {
        let mut c = tracker();
        let notes = run(
            &mut c,
            &[
                (0, "/cnp/cfp", r#"{"job_id":"JOB_1","job_type":"drilling"}"#),
                (100, "/cnp/bid/m1", r#"{"job_id":"JOB_1","time":3.0}"#),
                (120, "/cnp/bid/m2", r#"{"job_id":"JOB_1","time":5.0}"#),
                (
                    130,
                    "/cnp/bid/m3",
                    r#"{"job_id":"JOB_1","reason":"cannot_do"}"#,
                ),
                (3000, "/cnp/assign/m1", r#"{"job_id":"JOB_1","time":3.0}"#),
            ],
        );
        assert!(notes.is_empty(), "{notes:?}");
        let j = &c.jobs["JOB_1"];
        assert_eq!(j.job_type.as_deref(), Some("drilling"));
        assert_eq!(j.proposals.len(), 2);
        assert_eq!(j.refusals[0].reason, "cannot_do");
        assert_eq!(j.winner.as_deref(), Some("m1"));
        assert_eq!(j.state, JobState::Assigned);
        assert_eq!(c.machines["m1"].state, MachineState::Busy("JOB_1".into()));
        assert_eq!(c.machines["m1"].capabilities["drilling"], 3.0);
        assert!(c.machines["m3"].cannot.contains("drilling"));
        c.tick(t(3500));
        assert_eq!(c.jobs["JOB_1"].state, JobState::Running);
        run(&mut c, &[(5000, "/cnp/done/m1", r#"{"job_id":"JOB_1"}"#)]);
        let j = &c.jobs["JOB_1"];
        assert_eq!(j.state, JobState::Done);
        let m1 = &c.machines["m1"];
        assert_eq!(m1.state, MachineState::Idle);
        assert_eq!((m1.jobs_won, m1.jobs_done), (1, 1));
        assert!((m1.busy_seconds - 2.0).abs() < 1e-9);
        assert_eq!(j.log.len(), 6);
    }

    #[test]
    fn done_is_inferred_when_machines_never_report_it() {
        let mut c = tracker();
        run(
            &mut c,
            &[
                (0, "/cnp/cfp", r#"{"job_id":"J","job_type":"milling"}"#),
                (10, "/cnp/bid/m1", r#"{"job_id":"J","time":2.0}"#),
                (1000, "/cnp/assign/m1", r#"{"job_id":"J","time":2.0}"#),
            ],
        );
        c.tick(t(2000));
        assert_eq!(c.jobs["J"].state, JobState::Running);
        c.tick(t(3000));
        assert_eq!(c.jobs["J"].state, JobState::Done);
        assert_eq!(c.jobs["J"].done_at, Some(t(3000)));
        let m1 = &c.machines["m1"];
        assert_eq!((m1.state.clone(), m1.jobs_done), (MachineState::Idle, 1));
        assert!((m1.busy_at(t(10_000)) - 2.0).abs() < 1e-9);
    }

    #[test]
    fn unassigned_after_the_deadline_without_proposals() {
        let mut c = tracker();
        run(
            &mut c,
            &[
                (
                    0,
                    "/cnp/cfp",
                    r#"{"job_id":"J","job_type":"polishing","deadline":1.5}"#,
                ),
                (10, "/cnp/bid/m1", r#"{"job_id":"J","reason":"cannot_do"}"#),
            ],
        );
        assert!(c.tick(t(1500)).is_empty());
        let notes = c.tick(t(1501));
        assert_eq!(c.jobs["J"].state, JobState::Unassigned);
        assert!(notes[0].contains("unassigned"));
        // Default deadline: 3 s.
        run(
            &mut c,
            &[(0, "/cnp/cfp", r#"{"job_id":"K","job_type":"x"}"#)],
        );
        c.tick(t(2999));
        assert_eq!(c.jobs["K"].state, JobState::Bidding);
        c.tick(t(3001));
        assert_eq!(c.jobs["K"].state, JobState::Unassigned);
    }

    #[test]
    fn award_to_a_machine_that_did_not_propose() {
        let mut c = tracker();
        let notes = run(
            &mut c,
            &[
                (0, "/cnp/cfp", r#"{"job_id":"J","job_type":"drilling"}"#),
                (10, "/cnp/bid/m1", r#"{"job_id":"J","time":3.0}"#),
                (20, "/cnp/assign/m9", r#"{"job_id":"J","time":3.0}"#),
            ],
        );
        assert_eq!(
            c.jobs["J"].violations,
            ["awarded to m9, which did not propose"]
        );
        assert_eq!(notes, ["J: awarded to m9, which did not propose"]);
    }

    #[test]
    fn award_that_is_not_the_shortest() {
        let mut c = tracker();
        run(
            &mut c,
            &[
                (0, "/cnp/cfp", r#"{"job_id":"J","job_type":"drilling"}"#),
                (10, "/cnp/bid/m1", r#"{"job_id":"J","time":3.0}"#),
                (11, "/cnp/bid/m2", r#"{"job_id":"J","time":5.0}"#),
                (20, "/cnp/assign/m2", r#"{"job_id":"J","time":5.0}"#),
            ],
        );
        assert_eq!(
            c.jobs["J"].violations,
            ["awarded to m2 (5 s) but m1 proposed 3 s"]
        );
    }

    #[test]
    fn award_to_a_busy_machine_and_proposal_after_award() {
        let mut c = tracker();
        run(
            &mut c,
            &[
                (0, "/cnp/cfp", r#"{"job_id":"A","job_type":"drilling"}"#),
                (10, "/cnp/bid/m1", r#"{"job_id":"A","time":30.0}"#),
                (20, "/cnp/assign/m1", r#"{"job_id":"A","time":30.0}"#),
                (30, "/cnp/cfp", r#"{"job_id":"B","job_type":"drilling"}"#),
                (40, "/cnp/bid/m1", r#"{"job_id":"B","time":2.0}"#),
                (50, "/cnp/assign/m1", r#"{"job_id":"B","time":2.0}"#),
                (60, "/cnp/bid/m2", r#"{"job_id":"B","time":1.0}"#),
            ],
        );
        assert_eq!(
            c.jobs["B"].violations,
            [
                "awarded to m1 while it is busy with A",
                "proposal from m2 after the award"
            ]
        );
        assert_eq!(c.machines["m1"].state, MachineState::Busy("B".into()));
    }

    #[test]
    fn unreadable_payloads_are_errors_not_panics() {
        let mut c = tracker();
        assert!(c.apply(Step::Cfp, None, b"not json", t(0)).is_err());
        assert!(c
            .apply(Step::Bid, Some("m1"), b"{\"time\":1}", t(0))
            .is_err());
        assert!(c.apply(Step::Bid, Some("m1"), &[0xff, 0xfe], t(0)).is_err());
        assert!(c.jobs.is_empty());
    }
}
