//! The few calls that differ by operating system: who owns the cache directory, opening a
//! file without following a link, private file modes, the terminal for the MFA prompt, the
//! console signals while `exec` waits for its child, and the home directory.
//!
//! `cfg` lives here and nowhere else; each function has the same signature on every OS.

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub use unix::*;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub use windows::*;
