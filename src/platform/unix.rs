//! Unix: ownership by uid and mode bits, `O_NOFOLLOW`, `/dev/tty`, signals.

use std::collections::HashMap;
use std::fs::{self, File, Metadata, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;

/// The dialect when nothing names one.
pub const DEFAULT_SHELL: crate::shell::Shell = crate::shell::Shell::Sh;

/// What the default cache directory is made from, for the warning when it is missing.
pub const CACHE_BASE: &str = "HOME";

/// `$XDG_CACHE_HOME/awsenv`, else `~/.cache/awsenv`.
pub fn cache_dir(ctx: &crate::env::Context) -> Option<PathBuf> {
    match ctx.var("XDG_CACHE_HOME") {
        Some(xdg) => Some(Path::new(xdg).join("awsenv")),
        None => ctx.home().map(|home| home.join(".cache").join("awsenv")),
    }
}

/// `HOME`.
pub fn home_dir(vars: &HashMap<String, String>) -> Option<PathBuf> {
    vars.get("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
}

/// `dir` and its parents, created 0700 where missing.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// Why the directory behind `meta` (read without following links) is not to be trusted
/// with credentials, completing "cache directory X …"; `None` when it is the user's own.
pub fn untrusted_dir(_path: &Path, meta: &Metadata) -> Option<String> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if meta.file_type().is_symlink() {
        Some("is a symlink".into())
    } else if !meta.is_dir() {
        Some("is not a directory".into())
    } else if meta.uid() != me {
        Some(format!("is owned by uid {}, not you", meta.uid()))
    } else if meta.mode() & 0o022 != 0 {
        Some(format!(
            "is group- or world-writable (mode {:o})",
            meta.mode() & 0o777
        ))
    } else {
        None
    }
}

/// Options for a file only the user may read, that never follows a link at its own name
/// and never blocks on a FIFO.
pub fn private_no_follow(options: &mut OpenOptions) -> &mut OpenOptions {
    options
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
}

/// The terminal, to read from and write to, or `None` when there is none.
pub fn terminal() -> Option<(File, File)> {
    let tty = OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .ok()?;
    let out = tty.try_clone().ok()?;
    Some((tty, out))
}

/// While the child runs, Ctrl-C and Ctrl-\ are the child's to handle: awsenv waits for it
/// and reports its status instead of dying first and leaving it orphaned.
pub fn ignore_terminal_signals() {
    for signal in [libc::SIGINT, libc::SIGQUIT] {
        // SAFETY: installing SIG_IGN touches no memory of ours and is async-signal-safe.
        unsafe {
            libc::signal(signal, libc::SIG_IGN);
        }
    }
}

/// The child's exit code, or 128 + the signal that killed it, as shells report it.
pub fn exit_code(status: ExitStatus) -> i32 {
    status
        .code()
        .or_else(|| status.signal().map(|signal| 128 + signal))
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_map_to_128_plus() {
        assert_eq!(exit_code(ExitStatus::from_raw(7 << 8)), 7);
        assert_eq!(exit_code(ExitStatus::from_raw(libc::SIGTERM)), 143);
    }
}
