//! twinview: a terminal dashboard that is the live digital twin of an MQTT sensor network.
//!
//! Data flows one way, and the modules follow it: [`config`] → [`source`] (events) →
//! [`decode`] → [`twin`] → [`live`] (the loop that owns the twin) → [`outputs`], with [`ui`]
//! as the terminal's view and [`run`] wiring one mode together (docs/architecture.md).

pub mod cli;
pub mod config;
pub mod decode;
pub mod error;
pub mod live;
pub mod logging;
pub mod outputs;
pub mod run;
pub mod sim;
pub mod source;
pub mod text;
pub mod twin;
pub mod ui;

/// Capacity of the channel between the sources and the twin. Large enough to absorb bursts
/// while the UI draws a frame; what does not fit is counted as dropped.
pub const EVENT_CHANNEL: usize = 65_536;

#[cfg(test)]
mod testing {
    /// Property-test cases: `n` in `cargo test`, `PROPTEST_CASES` when set (the longer runs
    /// of `scripts/nightly.sh`).
    pub fn cases(n: u32) -> u32 {
        std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(n)
    }
}
