//! The Windows suite: the real `awsenv.exe`, cross-built for x86_64-pc-windows-gnu, run under
//! wine through `.ci/wine`, against moto and the stub STS on the host's loopback. PowerShell
//! snippets are checked with the tree-sitter grammar: printable ASCII, and every adversarial
//! value decoded back exactly.
//!
//! `.ci/run` builds the .exe and sets `AWSENV_WINDOWS_EXE`; without it the suite says so and
//! passes, unless `AWSENV_WINDOWS_SUITE=1` demands it.
#![cfg(unix)] // the host that runs wine

mod adversarial;
mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use common::pwsh::{Statement, apply, seven_only, statements};
use common::stub::{Behaviour, Stub};
use common::tmux::Tmux;
use common::{moto, repo, stderr, stdout};
use shell_words::quote;

/// `awsenv.exe`, or `None` (after a note) where the suite cannot run.
fn exe() -> Option<PathBuf> {
    let demanded = std::env::var_os("AWSENV_WINDOWS_SUITE").is_some_and(|v| v == "1");
    let path = std::env::var_os("AWSENV_WINDOWS_EXE").map(PathBuf::from);
    match path {
        Some(path) if path.is_file() => Some(path),
        _ if demanded => panic!(
            "AWSENV_WINDOWS_EXE does not name a built awsenv.exe; .ci/run builds it with \
             cargo build --target x86_64-pc-windows-gnu"
        ),
        _ => {
            eprintln!("note: AWSENV_WINDOWS_EXE is not set; the Windows suite is skipped");
            None
        }
    }
}

/// A Unix path as the Windows program sees it, on wine's `Z:` drive.
fn win(path: &Path) -> String {
    format!("Z:{}", path.display()).replace('/', "\\")
}

/// Where wine keeps the prefix (`.ci/wine` makes it), and the Windows user's home in it.
fn prefix() -> PathBuf {
    std::env::var_os("WINEPREFIX")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target/wine"))
}

fn user_profile() -> PathBuf {
    let user = std::env::var("USER")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| {
            let out = Command::new("id").arg("-un").output().expect("id -un");
            String::from_utf8_lossy(&out.stdout).trim().to_owned()
        });
    prefix().join("drive_c/users").join(user)
}

/// A name no other run of this suite uses, for what lands in the shared prefix.
fn unique(stem: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "{stem}-{}-{nanos}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A temporary directory with the config and credentials files a test writes, and the
/// variables awsenv.exe gets (wine adds its own: USERPROFILE, LOCALAPPDATA, no HOME).
struct Win {
    exe: PathBuf,
    dir: tempfile::TempDir,
    vars: BTreeMap<String, String>,
}

impl Win {
    fn new(exe: PathBuf) -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let mut vars = BTreeMap::new();
        vars.insert("PATH".into(), std::env::var("PATH").unwrap_or_default());
        vars.insert("WINEPREFIX".into(), prefix().display().to_string());
        // Wine turns argv and the environment into UTF-16 by the Unix locale.
        vars.insert("LANG".into(), "C.UTF-8".into());
        vars.insert("AWS_ENDPOINT_URL".into(), "http://127.0.0.1:9".into());
        vars.insert("AWS_EC2_METADATA_DISABLED".into(), "true".into());
        let win = Win { exe, dir, vars };
        win.file("config", "");
        win.file("credentials", "");
        let (config, credentials, cache) = (
            win.win_path("config"),
            win.win_path("credentials"),
            win.win_path("cache"),
        );
        win.var("AWS_CONFIG_FILE", &config)
            .var("AWS_SHARED_CREDENTIALS_FILE", &credentials)
            .var("AWSENV_CACHE_DIR", &cache)
    }

    fn var(mut self, name: &str, value: &str) -> Self {
        self.vars.insert(name.into(), value.into());
        self
    }

    fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("write a file");
        path
    }

    fn win_path(&self, name: &str) -> String {
        win(&self.dir.path().join(name))
    }

    /// `awsenv.exe ARGS` under wine, with only this fixture's variables.
    fn run<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> Output {
        Command::new(repo().join(".ci/wine"))
            .arg(&self.exe)
            .args(args)
            .env_clear()
            .envs(&self.vars)
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .output()
            .expect("run .ci/wine")
    }

    /// The environment a successful PowerShell snippet leaves, checked on the way.
    fn assume(&self, args: &[&str]) -> BTreeMap<String, String> {
        let mut all = vec!["assume"];
        all.extend(args);
        all.extend(["--shell", "powershell"]);
        let out = self.run(&all);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        applied(&stdout(&out))
    }
}

/// What PowerShell holds after `code`, which must be printable ASCII lines that parse.
fn applied(code: &str) -> BTreeMap<String, String> {
    assert!(
        code.bytes()
            .all(|b| b == b'\n' || (0x20..0x7f).contains(&b)),
        "not printable ASCII: {code:?}"
    );
    assert_eq!(seven_only(code), Vec::<String>::new(), "{code}");
    apply(&statements(code).unwrap_or_else(|e| panic!("{e}\n{code}")))
}

const STATIC: &str =
    "[st]\naws_access_key_id = AKIASTATICWINDOWS01\naws_secret_access_key = static/secret\n";

const ROLES: &str = "[profile role]\nrole_arn = arn:aws:iam::123456789012:role/win\nsource_profile = st\n\
         region = eu-west-1\n\
         [profile mfa]\nrole_arn = arn:aws:iam::123456789012:role/mfa\nsource_profile = st\n\
         mfa_serial = arn:aws:iam::123456789012:mfa/me\n";

#[test]
fn static_profile_for_powershell_by_default() {
    let Some(exe) = exe() else { return };
    let w = Win::new(exe);
    w.file("credentials", STATIC);
    // No --shell, no AWSENV_SHELL, no SHELL: on Windows that means PowerShell.
    let out = w.run(&["assume", "st"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let env = applied(&stdout(&out));
    assert_eq!(env["AWS_ACCESS_KEY_ID"], "AKIASTATICWINDOWS01");
    assert_eq!(env["AWS_SECRET_ACCESS_KEY"], "static/secret");
    assert_eq!(env["AWSENV_PROFILE"], "st");
    assert!(!env.contains_key("AWS_SESSION_TOKEN"));
}

#[test]
fn role_from_moto_then_from_the_cache_in_local_app_data() {
    let Some(exe) = exe() else { return };
    let name = unique("winrole");
    let w = Win::new(exe);
    let w = Win {
        vars: {
            let mut vars = w.vars.clone();
            vars.remove("AWSENV_CACHE_DIR");
            vars.insert("AWS_ENDPOINT_URL_STS".into(), moto::shared());
            vars
        },
        ..w
    };
    w.file("credentials", STATIC);
    w.file(
        "config",
        &format!(
            "[profile {name}]\nrole_arn = arn:aws:iam::123456789012:role/win\nsource_profile = st\n"
        ),
    );
    let first = w.assume(&[&name]);
    assert!(first["AWS_ACCESS_KEY_ID"].starts_with("ASIA"), "{first:?}");
    assert!(first["AWS_CREDENTIAL_EXPIRATION"].ends_with('Z'));
    let cache = user_profile().join("AppData/Local/awsenv");
    let entries: Vec<String> = std::fs::read_dir(&cache)
        .expect("the cache in %LOCALAPPDATA%\\awsenv")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with(&name))
        .filter(|n| n.ends_with(".json"))
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?} in {}", cache.display());
    let second = w.assume(&[&name]);
    assert_eq!(first, second, "the second assume is the cached session");
    for entry in entries {
        let _ = std::fs::remove_file(cache.join(entry));
    }
}

#[test]
fn concurrent_assumes_make_one_sts_call() {
    let Some(exe) = exe() else { return };
    let stub = Stub::start(Behaviour::Ok);
    let w = Win::new(exe).var("AWS_ENDPOINT_URL_STS", &stub.endpoint());
    w.file("credentials", STATIC);
    w.file("config", ROLES);
    let keys: Vec<String> = std::thread::scope(|s| {
        let runs: Vec<_> = (0..16)
            .map(|_| s.spawn(|| w.assume(&["role"])["AWS_ACCESS_KEY_ID"].clone()))
            .collect();
        runs.into_iter()
            .map(|r| r.join().expect("assume"))
            .collect()
    });
    assert_eq!(stub.count("AssumeRole"), 1);
    assert!(keys.iter().all(|k| k == &keys[0]), "{keys:?}");
}

#[test]
fn mfa_code_flag_against_moto() {
    let Some(exe) = exe() else { return };
    let w = Win::new(exe).var("AWS_ENDPOINT_URL_STS", &moto::shared());
    w.file("credentials", STATIC);
    w.file("config", ROLES);
    // No code and no asking: exit 1, stdout empty, the way to pass a code named.
    let out = w.run(&["assume", "mfa", "--no-input"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
    assert!(stderr(&out).contains("--mfa-code"), "{}", stderr(&out));
    let env = w.assume(&["mfa", "--mfa-code", "123456"]);
    assert_eq!(env["AWSENV_PROFILE"], "mfa");
    assert!(env["AWS_SESSION_TOKEN"].len() > 10);
}

#[test]
fn unset_removes_what_awsenv_manages() {
    let Some(exe) = exe() else { return };
    let w = Win::new(exe)
        .var("AWSENV_REGION", "eu-west-1")
        .var("AWS_REGION", "eu-west-1");
    let out = w.run(&["unset"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let code = stdout(&out);
    applied(&code);
    let removed = statements(&code).expect("parses");
    for name in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SESSION_TOKEN",
        "AWS_REGION",
        "AWSENV_PROFILE",
    ] {
        assert!(
            removed.contains(&Statement::Remove(name.into())),
            "{name}: {code}"
        );
    }
}

#[test]
fn credential_process_prints_version_1_json() {
    let Some(exe) = exe() else { return };
    let w = Win::new(exe);
    w.file("credentials", STATIC);
    let out = w.run(&["credential-process", "st"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["Version"], 1);
    assert_eq!(json["AccessKeyId"], "AKIASTATICWINDOWS01");
    assert_eq!(json["SecretAccessKey"], "static/secret");
}

#[test]
fn exec_passes_the_exit_code_and_the_environment() {
    let Some(exe) = exe() else { return };
    let w = Win::new(exe);
    w.file("credentials", STATIC);
    let out = w.run(&["exec", "st", "--", "cmd", "/c", "exit 7"]);
    assert_eq!(out.status.code(), Some(7), "{}", stderr(&out));
    let out = w.run(&["exec", "st", "--", "cmd", "/c", "echo %AWS_ACCESS_KEY_ID%"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "AKIASTATICWINDOWS01");
    let out = w.run(&["exec", "st", "--", "no-such-program-here"]);
    assert_eq!(out.status.code(), Some(127), "{}", stderr(&out));
}

#[test]
fn files_are_found_through_userprofile_when_home_is_unset() {
    let Some(exe) = exe() else { return };
    let name = unique("winhome");
    let aws = user_profile().join(".aws");
    std::fs::create_dir_all(&aws).expect("the user's .aws in the prefix");
    let credentials = aws.join("credentials");
    let text =
        format!("[{name}]\naws_access_key_id = AKIAUSERPROFILE0001\naws_secret_access_key = s\n");
    {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&credentials)
            .expect("open the credentials file");
        file.write_all(text.as_bytes()).expect("append a profile");
    }
    let mut w = Win::new(exe);
    w.vars.remove("AWS_CONFIG_FILE");
    w.vars.remove("AWS_SHARED_CREDENTIALS_FILE");
    let env = w.assume(&[&name]);
    assert_eq!(env["AWS_ACCESS_KEY_ID"], "AKIAUSERPROFILE0001");
    let out = w.run(&["list", "--names"]);
    assert!(stdout(&out).lines().any(|l| l == name), "{}", stdout(&out));
}

#[test]
fn failures_print_nothing_for_powershell_and_exit_2() {
    let Some(exe) = exe() else { return };
    let w = Win::new(exe);
    let out = w.run(&["assume", "nosuch"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stdout(&out), "");
    assert!(stderr(&out).contains("nosuch"), "{}", stderr(&out));
    let out = w.run(&["assume", "x", "--duration", "5"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn init_and_completions_for_powershell() {
    let Some(exe) = exe() else { return };
    let w = Win::new(exe);
    w.file("credentials", STATIC);
    for args in [
        &["init", "powershell"][..],
        &["completions", "powershell"][..],
    ] {
        let out = w.run(args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        let code = stdout(&out);
        assert_eq!(seven_only(&code), Vec::<String>::new(), "{code}");
    }
    // The completer names profiles from the config, as the shell asks for them.
    let out = Command::new(repo().join(".ci/wine"))
        .arg(&w.exe)
        .args(["--", "awsenv", "assume", ""])
        .env_clear()
        .envs(&w.vars)
        .env("COMPLETE", "powershell")
        .stdin(Stdio::null())
        .output()
        .expect("run the completer");
    assert!(
        stdout(&out).contains("st"),
        "{} {}",
        stdout(&out),
        stderr(&out)
    );
}

/// Every adversarial value, through argv and a credentials file, decoded back exactly.
#[test]
fn every_adversarial_value_arrives_in_ascii_snippets() {
    let Some(exe) = exe() else { return };
    let seed = adversarial::seed();
    let mut cases = adversarial::cases(seed);
    // A Windows command line holds at most 32,767 UTF-16 units, so the 64 KiB value travels
    // only in the credentials file here, not as `--region` too.
    for case in cases
        .iter_mut()
        .filter(|c| c.region.encode_utf16().count() > 16_000)
    {
        case.region = "eu-west-1".into();
    }
    let w = Win::new(exe);
    let creds = w.dir.path().join("creds");
    adversarial::write_credentials(&creds, &cases);
    let check = |i: usize| -> Option<String> {
        let case = &cases[i];
        let mut w = Win {
            exe: w.exe.clone(),
            dir: tempfile::tempdir().expect("temporary directory"),
            vars: w.vars.clone(),
        };
        w.vars.insert(
            "AWS_SHARED_CREDENTIALS_FILE".into(),
            win(&creds.join(i.to_string())),
        );
        let region = format!("--region={}", case.region);
        let out = w.run(&["assume", adversarial::PROFILE, region.as_str()]);
        if !out.status.success() {
            return Some(format!("case {i}: exit {:?}: {}", out.status, stderr(&out)));
        }
        let code = stdout(&out);
        if let Some(bad) = code
            .bytes()
            .find(|&b| b != b'\n' && !(0x20..0x7f).contains(&b))
        {
            return Some(format!("case {i}: byte {bad:#x} is not printable ASCII"));
        }
        let env = match statements(&code) {
            Ok(s) => apply(&s),
            Err(e) => return Some(format!("case {i}: {e}")),
        };
        let got: Vec<Option<&str>> = adversarial::NAMES
            .iter()
            .map(|n| env.get(*n).map(String::as_str))
            .collect();
        (got != case.expected()).then(|| format!("case {i}: {got:?}\nwanted {:?}", case.expected()))
    };
    let failures = adversarial::failures(cases.len(), 3, check);
    adversarial::assert_none_fail(&failures, cases.len(), seed);
}

/// A console for awsenv.exe: wine in a tmux pane of its own (a terminal, which wine makes
/// the program's console), where a script of `Win`'s variables runs one command and writes
/// its exit code to `rc`.
struct Console {
    tmux: Tmux,
    rc: PathBuf,
}

/// How long a console test waits for any one thing.
const PATIENCE: std::time::Duration = std::time::Duration::from_secs(60);

impl Console {
    fn start(w: &Win, command: &str) -> Self {
        let mut script: String = w
            .vars
            .iter()
            .map(|(k, v)| format!("export {k}={}\n", quote(v)))
            .collect();
        let rc = w.dir.path().join("rc");
        let (wine, rc_file) = (
            quote(&repo().join(".ci/wine").display().to_string()).into_owned(),
            quote(&rc.display().to_string()).into_owned(),
        );
        // The exit code is written whole, then renamed into place.
        script.push_str(&format!(
            "{wine} --setup\n{command}\necho $? >{rc_file}.tmp\nmv {rc_file}.tmp {rc_file}\nsleep 60\n"
        ));
        let path = w.file("console.sh", &script).display().to_string();
        let tmux = Tmux::start(
            w.dir.path().join("tmux.sock"),
            30,
            w.dir.path(),
            &["bash", &path],
        );
        Console { tmux, rc }
    }

    fn wait_for_screen(&self, text: &str) {
        self.tmux.wait(text, PATIENCE, |s| s.contains(text));
    }

    /// Wait for `path` to exist.
    fn wait_for_file(&self, path: &Path) {
        let what = format!("{}", path.display());
        self.tmux.wait(&what, PATIENCE, |_| path.exists());
    }

    /// The command's exit code, once it has ended.
    fn exit_code(&self) -> i32 {
        self.wait_for_file(&self.rc);
        let text = std::fs::read_to_string(&self.rc).expect("read rc");
        text.trim().parse().expect("an exit code")
    }
}

#[test]
fn mfa_code_is_asked_on_the_console_never_on_stdout() {
    let Some(exe) = exe() else { return };
    let w = Win::new(exe).var("AWS_ENDPOINT_URL_STS", &moto::shared());
    w.file("credentials", STATIC);
    w.file("config", ROLES);
    // cmd redirects awsenv.exe's stdout and stderr to files, as PowerShell captures them,
    // while the console stays the terminal (wine draws the console on its own stdout).
    let (out, err) = (w.win_path("out"), w.win_path("err"));
    let command = format!(
        "wine cmd /c '{} assume mfa --shell powershell > {out} 2> {err}'",
        win(&w.exe)
    );
    let console = Console::start(&w, &command);
    let prompt = "MFA code for arn:aws:iam::123456789012:mfa/me:";
    console.wait_for_screen(prompt);
    console.tmux.keys(&["123456", "Enter"]);
    assert_eq!(console.exit_code(), 0, "{}", console.tmux.screen());
    let read = |name: &str| std::fs::read_to_string(w.dir.path().join(name)).unwrap_or_default();
    let (code, errors) = (read("out"), read("err"));
    assert!(
        !code.contains("MFA") && !errors.contains("MFA"),
        "{code}\n{errors}"
    );
    let env = applied(&code);
    assert_eq!(env["AWSENV_PROFILE"], "mfa");
    assert!(env["AWS_SESSION_TOKEN"].len() > 10);
}

#[test]
fn ctrl_c_reaches_the_exec_child_and_awsenv_waits_for_it() {
    let Some(exe) = exe() else { return };
    let w = Win::new(exe);
    w.file("credentials", STATIC);
    let child = w.dir.path().join("ctrlc.exe");
    let built = Command::new("x86_64-w64-mingw32-gcc")
        .args(["-O2", "-o"])
        .arg(&child)
        .arg(repo().join("tests/common/ctrlc.c"))
        .output()
        .expect("run x86_64-w64-mingw32-gcc (.ci/run installs mingw-w64)");
    assert!(built.status.success(), "{}", stderr(&built));
    let command = format!(
        "wine {} exec st -- {} {} {}",
        quote(&win(&w.exe)),
        quote(&win(&child)),
        quote(&w.win_path("ready")),
        quote(&w.win_path("handled"))
    );
    let console = Console::start(&w, &command);
    console.wait_for_file(&w.dir.path().join("ready"));
    console.tmux.keys(&["C-c"]);
    // The child's own exit code, after its handler ran: awsenv.exe outlived Ctrl-C and
    // waited for the child.
    assert_eq!(console.exit_code(), 42, "{}", console.tmux.screen());
    let handled = std::fs::read_to_string(w.dir.path().join("handled")).unwrap_or_default();
    assert_eq!(handled, "handled");
}

// ---------------------------------------------------------------------------------------
// Endpoints and private CAs (tests/endpoints.rs has the Unix side)

#[test]
fn a_private_ca_in_aws_ca_bundle_is_trusted_and_without_it_the_certificate_is_named() {
    let Some(exe) = exe() else { return };
    let ca = common::tls::PrivateCa::new();
    let stub = common::stub::HttpsStub::start(Behaviour::Ok, &ca);
    let w = Win::new(exe)
        .var("AWS_ENDPOINT_URL_STS", &stub.endpoint())
        .var("AWS_MAX_ATTEMPTS", "1");
    w.file("credentials", STATIC);
    w.file("config", ROLES);
    let without = w.run(&["assume", "role", "--shell", "powershell"]);
    assert_eq!(without.status.code(), Some(1), "{}", stderr(&without));
    assert_eq!(stdout(&without), "");
    let host = stub.endpoint().trim_start_matches("https://").to_owned();
    assert!(
        stderr(&without).contains(&format!("the TLS certificate of {host} is not trusted")),
        "{}",
        stderr(&without)
    );
    let w = w.var("AWS_CA_BUNDLE", &win(&ca.bundle()));
    let env = w.assume(&["role"]);
    assert!(env["AWS_ACCESS_KEY_ID"].starts_with("ASIASTUB"), "{env:?}");
    assert_eq!(stub.stub.count("AssumeRole"), 1);
}

#[test]
fn use_fips_endpoint_goes_where_the_aws_cli_goes() {
    let Some(exe) = exe() else { return };
    let proxy = common::proxy::Proxy::start();
    let config = "[profile fips]\nrole_arn = arn:aws:iam::123456789012:role/win\nsource_profile = st\n\
        region = us-east-1\nuse_fips_endpoint = true\n";
    let mut w = Win::new(exe)
        .var("HTTPS_PROXY", &proxy.url())
        .var("AWS_MAX_ATTEMPTS", "1");
    w.vars.remove("AWS_ENDPOINT_URL");
    w.file("credentials", STATIC);
    w.file("config", config);
    // The oracle: the AWS CLI on the same files, on this host.
    let cli = Command::new(common::aws_cli())
        .args(["sts", "get-caller-identity", "--profile", "fips"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", w.dir.path())
        .env("AWS_CONFIG_FILE", w.dir.path().join("config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            w.dir.path().join("credentials"),
        )
        .env("HTTPS_PROXY", proxy.url())
        .env("AWS_MAX_ATTEMPTS", "1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(Stdio::null())
        .output()
        .expect("run the AWS CLI");
    assert!(!cli.status.success(), "the proxy answers 502");
    let expected = proxy.targets();
    assert!(!expected.is_empty(), "the AWS CLI: {}", stderr(&cli));
    proxy.clear();
    let ours = w.run(&["assume", "fips", "--shell", "powershell"]);
    assert_eq!(ours.status.code(), Some(1), "{}", stderr(&ours));
    assert_eq!(
        proxy.targets().first(),
        expected.first(),
        "{}",
        stderr(&ours)
    );
}

#[test]
fn keys_live_in_the_credential_manager_and_assume_hands_out_a_session() {
    let Some(exe) = exe() else { return };
    let name = unique("winkeys");
    let w = Win::new(exe).var("AWS_ENDPOINT_URL_STS", &moto::shared());
    let (id, secret) = ("AKIAWINKEYRINGEXMPL1", "win/keyring/secret/key");
    let added = Command::new(repo().join(".ci/wine"))
        .arg(&w.exe)
        .args(["keys", "add", &name, "--from-env", "--no-verify"])
        .env_clear()
        .envs(&w.vars)
        .env("AWS_ACCESS_KEY_ID", id)
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .current_dir(w.dir.path())
        .stdin(Stdio::null())
        .output()
        .expect("run .ci/wine");
    assert!(added.status.success(), "{}", stderr(&added));
    assert!(stderr(&added).contains("wincred"), "{}", stderr(&added));
    let config = std::fs::read_to_string(w.dir.path().join("config")).unwrap();
    assert!(config.contains(&format!("[profile {name}]")), "{config}");

    let listed = w.run(&["keys", "list", "--json"]);
    assert!(listed.status.success(), "{}", stderr(&listed));
    assert!(stdout(&listed).contains(&name) && stdout(&listed).contains("…MPL1"));
    assert!(!stdout(&listed).contains(secret));

    let env = w.assume(&[&name]);
    assert_ne!(env["AWS_ACCESS_KEY_ID"], id, "{env:?}");
    assert!(env.contains_key("AWS_SESSION_TOKEN"));
    let env = w.assume(&[&name, "--no-session"]);
    assert_eq!(env["AWS_ACCESS_KEY_ID"], id);
    assert_eq!(env["AWS_SECRET_ACCESS_KEY"], secret);

    let removed = w.run(&["keys", "remove", &name, "--yes"]);
    assert!(removed.status.success(), "{}", stderr(&removed));
    let gone = w.run(&["assume", &name, "--shell", "powershell", "--no-session"]);
    assert_eq!(gone.status.code(), Some(2), "{}", stderr(&gone));
}

#[test]
fn the_file_keyring_under_wine() {
    let Some(exe) = exe() else { return };
    let name = unique("winfile");
    let w = Win::new(exe)
        .var("AWSENV_KEYRING", "file")
        .var("AWSENV_KEYRING_PASSPHRASE", "wine passphrase");
    let file = w.win_path("keys.age");
    let w = w.var("AWSENV_KEYRING_FILE", &file);
    let added = Command::new(repo().join(".ci/wine"))
        .arg(&w.exe)
        .args(["keys", "add", &name, "--from-env", "--no-verify"])
        .env_clear()
        .envs(&w.vars)
        .env("AWS_ACCESS_KEY_ID", "AKIAWINFILEEXAMPLE01")
        .env("AWS_SECRET_ACCESS_KEY", "win/file/secret")
        .current_dir(w.dir.path())
        .stdin(Stdio::null())
        .output()
        .expect("run .ci/wine");
    assert!(added.status.success(), "{}", stderr(&added));
    let bytes = std::fs::read(w.dir.path().join("keys.age")).unwrap();
    assert!(bytes.starts_with(b"age-encryption.org/v1"));
    assert!(!bytes.windows(15).any(|x| x == b"win/file/secret"));
    let env = w.assume(&[&name, "--no-session"]);
    assert_eq!(env["AWS_SECRET_ACCESS_KEY"], "win/file/secret");
    let wrong = w.var("AWSENV_KEYRING_PASSPHRASE", "wrong").run(&[
        "assume",
        &name,
        "--no-session",
        "--shell",
        "powershell",
    ]);
    assert_eq!(wrong.status.code(), Some(1), "{}", stderr(&wrong));
    assert!(
        stderr(&wrong).contains("wrong passphrase"),
        "{}",
        stderr(&wrong)
    );
}

#[test]
fn import_and_rotate_in_the_credential_manager() {
    let Some(exe) = exe() else { return };
    let moto = moto::shared();
    let name = unique("winrot");
    let (user, id, secret) = moto::iam_user(&moto, &name);
    let w = Win::new(exe)
        .var("AWS_ENDPOINT_URL_STS", &moto)
        .var("AWS_ENDPOINT_URL_IAM", &moto)
        .var("AWS_REGION", "us-east-1");
    let credentials = format!(
        "# mine\r\n[{name}]\r\naws_access_key_id = {id}\r\naws_secret_access_key = {secret}\r\n\r\n[other]\r\naws_access_key_id = AKIAOTHEREXAMPLE0001\r\naws_secret_access_key = other\r\n"
    );
    w.file("credentials", &credentials);

    // import: the keys leave the credentials file, every other byte stays.
    let imported = w.run(&["keys", "import", &name]);
    assert!(imported.status.success(), "{}", stderr(&imported));
    let left = std::fs::read_to_string(w.dir.path().join("credentials")).unwrap();
    assert!(!left.contains(&secret) && !left.contains(&name), "{left}");
    assert!(
        left.starts_with("# mine\r\n")
            && left.ends_with(
                "[other]\r\naws_access_key_id = AKIAOTHEREXAMPLE0001\r\naws_secret_access_key = other\r\n"
            ),
        "{left:?}"
    );
    let config = std::fs::read_to_string(w.dir.path().join("config")).unwrap();
    assert!(
        config.contains(&format!("credential-process {name}")),
        "{config}"
    );

    // rotate: one key in IAM afterwards, the new one, and it is what the keyring hands out.
    let rotated = w.run(&["keys", "rotate", &name]);
    assert!(rotated.status.success(), "{}", stderr(&rotated));
    assert!(!stderr(&rotated).contains(&secret), "{}", stderr(&rotated));
    let keys = moto::key_ids(&moto, &user);
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert_ne!(keys[0], id);
    let env = w.assume(&[&name, "--no-session"]);
    assert_eq!(env["AWS_ACCESS_KEY_ID"], keys[0]);
    let env = w.assume(&[&name]);
    assert!(env.contains_key("AWS_SESSION_TOKEN"), "{env:?}");

    let removed = w.run(&["keys", "remove", &name, "--yes"]);
    assert!(removed.status.success(), "{}", stderr(&removed));
}
