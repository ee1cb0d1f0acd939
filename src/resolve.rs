//! From a profile name to credentials: the chain from `profile`, then static keys, the
//! cache, or STS.
//!
//! This is the one entry point `assume`, `exec` and `credential-process` share. Every check
//! of the configuration happens before any request; the cache is consulted before `sts` is
//! touched, so a cache hit starts no runtime and loads no TLS roots.

use crate::cache::{self, Cache, Key};
use crate::env::{self, Context, Credentials};
use crate::error::{Error, Result};
use crate::mfa;
use crate::profile::{Chain, Config, Kind, RoleHop, Source};
use crate::sso;
use crate::sts::{self, AssumeRole, Provided, Sts};

/// Role sessions without a profile or `--duration` setting last this long; so do the
/// intermediate hops of a chain (AWS caps chained role sessions at an hour anyway).
const DEFAULT_DURATION: i64 = 3600;
/// How long a cached MFA session (GetSessionToken) lasts.
const MFA_SESSION: i64 = 43_200;

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
    /// Never start an SSO login, even on a terminal.
    pub no_login: bool,
    /// Hand out a keyring profile's long-term key itself, not a GetSessionToken session.
    pub no_session: bool,
}

/// Credentials and the region that goes with them.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub credentials: Credentials,
    pub region: Option<String>,
}

/// Resolve `request.profile` to credentials.
pub fn resolve(ctx: &Context, config: &Config, request: &Request) -> Result<Resolved> {
    let chain = config.chain(&request.profile)?;
    let region = request.region.clone().or(chain.region.clone());
    let credentials = match (&chain.source, chain.roles.is_empty()) {
        // Static keys need no STS client: built apart from `source_credentials`.
        (Source::Static { keys, .. }, true) => keys.credentials(),
        // Keyring keys become a cached session: a hit reads neither the keyring nor STS.
        (Source::Keyring { profile }, true) => {
            keyring_session(ctx, config, profile, request, region.as_deref())?
        }
        // So does an SSO profile: the portal, not STS, and a cache hit starts nothing.
        (
            Source::Provider {
                profile,
                kind: Kind::Sso,
            },
            true,
        ) => sso_credentials(ctx, config, profile, request)?,
        (_, true) => {
            let sts = client(ctx, region.as_deref(), &request.profile)?;
            source_credentials(ctx, &sts, config, &chain, request)?
        }
        (_, false) => {
            let plan = Plan::check(ctx, &chain, request)?;
            roles(ctx, config, &chain, &plan, request, region.as_deref())?
        }
    };
    Ok(Resolved {
        credentials,
        region,
    })
}

/// Like `resolve`, but never long-term keys: those become a `GetSessionToken` session,
/// cached like a role's (the credential server must hand out temporary credentials that
/// expire). Static keys with a static session token have no expiry to serve: an error.
pub fn resolve_temporary(ctx: &Context, config: &Config, request: &Request) -> Result<Resolved> {
    let resolved = resolve(ctx, config, request)?;
    let creds = &resolved.credentials;
    match (&creds.session_token, creds.expires_at) {
        (Some(_), Some(_)) => Ok(resolved),
        (Some(_), None) => Err(Error::usage(
            &request.profile,
            "its aws_session_token has no known expiry, and the endpoint must hand out one; use a profile with long-term keys or a role",
        )),
        (None, _) => {
            let key = Key {
                profile: request.profile.clone(),
                role_chain: vec![format!(
                    "endpoint={}",
                    sts::custom_endpoint(ctx).unwrap_or("")
                )],
                duration: Some(request.duration.unwrap_or(DEFAULT_DURATION)),
                mfa_serial: None,
                kind: "session",
            };
            let store = Cache::open(ctx);
            let session = cached(ctx, store.as_ref(), &key, request.refresh, || {
                let sts = client(ctx, resolved.region.as_deref(), &request.profile)?;
                sts.session_token(creds, None, key.duration.unwrap_or(DEFAULT_DURATION))
                    .map_err(|f| {
                        Error::credentials(
                            &request.profile,
                            format!("GetSessionToken with its long-term keys: {f}"),
                        )
                    })
            })?;
            Ok(Resolved {
                credentials: session,
                region: resolved.region,
            })
        }
    }
}

/// A keyring profile's GetSessionToken session (with MFA when it has `mfa_serial`), from
/// the cache when it holds one; the keyring is read only on a miss. `--no-session`: the
/// long-term key itself.
fn keyring_session(
    ctx: &Context,
    config: &Config,
    profile: &str,
    request: &Request,
    region: Option<&str>,
) -> Result<Credentials> {
    if request.no_session {
        return crate::keys::long_term(ctx, profile);
    }
    let mfa_serial = config
        .get(profile)
        .and_then(|p| p.get("mfa_serial"))
        .map(str::to_owned);
    let duration = request.duration.unwrap_or(DEFAULT_DURATION);
    let code = mfa::Code::new(
        request.mfa_code.as_deref(),
        request.no_input,
        &request.profile,
    )?;
    let key = Key {
        profile: profile.to_owned(),
        role_chain: vec![
            "keyring".to_owned(),
            format!("endpoint={}", sts::custom_endpoint(ctx).unwrap_or("")),
        ],
        duration: Some(duration),
        mfa_serial: mfa_serial.clone(),
        kind: "session",
    };
    let store = Cache::open(ctx);
    cached(ctx, store.as_ref(), &key, request.refresh, || {
        let long_term = crate::keys::long_term(ctx, profile)?;
        let sts = client(ctx, region, &request.profile)?;
        let mfa = match &mfa_serial {
            Some(serial) => Some((serial.as_str(), code.get(serial, &request.profile)?)),
            None => None,
        };
        sts.session_token(
            &long_term,
            mfa.as_ref().map(|(s, c)| (*s, c.as_str())),
            duration,
        )
        .map_err(|f| {
            Error::credentials(
                &request.profile,
                format!("GetSessionToken with its key from the keyring: {f}"),
            )
        })
    })
}

/// Everything about a role chain that can be checked without a request.
struct Plan {
    duration: i64,
    session_names: Vec<String>,
    code: mfa::Code,
}

impl Plan {
    fn check(ctx: &Context, chain: &Chain, request: &Request) -> Result<Self> {
        let target = chain.roles.last().map(|hop| &hop.profile);
        let configured = chain
            .roles
            .last()
            .and_then(|hop| hop.duration_seconds.as_deref());
        let duration = match (request.duration, configured) {
            (Some(secs), _) => secs,
            (None, Some(text)) => {
                crate::duration::session_duration(text, target.map_or(&request.profile, |p| p))?
            }
            (None, None) => DEFAULT_DURATION,
        };
        let session_names = chain
            .roles
            .iter()
            .map(|hop| session_name(ctx, hop, &request.profile))
            .collect();
        let code = mfa::Code::new(
            request.mfa_code.as_deref(),
            request.no_input,
            &request.profile,
        )?;
        Ok(Self {
            duration,
            session_names,
            code,
        })
    }
}

/// The hop's `role_session_name`, else `awsenv-<user>-<unix time>` in STS's alphabet.
fn session_name(ctx: &Context, hop: &RoleHop, profile: &str) -> String {
    if let Some(name) = &hop.session_name {
        return name.clone();
    }
    let who = ctx.var("USER").unwrap_or(profile);
    let name: String = format!("awsenv-{who}-{}", ctx.now())
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_+=,.@-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    // Keep the time: trim the middle (the user part) when the whole is too long.
    if name.len() <= 64 {
        name
    } else {
        let tail = format!("-{}", ctx.now());
        format!("{}{tail}", &name[..64 - tail.len()])
    }
}

/// A role chain's credentials, from the cache when it holds them, else hop by hop from STS.
fn roles(
    ctx: &Context,
    config: &Config,
    chain: &Chain,
    plan: &Plan,
    request: &Request,
    region: Option<&str>,
) -> Result<Credentials> {
    let key = Key {
        profile: request.profile.clone(),
        role_chain: chain_identity(ctx, chain),
        duration: Some(plan.duration),
        mfa_serial: chain.roles.iter().find_map(|h| h.mfa_serial.clone()),
        kind: "role",
    };
    let store = Cache::open(ctx);
    cached(ctx, store.as_ref(), &key, request.refresh, || {
        let sts = client(ctx, region, &request.profile)?;
        let hops = Hops {
            ctx,
            sts: &sts,
            store: store.as_ref(),
            chain,
            code: &plan.code,
            profile: &request.profile,
        };
        let source = source_credentials(ctx, &sts, config, chain, request)?;
        hops.assume_all(source, plan)
    })
}

/// What makes one chain's session differ from another's beyond the role ARNs: the source,
/// each hop's external id and configured session name, and the STS endpoint. A change to
/// any of them must not be served the old session.
fn chain_identity(ctx: &Context, chain: &Chain) -> Vec<String> {
    let endpoint = sts::custom_endpoint(ctx).unwrap_or("");
    let mut parts = vec![
        format!("source={}", chain.source.profile()),
        format!("endpoint={endpoint}"),
    ];
    parts.extend(chain.roles.iter().map(|hop| {
        format!(
            "{} external_id={} session={}",
            hop.role_arn,
            hop.external_id.as_deref().unwrap_or(""),
            hop.session_name.as_deref().unwrap_or("")
        )
    }));
    parts
}

/// lock → get (unless `refresh`) → miss: `fetch` → put. A cache that fails to store still
/// yields the credentials, with one warning.
fn cached(
    ctx: &Context,
    store: Option<&Cache>,
    key: &Key,
    refresh: bool,
    fetch: impl FnOnce() -> Result<Credentials>,
) -> Result<Credentials> {
    let Some(store) = store else {
        return fetch();
    };
    // Entries are renamed into place whole, so a hit needs no lock; only a miss takes it,
    // and looks again under it, in case another awsenv stored the entry meanwhile.
    let window = cache::refresh_window(ctx);
    if !refresh && let Some(hit) = store.get(key, ctx.now(), window) {
        return Ok(hit);
    }
    let _lock = store
        .lock(key)
        .map_err(|e| eprintln!("awsenv: warning: cannot lock the cache ({e}); going on without"))
        .ok();
    if !refresh && let Some(hit) = store.get(key, ctx.now(), window) {
        return Ok(hit);
    }
    let fresh = fetch()?;
    if let Err(e) = store.put(key, &fresh) {
        eprintln!("awsenv: warning: {e}; the credentials were not cached");
    }
    Ok(fresh)
}

/// The AssumeRole calls of one chain.
struct Hops<'a> {
    ctx: &'a Context,
    sts: &'a Sts,
    store: Option<&'a Cache>,
    chain: &'a Chain,
    code: &'a mfa::Code,
    profile: &'a str,
}

impl Hops<'_> {
    fn assume_all(&self, source: Credentials, plan: &Plan) -> Result<Credentials> {
        let mut creds = source;
        let last = self.chain.roles.len().saturating_sub(1);
        for (i, hop) in self.chain.roles.iter().enumerate() {
            let duration = if i == last {
                plan.duration
            } else {
                DEFAULT_DURATION
            };
            creds = self.assume(i, hop, creds, duration, &plan.session_names[i])?;
        }
        Ok(creds)
    }

    /// One hop. With `mfa_serial`, long-term keys first become a (cached) MFA session;
    /// temporary ones pass the code to AssumeRole itself.
    fn assume(
        &self,
        i: usize,
        hop: &RoleHop,
        creds: Credentials,
        duration: i64,
        session_name: &str,
    ) -> Result<Credentials> {
        let mut code = None;
        let creds = match &hop.mfa_serial {
            Some(serial) if creds.session_token.is_none() => self.mfa_session(serial, &creds)?,
            Some(serial) => {
                code = Some(self.code_for(serial)?);
                creds
            }
            None => creds,
        };
        let request = AssumeRole {
            role_arn: &hop.role_arn,
            session_name,
            duration,
            external_id: hop.external_id.as_deref(),
            mfa: hop.mfa_serial.as_deref().zip(code.as_deref()),
        };
        self.sts
            .assume_role(&creds, &request)
            .map_err(|f| self.failed(i, hop, f))
    }

    /// The source's GetSessionToken for `serial`, from the cache when it is still good.
    fn mfa_session(&self, serial: &str, long_term: &Credentials) -> Result<Credentials> {
        let key = Key {
            profile: self.chain.source.profile().to_owned(),
            role_chain: Vec::new(),
            duration: Some(MFA_SESSION),
            mfa_serial: Some(serial.to_owned()),
            kind: "mfa-session",
        };
        let (ctx, sts, profile) = (self.ctx, self.sts, self.profile);
        // A valid MFA session is reused even with --refresh: refreshing the role must not
        // need a new code.
        let code = self.code;
        cached(ctx, self.store, &key, false, || {
            let code = code.get(serial, profile)?;
            sts.session_token(long_term, Some((serial, &code)), MFA_SESSION)
                .map_err(|f| f.for_profile(profile))
        })
    }

    fn code_for(&self, serial: &str) -> Result<String> {
        self.code.get(serial, self.profile)
    }

    fn failed(&self, i: usize, hop: &RoleHop, failure: sts::Failure) -> Error {
        let from = if i == 0 {
            format!("source profile `{}`", self.chain.source.profile())
        } else {
            format!("profile `{}`", self.chain.roles[i - 1].profile)
        };
        Error::credentials(
            self.profile,
            format!(
                "assuming {} (profile `{}`) with the credentials of {from}: {failure}",
                hop.role_arn, hop.profile
            ),
        )
    }
}

fn client(ctx: &Context, region: Option<&str>, profile: &str) -> Result<Sts> {
    Sts::new(ctx, region).map_err(|f| f.for_profile(profile))
}

/// The credentials at the root of the chain.
fn source_credentials(
    ctx: &Context,
    sts: &Sts,
    config: &Config,
    chain: &Chain,
    request: &Request,
) -> Result<Credentials> {
    let profile = request.profile.as_str();
    let provided = match &chain.source {
        Source::Static { keys, .. } => return Ok(keys.credentials()),
        Source::Keyring { profile } => return crate::keys::long_term(ctx, profile),
        Source::Provider {
            profile: sso_profile,
            kind: Kind::Sso,
        } => return sso_credentials(ctx, config, sso_profile, request),
        Source::CredentialSource { source, .. } if source == "Environment" => {
            return environment(ctx, profile);
        }
        Source::CredentialSource { source, .. } if source == "EcsContainer" => Provided::Ecs,
        Source::CredentialSource { .. } => Provided::Imds,
        Source::Provider { profile, kind } => Provided::Profile {
            name: profile,
            kind: *kind,
            config_file: config.config_path(),
            credentials_file: config.credentials_path(),
        },
    };
    sts.provided(&provided).map_err(|f| f.for_profile(profile))
}

/// An SSO profile's role credentials, from awsenv's cache (keyed on session, account and
/// role) or the portal; `--refresh` skips the cache entry.
fn sso_credentials(
    ctx: &Context,
    config: &Config,
    sso_profile: &str,
    request: &Request,
) -> Result<Credentials> {
    let role = sso::credentials::Role::of(config, sso_profile, &request.profile)?;
    let store = Cache::open(ctx);
    let login = sso::credentials::Login {
        allowed: !request.no_login,
    };
    cached(ctx, store.as_ref(), &role.key(ctx), request.refresh, || {
        sso::credentials::fetch(ctx, &role, &request.profile, login)
    })
}

/// `credential_source = Environment`: the `AWS_*` keys, unless awsenv itself exported them
/// (for another profile, or expired): those must never sign a new request.
fn environment(ctx: &Context, profile: &str) -> Result<Credentials> {
    if let Some(exported) = ctx.var(env::PROFILE) {
        return Err(Error::credentials(
            profile,
            format!(
                "credential_source = Environment, but the AWS_* keys here are the ones awsenv exported for profile `{exported}`; run `awsenv unset` and export the source keys"
            ),
        ));
    }
    let (expires, _) = env::expiry(ctx);
    if expires.is_some_and(|at| at <= ctx.now()) {
        return Err(Error::credentials(
            profile,
            "credential_source = Environment, but the AWS_* keys in the environment are expired; export fresh ones",
        ));
    }
    Credentials::from_env(ctx).ok_or_else(|| {
        Error::credentials(
            profile,
            "credential_source = Environment, but AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not both set; export them",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(vars: &[(&str, &str)]) -> Context {
        Context::fake(vars, 1_700_000_000)
    }

    fn hop(name: Option<&str>) -> RoleHop {
        RoleHop {
            profile: "p".into(),
            role_arn: "arn:aws:iam::1:role/r".into(),
            external_id: None,
            session_name: name.map(str::to_owned),
            duration_seconds: None,
            mfa_serial: None,
        }
    }

    #[test]
    fn default_session_names_are_valid_for_sts() {
        let name = session_name(&ctx(&[("USER", "jo doe/x")]), &hop(None), "p");
        assert_eq!(name, "awsenv-jo-doe-x-1700000000");
        let long = "u".repeat(100);
        let name = session_name(&ctx(&[("USER", &long)]), &hop(None), "p");
        assert_eq!(name.len(), 64);
        assert!(name.ends_with("-1700000000"));
        assert_eq!(
            session_name(&ctx(&[]), &hop(None), "prod"),
            "awsenv-prod-1700000000"
        );
        assert_eq!(session_name(&ctx(&[]), &hop(Some("mine")), "p"), "mine");
    }

    #[test]
    fn a_changed_source_external_id_or_endpoint_is_another_session() {
        let chain = |source: &str, external_id: Option<&str>| Chain {
            profile: "p".into(),
            source: Source::CredentialSource {
                profile: source.into(),
                source: "Environment".into(),
            },
            roles: vec![RoleHop {
                external_id: external_id.map(str::to_owned),
                ..hop(None)
            }],
            region: None,
        };
        let base = chain_identity(&ctx(&[]), &chain("a", None));
        assert_ne!(base, chain_identity(&ctx(&[]), &chain("b", None)));
        assert_ne!(base, chain_identity(&ctx(&[]), &chain("a", Some("x"))));
        let other_sts = ctx(&[("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:1")]);
        assert_ne!(base, chain_identity(&other_sts, &chain("a", None)));
        assert_eq!(base, chain_identity(&ctx(&[]), &chain("a", None)));
    }

    #[test]
    fn environment_source_refuses_awsenv_exports_and_expired_keys() {
        let keys = [
            ("AWS_ACCESS_KEY_ID", "AKID"),
            ("AWS_SECRET_ACCESS_KEY", "s"),
        ];
        assert!(environment(&ctx(&keys), "p").is_ok());
        let mut ours = keys.to_vec();
        ours.push(("AWSENV_PROFILE", "other"));
        let err = environment(&ctx(&ours), "p").unwrap_err();
        assert!(err.to_string().contains("`other`"), "{err}");
        let mut old = keys.to_vec();
        old.push(("AWS_CREDENTIAL_EXPIRATION", "2001-01-01T00:00:00Z"));
        assert_eq!(environment(&ctx(&old), "p").unwrap_err().exit_code(), 1);
        assert!(environment(&ctx(&[]), "p").is_err());
    }
}
