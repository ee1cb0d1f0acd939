//! IAM Identity Center: which session a profile uses, where its OIDC and portal endpoints
//! are, and the SDK clients for them.
//!
//! `login` runs the browser (PKCE) and device-code flows, `token` is the cache the AWS CLI
//! shares, `credentials` turns a token into a profile's role credentials, `logout` ends a
//! session, `populate` writes a profile per granted role. Nothing here runs on the prompt path: a runtime starts only on a cache miss.

pub mod credentials;
pub mod login;
pub mod logout;
pub mod populate;
pub mod token;

use crate::aws::{self, Aws, Service, Settings};
use crate::env::Context;
use crate::error::{Error, Result};
use crate::profile::{Config, Kind, Source};

/// `sso_registration_scopes` when a session sets none.
const DEFAULT_SCOPE: &str = "sso:account:access";

/// One IAM Identity Center session: an `[sso-session NAME]` section, or the `sso_start_url`
/// and `sso_region` of a legacy profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The section's name; `None` for a legacy profile.
    pub name: Option<String>,
    pub start_url: String,
    pub region: String,
    /// Registration scopes (sessions only; legacy profiles register none).
    pub scopes: Vec<String>,
}

impl Session {
    /// What the token cache file is named after: the session name, else the start URL.
    pub fn id(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.start_url)
    }

    /// How messages name it.
    pub fn describe(&self) -> String {
        match &self.name {
            Some(name) => format!("SSO session `{name}`"),
            None => format!("SSO start URL {}", self.start_url),
        }
    }

    /// The `[sso-session NAME]` section.
    pub fn named(config: &Config, name: &str) -> Result<Self> {
        let Some(get) = config.sso_session(name) else {
            return Err(Error::Usage(format!(
                "no [sso-session {name}] section in {}; add one with sso_start_url and sso_region",
                config.config_path().display()
            )));
        };
        let required = |key: &str| {
            get(key).map(str::to_owned).ok_or_else(|| {
                Error::Usage(format!(
                    "[sso-session {name}] in {} has no {key}; add it",
                    config.config_path().display()
                ))
            })
        };
        let scopes = get("sso_registration_scopes")
            .unwrap_or(DEFAULT_SCOPE)
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        Ok(Self {
            name: Some(name.to_owned()),
            start_url: required("sso_start_url")?,
            region: required("sso_region")?,
            scopes,
        })
    }

    /// The session behind `profile`: its own settings, or those of the SSO profile at the root
    /// of its role chain.
    pub fn for_profile(config: &Config, profile: &str) -> Result<Self> {
        let sso_profile = sso_root(config, profile)?;
        Self::of_sso_profile(config, &sso_profile, profile)
    }

    /// The session of `sso_profile`, which must set `sso_session` or `sso_start_url`.
    pub fn of_sso_profile(config: &Config, sso_profile: &str, asked: &str) -> Result<Self> {
        let settings = config
            .get(sso_profile)
            .ok_or_else(|| Error::usage(asked, "no such profile; `awsenv list` shows them"))?;
        if let Some(name) = settings.get("sso_session") {
            return Self::named(config, name).map_err(|e| Error::usage(asked, e));
        }
        let missing = |key: &str| {
            Error::usage(
                asked,
                format!("profile `{sso_profile}` sets sso_start_url but no {key}; add it"),
            )
        };
        Ok(Self {
            name: None,
            start_url: settings
                .get("sso_start_url")
                .ok_or_else(|| missing("sso_start_url"))?
                .to_owned(),
            region: settings
                .get("sso_region")
                .ok_or_else(|| missing("sso_region"))?
                .to_owned(),
            scopes: Vec::new(),
        })
    }
}

/// The profile that holds the SSO settings of `profile`'s chain.
fn sso_root(config: &Config, profile: &str) -> Result<String> {
    match config.chain(profile)?.source {
        Source::Provider {
            profile: root,
            kind: Kind::Sso,
        } => Ok(root),
        _ => Err(Error::usage(
            profile,
            "is not an IAM Identity Center profile (no sso_session or sso_start_url in it or its source); name one, or use --sso-session",
        )),
    }
}

/// What to run to log in for `profile`, as it can be pasted.
pub fn login_command(profile: &str) -> String {
    format!("awsenv sso login --profile {}", shell_words::quote(profile))
}

/// The settings, runtime and SDK configuration for requests to the session's region on
/// behalf of `profile` (the one the user selected; `None`: `AWS_PROFILE`, else `default`).
pub fn aws(ctx: &Context, service: Service, profile: Option<&str>, region: &str) -> Result<Aws> {
    Aws::new(Settings::load(ctx, None, profile, Some(region))?.for_service(service))
}

/// Where OIDC requests go with these settings, by the service's own endpoint rules.
pub fn oidc_endpoint(settings: &Settings) -> Result<String> {
    aws::resolve_endpoint!(aws_sdk_ssooidc, settings, Service::SSO_OIDC)
        .map_err(|why| no_endpoint(settings, Service::SSO_OIDC, &why))
}

/// Where access portal requests go with these settings, by the service's own endpoint rules.
pub fn portal_endpoint(settings: &Settings) -> Result<String> {
    aws::resolve_endpoint!(aws_sdk_sso, settings, Service::SSO)
        .map_err(|why| no_endpoint(settings, Service::SSO, &why))
}

fn no_endpoint(settings: &Settings, service: Service, why: &str) -> Error {
    Error::usage(
        settings.profile().unwrap_or(""),
        format!(
            "no {} endpoint for these settings ({why}; chosen by {}); fix them",
            service.id,
            settings.endpoint_reason(service, None)
        ),
    )
}

/// The portal as a cache key names it: `AWS_ENDPOINT_URL_SSO`, else `AWS_ENDPOINT_URL`, else
/// the region's portal. Read from the environment alone, so a cache hit reads no files.
pub fn portal_cache_id(ctx: &Context, region: &str) -> String {
    ctx.var("AWS_ENDPOINT_URL_SSO")
        .or_else(|| ctx.var("AWS_ENDPOINT_URL"))
        .map_or_else(
            || format!("https://portal.sso.{region}.amazonaws.com"),
            |url| url.trim_end_matches('/').to_owned(),
        )
}

/// The SSO OIDC client of `aws` (its region is the session's).
pub fn oidc_client(aws: &Aws) -> aws_sdk_ssooidc::Client {
    let config = aws_sdk_ssooidc::config::Builder::from(aws.sdk_config())
        .interceptor(aws::Logged)
        .build();
    aws_sdk_ssooidc::Client::from_conf(config)
}

/// The access portal client of `aws` (its region is the session's).
pub fn portal_client(aws: &Aws) -> aws_sdk_sso::Client {
    let config = aws_sdk_sso::config::Builder::from(aws.sdk_config())
        .interceptor(aws::Logged)
        .build();
    aws_sdk_sso::Client::from_conf(config)
}

/// An SDK error as one line: its code and message when the service sent them, else the
/// error and its causes. Never a token: requests are not part of SDK errors' text.
pub fn sdk_failure<E, R>(
    what: &str,
    endpoint: &str,
    error: &aws_sdk_ssooidc::error::SdkError<E, R>,
) -> String
where
    E: aws_sdk_ssooidc::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    use aws_sdk_ssooidc::error::{ProvideErrorMetadata, SdkError};
    if matches!(error, SdkError::DispatchFailure(_))
        && let Some(said) = aws::untrusted_certificate(endpoint, error)
    {
        return format!("{what}: {said}");
    }
    match error {
        SdkError::TimeoutError(_) => format!(
            "{what}: no answer from {endpoint} in time; check the network or AWSENV_STS_TIMEOUT"
        ),
        SdkError::DispatchFailure(_) => {
            format!("{what}: could not reach {endpoint}; check the network or the endpoint")
        }
        _ => match (error.code(), error.message()) {
            (Some(code), Some(message)) => format!("{what}: {code}: {}", one_line(message)),
            (Some(code), None) => format!("{what}: {code}"),
            _ => format!("{what}: {endpoint} sent a reply awsenv could not read"),
        },
    }
}

pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The user can be talked to: stderr is a terminal.
pub fn interactive() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(vars: &[(&str, &str)], region: &str) -> Settings {
        let mut all = vec![
            ("AWS_CONFIG_FILE", "/nonexistent/config"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials"),
        ];
        all.extend_from_slice(vars);
        let ctx = Context::fake(&all, 0);
        Settings::load(&ctx, None, None, Some(region)).unwrap()
    }

    #[test]
    fn endpoints_honour_the_sdk_variables() {
        let s = settings(&[], "eu-west-1");
        assert_eq!(
            oidc_endpoint(&s).unwrap(),
            "https://oidc.eu-west-1.amazonaws.com"
        );
        assert_eq!(
            portal_endpoint(&s).unwrap(),
            "https://portal.sso.eu-west-1.amazonaws.com"
        );
        let s = settings(
            &[
                ("AWS_ENDPOINT_URL", "http://all"),
                ("AWS_ENDPOINT_URL_SSO_OIDC", "http://oidc/"),
            ],
            "r",
        );
        assert_eq!(oidc_endpoint(&s).unwrap(), "http://oidc");
        assert_eq!(portal_endpoint(&s).unwrap(), "http://all");
    }

    #[test]
    fn advice_can_be_pasted() {
        assert_eq!(login_command("prod"), "awsenv sso login --profile prod");
        assert_eq!(
            login_command("dev account/admin"),
            "awsenv sso login --profile 'dev account/admin'"
        );
    }
}
