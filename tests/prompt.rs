//! `awsenv prompt` as a prompt runs it: stdout captured, the environment its only input.

mod common;

use common::{Fixture, stderr, stdout};

fn session(left: i64) -> Fixture {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    Fixture::new()
        .var("AWSENV_PROFILE", "prod")
        .var("AWSENV_EXPIRES_AT", (now + left).to_string())
}

#[test]
fn nothing_exported_prints_nothing_and_succeeds() {
    let out = Fixture::new().run(["prompt"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
    assert_eq!(stderr(&out), "");
}

#[test]
fn colour_is_on_when_captured_and_off_with_no_color() {
    let out = session(7200).run(["prompt"]);
    assert_eq!(stdout(&out), "\x1b[32mprod 2h00m\x1b[0m\n");
    let out = session(7200).var("NO_COLOR", "1").run(["prompt"]);
    assert_eq!(stdout(&out), "prod 2h00m\n");
    let out = session(7200).run(["prompt", "--no-color"]);
    assert_eq!(stdout(&out), "prod 2h00m\n");
    // An empty NO_COLOR is no request.
    let out = session(7200).var("NO_COLOR", "").run(["prompt"]);
    assert!(stdout(&out).starts_with("\x1b[32m"));
}

#[test]
fn expired_is_red_and_shells_get_zero_width_markers() {
    let out = session(-60).run(["prompt", "--shell", "zsh"]);
    assert_eq!(stdout(&out), "%{\x1b[31m%}prod expired%{\x1b[0m%}\n");
    let out = session(-60).run(["prompt", "--shell", "bash"]);
    assert_eq!(stdout(&out), "\\[\x1b[31m\\]prod expired\\[\x1b[0m\\]\n");
}

#[test]
fn format_placeholders() {
    let out = session(7200).var("AWS_REGION", "eu-west-1").run([
        "prompt",
        "--no-color",
        "--format",
        "{region}:{profile}",
    ]);
    assert_eq!(stdout(&out), "eu-west-1:prod\n");
}

/// A profile name is text in bash's prompt, never code: set from PROMPT_COMMAND as the
/// README shows, `$(…)`, backquotes and backslashes come out as typed.
#[test]
fn bash_prompt_shows_a_hostile_profile_name_literally() {
    let name = r"a$(echo PWNED)`echo X`\$HOME\n";
    let f = session(7200).var("AWSENV_PROFILE", name);
    let out = f.shell(
        "bash",
        r#"PS1="$(awsenv prompt --shell bash --no-color)\$ "; printf '%s' "${PS1@P}""#,
    );
    assert_eq!(stdout(&out), format!("{name} 2h00m$ "), "{}", stderr(&out));
}
