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
mod keys;
mod list;
mod prompt;
mod renew;
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
            snippet(shell, assume::run(&args, shell, ctx), ctx).map(|()| 0)
        }
        Command::Unset(args) => {
            let shell = Shell::detect(args.shell.shell, ctx);
            snippet(shell, unset::run(shell, ctx), ctx).map(|()| 0)
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
        Command::Renew(args) => renew::run(&args, ctx),
        Command::Keys(command) => keys::run(command, ctx).map(|()| 0),
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

/// Where tcsh's `awsenv` alias has awsenv write the snippet (a private file it made with
/// `mktemp` and then `source`s), so values never pass through backquote splitting.
pub const SNIPPET_FILE: &str = "_AWSENV_SNIPPET_FILE";

fn snippet(shell: Shell, code: Result<String>, ctx: &Context) -> Result<()> {
    let text = code.as_deref().unwrap_or(shell.failure());
    match ctx.var(SNIPPET_FILE).filter(|_| shell == Shell::Tcsh) {
        Some(path) => write_snippet_file(std::path::Path::new(path), text)?,
        None => write_stdout(text),
    }
    code.map(|_| ())
}

/// Replace the contents of the file the alias made; never create one or follow a link.
fn write_snippet_file(path: &std::path::Path, text: &str) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    crate::platform::private_no_follow(options.write(true).truncate(true));
    options
        .open(path)
        .and_then(|mut file| file.write_all(text.as_bytes()))
        .map_err(|e| {
            Error::Usage(format!(
                "cannot write the snippet to {}: {e}; run `awsenv init tcsh` again",
                path.display()
            ))
        })
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
