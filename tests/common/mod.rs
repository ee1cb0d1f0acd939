//! What every integration test shares: the `awsenv` command with a cleared environment, a
//! temporary HOME and explicit variables, so a developer's own `~/.aws` never leaks in.
#![allow(dead_code)]

pub mod http;
#[cfg(unix)]
pub mod keyring;
pub mod moto;
pub mod portal;
pub mod proxy;
pub mod pwsh;
pub mod shells;
pub mod sso;
pub mod stub;
pub mod tls;
pub mod tmux;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The binary under test.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_awsenv"))
}

/// A temporary HOME with `.aws/config` and `.aws/credentials`, and the variables a test sets.
pub struct Fixture {
    pub home: tempfile::TempDir,
    pub vars: BTreeMap<String, String>,
}

impl Fixture {
    pub fn new() -> Self {
        let home = tempfile::tempdir().expect("temporary HOME");
        std::fs::create_dir_all(home.path().join(".aws")).unwrap();
        let mut vars = BTreeMap::new();
        vars.insert("HOME".into(), home.path().display().to_string());
        vars.insert("PATH".into(), std::env::var("PATH").unwrap_or_default());
        vars.insert("LANG".into(), "C.UTF-8".into());
        vars.insert(
            "AWSENV_CACHE_DIR".into(),
            home.path().join("cache").display().to_string(),
        );
        // No test may ever reach a real AWS endpoint.
        vars.insert("AWS_ENDPOINT_URL".into(), "http://127.0.0.1:9".into());
        vars.insert("AWS_EC2_METADATA_DISABLED".into(), "true".into());
        Self { home, vars }
    }

    pub fn with_config(self, text: &str) -> Self {
        self.write(".aws/config", text);
        self
    }

    pub fn with_credentials(self, text: &str) -> Self {
        self.write(".aws/credentials", text);
        self
    }

    pub fn var(mut self, name: &str, value: impl Into<String>) -> Self {
        self.vars.insert(name.into(), value.into());
        self
    }

    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        self.vars.insert(name.into(), value.into());
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.home.path().join(rel)
    }

    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let path = self.path(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(&path, text).unwrap();
        path
    }

    /// `awsenv ARGS` with only this fixture's variables.
    pub fn cmd<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let mut cmd = Command::new(bin());
        cmd.args(args)
            .env_clear()
            .envs(&self.vars)
            .current_dir(self.home.path())
            .stdin(Stdio::null());
        cmd
    }

    /// Run `awsenv ARGS` to completion.
    pub fn run<I, S>(&self, args: I) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.cmd(args).output().expect("run awsenv")
    }

    /// The AWS CLI from `.venv` (the oracle) with only this fixture's variables.
    pub fn aws<I, S>(&self, args: I) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        Command::new(aws_cli())
            .args(args)
            .env_clear()
            .envs(&self.vars)
            .current_dir(self.home.path())
            .stdin(Stdio::null())
            .output()
            .expect("run the AWS CLI")
    }

    /// A real shell (`bash -c SCRIPT` and the like) with this fixture's variables and the
    /// binary's directory first on PATH.
    pub fn shell(&self, shell: &str, script: &str) -> Output {
        let dir = bin().parent().unwrap().to_path_buf();
        let path = format!(
            "{}:{}",
            dir.display(),
            self.vars.get("PATH").cloned().unwrap_or_default()
        );
        let mut cmd = Command::new(shell);
        match shell {
            "fish" => cmd.args(["--no-config", "-c", script]),
            "zsh" => cmd.args(["-f", "-c", script]),
            "bash" => cmd.args(["--norc", "--noprofile", "-c", script]),
            _ => cmd.args(["-c", script]),
        };
        cmd.env_clear()
            .envs(&self.vars)
            .env("PATH", path)
            .current_dir(self.home.path())
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("run {shell}: {e} (is it installed? .ci/run installs it)"))
    }
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The AWS CLI (botocore) from the repository's `.venv`.
pub fn aws_cli() -> PathBuf {
    let path = repo().join(".venv/bin/aws");
    assert!(path.exists(), "{} is missing: run .ci/run", path.display());
    path
}

/// The repository root.
pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}
