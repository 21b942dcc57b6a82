//! Errors a user can cause, each with its documented exit code (INTERFACES.md).

use std::fmt;

/// An error that ends twinview with one sentence on stderr and a documented exit code.
#[derive(Debug)]
pub enum AppError {
    /// Bad flags or configuration values: exit 2.
    Usage(String),
    /// Cannot reach the broker, or it refused the login: exit 3.
    Connect(String),
    /// An unreadable or invalid file: exit 4.
    File(String),
    /// Anything else (terminal errors, …): exit 1.
    Other(String),
}

impl AppError {
    pub fn exit_code(&self) -> i32 {
        match self {
            AppError::Usage(_) => 2,
            AppError::Connect(_) => 3,
            AppError::File(_) => 4,
            AppError::Other(_) => 1,
        }
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppError::Usage(m) | AppError::Connect(m) | AppError::File(m) | AppError::Other(m) => {
                f.write_str(m)
            }
        }
    }
}

impl std::error::Error for AppError {}

impl From<std::io::Error> for AppError {
    fn from(e: std::io::Error) -> Self {
        AppError::Other(e.to_string())
    }
}
