//! `awsenv init`: not built yet.

use crate::cli::InitArgs;
use crate::env::Context;
use crate::error::{Error, Result};

pub fn run(_args: &InitArgs, _ctx: &Context) -> Result<()> {
    Err(Error::Usage(
        "`init` is not available in this build yet".into(),
    ))
}
