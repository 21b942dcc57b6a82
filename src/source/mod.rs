//! Event producers. Each runs as its own task and sends [`crate::event::Event`]s.

pub mod mqtt;
pub mod record;
pub mod replay;
pub mod tls;
