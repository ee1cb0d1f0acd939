//! The command line as a user meets it: help, errors, exit codes, the failure snippet.

mod common;

use common::{Fixture, stderr, stdout};

fn fixture() -> Fixture {
    Fixture::new()
        .with_config("[profile dev]\nregion = eu-west-1\n[profile role]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = dev\n")
        .with_credentials("[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = secret\n")
}

#[test]
fn unknown_profile_exits_2_with_false_and_a_suggestion() {
    let out = fixture().run(["assume", "dve", "--shell", "bash"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stdout(&out), "false\n");
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("`dve`") && err.contains("did you mean `dev`"),
        "{err}"
    );
}

#[test]
fn powershell_failure_is_empty() {
    let out = fixture().run(["assume", "nosuch", "--shell", "pwsh"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stdout(&out), "");
}

#[test]
fn bad_flags_and_durations_exit_2_with_false() {
    let f = fixture();
    for args in [
        vec!["assume", "dev", "--bogus"],
        vec!["assume", "dev", "--duration", "5"],
        vec!["assume", "dev", "--duration", "13h"],
        vec!["assume", "dev", "--duration", "soon"],
    ] {
        let out = f.run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(stdout(&out), "false\n", "{args:?}");
    }
}

#[test]
fn malformed_config_exits_2() {
    let f = Fixture::new().with_config("[profile broken\nregion = x\n");
    let out = f.run(["assume", "broken", "--shell", "sh"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(stdout(&out), "false\n");
    let err = stderr(&out);
    assert!(
        err.contains("malformed") && err.contains("on line 1"),
        "{err}"
    );
    assert!(err.contains(".aws/config"), "{err}");
}

#[test]
fn unreadable_config_is_an_error_not_an_empty_file() {
    let f = fixture();
    let dir = f.home.path().display().to_string();
    for args in [vec!["assume", "dev", "--shell", "sh"], vec!["list"]] {
        let out = f.cmd(&args).env("AWS_CONFIG_FILE", &dir).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert!(err.contains("cannot read") && err.contains(&dir), "{err}");
    }
}

#[test]
fn config_that_is_not_utf8_is_an_error_not_an_empty_file() {
    let f = Fixture::new().with_config("[profile dev]\nregion = eu-west-1\n");
    let config = f.home.path().join(".aws/config");
    let mut bytes = std::fs::read(&config).unwrap();
    bytes.extend_from_slice(b"# caf\xe9\n");
    std::fs::write(&config, bytes).unwrap();
    let out = f.run(["assume", "dev", "--shell", "sh"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(stdout(&out), "false\n");
    let err = stderr(&out);
    assert!(
        err.contains("not UTF-8") && err.contains(".aws/config"),
        "{err}"
    );
}

#[test]
fn nul_in_a_value_is_an_error() {
    let f = Fixture::new()
        .with_credentials("[nul]\naws_access_key_id = AKID\naws_secret_access_key = a\0b\n");
    let out = f.run(["assume", "nul", "--shell", "bash"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stdout(&out), "false\n");
    assert!(stderr(&out).contains("NUL"), "{}", stderr(&out));
    assert!(!stderr(&out).contains("a\0b"));
}

#[test]
fn profile_defaults_to_aws_profile() {
    let out = fixture()
        .var("AWS_PROFILE", "dev")
        .run(["assume", "--shell", "bash"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("export AWSENV_PROFILE='dev'"));
    assert!(stdout(&out).contains("unset AWS_PROFILE"));
}

#[test]
fn shell_is_detected_from_awsenv_shell_then_shell() {
    let f = fixture().var("SHELL", "/usr/bin/fish");
    assert!(stdout(&f.run(["assume", "dev"])).starts_with("set -gx "));
    let f = f.var("AWSENV_SHELL", "zsh");
    assert!(stdout(&f.run(["assume", "dev"])).starts_with("export "));
}

#[test]
fn every_command_has_help() {
    let f = fixture();
    for cmd in [
        "assume",
        "unset",
        "init",
        "prompt",
        "status",
        "list",
        "exec",
        "doctor",
        "completions",
        "credential-process",
        "console",
        "version",
    ] {
        let out = f.run([cmd, "--help"]);
        assert_eq!(out.status.code(), Some(0), "{cmd}");
        assert!(stdout(&out).contains("Usage: awsenv"), "{cmd}");
    }
}

/// What users read in `--help`, seen in review whenever it changes.
#[test]
fn help_snapshots() {
    let f = fixture();
    insta::assert_snapshot!("help", stdout(&f.run(["--help"])));
    for cmd in [
        "assume",
        "unset",
        "init",
        "prompt",
        "status",
        "list",
        "exec",
        "doctor",
        "completions",
        "credential-process",
        "console",
        "version",
    ] {
        insta::assert_snapshot!(format!("help_{cmd}"), stdout(&f.run([cmd, "--help"])));
    }
    for sub in ["add", "import", "list", "remove", "rotate"] {
        insta::assert_snapshot!(
            format!("help_keys_{sub}"),
            stdout(&f.run(["keys", sub, "--help"]))
        );
    }
}

#[test]
fn version_says_the_version_and_the_verbose_form_says_more() {
    let f = fixture();
    let out = f.run(["--version"]);
    assert_eq!(out.status.code(), Some(0));
    let version = concat!("awsenv ", env!("CARGO_PKG_VERSION"));
    assert_eq!(stdout(&out), format!("{version}\n"));
    let out = f.run(["version"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], version, "{text}");
    assert!(lines.iter().any(|l| l.starts_with("commit: ")), "{text}");
    assert!(lines.iter().any(|l| l.starts_with("target: ")), "{text}");
    assert!(
        lines.iter().any(|l| l.starts_with("keyring backends: ")),
        "{text}"
    );
}

/// The man pages come from the clap definitions: one per visible subcommand, none for the
/// hidden generator or clap's `help`.
#[test]
fn generate_man_writes_a_page_per_visible_subcommand() {
    let f = fixture();
    let dir = f.home.path().join("man");
    let out = f.run([std::ffi::OsStr::new("generate-man"), dir.as_os_str()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
    let mut pages: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    pages.sort();
    for page in [
        "awsenv.1",
        "awsenv-assume.1",
        "awsenv-sso.1",
        "awsenv-sso-login.1",
    ] {
        assert!(pages.iter().any(|p| p == page), "{page} missing: {pages:?}");
    }
    assert!(
        !pages
            .iter()
            .any(|p| p.contains("generate") || p.contains("help")),
        "{pages:?}"
    );
    let main = std::fs::read_to_string(dir.join("awsenv.1")).unwrap();
    assert!(main.contains("assume"), "{main}");
    assert!(!main.contains("generate"), "{main}");
    let help = stdout(&f.run(["--help"]));
    assert!(!help.contains("generate"), "{help}");
}

/// The shell wrapper appends its own `--shell`: a user's earlier one gives way to it.
#[test]
fn the_last_shell_flag_wins() {
    let out = fixture().run(["assume", "dev", "--shell", "fish", "--shell", "bash"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("export "), "{}", stdout(&out));
}
