//! From a profile name to credentials: the chain from `profile`, then static keys, the
//! cache, or STS.
//!
//! This is the one entry point `assume`, `exec` and `credential-process` share. Every check
//! of the configuration happens before any request; the cache is consulted before `sts` is
//! touched, so a cache hit starts no runtime and loads no TLS roots.

use crate::cache::{self, Cache, Key};
use crate::env::{self, Context, Credentials};
use crate::error::{Error, Result};
use crate::log::debug;
use crate::mfa;
use crate::profile::{Chain, Config, Kind, Profile, RoleHop, Source, StaticKeys};
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
            let sts = client(ctx, config, region.as_deref(), &request.profile)?;
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

/// The chain `name` resolves to, by the rules botocore (the AWS CLI) and aws-config share;
/// where they differ, the AWS CLI's. Each rule has a unit test named after it:
///
/// - a source profile with static keys ends the chain there: its own `role_arn` is not
///   assumed;
/// - the selected profile's keys are ignored when it has `role_arn` (it is assumed);
/// - `source_profile` and `credential_source` together are an error;
/// - a profile whose `source_profile` is itself uses its own keys, once;
/// - half a key pair is an error naming the missing half;
/// - a `source_profile` cycle is an error naming it;
/// - `web_identity_token_file` needs `role_arn`;
/// - `credential_source` is one of `Environment`, `Ec2InstanceMetadata`, `EcsContainer`.
pub fn chain(config: &Config, name: &str) -> Result<Chain> {
    let mut roles = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    let mut region = None;
    let mut current = name.to_owned();
    loop {
        if seen.contains(&current) {
            seen.push(current);
            return Err(Error::usage(
                name,
                format!(
                    "source_profile cycle: {}; point one of them at a profile with keys",
                    seen.join(" -> ")
                ),
            ));
        }
        let profile = match config.get(&current) {
            Some(p) => p,
            None if current == name => return Err(config.unknown(name)),
            None => {
                return Err(Error::usage(
                    name,
                    format!(
                        "source_profile `{current}` (named by `{}`) does not exist; add it or fix the name",
                        seen.last().map_or(name, String::as_str)
                    ),
                ));
            }
        };
        seen.push(current.clone());
        if region.is_none() {
            region = profile.get("region").map(str::to_owned);
        }
        let kind = config.kind_of(profile);
        // Keys in the keyring win over a plaintext copy, and end the chain as keys do.
        if kind == Kind::Keyring {
            let source = Source::Keyring {
                profile: current.clone(),
            };
            return Ok(finished(name, source, roles, region));
        }
        // Past the selected profile, static keys come first: botocore and aws-config both
        // stop at a source profile that has them, whatever else it sets.
        if seen.len() > 1 && has_keys(profile) {
            let source = Source::Static {
                profile: current.clone(),
                keys: static_keys(profile, name)?,
            };
            return Ok(finished(name, source, roles, region));
        }
        let source = match kind {
            Kind::Keyring => unreachable!("returned above"),
            Kind::WebIdentity if profile.get("role_arn").is_none() => {
                return Err(Error::usage(
                    name,
                    format!(
                        "profile `{current}` sets web_identity_token_file but no role_arn; add role_arn (the role the token is exchanged for)"
                    ),
                ));
            }
            Kind::Role => {
                roles.push(role_hop(profile));
                match (
                    profile.get("source_profile"),
                    profile.get("credential_source"),
                ) {
                    (Some(_), Some(_)) => {
                        return Err(Error::usage(
                            name,
                            format!(
                                "profile `{current}` sets both source_profile and credential_source; keep one"
                            ),
                        ));
                    }
                    (Some(next), None) if next == current => {
                        // Its own keys sign the AssumeRole of its own role_arn, once.
                        Source::Static {
                            profile: current.clone(),
                            keys: static_keys(profile, name)?,
                        }
                    }
                    (Some(next), None) => {
                        current = next.to_owned();
                        continue;
                    }
                    (None, Some(source)) => match source {
                        "Environment" | "Ec2InstanceMetadata" | "EcsContainer" => {
                            Source::CredentialSource {
                                profile: current.clone(),
                                source: source.to_owned(),
                            }
                        }
                        other => {
                            return Err(Error::usage(
                                name,
                                format!(
                                    "credential_source `{other}` in profile `{current}` is not one of Environment, Ec2InstanceMetadata, EcsContainer"
                                ),
                            ));
                        }
                    },
                    (None, None) => {
                        return Err(Error::usage(
                            name,
                            format!(
                                "profile `{current}` has role_arn but no source_profile or credential_source; add one"
                            ),
                        ));
                    }
                }
            }
            Kind::Static => Source::Static {
                profile: current.clone(),
                keys: static_keys(profile, name)?,
            },
            kind @ (Kind::Sso | Kind::Login | Kind::Process | Kind::WebIdentity) => {
                Source::Provider {
                    profile: current.clone(),
                    kind,
                }
            }
            Kind::None if has_keys(profile) => Source::Static {
                profile: current.clone(),
                keys: static_keys(profile, name)?,
            },
            Kind::None => {
                let what = if current == name {
                    "has no credentials (no keys, role_arn, sso, login_session, credential_process or web_identity_token_file)".to_owned()
                } else {
                    format!(
                        "is the source of `{}` but has no credentials",
                        seen[seen.len() - 2]
                    )
                };
                return Err(Error::usage(
                    name,
                    format!("profile `{current}` {what}; add them or pick another profile"),
                ));
            }
        };
        return Ok(finished(name, source, roles, region));
    }
}

fn finished(name: &str, source: Source, mut roles: Vec<RoleHop>, region: Option<String>) -> Chain {
    roles.reverse();
    let chain = Chain {
        profile: name.to_owned(),
        source,
        roles,
        region,
    };
    debug!(
        "profile `{name}`: {} from {}",
        chain
            .roles
            .iter()
            .map(|hop| format!("assume {} (profile `{}`)", hop.role_arn, hop.profile))
            .rev()
            .collect::<Vec<_>>()
            .join(" <- "),
        describe_source(&chain.source)
    );
    chain
}

fn describe_source(source: &Source) -> String {
    match source {
        Source::Static { profile, keys } => format!(
            "static keys {} of profile `{profile}`",
            env::mask_key_id(&keys.access_key_id)
        ),
        Source::CredentialSource { profile, source } => {
            format!("credential_source {source} of profile `{profile}`")
        }
        Source::Provider { profile, kind } => {
            format!("the SDK's {} provider for profile `{profile}`", kind.name())
        }
        Source::Keyring { profile } => format!("the keyring's key of profile `{profile}`"),
    }
}

/// botocore's test for static credentials: either half of the key pair.
fn has_keys(profile: &Profile) -> bool {
    ["aws_access_key_id", "aws_secret_access_key"]
        .iter()
        .any(|key| profile.get(key).is_some())
}

fn role_hop(profile: &Profile) -> RoleHop {
    let get = |k: &str| profile.get(k).map(str::to_owned);
    RoleHop {
        profile: profile.name().to_owned(),
        role_arn: get("role_arn").unwrap_or_default(),
        external_id: get("external_id"),
        session_name: get("role_session_name"),
        duration_seconds: get("duration_seconds"),
        mfa_serial: get("mfa_serial"),
    }
}

/// The profile's key pair; half of one is an error naming the missing half.
fn static_keys(profile: &Profile, wanted: &str) -> Result<StaticKeys> {
    let get = |key: &str| profile.get(key).filter(|v| !v.is_empty());
    let whose = if profile.name() == wanted {
        "it".to_owned()
    } else {
        format!("its source profile `{}`", profile.name())
    };
    let (access_key_id, secret) = match (get("aws_access_key_id"), get("aws_secret_access_key")) {
        (Some(id), Some(secret)) => (id, secret),
        (id, _) => {
            let (has, lacks) = if id.is_some() {
                ("aws_access_key_id", "aws_secret_access_key")
            } else {
                ("aws_secret_access_key", "aws_access_key_id")
            };
            let has = if get(has).is_some() {
                format!("has {has} but ")
            } else {
                String::new()
            };
            return Err(Error::usage(
                wanted,
                format!("{whose} {has}lacks {lacks}; add it"),
            ));
        }
    };
    Ok(StaticKeys {
        access_key_id: access_key_id.to_owned(),
        secret_access_key: secret.to_owned(),
        session_token: get("aws_session_token").map(str::to_owned),
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
                let sts = client(ctx, config, resolved.region.as_deref(), &request.profile)?;
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
        let sts = client(ctx, config, region, &request.profile)?;
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
    let key = role_key(ctx, chain, plan, request);
    let store = Cache::open(ctx);
    cached(ctx, store.as_ref(), &key, request.refresh, || {
        let sts = client(ctx, config, region, &request.profile)?;
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

/// The cache entry of a role chain's session.
fn role_key(ctx: &Context, chain: &Chain, plan: &Plan, request: &Request) -> Key {
    Key {
        profile: request.profile.clone(),
        role_chain: chain_identity(ctx, chain),
        duration: Some(plan.duration),
        mfa_serial: chain.roles.iter().find_map(|h| h.mfa_serial.clone()),
        kind: "role",
    }
}

/// The cache entry of the MFA session (GetSessionToken) of `chain`'s source for `serial`.
fn mfa_session_key(chain: &Chain, serial: &str) -> Key {
    Key {
        profile: chain.source.profile().to_owned(),
        role_chain: Vec::new(),
        duration: Some(MFA_SESSION),
        mfa_serial: Some(serial.to_owned()),
        kind: "mfa-session",
    }
}

/// Why `request` could not be resolved without asking anything (an MFA code, an SSO
/// login), as far as the files and the caches tell without a request; `None` when nothing
/// is in the way. The background renewal does not start then. Anything this cannot see
/// (STS refusing, a lost network) makes the renewal itself fail, with a message.
pub fn needs_input(ctx: &Context, config: &Config, request: &Request) -> Result<Option<String>> {
    let chain = config.chain(&request.profile)?;
    let store = Cache::open(ctx);
    let (now, window) = (ctx.now(), cache::refresh_window(ctx));
    let hit = |key: &Key| {
        store
            .as_ref()
            .is_some_and(|s| s.get(key, now, window).is_some())
    };
    if !chain.roles.is_empty() {
        let plan = Plan::check(ctx, &chain, request)?;
        if hit(&role_key(ctx, &chain, &plan, request)) {
            return Ok(None);
        }
        let long_term_source = matches!(
            &chain.source,
            Source::Static { keys, .. } if keys.session_token.is_none()
        );
        for (i, hop) in chain.roles.iter().enumerate() {
            let Some(serial) = &hop.mfa_serial else {
                continue;
            };
            // Long-term keys sign the first hop through a cached MFA session; anything else
            // passes a code to AssumeRole itself.
            if i == 0 && long_term_source && hit(&mfa_session_key(&chain, serial)) {
                continue;
            }
            return Ok(Some(format!(
                "assuming {} {}; run `awsenv assume {}` in a terminal",
                hop.role_arn,
                mfa::NEEDS_CODE,
                shell_words::quote(&request.profile)
            )));
        }
    }
    if let Source::Provider {
        profile: sso_profile,
        kind: Kind::Sso,
    } = &chain.source
    {
        let role = sso::credentials::Role::of(config, sso_profile, &request.profile)?;
        let usable = match sso::credentials::token_state(ctx, &role.session) {
            sso::credentials::TokenState::Missing => false,
            sso::credentials::TokenState::Valid { .. } => true,
            sso::credentials::TokenState::Expired { refreshable, .. } => refreshable,
        };
        if !usable && !hit(&role.key(ctx)) {
            return Ok(Some(format!(
                "{} needs a login; run `{}`",
                role.session.describe(),
                sso::login_command(&request.profile)
            )));
        }
    }
    Ok(None)
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
        debug!(
            "no cache: fetching the {} credentials of `{}`",
            key.kind, key.profile
        );
        return fetch();
    };
    // Entries are renamed into place whole, so a hit needs no lock; only a miss takes it,
    // and looks again under it, in case another awsenv stored the entry meanwhile.
    let window = cache::refresh_window(ctx);
    if !refresh && let Some(hit) = store.get(key, ctx.now(), window) {
        debug!(
            "cache hit: {} credentials of `{}` ({}), {} s left",
            key.kind,
            key.profile,
            env::mask_key_id(&hit.access_key_id),
            hit.expires_at.map_or(0, |at| at - ctx.now())
        );
        return Ok(hit);
    }
    let _lock = store
        .lock(key)
        .map_err(|e| eprintln!("awsenv: warning: cannot lock the cache ({e}); going on without"))
        .ok();
    if !refresh && let Some(hit) = store.get(key, ctx.now(), window) {
        return Ok(hit);
    }
    debug!(
        "cache miss: {} credentials of `{}`{}",
        key.kind,
        key.profile,
        if refresh { " (--refresh)" } else { "" }
    );
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
        let key = mfa_session_key(self.chain, serial);
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

/// The STS client for `profile`'s requests: its settings govern every hop of its chain, as
/// the AWS CLI has it.
fn client(ctx: &Context, config: &Config, region: Option<&str>, profile: &str) -> Result<Sts> {
    Sts::new(ctx, Some(config), Some(profile), region)
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

    /// The files `text` (as the config file), loaded as `assume` loads them.
    fn files(text: &str) -> (tempfile::TempDir, Config) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config");
        std::fs::write(&file, text).unwrap();
        let ctx = ctx(&[
            ("AWS_CONFIG_FILE", file.to_str().unwrap()),
            ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials"),
        ]);
        let config = Config::load(&ctx).unwrap();
        (dir, config)
    }

    fn keys(id: &str) -> String {
        format!("aws_access_key_id = {id}\naws_secret_access_key = secret-{id}\n")
    }

    fn hops(chain: &Chain) -> Vec<&str> {
        chain.roles.iter().map(|h| h.profile.as_str()).collect()
    }

    fn signer(chain: &Chain) -> (&str, &str) {
        match &chain.source {
            Source::Static { profile, keys } => (profile.as_str(), keys.access_key_id.as_str()),
            other => panic!("not static keys: {other:?}"),
        }
    }

    #[test]
    fn static_keys_on_a_source_profile_end_the_chain() {
        let (_d, config) = files(&format!(
            "[profile A]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = B\n\n\
             [profile B]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = C\n{}\n\
             [profile C]\n{}",
            keys("AKIAB"),
            keys("AKIAC")
        ));
        let chain = chain(&config, "A").unwrap();
        assert_eq!(hops(&chain), ["A"], "B's role is never assumed");
        assert_eq!(signer(&chain), ("B", "AKIAB"));
    }

    #[test]
    fn keys_on_the_selected_profile_are_ignored_when_it_has_role_arn_and_source_profile() {
        let (_d, config) = files(&format!(
            "[profile A]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = B\n{}\n\
             [profile B]\n{}",
            keys("AKIAA"),
            keys("AKIAB")
        ));
        let chain = chain(&config, "A").unwrap();
        assert_eq!(hops(&chain), ["A"]);
        assert_eq!(signer(&chain), ("B", "AKIAB"));
    }

    #[test]
    fn source_profile_and_credential_source_together_are_an_error() {
        let (_d, config) = files(&format!(
            "[profile A]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = B\n\
             credential_source = Environment\n\n[profile B]\n{}",
            keys("AKIAB")
        ));
        let err = chain(&config, "A").unwrap_err();
        assert_eq!(err.exit_code(), 2);
        let said = err.to_string();
        assert!(
            said.contains("both source_profile and credential_source"),
            "{said}"
        );
    }

    #[test]
    fn a_self_referencing_profile_uses_its_own_keys_once() {
        let (_d, config) = files(&format!(
            "[profile A]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = A\n{}",
            keys("AKIAA")
        ));
        let chain = chain(&config, "A").unwrap();
        assert_eq!(hops(&chain), ["A"], "one AssumeRole, no loop");
        assert_eq!(signer(&chain), ("A", "AKIAA"));
        // Without keys of its own it has nothing to sign with.
        let (_d, config) =
            files("[profile A]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = A\n");
        assert_eq!(chain_err(&config, "A").exit_code(), 2);
    }

    fn chain_err(config: &Config, name: &str) -> Error {
        chain(config, name).unwrap_err()
    }

    #[test]
    fn partial_keys_are_an_error_naming_the_missing_one() {
        let (_d, config) = files(
            "[profile half]\naws_access_key_id = AKIAHALF\n\n\
             [profile secret-only]\naws_secret_access_key = s\n\n\
             [profile role]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = half-source\n\n\
             [profile half-source]\naws_secret_access_key = s\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = half\n",
        );
        let said = chain_err(&config, "half").to_string();
        assert!(said.contains("lacks aws_secret_access_key"), "{said}");
        let said = chain_err(&config, "secret-only").to_string();
        assert!(
            said.contains("has aws_secret_access_key but lacks aws_access_key_id"),
            "{said}"
        );
        // On a source profile, half a pair still counts as keys (botocore): an error, not
        // its role_arn.
        let err = chain_err(&config, "role");
        assert_eq!(err.exit_code(), 2);
        let said = err.to_string();
        assert!(
            said.contains("`half-source`") && said.contains("lacks aws_access_key_id"),
            "{said}"
        );
    }

    #[test]
    fn a_source_profile_cycle_is_an_error_naming_it() {
        let (_d, config) = files(
            "[profile A]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = B\n\n\
             [profile B]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = A\n",
        );
        let err = chain_err(&config, "A");
        assert_eq!(err.exit_code(), 2);
        assert!(
            err.to_string()
                .contains("source_profile cycle: A -> B -> A"),
            "{err}"
        );
    }

    #[test]
    fn web_identity_with_role_arn_is_the_sdks_provider_even_as_a_source() {
        let (_d, config) = files(
            "[profile w]\nweb_identity_token_file = /tmp/token\nrole_arn = arn:aws:iam::1:role/w\n\n\
             [profile on-w]\nrole_arn = arn:aws:iam::1:role/o\nsource_profile = w\n",
        );
        let direct = chain(&config, "w").unwrap();
        assert!(
            direct.roles.is_empty(),
            "the provider assumes its role itself"
        );
        assert_eq!(
            direct.source,
            Source::Provider {
                profile: "w".into(),
                kind: Kind::WebIdentity
            }
        );
        let on = chain(&config, "on-w").unwrap();
        assert_eq!(hops(&on), ["on-w"]);
        assert_eq!(on.source.profile(), "w");
    }

    #[test]
    fn web_identity_without_role_arn_is_a_usage_error_naming_role_arn() {
        let (_d, config) = files("[profile w]\nweb_identity_token_file = /tmp/token\n");
        let err = chain_err(&config, "w");
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("no role_arn"), "{err}");
    }

    #[test]
    fn credential_source_is_environment_ec2_instance_metadata_or_ecs_container() {
        for source in ["Environment", "Ec2InstanceMetadata", "EcsContainer"] {
            let (_d, config) = files(&format!(
                "[profile r]\nrole_arn = arn:aws:iam::1:role/r\ncredential_source = {source}\n"
            ));
            let chain = chain(&config, "r").unwrap();
            assert_eq!(hops(&chain), ["r"]);
            assert_eq!(
                chain.source,
                Source::CredentialSource {
                    profile: "r".into(),
                    source: source.into()
                }
            );
        }
        let (_d, config) =
            files("[profile r]\nrole_arn = arn:aws:iam::1:role/r\ncredential_source = Laptop\n");
        let err = chain_err(&config, "r");
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("`Laptop`"), "{err}");
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
