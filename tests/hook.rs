//! The shell integration as a user meets it: real interactive bash, zsh and fish on a pty,
//! the init output sourced from an rc file, commands typed one by one and each prompt
//! awaited. Prompts look like `[STATUS]PROMPT> ` so a test sees `$?` too.
#![cfg(unix)] // real Unix shells; the Windows suite is tests/windows.rs

mod common;

use std::process::Command;

use common::Fixture;
use rexpect::session::{PtySession, spawn_command};

const PROMPT: &str = r"\[(\d+)\]PROMPT> ";

const CONFIG: &str = "[profile dev]\nregion = eu-west-1\n\
    [profile ops]\nrole_arn = arn:aws:iam::123456789012:role/ops\nsource_profile = dev\n";
const CREDENTIALS: &str = "[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = s\n";

#[derive(Clone, Copy, PartialEq, Debug)]
enum Sh {
    Bash,
    Zsh,
    Fish,
}

const ALL: [Sh; 3] = [Sh::Bash, Sh::Zsh, Sh::Fish];

impl Sh {
    /// What the rc file holds before `extra`: the prompt and the integration.
    fn rc(self, extra_before: &str, extra_after: &str) -> String {
        match self {
            Sh::Bash => format!(
                "PS1='[$?]PROMPT> '\n{extra_before}\neval \"$(awsenv init bash)\"\n{extra_after}\n"
            ),
            Sh::Zsh => format!(
                "unsetopt prompt_sp\nPROMPT='[%?]PROMPT> '\n{extra_before}\n\
                 eval \"$(awsenv init zsh)\"\n{extra_after}\n"
            ),
            Sh::Fish => format!(
                "function fish_prompt; printf '[%s]PROMPT> ' $status; end\n{extra_before}\n\
                 awsenv init fish | source\n{extra_after}\n"
            ),
        }
    }

    /// `VAR=value` for this shell, exported.
    fn export(self, name: &str, value: &str) -> String {
        match self {
            Sh::Fish => format!("set -gx {name} {value}"),
            _ => format!("export {name}={value}"),
        }
    }

    /// Now plus `secs`, as the shell computes it.
    fn now_plus(self, secs: i64) -> String {
        match self {
            Sh::Fish => format!("(math (date +%s) + {secs})"),
            _ => format!("$(( $(date +%s) + {secs} ))"),
        }
    }
}

/// An interactive shell on a pty.
struct Term {
    session: PtySession,
    shell: Sh,
}

impl Term {
    fn start(f: &Fixture, shell: Sh, rc: &str) -> Term {
        let rc_path = f.write("rc", rc);
        let mut cmd = match shell {
            Sh::Bash => {
                let mut c = Command::new("bash");
                c.arg("--noprofile").arg("--rcfile").arg(&rc_path).arg("-i");
                c
            }
            Sh::Zsh => {
                std::fs::copy(&rc_path, f.path(".zshrc")).unwrap();
                let mut c = Command::new("zsh");
                c.args(["-d", "-i"]).env("ZDOTDIR", f.home.path());
                c
            }
            Sh::Fish => {
                let mut c = Command::new("fish");
                c.args(["--no-config", "-i", "-C"])
                    .arg(format!("source {}", rc_path.display()));
                c
            }
        };
        let dir = common::bin().parent().unwrap().display().to_string();
        let path = format!("{dir}:{}", f.vars["PATH"]);
        cmd.env_clear()
            .envs(&f.vars)
            .env("PATH", path)
            .env("TERM", "dumb")
            .current_dir(f.home.path());
        if shell == Sh::Zsh {
            cmd.env("ZDOTDIR", f.home.path());
        }
        let mut session = spawn_command(cmd, Some(10_000)).expect("spawn the shell on a pty");
        session
            .exp_regex(PROMPT)
            .unwrap_or_else(|e| panic!("{shell:?}: no first prompt: {e}"));
        Term { session, shell }
    }

    /// Type `line`, wait for the next prompt; what the command and the hook printed, and
    /// the prompt's status.
    fn run(&mut self, line: &str) -> (String, i32) {
        self.session.send_line(line).unwrap();
        // zsh and fish echo the line (fish repaints it at each key; Enter ends it with a
        // newline); bash with TERM=dumb does not.
        let echo = match self.shell {
            Sh::Bash => None,
            Sh::Zsh => Some(line.to_owned()),
            Sh::Fish => Some(format!("{line}\r\n")),
        };
        if let Some(echo) = echo {
            self.session
                .exp_string(&echo)
                .unwrap_or_else(|e| panic!("{:?}: no echo of `{line}`: {e}", self.shell));
        }
        let (before, prompt) = self
            .session
            .exp_regex(PROMPT)
            .unwrap_or_else(|e| panic!("{:?}: no prompt after `{line}`: {e}", self.shell));
        let status = prompt
            .trim_start_matches('[')
            .split(']')
            .next()
            .and_then(|s| s.parse().ok())
            .unwrap_or(-1);
        (clean(&before), status)
    }

    /// The printed output of `line`.
    fn out(&mut self, line: &str) -> String {
        self.run(line).0
    }

    fn var(&mut self, name: &str) -> String {
        self.out(&format!("echo \"<${name}>\""))
            .lines()
            .find_map(|l| l.strip_prefix('<')?.strip_suffix('>').map(str::to_owned))
            .unwrap_or_default()
    }
}

/// Printed lines without the line editors' control codes, carriage returns, fish's
/// missing-newline mark, trailing blanks and blank lines.
fn clean(text: &str) -> String {
    let text = text
        .replace("\x1b[?2004h", "")
        .replace("\x1b[?2004l", "")
        // The pty's bytes arrive one char each: fish's mark U+23CE is these three.
        .replace("\u{e2}\u{8f}\u{8e}", "")
        .replace('\r', "");
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .collect();
    lines.join("\n")
}

impl Drop for Term {
    fn drop(&mut self) {
        // An interactive shell ignores the SIGTERM a dropped session sends.
        let _ = self.session.send_line("exit");
    }
}

fn fixture() -> Fixture {
    Fixture::new()
        .with_config(CONFIG)
        .with_credentials(CREDENTIALS)
        .var("AWSENV_STS_TIMEOUT", "3")
}

#[test]
fn wrapper_assumes_and_unsets_in_the_current_shell() {
    for shell in ALL {
        let f = fixture();
        let mut t = Term::start(&f, shell, &shell.rc("", ""));
        assert_eq!(t.run("awsenv assume dev").1, 0, "{shell:?}");
        assert_eq!(t.var("AWS_ACCESS_KEY_ID"), "AKIDDEV", "{shell:?}");
        assert_eq!(t.var("AWSENV_PROFILE"), "dev", "{shell:?}");
        assert_eq!(t.var("AWSENV_SHELL"), t_name(shell), "{shell:?}");
        // A failure changes nothing, and the status is the binary's.
        let (text, status) = t.run("awsenv assume nosuch");
        assert_eq!(status, 2, "{shell:?}: {text}");
        assert_eq!(t.var("AWSENV_PROFILE"), "dev", "{shell:?}");
        let help = t.out("awsenv assume --help");
        assert!(help.contains("Usage"), "{shell:?}: {help}");
        assert_eq!(t.run("awsenv unset").1, 0);
        assert_eq!(t.var("AWS_ACCESS_KEY_ID"), "", "{shell:?}");
        assert_eq!(t.var("AWSENV_PROMPT"), "", "{shell:?}");
        // Other subcommands pass through.
        assert!(t.out("awsenv prompt --help").contains("Usage"), "{shell:?}");
    }
}

fn t_name(shell: Sh) -> &'static str {
    match shell {
        Sh::Bash => "bash",
        Sh::Zsh => "zsh",
        Sh::Fish => "fish",
    }
}

#[test]
fn warns_once_entering_the_window_and_once_on_expiry() {
    for shell in ALL {
        let f = fixture();
        let mut t = Term::start(&f, shell, &shell.rc("", ""));
        t.run("awsenv assume dev");
        let mut seen = String::new();
        seen += &t
            .run(&shell.export("AWSENV_EXPIRES_AT", &shell.now_plus(300)))
            .0;
        for _ in 0..3 {
            seen += &t.run("true").0;
        }
        assert_eq!(
            seen.matches("awsenv: profile `dev` expires in").count(),
            1,
            "{shell:?}: {seen}"
        );
        assert!(seen.contains("run `awsenv assume dev` to renew"), "{seen}");
        let segment = t.var("AWSENV_PROMPT");
        assert!(
            segment == "dev 4m" || segment == "dev 5m",
            "{shell:?}: {segment:?}"
        );
        let mut seen = String::new();
        seen += &t
            .run(&shell.export("AWSENV_EXPIRES_AT", &shell.now_plus(-5)))
            .0;
        for _ in 0..3 {
            seen += &t.run("true").0;
        }
        assert_eq!(
            seen.matches("awsenv: profile `dev` expired;").count(),
            1,
            "{shell:?}: {seen}"
        );
        assert!(!seen.contains("expires in"), "{shell:?}: {seen}");
        assert_eq!(t.var("AWSENV_PROMPT"), "dev expired", "{shell:?}");
        // A new session warns again.
        let seen = t
            .run(&shell.export("AWSENV_EXPIRES_AT", &shell.now_plus(200)))
            .0;
        assert_eq!(
            seen.matches("expires in 3m").count(),
            1,
            "{shell:?}: {seen}"
        );
    }
}

#[test]
fn auto_off_never_warns() {
    for shell in ALL {
        let f = fixture().var("AWSENV_AUTO", "off");
        let mut t = Term::start(&f, shell, &shell.rc("", ""));
        t.run("awsenv assume dev");
        let seen = t
            .run(&shell.export("AWSENV_EXPIRES_AT", &shell.now_plus(-5)))
            .0;
        assert!(!seen.contains("expired;"), "{shell:?}: {seen}");
        assert_eq!(t.var("AWSENV_PROMPT"), "dev expired", "{shell:?}");
    }
}

#[test]
fn failed_refresh_keeps_the_keys_and_warns_once() {
    for shell in ALL {
        // STS is a refused port: `ops` cannot be re-assumed.
        let f = fixture()
            .var("AWSENV_AUTO", "refresh")
            .var("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9");
        let mut t = Term::start(&f, shell, &shell.rc("", ""));
        t.run("awsenv assume dev");
        let mut seen = t.run(&shell.export("AWSENV_PROFILE", "ops")).0;
        seen += &t
            .run(&shell.export("AWSENV_EXPIRES_AT", &shell.now_plus(300)))
            .0;
        for _ in 0..3 {
            seen += &t.run("true").0;
        }
        let warning = "awsenv: could not refresh profile `ops`, keeping the old credentials: ";
        assert_eq!(seen.matches(warning).count(), 1, "{shell:?}: {seen}");
        assert!(!seen.contains("expires in"), "{shell:?}: {seen}");
        assert_eq!(t.var("AWS_ACCESS_KEY_ID"), "AKIDDEV", "{shell:?}");
        assert!(t.var("AWSENV_PROMPT").starts_with("ops "), "{shell:?}");
    }
}

#[test]
fn refresh_against_local_sts_moves_the_expiry_and_changes_the_keys() {
    let moto = common::moto::Moto::start();
    for shell in ALL {
        let f = fixture()
            .var("AWSENV_AUTO", "refresh")
            .var("AWS_ENDPOINT_URL_STS", moto.endpoint());
        let mut t = Term::start(&f, shell, &shell.rc("", ""));
        let (text, status) = t.run("awsenv assume ops");
        assert_eq!(status, 0, "{shell:?}: {text}");
        let key = t.var("AWS_ACCESS_KEY_ID");
        // The session is near its end and the cache has no fresher one.
        t.run("rm -rf -- \"$AWSENV_CACHE_DIR\"");
        let soon = t.out(&shell.export("AWSENV_EXPIRES_AT", &shell.now_plus(120)));
        assert!(!soon.contains("could not refresh"), "{shell:?}: {soon}");
        let expires: i64 = t.var("AWSENV_EXPIRES_AT").parse().unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        assert!(
            expires > now + 900,
            "{shell:?}: expiry did not move: {expires}"
        );
        assert_ne!(t.var("AWS_ACCESS_KEY_ID"), key, "{shell:?}: same keys");
    }
}

#[test]
fn status_is_kept_for_the_prompt() {
    for shell in ALL {
        let f = fixture();
        let mut t = Term::start(&f, shell, &shell.rc("", ""));
        t.run("awsenv assume dev");
        assert_eq!(t.run("false").1, 1, "{shell:?}");
        assert_eq!(t.run("true").1, 0, "{shell:?}");
        t.run(&shell.export("AWSENV_EXPIRES_AT", &shell.now_plus(60)));
        assert_eq!(t.run("false").1, 1, "{shell:?} with a warning due");
    }
}

#[test]
fn bash_prompt_command_string_is_kept_and_the_hook_installed_once() {
    let f = fixture();
    let rc = Sh::Bash.rc(
        "PROMPT_COMMAND='echo mine-ran-$?'",
        "eval \"$(awsenv init bash)\"",
    );
    let mut t = Term::start(&f, Sh::Bash, &rc);
    assert_eq!(t.var("PROMPT_COMMAND"), "_awsenv_hook;echo mine-ran-$?");
    let (text, status) = t.run("false");
    assert!(text.contains("mine-ran-1"), "{text}");
    assert_eq!(status, 1);
    t.run("awsenv assume dev");
    assert_eq!(t.var("AWSENV_PROMPT"), "dev");
}

#[test]
fn bash_prompt_command_array_is_kept_and_works_under_set_u() {
    let f = fixture();
    let rc = Sh::Bash.rc(
        "set -u\nPROMPT_COMMAND=('echo first-ran' 'echo second-ran')",
        "eval \"$(awsenv init bash)\"",
    );
    let mut t = Term::start(&f, Sh::Bash, &rc);
    let decl = t.out("declare -p PROMPT_COMMAND");
    assert!(
        decl.contains(r#"[0]="echo first-ran" [1]="echo second-ran" [2]="_awsenv_hook")"#),
        "{decl}"
    );
    let (text, _) = t.run("awsenv assume dev");
    assert!(
        text.contains("first-ran") && text.contains("second-ran"),
        "{text}"
    );
    assert_eq!(t.var("AWSENV_PROMPT"), "dev");
    assert_eq!(t.run("false").1, 1);
}

#[test]
fn zsh_precmd_function_still_runs_and_the_hook_is_added_once() {
    let f = fixture();
    let rc = Sh::Zsh.rc(
        "setopt nounset\nprecmd() { echo mine-ran }",
        "eval \"$(awsenv init zsh)\"",
    );
    let mut t = Term::start(&f, Sh::Zsh, &rc);
    assert_eq!(t.var("precmd_functions"), "_awsenv_hook");
    let (text, _) = t.run("awsenv assume dev");
    assert!(text.contains("mine-ran"), "{text}");
    assert_eq!(t.var("AWSENV_PROMPT"), "dev");
}

#[test]
fn fish_hook_is_installed_once_when_sourced_twice() {
    let f = fixture();
    let rc = Sh::Fish.rc(
        "function mine --on-event fish_prompt; echo mine-ran; end",
        "awsenv init fish | source",
    );
    let mut t = Term::start(&f, Sh::Fish, &rc);
    let handlers = t.out("functions --handlers-type generic");
    assert_eq!(handlers.matches("_awsenv_hook").count(), 1, "{handlers}");
    let (text, _) = t.run("awsenv assume dev");
    assert!(text.contains("mine-ran"), "{text}");
    assert_eq!(t.var("AWSENV_PROMPT"), "dev");
}
