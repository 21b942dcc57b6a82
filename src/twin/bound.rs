//! Bounds for the twin's maps (SECURITY.md, "Limits"): every map that grows with what the
//! wire names (states, command names, undecoded topics, Contract Net machines) has a cap.
//! When a map is full, the least recently seen eighth of it is forgotten at once, so the
//! cost of choosing what to forget (a sort) is paid once per `cap / 8` insertions, and each
//! forgotten entry is counted in [`Evicted`].

/// Entries forgotten because of a cap, per map (snapshot `evicted_entries`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Evicted {
    /// Device state words (`states`, bound: `--max-series`).
    pub states: u64,
    /// Command names seen on the wire (bound: 10,000).
    pub command_names: u64,
    /// Topics in the undecoded table (bound: 10,000; the total keeps counting).
    pub undecoded_topics: u64,
    /// Contract Net machines (bound: `--max-series`).
    pub machines: u64,
    /// Contract Net jobs (bound: 2,000, finished or not, oldest first).
    pub jobs: u64,
    /// Bids, refusals and negotiation lines past a job's bound (1,000 each per job).
    pub negotiation: u64,
    /// Job types past a machine's bound (256 capabilities, 256 refused types).
    pub job_types: u64,
    /// Sparkplug B edge nodes (bound: `--max-series`).
    pub sparkplug_nodes: u64,
    /// Sparkplug B metric definitions and devices refused (bound: `--max-series` each, across
    /// nodes; a metric name over 512 bytes).
    pub sparkplug_definitions: u64,
    pub sparkplug_devices: u64,
    /// Home Assistant discovery configs refused (10,000 entities, 64 per state topic, a text
    /// over 256 bytes or a topic over 1,024).
    pub discovery_configs: u64,
}

impl Evicted {
    /// Everything forgotten that the header counts: all but `jobs`, whose bound is the Jobs
    /// table's retention (the latest 2,000), not a loss a user needs warning of.
    pub fn total(&self) -> u64 {
        self.states
            + self.command_names
            + self.undecoded_topics
            + self.machines
            + self.negotiation
            + self.job_types
            + self.sparkplug_nodes
            + self.sparkplug_definitions
            + self.sparkplug_devices
            + self.discovery_configs
    }
}

/// The keys of the `(len / 8).max(1)` least recently seen entries of a full map, oldest
/// first (ties broken by key, so the choice is the same on every run).
pub fn least_recent<'a, K, T>(entries: impl Iterator<Item = (&'a K, T)>) -> Vec<K>
where
    K: Clone + Ord + 'a,
    T: Ord,
{
    let mut all: Vec<(T, &K)> = entries.map(|(k, t)| (t, k)).collect();
    let n = (all.len() / 8).max(1).min(all.len());
    if n < all.len() {
        all.select_nth_unstable(n);
        all.truncate(n);
    }
    all.sort_unstable();
    all.into_iter().map(|(_, k)| k.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn the_oldest_eighth_is_chosen_oldest_first() {
        let m: BTreeMap<String, u32> = (0..16).map(|i| (format!("k{i:02}"), 100 - i)).collect();
        let old = least_recent(m.iter().map(|(k, t)| (k, *t)));
        assert_eq!(old, ["k15", "k14"]);
        let one: BTreeMap<String, u32> = [("a".to_string(), 1)].into();
        assert_eq!(least_recent(one.iter().map(|(k, t)| (k, *t))), ["a"]);
    }

    #[test]
    fn ties_are_broken_by_key() {
        let m: BTreeMap<String, u32> = (0..16).map(|i| (format!("k{i:02}"), 7)).collect();
        assert_eq!(least_recent(m.iter().map(|(k, t)| (k, *t))), ["k00", "k01"]);
    }
}
