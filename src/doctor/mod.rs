//! The checks behind `awsenv doctor`: each looks at one thing that makes credentials fail and
//! returns a `Check` with its evidence and, when not ok, the fix as a command to paste.
//!
//! Evidence names variables, files and lines, cache entries and seconds; never a secret (a
//! key id's last four characters at most). Printing and the exit code live in `cmd::doctor`.

pub mod caches;
pub mod endpoints;
pub mod environment;
pub mod files;
pub mod imds;
pub mod keys;
pub mod online;
pub mod sso;

use std::fmt;

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Ok,
    Warn,
    Fail,
}

impl Level {
    fn name(self) -> &'static str {
        match self {
            Level::Ok => "ok",
            Level::Warn => "warn",
            Level::Fail => "fail",
        }
    }
}

/// One line of the report, and the fix for warn and fail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub level: Level,
    pub name: &'static str,
    pub evidence: String,
    pub fix: Option<String>,
}

impl Check {
    pub fn ok(name: &'static str, evidence: impl Into<String>) -> Self {
        Self {
            level: Level::Ok,
            name,
            evidence: evidence.into(),
            fix: None,
        }
    }

    pub fn warn(name: &'static str, evidence: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            level: Level::Warn,
            name,
            evidence: evidence.into(),
            fix: Some(fix.into()),
        }
    }

    pub fn fail(name: &'static str, evidence: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            level: Level::Fail,
            ..Self::warn(name, evidence, fix)
        }
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let one_line = |s: &str| s.replace(['\n', '\r'], " ");
        writeln!(
            f,
            "{:<4}  {}: {}",
            self.level.name(),
            self.name,
            one_line(&self.evidence)
        )?;
        match (&self.fix, self.level) {
            (Some(fix), Level::Warn | Level::Fail) => writeln!(f, "      fix: {}", one_line(fix)),
            _ => Ok(()),
        }
    }
}

/// A command that opens `path` at `line` in the user's editor.
pub fn edit_command(path: &std::path::Path, line: Option<usize>) -> String {
    let file = shell_words::quote(&path.display().to_string()).into_owned();
    match line {
        Some(line) => format!("${{EDITOR:-vi}} +{line} {file}"),
        None => format!("${{EDITOR:-vi}} {file}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_show_level_check_evidence_and_fix() {
        let check = Check::fail("clock", "620 s\nbehind", "sudo chronyc makestep");
        assert_eq!(
            check.to_string(),
            "fail  clock: 620 s behind\n      fix: sudo chronyc makestep\n"
        );
        assert_eq!(Check::ok("x", "fine").to_string(), "ok    x: fine\n");
    }

    #[test]
    fn edit_command_quotes_the_path() {
        let path = std::path::Path::new("/home/a b/.aws/config");
        assert_eq!(
            edit_command(path, Some(3)),
            "${EDITOR:-vi} +3 '/home/a b/.aws/config'"
        );
    }
}
