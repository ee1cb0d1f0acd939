//! The Windows Credential Manager backend: one generic credential per profile, through the
//! `keyring` crate (CredWriteW, CredReadW, CredDeleteW; no enumeration, which Wine offers
//! only with a filter).
//!
//! The value is the small JSON `Stored` encodes: far below the 2,560-byte blob limit.

use zeroize::Zeroizing;

use super::{Backend, SERVICE};
use crate::error::{Error, Result};

pub struct Wincred;

fn entry(profile: &str) -> Result<keyring::Entry> {
    keyring::Entry::new(SERVICE, profile).map_err(|e| failure(&e))
}

fn failure(error: &keyring::Error) -> Error {
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
        "the Windows Credential Manager: {what}; or keep keys in an encrypted file with AWSENV_KEYRING=file"
    ))
}

impl Backend for Wincred {
    fn name(&self) -> &'static str {
        "wincred"
    }

    fn get(&self, profile: &str) -> Result<Option<Zeroizing<String>>> {
        match entry(profile)?.get_password() {
            Ok(value) => Ok(Some(Zeroizing::new(value))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(failure(&e)),
        }
    }

    fn set(&self, profile: &str, value: &str) -> Result<()> {
        entry(profile)?.set_password(value).map_err(|e| failure(&e))
    }

    fn delete(&self, profile: &str) -> Result<bool> {
        match entry(profile)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(failure(&e)),
        }
    }

    fn check(&self) -> Result<()> {
        // Reading an entry that is not there answers as well as any call.
        self.get("\u{1}awsenv-check").map(|_| ())
    }
}
