//! The check "endpoints": where awsenv's requests for the profile go (STS, and for SSO
//! profiles the portal and OIDC), what chose each endpoint (`AWS_ENDPOINT_URL_STS`,
//! `[services corp]`, `use_fips_endpoint`, …), the proxy, and the CA bundle in force.
//! Reads settings and the bundle only; no request.

use super::Check;
use crate::aws::{Service, Settings};
use crate::env::Context;
use crate::profile::{Config, Kind, Source};
use crate::sso::Session;

const NAME: &str = "endpoints";
const FIX: &str =
    "check the endpoint settings named above (`awsenv -v assume PROFILE` shows each decision)";

/// The lines for `profile` (`None`: `AWS_PROFILE`, else `default`).
pub fn checks(ctx: &Context, config: &Config, profile: Option<&str>) -> Vec<Check> {
    let chain = profile.and_then(|p| config.chain(p).ok());
    let region = chain.as_ref().and_then(|c| c.region.clone());
    let who = profile.map_or("the default profile".to_owned(), |p| {
        format!("profile `{p}`")
    });
    let settings = match Settings::load(ctx, Some(config), profile, region.as_deref()) {
        Ok(settings) => settings,
        Err(e) => return vec![Check::fail(NAME, e.to_string(), FIX)],
    };
    let sts = settings.clone().for_service(Service::STS);
    let mut checks = vec![endpoint(
        &who,
        "STS",
        crate::sts::endpoint(&sts),
        sts.endpoint_reason(Service::STS, None),
    )];
    let sso = matches!(
        chain.as_ref().map(|c| &c.source),
        Some(Source::Provider {
            kind: Kind::Sso,
            ..
        })
    );
    if sso && let Some(session) = profile.and_then(|p| Session::for_profile(config, p).ok()) {
        match Settings::load(ctx, Some(config), profile, Some(&session.region)) {
            Ok(settings) => {
                for (what, service, url) in [
                    (
                        "the SSO portal",
                        Service::SSO,
                        crate::sso::portal_endpoint(&settings),
                    ),
                    (
                        "SSO OIDC",
                        Service::SSO_OIDC,
                        crate::sso::oidc_endpoint(&settings),
                    ),
                ] {
                    let url = url.map_err(|e| e.to_string());
                    let reason = settings
                        .clone()
                        .for_service(service)
                        .endpoint_reason(service, None);
                    checks.push(endpoint(&who, what, url, reason));
                }
            }
            Err(e) => checks.push(Check::fail(NAME, e.to_string(), FIX)),
        }
    }
    checks.push(trust(ctx, &settings));
    checks
}

fn endpoint(
    who: &str,
    what: &str,
    url: std::result::Result<String, String>,
    reason: String,
) -> Check {
    match url {
        Ok(url) => Check::ok(NAME, format!("{who}: {what} at {url} (by {reason})")),
        Err(why) => Check::fail(
            NAME,
            format!("{who}: no {what} endpoint: {why} (chosen by {reason})"),
            FIX,
        ),
    }
}

/// The CA bundle (or the system's roots) and the proxy requests go through.
fn trust(ctx: &Context, settings: &Settings) -> Check {
    let proxy = ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
        .iter()
        .find_map(|name| ctx.var(name).map(|url| (name, without_password(url))))
        .map_or(String::new(), |(name, url)| {
            let bypass = ctx
                .var("NO_PROXY")
                .or_else(|| ctx.var("no_proxy"))
                .map_or(String::new(), |n| format!(", except NO_PROXY {n}"));
            format!("; through the proxy {url} ({name}{bypass})")
        });
    match (settings.ca_bundle(), settings.trusted_roots()) {
        (Some(bundle), Ok(_)) => Check::ok(
            NAME,
            format!(
                "TLS: only the CA bundle {} (from {}) is trusted{proxy}",
                bundle.value.display(),
                bundle.by
            ),
        ),
        (_, Err(e)) => Check::fail(
            NAME,
            e.to_string(),
            "export AWS_CA_BUNDLE=/path/to/your-organisations-ca.pem",
        ),
        (None, Ok(_)) => {
            let roots = ctx.var("SSL_CERT_FILE").map_or_else(
                || "the system's root certificates".to_owned(),
                |file| format!("the root certificates in {file} (SSL_CERT_FILE)"),
            );
            Check::ok(
                NAME,
                format!("TLS: {roots}, no AWS_CA_BUNDLE or ca_bundle{proxy}"),
            )
        }
    }
}

/// A proxy URL as shown: `http://user:***@host` never shows the password.
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((auth, host)) if auth.contains(':') => {
            let user = auth.split(':').next().unwrap_or("");
            format!("{scheme}://{user}:***@{host}")
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_passwords_are_never_shown() {
        assert_eq!(
            without_password("http://jo:s3cret@proxy:3128"),
            "http://jo:***@proxy:3128"
        );
        assert_eq!(without_password("http://proxy:3128"), "http://proxy:3128");
    }
}
