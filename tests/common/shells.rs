//! Where the tests find the shells that come from neither PATH's usual Debian packages nor
//! one place: nushell from npm (`.tools/npm`), xonsh from PyPI (`.venv`), elvish and tcsh
//! from Debian. `.ci/run` installs them all; under `CI=true` a missing one fails the test.

use std::path::PathBuf;

use super::repo;

/// The shell's executable, if it is installed.
pub fn locate(name: &str) -> Option<PathBuf> {
    let local = match name {
        "nu" => Some(repo().join(".tools/npm/node_modules/.bin/nu")),
        "xonsh" => Some(repo().join(".venv/bin/xonsh")),
        _ => None,
    };
    if let Some(path) = local {
        return path.is_file().then_some(path);
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// The shell's executable; `None` (the test is skipped, with a line saying so) when it is
/// missing on a developer's machine; a failure when it is missing under `CI=true`.
pub fn require(name: &str) -> Option<PathBuf> {
    let found = locate(name);
    if found.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{name} is not installed; .ci/run installs it"
        );
        eprintln!("{name} is not installed (.ci/run installs it): skipped");
    }
    found
}

/// The arguments that run `script` (a file) in `name` without the user's rc files.
pub fn script_args(name: &str, script: &str) -> Vec<String> {
    let flags: &[&str] = match name {
        "nu" => &["-n", "--no-std-lib"],
        "elvish" => &["-norc"],
        "xonsh" => &["--no-rc"],
        "tcsh" => &["-f"],
        _ => &[],
    };
    flags
        .iter()
        .map(|s| (*s).to_owned())
        .chain([script.to_owned()])
        .collect()
}

/// Every variable awsenv may set or unset: what the shell tests read back after each step.
pub const EVERY: [&str; 15] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWSENV_PROFILE",
    "AWSENV_EXPIRES_AT",
    "AWSENV_REGION",
    "AWSENV_SAVED_REGION",
    "AWSENV_SAVED_DEFAULT_REGION",
    "AWSENV_PROMPT",
    "AWS_SECURITY_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
];
