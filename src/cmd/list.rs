//! `awsenv list`: not built yet.

use crate::cli::ListArgs;
use crate::env::Context;
use crate::error::{Error, Result};

pub fn run(_args: &ListArgs, _ctx: &Context) -> Result<()> {
    Err(Error::Usage(
        "`list` is not available in this build yet".into(),
    ))
}
