//! `awsenv doctor [PROFILE] [--imds]`: run every check of `crate::doctor`, print one line
//! each (`ok|warn|fail  check: evidence`, then `fix: command` when not ok) and exit 1 when
//! any check failed, 0 otherwise (warnings allowed).

use crate::cli::DoctorArgs;
use crate::cmd::status::Snapshot;
use crate::doctor::{Check, Level, caches, environment, files, imds};
use crate::env::{self, Context};
use crate::error::Result;
use crate::profile::Config;
use crate::shell::Shell;

pub fn run(args: &DoctorArgs, ctx: &Context) -> Result<i32> {
    let checks = all_checks(args, ctx);
    let mut text: String = checks.iter().map(ToString::to_string).collect();
    let count = |level| checks.iter().filter(|c| c.level == level).count();
    text.push_str(&format!(
        "\n{} ok, {} warn, {} fail\n",
        count(Level::Ok),
        count(Level::Warn),
        count(Level::Fail)
    ));
    super::write_stdout(&text);
    Ok(if count(Level::Fail) > 0 { 1 } else { 0 })
}

/// The profile to check: the one named, else `AWS_PROFILE`, else the exported one.
fn target(args: &DoctorArgs, ctx: &Context) -> Option<String> {
    args.profile
        .as_deref()
        .or_else(|| ctx.var(env::AWS_PROFILE))
        .or_else(|| ctx.var(env::PROFILE))
        .map(str::to_owned)
}

fn all_checks(args: &DoctorArgs, ctx: &Context) -> Vec<Check> {
    let shell = Shell::detect(None, ctx);
    let snapshot = Snapshot::read(ctx);
    let profile = target(args, ctx);
    let on_ec2 = imds::on_ec2();
    let mut checks = vec![environment::expiry(ctx, snapshot.as_ref())];
    checks.extend(environment::shadowing(ctx, shell));
    let config = match Config::load(ctx) {
        Ok(config) => Some(config),
        Err(error) => {
            checks.push(Check::fail(
                "config files",
                error.to_string(),
                "${EDITOR:-vi} ~/.aws/config",
            ));
            None
        }
    };
    checks.push(environment::env_keys(
        ctx,
        config.as_ref(),
        profile.as_deref(),
        on_ec2,
    ));
    if let Some(config) = &config {
        checks.extend(profile_checks(ctx, config, profile.as_deref()));
    }
    checks.extend(caches::cli_cache(ctx));
    checks.extend(caches::awsenv_cache(ctx));
    if args.imds || on_ec2 {
        checks.extend(imds::checks(ctx));
    }
    checks
}

/// The chain of the profile (or of every profile), and the static tokens in the files.
fn profile_checks(ctx: &Context, config: &Config, profile: Option<&str>) -> Vec<Check> {
    let _ = ctx;
    let all = config.names();
    let targets: Vec<&str> = match profile {
        Some(p) => vec![p],
        None => all.clone(),
    };
    let mut checks = files::chains(config, &targets);
    let source = profile
        .and_then(|p| config.chain(p).ok())
        .map(|chain| chain.source.profile().to_owned());
    let token_profiles = match (profile, &source) {
        (Some(_), Some(source)) => files::static_tokens(config, &[source.as_str()]),
        (Some(_), None) => Vec::new(),
        (None, _) => files::static_tokens(config, &all),
    };
    for name in token_profiles {
        let place = files::locate(config, name, "aws_session_token");
        checks.push(Check::warn(
            "static session token",
            format!(
                "profile `{name}` has a static aws_session_token at {}; temporary tokens in the files expire and are not refreshed",
                place.shown()
            ),
            place.edit(),
        ));
    }
    checks
}
