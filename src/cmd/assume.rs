//! `awsenv assume PROFILE`: resolve the profile's credentials and return the export snippet.
//!
//! Every check happens before the snippet is built; the dispatcher writes it whole.

use crate::cli::AssumeArgs;
use crate::duration;
use crate::env::{self, Context};
use crate::error::{Error, Result};
use crate::profile::Config;
use crate::resolve::{self, Request};
use crate::shell::Shell;

pub fn run(args: &AssumeArgs, shell: Shell, ctx: &Context) -> Result<String> {
    let profile = profile_arg(args.profile.as_deref(), ctx)?;
    let request = Request {
        duration: args
            .duration
            .as_deref()
            .map(|d| duration::session_duration(d, &profile))
            .transpose()?,
        region: args.region.clone(),
        mfa_code: args.mfa_code.clone(),
        refresh: args.refresh,
        no_input: args.no_input,
        profile,
    };
    let config = Config::load(ctx)?;
    let resolved = resolve::resolve(ctx, &config, &request)?;
    let ops = env::exports(
        ctx,
        &request.profile,
        &resolved.credentials,
        resolved.region.as_deref(),
    );
    shell
        .render(&ops)
        .map_err(|e| Error::usage(&request.profile, e))
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
