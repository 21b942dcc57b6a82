//! Decoding: bytes on the wire into what the twin understands, without configuration.
//!
//! - [`payload`]: plain numbers, JSON (lab style, multi-field, nested, arrays), text states,
//!   observed commands; why a payload could not be read (docs/conventions.md).
//! - [`sparkplug`]: Sparkplug B protobuf payloads on the `spBv1.0/` namespace.
//!
//! Nothing here keeps state: the twin ([`crate::twin`]) decides what a decoded payload means
//! for its series, devices and episodes.

pub mod payload;
pub mod sparkplug;

pub use payload::*;
