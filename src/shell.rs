//! The shell dialects: quoting, export, unset and the failure snippet.
//!
//! One quoting function per dialect, every value quoted, never "only when needed". A snippet
//! is built whole in memory from `Op`s after every check has passed; nothing here writes.
//! nushell cannot evaluate text, so its "snippet" is a JSON record its wrapper applies.

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
    /// nushell: a JSON record, applied by the `def --env awsenv` wrapper of `init nu`.
    Nu,
    Elvish,
    Xonsh,
    /// tcsh and csh.
    Tcsh,
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
    /// A control character (newline, CR, tab, …) in a value, which tcsh cannot hold.
    Control(Shell, String),
}

impl std::fmt::Display for SnippetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SnippetError::Nul(name) => write!(
                f,
                "the value for {name} holds a NUL byte, which no shell variable can hold; check the profile's files"
            ),
            SnippetError::BadName(name) => write!(f, "`{name}` is not a valid variable name"),
            SnippetError::Control(shell, name) => write!(
                f,
                "the value for {name} holds a control character (newline, tab, …), which {} cannot hold; use another shell for this profile or fix its files",
                shell.name()
            ),
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
            Shell::Nu => "nu",
            Shell::Elvish => "elvish",
            Shell::Xonsh => "xonsh",
            Shell::Tcsh => "tcsh",
        }
    }

    /// A shell from its name or the basename of its path: `zsh`, `/usr/bin/fish`, `pwsh`, `dash`.
    pub fn from_name(name: &str) -> Option<Self> {
        let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
        let base = base.strip_prefix('-').unwrap_or(base); // login shells: `-bash`
        let base = base.strip_suffix(".exe").unwrap_or(base);
        Some(match base {
            "bash" => Shell::Bash,
            "zsh" => Shell::Zsh,
            "fish" => Shell::Fish,
            "powershell" | "pwsh" => Shell::PowerShell,
            "nu" | "nushell" => Shell::Nu,
            "elvish" => Shell::Elvish,
            "xonsh" => Shell::Xonsh,
            "tcsh" | "csh" => Shell::Tcsh,
            "sh" | "dash" | "ash" | "ksh" | "mksh" | "oksh" | "pdksh" | "busybox" | "posh"
            | "yash" => Shell::Sh,
            _ => return None,
        })
    }

    /// `--shell`, else `AWSENV_SHELL` (set by `init`), else the basename of `$SHELL`, else
    /// `powershell` on Windows and `sh` elsewhere.
    pub fn detect(flag: Option<Shell>, ctx: &Context) -> Shell {
        flag.or_else(|| ctx.var("AWSENV_SHELL").and_then(Shell::from_name))
            .or_else(|| ctx.var("SHELL").and_then(Shell::from_name))
            .unwrap_or(crate::platform::DEFAULT_SHELL)
    }

    /// A single-quoted literal that this dialect reads back as exactly `value`.
    pub fn quote(self, value: &str) -> String {
        match self {
            Shell::Sh | Shell::Bash | Shell::Zsh => quote_posix(value),
            Shell::Fish => quote_fish(value),
            Shell::PowerShell => quote_powershell(value),
            Shell::Nu => serde_json::Value::from(value).to_string(),
            Shell::Elvish => quote_elvish(value),
            Shell::Xonsh => quote_python(value),
            Shell::Tcsh => quote_tcsh(value),
        }
    }

    /// What stdout carries when anything failed: `false` where `eval`/`source` runs it,
    /// nothing where a wrapper or the capture sees the exit status (PowerShell's
    /// `$LASTEXITCODE`, nushell's `complete`, elvish's exception, xonsh's `$()`).
    pub fn failure(self) -> &'static str {
        match self {
            Shell::PowerShell | Shell::Nu | Shell::Elvish | Shell::Xonsh => "",
            Shell::Sh | Shell::Bash | Shell::Zsh | Shell::Fish | Shell::Tcsh => "false\n",
        }
    }

    /// Code that prints `line` on stderr with the shell's builtins and changes no variable:
    /// what a background renewal leaves for the prompt hook when it failed. For nushell,
    /// which reads records, it is the line as a JSON string, which its hook prints.
    pub fn warning(self, line: &str) -> String {
        let line: String = line
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let quoted = self.quote(&line);
        match self {
            Shell::Sh | Shell::Bash | Shell::Zsh | Shell::Fish => {
                format!("printf '%s\\n' {quoted} >&2\n")
            }
            Shell::PowerShell => format!("[Console]::Error.WriteLine({quoted})\n"),
            Shell::Nu => format!("{quoted}\n"),
            Shell::Elvish => format!("echo {quoted} >&2\n"),
            Shell::Xonsh => format!("print({quoted}, file=__import__('sys').stderr)\n"),
            Shell::Tcsh => format!("printf '%s\\n' {quoted} > /dev/stderr\n"),
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
                Op::Set(name, value)
                    if self == Shell::Tcsh && value.chars().any(char::is_control) =>
                {
                    return Err(SnippetError::Control(self, name.clone()));
                }
                _ if self == Shell::Nu => {}
                Op::Set(name, value) => self.write_set(&mut out, name, value),
                Op::Unset(name) => self.write_unset(&mut out, name),
            }
        }
        // `set -e` of a variable that is not there fails in fish; a snippet ends with status 0.
        if self == Shell::Fish {
            out.push_str("true\n");
        }
        if self == Shell::Nu {
            out = render_nu(ops);
        }
        Ok(out)
    }

    fn write_set(self, out: &mut String, name: &str, value: &str) {
        let quoted = self.quote(value);
        let _ = match self {
            Shell::Sh | Shell::Bash | Shell::Zsh => writeln!(out, "export {name}={quoted}"),
            Shell::Fish => writeln!(out, "set -gx {name} {quoted}"),
            Shell::PowerShell => writeln!(out, "$env:{name} = {quoted}"),
            Shell::Elvish => writeln!(out, "set-env {name} {quoted}"),
            Shell::Xonsh => writeln!(out, "${name} = {quoted}"),
            Shell::Tcsh => writeln!(out, "setenv {name} {quoted} ;"),
            Shell::Nu => Ok(()),
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
            Shell::Elvish => writeln!(out, "unset-env {name}"),
            Shell::Xonsh => writeln!(out, "if '{name}' in ${{...}}: del ${name}"),
            Shell::Tcsh => writeln!(out, "unsetenv {name} ;"),
            Shell::Nu => Ok(()),
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

/// nushell: one JSON object, each name once with its last value, `null` for a removal.
fn render_nu(ops: &[Op]) -> String {
    let mut record: Vec<(&str, Option<&str>)> = Vec::new();
    for op in ops {
        let (name, value) = match op {
            Op::Set(name, value) => (name.as_str(), Some(value.as_str())),
            Op::Unset(name) => (name.as_str(), None),
        };
        match record.iter_mut().find(|(n, _)| *n == name) {
            Some(entry) => entry.1 = value,
            None => record.push((name, value)),
        }
    }
    let fields: Vec<String> = record
        .iter()
        .map(|(name, value)| {
            let value = value.map_or(serde_json::Value::Null, serde_json::Value::from);
            format!("{}:{value}", serde_json::Value::from(*name))
        })
        .collect();
    format!("{{{}}}\n", fields.join(","))
}

/// elvish: `'…'` with each `'` doubled; anything else, newlines included, stands for itself.
pub fn quote_elvish(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// xonsh: a Python string literal in printable ASCII: `\\`, `\'`, and every other
/// character outside printable ASCII as `\xNN`, `\uNNNN` or `\UNNNNNNNN`.
pub fn quote_python(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        let _ = match c {
            '\\' => write!(out, "\\\\"),
            '\'' => write!(out, "\\'"),
            ' ' => write!(out, " "),
            c if c.is_ascii_graphic() => write!(out, "{c}"),
            c if (c as u32) < 0x100 => write!(out, "\\x{:02x}", c as u32),
            c if (c as u32) < 0x10000 => write!(out, "\\u{:04x}", c as u32),
            c => write!(out, "\\U{:08x}", c as u32),
        };
    }
    out.push('\'');
    out
}

/// tcsh: `'…'` with `'` written `'\''` and `!` written `\!` outside the quotes, since
/// history expansion reaches into single quotes. Control characters never get here.
pub fn quote_tcsh(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''").replace('!', r"'\!'"))
}

/// PowerShell: printable ASCII only, so the snippet arrives intact through any console code
/// page and any line ending. Runs of printable ASCII go in `'…'` with `'` doubled; every other
/// character is `[char]0xNNNN`, one per UTF-16 code unit; the parts are joined with `+`, and
/// the expression starts with a string (`''`), since `+` converts its right side to the type
/// of its left: `[char]0x2018 + 'x'` is an error and `[char]0xD83E + [char]0xDD80` a number.
pub fn quote_powershell(value: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut run: Option<String> = None;
    for c in value.chars() {
        if c == ' ' || c.is_ascii_graphic() {
            let run = run.get_or_insert_with(String::new);
            if c == '\'' {
                run.push('\'');
            }
            run.push(c);
            continue;
        }
        if let Some(text) = run.take() {
            parts.push(format!("'{text}'"));
        }
        if parts.is_empty() {
            parts.push("''".to_owned());
        }
        let mut units = [0u16; 2];
        parts.extend(
            c.encode_utf16(&mut units)
                .iter()
                .map(|unit| format!("[char]0x{unit:04X}")),
        );
    }
    if let Some(text) = run {
        parts.push(format!("'{text}'"));
    }
    if parts.is_empty() {
        return "''".to_owned();
    }
    parts.join(" + ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Shell; 9] = [
        Shell::Sh,
        Shell::Bash,
        Shell::Zsh,
        Shell::Fish,
        Shell::PowerShell,
        Shell::Nu,
        Shell::Elvish,
        Shell::Xonsh,
        Shell::Tcsh,
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
    fn powershell_quoting_is_printable_ascii_joined_with_plus() {
        assert_eq!(quote_powershell("a'b"), "'a''b'");
        assert_eq!(quote_powershell(""), "''");
        assert_eq!(quote_powershell("$env:X `n"), "'$env:X `n'");
        assert_eq!(quote_powershell("a\u{2019}b"), "'a' + [char]0x2019 + 'b'");
        assert_eq!(
            quote_powershell("\u{2018}smart"),
            "'' + [char]0x2018 + 'smart'"
        );
        assert_eq!(
            quote_powershell("\u{1F980}"),
            "'' + [char]0xD83E + [char]0xDD80"
        );
        assert_eq!(
            quote_powershell("x\r\n\t\u{7f}"),
            "'x' + [char]0x000D + [char]0x000A + [char]0x0009 + [char]0x007F"
        );
        for value in ["\u{2018}\u{2019}\u{201A}\u{201B}", "é😀\u{feff}", "a\nb"] {
            let quoted = quote_powershell(value);
            assert!(
                quoted.bytes().all(|b| (0x20..0x7f).contains(&b)),
                "{quoted}"
            );
            assert!(quoted.starts_with('\''), "{quoted}");
        }
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
    fn warnings_print_one_quoted_line_on_stderr() {
        let line = "awsenv: profile `it's`: $x\nnext";
        assert_eq!(
            Shell::Bash.warning(line),
            "printf '%s\\n' 'awsenv: profile `it'\\''s`: $x next' >&2\n"
        );
        assert_eq!(
            Shell::Fish.warning(line),
            "printf '%s\\n' 'awsenv: profile `it\\'s`: $x next' >&2\n"
        );
        assert_eq!(
            Shell::PowerShell.warning("a'b\u{2019}"),
            "[Console]::Error.WriteLine('a''b' + [char]0x2019)\n"
        );
        assert_eq!(Shell::Nu.warning("a\"b"), "\"a\\\"b\"\n");
        assert_eq!(Shell::Elvish.warning("it's"), "echo 'it''s' >&2\n");
        assert_eq!(
            Shell::Tcsh.warning("wow!"),
            "printf '%s\\n' 'wow'\\!'' > /dev/stderr\n"
        );
        assert!(Shell::Xonsh.warning("x").starts_with("print("));
    }

    #[test]
    fn the_new_dialects_render_set_and_unset() {
        let ops = [Op::set("A", "it's !$x"), Op::unset("B"), Op::set("B", "b")];
        assert_eq!(
            Shell::Nu.render(&ops).unwrap(),
            "{\"A\":\"it's !$x\",\"B\":\"b\"}\n"
        );
        assert_eq!(
            Shell::Nu.render(&[Op::set("A", "a\n\"")]).unwrap(),
            "{\"A\":\"a\\n\\\"\"}\n"
        );
        assert_eq!(
            Shell::Nu.render(&[Op::unset("A")]).unwrap(),
            "{\"A\":null}\n"
        );
        assert_eq!(
            Shell::Elvish.render(&ops).unwrap(),
            "set-env A 'it''s !$x'\nunset-env B\nset-env B 'b'\n"
        );
        assert_eq!(
            Shell::Xonsh.render(&ops[..2]).unwrap(),
            "$A = 'it\\'s !$x'\nif 'B' in ${...}: del $B\n"
        );
        assert_eq!(
            Shell::Tcsh.render(&ops[..2]).unwrap(),
            "setenv A 'it'\\''s '\\!'$x' ;\nunsetenv B ;\n"
        );
    }

    #[test]
    fn python_literals_are_printable_ascii() {
        assert_eq!(quote_python("a\\b'c"), r"'a\\b\'c'");
        assert_eq!(quote_python("\n\t\u{7f}é"), r"'\x0a\x09\x7f\xe9'");
        assert_eq!(quote_python("\u{2019}😀"), r"'\u2019\U0001f600'");
        assert_eq!(quote_python(""), "''");
    }

    #[test]
    fn tcsh_refuses_every_control_character_by_name() {
        for value in ["a\nb", "\r", "\t", "\u{1b}[0m", "\u{7f}", "\u{85}"] {
            let err = Shell::Tcsh
                .render(&[Op::set("AWS_REGION", value)])
                .unwrap_err();
            assert_eq!(err, SnippetError::Control(Shell::Tcsh, "AWS_REGION".into()));
            assert!(err.to_string().contains("AWS_REGION"));
        }
        assert!(Shell::Elvish.render(&[Op::set("A", "a\nb")]).is_ok());
    }

    #[test]
    fn failure_snippets() {
        assert_eq!(Shell::Zsh.failure(), "false\n");
        assert_eq!(Shell::Fish.failure(), "false\n");
        assert_eq!(Shell::PowerShell.failure(), "");
        assert_eq!(Shell::Tcsh.failure(), "false\n");
        for shell in [Shell::Nu, Shell::Elvish, Shell::Xonsh] {
            assert_eq!(shell.failure(), "", "{shell:?}");
        }
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
            Shell::detect(None, &ctx(&[("SHELL", "/bin/ksh93")])),
            crate::platform::DEFAULT_SHELL
        );
        for (path, shell) in [
            ("/bin/tcsh", Shell::Tcsh),
            ("/bin/csh", Shell::Tcsh),
            ("/usr/bin/nu", Shell::Nu),
            ("/opt/nushell", Shell::Nu),
            ("/usr/bin/elvish", Shell::Elvish),
            ("/home/u/.venv/bin/xonsh", Shell::Xonsh),
        ] {
            assert_eq!(
                Shell::detect(None, &ctx(&[("SHELL", path)])),
                shell,
                "{path}"
            );
        }
        assert_eq!(
            Shell::detect(None, &ctx(&[])),
            crate::platform::DEFAULT_SHELL
        );
        assert_eq!(Shell::from_name("pwsh"), Some(Shell::PowerShell));
    }
}

#[cfg(test)]
mod powershell_round_trip {
    use super::quote_powershell;
    use proptest::prelude::*;

    /// Reads back what `quote_powershell` writes, by PowerShell's rules for that form.
    fn decode(expr: &str) -> String {
        let mut units: Vec<u16> = Vec::new();
        let mut rest = expr;
        loop {
            if let Some(body) = rest.strip_prefix('\'') {
                let mut end = 0;
                let bytes = body.as_bytes();
                let mut text = String::new();
                loop {
                    match bytes[end] {
                        b'\'' if bytes.get(end + 1) == Some(&b'\'') => {
                            text.push('\'');
                            end += 2;
                        }
                        b'\'' => break,
                        b => {
                            text.push(char::from(b));
                            end += 1;
                        }
                    }
                }
                units.extend(text.encode_utf16());
                rest = &body[end + 1..];
            } else {
                let hex = rest.strip_prefix("[char]0x").expect("a [char] term");
                units.push(u16::from_str_radix(&hex[..4], 16).expect("four hex digits"));
                rest = &hex[4..];
            }
            match rest.strip_prefix(" + ") {
                Some(next) => rest = next,
                None => break,
            }
        }
        assert_eq!(rest, "", "nothing after the last term");
        String::from_utf16(&units).expect("valid UTF-16")
    }

    proptest! {
        #[test]
        fn any_value_comes_back_and_stays_printable_ascii(value in any::<String>()) {
            let quoted = quote_powershell(&value);
            prop_assert!(quoted.bytes().all(|b| (0x20..0x7f).contains(&b)));
            prop_assert!(quoted.starts_with('\''));
            prop_assert_eq!(decode(&quoted), value);
        }
    }
}
