//! The error a user sees: one line naming the profile and the next step, and an exit code.
//!
//! `Usage` (exit 2) is a bad flag, an unknown profile or a malformed file; `Credentials`
//! (exit 1) is everything STS, the network, MFA or an expired source can refuse.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// Usage or configuration error: exit 2.
    Usage(String),
    /// Credentials could not be had: exit 1.
    Credentials(String),
}

impl Error {
    pub fn usage(profile: &str, message: impl fmt::Display) -> Self {
        Error::Usage(with_profile(profile, message))
    }

    pub fn credentials(profile: &str, message: impl fmt::Display) -> Self {
        Error::Credentials(with_profile(profile, message))
    }

    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) => 2,
            Error::Credentials(_) => 1,
        }
    }
}

fn with_profile(profile: &str, message: impl fmt::Display) -> String {
    if profile.is_empty() {
        message.to_string()
    } else {
        format!("profile `{profile}`: {message}")
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (Error::Usage(m) | Error::Credentials(m)) = self;
        // One line, whatever a message carried in.
        f.write_str(&m.replace(['\n', '\r'], " "))
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;
