//! The few calls that differ by operating system: who owns the cache directory, opening a
//! file without following a link, private file modes, the terminal for the MFA prompt, the
//! console signals while `exec` waits for its child, a child detached from the shell (the
//! prompt hook's background renewal), and the home and runtime directories.
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

/// The command that opens `url` in a browser: `$BROWSER URL` when `BROWSER` is set (one
/// command, the URL its one argument), else the system's opener.
pub fn browser(ctx: &crate::env::Context, url: &str) -> std::process::Command {
    match ctx.var("BROWSER") {
        Some(browser) => {
            let mut command = std::process::Command::new(browser);
            command.arg(url);
            command
        }
        None => url_opener(url),
    }
}
