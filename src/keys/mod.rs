//! Long-term access keys in the OS keyring: the backend trait, the entry a backend holds for
//! a profile, and the small index of which profiles have one.
//!
//! A backend stores one short text value per profile (service `awsenv`); what the value
//! means (`Stored`: the key pair, when it was stored, a pending key of a rotation) is decided
//! here, so every backend holds the same thing. Not here: the commands (`cmd/keys.rs`), the
//! credentials file (`import`), IAM (`rotate`).

pub mod file;
mod iam;
pub mod import;
#[cfg(any(windows, target_os = "macos"))]
mod native;
pub mod rotate;
#[cfg(all(unix, not(target_os = "macos")))]
mod secret_service;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use crate::env::{Context, Credentials};
use crate::error::{Error, Result};

/// The service every entry is stored under (the Secret Service's `service` attribute, the
/// Credential Manager's and the Keychain's service name).
pub const SERVICE: &str = "awsenv";
/// Chooses the backend.
pub const BACKEND_VAR: &str = "AWSENV_KEYRING";

/// A store of one secret text per profile.
pub trait Backend {
    /// As `AWSENV_KEYRING` names it.
    fn name(&self) -> &'static str;
    /// The entry for `profile`, or `None` when there is none.
    fn get(&self, profile: &str) -> Result<Option<Zeroizing<String>>>;
    /// Store `value` for `profile`, replacing any entry.
    fn set(&self, profile: &str, value: &str) -> Result<()>;
    /// Delete the entry for `profile`; whether there was one.
    fn delete(&self, profile: &str) -> Result<bool>;
    /// Whether the store answers: an error that says what is missing.
    fn check(&self) -> Result<()>;
}

/// The backends compiled into this build, by their `AWSENV_KEYRING` names (`awsenv version`).
#[cfg(all(unix, not(target_os = "macos")))]
pub const COMPILED: &[&str] = &["secret-service", "file"];
#[cfg(windows)]
pub const COMPILED: &[&str] = &["wincred", "file"];
#[cfg(target_os = "macos")]
pub const COMPILED: &[&str] = &["keychain", "file"];

/// The backend `AWSENV_KEYRING` names, else the platform's own.
pub fn backend_name(ctx: &Context) -> &str {
    ctx.var(BACKEND_VAR).unwrap_or(if cfg!(windows) {
        "wincred"
    } else if cfg!(target_os = "macos") {
        "keychain"
    } else {
        "secret-service"
    })
}

/// The backend to use; an unknown name, or one this platform lacks, is a usage error.
pub fn open(ctx: &Context) -> Result<Box<dyn Backend>> {
    let name = backend_name(ctx);
    let unavailable = || {
        Error::Usage(format!(
            "{BACKEND_VAR}={name} is not available on this system; use AWSENV_KEYRING=file (or unset it for the system's own)"
        ))
    };
    match name {
        "file" => Ok(Box::new(file::FileStore::new(ctx))),
        "secret-service" => {
            #[cfg(all(unix, not(target_os = "macos")))]
            return Ok(Box::new(secret_service::SecretService::new(ctx)));
            #[allow(unreachable_code)]
            Err(unavailable())
        }
        "wincred" => {
            #[cfg(windows)]
            return Ok(Box::new(native::WINCRED));
            #[allow(unreachable_code)]
            Err(unavailable())
        }
        "keychain" => {
            #[cfg(target_os = "macos")]
            return Ok(Box::new(native::KEYCHAIN));
            #[allow(unreachable_code)]
            Err(unavailable())
        }
        other => Err(Error::Usage(format!(
            "{BACKEND_VAR}={other} is not a keyring backend: use secret-service, keychain, wincred or file"
        ))),
    }
}

/// One key pair.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Pair {
    pub access_key_id: String,
    pub secret_access_key: String,
    /// IAM's CreateDate, Unix seconds, where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<i64>,
}

impl Drop for Pair {
    fn drop(&mut self) {
        self.secret_access_key.zeroize();
    }
}

impl std::fmt::Debug for Pair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pair")
            .field(
                "access_key_id",
                &crate::env::mask_key_id(&self.access_key_id),
            )
            .finish_non_exhaustive()
    }
}

impl Pair {
    /// The pair as long-term credentials.
    pub fn credentials(&self) -> Credentials {
        Credentials {
            access_key_id: self.access_key_id.clone(),
            secret_access_key: self.secret_access_key.clone(),
            session_token: None,
            expires_at: None,
        }
    }
}

/// What a backend holds for a profile: kept small (the Credential Manager takes 2,560 bytes).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Stored {
    /// The key in use.
    #[serde(flatten)]
    pub current: Pair,
    /// When it was stored, Unix seconds.
    pub stored_at: i64,
    /// A rotation's new key, kept before anything else happens to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<Pair>,
    /// A rotation's old key id, made current's predecessor: still to be deleted in IAM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retired: Option<String>,
    /// A rotation about to call CreateAccessKey: the user's key ids before it, so that a key
    /// made by a CreateAccessKey whose answer was lost is known for what it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creating: Option<Vec<String>>,
}

impl Stored {
    pub fn new(current: Pair, now: i64) -> Self {
        Self {
            current,
            stored_at: now,
            pending: None,
            retired: None,
            creating: None,
        }
    }

    fn encode(&self) -> Zeroizing<String> {
        // Serializing plain strings and integers cannot fail.
        Zeroizing::new(serde_json::to_string(self).unwrap_or_default())
    }

    fn decode(text: &str) -> Option<Self> {
        serde_json::from_str(text).ok()
    }
}

/// The keyring as the commands use it: a backend, and the index beside it.
pub struct Keyring {
    backend: Box<dyn Backend>,
    index_path: Option<PathBuf>,
}

impl Keyring {
    pub fn open(ctx: &Context) -> Result<Self> {
        Ok(Self {
            backend: open(ctx)?,
            index_path: index_path(ctx),
        })
    }

    pub fn backend(&self) -> &dyn Backend {
        self.backend.as_ref()
    }

    /// The entry for `profile`; a value that is not awsenv's is an error naming the entry.
    pub fn load(&self, profile: &str) -> Result<Option<Stored>> {
        let Some(text) = self.backend.get(profile)? else {
            return Ok(None);
        };
        Stored::decode(&text).map(Some).ok_or_else(|| {
            Error::credentials(
                profile,
                format!(
                    "the {} entry (service `{SERVICE}`) is not one awsenv wrote; remove it and run `awsenv keys add {profile}`",
                    self.backend.name()
                ),
            )
        })
    }

    /// Store `stored` for `profile`, then read it back: an error unless it came back intact.
    pub fn store(&self, ctx: &Context, profile: &str, stored: &Stored) -> Result<()> {
        self.backend.set(profile, &stored.encode())?;
        match self.load(profile)? {
            Some(back) if back == *stored => {}
            _ => {
                return Err(Error::credentials(
                    profile,
                    format!(
                        "the key stored in {} did not read back intact; nothing else was changed",
                        self.backend.name()
                    ),
                ));
            }
        }
        self.index_update(ctx, profile, Some(stored));
        Ok(())
    }

    /// Delete the entry for `profile`; whether there was one.
    pub fn remove(&self, ctx: &Context, profile: &str) -> Result<bool> {
        let had = self.backend.delete(profile)?;
        self.index_update(ctx, profile, None);
        Ok(had)
    }

    /// The index's entries for this backend, by profile.
    pub fn listed(&self) -> BTreeMap<String, IndexEntry> {
        let name = self.backend.name();
        read_index(self.index_path.as_deref())
            .into_iter()
            .filter(|(_, e)| e.backend == name)
            .collect()
    }

    fn index_update(&self, ctx: &Context, profile: &str, stored: Option<&Stored>) {
        let Some(path) = &self.index_path else {
            return;
        };
        let mut index = read_index(Some(path));
        match stored {
            Some(s) => {
                index.insert(
                    profile.to_owned(),
                    IndexEntry {
                        backend: self.backend.name().to_owned(),
                        key: crate::env::mask_key_id(&s.current.access_key_id),
                        stored_at: s.stored_at,
                        created_at: s.current.created_at,
                        pending: s.pending.is_some() || s.retired.is_some() || s.creating.is_some(),
                    },
                );
            }
            None => {
                index.remove(profile);
            }
        }
        let _ = ctx;
        let written = serde_json::to_vec_pretty(&index)
            .map_err(std::io::Error::other)
            .and_then(|bytes| {
                if let Some(dir) = path.parent() {
                    crate::platform::create_private_dir(dir)?;
                }
                crate::files::write_atomic(path, &bytes)
            });
        if let Err(e) = written {
            eprintln!(
                "awsenv: warning: cannot write {}: {e}; `awsenv list` may not show the profile as kind keyring",
                path.display()
            );
        }
    }
}

/// What the index says of one profile's entry: never a secret, nor the whole key id.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct IndexEntry {
    pub backend: String,
    /// The key id masked to its last four characters.
    pub key: String,
    pub stored_at: i64,
    #[serde(default)]
    pub created_at: Option<i64>,
    /// A rotation was interrupted: `awsenv keys rotate` finishes it.
    #[serde(default)]
    pub pending: bool,
}

/// `$XDG_DATA_HOME/awsenv`, else `~/.local/share/awsenv` (`%APPDATA%\awsenv` on Windows):
/// the index and the default key file.
pub fn data_dir(ctx: &Context) -> Option<PathBuf> {
    if let Some(dir) = ctx.var("XDG_DATA_HOME") {
        return Some(PathBuf::from(dir).join("awsenv"));
    }
    if cfg!(windows)
        && let Some(dir) = ctx.var("APPDATA")
    {
        return Some(PathBuf::from(dir).join("awsenv"));
    }
    ctx.home()
        .map(|h| h.join(".local").join("share").join("awsenv"))
}

fn index_path(ctx: &Context) -> Option<PathBuf> {
    data_dir(ctx).map(|d| d.join("keys.json"))
}

fn read_index(path: Option<&std::path::Path>) -> BTreeMap<String, IndexEntry> {
    path.and_then(|p| std::fs::read(p).ok())
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

/// The profiles the index lists for the configured backend, without opening the backend:
/// how `profile` tells a keyring profile on the prompt's critical path.
pub fn indexed_profiles(ctx: &Context) -> Vec<String> {
    let name = backend_name(ctx);
    read_index(index_path(ctx).as_deref())
        .into_iter()
        .filter(|(_, e)| e.backend == name)
        .map(|(p, _)| p)
        .collect()
}

/// Whether a `credential_process` command runs awsenv's own `credential-process` for
/// `profile`: resolved directly, never by running awsenv inside awsenv.
pub fn is_own_credential_process(command: &str, profile: &str) -> bool {
    let Ok(words) = shell_words::split(command) else {
        return false;
    };
    let Some((program, rest)) = words.split_first() else {
        return false;
    };
    let base = program.rsplit(['/', '\\']).next().unwrap_or(program);
    if !matches!(base, "awsenv" | "awsenv.exe") {
        return false;
    }
    let mut rest = rest.iter().map(String::as_str);
    if rest.next() != Some("credential-process") {
        return false;
    }
    let mut named = None;
    let mut args = rest.peekable();
    while let Some(arg) = args.next() {
        match arg {
            "--duration" | "-d" => {
                args.next();
            }
            a if a.starts_with('-') => {}
            a => named = named.or(Some(a)),
        }
    }
    named == Some(profile)
}

/// The `credential_process` line `import` writes for `profile`.
pub fn credential_process_line(profile: &str) -> String {
    format!("awsenv credential-process {}", shell_words::quote(profile))
}

/// The error for a keyring profile whose entry is missing.
pub fn missing(profile: &str, backend: &str) -> Error {
    Error::credentials(
        profile,
        format!(
            "no key for it in the keyring ({backend}); store one with `awsenv keys add {profile}`"
        ),
    )
}

/// A key id as a person sees it.
pub fn masked(key_id: &str) -> String {
    crate::env::mask_key_id(key_id)
}

/// The long-term key of a keyring profile, read from the backend (the only read the
/// resolution makes, on a cache miss). An interrupted rotation is said once.
pub fn long_term(ctx: &Context, profile: &str) -> Result<Credentials> {
    // Not in the index: no key was stored for it here (a `credential_process` line of
    // awsenv's own, with no key behind it); the backend is not asked.
    if !indexed_profiles(ctx).iter().any(|p| p == profile) {
        return Err(missing(profile, backend_name(ctx)));
    }
    let keyring = Keyring::open(ctx)?;
    let stored = keyring
        .load(profile)?
        .ok_or_else(|| missing(profile, keyring.backend().name()))?;
    if stored.pending.is_some() || stored.retired.is_some() || stored.creating.is_some() {
        eprintln!(
            "awsenv: profile `{profile}`: a key rotation was interrupted; the key in use still works, run `awsenv keys rotate {profile}` to finish it"
        );
    }
    Ok(stored.current.credentials())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_credential_process_lines_are_recognised() {
        assert!(is_own_credential_process(
            "awsenv credential-process prod",
            "prod"
        ));
        assert!(is_own_credential_process(
            "/usr/local/bin/awsenv credential-process --duration 1h 'my prod'",
            "my prod"
        ));
        assert!(is_own_credential_process(
            &credential_process_line("a b"),
            "a b"
        ));
        assert!(!is_own_credential_process(
            "awsenv credential-process other",
            "prod"
        ));
        assert!(!is_own_credential_process("aws-vault exec prod", "prod"));
        assert!(!is_own_credential_process("awsenv assume prod", "prod"));
    }

    #[test]
    fn stored_entries_round_trip_small() {
        let pair = Pair {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
            created_at: Some(1),
        };
        let mut stored = Stored::new(pair.clone(), 2);
        stored.pending = Some(pair);
        stored.retired = Some("AKIAOLD".into());
        let text = stored.encode();
        assert!(text.len() < 1000, "{}", text.len());
        assert_eq!(Stored::decode(&text), Some(stored));
    }
}
