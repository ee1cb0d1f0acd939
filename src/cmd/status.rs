//! `awsenv status`: what is exported now, for whom, how long it has left, where it came from,
//! and which variable shadows it.
//!
//! Reads the environment (and, for an SSO profile, its token file beside the config): no STS,
//! no async runtime. `Snapshot` is shared with `doctor`, which checks the same state.

use serde::Serialize;

use crate::cli::StatusArgs;
use crate::duration;
use crate::env::{self, Context};
use crate::error::{Error, Result};

/// Who the environment's credentials belong to, as the SDKs will see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    /// `AWSENV_PROFILE` is set: awsenv exported these.
    Awsenv,
    /// `AWS_ACCESS_KEY_ID` without `AWSENV_PROFILE`: set by hand or another tool.
    EnvKeys,
    /// Only `AWS_PROFILE`: the SDKs read that profile from the files.
    AwsProfile,
}

impl Origin {
    fn describe(self) -> &'static str {
        match self {
            Origin::Awsenv => "exported by awsenv",
            Origin::EnvKeys => "AWS_ACCESS_KEY_ID in the environment, not exported by awsenv",
            Origin::AwsProfile => "AWS_PROFILE: the SDKs read this profile from the files",
        }
    }
}

/// A variable that makes tools disagree about which credentials are in use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Shadow {
    pub variable: &'static str,
    pub reason: &'static str,
}

/// The credential state of the environment.
#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    pub origin: Origin,
    pub profile: Option<String>,
    /// Masked to its last four characters.
    pub access_key_id: Option<String>,
    pub session_token: bool,
    /// Unix seconds, from `AWSENV_EXPIRES_AT` else `AWS_CREDENTIAL_EXPIRATION`.
    pub expires_at: Option<i64>,
    /// Where `expires_at` came from.
    pub expiry_variable: Option<&'static str>,
    pub region: Option<String>,
    pub shadowing: Vec<Shadow>,
}

impl Snapshot {
    /// The state of `ctx`'s environment, or `None` when no credentials are set there at all.
    pub fn read(ctx: &Context) -> Option<Self> {
        let exported = env::Exported::read(ctx);
        let origin = match (&exported, ctx.var(env::ACCESS_KEY_ID)) {
            (Some(_), _) => Origin::Awsenv,
            (None, Some(_)) => Origin::EnvKeys,
            (None, None) if ctx.var(env::AWS_PROFILE).is_some() => Origin::AwsProfile,
            (None, None) => return None,
        };
        let (expires_at, expiry_variable) = env::expiry(ctx);
        Some(Self {
            origin,
            profile: match origin {
                Origin::Awsenv => exported.map(|e| e.profile),
                Origin::AwsProfile => ctx.var(env::AWS_PROFILE).map(str::to_owned),
                Origin::EnvKeys => None,
            },
            access_key_id: ctx.var(env::ACCESS_KEY_ID).map(env::mask_key_id),
            session_token: ctx.var(env::SESSION_TOKEN).is_some(),
            expires_at,
            expiry_variable,
            region: ctx
                .var(env::REGION)
                .or_else(|| ctx.var(env::DEFAULT_REGION))
                .map(str::to_owned),
            shadowing: shadowing(ctx),
        })
    }

    /// Seconds left, negative once expired.
    pub fn remaining(&self, now: i64) -> Option<i64> {
        self.expires_at.map(|at| at - now)
    }
}

/// Every variable that shadows the keys in the environment.
pub fn shadowing(ctx: &Context) -> Vec<Shadow> {
    let mut found = Vec::new();
    if ctx.var(env::SECURITY_TOKEN).is_some() && ctx.var(env::SESSION_TOKEN).is_some() {
        found.push(Shadow {
            variable: env::SECURITY_TOKEN,
            reason: "a legacy alias beside AWS_SESSION_TOKEN; some SDKs sign with it instead",
        });
    }
    if ctx.var(env::ACCESS_KEY_ID).is_some() {
        for variable in [env::AWS_PROFILE, env::AWS_DEFAULT_PROFILE] {
            if ctx.var(variable).is_some() {
                found.push(Shadow {
                    variable,
                    reason: "a profile name beside exported keys; tools disagree about who you are",
                });
            }
        }
    }
    found
}

/// The IAM Identity Center session behind the profile in use, and its login's expiry.
#[derive(Debug, Clone, Serialize)]
pub struct SsoLogin {
    /// The session name, or the start URL of a legacy profile.
    pub session: String,
    pub logged_in: bool,
    pub expires: Option<String>,
    pub remaining_seconds: Option<i64>,
    pub refreshable: bool,
}

impl SsoLogin {
    /// The login behind `profile`, or `None` when it is no SSO profile (or the files cannot
    /// be read: `doctor` says why).
    pub fn read(ctx: &Context, profile: &str) -> Option<Self> {
        use crate::sso::credentials::{TokenState, token_state};
        let config = crate::profile::Config::load(ctx).ok()?;
        let session = crate::sso::Session::for_profile(&config, profile).ok()?;
        let (expires_at, refreshable) = match token_state(ctx, &session) {
            TokenState::Missing => (None, false),
            TokenState::Valid {
                expires_at,
                refreshable,
            } => (Some(expires_at), refreshable),
            TokenState::Expired {
                expires_at,
                refreshable,
            } => (expires_at, refreshable),
        };
        let remaining = expires_at.map(|at| at - ctx.now());
        Some(Self {
            session: session.id().to_owned(),
            logged_in: remaining.is_some_and(|left| left > 0),
            expires: expires_at.map(env::rfc3339),
            remaining_seconds: remaining,
            refreshable,
        })
    }

    fn describe(&self) -> String {
        let state = match self.remaining_seconds {
            None => "no login".to_owned(),
            Some(left) if left > 0 => format!(
                "until {} ({} left)",
                self.expires.as_deref().unwrap_or("-"),
                duration::human(left)
            ),
            Some(left) => format!(
                "expired {} ago{}",
                duration::human(-left),
                if self.refreshable { " (renewable)" } else { "" }
            ),
        };
        format!("session `{}` {state}", self.session)
    }
}

pub fn run(args: &StatusArgs, ctx: &Context) -> Result<()> {
    let snapshot = Snapshot::read(ctx);
    let sso = snapshot
        .as_ref()
        .filter(|s| s.origin != Origin::EnvKeys)
        .and_then(|s| s.profile.as_deref())
        .and_then(|p| SsoLogin::read(ctx, p));
    let text = if args.json {
        json(snapshot.as_ref(), sso.as_ref(), ctx.now())?
    } else {
        match &snapshot {
            Some(s) => report(s, sso.as_ref(), ctx.now()),
            None => {
                "nothing exported: no AWSENV_PROFILE, AWS_ACCESS_KEY_ID or AWS_PROFILE in this \
                 shell (`awsenv assume PROFILE` exports one)\n"
                    .to_owned()
            }
        }
    };
    super::write_stdout(&text);
    Ok(())
}

fn report(s: &Snapshot, sso: Option<&SsoLogin>, now: i64) -> String {
    let mut lines = vec![
        ("profile", s.profile.clone().unwrap_or_else(|| "-".into())),
        ("source", s.origin.describe().to_owned()),
    ];
    if let Some(key) = &s.access_key_id {
        let kind = if s.session_token {
            "temporary"
        } else {
            "long-term"
        };
        lines.push(("key id", format!("{key} ({kind})")));
    }
    lines.push(("expires", expiry_text(s, now)));
    if let Some(sso) = sso {
        lines.push(("sso", sso.describe()));
    }
    lines.push(("region", s.region.clone().unwrap_or_else(|| "-".into())));
    for shadow in &s.shadowing {
        lines.push((
            "shadowing",
            format!(
                "{} is set: {}; `unset {}`",
                shadow.variable, shadow.reason, shadow.variable
            ),
        ));
    }
    lines
        .into_iter()
        .map(|(label, value)| format!("{:<10} {value}\n", format!("{label}:")))
        .collect()
}

fn expiry_text(s: &Snapshot, now: i64) -> String {
    match (s.expires_at, s.remaining(now)) {
        (Some(at), Some(left)) if left > 0 => {
            format!("{} ({} left)", env::rfc3339(at), duration::human(left))
        }
        (Some(at), Some(left)) => {
            format!(
                "{} (expired {} ago)",
                env::rfc3339(at),
                duration::human(-left)
            )
        }
        _ if s.access_key_id.is_some() && !s.session_token => "never (long-term keys)".into(),
        _ => "-".into(),
    }
}

#[derive(Serialize)]
struct Json<'a> {
    exported: bool,
    #[serde(flatten)]
    snapshot: Option<&'a Snapshot>,
    expires: Option<String>,
    remaining_seconds: Option<i64>,
    expired: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sso: Option<&'a SsoLogin>,
}

fn json(snapshot: Option<&Snapshot>, sso: Option<&SsoLogin>, now: i64) -> Result<String> {
    let remaining = snapshot.and_then(|s| s.remaining(now));
    let value = Json {
        exported: snapshot.is_some(),
        snapshot,
        expires: snapshot.and_then(|s| s.expires_at).map(env::rfc3339),
        remaining_seconds: remaining,
        expired: remaining.map(|left| left <= 0),
        sso,
    };
    let mut text = serde_json::to_string_pretty(&value)
        .map_err(|e| Error::Usage(format!("cannot write the status as JSON: {e}")))?;
    text.push('\n');
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(vars: &[(&str, &str)]) -> Context {
        Context::fake(vars, 1_000_000)
    }

    #[test]
    fn nothing_set_is_no_snapshot() {
        assert!(Snapshot::read(&ctx(&[("AWS_REGION", "eu-west-1")])).is_none());
    }

    #[test]
    fn origin_follows_which_variables_are_set() {
        let s = Snapshot::read(&ctx(&[
            ("AWSENV_PROFILE", "p"),
            ("AWS_ACCESS_KEY_ID", "AKIA1234"),
        ]));
        assert_eq!(s.unwrap().origin, Origin::Awsenv);
        let s = Snapshot::read(&ctx(&[("AWS_ACCESS_KEY_ID", "AKIA1234")])).unwrap();
        assert_eq!(s.origin, Origin::EnvKeys);
        assert_eq!(s.access_key_id.as_deref(), Some("…1234"));
        let s = Snapshot::read(&ctx(&[("AWS_PROFILE", "dev")])).unwrap();
        assert_eq!(s.origin, Origin::AwsProfile);
        assert_eq!(s.profile.as_deref(), Some("dev"));
    }

    #[test]
    fn expiry_falls_back_to_the_rfc3339_variable() {
        let (at, var) = env::expiry(&ctx(&[(
            "AWS_CREDENTIAL_EXPIRATION",
            "1970-01-12T13:46:40Z",
        )]));
        assert_eq!(
            (at, var),
            (Some(1_000_000), Some(env::CREDENTIAL_EXPIRATION))
        );
        let (at, var) = env::expiry(&ctx(&[
            ("AWSENV_EXPIRES_AT", "5"),
            ("AWS_CREDENTIAL_EXPIRATION", "1970-01-12T13:46:40Z"),
        ]));
        assert_eq!((at, var), (Some(5), Some(env::EXPIRES_AT)));
    }

    #[test]
    fn shadowing_needs_the_thing_it_shadows() {
        assert!(shadowing(&ctx(&[("AWS_SECURITY_TOKEN", "t"), ("AWS_PROFILE", "p")])).is_empty());
        let found = shadowing(&ctx(&[
            ("AWS_SECURITY_TOKEN", "t"),
            ("AWS_SESSION_TOKEN", "t"),
            ("AWS_ACCESS_KEY_ID", "AKIA"),
            ("AWS_DEFAULT_PROFILE", "p"),
        ]));
        let names: Vec<&str> = found.iter().map(|s| s.variable).collect();
        assert_eq!(names, ["AWS_SECURITY_TOKEN", "AWS_DEFAULT_PROFILE"]);
    }

    #[test]
    fn report_shows_time_left_and_expired() {
        let s = Snapshot::read(&ctx(&[
            ("AWSENV_PROFILE", "prod"),
            ("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE9876"),
            ("AWS_SESSION_TOKEN", "tok"),
            ("AWSENV_EXPIRES_AT", "1002520"),
        ]))
        .unwrap();
        let text = report(&s, None, 1_000_000);
        assert!(text.contains("42m left"), "{text}");
        assert!(text.contains("…9876 (temporary)"), "{text}");
        assert!(report(&s, None, 1_002_600).contains("expired 1m ago"));
    }
}
