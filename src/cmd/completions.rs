//! `awsenv completions SHELL`: the completion script for bash, zsh, fish or PowerShell.
//!
//! The script registers clap_complete's dynamic protocol (`COMPLETE=SHELL awsenv -- …`,
//! answered in `main`), so profile names come from the user's config at the moment of <TAB>
//! rather than being frozen into the script. The script calls `awsenv` through PATH, never
//! the path of the binary that printed it: release.sh packages these files, generated on the
//! build machine, for every user's.

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
    String::from_utf8(buf).map_err(|_| Error::Usage("the completion script is not UTF-8".into()))
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
        assert_eq!(script(Shell::Sh, "awsenv").unwrap_err().exit_code(), 2);
    }
}
