//! Checks of the credential caches: the AWS CLI's `~/.aws/cli/cache/*.json` and awsenv's own.
//!
//! An expired entry is reported with its file and the command that removes it; nothing here
//! deletes anything or prints a key beyond its last four characters.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::Check;
use crate::cache::Cache;
use crate::env::{self, Context};

#[derive(Deserialize)]
struct CliEntry {
    #[serde(rename = "Credentials")]
    credentials: CliCredentials,
}

#[derive(Deserialize)]
struct CliCredentials {
    #[serde(rename = "AccessKeyId", default)]
    access_key_id: String,
    #[serde(rename = "Expiration")]
    expiration: String,
}

/// Expired entries in the AWS CLI's cache.
pub fn cli_cache(ctx: &Context) -> Vec<Check> {
    const NAME: &str = "AWS CLI cache";
    let Some(dir) = ctx.home().map(|h| h.join(".aws/cli/cache")) else {
        return vec![Check::ok(NAME, "no HOME, no cache")];
    };
    let files = json_files(&dir);
    let expired: Vec<Check> = files
        .iter()
        .filter_map(|path| {
            let entry: CliEntry = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
            let at = chrono::DateTime::parse_from_rfc3339(&entry.credentials.expiration)
                .ok()?
                .timestamp();
            (at <= ctx.now()).then(|| {
                Check::warn(
                    NAME,
                    format!(
                        "{} (key {}) expired at {} ({} s ago)",
                        path.display(),
                        env::mask_key_id(&entry.credentials.access_key_id),
                        env::rfc3339(at),
                        ctx.now() - at
                    ),
                    remove_command(path),
                )
            })
        })
        .collect();
    if expired.is_empty() {
        vec![Check::ok(
            NAME,
            format!(
                "{} in {}, none expired",
                entries(files.len()),
                dir.display()
            ),
        )]
    } else {
        expired
    }
}

/// Expired and unreadable entries in awsenv's own cache.
pub fn awsenv_cache(ctx: &Context) -> Vec<Check> {
    const NAME: &str = "awsenv cache";
    let Some(cache) = Cache::open(ctx) else {
        return vec![Check::warn(
            NAME,
            "the cache directory is not trusted (see the warning above); awsenv works without it",
            "ls -ld \"${AWSENV_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/awsenv}\"",
        )];
    };
    let entries = cache.entries();
    let problems: Vec<Check> = entries
        .iter()
        .filter_map(|entry| {
            let who = entry
                .profile
                .as_deref()
                .map_or_else(String::new, |p| format!(" for `{p}`"));
            match entry.expires_at {
                _ if entry.corrupt => Some(format!(
                    "{}{who} is unreadable (a miss)",
                    entry.path.display()
                )),
                Some(at) if at <= ctx.now() => Some(format!(
                    "{}{who} expired at {} ({} s ago; a miss, replaced on the next assume)",
                    entry.path.display(),
                    env::rfc3339(at),
                    ctx.now() - at
                )),
                _ => None,
            }
            .map(|evidence| Check::warn(NAME, evidence, remove_command(&entry.path)))
        })
        .collect();
    if problems.is_empty() {
        vec![Check::ok(
            NAME,
            format!("{}, none expired", self::entries(entries.len())),
        )]
    } else {
        problems
    }
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

fn remove_command(path: &Path) -> String {
    format!("rm {}", shell_words::quote(&path.display().to_string()))
}
/// `1 entry`, `3 entries`.
fn entries(n: usize) -> String {
    if n == 1 {
        "1 entry".to_owned()
    } else {
        format!("{n} entries")
    }
}
