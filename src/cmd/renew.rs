//! `awsenv renew --shell S --pid PID`: the prompt hook's renewal (`AWSENV_AUTO=refresh`),
//! which never makes a prompt wait. It checks from the files and caches alone that the
//! exported profile can be renewed with no input, starts the renewal detached from the shell,
//! prints the file the result will be in and exits. The renewal (`--worker`) resolves the
//! profile as `assume` does and writes there, atomically, either the export snippet or one
//! that prints why it failed. Hidden: the hooks call it, people do not.

use std::io::ErrorKind;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

use crate::cache::{self, Cache};
use crate::cli::RenewArgs;
use crate::env::{self, Context};
use crate::error::{Error, Result};
use crate::platform;
use crate::profile::Config;
use crate::resolve::{self, Request};
use crate::shell::Shell;

use super::{assume, write_stdout};

/// Set by whichever of the renewal and its deadline writes the snippet first.
static WRITTEN: Mutex<bool> = Mutex::new(false);

pub fn run(args: &RenewArgs, ctx: &Context) -> Result<i32> {
    let profile = ctx
        .var(env::PROFILE)
        .ok_or_else(|| Error::Usage("nothing to renew: AWSENV_PROFILE is not set".into()))?
        .to_owned();
    let ctx = &renewal_context(ctx);
    let dir = snippet_dir(ctx).map_err(|why| failed(&profile, &Error::Credentials(why)))?;
    let name = file_name(args.shell, args.pid);
    if args.worker {
        return Ok(work(ctx, args.shell, &profile, &dir, &name));
    }
    start(ctx, args, &profile, &dir, &name).map_err(|e| failed(&profile, &e))?;
    write_stdout(&format!("{}\n", dir.dir().join(&name).display()));
    Ok(0)
}

/// `ctx` where a cache entry that does not outlive the exported session by a minute is
/// stale: the renewal must not hand back the session it replaces.
fn renewal_context(ctx: &Context) -> Context {
    let window = cache::refresh_window(ctx);
    let left = env::Exported::read(ctx).and_then(|e| e.remaining(ctx.now()));
    let window = left.map_or(window, |left| window.max(left + 60));
    let mut vars = ctx.vars().clone();
    vars.insert("AWSENV_REFRESH_WINDOW".into(), window.to_string());
    Context::new(vars, ctx.now())
}

/// `$XDG_RUNTIME_DIR/awsenv` (when that directory exists), else the cache directory: 0700,
/// the user's own, no link.
fn snippet_dir(ctx: &Context) -> std::result::Result<Cache, String> {
    let dir = platform::runtime_dir(ctx)
        .filter(|run| run.is_dir())
        .map(|run| run.join("awsenv"))
        .or_else(|| cache::cache_dir(ctx))
        .ok_or_else(|| {
            format!(
                "no private directory to renew in (neither XDG_RUNTIME_DIR nor {} is set)",
                platform::CACHE_BASE
            )
        })?;
    Cache::open_private(&dir).map_err(|why| format!("directory {} {why}", dir.display()))
}

/// One file per shell, named for its process id and dialect.
fn file_name(shell: Shell, pid: u32) -> String {
    format!("renew-{pid}.{}", shell.name())
}

/// What the renewal asks for: the exported profile, with no input and no login.
fn request(profile: &str) -> Request {
    Request {
        profile: profile.to_owned(),
        no_input: true,
        no_login: true,
        ..Request::default()
    }
}

/// The line the hook shows, naming the profile once; the exit code of `error`.
fn failed(profile: &str, error: &Error) -> Error {
    let text = error.to_string();
    let own = format!("profile `{profile}`: ");
    let reason = text.strip_prefix(&own).unwrap_or(&text);
    let line =
        format!("could not refresh profile `{profile}`, keeping the old credentials: {reason}");
    match error {
        Error::Usage(_) => Error::Usage(line),
        _ => Error::Credentials(line),
    }
}

/// Check that nothing would be asked, then start the renewal in the background.
fn start(ctx: &Context, args: &RenewArgs, profile: &str, dir: &Cache, name: &str) -> Result<()> {
    let config = Config::load(ctx)?;
    if let Some(why) = resolve::needs_input(ctx, &config, &request(profile))? {
        return Err(Error::credentials(profile, why));
    }
    // A snippet an earlier shell with this pid left must not pass for this renewal's.
    match std::fs::remove_file(dir.dir().join(name)) {
        Err(e) if e.kind() != ErrorKind::NotFound => {
            return Err(Error::credentials(
                profile,
                format!("cannot remove the old {name}: {e}"),
            ));
        }
        _ => {}
    }
    let exe = std::env::current_exe()
        .map_err(|e| Error::credentials(profile, format!("cannot find awsenv itself: {e}")))?;
    let mut command = Command::new(exe);
    command
        .args(["renew", "--worker", "--shell", args.shell.name(), "--pid"])
        .arg(args.pid.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    platform::detach(&mut command);
    command
        .spawn()
        .map_err(|e| Error::credentials(profile, format!("cannot start the renewal: {e}")))?;
    Ok(())
}

/// The renewal itself: the snippet into `dir`/`name`, whatever happens, within a deadline.
fn work(ctx: &Context, shell: Shell, profile: &str, dir: &Cache, name: &str) -> i32 {
    let bound = deadline(ctx, profile);
    let late = (dir.clone(), name.to_owned(), profile.to_owned());
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(bound.unsigned_abs()));
        let (dir, name, profile) = late;
        let why = Error::Credentials(format!("no answer within {bound} s"));
        write_once(&dir, &name, &shell.warning(&line(&failed(&profile, &why))));
        std::process::exit(1);
    });
    let (code, status) = match renewed(ctx, shell, profile) {
        Ok(code) => (code, 0),
        Err(e) => (shell.warning(&line(&failed(profile, &e))), e.exit_code()),
    };
    if write_once(dir, name, &code) {
        status
    } else {
        1
    }
}

/// The one line a failure prints, as `awsenv` reports errors.
fn line(error: &Error) -> String {
    format!("awsenv: {error}")
}

/// The export snippet for `profile`, resolved as `assume` resolves it.
fn renewed(ctx: &Context, shell: Shell, profile: &str) -> Result<String> {
    let ops = assume::export_ops(ctx, &request(profile))?;
    shell.render(&ops).map_err(|e| Error::usage(profile, e))
}

/// How long the renewal may take in all: one STS timeout for the source, one for each role
/// of the chain and one for an SSO token's renewal, and a few seconds to start.
fn deadline(ctx: &Context, profile: &str) -> i64 {
    let hops = Config::load(ctx)
        .ok()
        .and_then(|config| config.chain(profile).ok())
        .map_or(1, |chain| chain.roles.len());
    let calls = i64::try_from(hops).unwrap_or(i64::MAX).saturating_add(2);
    crate::aws::call_timeout(ctx)
        .saturating_mul(calls)
        .saturating_add(5)
}

/// Write `text` as `name` (0600, a temporary file renamed into place) unless it was
/// written already; whether this call wrote it. The other writer waits until it has.
fn write_once(dir: &Cache, name: &str, text: &str) -> bool {
    let mut written = WRITTEN.lock().unwrap_or_else(|p| p.into_inner());
    if *written {
        return false;
    }
    *written = true;
    dir.write_file(name, text.as_bytes()).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_names_the_profile_once_and_keeps_its_exit_code() {
        let mfa = Error::credentials("ops", "needs an MFA code");
        let err = failed("ops", &mfa);
        assert_eq!(
            err.to_string(),
            "could not refresh profile `ops`, keeping the old credentials: needs an MFA code"
        );
        assert_eq!(err.exit_code(), 1);
        assert_eq!(failed("ops", &Error::Usage("bad".into())).exit_code(), 2);
    }

    #[test]
    fn the_window_makes_the_exported_session_stale() {
        let ctx = Context::fake(
            &[("AWSENV_PROFILE", "ops"), ("AWSENV_EXPIRES_AT", "1600")],
            1_000,
        );
        assert_eq!(
            renewal_context(&ctx).var("AWSENV_REFRESH_WINDOW"),
            Some("660")
        );
        let far = Context::fake(
            &[("AWSENV_PROFILE", "ops"), ("AWSENV_REFRESH_WINDOW", "2h")],
            1_000,
        );
        assert_eq!(
            renewal_context(&far).var("AWSENV_REFRESH_WINDOW"),
            Some("7200")
        );
    }

    #[test]
    fn snippets_are_named_for_the_shell_and_its_pid() {
        assert_eq!(file_name(Shell::Bash, 4242), "renew-4242.bash");
        assert_eq!(file_name(Shell::PowerShell, 7), "renew-7.powershell");
    }
}
