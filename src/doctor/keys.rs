//! The keyring checks: long-term keys left in plaintext in the AWS files, keyring keys
//! older than 90 days, and whether the configured backend answers.
//!
//! Only the index is read for ages (no secret); the backend is asked only when a profile
//! uses it, and the file backend is opened only when its passphrase is in the environment.

use super::Check;
use crate::env::Context;
use crate::keys::{self, Keyring};
use crate::profile::{Config, Kind};

/// Keys older than this are due for `awsenv keys rotate`.
const MAX_AGE_DAYS: i64 = 90;

pub fn checks(ctx: &Context, config: &Config, profile: Option<&str>) -> Vec<Check> {
    let names: Vec<&str> = match profile {
        Some(p) => vec![p],
        None => config.names(),
    };
    let mut checks = Vec::new();
    for name in &names {
        let Some(settings) = config.get(name) else {
            continue;
        };
        let plaintext = settings.get("aws_access_key_id").is_some()
            && settings.get("aws_session_token").is_none();
        if !plaintext {
            continue;
        }
        let what = if config.kind(name) == Kind::Keyring {
            "a plaintext copy of a key the keyring holds (the keyring's wins)"
        } else {
            "a long-term key in plaintext"
        };
        checks.push(Check::warn(
            "plaintext keys",
            format!(
                "profile `{name}`: {what} in {}",
                config.credentials_path().display()
            ),
            format!("awsenv keys import {}", shell_words::quote(name)),
        ));
    }
    let uses_keyring = names.iter().any(|n| config.kind(n) == Kind::Keyring);
    if !uses_keyring {
        return checks;
    }
    let keyring = match Keyring::open(ctx) {
        Ok(k) => k,
        Err(e) => {
            checks.push(Check::fail(
                "keyring",
                e.to_string(),
                "AWSENV_KEYRING=file awsenv keys import PROFILE",
            ));
            return checks;
        }
    };
    let listed = keyring.listed();
    for name in names.iter().filter(|n| listed.contains_key(**n)) {
        let entry = &listed[*name];
        let days = (ctx.now() - entry.created_at.unwrap_or(entry.stored_at)) / 86_400;
        if entry.pending {
            checks.push(Check::warn(
                "key rotation",
                format!("profile `{name}`: a rotation was interrupted (the key in use works)"),
                format!("awsenv keys rotate {}", shell_words::quote(name)),
            ));
        } else if days > MAX_AGE_DAYS {
            checks.push(Check::warn(
                "key age",
                format!(
                    "profile `{name}`: key {} is {days} days old (more than {MAX_AGE_DAYS})",
                    entry.key
                ),
                format!("awsenv keys rotate {}", shell_words::quote(name)),
            ));
        } else {
            checks.push(Check::ok(
                "key age",
                format!("profile `{name}`: key {} is {days} days old", entry.key),
            ));
        }
    }
    let name = keyring.backend().name();
    let askable = name != "file" || ctx.var(keys::file::PASSPHRASE_VAR).is_some();
    if askable {
        checks.push(match keyring.backend().check() {
            Ok(()) => Check::ok("keyring", format!("{name} answers")),
            Err(e) => Check::fail(
                "keyring",
                e.to_string(),
                "AWSENV_KEYRING=file awsenv keys add PROFILE",
            ),
        });
    }
    checks
}
