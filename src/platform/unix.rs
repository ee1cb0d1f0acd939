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

/// `$XDG_RUNTIME_DIR`: the user's private, in-memory directory, where one is set.
pub fn runtime_dir(ctx: &crate::env::Context) -> Option<PathBuf> {
    ctx.var("XDG_RUNTIME_DIR").map(PathBuf::from)
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

/// Make an existing file readable by the user alone (after another program wrote it with
/// the default mode); best effort.
pub fn make_private(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = fs::set_permissions(path, fs::Permissions::from_mode(0o600));
}

/// `xdg-open URL`, `open URL` on macOS.
pub fn url_opener(url: &str) -> std::process::Command {
    let program = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    let mut command = std::process::Command::new(program);
    command.arg(url);
    command
}

/// `command`'s child runs apart from the shell that started awsenv: a session of its own,
/// so it has no controlling terminal (nothing can prompt on it), is in no job of the shell
/// and gets neither its Ctrl-C nor the terminal's hangup.
pub fn detach(command: &mut std::process::Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure runs between fork and exec and only calls setsid, which is
    // async-signal-safe.
    unsafe {
        command.pre_exec(|| {
            if libc::setsid() == -1 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
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

/// SIGTERM and SIGHUP, passed on to `exec`'s child.
const PASSED: [libc::c_int; 2] = [libc::SIGTERM, libc::SIGHUP];
/// The child they go to, once there is one.
static CHILD: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

fn passed_set() -> libc::sigset_t {
    // SAFETY: sigemptyset and sigaddset only write the set they are given.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for signal in PASSED {
            libc::sigaddset(&mut set, signal);
        }
        set
    }
}

/// Keep SIGTERM and SIGHUP pending in this thread, and in the threads it starts from now on,
/// until `pass_signals_to`: none is lost, and none ends awsenv, before the child exists.
pub fn hold_child_signals() {
    let set = passed_set();
    // SAFETY: changes this thread's signal mask only; `set` is a valid sigset_t.
    unsafe {
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
}

/// `command`'s child starts with SIGTERM and SIGHUP unblocked: a blocked mask is inherited
/// through exec, and `Command` does not reset it.
pub fn unhold_in_child(command: &mut std::process::Command) {
    use std::os::unix::process::CommandExt;
    let set = passed_set();
    // SAFETY: the closure runs between fork and exec and only calls pthread_sigmask, which
    // is async-signal-safe, on a set built before the fork.
    unsafe {
        command.pre_exec(move || {
            libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
            Ok(())
        });
    }
}

/// While the child runs, its signals are its own: Ctrl-C and Ctrl-\ (sent to the whole
/// foreground process group) are ignored by awsenv, which waits for the child and reports
/// its status instead of dying first and leaving it orphaned; SIGTERM and SIGHUP sent to
/// awsenv are passed on to `child`, those held since `hold_child_signals` first.
pub fn pass_signals_to(child: u32) {
    use std::sync::atomic::Ordering;
    CHILD.store(i32::try_from(child).unwrap_or(0), Ordering::SeqCst);
    for signal in PASSED {
        // SAFETY: `forward` is async-signal-safe (an atomic load and kill); the sigaction
        // struct is fully initialised before the call.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = forward as extern "C" fn(libc::c_int) as libc::sighandler_t;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(signal, &action, std::ptr::null_mut());
        }
    }
    for signal in [libc::SIGINT, libc::SIGQUIT] {
        // SAFETY: installing SIG_IGN touches no memory of ours and is async-signal-safe.
        unsafe {
            libc::signal(signal, libc::SIG_IGN);
        }
    }
    let set = passed_set();
    // SAFETY: as in `hold_child_signals`; the held signals reach `forward` now.
    unsafe {
        libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
    }
}

extern "C" fn forward(signal: libc::c_int) {
    let child = CHILD.load(std::sync::atomic::Ordering::SeqCst);
    if child > 0 {
        // SAFETY: kill is async-signal-safe; `child` is the pid of our own child.
        unsafe {
            libc::kill(child, signal);
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
