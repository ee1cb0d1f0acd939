//! The `file` backend: every profile's entry in one file, encrypted in the age format to a
//! passphrase (scrypt, a memory-hard KDF; ChaCha20-Poly1305, authenticated), so that
//! `age -d FILE` opens it in an emergency.
//!
//! `AWSENV_KEYRING_FILE`, else `keys.age` in awsenv's data directory; 0600, replaced
//! atomically. The passphrase comes from `AWSENV_KEYRING_PASSPHRASE` or the terminal and is
//! never empty. A wrong passphrase or a file that does not decrypt changes nothing.

use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::PathBuf;

use age::secrecy::SecretString;
use zeroize::Zeroizing;

use super::Backend;
use crate::env::Context;
use crate::error::{Error, Result};

pub const FILE_VAR: &str = "AWSENV_KEYRING_FILE";
pub const PASSPHRASE_VAR: &str = "AWSENV_KEYRING_PASSPHRASE";
/// scrypt's N = 2^16: 64 MiB and about a fifth of a second per open.
const WORK_FACTOR: u8 = 16;
/// The most a file may ask for before awsenv refuses to spend the time.
const MAX_WORK_FACTOR: u8 = 22;

pub struct FileStore {
    path: Option<PathBuf>,
    given: Option<Zeroizing<String>>,
    passphrase: OnceCell<SecretString>,
}

type Entries = BTreeMap<String, String>;

impl FileStore {
    pub fn new(ctx: &Context) -> Self {
        let path = match ctx.var(FILE_VAR) {
            Some(p) => Some(PathBuf::from(p)),
            None => super::data_dir(ctx).map(|d| d.join("keys.age")),
        };
        Self {
            path,
            given: ctx
                .var(PASSPHRASE_VAR)
                .map(|p| Zeroizing::new(p.to_owned())),
            passphrase: OnceCell::new(),
        }
    }

    fn path(&self) -> Result<&PathBuf> {
        self.path.as_ref().ok_or_else(|| {
            Error::Usage(format!(
                "the key file has no place: set {FILE_VAR} (or HOME / XDG_DATA_HOME)"
            ))
        })
    }

    /// The passphrase, asked at most once; `creating` asks twice on the terminal.
    fn passphrase(&self, creating: bool) -> Result<&SecretString> {
        if let Some(p) = self.passphrase.get() {
            return Ok(p);
        }
        let path = self.path()?.display().to_string();
        let text: Zeroizing<String> = match &self.given {
            Some(p) => p.clone(),
            None => {
                let ask = |prompt: &str| {
                    rpassword::prompt_password(prompt)
                        .map(Zeroizing::new)
                        .map_err(|_| {
                            Error::Credentials(format!(
                                "the key file {path} needs its passphrase: set {PASSPHRASE_VAR} or run in a terminal"
                            ))
                        })
                };
                let first = ask(&format!("Passphrase for the awsenv key file {path}: "))?;
                if creating && !first.is_empty() {
                    let again = ask("The same passphrase again: ")?;
                    if *again != *first {
                        return Err(Error::Credentials(
                            "the two passphrases differ; nothing was changed".into(),
                        ));
                    }
                }
                first
            }
        };
        if text.is_empty() {
            return Err(Error::Credentials(format!(
                "the key file {path} needs a passphrase, and an empty one is refused; set {PASSPHRASE_VAR} or type one"
            )));
        }
        let _ = self.passphrase.set(SecretString::from(text.to_string()));
        self.passphrase
            .get()
            .ok_or_else(|| Error::Credentials("no passphrase".into()))
    }

    /// The file's entries; `None` when there is no file yet.
    fn read(&self) -> Result<Option<Entries>> {
        let path = self.path()?;
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(Error::Credentials(format!(
                    "cannot read the key file {}: {e}",
                    path.display()
                )));
            }
        };
        let corrupt = |why: &dyn std::fmt::Display| {
            Error::Credentials(format!(
                "the key file {} does not decrypt ({why}); it was left as it is: restore it from a backup or move it away",
                path.display()
            ))
        };
        let decryptor = age::Decryptor::new(&bytes[..]).map_err(|e| corrupt(&e))?;
        if !decryptor.is_scrypt() {
            return Err(corrupt(&"it is not encrypted to a passphrase"));
        }
        let mut identity = age::scrypt::Identity::new(self.passphrase(false)?.clone());
        identity.set_max_work_factor(MAX_WORK_FACTOR);
        let mut reader = match decryptor.decrypt(std::iter::once(&identity as &dyn age::Identity)) {
            Ok(r) => r,
            Err(
                age::DecryptError::DecryptionFailed
                | age::DecryptError::NoMatchingKeys
                | age::DecryptError::KeyDecryptionFailed,
            ) => {
                return Err(Error::Credentials(format!(
                    "wrong passphrase for the key file {} ({PASSPHRASE_VAR} or the one typed); nothing was changed",
                    path.display()
                )));
            }
            Err(e) => return Err(corrupt(&e)),
        };
        let mut plain = Zeroizing::new(Vec::new());
        reader.read_to_end(&mut plain).map_err(|e| corrupt(&e))?;
        serde_json::from_slice(&plain)
            .map(Some)
            .map_err(|_| corrupt(&"its content is not awsenv's"))
    }

    fn write(&self, entries: &Entries) -> Result<()> {
        let path = self.path()?;
        let plain = Zeroizing::new(serde_json::to_vec(entries).unwrap_or_default());
        let mut recipient = age::scrypt::Recipient::new(self.passphrase(true)?.clone());
        recipient.set_work_factor(WORK_FACTOR);
        let failed = |e: &dyn std::fmt::Display| {
            Error::Credentials(format!(
                "cannot write the key file {}: {e}; nothing was changed",
                path.display()
            ))
        };
        let encryptor =
            age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
                .map_err(|e| failed(&e))?;
        let mut sealed = Vec::new();
        let mut writer = encryptor.wrap_output(&mut sealed).map_err(|e| failed(&e))?;
        writer.write_all(&plain).map_err(|e| failed(&e))?;
        writer.finish().map_err(|e| failed(&e))?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::platform::create_private_dir(dir).map_err(|e| failed(&e))?;
        }
        crate::files::write_atomic(path, &sealed).map_err(|e| failed(&e))?;
        crate::platform::make_private(path);
        Ok(())
    }
}

impl Backend for FileStore {
    fn name(&self) -> &'static str {
        "file"
    }

    fn get(&self, profile: &str) -> Result<Option<Zeroizing<String>>> {
        Ok(self
            .read()?
            .and_then(|mut e| e.remove(profile))
            .map(Zeroizing::new))
    }

    fn set(&self, profile: &str, value: &str) -> Result<()> {
        let mut entries = self.read()?.unwrap_or_default();
        entries.insert(profile.to_owned(), value.to_owned());
        let written = self.write(&entries);
        for v in entries.values_mut() {
            zeroize::Zeroize::zeroize(v);
        }
        written
    }

    fn delete(&self, profile: &str) -> Result<bool> {
        let Some(mut entries) = self.read()? else {
            return Ok(false);
        };
        let had = entries.remove(profile).is_some();
        if had {
            self.write(&entries)?;
        }
        for v in entries.values_mut() {
            zeroize::Zeroize::zeroize(v);
        }
        Ok(had)
    }

    fn check(&self) -> Result<()> {
        self.read().map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use age::secrecy::ExposeSecret;

    fn store(dir: &std::path::Path, pass: &str) -> FileStore {
        let file = dir.join("keys.age").display().to_string();
        let ctx = Context::fake(&[(FILE_VAR, &file), (PASSPHRASE_VAR, pass)], 0);
        FileStore::new(&ctx)
    }

    #[test]
    fn right_and_wrong_passphrases() {
        let dir = tempfile::tempdir().unwrap();
        let good = store(dir.path(), "correct horse");
        good.set("prod", "SECRETVALUE").unwrap();
        assert_eq!(
            good.passphrase(false).unwrap().expose_secret(),
            "correct horse"
        );
        let bytes = std::fs::read(dir.path().join("keys.age")).unwrap();
        assert!(!bytes.windows(11).any(|w| w == b"SECRETVALUE"));
        assert!(!bytes.windows(4).any(|w| w == b"prod"));
        assert_eq!(
            good.get("prod").unwrap().as_deref().map(String::as_str),
            Some("SECRETVALUE")
        );
        let bad = store(dir.path(), "wrong");
        let err = bad.get("prod").unwrap_err();
        assert!(err.to_string().contains("wrong passphrase"), "{err}");
        assert_eq!(err.exit_code(), 1);
        assert!(bad.set("dev", "x").is_err());
        assert_eq!(std::fs::read(dir.path().join("keys.age")).unwrap(), bytes);
    }

    #[test]
    fn a_corrupt_file_is_named_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("keys.age"), b"not age at all").unwrap();
        let s = store(dir.path(), "p");
        let err = s.set("prod", "v").unwrap_err().to_string();
        assert!(
            err.contains("keys.age") && err.contains("does not decrypt"),
            "{err}"
        );
        assert_eq!(
            std::fs::read(dir.path().join("keys.age")).unwrap(),
            b"not age at all"
        );
    }

    #[test]
    fn an_empty_passphrase_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("keys.age").display().to_string();
        let ctx = Context::fake(&[(FILE_VAR, &file)], 0);
        // No terminal in a test run, no variable: refused, nothing written.
        assert!(FileStore::new(&ctx).set("p", "v").is_err());
        assert!(!dir.path().join("keys.age").exists());
    }
}
