//! One module per subcommand, each a `run` over its parsed arguments.
//!
//! `dispatch` maps a command's result to stdout, stderr and the exit code; the commands that
//! print shell code go through `snippet`, which writes either the whole snippet or the
//! failure snippet, never part of one.

mod assume;
mod completions;
mod console;
mod credential_process;
mod doctor;
mod exec;
mod generate_man;
mod init;
mod list;
mod prompt;
mod sso;
pub mod status;
mod unset;
mod version;

use std::io::Write;

use crate::cli::Command;
use crate::env::Context;
use crate::error::{Error, Result};
use crate::shell::Shell;

/// Run `command`; the process exit code.
pub fn dispatch(command: Command, ctx: &Context) -> i32 {
    let result = match command {
        Command::Assume(args) => {
            let shell = Shell::detect(args.shell.shell, ctx);
            snippet(shell, assume::run(&args, shell, ctx)).map(|()| 0)
        }
        Command::Unset(args) => {
            let shell = Shell::detect(args.shell.shell, ctx);
            snippet(shell, unset::run(shell, ctx)).map(|()| 0)
        }
        Command::Init(args) => init::run(&args, ctx).map(|()| 0),
        Command::Prompt(args) => prompt::run(&args, ctx).map(|()| 0),
        Command::Status(args) => status::run(&args, ctx).map(|()| 0),
        Command::List(args) => list::run(&args, ctx).map(|()| 0),
        Command::Exec(args) => exec::run(args, ctx),
        Command::Doctor(args) => doctor::run(&args, ctx),
        Command::Completions(args) => completions::run(&args, ctx).map(|()| 0),
        Command::CredentialProcess(args) => credential_process::run(&args, ctx).map(|()| 0),
        Command::Sso(command) => sso::run(command, ctx).map(|()| 0),
        Command::Console(args) => console::run(&args, ctx).map(|()| 0),
        Command::Version => version::run().map(|()| 0),
        Command::GenerateMan(args) => generate_man::run(&args).map(|()| 0),
    };
    result.unwrap_or_else(|error| {
        report(&error);
        error.exit_code()
    })
}

/// A clap error: for the commands whose stdout is `eval`ed, the failure snippet too.
pub fn usage_failure(error: &clap::Error, args: &[std::ffi::OsString], ctx: &Context) -> i32 {
    use clap::error::ErrorKind;
    let shows_text = matches!(
        error.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
    );
    let subcommand = args
        .iter()
        .skip(1)
        .find_map(|a| a.to_str().filter(|a| !a.starts_with('-')));
    if !shows_text && matches!(subcommand, Some("assume" | "unset")) {
        let flag = args
            .windows(2)
            .find(|w| w[0] == "--shell" || w[0] == "-s")
            .and_then(|w| w[1].to_str().and_then(Shell::from_name))
            .or_else(|| {
                args.iter().find_map(|a| {
                    a.to_str()?
                        .strip_prefix("--shell=")
                        .and_then(Shell::from_name)
                })
            });
        write_stdout(Shell::detect(flag, ctx).failure());
    }
    let _ = error.print();
    error.exit_code()
}

fn snippet(shell: Shell, code: Result<String>) -> Result<()> {
    match code {
        Ok(code) => {
            write_stdout(&code);
            Ok(())
        }
        Err(error) => {
            write_stdout(shell.failure());
            Err(error)
        }
    }
}

/// Write all of `text` to stdout at once; a closed pipe is not an error worth a message.
pub fn write_stdout(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// The one line a user sees for an error.
pub fn report(error: &Error) {
    eprintln!("awsenv: {error}");
}
