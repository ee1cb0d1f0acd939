//! The shell integration as a user meets it: real interactive bash, zsh and fish on a pty,
//! the init output sourced from an rc file, commands typed one by one and each prompt
//! awaited. Prompts look like `[STATUS]PROMPT> ` so a test sees `$?` too. The background
//! renewal (`AWSENV_AUTO=refresh`) is watched in a tmux pane against a slow stub STS, with
//! strace counting what the hook starts.
#![cfg(unix)] // real Unix shells; the Windows suite is tests/windows.rs

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::Fixture;
use common::stub::{Behaviour, Stub};
use common::tmux::Tmux;
use rexpect::session::{PtySession, spawn_command};

const PROMPT: &str = r"\[(\d+)\]PROMPT> ";

/// How long a renewal may take to show before a test fails: generous, for the debug binary
/// on a loaded machine; timings belong in benches/.
const PATIENCE: Duration = Duration::from_secs(20);

const CONFIG: &str = "[profile dev]\nregion = eu-west-1\n\
    [profile ops]\nrole_arn = arn:aws:iam::123456789012:role/ops\nsource_profile = dev\n\
    [profile mfa]\nrole_arn = arn:aws:iam::123456789012:role/mfa\nsource_profile = dev\n\
    mfa_serial = arn:aws:iam::123456789012:mfa/me\n";
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

/// `true` at each prompt, a fifth of a second apart, until what they printed holds `what`
/// (the renewal runs in the background); what they printed.
fn prompt_until(t: &mut Term, what: &str) -> String {
    let deadline = Instant::now() + PATIENCE;
    let mut seen = String::new();
    while !seen.contains(what) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
        seen += &t.run("true").0;
    }
    seen
}

#[test]
fn failed_refresh_keeps_the_keys_and_warns_once_then_once_on_expiry() {
    for shell in ALL {
        // STS is a refused port: `ops` cannot be renewed.
        let f = fixture()
            .var("AWSENV_AUTO", "refresh")
            .var("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9");
        let mut t = Term::start(&f, shell, &shell.rc("", ""));
        t.run("awsenv assume dev");
        let mut seen = t.run(&shell.export("AWSENV_PROFILE", "ops")).0;
        // Four seconds left: the renewal fails, then the session expires.
        seen += &t
            .run(&shell.export("AWSENV_EXPIRES_AT", &shell.now_plus(4)))
            .0;
        let warning = "awsenv: could not refresh profile `ops`, keeping the old credentials: ";
        seen += &prompt_until(&mut t, warning);
        seen += &prompt_until(&mut t, "expired;");
        for _ in 0..3 {
            seen += &t.run("true").0;
        }
        assert_eq!(seen.matches(warning).count(), 1, "{shell:?}: {seen}");
        assert_eq!(
            seen.matches("awsenv: profile `ops` expired;").count(),
            1,
            "{shell:?}: {seen}"
        );
        assert!(!seen.contains("expires in"), "{shell:?}: {seen}");
        assert_eq!(t.var("AWS_ACCESS_KEY_ID"), "AKIDDEV", "{shell:?}");
        assert_eq!(t.var("AWSENV_PROMPT"), "ops expired", "{shell:?}");
    }
}

/// The renewal files in `dir`.
fn renewal_files(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("renew-"))
        .collect()
}

#[test]
fn renewal_that_needs_an_mfa_code_does_not_start_and_warns_once() {
    let stub = Stub::start(Behaviour::Ok);
    for shell in ALL {
        let f = fixture()
            .var("AWSENV_AUTO", "refresh")
            .var("AWS_ENDPOINT_URL_STS", stub.endpoint());
        let mut t = Term::start(&f, shell, &shell.rc("", ""));
        t.run("awsenv assume dev");
        let mut seen = t.run(&shell.export("AWSENV_PROFILE", "mfa")).0;
        seen += &t
            .run(&shell.export("AWSENV_EXPIRES_AT", &shell.now_plus(300)))
            .0;
        for _ in 0..3 {
            seen += &t.run("true").0;
        }
        let warning = "awsenv: could not refresh profile `mfa`, keeping the old credentials: \
                       assuming arn:aws:iam::123456789012:role/mfa needs an MFA code; \
                       run `awsenv assume mfa` in a terminal";
        assert_eq!(seen.matches(warning).count(), 1, "{shell:?}: {seen}");
        assert!(!seen.contains("expires in"), "{shell:?}: {seen}");
        assert_eq!(t.var("_awsenv_renewal"), "", "{shell:?}: nothing started");
        assert_eq!(t.var("AWS_ACCESS_KEY_ID"), "AKIDDEV", "{shell:?}");
        assert_eq!(renewal_files(&f.path("cache")), Vec::<String>::new());
    }
    assert_eq!(stub.total(), 0, "nothing was asked of STS");
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
        // The renewal runs in the background; a later prompt applies it.
        let deadline = Instant::now() + PATIENCE;
        let mut expires: i64 = 0;
        while Instant::now() < deadline {
            expires = t.var("AWSENV_EXPIRES_AT").parse().unwrap();
            if expires > unix_now() + 900 {
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        assert!(
            expires > unix_now() + 900,
            "{shell:?}: expiry did not move: {expires}"
        );
        assert_ne!(t.var("AWS_ACCESS_KEY_ID"), key, "{shell:?}: same keys");
    }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
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

/// An interactive shell in a tmux pane of its own, as a user has it: the renewal tests
/// watch its screen while the stub STS takes its time. With `trace`, the shell runs under
/// `strace -f`, which logs every process and thread it and its children start.
struct Pane {
    tmux: Tmux,
    shell: Sh,
    asked: usize,
}

impl Pane {
    fn start(f: &Fixture, shell: Sh, trace: Option<&Path>) -> Pane {
        let rc = f.write("rc", &shell.rc("", ""));
        let dir = common::bin().parent().unwrap().display().to_string();
        let mut argv: Vec<String> = vec!["env".into(), "-i".into()];
        for (name, value) in &f.vars {
            let value = match name.as_str() {
                "PATH" => format!("{dir}:{value}"),
                _ => value.clone(),
            };
            argv.push(format!("{name}={value}"));
        }
        argv.push("TERM=xterm-256color".into());
        if let Some(log) = trace {
            argv.extend(
                [
                    "strace",
                    "-f",
                    "-qq",
                    "-e",
                    "trace=execve,clone,clone3,fork,vfork",
                    "-o",
                ]
                .map(String::from),
            );
            argv.push(log.display().to_string());
        }
        match shell {
            Sh::Bash => {
                argv.extend(["bash", "--noprofile", "--rcfile"].map(String::from));
                argv.push(rc.display().to_string());
                argv.push("-i".into());
            }
            Sh::Zsh => {
                std::fs::copy(&rc, f.path(".zshrc")).unwrap();
                argv.insert(2, format!("ZDOTDIR={}", f.home.path().display()));
                argv.extend(["zsh", "-d", "-i"].map(String::from));
            }
            Sh::Fish => {
                argv.extend(["fish", "--no-config", "-i", "-C"].map(String::from));
                argv.push(format!("source {}", rc.display()));
            }
        }
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        let tmux = Tmux::start(f.path("tmux.sock"), 50, f.home.path(), &argv);
        tmux.wait("the first prompt", PATIENCE, |s| s.contains("PROMPT>"));
        Pane {
            tmux,
            shell,
            asked: 0,
        }
    }

    /// Type `text` and Enter.
    fn line(&self, text: &str) {
        self.tmux.text(text);
        self.tmux.keys(&["Enter"]);
    }

    /// `echo` `expr` (double-quoted, so `$NAME` expands) after a marker of its own; what it
    /// printed, once it has. By then the prompt before it has come back.
    fn ask(&mut self, expr: &str) -> String {
        self.asked += 1;
        let mark = format!("Q{}=", self.asked);
        self.line(&format!("echo \"{mark}{expr}\""));
        let screen = self
            .tmux
            .wait(&mark, PATIENCE, |s| s.lines().any(|l| l.starts_with(&mark)));
        let line = screen.lines().find(|l| l.starts_with(&mark)).unwrap();
        line[mark.len()..].trim_end().to_owned()
    }

    /// The shell's process id.
    fn pid(&mut self) -> u32 {
        let var = match self.shell {
            Sh::Fish => "$fish_pid",
            _ => "$$",
        };
        self.ask(var).parse().unwrap()
    }

    /// Everything the pane has shown.
    fn history(&self) -> String {
        self.tmux.run(&["capture-pane", "-p", "-J", "-S", "-"])
    }

    /// The variables of a session of `profile` with `ASIAOLD` keys and `secs` left, as
    /// `awsenv assume` would have left them.
    fn session(&self, profile: &str, secs: i64) {
        let sh = self.shell;
        self.line(&format!(
            "{}; {}; {}",
            sh.export("AWSENV_PROFILE", profile),
            sh.export("AWS_ACCESS_KEY_ID", "ASIAOLD"),
            sh.export("AWSENV_EXPIRES_AT", &sh.now_plus(secs))
        ));
    }
}

/// Wait until `ok` holds, or fail after PATIENCE saying `what`.
fn wait_for(what: &str, ok: impl Fn() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !ok() {
        assert!(Instant::now() < deadline, "waited {PATIENCE:?} for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A fixture whose STS is `stub`, in refresh mode, patient enough for a slow STS.
fn refreshing(stub: &Stub) -> Fixture {
    fixture()
        .var("AWSENV_AUTO", "refresh")
        .var("AWS_ENDPOINT_URL_STS", stub.endpoint())
        .var("AWSENV_STS_TIMEOUT", "30")
}

#[test]
fn the_prompt_comes_back_while_sts_renews_and_a_later_one_holds_the_new_keys() {
    for shell in ALL {
        let stub = Stub::with_delay(Behaviour::Ok, Duration::from_secs(4));
        let f = refreshing(&stub);
        let mut p = Pane::start(&f, shell, None);
        p.session("ops", 120);
        let file = PathBuf::from(p.ask("$_awsenv_renewal"));
        assert_eq!(file.parent(), Some(f.path("cache").as_path()), "{shell:?}");
        wait_for("the renewal's AssumeRole", || stub.total() == 1);
        // STS is still working on it, and the prompt is there.
        assert_eq!(p.ask("$AWS_ACCESS_KEY_ID"), "ASIAOLD", "{shell:?}");
        assert_eq!(
            stub.answered(),
            0,
            "{shell:?}: STS answered before the prompt"
        );
        wait_for("the renewal's snippet", || file.exists());
        // The next prompt applies it.
        p.line("true");
        let key = p.ask("$AWS_ACCESS_KEY_ID:$AWSENV_PROFILE:$AWSENV_PROMPT");
        assert!(key.starts_with("ASIASTUB"), "{shell:?}: {key}");
        assert!(
            key.ends_with(":ops:ops 59m") || key.ends_with(":ops:ops 1h00m"),
            "{key}"
        );
        assert!(!file.exists(), "{shell:?}: the snippet is removed");
        let history = p.history();
        assert!(
            !history.contains("awsenv:"),
            "{shell:?}: a warning:\n{history}"
        );
        assert_eq!(stub.count("AssumeRole"), 1, "{shell:?}");
    }
}

/// The shell's own forks (clones that are not threads), and every exec, in the part of a
/// strace log from byte `from`.
fn started(log: &Path, from: usize, shell_pid: u32) -> (Vec<String>, Vec<String>) {
    let text = std::fs::read_to_string(log).unwrap();
    let own = format!("{shell_pid} ");
    let call = |l: &str| {
        l.split_once(' ')
            .map_or("", |(_, rest)| rest.trim_start())
            .to_owned()
    };
    let forks = text[from..]
        .lines()
        .filter(|l| l.starts_with(&own))
        .filter(|l| {
            let call = call(l);
            ["clone(", "clone3(", "fork(", "vfork("]
                .iter()
                .any(|c| call.starts_with(c))
                && !call.contains("CLONE_THREAD")
        })
        .map(str::to_owned)
        .collect();
    let execs = text[from..]
        .lines()
        .filter(|l| call(l).starts_with("execve("))
        .map(str::to_owned)
        .collect();
    (forks, execs)
}

/// Wait until strace has written all it will about the last prompt: the log has not grown
/// for a fifth of a second (the prompt after the last command may still be starting fish's
/// `date`).
fn settled(log: &Path) {
    let size = || std::fs::metadata(log).map_or(0, |m| m.len());
    let mut last = size();
    loop {
        std::thread::sleep(Duration::from_millis(200));
        let now = size();
        if now == last {
            return;
        }
        last = now;
    }
}

#[test]
fn the_hook_starts_no_process_far_from_expiry_nor_while_a_renewal_runs() {
    for shell in ALL {
        let stub = Stub::start(Behaviour::Hang);
        let f = refreshing(&stub);
        let log = f.path("strace.log");
        let mut p = Pane::start(&f, shell, Some(&log));
        let pid = p.pid();
        let quiet = |p: &mut Pane, what: &str| {
            settled(&log);
            let from = std::fs::metadata(&log).unwrap().len() as usize;
            for _ in 0..5 {
                p.line("");
            }
            p.ask("quiet");
            settled(&log);
            let (forks, execs) = started(&log, from, pid);
            if shell == Sh::Fish {
                // fish reads the clock with `date`, once a prompt: the one process its hook
                // starts.
                let others: Vec<&String> =
                    execs.iter().filter(|l| !l.contains("/date\"")).collect();
                assert_eq!(others, Vec::<&String>::new(), "{shell:?}, {what}");
                assert_eq!(forks.len(), execs.len(), "{shell:?}, {what}: {forks:?}");
            } else {
                assert_eq!((forks, execs), (vec![], vec![]), "{shell:?}, {what}");
            }
        };
        p.session("ops", 7200);
        p.ask("far");
        quiet(&mut p, "two hours from expiry");
        p.session("ops", 120);
        let file = p.ask("$_awsenv_renewal");
        assert!(!file.is_empty(), "{shell:?}: no renewal started");
        wait_for("the renewal's AssumeRole", || stub.total() == 1);
        quiet(&mut p, "while the renewal waits on STS");
        assert_eq!(p.ask("$AWS_ACCESS_KEY_ID"), "ASIAOLD");
    }
}

#[test]
fn a_snippet_others_may_write_or_another_user_owns_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    for shell in ALL {
        // Slow enough that no prompt applies a snippet before the test has changed it.
        let stub = Stub::with_delay(Behaviour::Ok, Duration::from_secs(3));
        let f = refreshing(&stub);
        let mut p = Pane::start(&f, shell, None);
        p.session("ops", 120);
        let file = PathBuf::from(p.ask("$_awsenv_renewal"));
        wait_for("the renewal's snippet", || file.exists());
        let mut mode = std::fs::metadata(&file).unwrap().permissions();
        assert_eq!(mode.mode() & 0o777, 0o600, "{shell:?}");
        mode.set_mode(0o620);
        std::fs::set_permissions(&file, mode).unwrap();
        p.line("true");
        assert_eq!(p.ask("$AWS_ACCESS_KEY_ID"), "ASIAOLD", "{shell:?}");
        let history = p.history();
        assert!(
            history.contains(&format!(
                "awsenv: not applying the renewal in {}: others may write to it",
                file.display()
            )),
            "{shell:?}:\n{history}"
        );
        assert!(
            file.exists(),
            "{shell:?}: a refused snippet stays where it is"
        );

        // Another session, another renewal; its file then belongs to someone else (root
        // hands it to `nobody`), or, for anyone else, is a link to a file of root's.
        for entry in std::fs::read_dir(f.path("cache")).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") {
                std::fs::remove_file(path).unwrap();
            }
        }
        p.session("ops", 130);
        let file = PathBuf::from(p.ask("$_awsenv_renewal"));
        wait_for(
            &format!("{shell:?}'s second snippet, {}", file.display()),
            || file.exists(),
        );
        if root {
            std::os::unix::fs::chown(&file, Some(65534), Some(65534)).unwrap();
        } else {
            std::fs::remove_file(&file).unwrap();
            std::os::unix::fs::symlink("/etc/passwd", &file).unwrap();
        }
        p.line("true");
        assert_eq!(p.ask("$AWS_ACCESS_KEY_ID"), "ASIAOLD", "{shell:?}");
        let history = p.history();
        assert!(
            history.contains(&format!(
                "awsenv: not applying the renewal in {}: it is not a file of your own",
                file.display()
            )),
            "{shell:?}:\n{history}"
        );
    }
}

#[test]
fn the_renewal_writes_a_private_file_under_xdg_runtime_dir() {
    use std::os::unix::fs::PermissionsExt;
    let stub = Stub::start(Behaviour::Ok);
    let f = refreshing(&stub);
    let run = f.path("run");
    std::fs::create_dir(&run).unwrap();
    std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o700)).unwrap();
    let expires = (unix_now() + 120).to_string();
    let out = f
        .cmd(["renew", "--shell", "bash", "--pid", "4242"])
        .env("XDG_RUNTIME_DIR", &run)
        .env("AWSENV_PROFILE", "ops")
        .env("AWSENV_EXPIRES_AT", &expires)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let file = run.join("awsenv").join("renew-4242.bash");
    assert_eq!(common::stdout(&out), format!("{}\n", file.display()));
    wait_for("the snippet", || file.exists());
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!((mode(&run.join("awsenv")), mode(&file)), (0o700, 0o600));
    let code = std::fs::read_to_string(&file).unwrap();
    assert!(
        code.contains("export AWS_ACCESS_KEY_ID='ASIASTUB"),
        "{code}"
    );
    assert!(code.contains("export AWSENV_PROFILE='ops'"), "{code}");
    assert!(!code.contains("false"), "{code}");
    // What the hook would source sets the new keys in bash.
    let out = f.shell(
        "bash",
        &format!("source {}; echo \"$AWSENV_PROFILE\"", file.display()),
    );
    assert_eq!(common::stdout(&out), "ops\n");
}

#[test]
fn a_cached_mfa_session_lets_the_renewal_start_and_it_asks_for_no_code() {
    let stub = Stub::start(Behaviour::Ok);
    let f = refreshing(&stub);
    let out = f.run(["assume", "mfa", "--mfa-code", "123456", "--shell", "bash"]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    // The role's session is near its end and gone from the cache; the MFA session (an hour
    // from this stub) is not.
    for entry in std::fs::read_dir(f.path("cache")).unwrap() {
        let path = entry.unwrap().path();
        if path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("mfa.role.")
        {
            std::fs::remove_file(path).unwrap();
        }
    }
    let expires = (unix_now() + 120).to_string();
    let out = f
        .cmd(["renew", "--shell", "bash", "--pid", "4243"])
        .env("AWSENV_PROFILE", "mfa")
        .env("AWSENV_EXPIRES_AT", &expires)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let file = PathBuf::from(common::stdout(&out).trim_end());
    wait_for("the snippet", || file.exists());
    let code = std::fs::read_to_string(&file).unwrap();
    assert!(code.contains("export AWSENV_PROFILE='mfa'"), "{code}");
    assert!(
        !code.contains(&format!("AWSENV_EXPIRES_AT='{expires}'")),
        "{code}"
    );
    let assumed = stub.requests("AssumeRole");
    assert_eq!(assumed.len(), 2, "one for assume, one for the renewal");
    assert!(!assumed[1].contains_key("TokenCode"), "{:?}", assumed[1]);
    assert_eq!(
        stub.count("GetSessionToken"),
        1,
        "the MFA session was reused"
    );
}

/// A script for `shell` that loads the integration, renews a session of `ops` with 120 s
/// left in the background, applies the result at a later hook call once the file is there,
/// then meets an `mfa` session, which cannot be renewed; it prints `started=FILE` and
/// `key=KEY`.
fn renewal_script(shell: &str, f: &Fixture) -> String {
    let init = f.path("init");
    match shell {
        "nu" => format!(
            "source {init}
            $env.AWSENV_PROFILE = 'ops'; $env.AWS_ACCESS_KEY_ID = 'ASIAOLD'
            $env.AWSENV_EXPIRES_AT = (((date now | into int) // 1_000_000_000) + 120 | into string)
            _awsenv_hook
            let file = $env._AWSENV_RENEWAL
            print $'started=($file)'
            while not ($file | path exists) {{ sleep 50ms }}
            _awsenv_hook
            print $'key=($env.AWS_ACCESS_KEY_ID)'
            $env.AWSENV_PROFILE = 'mfa'
            $env.AWSENV_EXPIRES_AT = (((date now | into int) // 1_000_000_000) + 100 | into string)
            _awsenv_hook; _awsenv_hook",
            init = init.display()
        ),
        "xonsh" => format!(
            "import os, time
execx(open('{init}').read(), 'exec', __xonsh__.ctx, filename='awsenv')
$AWSENV_PROFILE = 'ops'; $AWS_ACCESS_KEY_ID = 'ASIAOLD'
$AWSENV_EXPIRES_AT = str(int(time.time()) + 120)
_awsenv_hook()
file = _awsenv_state['renewal']
print('started=' + file)
while not os.path.exists(file): time.sleep(0.05)
_awsenv_hook()
print('key=' + $AWS_ACCESS_KEY_ID)
$AWSENV_PROFILE = 'mfa'; $AWSENV_EXPIRES_AT = str(int(time.time()) + 100)
_awsenv_hook(); _awsenv_hook()
",
            init = init.display()
        ),
        _ => format!(
            "set awsenv_init = {init}
source {init}
setenv AWSENV_PROFILE ops
setenv AWS_ACCESS_KEY_ID ASIAOLD
@ e = `date +%s` + 120
setenv AWSENV_EXPIRES_AT $e
_awsenv_hook
set file = \"$_awsenv_renewal\"
echo \"started=$file\"
while (! -e \"$file\")
    sleep 0.05
end
_awsenv_hook
echo \"key=$AWS_ACCESS_KEY_ID\"
setenv AWSENV_PROFILE mfa
@ e = `date +%s` + 100
setenv AWSENV_EXPIRES_AT $e
_awsenv_hook
_awsenv_hook
",
            init = init.display()
        ),
    }
}

#[test]
fn nushell_xonsh_and_tcsh_renew_in_the_background_and_refuse_what_needs_a_code() {
    for shell in ["nu", "xonsh", "tcsh"] {
        let Some(exe) = common::shells::require(shell) else {
            continue;
        };
        let stub = Stub::with_delay(Behaviour::Ok, Duration::from_millis(500));
        let f = refreshing(&stub);
        let out = f.run(["init", shell]);
        f.write("init", &common::stdout(&out));
        let script = f.write("script", &renewal_script(shell, &f));
        let dir = common::bin().parent().unwrap().display().to_string();
        let out = Command::new(exe)
            .args(common::shells::script_args(
                shell,
                &script.display().to_string(),
            ))
            .env_clear()
            .envs(&f.vars)
            .env("PATH", format!("{dir}:{}", f.vars["PATH"]))
            .current_dir(f.home.path())
            .output()
            .unwrap();
        let (text, errors) = (common::stdout(&out), common::stderr(&out));
        let started = text
            .lines()
            .find_map(|l| l.strip_prefix("started="))
            .unwrap_or("");
        assert!(
            started.ends_with(&format!(".{shell}")),
            "{shell}: {text}{errors}"
        );
        assert!(text.contains("key=ASIASTUB"), "{shell}: {text}{errors}");
        assert!(
            !Path::new(started).exists(),
            "{shell}: the snippet is removed"
        );
        let warning = "awsenv: could not refresh profile `mfa`, keeping the old credentials: \
                       assuming arn:aws:iam::123456789012:role/mfa needs an MFA code";
        assert_eq!(errors.matches(warning).count(), 1, "{shell}: {errors}");
        assert_eq!(stub.count("AssumeRole"), 1, "{shell}");
    }
}

#[test]
fn elvish_renews_in_the_background_at_its_prompt() {
    let Some(exe) = common::shells::require("elvish") else {
        return;
    };
    let stub = Stub::with_delay(Behaviour::Ok, Duration::from_millis(500));
    let f = refreshing(&stub);
    let rc = f.write(
        "rc.elv",
        "set edit:prompt = { put 'PROMPT> ' }\neval (awsenv init elvish | slurp)\n",
    );
    let dir = common::bin().parent().unwrap().display().to_string();
    let mut argv = vec!["env".to_owned(), "-i".to_owned()];
    for (name, value) in &f.vars {
        let value = match name.as_str() {
            "PATH" => format!("{dir}:{value}"),
            _ => value.clone(),
        };
        argv.push(format!("{name}={value}"));
    }
    argv.extend([
        "TERM=xterm".to_owned(),
        exe.display().to_string(),
        "-rc".to_owned(),
    ]);
    argv.push(rc.display().to_string());
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    let tmux = Tmux::start(f.path("tmux.sock"), 40, f.home.path(), &argv);
    tmux.wait("the prompt", PATIENCE, |s| s.contains("PROMPT>"));
    let line = |text: &str| {
        tmux.text(text);
        tmux.keys(&["Enter"]);
    };
    line(
        "set-env AWSENV_PROFILE ops; set-env AWS_ACCESS_KEY_ID ASIAOLD; \
         set-env AWSENV_EXPIRES_AT (to-string (+ (num (date +%s)) 120))",
    );
    wait_for("the renewal's snippet", || {
        renewal_files(&f.path("cache"))
            .iter()
            .any(|n| n.ends_with(".elvish"))
    });
    // The prompt after this one applies it.
    line("");
    line("echo Q1=$E:AWS_ACCESS_KEY_ID");
    let screen = tmux.wait("the new keys", PATIENCE, |s| {
        s.lines().any(|l| l.starts_with("Q1="))
    });
    let key = screen.lines().find_map(|l| l.strip_prefix("Q1=")).unwrap();
    assert!(key.starts_with("ASIASTUB"), "{screen}");
    assert_eq!(renewal_files(&f.path("cache")), Vec::<String>::new());
    assert!(!screen.contains("awsenv:"), "{screen}");
}
