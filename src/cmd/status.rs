//! `awsenv status`: not built yet.

use crate::cli::StatusArgs;
use crate::env::Context;
use crate::error::{Error, Result};

pub fn run(_args: &StatusArgs, _ctx: &Context) -> Result<()> {
    Err(Error::Usage(
        "`status` is not available in this build yet".into(),
    ))
}
