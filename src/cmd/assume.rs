//! `awsenv assume PROFILE`: resolve the profile's credentials and return the export snippet.
//!
//! Every check happens before the snippet is built; the dispatcher writes it whole.

use crate::cli::{AssumeArgs, SessionArgs};
use crate::duration;
use crate::env::{self, Context};
use crate::error::{Error, Result};
use crate::profile::Config;
use crate::resolve::{self, Request};
use crate::shell::{Op, Shell};

pub fn run(args: &AssumeArgs, shell: Shell, ctx: &Context) -> Result<String> {
    let request = request(profile_arg(args.profile.as_deref(), ctx)?, &args.session)?;
    let ops = export_ops(ctx, &request)?;
    shell
        .render(&ops)
        .map_err(|e| Error::usage(&request.profile, e))
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

/// The profile named, else `AWS_PROFILE`.
pub fn profile_arg(profile: Option<&str>, ctx: &Context) -> Result<String> {
    profile
        .or_else(|| ctx.var(env::AWS_PROFILE))
        .map(str::to_owned)
        .ok_or_else(|| {
            Error::Usage(
                "no profile given and AWS_PROFILE is not set; name one (`awsenv list` shows them)"
                    .into(),
            )
        })
}
