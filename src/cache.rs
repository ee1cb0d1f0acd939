//! The credential cache: where it lives, one JSON file per key, the lock, the atomic write.
//!
//! A directory the user does not own outright is never trusted: `open` warns once and the
//! caller works without a cache. Every unreadable or odd entry is a miss, never a panic.
//! This module does not talk to STS; the caller does lock → get → (miss: STS, put) → drop.

use crate::env::{Context, Credentials, rfc3339};
use serde::{Deserialize, Serialize};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Entries larger than this are not credentials; reading stops there.
const MAX_ENTRY: u64 = 64 * 1024;
const DEFAULT_REFRESH_WINDOW: i64 = 300;

/// An open, trusted cache directory.
#[derive(Debug)]
pub struct Cache {
    dir: PathBuf,
}

/// What a cache entry is for: one file per distinct value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    pub profile: String,
    /// Role ARNs, source first.
    pub role_chain: Vec<String>,
    pub duration: Option<i64>,
    pub mfa_serial: Option<String>,
    /// `"role"`, or `"mfa-session"` for the GetSessionToken of a source profile.
    pub kind: &'static str,
}

/// One file in the cache, as `doctor` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub path: PathBuf,
    /// `None` with `expires_at` when the file could not be read as an entry.
    pub profile: Option<String>,
    pub expires_at: Option<i64>,
    pub corrupt: bool,
}

/// Held while the caller checks the cache and calls STS; released on drop.
#[derive(Debug)]
pub struct Lock {
    file: File,
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Closing the file releases the lock anyway; unlocking first is only explicit.
        let _ = self.file.unlock();
    }
}

/// The file format. Secrets live only here and in the 0600 file.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Stored {
    profile: String,
    kind: String,
    role_chain: Vec<String>,
    duration: Option<i64>,
    mfa_serial: Option<String>,
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
    expiration: String,
    expires_at: i64,
}

impl Stored {
    fn matches(&self, key: &Key) -> bool {
        self.profile == key.profile
            && self.kind == key.kind
            && self.role_chain == key.role_chain
            && self.duration == key.duration
            && self.mfa_serial == key.mfa_serial
    }
}

/// `AWSENV_REFRESH_WINDOW` (seconds or like `5m`), default 300 s.
pub fn refresh_window(ctx: &Context) -> i64 {
    ctx.duration_var("AWSENV_REFRESH_WINDOW", DEFAULT_REFRESH_WINDOW)
}

/// `AWSENV_CACHE_DIR`, else `$XDG_CACHE_HOME/awsenv`, else `~/.cache/awsenv`.
fn cache_dir(ctx: &Context) -> Option<PathBuf> {
    if let Some(dir) = ctx.var("AWSENV_CACHE_DIR") {
        return Some(PathBuf::from(dir));
    }
    if let Some(xdg) = ctx.var("XDG_CACHE_HOME") {
        return Some(Path::new(xdg).join("awsenv"));
    }
    ctx.home().map(|home| home.join(".cache").join("awsenv"))
}

impl Cache {
    /// The cache directory, created 0700 if missing; `None`, after one warning, if untrusted.
    pub fn open(ctx: &Context) -> Option<Cache> {
        let Some(dir) = cache_dir(ctx) else {
            eprintln!(
                "awsenv: warning: no cache directory (HOME is not set); working without the cache"
            );
            return None;
        };
        match Self::open_dir(&dir) {
            Ok(cache) => Some(cache),
            Err(why) => {
                let shown = dir.display();
                eprintln!(
                    "awsenv: warning: cache directory {shown} {why}; working without the cache"
                );
                None
            }
        }
    }

    /// The checks of `open`; the error completes "cache directory X …".
    fn open_dir(dir: &Path) -> Result<Cache, String> {
        if let Err(e) = fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
        {
            return Err(format!("cannot be created ({e})"));
        }
        let meta = fs::symlink_metadata(dir).map_err(|e| format!("cannot be read ({e})"))?;
        // SAFETY: geteuid has no preconditions and cannot fail.
        let me = unsafe { libc::geteuid() };
        if meta.file_type().is_symlink() {
            Err("is a symlink".into())
        } else if !meta.is_dir() {
            Err("is not a directory".into())
        } else if meta.uid() != me {
            Err(format!("is owned by uid {}, not you", meta.uid()))
        } else if meta.mode() & 0o022 != 0 {
            Err(format!(
                "is group- or world-writable (mode {:o})",
                meta.mode() & 0o777
            ))
        } else {
            Ok(Cache {
                dir: dir.to_owned(),
            })
        }
    }

    /// Credentials for `key` with more than `refresh_window` seconds left, else `None`.
    pub fn get(&self, key: &Key, now: i64, refresh_window: i64) -> Option<Credentials> {
        let stored = read_entry(&self.path(key))?;
        let usable = stored.matches(key)
            && stored.expires_at - now > refresh_window
            && !stored.access_key_id.is_empty()
            && !stored.secret_access_key.is_empty();
        usable.then_some(Credentials {
            access_key_id: stored.access_key_id,
            secret_access_key: stored.secret_access_key,
            session_token: stored.session_token,
            expires_at: Some(stored.expires_at),
        })
    }

    /// Store `creds` for `key`: a 0600 temporary file in the cache directory, renamed over
    /// the entry. The error names the file and fits in a one-line warning.
    pub fn put(&self, key: &Key, creds: &Credentials) -> io::Result<()> {
        let path = self.path(key);
        let context = |e: io::Error| {
            io::Error::new(
                e.kind(),
                format!("cannot write cache entry {}: {e}", path.display()),
            )
        };
        let Some(expires_at) = creds.expires_at else {
            let e = io::Error::new(
                io::ErrorKind::InvalidInput,
                "long-term keys are never cached",
            );
            return Err(context(e));
        };
        let stored = Stored {
            profile: key.profile.clone(),
            kind: key.kind.to_owned(),
            role_chain: key.role_chain.clone(),
            duration: key.duration,
            mfa_serial: key.mfa_serial.clone(),
            access_key_id: creds.access_key_id.clone(),
            secret_access_key: creds.secret_access_key.clone(),
            session_token: creds.session_token.clone(),
            expiration: rfc3339(expires_at),
            expires_at,
        };
        let json = serde_json::to_vec_pretty(&stored).map_err(|e| context(e.into()))?;
        self.write_atomic(&path, &json).map_err(context)
    }

    fn write_atomic(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        let (tmp, mut file) = self.temp_file(path)?;
        let written = file.write_all(bytes).and_then(|()| file.sync_all());
        let renamed = written.and_then(|()| fs::rename(&tmp, path));
        if renamed.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        renamed
    }

    /// A new file `.<entry>.<pid>.<n>.tmp`, 0600 from creation, never an existing one.
    fn temp_file(&self, path: &Path) -> io::Result<(PathBuf, File)> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        let mut attempts = 0;
        loop {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let tmp = self
                .dir
                .join(format!(".{name}.{}.{n}.tmp", std::process::id()));
            let mut options = OpenOptions::new();
            options.write(true).create_new(true).mode(0o600);
            attempts += 1;
            match options.custom_flags(libc::O_NOFOLLOW).open(&tmp) {
                // A stale file of a dead process with our pid: take the next number.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempts < 16 => continue,
                opened => return opened.map(|file| (tmp, file)),
            }
        }
    }

    /// An exclusive lock on `key`'s `.lock` file, waiting for whoever holds it.
    pub fn lock(&self, key: &Key) -> io::Result<Lock> {
        let path = self.dir.join(format!("{}.lock", key.stem()));
        let mut options = OpenOptions::new();
        options
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600);
        let file = options.custom_flags(libc::O_NOFOLLOW).open(&path)?;
        file.lock()?;
        Ok(Lock { file })
    }

    /// Every entry file, sorted by path; ones that cannot be read are marked corrupt.
    pub fn entries(&self) -> Vec<Entry> {
        let Ok(dir) = fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut entries: Vec<Entry> = dir
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| is_entry_name(p))
            .map(|path| match read_entry(&path) {
                Some(s) => Entry {
                    path,
                    profile: Some(s.profile),
                    expires_at: Some(s.expires_at),
                    corrupt: false,
                },
                None => Entry {
                    path,
                    profile: None,
                    expires_at: None,
                    corrupt: true,
                },
            })
            .collect();
        entries.sort_by(|a, b| a.path.cmp(&b.path));
        entries
    }

    /// Forget `key`'s entry; a missing one is already forgotten.
    pub fn remove(&self, key: &Key) {
        let _ = fs::remove_file(self.path(key));
    }

    fn path(&self, key: &Key) -> PathBuf {
        self.dir.join(key.file_name())
    }
}

/// `<profile>.<kind>.<hash>.json`, not a hidden temporary file nor a lock.
fn is_entry_name(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or(".");
    !name.starts_with('.') && name.ends_with(".json")
}

/// The stored entry at `path`, or `None` for anything missing, unreadable, large or malformed.
fn read_entry(path: &Path) -> Option<Stored> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .ok()?;
    let mut bytes = Vec::new();
    file.take(MAX_ENTRY).read_to_end(&mut bytes).ok()?;
    serde_json::from_slice(&bytes).ok()
}

impl Key {
    /// One file per key: a readable prefix, then a hash of every field.
    pub fn file_name(&self) -> String {
        format!("{}.json", self.stem())
    }

    fn stem(&self) -> String {
        let readable: String = self
            .profile
            .chars()
            .take(48)
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        format!("{readable}.{}.{:016x}", self.kind, self.hash())
    }

    /// FNV-1a over every field, each length-prefixed so no two keys share an encoding.
    fn hash(&self) -> u64 {
        let mut h = Fnv(0xcbf2_9ce4_8422_2325);
        h.field(self.kind.as_bytes());
        h.field(self.profile.as_bytes());
        h.field(&(self.role_chain.len() as u64).to_le_bytes());
        self.role_chain
            .iter()
            .for_each(|arn| h.field(arn.as_bytes()));
        h.field(
            &self
                .duration
                .map(|d| d.to_le_bytes().to_vec())
                .unwrap_or_default(),
        );
        h.field(&[
            u8::from(self.duration.is_some()),
            u8::from(self.mfa_serial.is_some()),
        ]);
        h.field(self.mfa_serial.as_deref().unwrap_or_default().as_bytes());
        h.0
    }
}

struct Fnv(u64);

impl Fnv {
    fn field(&mut self, bytes: &[u8]) {
        for b in (bytes.len() as u64).to_le_bytes().iter().chain(bytes) {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize;

    const NOW: i64 = 1_800_000_000;

    fn ctx(vars: &[(&str, &str)]) -> Context {
        let vars = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Context::new(vars, NOW)
    }

    fn key() -> Key {
        Key {
            profile: "prod admin".into(),
            role_chain: vec![
                "arn:aws:iam::1:role/a".into(),
                "arn:aws:iam::2:role/b".into(),
            ],
            duration: Some(3600),
            mfa_serial: Some("arn:aws:iam::1:mfa/me".into()),
            kind: "role",
        }
    }

    fn creds(expires_at: i64) -> Credentials {
        Credentials {
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: "secret".into(),
            session_token: Some("token".into()),
            expires_at: Some(expires_at),
        }
    }

    fn open(dir: &Path) -> Cache {
        Cache::open(&ctx(&[("AWSENV_CACHE_DIR", dir.to_str().unwrap())])).unwrap()
    }

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn round_trip_in_private_files() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("new").join("awsenv");
        let cache = open(&dir);
        cache.put(&key(), &creds(NOW + 3600)).unwrap();
        assert_eq!(cache.get(&key(), NOW, 300), Some(creds(NOW + 3600)));
        assert_eq!(mode(&dir), 0o700);
        let names: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(
            names,
            [key().file_name().as_str()],
            "no temporary file is left"
        );
        assert_eq!(mode(&dir.join(key().file_name())), 0o600);
        let text = fs::read_to_string(dir.join(key().file_name())).unwrap();
        assert!(text.contains(&rfc3339(NOW + 3600)) && text.contains("\"prod admin\""));
        cache.put(&key(), &creds(NOW + 7200)).unwrap();
        assert_eq!(cache.get(&key(), NOW, 300), Some(creds(NOW + 7200)));
        cache.remove(&key());
        assert_eq!(cache.get(&key(), NOW, 300), None);
    }

    #[test]
    fn directory_is_chosen_from_the_context() {
        let at = |vars: &[(&str, &str)]| cache_dir(&ctx(vars));
        assert_eq!(
            at(&[("HOME", "/h")]),
            Some(PathBuf::from("/h/.cache/awsenv"))
        );
        assert_eq!(
            at(&[("HOME", "/h"), ("XDG_CACHE_HOME", "/x")]),
            Some(PathBuf::from("/x/awsenv"))
        );
        let all = [
            ("HOME", "/h"),
            ("XDG_CACHE_HOME", "/x"),
            ("AWSENV_CACHE_DIR", "/c"),
        ];
        assert_eq!(at(&all), Some(PathBuf::from("/c")));
        assert_eq!(at(&[]), None);
        assert!(Cache::open(&ctx(&[])).is_none());
    }

    #[test]
    fn untrusted_directories_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let shared = tmp.path().join("shared");
        fs::create_dir(&shared).unwrap();
        for bits in [0o770, 0o707, 0o777] {
            fs::set_permissions(&shared, fs::Permissions::from_mode(bits)).unwrap();
            assert!(Cache::open_dir(&shared).unwrap_err().contains("writable"));
        }
        assert!(Cache::open(&ctx(&[("AWSENV_CACHE_DIR", shared.to_str().unwrap())])).is_none());
        let real = tmp.path().join("real");
        fs::create_dir(&real).unwrap();
        std::os::unix::fs::symlink(&real, tmp.path().join("link")).unwrap();
        assert_eq!(
            Cache::open_dir(&tmp.path().join("link")).unwrap_err(),
            "is a symlink"
        );
        let file = tmp.path().join("file");
        fs::write(&file, "").unwrap();
        assert!(Cache::open_dir(&file).unwrap_err().contains("created"));
        assert!(
            Cache::open_dir(&file.join("sub"))
                .unwrap_err()
                .contains("created")
        );
        std::os::unix::fs::chown(&real, Some(12345), None).unwrap();
        assert!(
            Cache::open_dir(&real)
                .unwrap_err()
                .contains("owned by uid 12345")
        );
    }

    #[test]
    fn odd_entries_are_misses() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = open(tmp.path());
        let path = tmp.path().join(key().file_name());
        cache.put(&key(), &creds(NOW + 3600)).unwrap();
        let good = fs::read_to_string(&path).unwrap();
        let bad = [
            "".to_owned(),
            "{not json".to_owned(),
            good[..good.len() / 2].to_owned(),
            "[1, 2, 3]".to_owned(),
            r#"{"profile": "prod admin"}"#.to_owned(),
            good.replace("\"ASIAEXAMPLE\"", "\"\""),
            good.replace("\"prod admin\"", "\"other\""),
            good.replace(&format!("{}", NOW + 3600), "\"soon\""),
            " ".repeat(MAX_ENTRY as usize + 1) + &good,
        ];
        for text in bad {
            fs::write(&path, &text).unwrap();
            assert_eq!(cache.get(&key(), NOW, 300), None, "{text:.60}");
        }
        fs::write(&path, &good).unwrap();
        assert!(cache.get(&key(), NOW, 300).is_some());
        fs::set_permissions(&path, fs::Permissions::from_mode(0o000)).unwrap();
        let _ = cache.get(&key(), NOW, 300); // root reads it anyway; nobody else does
        fs::remove_file(&path).unwrap();
        fs::create_dir(&path).unwrap();
        assert_eq!(cache.get(&key(), NOW, 300), None);
    }

    #[test]
    fn entries_near_or_past_expiry_are_misses() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = open(tmp.path());
        for (expires, served) in [
            (NOW + 301, true),
            (NOW + 300, false),
            (NOW + 10, false),
            (NOW - 1, false),
        ] {
            cache.put(&key(), &creds(expires)).unwrap();
            assert_eq!(
                cache.get(&key(), NOW, 300).is_some(),
                served,
                "{}",
                expires - NOW
            );
        }
        let long_term = Credentials {
            expires_at: None,
            ..creds(0)
        };
        let error = cache.put(&key(), &long_term).unwrap_err().to_string();
        assert!(error.contains("never cached") && !error.contains('\n'));
    }

    #[test]
    fn write_errors_fit_one_line_and_hold_no_secret() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = open(tmp.path());
        fs::create_dir(tmp.path().join(key().file_name())).unwrap();
        let error = cache
            .put(&key(), &creds(NOW + 3600))
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("cannot write cache entry "), "{error}");
        assert!(!error.contains('\n') && !error.contains("secret") && !error.contains("token"));
        let left: Vec<_> = fs::read_dir(tmp.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "the temporary file is removed");
    }

    #[test]
    fn file_name_is_stable_and_differs_per_field() {
        let name = key().file_name();
        assert_eq!(name, key().file_name());
        assert!(
            name.starts_with("prod_admin.role.") && name.ends_with(".json"),
            "{name}"
        );
        let variants = [
            Key {
                profile: "prod-admin".into(),
                ..key()
            },
            Key {
                role_chain: vec!["arn:aws:iam::1:role/a".into()],
                ..key()
            },
            Key {
                role_chain: vec![
                    "arn:aws:iam::2:role/b".into(),
                    "arn:aws:iam::1:role/a".into(),
                ],
                ..key()
            },
            Key {
                duration: None,
                ..key()
            },
            Key {
                duration: Some(3601),
                ..key()
            },
            Key {
                mfa_serial: None,
                ..key()
            },
            Key {
                mfa_serial: Some(String::new()),
                ..key()
            },
            Key {
                kind: "mfa-session",
                ..key()
            },
        ];
        let mut names: Vec<String> = variants.iter().map(Key::file_name).collect();
        names.push(name);
        names.sort();
        names.dedup();
        assert_eq!(names.len(), variants.len() + 1);
        assert!(
            !Key {
                profile: "../../x".into(),
                ..key()
            }
            .file_name()
            .contains('/')
        );
    }

    #[test]
    fn entries_list_every_file_and_flag_corrupt_ones() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = open(tmp.path());
        cache.put(&key(), &creds(NOW + 60)).unwrap();
        let other = Key {
            profile: "dev".into(),
            ..key()
        };
        cache.put(&other, &creds(NOW + 60)).unwrap();
        fs::write(tmp.path().join(other.file_name()), "garbage").unwrap();
        cache.lock(&key()).unwrap();
        let entries = cache.entries();
        assert_eq!(entries.len(), 2, "{entries:?}");
        assert!(entries[0].corrupt && entries[0].profile.is_none());
        assert_eq!(entries[1].profile.as_deref(), Some("prod admin"));
        assert_eq!(
            (entries[1].expires_at, entries[1].corrupt),
            (Some(NOW + 60), false)
        );
    }

    #[test]
    fn concurrent_assumes_make_one_sts_call() {
        let tmp = tempfile::tempdir().unwrap();
        let calls = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (dir, calls) = (tmp.path().to_owned(), calls.clone());
                std::thread::spawn(move || {
                    let cache = open(&dir);
                    let _lock = cache.lock(&key()).unwrap();
                    if cache.get(&key(), NOW, 300).is_none() {
                        std::thread::sleep(std::time::Duration::from_millis(50));
                        calls.fetch_add(1, Ordering::SeqCst);
                        cache.put(&key(), &creds(NOW + 3600)).unwrap();
                    }
                    cache.get(&key(), NOW, 300)
                })
            })
            .collect();
        for thread in threads {
            assert_eq!(thread.join().unwrap(), Some(creds(NOW + 3600)));
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn refresh_window_reads_seconds_or_units() {
        assert_eq!(refresh_window(&ctx(&[])), 300);
        assert_eq!(
            refresh_window(&ctx(&[("AWSENV_REFRESH_WINDOW", "2m")])),
            120
        );
        assert_eq!(refresh_window(&ctx(&[("AWSENV_REFRESH_WINDOW", "90")])), 90);
        assert_eq!(
            refresh_window(&ctx(&[("AWSENV_REFRESH_WINDOW", "junk")])),
            300
        );
    }
}
