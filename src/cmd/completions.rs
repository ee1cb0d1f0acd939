//! `awsenv completions`: not built yet.

use crate::cli::CompletionsArgs;
use crate::env::Context;
use crate::error::{Error, Result};

pub fn run(_args: &CompletionsArgs, _ctx: &Context) -> Result<()> {
    Err(Error::Usage(
        "`completions` is not available in this build yet".into(),
    ))
}
