//! The error a user sees: one line naming the profile and the next step, and an exit code.
//!
//! `Usage` (exit 2) is a bad flag, an unknown profile or a malformed file; `Credentials`
//! (exit 1) is everything STS, the network, MFA or an expired source can refuse.
//! `Cancelled` (exit 130, as a shell reports Ctrl-C) is the user leaving the picker.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// Usage or configuration error: exit 2.
    Usage(String),
    /// Credentials could not be had: exit 1.
    Credentials(String),
    /// The user left the picker (Esc, Ctrl-C): exit 130, nothing changed.
    Cancelled,
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
            Error::Cancelled => 130,
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
        match self {
            // One line, whatever a message carried in.
            Error::Usage(m) | Error::Credentials(m) => f.write_str(&m.replace(['\n', '\r'], " ")),
            Error::Cancelled => f.write_str("cancelled; nothing changed"),
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;
