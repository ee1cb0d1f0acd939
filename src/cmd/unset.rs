//! `awsenv unset`: the snippet that removes every variable awsenv manages.
//!
//! Region variables go only when awsenv set them (`AWSENV_REGION` says so).

use crate::env::{self, Context};
use crate::error::{Error, Result};
use crate::shell::Shell;

pub fn run(shell: Shell, ctx: &Context) -> Result<String> {
    shell
        .render(&env::unsets(ctx))
        .map_err(|e| Error::Usage(e.to_string()))
}
