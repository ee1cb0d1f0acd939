//! `awsenv exec PROFILE -- CMD`: not built yet.

use crate::cli::ExecArgs;
use crate::env::Context;
use crate::error::{Error, Result};

pub fn run(_args: ExecArgs, _ctx: &Context) -> Result<i32> {
    Err(Error::Usage(
        "`exec` is not available in this build yet".into(),
    ))
}
