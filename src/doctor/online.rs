//! The checks that ask STS: the clock against STS's `Date` header, `get-caller-identity` for
//! the profile (or the exported keys), and whether a static `aws_session_token` still works.
//!
//! One quick probe (the clock check, at most 5 s) decides whether STS answers; when it does
//! not, the other checks warn at once instead of waiting again. Key ids show four characters.

use std::cell::RefCell;
use std::collections::HashMap;

use super::Check;
use super::files::locate;
use crate::env::{self, Context, Credentials};
use crate::mfa;
use crate::profile::{Config, Kind, Source};
use crate::resolve::{self, Request};
use crate::sts::{self, CallerIdentity, Failure};

const CLOCK: &str = "clock skew";
const IDENTITY: &str = "caller identity";
const TOKEN: &str = "static session token";
/// STS refuses requests signed more than this far off its clock.
const FAIL_SKEW: i64 = 300;
const WARN_SKEW: i64 = 60;
const NTP_FIX: &str = "sudo timedatectl set-ntp true || sudo chronyc makestep";

/// STS as this doctor run sees it, after one quick probe of its clock.
pub struct Probe {
    ctx: Context,
    /// The profile whose settings govern the requests.
    profile: Option<String>,
    endpoint: String,
    /// The command that shows STS's `Date` header, for the fixes.
    curl: String,
    /// Why STS could not be reached, when it could not.
    unreachable: Option<String>,
    /// GetCallerIdentity outcomes by access key id, so no keys are sent twice.
    asked: RefCell<HashMap<String, Result<CallerIdentity, Failure>>>,
}

impl Probe {
    /// Read STS's clock (at the endpoint `profile`'s settings choose for `region`); the
    /// probe, and the clock check.
    pub fn start(ctx: &Context, profile: Option<&str>, region: Option<&str>) -> (Self, Check) {
        let ctx = sts::bounded(ctx);
        let resolved = crate::aws::Settings::load(&ctx, None, profile, region)
            .map_err(|e| e.to_string())
            .and_then(|settings| sts::endpoint(&settings));
        let (endpoint, curl) = match resolved {
            Ok(url) => {
                let curl = format!("curl -sI {} | grep -i '^date'; date -u", quoted(&url));
                (url, curl)
            }
            // The endpoints check says what is wrong with the settings.
            Err(why) => (
                why,
                "fix the endpoint settings first (see `endpoints`)".to_owned(),
            ),
        };
        let measured = sts::server_date(&ctx, profile, region);
        let check = match &measured {
            Ok(date) => skew_check(date - ctx.now()),
            Err(failure) => Check::warn(
                CLOCK,
                format!("not measured: {}", failure.message),
                curl.clone(),
            ),
        };
        let unreachable = measured.err().filter(|f| f.unreachable).map(|f| f.message);
        let probe = Self {
            ctx,
            profile: profile.map(str::to_owned),
            endpoint,
            curl,
            unreachable,
            asked: RefCell::new(HashMap::new()),
        };
        (probe, check)
    }

    fn caller_identity(
        &self,
        creds: &Credentials,
        region: Option<&str>,
    ) -> Result<CallerIdentity, Failure> {
        let key = creds.access_key_id.clone();
        if let Some(known) = self.asked.borrow().get(&key) {
            return known.clone();
        }
        let answer = sts::caller_identity(&self.ctx, self.profile.as_deref(), creds, region);
        self.asked.borrow_mut().insert(key, answer.clone());
        answer
    }

    /// `get-caller-identity` with `profile`'s credentials, resolved without asking anything;
    /// `None` when its chain is broken (the chain check says so already).
    pub fn profile_identity(&self, config: &Config, profile: &str) -> Option<Check> {
        config.chain(profile).ok()?;
        let who = format!("profile `{profile}`");
        if self.unreachable.is_some() {
            return Some(self.not_checked(&who, None));
        }
        let request = Request {
            profile: profile.to_owned(),
            no_input: true,
            no_login: true,
            ..Request::default()
        };
        let resolved = match resolve::resolve(&self.ctx, config, &request) {
            Ok(resolved) => resolved,
            Err(e) if e.to_string().contains(mfa::NEEDS_CODE) => {
                return Some(Check::warn(
                    IDENTITY,
                    format!("{who} not checked: it needs an MFA code, and doctor never asks"),
                    format!("awsenv assume {}", quoted(profile)),
                ));
            }
            Err(e) => {
                return Some(Check::fail(
                    IDENTITY,
                    e.to_string(),
                    fix_for(config, profile),
                ));
            }
        };
        let answer = self.caller_identity(&resolved.credentials, resolved.region.as_deref());
        let who = format!(
            "{who} ({})",
            env::mask_key_id(&resolved.credentials.access_key_id)
        );
        Some(self.identity_check(&who, answer, || fix_for(config, profile)))
    }

    /// `get-caller-identity` with the `AWS_*` keys of the environment; `None` without keys.
    pub fn exported_identity(&self, ctx: &Context) -> Option<Check> {
        let creds = Credentials::from_env(ctx)?;
        let who = format!(
            "exported keys (AWS_ACCESS_KEY_ID {})",
            env::mask_key_id(&creds.access_key_id)
        );
        if self.unreachable.is_some() {
            return Some(self.not_checked(&who, None));
        }
        let answer = self.caller_identity(&creds, None);
        let fix = || match ctx.var(env::PROFILE) {
            Some(p) => format!("awsenv assume {} --refresh", quoted(p)),
            None => "awsenv unset".to_owned(),
        };
        Some(self.identity_check(&who, answer, fix))
    }

    fn identity_check(
        &self,
        who: &str,
        answer: Result<CallerIdentity, Failure>,
        fix: impl FnOnce() -> String,
    ) -> Check {
        match answer {
            Ok(id) => Check::ok(
                IDENTITY,
                format!("{who}: account {}, {}", id.account, id.arn),
            ),
            Err(f) if f.unreachable => self.not_checked(who, Some(&f.message)),
            Err(f) => Check::fail(IDENTITY, format!("{who}: {}", f.message), fix()),
        }
    }

    /// A warning that STS did not answer (`why`, else as the clock check found).
    fn not_checked(&self, who: &str, why: Option<&str>) -> Check {
        let why = why.map_or_else(
            || format!("STS at {} could not be reached", self.endpoint),
            str::to_owned,
        );
        Check::warn(
            IDENTITY,
            format!("{who} not checked: {why}"),
            self.curl.clone(),
        )
    }

    /// A profile's static `aws_session_token`: fail when STS refuses its keys (expired
    /// tokens are the usual case), warn otherwise, as such tokens expire unrefreshed.
    pub fn static_token(&self, config: &Config, profile: &str) -> Check {
        let place = locate(config, profile, "aws_session_token");
        let what = format!(
            "profile `{profile}` has a static aws_session_token at {}",
            place.shown()
        );
        let request = Request {
            profile: profile.to_owned(),
            no_input: true,
            no_login: true,
            ..Request::default()
        };
        let answer = match (
            &self.unreachable,
            resolve::resolve(&self.ctx, config, &request),
        ) {
            (None, Ok(resolved)) => {
                Some(self.caller_identity(&resolved.credentials, resolved.region.as_deref()))
            }
            _ => None,
        };
        let refused = |code: &str| {
            Check::fail(
                TOKEN,
                format!(
                    "{what}; STS: {code}; remove the stale aws_session_token line, or re-run the tool that wrote it"
                ),
                place.edit(),
            )
        };
        let note = match answer {
            Some(Err(Failure {
                code: Some(code), ..
            })) => return refused(&code),
            Some(Ok(_)) => "STS accepts it for now",
            _ => "STS could not be asked whether it still works",
        };
        Check::warn(
            TOKEN,
            format!("{what}; temporary tokens in the files expire and are not refreshed ({note})"),
            place.edit(),
        )
    }
}

/// The clock check for `skew` = STS's clock minus ours, in seconds.
fn skew_check(skew: i64) -> Check {
    let off = skew.abs();
    let side = if skew > 0 { "behind" } else { "ahead of" };
    let said = format!("your clock is {off} s {side} STS");
    if off > FAIL_SKEW {
        Check::fail(
            CLOCK,
            format!("{said}; STS rejects requests more than {FAIL_SKEW} s off"),
            NTP_FIX,
        )
    } else if off >= WARN_SKEW {
        Check::warn(
            CLOCK,
            format!("{said}; STS rejects requests past {FAIL_SKEW} s"),
            NTP_FIX,
        )
    } else {
        Check::ok(CLOCK, format!("within {off} s of STS's Date header"))
    }
}

/// Where a profile's failing credentials are set: the source keys, the SSO login, the role.
fn fix_for(config: &Config, profile: &str) -> String {
    let Ok(chain) = config.chain(profile) else {
        return "awsenv list".to_owned();
    };
    match (&chain.source, chain.roles.last()) {
        (_, Some(hop)) => locate(config, &hop.profile, "role_arn").edit(),
        (Source::Static { .. }, None) => {
            locate(config, chain.source.profile(), "aws_access_key_id").edit()
        }
        (
            Source::Provider {
                kind: Kind::Sso,
                profile,
            },
            None,
        ) => crate::sso::login_command(profile),
        (
            Source::Provider {
                kind: Kind::Login,
                profile,
            },
            None,
        ) => format!("aws login --profile {}", quoted(profile)),
        (
            Source::Provider {
                kind: Kind::Process,
                profile,
            },
            None,
        ) => locate(config, profile, "credential_process").edit(),
        (Source::Provider { profile, .. }, None) => {
            locate(config, profile, "web_identity_token_file").edit()
        }
        (Source::CredentialSource { profile, .. }, None) => {
            locate(config, profile, "credential_source").edit()
        }
        (Source::Keyring { profile }, None) => {
            format!("awsenv keys add {}", quoted(profile))
        }
    }
}

fn quoted(text: &str) -> String {
    shell_words::quote(text).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::Level;

    #[test]
    fn skew_levels_and_sign() {
        let fail = skew_check(600);
        assert_eq!(fail.level, Level::Fail);
        assert!(fail.evidence.starts_with("your clock is 600 s behind STS"));
        assert_eq!(fail.fix.as_deref(), Some(NTP_FIX));
        let warn = skew_check(-120);
        assert_eq!(warn.level, Level::Warn);
        assert!(
            warn.evidence
                .starts_with("your clock is 120 s ahead of STS")
        );
        assert_eq!(skew_check(59).level, Level::Ok);
        assert_eq!(skew_check(-300).level, Level::Warn);
        assert_eq!(skew_check(-301).level, Level::Fail);
    }
}
