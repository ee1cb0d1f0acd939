//! `awsenv init SHELL`: the shell integration, printed for the rc file to evaluate.
//!
//! The scripts live in `shell/` and are embedded whole; they hold the `awsenv` wrapper
//! function, the `_awsenv_hook` prompt hook and the completion registration. POSIX sh has
//! no prompt hook to speak of, so it gets the wrapper alone. nushell's and tcsh's are saved
//! to a file once and sourced from there; the others are evaluated at every start.

use crate::cli::InitArgs;
use crate::cmd::write_stdout;
use crate::env::Context;
use crate::error::Result;
use crate::shell::Shell;

const BASH: &str = include_str!("../../shell/awsenv.bash");
const ZSH: &str = include_str!("../../shell/awsenv.zsh");
const FISH: &str = include_str!("../../shell/awsenv.fish");
const POWERSHELL: &str = include_str!("../../shell/awsenv.ps1");
const SH: &str = include_str!("../../shell/awsenv.sh");
const NU: &str = include_str!("../../shell/awsenv.nu");
const ELVISH: &str = include_str!("../../shell/awsenv.elv");
const XONSH: &str = include_str!("../../shell/awsenv.xsh");
const TCSH: &str = include_str!("../../shell/awsenv.tcsh");

pub fn run(args: &InitArgs, _ctx: &Context) -> Result<()> {
    write_stdout(script(args.shell));
    Ok(())
}

/// The integration script for `shell`.
pub fn script(shell: Shell) -> &'static str {
    match shell {
        Shell::Bash => BASH,
        Shell::Zsh => ZSH,
        Shell::Fish => FISH,
        Shell::PowerShell => POWERSHELL,
        Shell::Sh => SH,
        Shell::Nu => NU,
        Shell::Elvish => ELVISH,
        Shell::Xonsh => XONSH,
        Shell::Tcsh => TCSH,
    }
}
