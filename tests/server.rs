//! `awsenv exec --server` as long-running programs meet it: the endpoint and its token in the
//! child's environment and nothing that would win over it, the container credentials format,
//! 403 for a wrong token, renewal through the stub STS (short-lived credentials, a hung STS,
//! a failing one), real SDK children (the AWS CLI against moto, a Rust SDK program against
//! the stub), and the exit status and signals passed through, with and without `--server`.
#![cfg(unix)] // shell children and Unix signals; the Windows suite is tests/windows.rs

mod common;

use std::collections::{BTreeSet, HashMap};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use common::stub::{Behaviour, SECRET_MARK, SIGNED_BY, Stub};
use common::{Fixture, stderr, stdout};

const BASE_SECRET: &str = "basesecretKEYdonotleak";

const CONFIG: &str = "\
[profile base]
region = eu-west-1
[profile role]
role_arn = arn:aws:iam::123456789012:role/served
source_profile = base
[profile mfa]
role_arn = arn:aws:iam::123456789012:role/mfa
source_profile = base
mfa_serial = arn:aws:iam::123456789012:mfa/me
[profile tokened]
region = eu-west-1
";

/// Profiles whose STS is `endpoint`.
fn fixture(endpoint: &str) -> Fixture {
    Fixture::new()
        .with_config(CONFIG)
        .with_credentials(&format!(
            "[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = {BASE_SECRET}\n\
             [tokened]\naws_access_key_id = AKIDTOKENED\naws_secret_access_key = {BASE_SECRET}\naws_session_token = statictoken\n"
        ))
        .var("AWS_ENDPOINT_URL_STS", endpoint)
        .var("AWSENV_STS_TIMEOUT", "10")
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// No secret of the stub's or the files' in `text`.
fn assert_no_secret(text: &str) {
    for secret in [SECRET_MARK, BASE_SECRET, "STUBTOKEN"] {
        assert!(!text.contains(secret), "secret in: {text}");
    }
}

/// The child the endpoint tests run under `awsenv exec --server`: it writes the endpoint and
/// token it was given to `$1`, then waits (at most 90 s) for `$2` and exits with the status
/// written there.
const WAITING_CHILD: &str = r#"printf '%s\n%s\n' "$AWS_CONTAINER_CREDENTIALS_FULL_URI" "$AWS_CONTAINER_AUTHORIZATION_TOKEN" >"$1.tmp" && mv "$1.tmp" "$1"
i=0
while [ ! -s "$2" ] && [ "$i" -lt 900 ]; do sleep 0.1; i=$((i + 1)); done
exit "$(cat "$2" 2>/dev/null || echo 99)""#;

/// `awsenv exec --server PROFILE ARGS -- WAITING_CHILD`, running.
struct Served {
    child: Child,
    url: String,
    token: String,
    stop: PathBuf,
}

impl Served {
    fn start(f: &Fixture, profile: &str, args: &[&str]) -> Served {
        let dir = tempfile::tempdir().unwrap().keep();
        let (ready, stop) = (dir.join("ready"), dir.join("stop"));
        let mut all = vec!["exec", "--server", profile];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--", "sh", "-c", WAITING_CHILD, "sh"]);
        let mut cmd = f.cmd(&all);
        cmd.arg(&ready).arg(&stop);
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        let text = loop {
            if let Ok(text) = std::fs::read_to_string(&ready) {
                break text;
            }
            if let Some(status) = child.try_wait().unwrap() {
                let out = child.wait_with_output().unwrap();
                panic!(
                    "awsenv exited ({status}) before the child ran: {}",
                    stderr(&out)
                );
            }
            assert!(Instant::now() < deadline, "the child never started");
            std::thread::sleep(Duration::from_millis(20));
        };
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text:?}");
        Served {
            child,
            url: lines[0].to_owned(),
            token: lines[1].to_owned(),
            stop,
        }
    }

    /// `host:port` of the endpoint.
    fn addr(&self) -> &str {
        let rest = self.url.strip_prefix("http://").unwrap();
        rest.split('/').next().unwrap()
    }

    /// One request on a connection of its own: the status and the body.
    fn request(&self, head: &str) -> (u16, String) {
        let mut s = TcpStream::connect(self.addr()).unwrap();
        // A hang guard, not a timing: every answer of a healthy endpoint is immediate.
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(head.as_bytes()).unwrap();
        let mut reply = String::new();
        s.read_to_string(&mut reply).unwrap();
        let (status_line, rest) = reply.split_once("\r\n").unwrap_or_default();
        let status = status_line.split(' ').nth(1).unwrap().parse().unwrap();
        let body = rest.split_once("\r\n\r\n").unwrap_or_default().1.to_owned();
        (status, body)
    }

    /// `GET /credentials` with `authorization`, or none.
    fn get(&self, authorization: Option<&str>) -> (u16, String) {
        let auth = authorization.map_or(String::new(), |a| format!("Authorization: {a}\r\n"));
        self.request(&format!(
            "GET /credentials HTTP/1.1\r\nHost: {}\r\n{auth}Connection: close\r\n\r\n",
            self.addr()
        ))
    }

    /// The served credentials, checked: 200 and the container format.
    fn credentials(&self) -> serde_json::Value {
        let (status, body) = self.get(Some(&self.token));
        assert_eq!(status, 200, "{body}");
        let value: serde_json::Value = serde_json::from_str(&body).unwrap();
        for field in ["AccessKeyId", "SecretAccessKey", "Token", "Expiration"] {
            assert!(
                value[field].as_str().is_some_and(|v| !v.is_empty()),
                "{body}"
            );
        }
        value
    }

    /// Let the child exit with `code`; awsenv's output.
    fn stop(mut self, code: i32) -> Output {
        std::fs::write(&self.stop, code.to_string()).unwrap();
        let out = wait_bounded(&mut self.child, Duration::from_secs(30));
        assert_no_secret(&stderr(&out));
        assert_no_secret(&stdout(&out));
        out
    }
}

/// The child's output once it exits; killed (and the test failed) after `limit`.
fn wait_bounded(child: &mut Child, limit: Duration) -> Output {
    let deadline = Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("awsenv did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut out = Output {
        status: child.wait().unwrap(),
        stdout: Vec::new(),
        stderr: Vec::new(),
    };
    if let Some(mut s) = child.stdout.take() {
        s.read_to_end(&mut out.stdout).unwrap();
    }
    if let Some(mut s) = child.stderr.take() {
        s.read_to_end(&mut out.stderr).unwrap();
    }
    out
}

/// Unix seconds of an RFC 3339 `Z` timestamp.
fn unix(text: &str) -> i64 {
    assert!(text.ends_with('Z'), "{text}");
    chrono::DateTime::parse_from_rfc3339(text)
        .unwrap()
        .timestamp()
}

/// Poll `done` every 50 ms for at most `limit`.
fn wait_for(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

// ---------------------------------------------------------------------------------------
// The endpoint

#[test]
fn the_right_token_gets_the_role_credentials_and_a_wrong_one_403() {
    let stub = Stub::start(Behaviour::Ok);
    let f = fixture(&stub.endpoint());
    let served = Served::start(&f, "role", &[]);
    assert!(
        served.url.starts_with("http://127.0.0.1:") && served.url.ends_with("/credentials"),
        "{}",
        served.url
    );
    assert_eq!(served.token.len(), 43, "{}", served.token);
    assert!(
        served
            .token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    let creds = served.credentials();
    assert!(
        creds["AccessKeyId"]
            .as_str()
            .unwrap()
            .starts_with("ASIASTUB")
    );
    assert_eq!(creds["AccountId"], "123456789012");
    let left = unix(creds["Expiration"].as_str().unwrap()) - now();
    assert!(left > 20 * 60, "{left}");
    assert_eq!(stub.count("AssumeRole"), 1);

    let wrong = format!("{}x", served.token);
    for auth in [
        None,
        Some("wrong"),
        Some(&wrong[..]),
        Some(&served.token[1..]),
    ] {
        let (status, body) = served.get(auth);
        assert_eq!(status, 403, "{auth:?}: {body}");
        let value: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(value["code"], "AccessDenied");
        assert!(value["message"].is_string());
        assert_no_secret(&body);
        assert!(!body.contains("ASIASTUB"), "{body}");
    }
    let auth = format!("Authorization: {}\r\nConnection: close\r\n", served.token);
    let (status, body) = served.request(&format!("GET / HTTP/1.1\r\n{auth}\r\n"));
    assert_eq!(status, 404);
    assert_no_secret(&body);
    let (status, _) = served.request(&format!(
        "POST /credentials HTTP/1.1\r\n{auth}Content-Length: 0\r\n\r\n"
    ));
    assert_eq!(status, 405);
    let big = format!(
        "GET /credentials HTTP/1.1\r\nX: {}\r\n\r\n",
        "a".repeat(20_000)
    );
    assert_eq!(served.request(&big).0, 431);

    let out = served.stop(7);
    assert_eq!(out.status.code(), Some(7), "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
}

#[test]
fn keep_alive_connections_are_served_request_after_request() {
    let stub = Stub::start(Behaviour::Ok);
    let served = Served::start(&fixture(&stub.endpoint()), "role", &[]);
    let mut s = TcpStream::connect(served.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let head = format!(
        "GET /credentials HTTP/1.1\r\nHost: x\r\nAuthorization: {}\r\n\r\n",
        served.token
    );
    // Two requests in one write (pipelined), then a third.
    s.write_all(format!("{head}{head}").as_bytes()).unwrap();
    s.write_all(
        head.replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    )
    .unwrap();
    let mut replies = String::new();
    s.read_to_string(&mut replies).unwrap();
    assert_eq!(
        replies.matches("HTTP/1.1 200 OK\r\n").count(),
        3,
        "{replies}"
    );
    assert_eq!(served.stop(0).status.code(), Some(0));
}

/// The child's view: each named variable as `NAME=value` (or `NAME unset`), one a line.
const SHOW_ENV: &str = r#"for n in "$@"; do eval "v=\${$n+set}"; if [ "$v" = set ]; then eval "printf '%s=%s\n' \"$n\" \"\$$n\""; else printf '%s unset\n' "$n"; fi; done"#;

#[test]
fn the_child_gets_the_endpoint_and_nothing_that_would_win_over_it() {
    let stub = Stub::start(Behaviour::Ok);
    let hidden = [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_CREDENTIAL_EXPIRATION",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
        "AWSENV_PROFILE",
        "AWSENV_EXPIRES_AT",
    ];
    let mut f = fixture(&stub.endpoint());
    for name in hidden {
        f.set(name, "stale");
    }
    f.set(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "http://169.254.170.2/old",
    );
    f.set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "old-token");
    f.set("AWS_PROFILE", "base");
    f.set("UNRELATED", "kept");
    let mut args = vec!["exec", "--server", "role", "--", "sh", "-c", SHOW_ENV, "sh"];
    args.extend(hidden);
    args.extend([
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "UNRELATED",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    ]);
    let out = f.run(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let mut lines = text.lines();
    for name in hidden {
        assert_eq!(lines.next(), Some(&format!("{name} unset")[..]), "{text}");
    }
    assert_eq!(lines.next(), Some("AWS_REGION=eu-west-1"), "{text}");
    assert_eq!(lines.next(), Some("AWS_DEFAULT_REGION=eu-west-1"), "{text}");
    assert_eq!(lines.next(), Some("UNRELATED=kept"), "{text}");
    let uri = lines.next().unwrap();
    assert!(
        uri.starts_with("AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:")
            && uri.ends_with("/credentials"),
        "{uri}"
    );
    let token = lines.next().unwrap();
    let token = token
        .strip_prefix("AWS_CONTAINER_AUTHORIZATION_TOKEN=")
        .unwrap();
    assert_eq!(token.len(), 43, "{token}");
    assert_eq!(lines.next(), None);
    assert_no_secret(&text);
}

#[test]
fn two_hundred_concurrent_requests_are_all_answered_alike() {
    let stub = Stub::start(Behaviour::Ok);
    let served = Served::start(&fixture(&stub.endpoint()), "role", &[]);
    let expected = served.credentials();
    let answers: Vec<(u16, String)> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..200)
            .map(|_| scope.spawn(|| served.get(Some(&served.token))))
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    for (status, body) in answers {
        assert_eq!(status, 200, "{body}");
        let value: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(value, expected);
    }
    assert_eq!(stub.count("AssumeRole"), 1, "serving never asks STS");
    assert_eq!(served.stop(0).status.code(), Some(0));
}

// ---------------------------------------------------------------------------------------
// What is served

#[test]
fn a_static_profile_is_served_through_a_cached_session_token() {
    let stub = Stub::start(Behaviour::Ok);
    let f = fixture(&stub.endpoint());
    let served = Served::start(&f, "base", &[]);
    let creds = served.credentials();
    assert!(
        creds["AccessKeyId"]
            .as_str()
            .unwrap()
            .starts_with("ASIASTUB")
    );
    assert_eq!(creds["AccountId"], "123456789012");
    assert_eq!(stub.count("GetSessionToken"), 1);
    let gst = &stub.requests("GetSessionToken")[0];
    assert_eq!(gst[SIGNED_BY], "AKIDBASE");
    assert!(!gst.contains_key("TokenCode"), "{gst:?}");
    assert_eq!(served.stop(0).status.code(), Some(0));
    // The session is cached: the next run asks STS for none.
    let served = Served::start(&f, "base", &[]);
    assert_eq!(served.credentials()["AccessKeyId"], creds["AccessKeyId"]);
    assert_eq!(stub.count("GetSessionToken"), 1);
    assert_eq!(served.stop(0).status.code(), Some(0));
}

#[test]
fn what_cannot_be_served_fails_before_the_child_runs() {
    let stub = Stub::start(Behaviour::error("AccessDenied"));
    let f = fixture(&stub.endpoint());
    let ran = f.path("ran");
    let child = format!("touch {}", ran.display());
    for (profile, code, said) in [
        ("nosuch", 2, "`nosuch`"),
        ("tokened", 2, "no known expiry"),
        ("role", 1, "trust policy"),
    ] {
        let out = f.run(["exec", "--server", profile, "--", "sh", "-c", &child]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(code), "{profile}: {err}");
        assert!(
            err.contains(said) && err.contains(profile),
            "{profile}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
        assert_no_secret(&err);
        assert!(!ran.exists(), "{profile}: the child ran");
    }
}

#[test]
fn a_default_profile_with_keys_is_warned_about() {
    let stub = Stub::start(Behaviour::Ok);
    let f = fixture(&stub.endpoint());
    let credentials = std::fs::read_to_string(f.path(".aws/credentials")).unwrap();
    f.write(
        ".aws/credentials",
        &format!(
            "{credentials}[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = x\n"
        ),
    );
    let out = f.run(["exec", "--server", "role", "--", "true"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("profile `default`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_mfa_code_is_asked_once_and_renewals_reuse_the_mfa_session() {
    let stub = Stub::start(Behaviour::Ok);
    // Renew when less than 3590 s of the hour is left: ten seconds in.
    let f = fixture(&stub.endpoint()).var("AWSENV_SERVER_RENEW_BEFORE", "3590");
    let served = Served::start(&f, "mfa", &["--mfa-code", "123456"]);
    let first = served.credentials()["AccessKeyId"].clone();
    wait_for(Duration::from_secs(40), "a renewal", || {
        stub.count("AssumeRole") >= 2
    });
    wait_for(Duration::from_secs(5), "the renewed key", || {
        served.credentials()["AccessKeyId"] != first
    });
    assert_eq!(
        stub.count("GetSessionToken"),
        1,
        "the MFA session is reused"
    );
    let renewal = &stub.requests("AssumeRole")[1];
    assert!(!renewal.contains_key("TokenCode"), "{renewal:?}");
    assert_eq!(served.stop(0).status.code(), Some(0));
}

// ---------------------------------------------------------------------------------------
// Renewal against a hung or failing STS

#[test]
fn a_renewal_hung_on_sts_does_not_hold_up_any_answer() {
    let stub = Stub::start(Behaviour::ShortLived(30));
    // Renewal is due 5 s in, and may then wait 60 s for the hung STS.
    let f = fixture(&stub.endpoint())
        .var("AWSENV_SERVER_RENEW_BEFORE", "25")
        .var("AWSENV_STS_TIMEOUT", "60");
    let served = Served::start(&f, "role", &[]);
    let held = served.credentials();
    stub.set_behaviour(Behaviour::Hang);
    let calls = stub.count("AssumeRole");
    wait_for(Duration::from_secs(20), "the renewal reaching STS", || {
        stub.count("AssumeRole") > calls
    });
    // The renewal now waits on an STS that never answers (for up to 60 s): every answer
    // below comes from the held credentials while it does.
    let blocked_since = Instant::now();
    let answers: Vec<serde_json::Value> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..50)
            .map(|_| scope.spawn(|| served.credentials()))
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    assert!(answers.iter().all(|a| *a == held));
    assert!(blocked_since.elapsed() < Duration::from_secs(60));
    assert_eq!(
        stub.count("AssumeRole"),
        calls + 1,
        "one renewal, still waiting"
    );
    assert_eq!(
        served.stop(3).status.code(),
        Some(3),
        "exits without waiting on STS"
    );
}

#[test]
fn a_failing_renewal_serves_the_old_credentials_warns_once_then_answers_500() {
    let stub = Stub::start(Behaviour::ShortLived(20));
    let f = fixture(&stub.endpoint()).var("AWSENV_SERVER_RENEW_BEFORE", "15");
    let served = Served::start(&f, "role", &[]);
    let held = served.credentials();
    let expires = unix(held["Expiration"].as_str().unwrap());
    stub.set_behaviour(Behaviour::error("AccessDenied"));
    let calls = stub.count("AssumeRole");
    wait_for(Duration::from_secs(20), "two failed renewals", || {
        stub.count("AssumeRole") >= calls + 2
    });
    if now() < expires - 1 {
        assert_eq!(served.credentials(), held, "the old ones, while they last");
    }
    wait_for(Duration::from_secs(30), "the 500 after expiry", || {
        served.get(Some(&served.token)).0 == 500
    });
    let (_, body) = served.get(Some(&served.token));
    let value: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(value["code"], "CredentialsExpired");
    let message = value["message"].as_str().unwrap();
    assert!(
        message.contains("trust policy") && message.contains("`role`"),
        "{message}"
    );
    assert_no_secret(&body);
    // Renewal keeps trying: once STS answers again, so does the endpoint.
    stub.set_behaviour(Behaviour::ShortLived(20));
    wait_for(Duration::from_secs(20), "renewal after recovery", || {
        served.get(Some(&served.token)).0 == 200
    });
    assert_ne!(served.credentials()["AccessKeyId"], held["AccessKeyId"]);
    let out = served.stop(0);
    let warnings = stderr(&out)
        .lines()
        .filter(|l| l.contains("renewing the served credentials failed"))
        .count();
    assert_eq!(warnings, 1, "{}", stderr(&out));
}

// ---------------------------------------------------------------------------------------
// Real SDK children

/// A Rust SDK program, as the child of `awsenv exec --server`: this test binary run again
/// with `AWSENV_TEST_SDK_CHILD=SECONDS`. It builds aws-config's default chain (which finds
/// the container endpoint) and calls GetCallerIdentity once a second for that long; any
/// failure panics, and the test binary exits non-zero. Without the variable it does nothing.
#[test]
fn rust_sdk_child() {
    let Some(seconds) = std::env::var("AWSENV_TEST_SDK_CHILD")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
    else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .load()
            .await;
        let sts = aws_sdk_sts::Client::new(&config);
        let until = Instant::now() + Duration::from_secs(seconds);
        while Instant::now() < until {
            let identity = sts.get_caller_identity().send().await;
            let identity = identity.unwrap_or_else(|e| panic!("GetCallerIdentity: {e:?}"));
            println!("account={}", identity.account().unwrap_or_default());
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
}

/// `awsenv exec --server PROFILE -- <this test binary as rust_sdk_child for SECONDS>`.
fn run_rust_sdk_child(f: &Fixture, profile: &str, seconds: u64) -> Output {
    let me = std::env::current_exe().unwrap();
    let mut cmd = f.cmd(["exec", "--server", profile, "--"]);
    cmd.arg(me)
        .args([
            "--exact",
            "rust_sdk_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("AWSENV_TEST_SDK_CHILD", seconds.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    wait_bounded(&mut child, Duration::from_secs(seconds + 60))
}

#[test]
fn a_rust_sdk_child_calling_for_a_minute_sees_the_key_renewed_and_no_call_fails() {
    let stub = Stub::start(Behaviour::ShortLived(30));
    // Renew with 20 s of the 30 left: about every ten seconds. The stub answers ExpiredToken
    // to a call signed with an expired key.
    let f = fixture(&stub.endpoint()).var("AWSENV_SERVER_RENEW_BEFORE", "20");
    let out = run_rust_sdk_child(&f, "role", 60);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}\n{}", stderr(&out));
    assert!(text.matches("account=123456789012").count() >= 30, "{text}");
    let signers: BTreeSet<String> = stub
        .requests("GetCallerIdentity")
        .iter()
        .map(|r| r[SIGNED_BY].clone())
        .collect();
    assert!(
        signers.len() >= 3,
        "the key changed fewer than twice: {signers:?}"
    );
    assert!(
        signers.iter().all(|k| k.starts_with("ASIASTUB")),
        "{signers:?}"
    );
    assert!(
        stub.count("AssumeRole") >= 4,
        "{}",
        stub.count("AssumeRole")
    );
    assert_no_secret(&stderr(&out));
}

#[test]
fn a_rust_sdk_child_reads_a_static_profile_through_moto() {
    let f = fixture(&common::moto::shared());
    let out = run_rust_sdk_child(&f, "base", 1);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(stdout(&out).contains("account="), "{}", stdout(&out));
}

/// The AWS CLI (botocore) from the repository's `.venv`.
fn aws_cli() -> PathBuf {
    let path = common::repo().join(".venv/bin/aws");
    assert!(path.exists(), "{} is missing: run .ci/run", path.display());
    path
}

#[test]
fn the_aws_cli_calls_moto_through_the_endpoint() {
    let f = fixture(&common::moto::shared());
    let cli = aws_cli();
    for (profile, arn) in [("role", ":assumed-role/served/"), ("base", "arn:aws:")] {
        let mut cmd = f.cmd(["exec", "--server", profile, "--"]);
        cmd.arg(&cli)
            .args(["sts", "get-caller-identity", "--output", "json"]);
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{profile}: {}", stderr(&out));
        let identity: HashMap<String, String> = serde_json::from_str(&stdout(&out)).unwrap();
        assert!(identity["Arn"].contains(arn), "{profile}: {identity:?}");
        assert_eq!(identity["Account"].len(), 12, "{identity:?}");
    }
}

// ---------------------------------------------------------------------------------------
// Signals and the exit status, with and without --server

/// A child that says it is ready (in `$1`), exits 42 on SIGTERM and 43 on SIGHUP, and
/// otherwise waits at most 30 s.
const TRAPPING_CHILD: &str = r#"trap 'exit 42' TERM
trap 'exit 43' HUP
echo ready >"$1"
i=0
while [ "$i" -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
exit 1"#;

/// `awsenv exec [--server] role -- CHILD`, sent `signal` once the child is ready.
fn signalled(f: &Fixture, server: bool, child: &str, signal: libc::c_int) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let ready = dir.path().join("ready");
    let mut args = vec!["exec"];
    if server {
        args.push("--server");
    }
    args.extend(["role", "--", "sh", "-c", child, "sh"]);
    let mut cmd = f.cmd(&args);
    cmd.arg(&ready)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut awsenv = cmd.spawn().unwrap();
    wait_for(Duration::from_secs(30), "the child", || ready.exists());
    let pid = i32::try_from(awsenv.id()).unwrap();
    // SAFETY: kill has no memory effects; `pid` is our own child, still running.
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
    wait_bounded(&mut awsenv, Duration::from_secs(30))
}

#[test]
fn sigterm_and_sighup_are_passed_to_the_child_and_its_status_returned() {
    let stub = Stub::start(Behaviour::Ok);
    let f = fixture(&stub.endpoint());
    for server in [false, true] {
        let out = signalled(&f, server, TRAPPING_CHILD, libc::SIGTERM);
        assert_eq!(
            out.status.code(),
            Some(42),
            "--server {server}: {}",
            stderr(&out)
        );
        let out = signalled(&f, server, TRAPPING_CHILD, libc::SIGHUP);
        assert_eq!(
            out.status.code(),
            Some(43),
            "--server {server}: {}",
            stderr(&out)
        );
        // A child that does not trap it dies of it, and awsenv reports 128 + 15.
        let plain = "echo ready >\"$1\"; i=0; while [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done";
        let out = signalled(&f, server, plain, libc::SIGTERM);
        assert_eq!(
            out.status.code(),
            Some(143),
            "--server {server}: {}",
            stderr(&out)
        );
    }
    // The child starts with no signal blocked, so it can die of its own SIGTERM.
    let scripts = [
        ("exit 7", 7),
        ("exit 0", 0),
        ("kill -TERM $$", 143),
        ("kill -KILL $$", 137),
    ];
    for (script, code) in scripts {
        let out = f.run(["exec", "--server", "role", "--", "sh", "-c", script]);
        assert_eq!(out.status.code(), Some(code), "{script}: {}", stderr(&out));
    }
    let out = f.run(["exec", "--server", "role", "--", "no-such-command-here"]);
    assert_eq!(out.status.code(), Some(127), "{}", stderr(&out));
}
