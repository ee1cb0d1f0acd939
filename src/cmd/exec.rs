//! `awsenv exec PROFILE -- CMD…`: run one command with the variables `assume` would export.
//!
//! The child inherits stdin, stdout and stderr and gets the credentials in its environment,
//! never its argv; awsenv's own stale variables are removed first. Its exit status is
//! awsenv's (128+signal for a signal death, 127 not found, 126 not executable).

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::ErrorKind;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitStatus};

use crate::cli::ExecArgs;
use crate::env::{self, Context};
use crate::error::{Error, Result};
use crate::shell::Op;

use super::assume;

pub fn run(args: ExecArgs, ctx: &Context) -> Result<i32> {
    let profile = assume::choose_profile(args.profile.as_deref(), args.session.no_input, ctx)?;
    let request = assume::request(profile, &args.session)?;
    let mut ops = env::unsets(ctx);
    ops.extend(assume::export_ops(ctx, &request)?);
    crate::picker::remember(ctx, &request.profile);
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
    let status = child.spawn().and_then(|mut running| {
        ignore_terminal_signals();
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
    status
        .code()
        .or_else(|| status.signal().map(|signal| 128 + signal))
        .unwrap_or(1)
}

/// While the child runs, Ctrl-C and Ctrl-\ are the child's to handle: awsenv waits for it
/// and reports its status instead of dying first and leaving it orphaned.
fn ignore_terminal_signals() {
    for signal in [libc::SIGINT, libc::SIGQUIT] {
        // SAFETY: installing SIG_IGN touches no memory of ours and is async-signal-safe.
        unsafe {
            libc::signal(signal, libc::SIG_IGN);
        }
    }
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

    #[test]
    fn signals_map_to_128_plus() {
        assert_eq!(exit_code(ExitStatus::from_raw(7 << 8)), 7);
        assert_eq!(exit_code(ExitStatus::from_raw(libc::SIGTERM)), 143);
    }
}
