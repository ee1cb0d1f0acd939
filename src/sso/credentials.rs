//! An SSO profile's role credentials: the session's token (from the shared cache, renewed
//! by aws-config's `SsoTokenProvider` when it can be, else a login on a terminal), then the
//! portal's GetRoleCredentials.
//!
//! The caller caches the result in awsenv's cache under `role_key`, so this runs only on a
//! miss. Without a terminal, or with `--no-input`, a missing token is an error that says
//! which command logs in.

use aws_credential_types::provider::token::ProvideToken;

use super::login::{self, MARGIN, Options};
use super::token::{self, Token};
use super::{Session, portal_client, portal_endpoint, sdk_failure};
use crate::aws::Service;
use crate::cache::Key;
use crate::env::{Context, Credentials};
use crate::error::{Error, Result};
use crate::profile::Config;

/// The kind of awsenv cache entry that holds an SSO role's credentials.
pub const CACHE_KIND: &str = "sso";
/// aws-config renews a token this long before it expires; so does awsenv.
const RENEW_WINDOW: i64 = 300;

/// One SSO profile's role: the session, the account and the role.
#[derive(Debug, Clone)]
pub struct Role {
    pub session: Session,
    pub account_id: String,
    pub role_name: String,
}

impl Role {
    /// The role `sso_profile` names; `asked` is the profile the user asked for.
    pub fn of(config: &Config, sso_profile: &str, asked: &str) -> Result<Self> {
        let session = Session::of_sso_profile(config, sso_profile, asked)?;
        let settings = config.get(sso_profile);
        let get = |key: &str| {
            settings
                .and_then(|p| p.get(key))
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
                .ok_or_else(|| {
                    Error::usage(
                        asked,
                        format!("SSO profile `{sso_profile}` has no {key}; add it"),
                    )
                })
        };
        Ok(Self {
            session,
            account_id: get("sso_account_id")?,
            role_name: get("sso_role_name")?,
        })
    }

    /// The cache key: the session, account and role (two profiles naming the same role share
    /// an entry), and the portal they came from.
    pub fn key(&self, ctx: &Context) -> Key {
        Key {
            profile: self.session.id().to_owned(),
            role_chain: vec![
                format!("start_url={}", self.session.start_url),
                format!("account={}", self.account_id),
                format!("role={}", self.role_name),
                format!(
                    "portal={}",
                    super::portal_cache_id(ctx, &self.session.region)
                ),
            ],
            duration: None,
            mfa_serial: None,
            kind: CACHE_KIND,
        }
    }
}

/// How a missing or expired token may be dealt with.
#[derive(Debug, Clone, Copy)]
pub struct Login {
    /// May log in (a terminal is attached and `--no-input` was not given).
    pub allowed: bool,
}

/// The role credentials from the portal, logging in first if the token needs it and
/// `login.allowed`; `asked` names the profile in errors and advice.
pub fn fetch(ctx: &Context, role: &Role, asked: &str, login: Login) -> Result<Credentials> {
    let allowed = login.allowed && super::interactive();
    let token = usable_token(ctx, &role.session, asked, allowed)?;
    match role_credentials(ctx, role, asked, &token) {
        Err(Refused::Unauthorized(_)) if allowed => {
            eprintln!(
                "awsenv: the portal refused the token of {}; logging in again",
                role.session.describe()
            );
            let options = Options {
                force: true,
                ..Options::default_for(&role.session)
            };
            let token = login::login(ctx, Some(asked), &role.session, options)
                .map_err(|e| Error::credentials(asked, e))?;
            role_credentials(ctx, role, asked, &token.access_token).map_err(|r| r.error(asked))
        }
        Err(Refused::Unauthorized(why)) => Err(Error::credentials(
            asked,
            format!(
                "the portal refused the token of {} ({why}); run `{}`",
                role.session.describe(),
                super::login_command(asked)
            ),
        )),
        other => other.map_err(|r| r.error(asked)),
    }
}

/// The state of a session's token, for `doctor` and `status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenState {
    Missing,
    Valid {
        expires_at: i64,
        refreshable: bool,
    },
    Expired {
        expires_at: Option<i64>,
        refreshable: bool,
    },
}

pub fn token_state(ctx: &Context, session: &Session) -> TokenState {
    let Some(cached) = token::path(ctx, session.id()).and_then(|p| token::read(&p)) else {
        return TokenState::Missing;
    };
    let refreshable = session.name.is_some() && cached.refreshable(ctx.now());
    match cached.expires() {
        Some(at) if at > ctx.now() => TokenState::Valid {
            expires_at: at,
            refreshable,
        },
        expires_at => TokenState::Expired {
            expires_at,
            refreshable,
        },
    }
}

/// An access token good for the next request.
fn usable_token(ctx: &Context, session: &Session, asked: &str, may_login: bool) -> Result<String> {
    let path = token::path(ctx, session.id());
    let cached = path.as_deref().and_then(token::read);
    let now = ctx.now();
    if let Some(t) = &cached {
        if t.valid(now, RENEW_WINDOW) {
            return Ok(t.access_token.clone());
        }
        if session.name.is_some()
            && t.refreshable(now)
            && let Some(renewed) = renew(ctx, asked, session)
        {
            return Ok(renewed);
        }
        if t.valid(now, MARGIN) {
            return Ok(t.access_token.clone());
        }
    }
    let why = match &cached {
        None => "has no login yet".to_owned(),
        Some(_) => "has expired and cannot be renewed".to_owned(),
    };
    if may_login {
        eprintln!("awsenv: {} {why}; logging in", session.describe());
        let token: Token = login::login(ctx, Some(asked), session, Options::default_for(session))
            .map_err(|e| Error::credentials(asked, e))?;
        return Ok(token.access_token);
    }
    Err(Error::credentials(
        asked,
        format!(
            "{} {why}; run `{}`",
            session.describe(),
            super::login_command(asked)
        ),
    ))
}

/// The token renewed by aws-config's own provider (which rewrites the token file), or
/// `None` when the refresh failed.
fn renew(ctx: &Context, asked: &str, session: &Session) -> Option<String> {
    let name = session.name.clone()?;
    let aws = super::aws(ctx, Service::SSO_OIDC, Some(asked), &session.region).ok()?;
    let got = aws.block_on(async {
        let provider = aws_config::sso::SsoTokenProvider::builder()
            .configure(aws.sdk_config())
            .region(aws_config::Region::new(session.region.clone()))
            .session_name(name)
            .start_url(session.start_url.clone())
            .build()
            .await;
        provider.provide_token().await
    });
    let token = got.ok()?;
    if let Some(path) = token::path(ctx, session.id()) {
        crate::platform::make_private(&path);
    }
    let fresh = token
        .expiration()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .is_some_and(|d| d.as_secs() as i64 - ctx.now() > MARGIN);
    fresh.then(|| token.token().to_owned())
}

/// Why the portal gave no credentials.
enum Refused {
    /// The token was not accepted (revoked, signed out elsewhere): a new login helps.
    Unauthorized(String),
    Other(String),
    /// The settings are wrong (a CA bundle that cannot be read): exit 2.
    Usage(Error),
}

impl Refused {
    fn error(self, asked: &str) -> Error {
        match self {
            Refused::Usage(e) => e,
            other => Error::credentials(asked, other.message()),
        }
    }

    fn message(self) -> String {
        match self {
            Refused::Unauthorized(m) | Refused::Other(m) => m,
            Refused::Usage(e) => e.to_string(),
        }
    }
}

fn role_credentials(
    ctx: &Context,
    role: &Role,
    asked: &str,
    access_token: &str,
) -> std::result::Result<Credentials, Refused> {
    let failed = Refused::Usage;
    let aws = super::aws(ctx, Service::SSO, Some(asked), &role.session.region).map_err(failed)?;
    let endpoint = portal_endpoint(aws.settings()).map_err(failed)?;
    let client = portal_client(&aws);
    let call = client
        .get_role_credentials()
        .account_id(&role.account_id)
        .role_name(&role.role_name)
        .access_token(access_token);
    let reply = aws.block_on(call.send()).map_err(|e| {
        use aws_sdk_sso::error::ProvideErrorMetadata;
        let what = format!(
            "GetRoleCredentials for role {} in account {}",
            role.role_name, role.account_id
        );
        let message = sdk_failure(&what, &endpoint, &e);
        match e.code() {
            Some("UnauthorizedException") => Refused::Unauthorized(message),
            Some("ForbiddenException") => Refused::Other(format!(
                "{message}; check that the SSO user is granted this role in this account"
            )),
            _ => Refused::Other(message),
        }
    })?;
    let malformed = || {
        Refused::Other(format!(
            "GetRoleCredentials: {endpoint} sent a reply awsenv could not read; check AWS_ENDPOINT_URL_SSO"
        ))
    };
    let rc = reply.role_credentials().ok_or_else(malformed)?;
    let creds = Credentials {
        access_key_id: rc.access_key_id().unwrap_or_default().to_owned(),
        secret_access_key: rc.secret_access_key().unwrap_or_default().to_owned(),
        session_token: rc.session_token().map(str::to_owned),
        // The portal says milliseconds.
        expires_at: Some(rc.expiration() / 1000),
    };
    crate::sts::validate(&creds, ctx.now())
        .map(|()| creds)
        .map_err(|m| Refused::Other(format!("GetRoleCredentials at {endpoint}: {m}")))
}
