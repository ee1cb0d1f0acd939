//! `awsenv assume PROFILE`: resolve the profile's credentials and return the export snippet.
//!
//! Every check happens before the snippet is built; the dispatcher writes it whole. Which
//! profile (named, `-`, `AWS_PROFILE`, or picked on the terminal) is decided here for
//! `exec` and `console` too.

use crate::cli::{AssumeArgs, SessionArgs};
use crate::duration;
use crate::env::{self, Context};
use crate::error::{Error, Result};
use crate::picker;
use crate::profile::Config;
use crate::resolve::{self, Request};
use crate::shell::{Op, Shell};

pub fn run(args: &AssumeArgs, shell: Shell, ctx: &Context) -> Result<String> {
    let profile = choose_profile(args.profile.as_deref(), args.session.no_input, ctx)?;
    let request = request(profile, &args.session)?;
    let ops = export_ops(ctx, &request)?;
    let code = shell
        .render(&ops)
        .map_err(|e| Error::usage(&request.profile, e))?;
    picker::remember(ctx, &request.profile);
    Ok(code)
}

/// The request `assume`, `exec` and `credential-process` hand to `resolve`, the duration
/// checked against STS's range before anything is read.
pub fn request(profile: String, session: &SessionArgs) -> Result<Request> {
    Ok(Request {
        duration: session
            .duration
            .as_deref()
            .map(|d| duration::session_duration(d, &profile))
            .transpose()?,
        region: session.region.clone(),
        mfa_code: session.mfa_code.clone(),
        refresh: session.refresh,
        no_input: session.no_input,
        no_login: session.no_input,
        no_session: session.no_session,
        profile,
    })
}

/// Resolve `request` and return the variable changes `assume` makes for it.
pub fn export_ops(ctx: &Context, request: &Request) -> Result<Vec<Op>> {
    let config = Config::load(ctx)?;
    let resolved = resolve::resolve(ctx, &config, request)?;
    Ok(env::exports(
        ctx,
        &request.profile,
        &resolved.credentials,
        resolved.region.as_deref(),
    ))
}

/// The profile named (`-`: the one assumed before the current one, as `cd -` has it), else
/// `AWS_PROFILE`, else one picked on the terminal (not with `no_input`).
pub fn choose_profile(profile: Option<&str>, no_input: bool, ctx: &Context) -> Result<String> {
    match profile {
        Some("-") => picker::Recent::load(ctx)
            .previous(ctx.var(env::PROFILE))
            .map(str::to_owned)
            .ok_or_else(|| {
                Error::Usage(
                    "`-` is the profile assumed before this one, and there is none yet; name one (`awsenv list` shows them)"
                        .into(),
                )
            }),
        Some(name) => Ok(name.to_owned()),
        None => match ctx.var(env::AWS_PROFILE) {
            Some(name) => Ok(name.to_owned()),
            None if !no_input && picker::available() => picker::pick(ctx, &Config::load(ctx)?),
            None => Err(Error::Usage(
                "no profile given and AWS_PROFILE is not set; name one (`awsenv list` shows them)"
                    .into(),
            )),
        },
    }
}
