//! `awsenv console [PROFILE]`: sign the browser in to the AWS console as the profile.
//!
//! The profile's temporary credentials come from `resolve` (so from the cache when valid);
//! long-term keys first become a federation token. `src/console.rs` builds the URLs and does
//! the one sign-in request; stdout holds the URL with `--print` and nothing otherwise.

use crate::aws::Settings;
use crate::cli::ConsoleArgs;
use crate::console;
use crate::duration;
use crate::env::{self, Context, Credentials};
use crate::error::{Error, Result};
use crate::profile::{Chain, Config, Source};
use crate::resolve::{self, Request};
use crate::sts::Sts;

use super::assume;

/// A federation token lasts this long unless `--duration` says otherwise.
const FEDERATION_DURATION: i64 = 43_200;
/// A role session without a profile or `--duration` setting, as `resolve` has it.
const ROLE_DURATION: i64 = 3600;

pub fn run(args: &ConsoleArgs, ctx: &Context) -> Result<()> {
    let profile = assume::choose_profile(args.profile.as_deref(), args.session.no_input, ctx)?;
    let mut request = assume::request(profile, &args.session)?;
    let landing = landing(args, &request.profile)?;
    let config = Config::load(ctx)?;
    let chain = config.chain(&request.profile)?;
    // The console refuses GetSessionToken sessions: a keyring key gets GetFederationToken.
    if matches!(chain.source, Source::Keyring { .. }) && chain.roles.is_empty() {
        request.no_session = true;
    }
    let region = request
        .region
        .clone()
        .or_else(|| chain.region.clone())
        .or_else(|| ctx.var(env::REGION).map(str::to_owned))
        .or_else(|| ctx.var(env::DEFAULT_REGION).map(str::to_owned));
    let federation = console::federation_url(ctx, region.as_deref());
    console::check_federation(&federation, &request.profile)?;
    // The sign-in request goes out as the profile's SDK clients do: its CA bundle, the proxy.
    let settings = Settings::load(
        ctx,
        Some(&config),
        Some(&request.profile),
        region.as_deref(),
    )?;
    let (creds, session_duration) = credentials(ctx, &config, &chain, &request, region.as_deref())?;
    let token = console::signin_token(
        ctx,
        &settings,
        &federation,
        &creds,
        session_duration,
        &request.profile,
    )?;
    let destination =
        landing.unwrap_or_else(|| console::destination(region.as_deref(), args.service.as_deref()));
    let url = console::login_url(&federation, &destination, &token);
    crate::picker::remember(ctx, &request.profile);
    if args.print {
        super::write_stdout(&format!("{url}\n"));
        Ok(())
    } else {
        console::open(ctx, &url, &request.profile)
    }
}

/// `--destination` checked, or `None` to build one from the region and `--service`.
fn landing(args: &ConsoleArgs, profile: &str) -> Result<Option<String>> {
    if let Some(service) = &args.service {
        let ok = !service.is_empty()
            && service
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !ok {
            return Err(Error::usage(
                profile,
                format!(
                    "--service {service:?} is not a console service name; use one like s3, ec2 or cloudwatch"
                ),
            ));
        }
    }
    match &args.destination {
        Some(url) if !url.starts_with("https://") => Err(Error::usage(
            profile,
            "--destination must be an https:// console URL",
        )),
        other => Ok(other.clone()),
    }
}

/// Credentials the console accepts, and the `SessionDuration` to ask for (only for a role
/// assumed straight from long-term keys: AWS refuses it for chained roles and federation
/// tokens).
fn credentials(
    ctx: &Context,
    config: &Config,
    chain: &Chain,
    request: &Request,
    region: Option<&str>,
) -> Result<(Credentials, Option<i64>)> {
    let resolved = resolve::resolve(ctx, config, request)?;
    if resolved.credentials.session_token.is_none() {
        // Long-term keys cannot sign in; a GetSessionToken session cannot either.
        let sts = Sts::new(ctx, Some(config), Some(&request.profile), region)?;
        let duration = request.duration.unwrap_or(FEDERATION_DURATION);
        let name = console::federation_name(&request.profile);
        let token = sts
            .federation_token(&resolved.credentials, &name, duration)
            .map_err(|f| {
                Error::credentials(
                    &request.profile,
                    format!("GetFederationToken for the console: {f}"),
                )
            })?;
        return Ok((token, None));
    }
    let long_term_source = matches!(
        &chain.source,
        Source::Static { keys, .. } if keys.session_token.is_none()
    ) || matches!(&chain.source, Source::Keyring { .. });
    let session_duration = match chain.roles.as_slice() {
        [hop] if long_term_source => Some(match (request.duration, &hop.duration_seconds) {
            (Some(secs), _) => secs,
            (None, Some(text)) => duration::session_duration(text, &hop.profile)?,
            (None, None) => ROLE_DURATION,
        }),
        _ => None,
    };
    Ok((resolved.credentials, session_duration))
}
