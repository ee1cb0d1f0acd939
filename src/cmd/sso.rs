//! `awsenv sso`: the IAM Identity Center subcommands, each handed to `src/sso/`.

use crate::cli::{SsoArgs, SsoCommand};
use crate::env::Context;
use crate::error::Result;

/// Run one `sso` subcommand; the exit code.
pub fn run(args: &SsoArgs, ctx: &Context) -> Result<i32> {
    match &args.command {
        SsoCommand::Populate(args) => {
            let change = crate::sso::populate::run(args, ctx)?;
            super::write_stdout(&change);
            Ok(0)
        }
    }
}
