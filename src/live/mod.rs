//! The live loop: owns the twin, applies what the sources send, ticks it once a second and
//! feeds the outputs.

pub mod guard;
pub mod headless;
pub mod pump;
