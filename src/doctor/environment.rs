//! Checks of the shell's own variables: exported credentials expired or about to, variables
//! that shadow them, and environment keys that shadow a profile or an instance profile.
//!
//! The SDK chain reads the environment first, then the files, then container/instance
//! metadata: keys in the environment win over everything after them.

use super::Check;
use crate::cmd::status::{Origin, Snapshot};
use crate::duration;
use crate::env::{self, Context};
use crate::profile::Config;
use crate::shell::{Op, Shell};

/// `AWSENV_WARN`, the prompt hook's warning threshold, default 10 minutes.
const DEFAULT_WARN: i64 = 600;
/// With less than this left, programs started now may outlive the session.
const LONG_RUNNING: i64 = 3600;

/// Expired or near-expiry exported credentials.
pub fn expiry(ctx: &Context, snapshot: Option<&Snapshot>) -> Check {
    const NAME: &str = "exported credentials";
    let Some(s) = snapshot.filter(|s| s.access_key_id.is_some()) else {
        return Check::ok(NAME, "none in this shell");
    };
    let key = s.access_key_id.as_deref().unwrap_or_default();
    let who = s
        .profile
        .as_deref()
        .map_or_else(|| "keys".to_owned(), |p| format!("profile `{p}`"));
    let ours = s.profile.as_deref().filter(|_| s.origin == Origin::Awsenv);
    let served = format!(
        "awsenv exec --server {} -- CMD",
        ours.map_or("PROFILE".into(), shell_words::quote)
    );
    let reassume = match ours {
        Some(p) => format!(
            "awsenv assume {}  # for a program that outlives the session: {served}",
            shell_words::quote(p)
        ),
        None => format!(
            "awsenv unset  # then assume a profile: awsenv assume PROFILE; for a program that outlives the session: {served}"
        ),
    };
    let (Some(at), Some(var)) = (s.expires_at, s.expiry_variable) else {
        return Check::ok(
            NAME,
            format!("{who} ({key}): no expiry set (long-term keys)"),
        );
    };
    let left = at - ctx.now();
    let when = env::rfc3339(at);
    let warn_at = ctx.duration_var("AWSENV_WARN", DEFAULT_WARN);
    if left <= 0 {
        Check::fail(
            NAME,
            format!(
                "{who} ({key}) expired {} ago: {var} says {when}",
                duration::human(-left)
            ),
            reassume,
        )
    } else if left <= warn_at {
        Check::warn(
            NAME,
            format!(
                "{who} ({key}) expires in {} ({var} says {when})",
                duration::human(left)
            ),
            reassume,
        )
    } else if left < LONG_RUNNING {
        Check::ok(
            NAME,
            format!(
                "{who} ({key}) has {} left, until {when}; a program that must run longer gets renewed credentials from `{served}`",
                duration::human(left)
            ),
        )
    } else {
        Check::ok(
            NAME,
            format!(
                "{who} ({key}) has {} left, until {when}",
                duration::human(left)
            ),
        )
    }
}

/// `AWS_SECURITY_TOKEN` beside `AWS_SESSION_TOKEN`, a profile name beside exported keys.
pub fn shadowing(ctx: &Context, shell: Shell) -> Vec<Check> {
    const NAME: &str = "shadowing variables";
    let found = crate::cmd::status::shadowing(ctx);
    if found.is_empty() {
        return vec![Check::ok(
            NAME,
            "no AWS_SECURITY_TOKEN, AWS_PROFILE or AWS_DEFAULT_PROFILE beside the keys",
        )];
    }
    found
        .into_iter()
        .map(|shadow| {
            let value = ctx.var(shadow.variable).unwrap_or_default();
            let disagrees = match shadow.variable {
                env::SECURITY_TOKEN => ctx.var(env::SESSION_TOKEN) != Some(value),
                _ => ctx.var(env::PROFILE) != Some(value),
            };
            let shown = if shadow.variable == env::SECURITY_TOKEN {
                if disagrees {
                    "set to a different token than AWS_SESSION_TOKEN".to_owned()
                } else {
                    "set to the same token as AWS_SESSION_TOKEN".to_owned()
                }
            } else {
                format!("set to `{value}`")
            };
            let evidence = format!("{} is {shown}: {}", shadow.variable, shadow.reason);
            let fix = unset_command(shell, shadow.variable);
            if disagrees {
                Check::fail(NAME, evidence, fix)
            } else {
                Check::warn(NAME, evidence, fix)
            }
        })
        .collect()
}

/// Keys in the environment that win over `profile`, the `default` profile, or the
/// container/instance credentials.
pub fn env_keys(
    ctx: &Context,
    config: Option<&Config>,
    profile: Option<&str>,
    on_ec2: bool,
) -> Check {
    const NAME: &str = "environment keys";
    let Some(key) = ctx.var(env::ACCESS_KEY_ID).map(env::mask_key_id) else {
        return Check::ok(
            NAME,
            "no AWS_ACCESS_KEY_ID in the environment; the SDKs read the files",
        );
    };
    let exported_for = ctx.var(env::PROFILE);
    let owner = exported_for.map_or_else(
        || "not exported by awsenv".to_owned(),
        |p| format!("exported by awsenv for `{p}`"),
    );
    let mut shadowed = Vec::new();
    if let Some(p) = profile.filter(|p| Some(*p) != exported_for) {
        shadowed.push(format!("profile `{p}`"));
    }
    let default_has_keys = config.is_some_and(|c| c.kind("default") != crate::profile::Kind::None);
    if profile.is_none() && exported_for.is_none() && default_has_keys {
        shadowed.push("profile `default`".to_owned());
    }
    for var in [
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ] {
        if ctx.var(var).is_some() {
            shadowed.push(format!("the container credentials ({var})"));
        }
    }
    if on_ec2 {
        shadowed.push("the instance profile".to_owned());
    }
    if shadowed.is_empty() {
        return Check::ok(
            NAME,
            format!("AWS_ACCESS_KEY_ID ({key}) is {owner}; nothing else it hides"),
        );
    }
    let fix = match profile {
        Some(p) => format!("awsenv assume {}", shell_words::quote(p)),
        None => "awsenv unset".to_owned(),
    };
    Check::warn(
        NAME,
        format!(
            "AWS_ACCESS_KEY_ID ({key}, {owner}) comes first in the SDK chain (environment, files, container/instance metadata), so SDKs ignore {}",
            shadowed.join(" and ")
        ),
        fix,
    )
}

/// The command that unsets `name` in `shell`.
fn unset_command(shell: Shell, name: &str) -> String {
    shell
        .render(&[Op::unset(name)])
        .map(|code| code.lines().next().unwrap_or_default().to_owned())
        .unwrap_or_else(|_| format!("unset {name}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::Level;

    fn ctx(vars: &[(&str, &str)]) -> Context {
        let vars = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Context::new(vars, 1_000_000)
    }

    fn expiry_of(vars: &[(&str, &str)]) -> Check {
        let c = ctx(vars);
        expiry(&c, Snapshot::read(&c).as_ref())
    }

    #[test]
    fn expiry_levels() {
        let base = [
            ("AWSENV_PROFILE", "p"),
            ("AWS_ACCESS_KEY_ID", "ASIAXXXX1234"),
        ];
        let with = |at: &'static str| {
            let mut v = base.to_vec();
            v.push(("AWSENV_EXPIRES_AT", at));
            expiry_of(&v)
        };
        assert_eq!(with("999000").level, Level::Fail);
        assert_eq!(with("1000300").level, Level::Warn);
        assert_eq!(with("1009000").level, Level::Ok);
        assert_eq!(expiry_of(&base).level, Level::Ok);
        assert_eq!(
            with("999000").fix.as_deref(),
            Some(
                "awsenv assume p  # for a program that outlives the session: awsenv exec --server p -- CMD"
            )
        );
        let within_the_hour = with("1003000");
        assert_eq!(within_the_hour.level, Level::Ok);
        assert!(
            within_the_hour
                .evidence
                .contains("`awsenv exec --server p -- CMD`"),
            "{}",
            within_the_hour.evidence
        );
        assert!(!with("1009000").evidence.contains("--server"));
    }

    #[test]
    fn a_different_security_token_fails_the_same_one_warns() {
        let c = ctx(&[("AWS_SESSION_TOKEN", "a"), ("AWS_SECURITY_TOKEN", "b")]);
        assert_eq!(shadowing(&c, Shell::Bash)[0].level, Level::Fail);
        let c = ctx(&[("AWS_SESSION_TOKEN", "a"), ("AWS_SECURITY_TOKEN", "a")]);
        let check = &shadowing(&c, Shell::Fish)[0];
        assert_eq!(check.level, Level::Warn);
        assert_eq!(check.fix.as_deref(), Some("set -e -g AWS_SECURITY_TOKEN"));
    }

    #[test]
    fn env_keys_shadow_another_profile_and_the_instance() {
        let c = ctx(&[("AWS_ACCESS_KEY_ID", "AKIA9999"), ("AWSENV_PROFILE", "a")]);
        assert_eq!(env_keys(&c, None, Some("a"), false).level, Level::Ok);
        let check = env_keys(&c, None, Some("b"), true);
        assert_eq!(check.level, Level::Warn);
        assert!(
            check
                .evidence
                .contains("profile `b` and the instance profile"),
            "{}",
            check.evidence
        );
    }
}
