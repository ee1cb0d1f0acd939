//! The credential cache: where it lives, one JSON file per key, the lock, the atomic write.
//!
//! A directory the user does not own outright is never trusted: `open` warns once and the
//! caller works without a cache. Every unreadable or odd entry is a miss, never a panic.
//! This module does not talk to STS; the caller does lock → get → (miss: STS, put) → drop.

use crate::env::{Context, Credentials, rfc3339};
use crate::platform;
use serde::{Deserialize, Serialize};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Entries larger than this are not credentials; reading stops there.
const MAX_ENTRY: u64 = 64 * 1024;
const DEFAULT_REFRESH_WINDOW: i64 = 300;
/// STS's longest session is 36 h (GetSessionToken); an entry promising more is not one.
const MAX_LIFETIME: i64 = 48 * 3600;

/// An open, trusted cache directory.
#[derive(Debug, Clone)]
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
    /// `"role"`; `"mfa-session"` for the MFA GetSessionToken of a source profile; `"session"`
    /// for the plain GetSessionToken the credential server serves a static profile through.
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

/// Held while the caller checks the cache and calls STS; dropping it closes the file,
/// which releases the lock.
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

/// The file format. Secrets live only here and in the 0600 file.
#[derive(Serialize, Deserialize)]
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

/// `AWSENV_CACHE_DIR`, else the platform's: `$XDG_CACHE_HOME/awsenv` or `~/.cache/awsenv`,
/// `%LOCALAPPDATA%\awsenv` on Windows.
pub fn cache_dir(ctx: &Context) -> Option<PathBuf> {
    match ctx.var("AWSENV_CACHE_DIR") {
        Some(dir) => Some(PathBuf::from(dir)),
        None => platform::cache_dir(ctx),
    }
}

impl Cache {
    /// The cache directory, created 0700 if missing; `None`, after one warning, if untrusted.
    pub fn open(ctx: &Context) -> Option<Cache> {
        let opened = match cache_dir(ctx) {
            Some(dir) => Self::open_dir(&dir)
                .map_err(|why| format!("cache directory {} {why}", dir.display())),
            None => Err(format!(
                "no cache directory ({} is not set)",
                platform::CACHE_BASE
            )),
        };
        opened
            .map_err(|why| eprintln!("awsenv: warning: {why}; working without the cache"))
            .ok()
    }

    /// Another private directory of awsenv's, checked and written as the cache is (the
    /// background renewals' snippets); the error completes "directory X …".
    pub fn open_private(dir: &Path) -> Result<Cache, String> {
        Self::open_dir(dir)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The checks of `open`; the error completes "cache directory X …".
    fn open_dir(dir: &Path) -> Result<Cache, String> {
        let meta = match fs::symlink_metadata(dir) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                platform::create_private_dir(dir)
                    .map_err(|e| format!("cannot be created ({e})"))?;
                fs::symlink_metadata(dir)
            }
            read => read,
        };
        let meta = meta.map_err(|e| format!("cannot be read ({e})"))?;
        match platform::untrusted_dir(dir, &meta) {
            Some(why) => Err(why),
            None => Ok(Cache { dir: dir.into() }),
        }
    }

    /// Credentials for `key` with more than `refresh_window` seconds left, else `None`.
    pub fn get(&self, key: &Key, now: i64, refresh_window: i64) -> Option<Credentials> {
        let stored = read_entry(&self.path(key))?;
        let left = stored.expires_at.saturating_sub(now);
        let usable = stored.matches(key)
            && left > refresh_window
            && left <= MAX_LIFETIME
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
        self.write_atomic(&path, &json, true).map_err(context)
    }

    /// A small file of awsenv's own beside the entries (`name` must not end in `.json`),
    /// read as entries are: no link followed, at most 64 KiB; `None` when missing or unreadable.
    pub fn read_file(&self, name: &str) -> Option<Vec<u8>> {
        read_limited(&self.dir.join(name))
    }

    /// Write such a file as entries are written: 0600, to a temporary file, then renamed;
    /// but not synced to disk first: these files are conveniences (the recent profiles), and
    /// one that a crash leaves empty reads as empty, so a profile switch does not wait on the
    /// disk.
    pub fn write_file(&self, name: &str, bytes: &[u8]) -> io::Result<()> {
        self.write_atomic(&self.dir.join(name), bytes, false)
    }

    /// `bytes` into a temporary file renamed over `path`, synced to disk first if `durable`.
    fn write_atomic(&self, path: &Path, bytes: &[u8], durable: bool) -> io::Result<()> {
        let (tmp, mut file) = self.temp_file(path)?;
        let written = file
            .write_all(bytes)
            .and_then(|()| if durable { file.sync_all() } else { Ok(()) });
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
            options.write(true).create_new(true);
            attempts += 1;
            match platform::private_no_follow(&mut options).open(&tmp) {
                // A stale file of a dead process with our pid: take the next number.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempts < 16 => continue,
                opened => return opened.map(|file| (tmp, file)),
            }
        }
    }

    /// An exclusive lock on `key`'s `.lock` file, waiting as long as whoever holds it does
    /// (another `assume`, possibly at its MFA prompt); the kernel drops it if that one dies.
    pub fn lock(&self, key: &Key) -> io::Result<Lock> {
        let path = self.dir.join(format!("{}.lock", key.stem()));
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        let file = platform::private_no_follow(&mut options).open(&path)?;
        file.lock()?;
        Ok(Lock { _file: file })
    }

    /// Remove every entry of `kind` stored for `profile` (every profile with `None`): an SSO
    /// session's role credentials when it logs out. How many went.
    pub fn remove_all(&self, profile: Option<&str>, kind: &str) -> usize {
        let Ok(dir) = fs::read_dir(&self.dir) else {
            return 0;
        };
        dir.filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| is_entry_name(p))
            .filter(|p| {
                read_entry(p)
                    .is_some_and(|s| profile.is_none_or(|p| s.profile == p) && s.kind == kind)
            })
            .filter(|p| fs::remove_file(p).is_ok())
            .count()
    }

    /// Remove every entry made from `profile`'s long-term key: its own sessions (plain and
    /// MFA) and the role sessions it is the source of. How many went.
    pub fn remove_made_from(&self, profile: &str) -> usize {
        let Ok(dir) = fs::read_dir(&self.dir) else {
            return 0;
        };
        let source = format!("source={profile}");
        dir.filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| is_entry_name(p))
            .filter(|p| {
                read_entry(p).is_some_and(|s| {
                    (s.profile == profile && s.kind != "role") || s.role_chain.contains(&source)
                })
            })
            .filter(|p| fs::remove_file(p).is_ok())
            .count()
    }

    /// Every entry file, sorted by path; ones that cannot be read are marked corrupt.
    pub fn entries(&self) -> Vec<Entry> {
        let Ok(dir) = fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut entries: Vec<Entry> = dir
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| is_entry_name(p))
            .map(|path| {
                let stored = read_entry(&path);
                Entry {
                    corrupt: stored.is_none(),
                    profile: stored.as_ref().map(|s| s.profile.clone()),
                    expires_at: stored.map(|s| s.expires_at),
                    path,
                }
            })
            .collect();
        entries.sort_by(|a, b| a.path.cmp(&b.path));
        entries
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
    serde_json::from_slice(&read_limited(path)?).ok()
}

/// The first 64 KiB of the file at `path`, never through a link nor blocking on a FIFO.
fn read_limited(path: &Path) -> Option<Vec<u8>> {
    // Never follow a link out of the directory, never block on a FIFO.
    let file = platform::private_no_follow(OpenOptions::new().read(true))
        .open(path)
        .ok()?;
    let mut bytes = Vec::new();
    file.take(MAX_ENTRY).read_to_end(&mut bytes).ok()?;
    Some(bytes)
}

impl Key {
    /// One file per key: a readable prefix, then a hash of every field.
    pub fn file_name(&self) -> String {
        format!("{}.json", self.stem())
    }

    fn stem(&self) -> String {
        let safe = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        let readable: String = self
            .profile
            .chars()
            .take(48)
            .map(|c| if safe(c) { c } else { '_' })
            .collect();
        format!("{readable}.{}.{:016x}", self.kind, self.hash())
    }

    /// 64-bit FNV-1a of every field as a JSON array: an unambiguous encoding, stable across
    /// Rust versions (unlike std's `DefaultHasher`).
    fn hash(&self) -> u64 {
        let fields = (
            self.kind,
            &self.profile,
            &self.role_chain,
            self.duration,
            &self.mfa_serial,
        );
        // Invariant: strings, integers and options always serialize.
        let bytes = serde_json::to_vec(&fields).expect("key fields serialize");
        bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(unix)]
    use std::os::unix::fs::PermissionsExt;
    use std::sync::{Arc, atomic::AtomicUsize};

    const NOW: i64 = 1_800_000_000;

    fn ctx(vars: &[(&str, &str)]) -> Context {
        Context::fake(vars, NOW)
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

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    fn names(dir: &Path) -> Vec<String> {
        let entries = fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name());
        entries.map(|n| n.into_string().unwrap()).collect()
    }

    #[test]
    fn round_trip_in_private_files() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("new").join("awsenv");
        let cache = open(&dir);
        cache.put(&key(), &creds(NOW + 3600)).unwrap();
        assert_eq!(cache.get(&key(), NOW, 300), Some(creds(NOW + 3600)));
        assert_eq!(
            names(&dir),
            [key().file_name()],
            "no temporary file is left"
        );
        #[cfg(unix)]
        assert_eq!(
            (mode(&dir), mode(&dir.join(key().file_name()))),
            (0o700, 0o600)
        );
        let text = fs::read_to_string(dir.join(key().file_name())).unwrap();
        assert!(text.contains(&rfc3339(NOW + 3600)) && text.contains("\"prod admin\""));
        cache.put(&key(), &creds(NOW + 7200)).unwrap();
        assert_eq!(cache.get(&key(), NOW, 300), Some(creds(NOW + 7200)));
    }

    #[cfg(windows)]
    #[test]
    fn directory_is_local_app_data_on_windows() {
        let at = |vars: &[(&str, &str)]| cache_dir(&ctx(vars));
        let local = ("LOCALAPPDATA", "C:\\Users\\me\\AppData\\Local");
        let want = Path::new(local.1).join("awsenv");
        assert_eq!(at(&[local, ("HOME", "C:\\h")]), Some(want));
        assert_eq!(
            at(&[local, ("AWSENV_CACHE_DIR", "D:\\c")]),
            Some("D:\\c".into())
        );
        assert_eq!(at(&[("USERPROFILE", "C:\\u")]), None);
    }

    #[cfg(unix)]
    #[test]
    fn directory_is_chosen_from_the_context() {
        let at = |vars: &[(&str, &str)]| cache_dir(&ctx(vars)).unwrap();
        let (home, xdg, own) = (
            ("HOME", "/h"),
            ("XDG_CACHE_HOME", "/x"),
            ("AWSENV_CACHE_DIR", "/c"),
        );
        assert_eq!(at(&[home]), Path::new("/h/.cache/awsenv"));
        assert_eq!(at(&[home, xdg]), Path::new("/x/awsenv"));
        assert_eq!(at(&[home, xdg, own]), Path::new("/c"));
        assert!(Cache::open(&ctx(&[])).is_none());
    }

    #[cfg(unix)]
    #[test]
    fn untrusted_directories_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let refusal = |name: &str| Cache::open_dir(&tmp.path().join(name)).unwrap_err();
        fs::create_dir(tmp.path().join("shared")).unwrap();
        for bits in [0o770, 0o707, 0o777] {
            let shared = tmp.path().join("shared");
            fs::set_permissions(&shared, fs::Permissions::from_mode(bits)).unwrap();
            assert!(refusal("shared").contains("writable"));
            assert!(Cache::open(&ctx(&[("AWSENV_CACHE_DIR", shared.to_str().unwrap())])).is_none());
        }
        fs::create_dir(tmp.path().join("real")).unwrap();
        std::os::unix::fs::symlink(tmp.path().join("real"), tmp.path().join("link")).unwrap();
        assert_eq!(refusal("link"), "is a symlink");
        fs::write(tmp.path().join("file"), "").unwrap();
        assert_eq!(refusal("file"), "is not a directory");
        assert!(refusal("file/sub").contains("cannot"));
        let deeper = tmp.path().join("missing/deeper");
        assert!(Cache::open_dir(&deeper).is_ok() && mode(&deeper) & 0o777 == 0o700);
        // As root this test can give the directory away; as anyone else chown fails.
        if std::os::unix::fs::chown(tmp.path().join("real"), Some(12345), None).is_ok() {
            assert_eq!(refusal("real"), "is owned by uid 12345, not you");
        }
    }

    #[test]
    fn odd_entries_are_misses() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = open(tmp.path());
        let path = tmp.path().join(key().file_name());
        cache.put(&key(), &creds(NOW + 3600)).unwrap();
        let good = fs::read_to_string(&path).unwrap();
        let bad = [
            String::new(),
            "{not json".into(),
            good[..good.len() / 2].into(),
            "[1, 2, 3]".into(),
            r#"{"profile": "prod admin"}"#.into(),
            good.replace("\"ASIAEXAMPLE\"", "\"\""),
            good.replace("\"prod admin\"", "\"other\""),
            good.replace(&(NOW + 3600).to_string(), "\"soon\""),
            " ".repeat(MAX_ENTRY as usize) + &good,
        ];
        for text in bad {
            fs::write(&path, &text).unwrap();
            assert_eq!(cache.get(&key(), NOW, 300), None, "{text:.60}");
        }
        fs::write(&path, &good).unwrap();
        assert!(cache.get(&key(), NOW, 300).is_some());
        fs::remove_file(&path).unwrap();
        #[cfg(unix)]
        {
            std::process::Command::new("mkfifo")
                .arg(&path)
                .status()
                .unwrap();
            assert_eq!(cache.get(&key(), NOW, 300), None, "a FIFO does not block");
            fs::remove_file(&path).unwrap();
        }
        fs::create_dir(&path).unwrap();
        assert_eq!(cache.get(&key(), NOW, 300), None);
    }

    #[test]
    fn entries_near_or_past_expiry_are_misses() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = open(tmp.path());
        let long = NOW + MAX_LIFETIME + 1;
        for (at, served) in [
            (NOW + 301, true),
            (NOW + 300, false),
            (NOW - 1, false),
            (long, false),
            (i64::MIN, false),
        ] {
            cache.put(&key(), &creds(at)).unwrap();
            assert_eq!(cache.get(&key(), NOW, 300).is_some(), served, "{at}");
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
        assert_eq!(
            names(tmp.path()),
            [key().file_name()],
            "the temporary file is removed"
        );
    }

    #[test]
    fn file_name_is_stable_and_differs_per_field() {
        let name = key().file_name();
        assert_eq!(name, "prod_admin.role.848bdfceb2097c91.json");
        let changes: [fn(&mut Key); 9] = [
            |k| k.profile = "prod-admin".into(),
            |k| k.profile = "../../prod admin".into(),
            |k| drop(k.role_chain.pop()),
            |k| k.role_chain.reverse(),
            |k| k.duration = None,
            |k| k.duration = Some(3601),
            |k| k.mfa_serial = None,
            |k| k.mfa_serial = Some(String::new()),
            |k| k.kind = "mfa-session",
        ];
        let mut names: Vec<String> = changes
            .iter()
            .map(|change| {
                let mut k = key();
                change(&mut k);
                k.file_name()
            })
            .collect();
        assert!(names.iter().all(|n| !n.contains('/')), "{names:?}");
        names.push(name);
        names.sort();
        names.dedup();
        assert_eq!(names.len(), changes.len() + 1);
    }

    #[test]
    fn entries_list_every_file_and_flag_corrupt_ones() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = open(tmp.path());
        let other = Key {
            profile: "dev".into(),
            ..key()
        };
        cache.put(&key(), &creds(NOW + 60)).unwrap();
        cache.put(&other, &creds(NOW + 60)).unwrap();
        fs::write(tmp.path().join(other.file_name()), "garbage").unwrap();
        let _lock = cache.lock(&key()).unwrap();
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
        let assume = |dir: PathBuf, calls: Arc<AtomicUsize>| {
            let cache = open(&dir);
            let _lock = cache.lock(&key()).unwrap();
            if cache.get(&key(), NOW, 300).is_none() {
                std::thread::sleep(std::time::Duration::from_millis(50));
                calls.fetch_add(1, Ordering::SeqCst);
                cache.put(&key(), &creds(NOW + 3600)).unwrap();
            }
            cache.get(&key(), NOW, 300)
        };
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (dir, calls) = (tmp.path().to_owned(), calls.clone());
                std::thread::spawn(move || assume(dir, calls))
            })
            .collect();
        for thread in threads {
            assert_eq!(thread.join().unwrap(), Some(creds(NOW + 3600)));
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn refresh_window_reads_seconds_or_units() {
        let window = |v: &str| refresh_window(&ctx(&[("AWSENV_REFRESH_WINDOW", v)]));
        assert_eq!(
            (window(""), window("2m"), window("90"), window("junk")),
            (300, 120, 90, 300)
        );
    }
}
