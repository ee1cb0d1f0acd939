//! `awsenv keys rotate`: a new access key through IAM, verified, made current, and the old
//! one deleted, in an order that always leaves a working key in the keyring.
//!
//! Each step is written to the keyring entry before the next begins: the user's key ids
//! before CreateAccessKey (`creating`), the new pair as soon as IAM returns it (`pending`),
//! the old key id once the new key is current (`retired`). A run that finds any of them
//! finishes or rolls back what the interrupted one left, before anything else.

use std::time::{Duration, Instant};

use super::iam::{Iam, KeyInfo};
use super::{Keyring, Stored, masked, missing};
use crate::cache::Cache;
use crate::env::{Context, Credentials};
use crate::error::{Error, Result};
use crate::mfa;
use crate::profile::Config;
use crate::sts::Sts;

/// How long a new key may take to start working (IAM is eventually consistent).
const VERIFY_FOR: Duration = Duration::from_secs(30);
/// For tests only: stop awsenv abruptly, as a kill would, right after the named step
/// (`list`, `intent`, `create`, `pending`, `verify`, `current`, `delete`), so that tests can
/// interrupt a rotation at each step. Nothing reads it outside `stop_after`.
const TEST_STOP_VAR: &str = "AWSENV_TEST_ROTATE_STOP_AFTER";

/// One rotation's context.
struct Rotation<'a> {
    ctx: &'a Context,
    config: &'a Config,
    profile: &'a str,
    keyring: Keyring,
    sts: Sts,
    /// What IAM calls are signed with: the key, or its MFA session.
    signer: Credentials,
    user: String,
}

pub fn run(ctx: &Context, profile: &str, code: &mfa::Code) -> Result<()> {
    let config = Config::load(ctx)?;
    let settings = config.get(profile);
    let region = settings.and_then(|p| p.get("region")).map(str::to_owned);
    let mfa_serial = settings
        .and_then(|p| p.get("mfa_serial"))
        .map(str::to_owned);
    let keyring = Keyring::open(ctx)?;
    let mut stored = keyring
        .load(profile)?
        .ok_or_else(|| missing(profile, keyring.backend().name()))?;
    let sts = Sts::new(ctx, Some(&config), Some(profile), region.as_deref())?;

    // A pending key from an interrupted run is settled first: it may already be the one
    // that works.
    if let Some(pending) = stored.pending.clone() {
        if verified(&sts, &pending.credentials(), Duration::from_secs(5)).is_ok() {
            eprintln!(
                "awsenv: profile `{profile}`: finishing the interrupted rotation to {}",
                masked(&pending.access_key_id)
            );
            stored.retired = Some(stored.current.access_key_id.clone());
            stored.current = pending;
            stored.pending = None;
            stored.creating = None;
            stored.stored_at = ctx.now();
            keyring.store(ctx, profile, &stored)?;
        } else {
            eprintln!(
                "awsenv: profile `{profile}`: the interrupted rotation's key {} does not work; rolling back to {}",
                masked(&pending.access_key_id),
                masked(&stored.current.access_key_id)
            );
        }
    }
    let identity = sts
        .caller_identity(&stored.current.credentials())
        .map_err(|f| {
            Error::credentials(
                profile,
                format!("the key in the keyring does not work ({f}); store a working one with `awsenv keys add {profile}`"),
            )
        })?;
    let user = user_name(&identity.arn).ok_or_else(|| {
        Error::usage(
            profile,
            format!(
                "its key belongs to {}, not to an IAM user: only an IAM user's access keys can be rotated",
                identity.arn
            ),
        )
    })?;
    let signer = match &mfa_serial {
        Some(serial) => {
            let code = code.get(serial, profile)?;
            sts.session_token(&stored.current.credentials(), Some((serial, &code)), 900)
                .map_err(|f| f.for_profile(profile))?
        }
        None => stored.current.credentials(),
    };
    let rotation = Rotation {
        ctx,
        config: &config,
        profile,
        keyring,
        sts,
        signer,
        user,
    };
    let iam = rotation.iam()?;

    if let Some(pending) = stored.pending.take() {
        // It did not verify above: delete it, if IAM has it, so it takes no key slot.
        rotation.delete(&iam, &pending.access_key_id)?;
        stored.creating = None;
        rotation.keyring.store(ctx, profile, &stored)?;
    }
    if let Some(old) = stored.retired.clone() {
        rotation.delete(&iam, &old)?;
        stored.retired = None;
        rotation.keyring.store(ctx, profile, &stored)?;
        purge_sessions(ctx, profile);
        eprintln!(
            "awsenv: profile `{profile}`: rotation finished: {} is the key, {} is deleted",
            masked(&stored.current.access_key_id),
            masked(&old)
        );
        return Ok(());
    }
    rotation.rotate(&iam, stored)
}

impl Rotation<'_> {
    fn iam(&self) -> Result<Iam> {
        Iam::new(self.ctx, self.config, self.profile, &self.signer)
    }

    fn fail(&self, what: impl std::fmt::Display) -> Error {
        Error::credentials(self.profile, what)
    }

    fn delete(&self, iam: &Iam, key_id: &str) -> Result<()> {
        iam.delete_access_key(&self.user, key_id).map_err(|f| {
            self.fail(format!(
                "{f}; the keyring holds a working key, run `awsenv keys rotate {}` again to finish",
                self.profile
            ))
        })
    }

    fn store(&self, stored: &Stored) -> Result<()> {
        self.keyring.store(self.ctx, self.profile, stored)
    }

    fn rotate(&self, iam: &Iam, mut stored: Stored) -> Result<()> {
        let profile = self.profile;
        let current = stored.current.access_key_id.clone();
        let mut keys = iam.list_access_keys(&self.user).map_err(|f| self.fail(f))?;
        stop_after(self.ctx, "list");
        // A key made by an interrupted CreateAccessKey whose answer never reached the
        // keyring: its secret is lost, so it goes.
        if let Some(before) = stored.creating.take() {
            for orphan in keys
                .iter()
                .filter(|k| k.access_key_id != current && !before.contains(&k.access_key_id))
            {
                eprintln!(
                    "awsenv: profile `{profile}`: deleting {}, made by an interrupted rotation whose new key never reached the keyring",
                    masked(&orphan.access_key_id)
                );
                self.delete(iam, &orphan.access_key_id)?;
            }
            keys.retain(|k| k.access_key_id == current || before.contains(&k.access_key_id));
        }
        if let Some(other) = keys.iter().find(|k| k.access_key_id != current) {
            return Err(self.two_keys(other));
        }
        if let Some(info) = keys.iter().find(|k| k.access_key_id == current) {
            stored.current.created_at = stored.current.created_at.or(info.created_at);
        }
        stored.creating = Some(keys.iter().map(|k| k.access_key_id.clone()).collect());
        self.store(&stored)?;
        stop_after(self.ctx, "intent");

        let fresh = iam
            .create_access_key(&self.user)
            .map_err(|f| self.fail(format!("{f}; nothing was changed")))?;
        stop_after(self.ctx, "create");
        stored.pending = Some(fresh.clone());
        self.store(&stored)?;
        stop_after(self.ctx, "pending");

        if let Err(f) = verified(&self.sts, &fresh.credentials(), VERIFY_FOR) {
            // Roll back: the old key stays current, the new one goes.
            stored.pending = None;
            stored.creating = None;
            let _ = iam.delete_access_key(&self.user, &fresh.access_key_id);
            self.store(&stored)?;
            return Err(self.fail(format!(
                "the new key {} did not work within {} s ({f}); it was deleted and {} is still the key",
                masked(&fresh.access_key_id),
                VERIFY_FOR.as_secs(),
                masked(&current)
            )));
        }
        stop_after(self.ctx, "verify");

        let stored = Stored {
            current: fresh,
            stored_at: self.ctx.now(),
            pending: None,
            retired: Some(current.clone()),
            creating: None,
        };
        self.store(&stored)?;
        stop_after(self.ctx, "current");

        self.delete(iam, &current)?;
        stop_after(self.ctx, "delete");
        let done = Stored {
            retired: None,
            ..stored
        };
        self.store(&done)?;
        purge_sessions(self.ctx, profile);
        eprintln!(
            "awsenv: profile `{profile}`: rotated: {} is the key now, {} is deleted",
            masked(&done.current.access_key_id),
            masked(&current)
        );
        Ok(())
    }

    /// Two keys already: IAM allows no third, and awsenv deletes no key it does not hold.
    fn two_keys(&self, other: &KeyInfo) -> Error {
        self.fail(format!(
            "IAM user `{}` already has two access keys, the keyring's and {}{}, and IAM allows no third; delete the other one (`aws iam delete-access-key --user-name {} --access-key-id {}`) and run `awsenv keys rotate {}` again",
            self.user,
            masked(&other.access_key_id),
            if other.active { "" } else { " (inactive)" },
            shell_words::quote(&self.user),
            other.access_key_id,
            shell_words::quote(self.profile),
        ))
    }
}

/// GetCallerIdentity with `creds`, retried with backoff for up to `budget` while IAM's
/// change reaches STS.
fn verified(sts: &Sts, creds: &Credentials, budget: Duration) -> std::result::Result<(), String> {
    let start = Instant::now();
    let mut wait = Duration::from_millis(250);
    loop {
        match sts.caller_identity(creds) {
            Ok(_) => return Ok(()),
            Err(f) if start.elapsed() + wait > budget => return Err(f.message),
            Err(_) => {
                std::thread::sleep(wait);
                wait = (wait * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// `arn:aws:iam::123456789012:user/path/name` → `name`.
fn user_name(arn: &str) -> Option<String> {
    let resource = arn.split(':').nth(5)?;
    let rest = resource.strip_prefix("user/")?;
    rest.rsplit('/')
        .next()
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
}

/// Every cached session made from the profile's key: its own sessions and the roles it is
/// the source of. They would outlive the key otherwise.
pub fn purge_sessions(ctx: &Context, profile: &str) {
    if let Some(cache) = Cache::open(ctx) {
        cache.remove_made_from(profile);
    }
}

fn stop_after(ctx: &Context, step: &str) {
    if ctx.var(TEST_STOP_VAR) == Some(step) {
        // Like a kill: no cleanup of ours runs, nothing more is written.
        std::process::exit(137);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names_come_from_user_arns_only() {
        assert_eq!(
            user_name("arn:aws:iam::123456789012:user/alice").as_deref(),
            Some("alice")
        );
        assert_eq!(
            user_name("arn:aws:iam::123456789012:user/dev/team/bob").as_deref(),
            Some("bob")
        );
        assert_eq!(user_name("arn:aws:sts::1:assumed-role/r/s"), None);
        assert_eq!(user_name("arn:aws:iam::1:root"), None);
    }
}
