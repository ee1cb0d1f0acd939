//! The debug log behind `-v`/`--verbose` and `AWSENV_LOG=debug`: one line per decision
//! (the chain as resolved, cache hits and misses, each request's action and endpoint,
//! retries) on stderr, each starting `awsenv: debug:`.
//!
//! Never a secret: key ids go through `env::mask_key_id`; secrets, tokens and MFA codes are
//! never formatted into a line.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::env::Context;

static ON: AtomicBool = AtomicBool::new(false);

/// Turn the log on for `-v`, or when `AWSENV_LOG` is `debug`.
pub fn init(verbose: bool, ctx: &Context) {
    let asked = ctx
        .var("AWSENV_LOG")
        .is_some_and(|level| level.eq_ignore_ascii_case("debug"));
    ON.store(verbose || asked, Ordering::Relaxed);
}

pub fn enabled() -> bool {
    ON.load(Ordering::Relaxed)
}

/// `debug!("cache hit for {key}")`: one line on stderr when the log is on; the arguments
/// are not even formatted otherwise.
macro_rules! debug {
    ($($arg:tt)*) => {
        if $crate::log::enabled() {
            eprintln!("awsenv: debug: {}", format_args!($($arg)*));
        }
    };
}

pub(crate) use debug;
