//! `awsenv exec PROFILE -- CMD…`: run one command with the variables `assume` would export;
//! with `--server`, with a loopback credentials endpoint (`crate::server`) instead of keys.
//!
//! The child inherits stdin, stdout and stderr and gets the credentials in its environment,
//! never its argv; awsenv's own stale variables are removed first. SIGTERM and SIGHUP sent to
//! awsenv are passed on to it, and awsenv waits for it: its exit status is awsenv's
//! (128+signal for a signal death, 127 not found, 126 not executable).

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::ErrorKind;
use std::process::{Command, ExitStatus};

use crate::cli::ExecArgs;
use crate::env::{self, Context};
use crate::error::{Error, Result};
use crate::server::Server;
use crate::shell::Op;

use super::assume;

pub fn run(args: ExecArgs, ctx: &Context) -> Result<i32> {
    let request = assume::request(args.profile, &args.session)?;
    let mut ops = env::unsets(ctx);
    if args.server {
        let prepared = Server::prepare(ctx, request.clone())?;
        // Before the server's threads start, so that they inherit the held signals and
        // leave them to the thread that passes them on.
        signals::hold();
        let server = prepared.serve()?;
        ops = env::served(ctx, server.region.as_deref(), &server.url, &server.token);
    } else {
        ops.extend(assume::export_ops(ctx, &request)?);
    }
    Ok(spawn(&request.profile, &args.command, &changes(&ops)))
}

/// The net effect of `ops` on each variable: `Some` to set it, `None` to remove it.
fn changes(ops: &[Op]) -> BTreeMap<&str, Option<&str>> {
    ops.iter()
        .map(|op| match op {
            Op::Set(name, value) => (name.as_str(), Some(value.as_str())),
            Op::Unset(name) => (name.as_str(), None),
        })
        .collect()
}

/// Run `command` with awsenv's environment changed by `changes`; its exit code.
fn spawn(profile: &str, command: &[OsString], changes: &BTreeMap<&str, Option<&str>>) -> i32 {
    // Invariant: clap requires at least one word after `--`.
    let (program, rest) = command.split_first().expect("clap requires CMD");
    let mut child = Command::new(program);
    child.args(rest);
    for (name, value) in changes {
        match value {
            Some(value) => child.env(name, value),
            None => child.env_remove(name),
        };
    }
    signals::hold();
    signals::unheld_in(&mut child);
    let status = child.spawn().and_then(|mut running| {
        signals::pass_to(running.id());
        running.wait()
    });
    match status {
        Ok(status) => exit_code(status),
        Err(error) => {
            let (code, why) = match error.kind() {
                ErrorKind::NotFound => (127, "command not found; check its name and PATH"),
                ErrorKind::PermissionDenied => (126, "not executable; check its permissions"),
                _ => (126, "it could not be started"),
            };
            let shown = shell_words::join(command.iter().map(|w| w.to_string_lossy()));
            super::report(&Error::usage(
                profile,
                format!("cannot run `{shown}`: {why}"),
            ));
            code
        }
    }
}

/// The child's exit code, or 128 + the signal that killed it, as shells report it.
fn exit_code(status: ExitStatus) -> i32 {
    #[cfg(unix)]
    let signal = {
        use std::os::unix::process::ExitStatusExt;
        status.signal()
    };
    #[cfg(not(unix))]
    let signal: Option<i32> = None;
    status
        .code()
        .or_else(|| signal.map(|signal| 128 + signal))
        .unwrap_or(1)
}

/// While the child runs, its signals are its own: Ctrl-C and Ctrl-\ (sent to the whole
/// foreground process group) are ignored by awsenv, which waits for the child and reports
/// its status instead of dying first and leaving it orphaned; SIGTERM and SIGHUP sent to
/// awsenv alone are passed on to it.
#[cfg(unix)]
mod signals {
    use std::sync::atomic::{AtomicI32, Ordering};

    const PASSED: [libc::c_int; 2] = [libc::SIGTERM, libc::SIGHUP];
    static CHILD: AtomicI32 = AtomicI32::new(0);

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

    /// Keep SIGTERM and SIGHUP pending in this thread and the threads it starts from now on,
    /// until `pass_to`.
    pub fn hold() {
        let set = passed_set();
        // SAFETY: changes this thread's signal mask only; `set` is a valid sigset_t.
        unsafe {
            libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        }
    }

    /// The child starts with SIGTERM and SIGHUP unblocked: a blocked mask is inherited
    /// through exec, and `Command` does not reset it.
    pub fn unheld_in(command: &mut std::process::Command) {
        use std::os::unix::process::CommandExt;
        // SAFETY: the closure runs between fork and exec and only calls pthread_sigmask,
        // which is async-signal-safe, on a set built before the fork.
        let set = passed_set();
        unsafe {
            command.pre_exec(move || {
                libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
                Ok(())
            });
        }
    }

    /// From now on SIGTERM and SIGHUP go to `child`, those held since `hold` first.
    pub fn pass_to(child: u32) {
        CHILD.store(i32::try_from(child).unwrap_or(0), Ordering::SeqCst);
        for signal in PASSED {
            // SAFETY: `forward` is async-signal-safe (an atomic load and kill); the
            // sigaction struct is fully initialised before the call.
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
        // SAFETY: as in `hold`; the pending signals are delivered to `forward` now.
        unsafe {
            libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        }
    }

    extern "C" fn forward(signal: libc::c_int) {
        let child = CHILD.load(Ordering::SeqCst);
        if child > 0 {
            // SAFETY: kill is async-signal-safe; `child` is the pid of our own child.
            unsafe {
                libc::kill(child, signal);
            }
        }
    }
}

/// On Windows, Ctrl-C and Ctrl-Break reach every process of the console, the child included,
/// and there is no SIGTERM or SIGHUP to pass on: awsenv only has to outlive the child, which
/// the platform layer's console control handler sees to. Nothing to do here.
#[cfg(windows)]
mod signals {
    pub fn hold() {}

    pub fn unheld_in(_command: &mut std::process::Command) {}

    pub fn pass_to(_child: u32) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_ops_win() {
        let ops = [
            Op::unset("AWS_SESSION_TOKEN"),
            Op::unset("AWSENV_PROFILE"),
            Op::set("AWSENV_PROFILE", "dev"),
        ];
        let changes = changes(&ops);
        assert_eq!(changes["AWSENV_PROFILE"], Some("dev"));
        assert_eq!(changes["AWS_SESSION_TOKEN"], None);
    }

    #[cfg(unix)]
    #[test]
    fn signals_map_to_128_plus() {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(exit_code(ExitStatus::from_raw(7 << 8)), 7);
        assert_eq!(exit_code(ExitStatus::from_raw(libc::SIGTERM)), 143);
    }
}
