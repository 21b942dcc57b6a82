//! One module per tab, each with a `render` function (and key handling where it has its own).

pub mod devices;
pub mod jobs;
pub mod log;
pub mod sensors;
