//! The profile picker in a real terminal: bash and zsh with `awsenv init`, inside tmux.
//! Type part of a name and Enter, and the shell holds that profile's credentials; Esc
//! leaves it unchanged with `$?` 130; recent profiles come first; `assume -` goes back;
//! 10,000 profiles and a corrupt recent-profiles file still work.

#![cfg(unix)] // tmux and real shells

mod common;

use std::process::Command;
use std::time::Duration;

use common::tmux::Tmux;
use common::{Fixture, bin, repo};

const CONFIG: &str = "[profile alpha-dev]
region = eu-west-1
[profile beta-prod]
region = eu-west-1
[profile gamma-stage]
region = us-east-1
[profile delta-role]
role_arn = arn:aws:iam::123456789012:role/Admin
source_profile = alpha-dev
";

const CREDENTIALS: &str = "[alpha-dev]
aws_access_key_id = AKIAALPHA
aws_secret_access_key = alphasecret
[beta-prod]
aws_access_key_id = AKIABETA
aws_secret_access_key = betasecret
[gamma-stage]
aws_access_key_id = AKIAGAMMA
aws_secret_access_key = gammasecret
";

/// How long any one screen state may take to appear before the test fails. Generous: the
/// debug binary on a loaded machine; timings belong in benches/run.
const PATIENCE: Duration = Duration::from_secs(20);

/// A tmux server of its own running one interactive shell; killed on drop.
struct Term {
    tmux: Tmux,
    asked: usize,
}

impl Term {
    /// `shell` (bash or zsh) with the fixture's variables and `awsenv init` evaluated.
    fn start(f: &Fixture, shell: &str) -> Self {
        let dir = bin().parent().unwrap().display().to_string();
        let mut argv = vec!["env".to_owned(), "-i".to_owned()];
        for (name, value) in &f.vars {
            let value = if name == "PATH" {
                format!("{dir}:{value}")
            } else {
                value.clone()
            };
            argv.push(format!("{name}={value}"));
        }
        argv.push("TERM=xterm-256color".into());
        argv.push("PS1=$ ".into());
        argv.push("PROMPT=$ ".into());
        match shell {
            "bash" => argv.extend(["bash", "--norc", "--noprofile"].map(String::from)),
            _ => argv.extend(["zsh", "-f"].map(String::from)),
        }
        // The shell starts in the fixture's HOME: whatever a test writes stays there.
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        let tmux = Tmux::start(f.path("tmux.sock"), 40, f.home.path(), &argv);
        let mut term = Term { tmux, asked: 0 };
        term.line(&format!("eval \"$(awsenv init {shell})\""));
        term.ask("true");
        term
    }

    /// Type `text` and Enter.
    fn line(&self, text: &str) {
        self.keys(text);
        self.tmux.keys(&["Enter"]);
    }

    /// Type `text` literally.
    fn keys(&self, text: &str) {
        self.tmux.text(text);
    }

    fn key(&self, name: &str) {
        self.tmux.keys(&[name]);
    }

    /// Press `name` (Escape, C-c) and wait for the picker to go away, so that what is typed
    /// next reaches the shell, not the picker.
    fn leave(&self, name: &str) {
        self.key(name);
        self.wait("the picker to close", |s| !s.contains("to cancel"));
    }

    /// Wait until the screen satisfies `ok`; the screen then.
    fn wait(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        self.tmux.wait(what, PATIENCE, ok)
    }

    /// Run `expr` in the shell after `echo`, and return what it printed: the status of the
    /// command before and the state it left, read back with a marker of its own.
    fn ask(&mut self, expr: &str) -> String {
        self.asked += 1;
        let mark = format!("Q{}=", self.asked);
        self.line(&format!("echo \"{mark}$?:{expr}\""));
        let screen = self.wait(&mark, |s| s.lines().any(|l| l.starts_with(&mark)));
        let line = screen.lines().find(|l| l.starts_with(&mark)).unwrap();
        line[mark.len()..].trim_end().to_owned()
    }

    /// `awsenv assume` with no profile, waiting for the picker's first frame.
    fn open_picker(&self) -> String {
        self.open_with("awsenv assume")
    }

    /// Run `command`, which opens the picker; its first frame.
    fn open_with(&self, command: &str) -> String {
        self.line(&format!("clear; {command}"));
        self.wait("the picker", |s| {
            s.contains("Profile >") && s.contains("to cancel")
        })
    }

    /// The profile names the picker shows, top to bottom.
    fn shown(screen: &str) -> Vec<String> {
        screen
            .lines()
            .skip_while(|l| !l.starts_with("Profile >"))
            .skip(1)
            .take_while(|l| !l.contains("to cancel"))
            .filter_map(|l| l.get(4..)?.split_whitespace().next().map(str::to_owned))
            .collect()
    }
}

fn fixture() -> Fixture {
    Fixture::new()
        .with_config(CONFIG)
        .with_credentials(CREDENTIALS)
}

const STATE: &str = "${AWSENV_PROFILE-none}:${AWS_ACCESS_KEY_ID-none}";

fn type_enter_and_escape(shell: &str) {
    let f = fixture();
    let mut t = Term::start(&f, shell);
    let screen = t.open_picker();
    assert_eq!(
        Term::shown(&screen),
        ["alpha-dev", "beta-prod", "delta-role", "gamma-stage"],
        "{screen}"
    );
    assert!(screen.contains("123456789012  Admin"), "{screen}");
    t.keys("btprd");
    t.wait("the filter", |s| s.contains("1/4"));
    t.key("Enter");
    assert_eq!(t.ask(STATE), "0:beta-prod:AKIABETA");

    let screen = t.open_picker();
    assert!(
        screen.contains("* beta-prod"),
        "the current one is marked:\n{screen}"
    );
    t.leave("Escape");
    assert_eq!(t.ask(STATE), "130:beta-prod:AKIABETA");

    t.open_picker();
    t.leave("C-c");
    assert_eq!(t.ask(STATE), "130:beta-prod:AKIABETA");

    t.line("awsenv assume --no-input");
    assert_eq!(t.ask(STATE), "2:beta-prod:AKIABETA");

    // Without the wrapper: the failure snippet makes eval fail; PowerShell's is empty.
    t.open_with("eval \"$(command awsenv assume)\"");
    t.leave("Escape");
    assert_eq!(t.ask(STATE), "1:beta-prod:AKIABETA");
    t.open_with("command awsenv assume --shell pwsh > ps.out");
    t.leave("Escape");
    assert_eq!(t.ask("$(wc -c < ps.out)"), "130:0");
    t.open_with("eval \"$(command awsenv assume)\"");
    t.keys("gam");
    t.wait("the filter", |s| s.contains("1/4"));
    t.key("Enter");
    assert_eq!(t.ask(STATE), "0:gamma-stage:AKIAGAMMA");
}

#[test]
fn bash_type_enter_and_escape() {
    type_enter_and_escape("bash");
}

#[test]
fn zsh_type_enter_and_escape() {
    type_enter_and_escape("zsh");
}

#[test]
fn recent_profiles_come_first_and_dash_goes_back() {
    let f = fixture();
    let mut t = Term::start(&f, "zsh");
    t.line("awsenv assume gamma-stage");
    t.line("awsenv assume alpha-dev");
    assert_eq!(t.ask(STATE), "0:alpha-dev:AKIAALPHA");
    let screen = t.open_picker();
    assert_eq!(
        Term::shown(&screen),
        ["alpha-dev", "gamma-stage", "beta-prod", "delta-role"],
        "{screen}"
    );
    t.leave("Escape");
    t.line("awsenv assume -");
    assert_eq!(t.ask(STATE), "0:gamma-stage:AKIAGAMMA");
    t.line("awsenv assume -");
    assert_eq!(t.ask(STATE), "0:alpha-dev:AKIAALPHA");
    let recent = std::fs::read_to_string(f.path("cache/recent-profiles")).unwrap();
    assert_eq!(recent, r#"{"recent":["alpha-dev","gamma-stage"]}"#);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(f.path("cache/recent-profiles"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn a_corrupt_recent_file_is_empty() {
    let f = fixture();
    f.write("cache/recent-profiles", "{\"recent\": [\"gamma-stage\", 7");
    let mut t = Term::start(&f, "bash");
    let screen = t.open_picker();
    assert_eq!(
        Term::shown(&screen),
        ["alpha-dev", "beta-prod", "delta-role", "gamma-stage"],
        "{screen}"
    );
    t.keys("gam");
    t.wait("the filter", |s| s.contains("1/4"));
    t.key("Enter");
    assert_eq!(t.ask(STATE), "0:gamma-stage:AKIAGAMMA");
    let recent = std::fs::read_to_string(f.path("cache/recent-profiles")).unwrap();
    assert_eq!(recent, r#"{"recent":["gamma-stage"]}"#);
}

#[test]
fn ten_thousand_profiles() {
    let f = Fixture::new();
    let generated = Command::new("sh")
        .arg(repo().join("benches/gen-profiles.sh"))
        .arg("10000")
        .output()
        .unwrap();
    assert!(generated.status.success());
    let config = f.write(".aws/config", &String::from_utf8(generated.stdout).unwrap());
    let f = f.var("AWS_CONFIG_FILE", config.display().to_string());
    let mut t = Term::start(&f, "bash");
    let screen = t.open_picker();
    assert!(screen.contains("/10000"), "{screen}");
    // p09996 has static keys (every fourth profile does).
    t.keys("p09996");
    t.wait("the filter", |s| {
        Term::shown(s).first().map(String::as_str) == Some("p09996")
    });
    t.key("Enter");
    assert_eq!(t.ask(STATE), "0:p09996:AKIABENCH00000009996");
}
