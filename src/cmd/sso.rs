//! `awsenv sso login`, `logout` and `populate`: which session the arguments name, then
//! `crate::sso` does the work. Only `populate` writes stdout (the change it made); progress
//! and results go to stderr.

use crate::cli::{SsoCommand, SsoLoginArgs, SsoLogoutArgs};
use crate::env::{self, Context};
use crate::error::{Error, Result};
use crate::profile::Config;
use crate::sso::login::{self, Flow, Options};
use crate::sso::{Session, logout};

pub fn run(command: SsoCommand, ctx: &Context) -> Result<()> {
    match command {
        SsoCommand::Login(args) => run_login(&args, ctx),
        SsoCommand::Logout(args) => run_logout(&args, ctx),
        SsoCommand::Populate(args) => {
            let change = crate::sso::populate::run(&args, ctx)?;
            super::write_stdout(&change);
            Ok(())
        }
    }
}

fn run_login(args: &SsoLoginArgs, ctx: &Context) -> Result<()> {
    let config = Config::load(ctx)?;
    let (session, who) = match &args.sso_session {
        Some(name) => (
            Session::named(&config, name)?,
            format!("sso-session `{name}`"),
        ),
        None => {
            let profile = args
                .profile
                .as_deref()
                .or(args.profile_flag.as_deref())
                .or_else(|| ctx.var(env::AWS_PROFILE))
                .ok_or_else(|| {
                    Error::Usage(
                        "no profile given and AWS_PROFILE is not set; name one (`awsenv sso login --profile PROFILE`) or a session (`--sso-session NAME`)".into(),
                    )
                })?;
            (
                Session::for_profile(&config, profile)?,
                format!("profile `{profile}`"),
            )
        }
    };
    let mut options = Options::default_for(&session);
    if args.device_code {
        options.flow = Flow::Device;
    }
    options.browser = !args.no_browser;
    options.force = true;
    let profile = args.profile.as_deref().or(args.profile_flag.as_deref());
    login::login(ctx, profile, &session, options)
        .map(drop)
        .map_err(|e| Error::Credentials(format!("{who}: {e}")))
}

fn run_logout(args: &SsoLogoutArgs, ctx: &Context) -> Result<()> {
    if args.all {
        let files = logout::all_files(ctx);
        if files.is_empty() {
            eprintln!("awsenv: no SSO session has a cached token; nothing to do");
        }
        for path in files {
            let outcome = logout::file(ctx, &path, None).map_err(Error::Credentials)?;
            warn(&outcome);
            eprintln!("awsenv: logged out; removed {}", path.display());
        }
        logout::forget_credentials(ctx, None);
        return Ok(());
    }
    let config = Config::load(ctx)?;
    let session = match (&args.sso_session, ctx.var(env::AWS_PROFILE)) {
        (Some(name), _) => Session::named(&config, name)?,
        (None, Some(profile)) => Session::for_profile(&config, profile)?,
        (None, None) => {
            return Err(Error::Usage(
                "name the session to log out of: `awsenv sso logout --sso-session NAME`, or `awsenv sso logout --all`".into(),
            ));
        }
    };
    let outcome = logout::session(ctx, &session).map_err(Error::Credentials)?;
    warn(&outcome);
    if outcome.removed {
        eprintln!("awsenv: logged out of {}", session.describe());
    } else {
        eprintln!(
            "awsenv: {} has no cached token; nothing to do",
            session.describe()
        );
    }
    Ok(())
}

fn warn(outcome: &logout::Outcome) {
    if let Some(warning) = &outcome.warning {
        eprintln!("awsenv: warning: {warning}; the token file is removed anyway");
    }
}
