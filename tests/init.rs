//! `awsenv init`: what users paste into their rc files, checked statically (each shell's own
//! parser, shellcheck, shfmt, the PowerShell grammar) and by snapshot, and the hook's
//! AWSENV_PROMPT compared with `awsenv prompt` in each shell. Interactive runs are in hook.rs.

mod common;

use std::process::Command;

use common::{Fixture, repo, stderr, stdout};

fn init(shell: &str) -> String {
    let out = Fixture::new().run(["init", shell]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    stdout(&out)
}

/// Run a checker over a file of the repository; it must succeed and say nothing.
fn check(program: &str, args: &[&str]) {
    let out = Command::new(program)
        .args(args)
        .current_dir(repo())
        .output()
        .unwrap_or_else(|e| panic!("run {program}: {e} (.ci/run installs it)"));
    assert!(
        out.status.success() && out.stdout.is_empty(),
        "{program} {args:?}:\n{}{}",
        stdout(&out),
        stderr(&out)
    );
}

#[test]
fn bash_script_passes_bash_n_shellcheck_and_shfmt() {
    check("bash", &["-n", "shell/awsenv.bash"]);
    check("shellcheck", &["--shell=bash", "shell/awsenv.bash"]);
    // House style for shell code: four-space indent, shfmt's defaults otherwise.
    check("shfmt", &["-i", "4", "-d", "shell/awsenv.bash"]);
}

#[test]
fn sh_script_passes_dash_n_shellcheck_and_shfmt() {
    check("dash", &["-n", "shell/awsenv.sh"]);
    check("shellcheck", &["--shell=sh", "shell/awsenv.sh"]);
    check("shfmt", &["-i", "4", "-d", "shell/awsenv.sh"]);
}

#[test]
fn zsh_script_parses() {
    check("zsh", &["-n", "shell/awsenv.zsh"]);
}

#[test]
fn fish_script_parses() {
    check("fish", &["--no-execute", "shell/awsenv.fish"]);
}

#[test]
fn powershell_script_parses_with_no_error_nodes() {
    assert_eq!(powershell_errors(&init("powershell")), Vec::<String>::new());
    // The check itself sees a broken script.
    assert!(!powershell_errors("function f { if ($x -eq ").is_empty());
}

/// The ERROR and MISSING nodes of `text` under the PowerShell grammar.
fn powershell_errors(text: &str) -> Vec<String> {
    let mut parser = tree_sitter::Parser::new();
    parser
        .set_language(&tree_sitter_powershell::LANGUAGE.into())
        .unwrap();
    let tree = parser.parse(text, None).unwrap();
    let mut bad = Vec::new();
    let mut cursor = tree.walk();
    walk(&mut cursor, &mut |node| {
        if node.is_error() || node.is_missing() {
            let at = node.start_position();
            bad.push(format!(
                "{} at {}:{}",
                node.kind(),
                at.row + 1,
                at.column + 1
            ));
        }
    });
    bad
}

fn walk(cursor: &mut tree_sitter::TreeCursor, visit: &mut dyn FnMut(tree_sitter::Node)) {
    loop {
        visit(cursor.node());
        if cursor.goto_first_child() {
            walk(cursor, visit);
            cursor.goto_parent();
        }
        if !cursor.goto_next_sibling() {
            return;
        }
    }
}

#[test]
fn init_output_is_the_shell_directory_verbatim() {
    for (shell, file) in [
        ("bash", "awsenv.bash"),
        ("zsh", "awsenv.zsh"),
        ("fish", "awsenv.fish"),
        ("powershell", "awsenv.ps1"),
        ("pwsh", "awsenv.ps1"),
        ("sh", "awsenv.sh"),
    ] {
        let text = std::fs::read_to_string(repo().join("shell").join(file)).unwrap();
        assert_eq!(init(shell), text, "{shell}");
    }
}

#[test]
fn snapshots() {
    insta::assert_snapshot!("init_bash", init("bash"));
    insta::assert_snapshot!("init_zsh", init("zsh"));
    insta::assert_snapshot!("init_fish", init("fish"));
    insta::assert_snapshot!("init_powershell", init("powershell"));
    insta::assert_snapshot!("init_sh", init("sh"));
}

#[test]
fn sh_wrapper_assumes_and_unsets_in_dash() {
    let f = Fixture::new()
        .with_config("[profile dev]\nregion = eu-west-1\n")
        .with_credentials("[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = s\n");
    let out = f.shell(
        "dash",
        "eval \"$(awsenv init sh)\"
        awsenv assume dev; echo \"assume=$? key=$AWS_ACCESS_KEY_ID shell=$AWSENV_SHELL\"
        awsenv assume nosuch 2>/dev/null; echo \"failed=$? key=$AWS_ACCESS_KEY_ID\"
        awsenv unset; echo \"unset=$? key=${AWS_ACCESS_KEY_ID-none}\"",
    );
    assert_eq!(
        stdout(&out),
        "assume=0 key=AKIDDEV shell=sh\nfailed=2 key=AKIDDEV\nunset=0 key=none\n",
        "{}",
        stderr(&out)
    );
}

/// The hook's AWSENV_PROMPT and `awsenv prompt --no-color`, for one remaining time, as
/// the script in `shell` prints them on two lines.
fn hook_and_prompt(shell: &str, left: i64) -> (String, String) {
    let f = Fixture::new().var("AWSENV_AUTO", "off");
    let script = match shell {
        "fish" => format!(
            "awsenv init fish | source; set -gx AWSENV_PROFILE prod; \
             set -gx AWSENV_EXPIRES_AT (math (date +%s) + {left}); \
             _awsenv_hook; echo $AWSENV_PROMPT; awsenv prompt --no-color"
        ),
        _ => format!(
            "eval \"$(awsenv init {shell})\"; export AWSENV_PROFILE=prod; \
             export AWSENV_EXPIRES_AT=$(( $(date +%s) + {left} )); \
             _awsenv_hook; echo \"$AWSENV_PROMPT\"; awsenv prompt --no-color"
        ),
    };
    let out = f.shell(shell, &script);
    assert!(out.status.success(), "{shell}: {}", stderr(&out));
    let text = stdout(&out);
    let mut lines = text.lines().map(str::to_owned);
    (
        lines.next().unwrap_or_default(),
        lines.next().unwrap_or_default(),
    )
}

#[test]
fn hook_text_matches_awsenv_prompt_in_every_shell() {
    let lefts = [-30, 0, 1, 59, 61, 599, 1201, 3599, 3601, 3900, 7199, 43_200];
    for shell in ["bash", "zsh", "fish"] {
        for left in lefts {
            // A second may tick between the two; a second try then agrees.
            let (mut hook, mut prompt) = hook_and_prompt(shell, left);
            if hook != prompt {
                (hook, prompt) = hook_and_prompt(shell, left);
            }
            assert_eq!(hook, prompt, "{shell}, {left} s left");
            assert!(hook.starts_with("prod "), "{shell}: {hook}");
        }
    }
}

#[test]
fn hook_leaves_prompt_unset_without_a_session_and_bare_for_long_term_keys() {
    let f = Fixture::new();
    for shell in ["bash", "zsh"] {
        let script = format!(
            "eval \"$(awsenv init {shell})\"; export AWSENV_PROMPT=stale; _awsenv_hook; \
             echo \"[${{AWSENV_PROMPT-unset}}]\"; export AWSENV_PROFILE=dev; _awsenv_hook; \
             echo \"[$AWSENV_PROMPT]\""
        );
        assert_eq!(
            stdout(&f.shell(shell, &script)),
            "[unset]\n[dev]\n",
            "{shell}"
        );
    }
    let fish = "awsenv init fish | source; set -gx AWSENV_PROMPT stale; _awsenv_hook; \
                set -q AWSENV_PROMPT; or echo unset; set -gx AWSENV_PROFILE dev; _awsenv_hook; \
                echo \"[$AWSENV_PROMPT]\"";
    assert_eq!(stdout(&f.shell("fish", fish)), "unset\n[dev]\n");
}

#[test]
fn warn_threshold_takes_seconds_or_one_unit() {
    let f = Fixture::new();
    for (value, secs) in [
        ("90", 90),
        ("90s", 90),
        ("2m", 120),
        ("1h", 3600),
        ("soon", 600),
    ] {
        let bash = format!(
            "eval \"$(awsenv init bash)\"; AWSENV_WARN={value}; _awsenv_warn_secs; echo $_awsenv_secs"
        );
        assert_eq!(
            stdout(&f.shell("bash", &bash)).trim(),
            secs.to_string(),
            "bash {value}"
        );
        let zsh = bash.replace("init bash", "init zsh");
        assert_eq!(
            stdout(&f.shell("zsh", &zsh)).trim(),
            secs.to_string(),
            "zsh {value}"
        );
        let fish = format!("awsenv init fish | source; set AWSENV_WARN {value}; _awsenv_warn_secs");
        assert_eq!(
            stdout(&f.shell("fish", &fish)).trim(),
            secs.to_string(),
            "fish {value}"
        );
    }
}

#[test]
fn real_powershell_loads_the_integration_when_installed() {
    let Ok(pwsh) = which("pwsh") else {
        eprintln!("pwsh is not installed: skipped");
        return;
    };
    let f = Fixture::new()
        .with_credentials("[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = s\n");
    let dir = common::bin().parent().unwrap().display().to_string();
    let script = format!(
        "$env:PATH = '{dir}' + [IO.Path]::PathSeparator + $env:PATH; \
         Invoke-Expression (& awsenv init powershell | Out-String); \
         Invoke-Expression (& awsenv init powershell | Out-String); \
         awsenv assume dev; _awsenv_hook; \
         Write-Output \"$env:AWS_ACCESS_KEY_ID $env:AWSENV_PROMPT $LASTEXITCODE\""
    );
    let out = Command::new(pwsh)
        .args(["-NoProfile", "-NonInteractive", "-Command", &script])
        .env_clear()
        .envs(&f.vars)
        .output()
        .unwrap();
    assert_eq!(stdout(&out).trim(), "AKIDDEV dev 0", "{}", stderr(&out));
}

fn which(program: &str) -> Result<std::path::PathBuf, ()> {
    let path = std::env::var_os("PATH").ok_or(())?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
        .ok_or(())
}

#[test]
fn snapshots_of_nushell_elvish_xonsh_and_tcsh() {
    insta::assert_snapshot!("init_nu", init("nu"));
    insta::assert_snapshot!("init_elvish", init("elvish"));
    insta::assert_snapshot!("init_xonsh", init("xonsh"));
    insta::assert_snapshot!("init_tcsh", init("tcsh"));
}

#[test]
fn nushell_elvish_xonsh_and_tcsh_init_is_the_shell_directory_verbatim() {
    for (shell, file) in [
        ("nu", "awsenv.nu"),
        ("nushell", "awsenv.nu"),
        ("elvish", "awsenv.elv"),
        ("xonsh", "awsenv.xsh"),
        ("tcsh", "awsenv.tcsh"),
        ("csh", "awsenv.tcsh"),
    ] {
        let text = std::fs::read_to_string(repo().join("shell").join(file)).unwrap();
        assert_eq!(init(shell), text, "{shell}");
    }
}

#[test]
fn the_init_scripts_hold_their_shells_completions() {
    for shell in ["elvish", "xonsh", "tcsh"] {
        let out = Fixture::new().run(["completions", shell]);
        assert!(out.status.success(), "{}", stderr(&out));
        let completions = stdout(&out);
        assert!(completions.contains("awsenv"), "{shell}: {completions}");
        assert!(init(shell).contains(completions.trim()), "{shell}");
    }
}
