//! The platform stores that the `keyring` crate reaches: the Windows Credential Manager (one
//! generic credential per profile: CredWriteW, CredReadW, CredDeleteW; no enumeration, which
//! Wine offers only with a filter) and the macOS Keychain (one generic password per profile).
//! Both hold the entry under service `awsenv`; the value is the small JSON `Stored` encodes,
//! far below the Credential Manager's 2,560-byte blob limit.
//!
//! The Keychain is built only on macOS, which awsenv cannot build or test on its CI:
//! untested, as the README says.

use zeroize::Zeroizing;

use super::{Backend, SERVICE};
use crate::error::{Error, Result};

/// One of the stores, by the name `AWSENV_KEYRING` gives it and the one errors use.
pub struct Native {
    name: &'static str,
    store: &'static str,
}

#[cfg(windows)]
pub const WINCRED: Native = Native {
    name: "wincred",
    store: "the Windows Credential Manager",
};

#[cfg(target_os = "macos")]
pub const KEYCHAIN: Native = Native {
    name: "keychain",
    store: "the macOS Keychain",
};

impl Native {
    fn entry(&self, profile: &str) -> Result<keyring::Entry> {
        keyring::Entry::new(SERVICE, profile).map_err(|e| self.failure(&e))
    }

    fn failure(&self, error: &keyring::Error) -> Error {
        let what = match error {
            keyring::Error::TooLong(..) => "the entry is too long for it".to_owned(),
            keyring::Error::NoStorageAccess(_) => "it refused access".to_owned(),
            other => other
                .to_string()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
        };
        Error::Credentials(format!(
            "{}: {what}; or keep keys in an encrypted file with AWSENV_KEYRING=file",
            self.store
        ))
    }
}

impl Backend for Native {
    fn name(&self) -> &'static str {
        self.name
    }

    fn get(&self, profile: &str) -> Result<Option<Zeroizing<String>>> {
        match self.entry(profile)?.get_password() {
            Ok(value) => Ok(Some(Zeroizing::new(value))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(self.failure(&e)),
        }
    }

    fn set(&self, profile: &str, value: &str) -> Result<()> {
        self.entry(profile)?
            .set_password(value)
            .map_err(|e| self.failure(&e))
    }

    fn delete(&self, profile: &str) -> Result<bool> {
        match self.entry(profile)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(self.failure(&e)),
        }
    }

    fn check(&self) -> Result<()> {
        // Reading an entry that is not there answers as well as any call.
        self.get("\u{1}awsenv-check").map(|_| ())
    }
}
