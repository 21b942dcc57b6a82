//! Outputs: everything twinview sends out of the twin, fed by the live loop ([`crate::live`]).

pub mod commands;
pub mod events;
pub mod metrics;
pub mod scores;
pub mod snapshot;
