//! `awsenv doctor [PROFILE] [--imds]`: run every check of `crate::doctor`, print one line
//! each (`ok|warn|fail  check: evidence`, then `fix: command` when not ok) and exit 1 when
//! any check failed, 0 otherwise (warnings allowed).

use crate::cli::DoctorArgs;
use crate::cmd::status::Snapshot;
use crate::doctor::online::Probe;
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
            // The parser's message names the file; the config file is the usual culprit.
            let config_file = crate::profile::file_path(ctx, "AWS_CONFIG_FILE", "config");
            checks.push(Check::fail(
                "config files",
                error.to_string(),
                crate::doctor::edit_command(&config_file, None),
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
        checks.extend(profile_checks(config, profile.as_deref()));
        checks.extend(crate::doctor::endpoints::checks(
            ctx,
            config,
            profile.as_deref(),
        ));
        checks.extend(crate::doctor::keys::checks(ctx, config, profile.as_deref()));
        if let Some(p) = profile.as_deref() {
            checks.extend(crate::doctor::sso::token(ctx, config, p));
        }
    }
    checks.extend(sts_checks(args, ctx, config.as_ref(), profile.as_deref()));
    checks.extend(caches::cli_cache(ctx));
    checks.extend(caches::awsenv_cache(ctx));
    if args.imds || on_ec2 {
        checks.extend(imds::checks(ctx));
    }
    checks
}

/// The chain of the profile (or of every profile).
fn profile_checks(config: &Config, profile: Option<&str>) -> Vec<Check> {
    let all = config.names();
    let targets: Vec<&str> = match profile {
        Some(p) => vec![p],
        None => all,
    };
    files::chains(config, &targets)
}

/// What STS says: the clock, who the profile's (or the exported) keys are, and whether the
/// static session tokens in the files still work.
fn sts_checks(
    args: &DoctorArgs,
    ctx: &Context,
    config: Option<&Config>,
    profile: Option<&str>,
) -> Vec<Check> {
    let region = config
        .zip(profile)
        .and_then(|(c, p)| c.chain(p).ok())
        .and_then(|chain| chain.region);
    let (probe, clock) = Probe::start(ctx, profile, region.as_deref());
    let mut checks = vec![clock];
    // With no profile named, the keys in the environment are what the SDKs would use.
    let named = args.profile.is_some() || ctx.var(env::AWS_PROFILE).is_some();
    if !named && ctx.var(env::ACCESS_KEY_ID).is_some() {
        checks.extend(probe.exported_identity(ctx));
    } else if let (Some(config), Some(p)) = (config, profile) {
        checks.extend(probe.profile_identity(config, p));
    }
    if let Some(config) = config {
        checks.extend(
            static_token_profiles(config, profile)
                .into_iter()
                .map(|name| probe.static_token(config, name)),
        );
    }
    checks
}

/// The profiles whose static `aws_session_token` to test: the profile's source, or all.
fn static_token_profiles<'a>(config: &'a Config, profile: Option<&str>) -> Vec<&'a str> {
    let all = config.names();
    let candidates: Vec<&str> = match profile.map(|p| config.chain(p)) {
        Some(Ok(chain)) => all
            .into_iter()
            .filter(|name| *name == chain.source.profile())
            .collect(),
        Some(Err(_)) => Vec::new(),
        None => all,
    };
    files::static_tokens(config, &candidates)
}
