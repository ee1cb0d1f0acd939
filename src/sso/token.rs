//! The IAM Identity Center token cache, byte-compatible with the AWS CLI's:
//! `~/.aws/sso/cache/<sha1 hex of the session name or start URL>.json`, 0600, written to a
//! temporary file and renamed; and the per-session lock that makes concurrent logins one.
//!
//! Reading accepts what aws-config writes when it refreshes a token (fractional seconds);
//! writing uses `%Y-%m-%dT%H:%M:%SZ`, the only form every reader accepts. No network here.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};

use crate::env::Context;
use crate::platform;

/// A token file is a few kilobytes; anything larger is not one.
const MAX_FILE: u64 = 256 * 1024;

/// One token file, fields in the order the AWS CLI writes them.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Token {
    #[serde(default)]
    pub start_url: String,
    #[serde(default)]
    pub region: String,
    pub access_token: String,
    pub expires_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_expires_at: Option<String>,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("start_url", &self.start_url)
            .field("region", &self.region)
            .field("expires_at", &self.expires_at)
            .field("refreshable", &self.refresh_token.is_some())
            .finish_non_exhaustive()
    }
}

impl Token {
    /// `expiresAt` in Unix seconds; `None` when it cannot be read.
    pub fn expires(&self) -> Option<i64> {
        parse_time(&self.expires_at)
    }

    /// The access token has more than `margin` seconds left.
    pub fn valid(&self, now: i64, margin: i64) -> bool {
        !self.access_token.is_empty() && self.expires().is_some_and(|at| at - now > margin)
    }

    /// aws-config can renew it: refresh token, client and a registration still valid.
    pub fn refreshable(&self, now: i64) -> bool {
        self.refresh_token.as_deref().is_some_and(|t| !t.is_empty())
            && self.client_id.is_some()
            && self.client_secret.is_some()
            && self
                .registration_expires_at
                .as_deref()
                .and_then(parse_time)
                .is_some_and(|at| at > now)
    }
}

/// A client registration of awsenv's own (RegisterClient), reused while it is valid. Kept in
/// the same directory as the AWS CLI keeps its own, in the same shape.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Registration {
    pub client_id: String,
    pub client_secret: String,
    pub expires_at: String,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub grant_types: Vec<String>,
}

/// `%Y-%m-%dT%H:%M:%SZ`: aws-config rejects any other offset than `Z`.
pub fn format_time(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// RFC 3339 with or without fractional seconds, any offset.
pub fn parse_time(text: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|t| t.timestamp())
}

/// `~/.aws/sso/cache`, where the AWS CLI and every SDK look.
pub fn cache_dir(ctx: &Context) -> Option<PathBuf> {
    ctx.home()
        .map(|home| home.join(".aws").join("sso").join("cache"))
}

/// sha1 hex of `identifier` (the session name, or the start URL of a legacy profile).
pub fn file_stem(identifier: &str) -> String {
    hex::encode(Sha1::digest(identifier.as_bytes()))
}

/// The token file for `identifier`.
pub fn path(ctx: &Context, identifier: &str) -> Option<PathBuf> {
    cache_dir(ctx).map(|dir| dir.join(format!("{}.json", file_stem(identifier))))
}

/// The token at `path`, or `None` for anything missing, large or malformed.
pub fn read(path: &Path) -> Option<Token> {
    let token: Token = serde_json::from_slice(&read_small(path)?).ok()?;
    (!token.access_token.is_empty()).then_some(token)
}

/// awsenv's registration for `key` (see `registration_path`), or `None`.
pub fn read_registration(path: &Path) -> Option<Registration> {
    serde_json::from_slice(&read_small(path)?).ok()
}

/// Where awsenv keeps the client registration for one start URL, region, scope set and flow.
pub fn registration_path(ctx: &Context, parts: &[&str]) -> Option<PathBuf> {
    let key = serde_json::json!({"tool": "awsenv", "key": parts}).to_string();
    cache_dir(ctx).map(|dir| dir.join(format!("{}.json", file_stem(&key))))
}

fn read_small(path: &Path) -> Option<Vec<u8>> {
    let meta = fs::metadata(path).ok()?;
    if !meta.is_file() {
        return None;
    }
    let mut bytes = Vec::new();
    File::open(path)
        .ok()?
        .take(MAX_FILE)
        .read_to_end(&mut bytes)
        .ok()?;
    Some(bytes)
}

/// Write `value` as JSON to `path`: the directory made (0700) if missing, a 0600 temporary
/// file beside it, renamed over `path`. The error names the file, never the contents.
pub fn write<T: Serialize>(path: &Path, value: &T) -> io::Result<()> {
    let context =
        |e: io::Error| io::Error::new(e.kind(), format!("cannot write {}: {e}", path.display()));
    let dir = path.parent().unwrap_or(Path::new("."));
    platform::create_private_dir(dir).map_err(context)?;
    let json = serde_json::to_vec_pretty(value).map_err(|e| context(e.into()))?;
    let (tmp, mut file) = temp_file(path).map_err(context)?;
    let written = file.write_all(&json).and_then(|()| file.sync_all());
    drop(file);
    let renamed = written.and_then(|()| fs::rename(&tmp, path));
    if renamed.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    renamed.map_err(context)
}

/// Remove the file at `path`; a missing one is no error.
pub fn remove(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(io::Error::new(
            e.kind(),
            format!("cannot remove {}: {e}", path.display()),
        )),
        _ => Ok(()),
    }
}

/// Held while one process logs in to a session; dropping it releases the lock.
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

/// An exclusive lock for `identifier`'s session, waiting while another login holds it (the
/// system drops it if that process dies).
pub fn lock(ctx: &Context, identifier: &str) -> io::Result<Lock> {
    let dir = cache_dir(ctx).ok_or_else(|| io::Error::other("HOME is not set"))?;
    platform::create_private_dir(&dir)?;
    let path = dir.join(format!(".{}.awsenv-lock", file_stem(identifier)));
    let file = platform::private_no_follow(&mut OpenOptions::new())
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)?;
    file.lock()?;
    Ok(Lock { _file: file })
}

fn temp_file(path: &Path) -> io::Result<(PathBuf, File)> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut attempts = 0;
    loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(".{name}.{}.{n}.tmp", std::process::id()));
        attempts += 1;
        match platform::private_no_follow(OpenOptions::new().write(true).create_new(true))
            .open(&tmp)
        {
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempts < 16 => continue,
            opened => return opened.map(|file| (tmp, file)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_sha1_of_the_identifier() {
        assert_eq!(file_stem("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
    }

    #[test]
    fn times_are_written_with_z_and_read_in_any_rfc3339_form() {
        assert_eq!(format_time(1_800_000_000), "2027-01-15T08:00:00Z");
        assert_eq!(parse_time("2027-01-15T08:00:00Z"), Some(1_800_000_000));
        assert_eq!(parse_time("2027-01-15T08:00:00.123Z"), Some(1_800_000_000));
        assert_eq!(parse_time("2027-01-15T10:00:00+02:00"), Some(1_800_000_000));
        assert_eq!(parse_time("soon"), None);
    }

    #[test]
    fn validity_and_refreshability() {
        let token = Token {
            access_token: "a".into(),
            expires_at: format_time(1000),
            ..Token::default()
        };
        assert!(token.valid(900, 60) && !token.valid(950, 60) && !token.valid(1000, 0));
        assert!(!token.refreshable(0));
        let refreshable = Token {
            refresh_token: Some("r".into()),
            client_id: Some("c".into()),
            client_secret: Some("s".into()),
            registration_expires_at: Some(format_time(2000)),
            ..token.clone()
        };
        assert!(refreshable.refreshable(1999) && !refreshable.refreshable(2000));
        assert!(!format!("{refreshable:?}").contains("\"s\""));
    }

    #[test]
    fn written_files_are_private_and_round_trip() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("sso").join("cache").join("x.json");
        let token = Token {
            start_url: "https://d-1234567890.awsapps.com/start".into(),
            region: "eu-west-1".into(),
            access_token: "a".into(),
            expires_at: format_time(1000),
            ..Token::default()
        };
        write(&path, &token).unwrap();
        assert_eq!(read(&path), Some(token));
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"startUrl\"") && !text.contains("refreshToken"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!((mode(&path), mode(path.parent().unwrap())), (0o600, 0o700));
        }
        let names: Vec<_> = fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary file is left");
        fs::write(&path, "{not json").unwrap();
        assert_eq!(read(&path), None);
    }
}
