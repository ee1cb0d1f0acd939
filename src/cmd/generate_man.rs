//! `awsenv generate-man DIR` (hidden): the man pages, rendered from the clap definitions so
//! they cannot drift from `--help`: `awsenv.1` and one page per visible subcommand
//! (`awsenv-assume.1`, `awsenv-sso-login.1`, …). release.sh packages them.

use std::path::Path;

use clap::CommandFactory;

use crate::cli::{Cli, GenerateManArgs};
use crate::error::{Error, Result};

pub fn run(args: &GenerateManArgs) -> Result<()> {
    let fail = |e: std::io::Error| {
        Error::Usage(format!(
            "cannot write the man pages into {}: {e}",
            args.dir.display()
        ))
    };
    std::fs::create_dir_all(&args.dir).map_err(fail)?;
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    write_pages(&cmd, &args.dir).map_err(fail)
}

/// The page for `cmd`, then one for each visible subcommand, recursively.
fn write_pages(cmd: &clap::Command, dir: &Path) -> std::io::Result<()> {
    let source = format!("awsenv {}", env!("CARGO_PKG_VERSION"));
    let man = clap_mangen::Man::new(cmd.clone())
        .source(source)
        .manual("User Commands");
    let mut page = Vec::new();
    man.render(&mut page)?;
    std::fs::write(dir.join(man.get_filename()), page)?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub, dir)?;
    }
    Ok(())
}
