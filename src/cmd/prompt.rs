//! `awsenv prompt`: not built yet.

use crate::cli::PromptArgs;
use crate::env::Context;
use crate::error::{Error, Result};

pub fn run(_args: &PromptArgs, _ctx: &Context) -> Result<()> {
    Err(Error::Usage(
        "`prompt` is not available in this build yet".into(),
    ))
}
