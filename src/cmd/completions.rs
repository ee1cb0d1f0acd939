//! `awsenv completions SHELL`: the completion script for bash, zsh, fish, PowerShell,
//! elvish, nushell, xonsh or tcsh.
//!
//! The script registers clap_complete's dynamic protocol (`COMPLETE=SHELL awsenv -- …`,
//! answered in `main`), so profile names come from the user's config at the moment of <TAB>
//! rather than being frozen into the script. nushell gets clap_complete_nushell's `extern`s
//! with profile names from `awsenv list --names`; xonsh's completer and tcsh's `complete`
//! line are the completion part of their init scripts. Every script calls `awsenv` through
//! PATH, never the path of the binary that printed it: release.sh packages these files,
//! generated on the build machine, for every user's.

use clap::CommandFactory;
use clap_complete::env::Shells;

use crate::cli::{Cli, CompletionsArgs};
use crate::env::Context;
use crate::error::{Error, Result};
use crate::shell::Shell;

/// The variable the dynamic protocol answers to; `main`'s `CompleteEnv` uses the same.
const VAR: &str = "COMPLETE";

/// How the script calls awsenv back: by name, found on PATH when the user presses <TAB>.
const COMMAND: &str = "awsenv";

pub fn run(args: &CompletionsArgs, _ctx: &Context) -> Result<()> {
    let script = script(args.shell, COMMAND)?;
    super::write_stdout(&script);
    Ok(())
}

/// The registration script for `shell`, calling `completer` back for candidates.
pub fn script(shell: Shell, completer: &str) -> Result<String> {
    match shell {
        Shell::Nu => return Ok(nushell()),
        Shell::Xonsh | Shell::Tcsh => return Ok(init_part(shell).to_owned()),
        _ => {}
    }
    let shells = Shells::builtins();
    let env_completer = shells.completer(shell.name()).ok_or_else(|| {
        Error::Usage(format!(
            "{} has no programmable completion; use one of bash, zsh, fish, powershell",
            shell.name()
        ))
    })?;
    let cmd = Cli::command();
    let name = cmd.get_name().to_owned();
    let mut buf = Vec::new();
    env_completer
        .write_registration(VAR, &name, &name, completer, &mut buf)
        .map_err(|e| {
            Error::Usage(format!(
                "cannot write the {} completions: {e}",
                shell.name()
            ))
        })?;
    String::from_utf8(buf).map_err(|_| {
        Error::Usage("the completion script is not UTF-8; run awsenv from a UTF-8 path".into())
    })
}

/// The line that opens the completion part of an init script.
pub const MARK: &str = "# Completions: ";

/// The completion part of `shell`'s init script: from `MARK` to the next empty line.
fn init_part(shell: Shell) -> &'static str {
    let text = super::init::script(shell);
    let Some(at) = text.find(MARK) else {
        return "";
    };
    let part = &text[at..];
    part.find("\n\n").map_or(part, |end| &part[..=end])
}

/// clap_complete_nushell's `extern`s, their profile arguments completed by
/// `awsenv list --names`.
fn nushell() -> String {
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(clap_complete_nushell::Nushell, &mut cmd, "awsenv", &mut buf);
    let text = String::from_utf8_lossy(&buf);
    let completer =
        "  def \"nu-complete awsenv profiles\" [] {\n    ^awsenv list --names | lines\n  }\n\n";
    let mut out = String::with_capacity(text.len() + 256);
    for line in text.split_inclusive('\n') {
        let param = line.trim_start().trim_start_matches("...");
        let is_profile = ["profile: string", "profile?: string", "profiles: string"]
            .iter()
            .any(|p| param.starts_with(p));
        match line.find(": string") {
            Some(at) if is_profile => {
                let end = at + ": string".len();
                out.push_str(&line[..end]);
                out.push_str("@\"nu-complete awsenv profiles\"");
                out.push_str(&line[end..]);
            }
            _ => out.push_str(line),
        }
        if line == "module completions {\n" {
            out.push('\n');
            out.push_str(completer);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_interactive_shell_has_a_script_and_sh_has_none() {
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish, Shell::PowerShell] {
            let text = script(shell, "awsenv").unwrap();
            assert!(text.contains("COMPLETE"), "{shell:?}: {text}");
        }
        for shell in [Shell::Elvish, Shell::Xonsh] {
            let text = script(shell, "awsenv").unwrap();
            assert!(text.contains("COMPLETE"), "{shell:?}: {text}");
        }
        assert!(
            script(Shell::Tcsh, "awsenv")
                .unwrap()
                .contains("complete awsenv ")
        );
        let nu = script(Shell::Nu, "awsenv").unwrap();
        assert!(nu.contains("export extern \"awsenv assume\""), "{nu}");
        assert!(
            nu.contains("profile?: string@\"nu-complete awsenv profiles\""),
            "{nu}"
        );
        assert_eq!(script(Shell::Sh, "awsenv").unwrap_err().exit_code(), 2);
    }
}
