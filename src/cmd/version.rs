//! `awsenv version`: what a bug report needs, beyond `--version`'s one line.
//!
//! The commit comes from `AWSENV_COMMIT` at build time (release.sh sets it; other builds say
//! `unknown`), the target from build.rs.

use crate::cmd::write_stdout;
use crate::error::Result;

pub fn run() -> Result<()> {
    write_stdout(&report());
    Ok(())
}

fn report() -> String {
    let backends = crate::keys::COMPILED.join(", ");
    format!(
        "awsenv {}\ncommit: {}\ntarget: {}\nkeyring backends: {backends}\n",
        env!("CARGO_PKG_VERSION"),
        option_env!("AWSENV_COMMIT").unwrap_or("unknown"),
        env!("AWSENV_TARGET"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_names_version_target_and_backends() {
        let text = report();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], concat!("awsenv ", env!("CARGO_PKG_VERSION")));
        assert!(lines[1].starts_with("commit: "), "{text}");
        assert!(
            lines[2].starts_with("target: ") && lines[2].len() > 8,
            "{text}"
        );
        assert!(lines[3].starts_with("keyring backends: "), "{text}");
    }
}
