//! The five shell dialects: quoting, export, unset and the failure snippet.
//!
//! One quoting function per dialect, every value quoted, never "only when needed". A snippet
//! is built whole in memory from `Op`s after every check has passed; nothing here writes.

use std::fmt::Write as _;

use crate::env::Context;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(clippy::enum_variant_names)] // `PowerShell` is the shell's own name
pub enum Shell {
    /// POSIX sh: dash, ksh, busybox.
    Sh,
    Bash,
    Zsh,
    Fish,
    PowerShell,
}

/// One change to the shell's variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Set(String, String),
    Unset(String),
}

impl Op {
    pub fn set(name: &str, value: impl Into<String>) -> Self {
        Op::Set(name.to_owned(), value.into())
    }

    pub fn unset(name: &str) -> Self {
        Op::Unset(name.to_owned())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnippetError {
    /// A value holds a NUL byte, which no shell variable can hold.
    Nul(String),
    /// A name outside `[A-Za-z_][A-Za-z0-9_]*`.
    BadName(String),
}

impl std::fmt::Display for SnippetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SnippetError::Nul(name) => write!(
                f,
                "the value for {name} holds a NUL byte, which no shell variable can hold; check the profile's files"
            ),
            SnippetError::BadName(name) => write!(f, "`{name}` is not a valid variable name"),
        }
    }
}

impl Shell {
    pub fn name(self) -> &'static str {
        match self {
            Shell::Sh => "sh",
            Shell::Bash => "bash",
            Shell::Zsh => "zsh",
            Shell::Fish => "fish",
            Shell::PowerShell => "powershell",
        }
    }

    /// A shell from its name or the basename of its path: `zsh`, `/usr/bin/fish`, `pwsh`, `dash`.
    pub fn from_name(name: &str) -> Option<Self> {
        let base = name.rsplit('/').next().unwrap_or(name);
        let base = base.strip_prefix('-').unwrap_or(base); // login shells: `-bash`
        let base = base.strip_suffix(".exe").unwrap_or(base);
        Some(match base {
            "bash" => Shell::Bash,
            "zsh" => Shell::Zsh,
            "fish" => Shell::Fish,
            "powershell" | "pwsh" => Shell::PowerShell,
            "sh" | "dash" | "ash" | "ksh" | "mksh" | "oksh" | "pdksh" | "busybox" | "posh"
            | "yash" => Shell::Sh,
            _ => return None,
        })
    }

    /// `--shell`, else `AWSENV_SHELL` (set by `init`), else the basename of `$SHELL`, else `sh`.
    pub fn detect(flag: Option<Shell>, ctx: &Context) -> Shell {
        flag.or_else(|| ctx.var("AWSENV_SHELL").and_then(Shell::from_name))
            .or_else(|| ctx.var("SHELL").and_then(Shell::from_name))
            .unwrap_or(Shell::Sh)
    }

    /// A single-quoted literal that this dialect reads back as exactly `value`.
    pub fn quote(self, value: &str) -> String {
        match self {
            Shell::Sh | Shell::Bash | Shell::Zsh => quote_posix(value),
            Shell::Fish => quote_fish(value),
            Shell::PowerShell => quote_powershell(value),
        }
    }

    /// What stdout carries when anything failed: `false` where `eval`/`source` runs it,
    /// nothing for PowerShell (its wrapper reads `$LASTEXITCODE`).
    pub fn failure(self) -> &'static str {
        match self {
            Shell::PowerShell => "",
            _ => "false\n",
        }
    }

    /// The whole snippet for `ops`, or an error before anything is written.
    pub fn render(self, ops: &[Op]) -> Result<String, SnippetError> {
        let mut out = String::new();
        for op in ops {
            let name = match op {
                Op::Set(name, _) | Op::Unset(name) => name,
            };
            if !valid_name(name) {
                return Err(SnippetError::BadName(name.clone()));
            }
            match op {
                Op::Set(name, value) if value.contains('\0') => {
                    return Err(SnippetError::Nul(name.clone()));
                }
                Op::Set(name, value) => self.write_set(&mut out, name, value),
                Op::Unset(name) => self.write_unset(&mut out, name),
            }
        }
        // `set -e` of a variable that is not there fails in fish; a snippet ends with status 0.
        if self == Shell::Fish {
            out.push_str("true\n");
        }
        Ok(out)
    }

    fn write_set(self, out: &mut String, name: &str, value: &str) {
        let quoted = self.quote(value);
        let _ = match self {
            Shell::Sh | Shell::Bash | Shell::Zsh => writeln!(out, "export {name}={quoted}"),
            Shell::Fish => writeln!(out, "set -gx {name} {quoted}"),
            Shell::PowerShell => writeln!(out, "$env:{name} = {quoted}"),
        };
    }

    fn write_unset(self, out: &mut String, name: &str) {
        let _ = match self {
            Shell::Sh | Shell::Bash | Shell::Zsh => writeln!(out, "unset {name}"),
            Shell::Fish => writeln!(out, "set -e -g {name}"),
            Shell::PowerShell => {
                writeln!(
                    out,
                    "Remove-Item -LiteralPath Env:{name} -ErrorAction Ignore"
                )
            }
        };
    }
}

/// `[A-Za-z_][A-Za-z0-9_]*`
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// sh, bash, zsh: `'…'`, each `'` written `'\''`.
pub fn quote_posix(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// fish: `'…'`, escaping only `\` → `\\` and `'` → `\'`.
pub fn quote_fish(value: &str) -> String {
    format!("'{}'", value.replace('\\', r"\\").replace('\'', r"\'"))
}

/// The characters that end a PowerShell single-quoted string: `'` `‘` `’` `‚` `‛`.
pub const POWERSHELL_QUOTES: [char; 5] = ['\'', '\u{2018}', '\u{2019}', '\u{201A}', '\u{201B}'];

/// PowerShell: `'…'`, every one of the five single-quote characters doubled.
pub fn quote_powershell(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if POWERSHELL_QUOTES.contains(&c) {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Shell; 5] = [
        Shell::Sh,
        Shell::Bash,
        Shell::Zsh,
        Shell::Fish,
        Shell::PowerShell,
    ];

    #[test]
    fn posix_quoting_escapes_only_single_quotes() {
        assert_eq!(quote_posix("it's"), r"'it'\''s'");
        assert_eq!(quote_posix("{a,b} $x `y` \\"), r"'{a,b} $x `y` \'");
        assert_eq!(quote_posix(""), "''");
    }

    #[test]
    fn fish_quoting_escapes_backslash_and_quote() {
        assert_eq!(quote_fish(r"a\b'c"), r"'a\\b\'c'");
        assert_eq!(quote_fish("$x {a,b}"), "'$x {a,b}'");
    }

    #[test]
    fn powershell_quoting_doubles_all_five_quotes() {
        assert_eq!(quote_powershell("a'b"), "'a''b'");
        assert_eq!(
            quote_powershell("\u{2018}\u{2019}\u{201A}\u{201B}"),
            "'\u{2018}\u{2018}\u{2019}\u{2019}\u{201A}\u{201A}\u{201B}\u{201B}'"
        );
        assert_eq!(quote_powershell("$env:X `n"), "'$env:X `n'");
    }

    #[test]
    fn names_are_checked() {
        assert!(valid_name("AWS_REGION"));
        assert!(valid_name("_x1"));
        assert!(!valid_name("1X"));
        assert!(!valid_name("A-B"));
        assert!(!valid_name(""));
        assert!(!valid_name("A B"));
        let err = Shell::Bash.render(&[Op::set("A;B", "x")]).unwrap_err();
        assert_eq!(err, SnippetError::BadName("A;B".into()));
    }

    #[test]
    fn nul_is_refused_and_nothing_is_rendered() {
        let ops = [Op::set("A", "ok"), Op::set("B", "x\0y")];
        for shell in ALL {
            assert_eq!(shell.render(&ops), Err(SnippetError::Nul("B".into())));
        }
    }

    #[test]
    fn each_dialect_renders_set_and_unset() {
        let ops = [Op::set("A", "v"), Op::unset("B")];
        assert_eq!(Shell::Bash.render(&ops).unwrap(), "export A='v'\nunset B\n");
        assert_eq!(Shell::Sh.render(&ops).unwrap(), "export A='v'\nunset B\n");
        assert_eq!(
            Shell::Fish.render(&ops).unwrap(),
            "set -gx A 'v'\nset -e -g B\ntrue\n"
        );
        assert_eq!(
            Shell::PowerShell.render(&ops).unwrap(),
            "$env:A = 'v'\nRemove-Item -LiteralPath Env:B -ErrorAction Ignore\n"
        );
    }

    #[test]
    fn failure_snippets() {
        assert_eq!(Shell::Zsh.failure(), "false\n");
        assert_eq!(Shell::Fish.failure(), "false\n");
        assert_eq!(Shell::PowerShell.failure(), "");
    }

    #[test]
    fn detection_order() {
        let ctx = |vars: &[(&str, &str)]| Context::fake(vars, 0);
        assert_eq!(
            Shell::detect(Some(Shell::Fish), &ctx(&[("SHELL", "/bin/zsh")])),
            Shell::Fish
        );
        assert_eq!(
            Shell::detect(
                None,
                &ctx(&[("AWSENV_SHELL", "bash"), ("SHELL", "/bin/zsh")])
            ),
            Shell::Bash
        );
        assert_eq!(
            Shell::detect(None, &ctx(&[("SHELL", "/usr/bin/fish")])),
            Shell::Fish
        );
        assert_eq!(
            Shell::detect(None, &ctx(&[("SHELL", "/bin/dash")])),
            Shell::Sh
        );
        assert_eq!(
            Shell::detect(None, &ctx(&[("SHELL", "/bin/tcsh")])),
            Shell::Sh
        );
        assert_eq!(Shell::detect(None, &ctx(&[])), Shell::Sh);
        assert_eq!(Shell::from_name("pwsh"), Some(Shell::PowerShell));
    }
}
