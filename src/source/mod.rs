//! Event producers. Each runs as its own task and sends [`crate::source::event::Event`]s.

pub mod conn;
pub mod event;
pub mod mqtt;
pub mod record;
pub mod replay;
pub mod tls;
