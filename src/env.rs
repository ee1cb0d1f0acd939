//! The variable contract and the process context.
//!
//! `Context` holds the environment, the clock and the home directory, so that every module
//! reads them through one struct that tests fill in. The names awsenv exports, and the state
//! they describe (`Exported`), live here too. No module calls `std::env::var` directly.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

pub const ACCESS_KEY_ID: &str = "AWS_ACCESS_KEY_ID";
pub const SECRET_ACCESS_KEY: &str = "AWS_SECRET_ACCESS_KEY";
pub const SESSION_TOKEN: &str = "AWS_SESSION_TOKEN";
pub const CREDENTIAL_EXPIRATION: &str = "AWS_CREDENTIAL_EXPIRATION";
pub const REGION: &str = "AWS_REGION";
pub const DEFAULT_REGION: &str = "AWS_DEFAULT_REGION";
pub const PROFILE: &str = "AWSENV_PROFILE";
pub const EXPIRES_AT: &str = "AWSENV_EXPIRES_AT";
/// The region awsenv exported, so `unset` removes region variables only when awsenv set them.
pub const SET_REGION: &str = "AWSENV_REGION";
/// The user's own `AWS_REGION` and `AWS_DEFAULT_REGION` from before awsenv replaced them,
/// so `unset` gives them back.
pub const SAVED_REGION: &str = "AWSENV_SAVED_REGION";
pub const SAVED_DEFAULT_REGION: &str = "AWSENV_SAVED_DEFAULT_REGION";
/// Each region variable and where the user's own value waits while awsenv's is exported.
const REGION_VARS: [(&str, &str); 2] = [
    (REGION, SAVED_REGION),
    (DEFAULT_REGION, SAVED_DEFAULT_REGION),
];
/// Kept current by the prompt hook.
pub const PROMPT: &str = "AWSENV_PROMPT";

/// The container credentials endpoint `exec --server` hands a child, and its token.
pub const CONTAINER_FULL_URI: &str = "AWS_CONTAINER_CREDENTIALS_FULL_URI";
pub const CONTAINER_TOKEN: &str = "AWS_CONTAINER_AUTHORIZATION_TOKEN";
/// Variables that some SDK prefers over the container endpoint: a child of `exec --server`
/// gets none of them.
pub const OVER_ENDPOINT: [&str; 11] = [
    ACCESS_KEY_ID,
    SECRET_ACCESS_KEY,
    SESSION_TOKEN,
    SECURITY_TOKEN,
    CREDENTIAL_EXPIRATION,
    AWS_PROFILE,
    AWS_DEFAULT_PROFILE,
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    PROFILE,
    EXPIRES_AT,
];

pub const SECURITY_TOKEN: &str = "AWS_SECURITY_TOKEN";
pub const AWS_PROFILE: &str = "AWS_PROFILE";
pub const AWS_DEFAULT_PROFILE: &str = "AWS_DEFAULT_PROFILE";

/// Variables that shadow exported keys and are unset by every `assume`.
pub const SHADOWING: [&str; 3] = [SECURITY_TOKEN, AWS_PROFILE, AWS_DEFAULT_PROFILE];

/// Everything `unset` removes unconditionally (region variables are handled apart).
pub const MANAGED: [&str; 12] = [
    ACCESS_KEY_ID,
    SECRET_ACCESS_KEY,
    SESSION_TOKEN,
    CREDENTIAL_EXPIRATION,
    PROFILE,
    EXPIRES_AT,
    SET_REGION,
    SAVED_REGION,
    SAVED_DEFAULT_REGION,
    SECURITY_TOKEN,
    AWS_PROFILE,
    AWS_DEFAULT_PROFILE,
];

/// The process environment, clock and home directory, as one value.
#[derive(Debug, Clone)]
pub struct Context {
    vars: HashMap<String, String>,
    now: i64,
    home: Option<PathBuf>,
}

impl Context {
    /// The real process: its environment (UTF-8 variables only), the system clock, `$HOME`.
    pub fn from_process() -> Self {
        let vars: HashMap<String, String> = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect();
        Self::new(vars, clock())
    }

    /// The same environment, with the clock read again: for work that outlives the moment
    /// the process started (the credential server's renewals).
    pub fn later(&self) -> Self {
        Self::new(self.vars.clone(), clock())
    }

    /// A context from a list of variables and a clock, for unit tests.
    #[cfg(test)]
    pub fn fake(vars: &[(&str, &str)], now: i64) -> Self {
        let vars = vars.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        Self::new(vars.collect(), now)
    }

    /// A context from explicit variables and clock.
    pub fn new(vars: HashMap<String, String>, now: i64) -> Self {
        let home = crate::platform::home_dir(&vars);
        Self { vars, now, home }
    }

    /// A variable's value; empty counts as unset.
    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    pub fn vars(&self) -> &HashMap<String, String> {
        &self.vars
    }

    /// Now, in Unix seconds.
    pub fn now(&self) -> i64 {
        self.now
    }

    pub fn home(&self) -> Option<&PathBuf> {
        self.home.as_ref()
    }

    /// A duration variable such as `AWSENV_WARN=10m`, or `default` when unset; a malformed
    /// one is said once on stderr and `default` used.
    pub fn duration_var(&self, name: &str, default: i64) -> i64 {
        let Some(text) = self.var(name) else {
            return default;
        };
        crate::duration::parse(text).unwrap_or_else(|e| {
            eprintln!("awsenv: warning: {name}: {e}; using {default} s");
            default
        })
    }
}

/// The system clock, in Unix seconds.
pub fn clock() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// What awsenv exported into this shell, read back from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    pub profile: String,
    pub expires_at: Option<i64>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
}

impl Exported {
    /// The state awsenv left, or `None` when no `AWSENV_PROFILE` is exported.
    pub fn read(ctx: &Context) -> Option<Self> {
        let profile = ctx.var(PROFILE)?.to_owned();
        Some(Self {
            profile,
            expires_at: ctx.var(EXPIRES_AT).and_then(|v| v.parse().ok()),
            region: ctx.var(REGION).map(str::to_owned),
            access_key_id: ctx.var(ACCESS_KEY_ID).map(str::to_owned),
        })
    }

    /// Seconds left, negative once expired; `None` for long-term keys.
    pub fn remaining(&self, now: i64) -> Option<i64> {
        self.expires_at.map(|at| at - now)
    }
}

/// A key id shown to a person: its last four characters at most.
pub fn mask_key_id(key_id: &str) -> String {
    let chars: Vec<char> = key_id.chars().collect();
    let tail: String = chars[chars.len().saturating_sub(4)..].iter().collect();
    format!("…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(vars: &[(&str, &str)]) -> Context {
        Context::fake(vars, 1_000)
    }

    #[test]
    fn empty_variables_count_as_unset() {
        assert_eq!(ctx(&[("AWSENV_PROFILE", "")]).var(PROFILE), None);
        assert!(Exported::read(&ctx(&[("AWSENV_PROFILE", "")])).is_none());
    }

    #[test]
    fn exported_state_reads_expiry_as_integer() {
        let e = Exported::read(&ctx(&[(PROFILE, "prod"), (EXPIRES_AT, "1600")])).unwrap();
        assert_eq!(e.remaining(1_000), Some(600));
        let e = Exported::read(&ctx(&[(PROFILE, "prod"), (EXPIRES_AT, "junk")])).unwrap();
        assert_eq!(e.remaining(1_000), None);
    }

    #[test]
    fn key_ids_are_masked_to_four_characters() {
        assert_eq!(mask_key_id("AKIAIOSFODNN7EXAMPLE"), "…MPLE");
        assert_eq!(mask_key_id("AB"), "…AB");
    }
}

/// Credentials ready to export.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
    /// Unix seconds; `None` for long-term keys.
    pub expires_at: Option<i64>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &mask_key_id(&self.access_key_id))
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// The `AWS_*` keys of the environment with their expiry, or `None` without both keys.
    pub fn from_env(ctx: &Context) -> Option<Self> {
        Some(Self {
            access_key_id: ctx.var(ACCESS_KEY_ID)?.to_owned(),
            secret_access_key: ctx.var(SECRET_ACCESS_KEY)?.to_owned(),
            session_token: ctx.var(SESSION_TOKEN).map(str::to_owned),
            expires_at: expiry(ctx).0,
        })
    }

    /// Fixed keys with the given token and expiry, for unit tests.
    #[cfg(test)]
    pub fn fake(token: Option<&str>, expires_at: Option<i64>) -> Self {
        Self {
            access_key_id: "AKID".into(),
            secret_access_key: "secret".into(),
            session_token: token.map(str::to_owned),
            expires_at,
        }
    }
}

/// The exported expiry and the variable it was read from: `AWSENV_EXPIRES_AT`, else
/// `AWS_CREDENTIAL_EXPIRATION`.
pub fn expiry(ctx: &Context) -> (Option<i64>, Option<&'static str>) {
    if let Some(at) = ctx.var(EXPIRES_AT).and_then(|v| v.parse().ok()) {
        return (Some(at), Some(EXPIRES_AT));
    }
    let parsed = ctx
        .var(CREDENTIAL_EXPIRATION)
        .and_then(|v| chrono::DateTime::parse_from_rfc3339(v).ok())
        .map(|t| t.timestamp());
    (parsed, parsed.map(|_| CREDENTIAL_EXPIRATION))
}

/// RFC 3339 in UTC with `Z`, as AWS CLI v2 and starship write and read it.
pub fn rfc3339(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// The operations `assume` emits for `profile`: every variable of the contract.
pub fn exports(
    ctx: &Context,
    profile: &str,
    creds: &Credentials,
    region: Option<&str>,
) -> Vec<crate::shell::Op> {
    use crate::shell::Op;
    let mut ops = vec![
        Op::set(ACCESS_KEY_ID, &creds.access_key_id),
        Op::set(SECRET_ACCESS_KEY, &creds.secret_access_key),
    ];
    ops.push(match &creds.session_token {
        Some(token) => Op::set(SESSION_TOKEN, token),
        None => Op::unset(SESSION_TOKEN),
    });
    match creds.expires_at {
        Some(at) => {
            ops.push(Op::set(CREDENTIAL_EXPIRATION, rfc3339(at)));
            ops.push(Op::set(EXPIRES_AT, at.to_string()));
        }
        None => {
            ops.push(Op::unset(CREDENTIAL_EXPIRATION));
            ops.push(Op::unset(EXPIRES_AT));
        }
    }
    ops.extend(region_exports(ctx, region));
    ops.push(Op::set(PROFILE, profile));
    ops.extend(SHADOWING.iter().map(|name| Op::unset(name)));
    ops
}

/// The region variables `assume` sets for `region`, saving the user's own.
pub fn region_exports(ctx: &Context, region: Option<&str>) -> Vec<crate::shell::Op> {
    use crate::shell::Op;
    let mut ops = Vec::new();
    match region {
        Some(region) => {
            for (name, saved) in REGION_VARS {
                match ctx.var(name) {
                    // The user's own value (not one awsenv exported) waits to come back.
                    Some(own) if ctx.var(SET_REGION) != Some(own) => ops.push(Op::set(saved, own)),
                    _ => {}
                }
                ops.push(Op::set(name, region));
            }
            ops.push(Op::set(SET_REGION, region));
        }
        // The region of the profile before this one goes with it; a user's own comes back.
        None => {
            ops.extend(region_restores(ctx));
            ops.extend([SET_REGION, SAVED_REGION, SAVED_DEFAULT_REGION].map(Op::unset));
        }
    }
    ops
}

/// The variable changes for a child of `exec --server`: no key, profile or awsenv variable
/// that would win over the endpoint, the region as `exec` sets it, the endpoint and token.
pub fn served(
    ctx: &Context,
    region: Option<&str>,
    url: &str,
    token: &str,
) -> Vec<crate::shell::Op> {
    use crate::shell::Op;
    let mut ops = unsets(ctx);
    ops.extend(region_exports(ctx, region));
    ops.extend(OVER_ENDPOINT.iter().map(|name| Op::unset(name)));
    ops.push(Op::set(CONTAINER_FULL_URI, url));
    ops.push(Op::set(CONTAINER_TOKEN, token));
    ops
}

/// The operations `unset` emits: every managed variable; region ones only where awsenv set
/// them, and the user's own value back where awsenv had replaced one.
pub fn unsets(ctx: &Context) -> Vec<crate::shell::Op> {
    use crate::shell::Op;
    let mut ops: Vec<Op> = region_restores(ctx);
    ops.extend(MANAGED.iter().map(|name| Op::unset(name)));
    ops.push(Op::unset(PROMPT));
    ops
}

/// For `AWS_REGION`/`AWS_DEFAULT_REGION` still holding the value awsenv exported: the user's
/// saved value back, else an unset. A value the user changed since stays.
fn region_restores(ctx: &Context) -> Vec<crate::shell::Op> {
    use crate::shell::Op;
    let Some(ours) = ctx.var(SET_REGION) else {
        return Vec::new();
    };
    REGION_VARS
        .into_iter()
        .filter(|(name, _)| ctx.var(name) == Some(ours))
        .map(|(name, saved)| match ctx.var(saved) {
            Some(own) => Op::set(name, own),
            None => Op::unset(name),
        })
        .collect()
}

#[cfg(test)]
mod contract_tests {
    use super::*;
    use crate::shell::Op;

    fn ctx(vars: &[(&str, &str)]) -> Context {
        Context::fake(vars, 0)
    }

    fn creds(token: Option<&str>, expires_at: Option<i64>) -> Credentials {
        Credentials::fake(token, expires_at)
    }

    #[test]
    fn temporary_credentials_export_expiry_in_both_forms() {
        let ops = exports(
            &ctx(&[]),
            "prod",
            &creds(Some("tok"), Some(1_795_170_030)),
            Some("eu-west-1"),
        );
        assert!(ops.contains(&Op::set(CREDENTIAL_EXPIRATION, "2026-11-20T10:20:30Z")));
        assert!(ops.contains(&Op::set(EXPIRES_AT, "1795170030")));
        assert!(ops.contains(&Op::set(SESSION_TOKEN, "tok")));
        assert!(ops.contains(&Op::set(REGION, "eu-west-1")));
        assert!(ops.contains(&Op::set(DEFAULT_REGION, "eu-west-1")));
        for name in SHADOWING {
            assert!(ops.contains(&Op::unset(name)));
        }
    }

    #[test]
    fn a_served_child_gets_the_endpoint_and_nothing_that_wins_over_it() {
        let before = ctx(&[(ACCESS_KEY_ID, "AKID"), (REGION, "us-west-2")]);
        let ops = served(
            &before,
            Some("eu-west-1"),
            "http://127.0.0.1:1/credentials",
            "t",
        );
        let last = |name: &str| {
            ops.iter()
                .rev()
                .find(|op| matches!(op, Op::Set(n, _) | Op::Unset(n) if n == name))
                .cloned()
        };
        for name in OVER_ENDPOINT {
            assert_eq!(last(name), Some(Op::unset(name)), "{name}");
        }
        assert_eq!(last(REGION), Some(Op::set(REGION, "eu-west-1")));
        assert_eq!(last(SAVED_REGION), Some(Op::set(SAVED_REGION, "us-west-2")));
        assert_eq!(
            last(CONTAINER_FULL_URI),
            Some(Op::set(
                CONTAINER_FULL_URI,
                "http://127.0.0.1:1/credentials"
            ))
        );
        assert_eq!(last(CONTAINER_TOKEN), Some(Op::set(CONTAINER_TOKEN, "t")));
    }

    #[test]
    fn long_term_keys_unset_token_and_expiry() {
        let ops = exports(&ctx(&[]), "dev", &creds(None, None), None);
        assert!(ops.contains(&Op::unset(SESSION_TOKEN)));
        assert!(ops.contains(&Op::unset(CREDENTIAL_EXPIRATION)));
        assert!(ops.contains(&Op::unset(EXPIRES_AT)));
        assert!(
            !ops.iter()
                .any(|op| matches!(op, Op::Set(n, _) | Op::Unset(n) if n == REGION))
        );
    }

    #[test]
    fn region_is_removed_only_when_awsenv_set_it() {
        let mine = ctx(&[(REGION, "eu-west-1"), (DEFAULT_REGION, "eu-west-1")]);
        assert!(!unsets(&mine).contains(&Op::unset(REGION)));
        let ours = ctx(&[
            (REGION, "eu-west-1"),
            (DEFAULT_REGION, "eu-west-1"),
            (SET_REGION, "eu-west-1"),
        ]);
        assert!(unsets(&ours).contains(&Op::unset(REGION)));
        assert!(unsets(&ours).contains(&Op::unset(DEFAULT_REGION)));
        let changed = ctx(&[(REGION, "us-east-1"), (SET_REGION, "eu-west-1")]);
        assert!(!unsets(&changed).contains(&Op::unset(REGION)));
    }

    #[test]
    fn a_region_awsenv_replaced_comes_back_on_unset() {
        let before = ctx(&[(REGION, "us-west-2")]);
        let ops = exports(&before, "p", &creds(None, None), Some("eu-west-1"));
        assert!(ops.contains(&Op::set(SAVED_REGION, "us-west-2")));
        assert!(
            !ops.iter()
                .any(|op| matches!(op, Op::Set(n, _) if n == SAVED_DEFAULT_REGION))
        );
        let after = ctx(&[
            (REGION, "eu-west-1"),
            (DEFAULT_REGION, "eu-west-1"),
            (SET_REGION, "eu-west-1"),
            (SAVED_REGION, "us-west-2"),
        ]);
        let ops = unsets(&after);
        assert!(ops.contains(&Op::set(REGION, "us-west-2")));
        assert!(ops.contains(&Op::unset(DEFAULT_REGION)));
        assert!(ops.contains(&Op::unset(SAVED_REGION)));
        // Assuming the next profile keeps the saved value, not awsenv's own.
        let ops = exports(&after, "q", &creds(None, None), Some("ap-south-1"));
        assert!(
            !ops.iter()
                .any(|op| matches!(op, Op::Set(n, _) if n == SAVED_REGION))
        );
    }
}
