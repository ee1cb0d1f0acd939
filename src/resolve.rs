//! From a profile name to credentials: the chain from `profile`, then static keys, the
//! cache, or STS.
//!
//! This is the one entry point `assume`, `exec` and `credential-process` share.

use crate::env::{Context, Credentials};
use crate::error::{Error, Result};
use crate::profile::{Config, Source};

/// What the caller asked for.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub profile: String,
    /// `--duration`, already checked against STS's range.
    pub duration: Option<i64>,
    /// `--region`, over the profile's.
    pub region: Option<String>,
    pub mfa_code: Option<String>,
    /// Skip the cache.
    pub refresh: bool,
    /// Never ask on the terminal.
    pub no_input: bool,
}

/// Credentials and the region that goes with them.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub credentials: Credentials,
    pub region: Option<String>,
}

/// Resolve `request.profile` to credentials.
pub fn resolve(ctx: &Context, config: &Config, request: &Request) -> Result<Resolved> {
    let _ = ctx;
    let chain = config.chain(&request.profile)?;
    let region = request.region.clone().or(chain.region.clone());
    match (&chain.source, chain.roles.is_empty()) {
        (Source::Static { keys, .. }, true) => Ok(Resolved {
            credentials: Credentials {
                access_key_id: keys.access_key_id.clone(),
                secret_access_key: keys.secret_access_key.clone(),
                session_token: keys.session_token.clone(),
                expires_at: None,
            },
            region,
        }),
        _ => Err(Error::usage(
            &request.profile,
            format!(
                "{} profiles are not supported by this awsenv yet; use a profile with static keys",
                config.kind(&request.profile).name()
            ),
        )),
    }
}
