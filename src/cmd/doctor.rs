//! `awsenv doctor`: not built yet.

use crate::cli::DoctorArgs;
use crate::env::Context;
use crate::error::{Error, Result};

pub fn run(_args: &DoctorArgs, _ctx: &Context) -> Result<i32> {
    Err(Error::Usage(
        "`doctor` is not available in this build yet".into(),
    ))
}
