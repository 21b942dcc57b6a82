//! Errors a user can cause, each with its documented exit code (docs/contracts.md).

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

/// Size limits of the small files twinview reads whole (a format implies them; `/dev/zero` or a
/// wrong path must not fill memory).
pub const CONFIG_MAX: u64 = 1 << 20;
pub const THEME_MAX: u64 = 256 << 10;
pub const PASSWORD_MAX: u64 = 4 << 10;

/// Reads a whole text file of at most `cap` bytes; `what` names it in the error (exit 4).
pub fn read_capped(path: &std::path::Path, cap: u64, what: &str) -> Result<String, AppError> {
    use std::io::Read;
    let failed =
        |e: std::io::Error| AppError::File(format!("cannot read {what} {}: {e}", path.display()));
    // A config file or theme must be a file: opening a FIFO waits for a writer, past any
    // --duration. Password and token files may be FIFOs (`--password-file <(pass show mqtt)`).
    if matches!(what, "config file" | "theme") {
        let meta = std::fs::metadata(path).map_err(failed)?;
        if !meta.is_file() {
            return Err(AppError::File(format!(
                "{what} {} is not a regular file (a FIFO or device would wait for a writer)",
                path.display()
            )));
        }
    }
    let file = std::fs::File::open(path).map_err(failed)?;
    let mut bytes = Vec::new();
    file.take(cap + 1).read_to_end(&mut bytes).map_err(failed)?;
    if bytes.len() as u64 > cap {
        return Err(AppError::File(format!(
            "{what} {} is larger than {} kB: not a {what}",
            path.display(),
            cap / 1024
        )));
    }
    String::from_utf8(bytes)
        .map_err(|_| AppError::File(format!("{what} {} is not UTF-8 text", path.display())))
}

impl From<std::io::Error> for AppError {
    fn from(e: std::io::Error) -> Self {
        AppError::Other(e.to_string())
    }
}

/// Opens an output file (events, recording, scores) for writing, creating it, truncated or
/// appended to. A FIFO is opened without waiting: with no program reading it, the open fails
/// at once ("no program is reading this FIFO") instead of hanging past `--duration`; with a
/// reader, writes block as usual (on the output's own thread).
pub fn open_output(path: &std::path::Path, append: bool) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    use std::os::unix::io::AsRawFd;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).custom_flags(libc::O_NONBLOCK);
    if append {
        o.append(true);
    } else {
        o.truncate(true);
    }
    let f = o.open(path).map_err(|e| {
        if e.raw_os_error() == Some(libc::ENXIO) {
            std::io::Error::other("no program is reading this FIFO (start the reader first)")
        } else {
            e
        }
    })?;
    // Back to blocking writes.
    // SAFETY: fcntl on a descriptor this function owns, with flags read from it.
    unsafe {
        let fd = f.as_raw_fd();
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags >= 0 {
            libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK);
        }
    }
    Ok(f)
}
