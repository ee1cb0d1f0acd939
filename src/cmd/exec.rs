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
use std::process::Command;

use crate::cli::ExecArgs;
use crate::env::{self, Context};
use crate::error::{Error, Result};
use crate::platform;
use crate::server::Server;
use crate::shell::Op;

use super::assume;

pub fn run(args: ExecArgs, ctx: &Context) -> Result<i32> {
    let profile = assume::choose_profile(args.profile.as_deref(), args.session.no_input, ctx)?;
    let request = assume::request(profile, &args.session)?;
    let mut ops = env::unsets(ctx);
    if args.server {
        let prepared = Server::prepare(ctx, request.clone())?;
        // Before the server's threads start, so that they inherit the held signals and
        // leave them to the thread that passes them on.
        platform::hold_child_signals();
        let server = prepared.serve()?;
        ops = env::served(ctx, server.region.as_deref(), &server.url, &server.token);
    } else {
        ops.extend(assume::export_ops(ctx, &request)?);
    }
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
    platform::hold_child_signals();
    platform::unhold_in_child(&mut child);
    let status = child.spawn().and_then(|mut running| {
        platform::pass_signals_to(running.id());
        running.wait()
    });
    match status {
        Ok(status) => platform::exit_code(status),
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
}
