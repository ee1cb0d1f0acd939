//! `awsenv credential-process`: not built yet.

use crate::cli::CredentialProcessArgs;
use crate::env::Context;
use crate::error::{Error, Result};

pub fn run(_args: &CredentialProcessArgs, _ctx: &Context) -> Result<()> {
    Err(Error::Usage(
        "`credential-process` is not available in this build yet".into(),
    ))
}
