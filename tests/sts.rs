//! Role profiles against a local STS: moto for the happy paths, our stub for faults,
//! throttling, hangs, the cache and MFA sessions.
#![cfg(unix)] // shell scripts and a pty; the Windows suite is tests/windows.rs

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;

use common::stub::{Behaviour, SECRET_MARK, Stub};

/// One raw POST to the stub: the status line and the body.
fn post(stub: &Stub, form: &str) -> (String, String) {
    let addr = stub.endpoint().trim_start_matches("http://").to_owned();
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{form}",
        form.len()
    )
    .unwrap();
    let mut reply = String::new();
    s.read_to_string(&mut reply).unwrap();
    let (head, body) = reply.split_once("\r\n\r\n").unwrap();
    (head.to_owned(), body.to_owned())
}

#[test]
fn stub_answers_counts_and_varies_keys() {
    let stub = Stub::start(Behaviour::Ok);
    let (head, first) = post(&stub, "Action=AssumeRole&Version=2011-06-15");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head.contains("Date: "), "{head}");
    assert!(first.contains("<AssumeRoleResult>") && first.contains(SECRET_MARK));
    let (_, second) = post(&stub, "Action=AssumeRole&Version=2011-06-15");
    assert_ne!(first, second);
    post(&stub, "Action=GetCallerIdentity&Version=2011-06-15");
    assert_eq!(stub.count("AssumeRole"), 2);
    assert_eq!(stub.count("GetCallerIdentity"), 1);
}

#[test]
fn stub_errors_and_throttles() {
    let stub = Stub::start(Behaviour::error("AccessDenied"));
    let (head, body) = post(&stub, "Action=AssumeRole");
    assert!(head.starts_with("HTTP/1.1 403"), "{head}");
    assert!(body.contains("<Code>AccessDenied</Code>"), "{body}");
    let stub = Stub::start(Behaviour::ThrottleThenOk(1));
    assert!(post(&stub, "Action=AssumeRole").1.contains("Throttling"));
    assert!(
        post(&stub, "Action=AssumeRole")
            .0
            .starts_with("HTTP/1.1 200")
    );
}

// ---------------------------------------------------------------------------------------
// Fixtures

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::moto::shared;
use common::{Fixture, stderr, stdout};

const BASE_SECRET: &str = "basesecretKEYdonotleak";

fn config(dir: &std::path::Path) -> String {
    let process = dir.join("process.sh");
    std::fs::write(
        &process,
        "#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"AKIDPROCESS\", \"SecretAccessKey\": \"processsecret\"}'\n",
    )
    .unwrap();
    std::fs::set_permissions(
        &process,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    format!(
        "[profile base]
region = eu-west-1
[profile role]
role_arn = arn:aws:iam::123456789012:role/one
source_profile = base
[profile two]
role_arn = arn:aws:iam::123456789012:role/two
source_profile = role
[profile three]
role_arn = arn:aws:iam::123456789012:role/three
source_profile = two
region = us-west-2
[profile env]
role_arn = arn:aws:iam::123456789012:role/env
credential_source = Environment
[profile mfa]
role_arn = arn:aws:iam::123456789012:role/mfa
source_profile = base
mfa_serial = arn:aws:iam::123456789012:mfa/me
[profile mfa2]
role_arn = arn:aws:iam::123456789012:role/other
source_profile = base
mfa_serial = arn:aws:iam::123456789012:mfa/me
[profile proc]
credential_process = {}
[profile viaproc]
role_arn = arn:aws:iam::123456789012:role/proc
source_profile = proc
[profile badduration]
role_arn = arn:aws:iam::123456789012:role/one
source_profile = base
duration_seconds = 5
",
        process.display()
    )
}

/// Role profiles whose STS is `endpoint`.
fn fixture(endpoint: &str) -> Fixture {
    let f = Fixture::new()
        .with_credentials(&format!(
            "[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = {BASE_SECRET}\n"
        ))
        .var("AWS_ENDPOINT_URL_STS", endpoint)
        .var("AWSENV_STS_TIMEOUT", "10");
    let text = config(f.home.path());
    f.with_config(&text)
}

/// `awsenv assume ARGS --shell bash`, checked never to leak a secret on stderr.
fn assume(f: &Fixture, args: &[&str]) -> std::process::Output {
    let mut all = vec!["assume"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--shell", "bash"]);
    let out = f.run(&all);
    let err = stderr(&out);
    for secret in [SECRET_MARK, BASE_SECRET, "processsecret"] {
        assert!(!err.contains(secret), "secret on stderr: {err}");
    }
    if !out.status.success() {
        assert!(!stdout(&out).contains(SECRET_MARK));
    }
    out
}

/// The `export NAME='VALUE'` lines of a bash snippet.
fn exports(out: &std::process::Output) -> HashMap<String, String> {
    stdout(out)
        .lines()
        .filter_map(|l| l.strip_prefix("export "))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.trim_matches('\'').to_owned()))
        .collect()
}

fn ok(out: &std::process::Output) -> HashMap<String, String> {
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(out));
    exports(out)
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn left(vars: &HashMap<String, String>) -> i64 {
    vars["AWSENV_EXPIRES_AT"].parse::<i64>().unwrap() - now()
}

/// Cache entries (not locks, not temporaries).
fn entries(f: &Fixture) -> Vec<std::path::PathBuf> {
    let Ok(dir) = std::fs::read_dir(f.path("cache")) else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect()
}

// ---------------------------------------------------------------------------------------
// Happy paths against moto

#[test]
fn single_role_against_moto() {
    let f = fixture(&shared());
    let vars = ok(&assume(&f, &["role"]));
    assert!(vars["AWS_ACCESS_KEY_ID"].starts_with("ASIA"), "{vars:?}");
    assert!(!vars["AWS_SESSION_TOKEN"].is_empty());
    assert_eq!(vars["AWSENV_PROFILE"], "role");
    assert_eq!(vars["AWS_REGION"], "eu-west-1");
    assert!((3500..=3700).contains(&left(&vars)), "{}", left(&vars));
}

#[test]
fn three_deep_chain_against_moto() {
    let f = fixture(&shared());
    let vars = ok(&assume(&f, &["three"]));
    assert_eq!(vars["AWS_REGION"], "us-west-2");
    assert_eq!(vars["AWSENV_PROFILE"], "three");
}

#[test]
fn duration_flag_sets_the_expiry() {
    let f = fixture(&shared());
    let vars = ok(&assume(&f, &["role", "--duration", "7200"]));
    assert!((7000..=7300).contains(&left(&vars)), "{}", left(&vars));
}

#[test]
fn region_flag_is_exported() {
    let f = fixture(&shared());
    let vars = ok(&assume(&f, &["role", "--region", "ap-south-1"]));
    assert_eq!(vars["AWS_REGION"], "ap-south-1");
    assert_eq!(vars["AWS_DEFAULT_REGION"], "ap-south-1");
}

#[test]
fn environment_source_but_never_awsenv_exports() {
    let f = fixture(&shared())
        .var("AWS_ACCESS_KEY_ID", "AKIDENV")
        .var("AWS_SECRET_ACCESS_KEY", BASE_SECRET);
    ok(&assume(&f, &["env"]));
    let f = f.var("AWSENV_PROFILE", "role");
    let out = assume(&f, &["env", "--refresh"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("awsenv unset"), "{}", stderr(&out));
    let f = fixture(&shared())
        .var("AWS_ACCESS_KEY_ID", "AKIDENV")
        .var("AWS_SECRET_ACCESS_KEY", BASE_SECRET)
        .var("AWSENV_EXPIRES_AT", "1000");
    let out = assume(&f, &["env"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("expired"), "{}", stderr(&out));
}

#[test]
fn mfa_code_flag_against_moto() {
    let f = fixture(&shared());
    let vars = ok(&assume(&f, &["mfa", "--mfa-code", "123456"]));
    assert_eq!(vars["AWSENV_PROFILE"], "mfa");
}

#[test]
fn credential_process_source_against_moto() {
    let f = fixture(&shared());
    let vars = ok(&assume(&f, &["viaproc"]));
    assert!(!vars["AWS_SESSION_TOKEN"].is_empty());
    let vars = ok(&assume(&f, &["proc"]));
    assert_eq!(vars["AWS_ACCESS_KEY_ID"], "AKIDPROCESS");
}

// ---------------------------------------------------------------------------------------
// MFA sessions and configuration errors, against the stub

#[test]
fn mfa_session_is_cached_so_the_next_role_asks_nothing() {
    let stub = Stub::start(Behaviour::Ok);
    let f = fixture(&stub.endpoint());
    ok(&assume(&f, &["mfa", "--mfa-code", "123456"]));
    assert_eq!(stub.count("GetSessionToken"), 1);
    let gst = &stub.requests("GetSessionToken")[0];
    assert_eq!(gst["SerialNumber"], "arn:aws:iam::123456789012:mfa/me");
    assert_eq!(gst["TokenCode"], "123456");
    ok(&assume(&f, &["mfa2", "--no-input"]));
    assert_eq!(stub.count("GetSessionToken"), 1);
    assert_eq!(stub.count("AssumeRole"), 2);
    assert!(
        stub.requests("AssumeRole")
            .iter()
            .all(|r| !r.contains_key("TokenCode"))
    );
}

#[test]
fn mfa_without_a_code_or_terminal_says_how_to_pass_one() {
    let stub = Stub::start(Behaviour::Ok);
    let f = fixture(&stub.endpoint());
    let out = assume(&f, &["mfa", "--no-input"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "false\n");
    assert!(stderr(&out).contains("--mfa-code"), "{}", stderr(&out));
    let out = assume(&f, &["mfa", "--mfa-code", "12ab"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stub.total(), 0);
}

#[test]
fn bad_duration_seconds_exits_2_before_any_request() {
    let stub = Stub::start(Behaviour::Ok);
    let out = assume(&fixture(&stub.endpoint()), &["badduration"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("900 to 43200"), "{}", stderr(&out));
    assert_eq!(stub.total(), 0);
}

// ---------------------------------------------------------------------------------------
// The cache

#[test]
fn sixteen_concurrent_assumes_make_one_call() {
    let stub = Stub::with_delay(Behaviour::Ok, Duration::from_millis(400));
    let f = fixture(&stub.endpoint());
    let children: Vec<_> = (0..16)
        .map(|_| {
            f.cmd(["assume", "role", "--shell", "bash"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let keys: Vec<String> = children
        .into_iter()
        .map(|c| ok(&c.wait_with_output().unwrap())["AWS_ACCESS_KEY_ID"].clone())
        .collect();
    assert_eq!(stub.count("AssumeRole"), 1);
    assert!(keys.iter().all(|k| k == &keys[0]), "{keys:?}");
}

#[test]
fn second_assume_is_served_by_the_cache_and_refresh_skips_it() {
    use std::os::unix::fs::PermissionsExt;
    let stub = Stub::start(Behaviour::Ok);
    let f = fixture(&stub.endpoint());
    let first = ok(&assume(&f, &["role"]));
    let second = ok(&assume(&f, &["role"]));
    assert_eq!(stub.count("AssumeRole"), 1);
    assert_eq!(first, second);
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&f.path("cache")), 0o700);
    let files = entries(&f);
    assert_eq!(files.len(), 1);
    assert_eq!(mode(&files[0]), 0o600);
    let third = ok(&assume(&f, &["role", "--refresh"]));
    assert_eq!(stub.count("AssumeRole"), 2);
    assert_ne!(first["AWS_ACCESS_KEY_ID"], third["AWS_ACCESS_KEY_ID"]);
}

#[test]
fn corrupt_cache_entry_is_a_miss() {
    let stub = Stub::start(Behaviour::Ok);
    let f = fixture(&stub.endpoint());
    ok(&assume(&f, &["role"]));
    for entry in entries(&f) {
        std::fs::write(entry, "{ not json").unwrap();
    }
    ok(&assume(&f, &["role"]));
    assert_eq!(stub.count("AssumeRole"), 2);
}

#[test]
fn unwritable_cache_directory_still_yields_credentials() {
    let stub = Stub::start(Behaviour::Ok);
    let mut f = fixture(&stub.endpoint());
    let file = f.write("not-a-dir", "x");
    f.set("AWSENV_CACHE_DIR", file.join("cache").display().to_string());
    let out = assume(&f, &["role"]);
    ok(&out);
    assert!(stderr(&out).contains("warning"), "{}", stderr(&out));
}

// ---------------------------------------------------------------------------------------
// Faults, against the stub

#[test]
fn each_fault_is_one_line_exit_1_and_leaves_the_cache_alone() {
    let cases = [
        (
            Behaviour::error("ExpiredToken"),
            "source profile's keys are expired",
        ),
        (Behaviour::error("AccessDenied"), "trust policy"),
        (Behaviour::error("InvalidClientTokenId"), "not valid"),
        (Behaviour::error("RegionDisabledException"), "not activated"),
        (Behaviour::error("SignatureDoesNotMatch"), "clock"),
        (Behaviour::Malformed, "could not read"),
        (Behaviour::ExpiredCredentials, "expired at"),
    ];
    for (behaviour, expected) in cases {
        let stub = Stub::start(behaviour.clone());
        let f = fixture(&stub.endpoint());
        let out = assume(&f, &["role"]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{behaviour:?}: {err}");
        assert_eq!(stdout(&out), "false\n", "{behaviour:?}");
        assert!(err.contains(expected), "{behaviour:?}: {err}");
        assert!(err.contains("`role`"), "{behaviour:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{behaviour:?}: {err}");
        assert!(entries(&f).is_empty(), "{behaviour:?} wrote the cache");
    }
}

#[test]
fn throttling_is_retried() {
    let stub = Stub::start(Behaviour::ThrottleThenOk(2));
    let f = fixture(&stub.endpoint());
    ok(&assume(&f, &["role"]));
    assert_eq!(stub.count("AssumeRole"), 3);
}

#[test]
fn hung_endpoint_fails_within_the_bound() {
    let stub = Stub::start(Behaviour::Hang);
    let f = fixture(&stub.endpoint()).var("AWSENV_STS_TIMEOUT", "2");
    let started = Instant::now();
    let out = assume(&f, &["role"]);
    // A hang guard, not a benchmark: the bound is 2 s.
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "false\n");
    assert!(stderr(&out).contains("within 2 s"), "{}", stderr(&out));
}

#[test]
fn sso_profile_without_a_login_says_how_to_log_in() {
    let f = Fixture::new().with_config(
        "[profile corp]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Admin\nregion = eu-west-1\n[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\nsso_region = eu-west-1\n",
    );
    let out = assume(&f, &["corp"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(stdout(&out), "false\n");
    assert!(
        stderr(&out).contains("run `aws sso login --profile corp`"),
        "{}",
        stderr(&out)
    );
}

// ---------------------------------------------------------------------------------------
// The MFA prompt on a real terminal

/// `eval "$(awsenv assume mfa)"` in bash on a pty: the prompt reaches the terminal, the code
/// typed there is used, stdout carries the exports alone, and the next assume asks nothing.
#[test]
fn mfa_prompt_goes_to_the_terminal_never_to_stdout() {
    let f = fixture(&shared());
    let out = f.path("stdout");
    let script = format!(
        "awsenv assume mfa --shell bash >{out}; echo \"assumed=$?\"; \
         eval \"$(awsenv assume mfa2)\"; echo \"again=$? profile=$AWSENV_PROFILE\"",
        out = out.display()
    );
    let dir = common::bin().parent().unwrap().display().to_string();
    let mut cmd = std::process::Command::new("bash");
    cmd.args(["--norc", "--noprofile", "-c", &script])
        .env_clear()
        .envs(&f.vars)
        .env("PATH", format!("{dir}:{}", f.vars["PATH"]))
        .env("AWSENV_SHELL", "bash");
    let mut term = rexpect::session::spawn_command(cmd, Some(15_000)).expect("bash on a pty");
    term.exp_string("MFA code for arn:aws:iam::123456789012:mfa/me: ")
        .expect("the prompt on the terminal");
    term.send_line("123456").unwrap();
    term.exp_string("assumed=0").expect("assume succeeds");
    // The MFA session is cached: the second role asks nothing.
    let (between, _) = term
        .exp_regex(r"again=0 profile=mfa2")
        .expect("second assume without a prompt");
    assert!(!between.contains("MFA code"), "{between}");
    let exports = std::fs::read_to_string(&out).unwrap();
    assert!(!exports.contains("MFA"), "{exports}");
    assert!(
        exports
            .lines()
            .all(|l| l.starts_with("export ") || l.starts_with("unset ")),
        "{exports}"
    );
    assert!(exports.contains("export AWSENV_PROFILE='mfa'"), "{exports}");
}
