//! awsenv: put AWS credentials into the shell you are typing in, and keep them honest.
//!
//! Parse, dispatch, exit. The commands live in `src/cmd/`.

#[cfg(any(target_env = "musl", test))]
mod arena;
mod aws;
mod cache;
mod cli;
mod cmd;
mod console;
mod doctor;
mod duration;
mod env;
mod error;
mod files;
mod keys;
mod log;
mod mfa;
mod picker;
mod platform;
mod profile;
mod resolve;
mod server;
mod shell;
mod sso;
mod sts;

use clap::{CommandFactory, Parser};

/// The static musl build: a 1 MiB bump arena in front of musl's allocator (`src/arena.rs`).
#[cfg(target_env = "musl")]
#[global_allocator]
static ALLOCATOR: arena::Arena<{ 1 << 20 }> = arena::Arena::new();

fn main() {
    // `COMPLETE=bash awsenv …`: the dynamic completion protocol answers and exits here.
    clap_complete::CompleteEnv::with_factory(cli::Cli::command).complete();

    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let ctx = env::Context::from_process();
    let code = match cli::Cli::try_parse_from(&args) {
        Ok(cli) => {
            log::init(cli.verbose, &ctx);
            cmd::dispatch(cli.command, &ctx)
        }
        Err(error) => cmd::usage_failure(&error, &args, &ctx),
    };
    std::process::exit(code);
}
