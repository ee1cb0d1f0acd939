//! `awsenv keys import`: long-term keys out of the AWS files and into the keyring.
//!
//! Each pair is stored, read back and compared before any file is touched; then the config
//! file gets `credential_process = awsenv credential-process PROFILE` (so the AWS CLI and
//! SDKs keep working), and last the keys leave the files, every other byte kept.

use std::path::Path;

use super::{Keyring, Pair, Stored, credential_process_line, is_own_credential_process};
use crate::env::Context;
use crate::error::{Error, Result};
use crate::files::{self, Style};
use crate::profile::Config;

/// The settings that carry a long-term key.
const KEY_SETTINGS: [&str; 2] = ["aws_access_key_id", "aws_secret_access_key"];

/// Import `profiles` (every profile with keys in the files with `all`); the change as
/// stdout shows it.
pub fn run(ctx: &Context, profiles: &[String], all: bool, dry_run: bool) -> Result<String> {
    let config = Config::load(ctx)?;
    let config_path = config.config_path().clone();
    let credentials_path = config.credentials_path().clone();
    let config_before = files::read(&config_path)?;
    let credentials_before = files::read(&credentials_path)?;
    let names: Vec<String> = if all {
        config
            .names()
            .into_iter()
            .filter(|n| {
                config
                    .get(n)
                    .is_some_and(|p| p.get("aws_access_key_id").is_some())
            })
            .map(str::to_owned)
            .collect()
    } else {
        profiles.to_vec()
    };
    if names.is_empty() {
        return Err(Error::Usage(format!(
            "no profile in {} or {} holds long-term keys; nothing to import",
            config_path.display(),
            credentials_path.display()
        )));
    }
    let mut pairs = Vec::new();
    for name in &names {
        pairs.push((name.clone(), pair_of(&config, name)?));
    }

    let mut config_after = config_before.clone();
    let mut credentials_after = credentials_before.clone();
    let mut change = String::new();
    for (name, _) in &pairs {
        // The line first, so that a config section holding nothing but the keys stays where
        // it is.
        let line = credential_process_line(name);
        config_after = files::set_property(
            &config_after,
            Style::Config,
            name,
            "credential_process",
            &line,
        );
        change.push_str(&format!(
            "{}: {}: + credential_process = {line}\n",
            config_path.display(),
            Style::Config.header(name)
        ));
        let is_key = |key: &str, _: &str| KEY_SETTINGS.contains(&key);
        for (path, style, bytes) in [
            (
                &credentials_path,
                Style::Credentials,
                &mut credentials_after,
            ),
            (&config_path, Style::Config, &mut config_after),
        ] {
            let without = files::remove_properties(bytes, style, name, is_key);
            if without != *bytes {
                change.push_str(&format!(
                    "{}: {}: - aws_access_key_id, aws_secret_access_key\n",
                    path.display(),
                    style.header(name)
                ));
                *bytes = without;
            }
        }
    }
    if dry_run {
        eprintln!(
            "awsenv: dry run: {} profile(s) would move to the keyring; nothing was written",
            pairs.len()
        );
        return Ok(change);
    }

    let keyring = Keyring::open(ctx)?;
    for (name, pair) in &pairs {
        keyring.store(ctx, name, &Stored::new(pair.clone(), ctx.now()))?;
    }
    // The keyring holds every pair, read back intact: now the files may change.
    write(&config_path, &config_before, &config_after)?;
    write(&credentials_path, &credentials_before, &credentials_after)?;
    eprintln!(
        "awsenv: moved the keys of {} into the keyring ({}); the AWS CLI and SDKs reach them through credential_process",
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", "),
        keyring.backend().name()
    );
    Ok(change)
}

/// The profile's long-term pair from the files; a session token, or a `credential_process`
/// of someone else's, is refused (it would not survive the move).
fn pair_of(config: &Config, name: &str) -> Result<Pair> {
    let profile = config.get(name).ok_or_else(|| {
        Error::usage(
            name,
            "no such profile in the AWS files; `awsenv list` shows the profiles there are",
        )
    })?;
    let (Some(id), Some(secret)) = (
        profile.get("aws_access_key_id").filter(|v| !v.is_empty()),
        profile
            .get("aws_secret_access_key")
            .filter(|v| !v.is_empty()),
    ) else {
        return Err(Error::usage(
            name,
            "it holds no long-term key pair (aws_access_key_id and aws_secret_access_key) in the files; store one with `awsenv keys add`",
        ));
    };
    if profile.get("aws_session_token").is_some() {
        return Err(Error::usage(
            name,
            "its keys come with an aws_session_token: temporary keys do not belong in the keyring",
        ));
    }
    if let Some(command) = profile.get("credential_process")
        && !is_own_credential_process(command, name)
    {
        return Err(Error::usage(
            name,
            "it already has a credential_process of its own; remove it or the keys first",
        ));
    }
    Ok(Pair {
        access_key_id: id.to_owned(),
        secret_access_key: secret.to_owned(),
        created_at: None,
    })
}

fn write(path: &Path, before: &[u8], after: &[u8]) -> Result<()> {
    if before == after {
        return Ok(());
    }
    files::replace_checked(path, before, after, "keys import")
}

/// `remove`'s edit of the config file: the `credential_process` line `import` added.
pub fn without_credential_process(bytes: &[u8], profile: &str) -> Vec<u8> {
    files::remove_properties(bytes, Style::Config, profile, |key, value| {
        key == "credential_process" && is_own_credential_process(value, profile)
    })
}
