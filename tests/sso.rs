//! IAM Identity Center against a stub of its OIDC service and portal (`common::sso`): the
//! PKCE and device-code logins, the token cache as the AWS CLI writes it (read back by
//! aws-config's own `SsoTokenProvider` and by the AWS CLI), the login lock, role credentials
//! in awsenv's cache, logging in when needed, and logout.
#![cfg(unix)] // a shell script plays the browser; the Windows suite is tests/windows.rs

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::sso::{Authorize, Behaviour, Device, Sso};
use common::stub::SECRET_MARK;
use common::{Fixture, stderr, stdout};
use serde_json::Value;

const START_URL: &str = "https://d-1234567890.awsapps.com/start";
/// sha1("corp") and sha1(START_URL), by Python's hashlib: the names the AWS CLI gives the
/// token files.
const CORP_FILE: &str = ".aws/sso/cache/ee0bfd2552fbd840c02cc48b6e823320543c450f.json";
const LEGACY_FILE: &str = ".aws/sso/cache/7487b5b67d5fa1132cf33fa93ae51ef38cc37752.json";

const CONFIG: &str = "\
[profile dev]
sso_session = corp
sso_account_id = 123456789012
sso_role_name = Admin
region = eu-west-1

[profile dev-again]
sso_session = corp
sso_account_id = 123456789012
sso_role_name = Admin

[profile other-role]
sso_session = corp
sso_account_id = 123456789012
sso_role_name = ReadOnly

[profile chained]
role_arn = arn:aws:iam::123456789012:role/deploy
source_profile = dev

[profile legacy]
sso_start_url = https://d-1234567890.awsapps.com/start
sso_region = eu-west-1
sso_account_id = 123456789012
sso_role_name = ReadOnly

[sso-session corp]
sso_start_url = https://d-1234567890.awsapps.com/start
sso_region = eu-west-1
sso_registration_scopes = sso:account:access
";

/// The person at the browser: follows the authorize URL, redirects and all.
const BROWSER: &str = "#!/bin/sh\nexec curl -s -L -o /dev/null \"$1\"\n";

fn fixture(sso: &Sso) -> Fixture {
    let fx = Fixture::new().with_config(CONFIG);
    let browser = fx.write("browser.sh", BROWSER);
    make_executable(&browser);
    fx.var("AWS_ENDPOINT_URL_SSO_OIDC", sso.endpoint())
        .var("AWS_ENDPOINT_URL_SSO", sso.endpoint())
        .var("BROWSER", browser.display().to_string())
        .var("AWSENV_SSO_LOGIN_TIMEOUT", "20")
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn ok(out: &Output) {
    assert!(out.status.success(), "failed: {}", stderr(out));
}

/// No token, client secret or key in what awsenv says (stdout holds exports by design).
fn no_secrets(out: &Output) {
    let said = stderr(out);
    assert!(!said.contains(SECRET_MARK), "a secret leaked: {said}");
}

fn token_file(fx: &Fixture, rel: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(fx.path(rel)).unwrap()).unwrap()
}

fn login(fx: &Fixture, args: &[&str]) -> Output {
    let mut all = vec!["sso", "login"];
    all.extend_from_slice(args);
    fx.run(all)
}

#[test]
fn pkce_login_writes_the_token_file_as_the_aws_cli_does() {
    let sso = Sso::start(Behaviour::default());
    let fx = fixture(&sso);
    let out = login(&fx, &["--profile", "dev"]);
    ok(&out);
    no_secrets(&out);
    assert_eq!(stdout(&out), "", "nothing on stdout");
    assert!(
        stderr(&out).contains("logged in to SSO session `corp`"),
        "{}",
        stderr(&out)
    );
    let file = fx.path(CORP_FILE);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let token = token_file(&fx, CORP_FILE);
    let mut keys: Vec<&str> = token
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "accessToken",
            "clientId",
            "clientSecret",
            "expiresAt",
            "refreshToken",
            "region",
            "registrationExpiresAt",
            "startUrl"
        ]
    );
    assert_eq!(token["startUrl"], START_URL);
    assert_eq!(token["region"], "eu-west-1");
    for field in ["expiresAt", "registrationExpiresAt"] {
        let at = token[field].as_str().unwrap();
        assert!(
            at.len() == 20 && at.ends_with('Z') && at.as_bytes()[10] == b'T',
            "{field}: {at}"
        );
    }
    assert_eq!(
        (
            sso.count("register"),
            sso.count("authorize"),
            sso.count("token:authorization_code")
        ),
        (1, 1, 1)
    );
    let register = &sso.bodies("/client/register")[0];
    assert_eq!(register["clientType"], "public");
    assert_eq!(register["issuerUrl"], START_URL);
    assert_eq!(register["scopes"][0], "sso:account:access");
    assert_eq!(
        register["redirectUris"][0],
        "http://127.0.0.1/oauth/callback"
    );
    let grants = register["grantTypes"].to_string();
    assert!(grants.contains("authorization_code") && grants.contains("refresh_token"));
    let authorize = &sso.bodies("/authorize")[0];
    assert_eq!(authorize["response_type"], "code");
    assert_eq!(authorize["code_challenge_method"], "S256");
    let redirect = authorize["redirect_uri"].as_str().unwrap();
    assert!(redirect.starts_with("http://127.0.0.1:") && redirect.ends_with("/oauth/callback"));

    // A second login reuses the client registration.
    ok(&login(&fx, &["dev"]));
    assert_eq!((sso.count("register"), sso.count("authorize")), (1, 2));
}

#[test]
fn the_token_reads_back_through_aws_configs_sso_token_provider() {
    let sso = Sso::start(Behaviour::default());
    let fx = fixture(&sso);
    ok(&login(&fx, &["--profile", "dev"]));
    let written = token_file(&fx, CORP_FILE);
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .args(["--exact", "read_back_helper", "--ignored", "--nocapture"])
        .env("HOME", fx.home.path())
        .env("AWSENV_TEST_READ_BACK", "1")
        .env("AWS_ENDPOINT_URL_SSO_OIDC", sso.endpoint())
        .output()
        .unwrap();
    let said = stdout(&out);
    let line = said
        .lines()
        .find_map(|l| l.strip_prefix("READ-BACK "))
        .unwrap_or_else(|| panic!("helper said: {said} {}", stderr(&out)));
    assert_eq!(line, written["accessToken"].as_str().unwrap());
    assert_eq!(
        sso.count("token:refresh_token"),
        0,
        "a fresh token is not refreshed"
    );
}

/// Run by `the_token_reads_back_through_aws_configs_sso_token_provider` in a process of its
/// own whose HOME is the fixture's (aws-config reads the real environment).
#[test]
#[ignore = "a helper: run by another test"]
fn read_back_helper() {
    use aws_credential_types::provider::token::ProvideToken;
    if std::env::var_os("AWSENV_TEST_READ_BACK").is_none() {
        return;
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let token = rt.block_on(async {
        let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("eu-west-1"))
            .no_credentials()
            .load()
            .await;
        let provider = aws_config::sso::SsoTokenProvider::builder()
            .configure(&sdk)
            .region(aws_config::Region::new("eu-west-1"))
            .session_name("corp")
            .start_url(START_URL)
            .build()
            .await;
        provider.provide_token().await.unwrap()
    });
    println!("READ-BACK {}", token.token());
}

#[test]
fn a_wrong_state_is_refused() {
    let sso = Sso::start(Behaviour {
        authorize: Authorize::WrongState,
        ..Behaviour::default()
    });
    let fx = fixture(&sso);
    let out = login(&fx, &["--profile", "dev"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("state does not match"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("profile `dev`"), "{}", stderr(&out));
    assert_eq!(sso.count("token:authorization_code"), 0);
    assert!(!fx.path(CORP_FILE).exists());
}

#[test]
fn an_error_from_the_sign_in_page_is_refused() {
    let sso = Sso::start(Behaviour {
        authorize: Authorize::Deny,
        ..Behaviour::default()
    });
    let fx = fixture(&sso);
    let out = login(&fx, &["--profile", "dev"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("access_denied"), "{}", stderr(&out));
    assert!(!fx.path(CORP_FILE).exists());
}

#[test]
fn a_login_nobody_finishes_times_out() {
    let sso = Sso::start(Behaviour {
        authorize: Authorize::Ignore,
        ..Behaviour::default()
    });
    let fx = fixture(&sso).var("AWSENV_SSO_LOGIN_TIMEOUT", "2");
    let out = login(&fx, &["--profile", "dev"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("within 2 s"), "{}", stderr(&out));
}

#[test]
fn no_browser_prints_the_url_instead() {
    let sso = Sso::start(Behaviour::default());
    let fx = fixture(&sso).var("AWSENV_SSO_LOGIN_TIMEOUT", "1");
    let out = login(&fx, &["--profile", "dev", "--no-browser"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains(&format!("{}/authorize?", sso.endpoint())));
    assert_eq!(sso.count("authorize"), 0, "no browser ran");
    assert_eq!(stdout(&out), "");
}

fn device(sso: &Sso, fx: &Fixture, args: &[&str]) -> Output {
    let mut all = vec!["--device-code", "--no-browser"];
    all.extend_from_slice(args);
    let out = login(fx, &all);
    no_secrets(&out);
    assert_eq!(sso.count("authorize"), 0);
    out
}

#[test]
fn device_code_keeps_polling_while_pending() {
    let sso = Sso::start(Behaviour {
        device: Device {
            pending: 2,
            slow_down: false,
            expire: false,
        },
        ..Behaviour::default()
    });
    let fx = fixture(&sso);
    let out = device(&sso, &fx, &["dev"]);
    ok(&out);
    assert!(stderr(&out).contains("ABCD-EFGH"), "{}", stderr(&out));
    let grant = "token:urn:ietf:params:oauth:grant-type:device_code";
    assert_eq!(sso.count(grant), 3);
    let token = token_file(&fx, CORP_FILE);
    assert!(token["refreshToken"].is_string());
    let register = &sso.bodies("/client/register")[0];
    assert!(register["grantTypes"].to_string().contains("device_code"));
}

#[test]
fn device_code_slows_down_when_told() {
    let sso = Sso::start(Behaviour {
        device: Device {
            pending: 0,
            slow_down: true,
            expire: false,
        },
        ..Behaviour::default()
    });
    let fx = fixture(&sso);
    let started = std::time::Instant::now();
    ok(&device(&sso, &fx, &["dev"]));
    let grant = "token:urn:ietf:params:oauth:grant-type:device_code";
    assert_eq!(sso.count(grant), 2);
    // The second poll waited the interval plus five seconds.
    assert!(started.elapsed() >= std::time::Duration::from_secs(6));
}

#[test]
fn device_code_gives_up_when_it_expires() {
    let sso = Sso::start(Behaviour {
        device: Device {
            pending: 1,
            slow_down: false,
            expire: true,
        },
        ..Behaviour::default()
    });
    let fx = fixture(&sso);
    let out = device(&sso, &fx, &["dev"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("expired before it was confirmed"),
        "{}",
        stderr(&out)
    );
    assert!(!fx.path(CORP_FILE).exists());
}

#[test]
fn legacy_profiles_use_the_device_code_and_the_start_url_file() {
    let sso = Sso::start(Behaviour::default());
    let fx = fixture(&sso);
    let out = login(&fx, &["legacy", "--no-browser"]);
    ok(&out);
    assert_eq!(sso.count("device_authorization"), 1);
    assert_eq!(token_file(&fx, LEGACY_FILE)["startUrl"], START_URL);
    let register = &sso.bodies("/client/register")[0];
    assert!(
        register.get("scopes").is_none_or(Value::is_null),
        "{register}"
    );
}

#[test]
fn four_concurrent_logins_share_one_browser_tab() {
    let sso = Sso::start(Behaviour {
        register_delay: std::time::Duration::from_millis(300),
        ..Behaviour::default()
    });
    let fx = fixture(&sso);
    let children: Vec<_> = (0..4)
        .map(|_| {
            fx.cmd(["sso", "login", "--profile", "dev"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        ok(&child.wait_with_output().unwrap());
    }
    assert_eq!((sso.count("register"), sso.count("authorize")), (1, 1));
}

fn assume(fx: &Fixture, args: &[&str]) -> Output {
    let mut all = vec!["assume"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--shell", "bash"]);
    fx.run(all)
}

fn exported(out: &Output, name: &str) -> String {
    let prefix = format!("export {name}='");
    stdout(out)
        .lines()
        .find_map(|l| {
            l.strip_prefix(&prefix)?
                .strip_suffix('\'')
                .map(str::to_owned)
        })
        .unwrap_or_default()
}

#[test]
fn role_credentials_come_from_the_portal_and_are_cached_per_role() {
    let sso = Sso::start(Behaviour::default());
    let fx = fixture(&sso);
    ok(&login(&fx, &["dev"]));
    let first = assume(&fx, &["dev"]);
    ok(&first);
    assert!(exported(&first, "AWS_ACCESS_KEY_ID").starts_with("ASIASSO"));
    assert_eq!(exported(&first, "AWSENV_PROFILE"), "dev");
    assert_eq!(exported(&first, "AWS_REGION"), "eu-west-1");
    let request = &sso.bodies("/federation/credentials")[0];
    assert_eq!(request["account_id"], "123456789012");
    assert_eq!(request["role_name"], "Admin");
    // The same role through another profile, and the same profile again: no request.
    let again = assume(&fx, &["dev-again"]);
    ok(&again);
    assert_eq!(
        exported(&again, "AWS_ACCESS_KEY_ID"),
        exported(&first, "AWS_ACCESS_KEY_ID")
    );
    ok(&assume(&fx, &["dev"]));
    assert_eq!(sso.count("credentials"), 1);
    ok(&assume(&fx, &["other-role"]));
    assert_eq!(sso.count("credentials"), 2);
    ok(&assume(&fx, &["dev", "--refresh"]));
    assert_eq!(sso.count("credentials"), 3);
}

#[test]
fn without_a_terminal_a_missing_login_says_which_command_logs_in() {
    let sso = Sso::start(Behaviour::default());
    let fx = fixture(&sso);
    for args in [&["dev"][..], &["dev", "--no-input"], &["chained"]] {
        let out = assume(&fx, args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(stdout(&out), "false\n");
        let profile = args[0];
        assert!(
            stderr(&out).contains(&format!("run `awsenv sso login --profile {profile}`")),
            "{}",
            stderr(&out)
        );
    }
    let out = fx.run(["credential-process", "dev"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("awsenv sso login --profile dev"));
    assert_eq!(sso.count("authorize"), 0, "no browser without a terminal");
}

#[test]
fn an_expired_token_is_renewed_with_the_refresh_token_and_no_browser() {
    let sso = Sso::start(Behaviour::default());
    let fx = fixture(&sso);
    ok(&login(&fx, &["dev"]));
    let path = fx.path(CORP_FILE);
    let mut token = token_file(&fx, CORP_FILE);
    token["expiresAt"] = "2020-01-01T00:00:00Z".into();
    std::fs::write(&path, token.to_string()).unwrap();
    let out = assume(&fx, &["dev"]);
    ok(&out);
    no_secrets(&out);
    assert_eq!(
        (sso.count("token:refresh_token"), sso.count("authorize")),
        (1, 1)
    );
    let renewed = token_file(&fx, CORP_FILE);
    assert_ne!(renewed["accessToken"], token["accessToken"]);
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "still private after aws-config rewrote it");
    }
    // aws-config rewrote the file; awsenv reads what it wrote.
    ok(&assume(&fx, &["other-role"]));
    assert_eq!(sso.count("token:refresh_token"), 1);
}

#[test]
fn a_revoked_token_needs_a_new_login() {
    let sso = Sso::start(Behaviour::default());
    let fx = fixture(&sso);
    ok(&login(&fx, &["dev"]));
    sso.revoke_all();
    let out = assume(&fx, &["dev"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("run `awsenv sso login --profile dev`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn logout_ends_the_session_and_removes_the_token_file() {
    let sso = Sso::start(Behaviour::default());
    let fx = fixture(&sso);
    ok(&login(&fx, &["dev"]));
    ok(&assume(&fx, &["dev"]));
    let out = fx.run(["sso", "logout", "--sso-session", "corp"]);
    ok(&out);
    no_secrets(&out);
    assert_eq!(stdout(&out), "");
    assert_eq!(sso.count("logout"), 1);
    assert!(!fx.path(CORP_FILE).exists());
    // The role credentials from that session are gone too.
    let out = assume(&fx, &["dev"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("awsenv sso login --profile dev"));
    // Nothing left to log out of is not an error.
    ok(&fx.run(["sso", "logout", "--sso-session", "corp"]));
    assert_eq!(sso.count("logout"), 1);
    // --all ends every session with a token.
    ok(&login(&fx, &["dev"]));
    ok(&login(&fx, &["legacy", "--no-browser"]));
    ok(&fx.run(["sso", "logout", "--all"]));
    assert_eq!(sso.count("logout"), 3);
    let left: Vec<PathBuf> = std::fs::read_dir(fx.path(".aws/sso/cache"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let text = std::fs::read_to_string(p).unwrap_or_default();
            text.contains("accessToken")
        })
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn bad_arguments_name_the_next_step() {
    let sso = Sso::start(Behaviour::default());
    let fx = fixture(&sso)
        .with_credentials("[keys]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = x\n");
    let out = login(&fx, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--profile"), "{}", stderr(&out));
    let out = login(&fx, &["keys"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("profile `keys`"), "{}", stderr(&out));
    let out = login(&fx, &["--sso-session", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("[sso-session nope]"),
        "{}",
        stderr(&out)
    );
    let out = fx.run(["sso", "logout"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--all"));
    assert_eq!(sso.count("register"), 0);
}

/// What users read in `awsenv sso … --help`, seen in review whenever it changes.
#[test]
fn help_snapshots() {
    let fx = Fixture::new();
    for cmd in ["login", "logout"] {
        let out = fx.run(["sso", cmd, "--help"]);
        assert_eq!(out.status.code(), Some(0), "{cmd}");
        insta::assert_snapshot!(format!("help_sso_{cmd}"), stdout(&out));
    }
}

// ---------------------------------------------------------------------------------------
// Interoperability with the AWS CLI (the repository's virtualenv) and moto's STS

fn aws_cli() -> PathBuf {
    let path = common::repo().join(".venv/bin/aws");
    assert!(path.exists(), "{} is missing: run .ci/run", path.display());
    path
}

/// `aws ARGS` with only the fixture's HOME, PATH and the endpoints given.
fn run_aws(fx: &Fixture, args: &[&str], endpoints: &[(&str, String)]) -> Output {
    let mut cmd = std::process::Command::new(aws_cli());
    cmd.args(args)
        .env_clear()
        .env("HOME", fx.home.path())
        .env("PATH", fx.vars["PATH"].as_str())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(std::process::Stdio::null());
    for (name, value) in endpoints {
        cmd.env(name, value);
    }
    cmd.output().expect("run the AWS CLI")
}

#[test]
fn the_aws_cli_uses_awsenvs_login_with_no_login_of_its_own() {
    let sso = Sso::start(Behaviour::default());
    let moto = common::moto::shared();
    let fx = fixture(&sso);
    ok(&login(&fx, &["--profile", "dev"]));
    let out = run_aws(
        &fx,
        &[
            "sts",
            "get-caller-identity",
            "--profile",
            "dev",
            "--output",
            "json",
        ],
        &[
            ("AWS_ENDPOINT_URL_SSO", sso.endpoint()),
            ("AWS_ENDPOINT_URL_SSO_OIDC", sso.endpoint()),
            ("AWS_ENDPOINT_URL_STS", moto),
        ],
    );
    assert!(out.status.success(), "aws: {}", stderr(&out));
    let identity: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(identity["Account"].is_string(), "{identity}");
    assert_eq!(sso.count("credentials"), 1, "the CLI asked the portal");
    assert_eq!(sso.count("authorize"), 1, "and did not log in itself");
}

#[test]
fn awsenv_uses_a_token_file_in_the_aws_clis_format() {
    let sso = Sso::start(Behaviour::default());
    let moto = common::moto::shared();
    let fx = fixture(&sso).var("AWS_ENDPOINT_URL_STS", moto);
    let access = sso.issue_token();
    let expires = chrono::Utc::now() + chrono::Duration::hours(8);
    // As AWS CLI v2 writes it after `aws sso login`.
    let text = format!(
        "{{\"startUrl\": \"{START_URL}\", \"region\": \"eu-west-1\", \"accessToken\": \"{access}\", \"expiresAt\": \"{}\", \"clientId\": \"cli-client\", \"clientSecret\": \"{SECRET_MARK}-cli\", \"registrationExpiresAt\": \"2099-01-01T00:00:00Z\", \"refreshToken\": \"{SECRET_MARK}-cli-refresh\"}}",
        expires.format("%Y-%m-%dT%H:%M:%SZ")
    );
    fx.write(CORP_FILE, &text);
    let out = assume(&fx, &["dev"]);
    ok(&out);
    no_secrets(&out);
    assert!(exported(&out, "AWS_ACCESS_KEY_ID").starts_with("ASIASSO"));
    // The portal's credentials work against (moto's) STS, directly and as a chain's source.
    let out = fx.run([
        "exec",
        "dev",
        "--",
        aws_cli().to_str().unwrap(),
        "sts",
        "get-caller-identity",
    ]);
    ok(&out);
    assert!(stdout(&out).contains("Account"), "{}", stdout(&out));
    let out = assume(&fx, &["chained"]);
    ok(&out);
    assert!(exported(&out, "AWS_ACCESS_KEY_ID").starts_with("ASIA"));
    assert_eq!(
        sso.count("credentials"),
        1,
        "the chain reused the cached SSO role"
    );
    assert_eq!(sso.count("register") + sso.count("authorize"), 0);
}

// ---------------------------------------------------------------------------------------
// Logging in when needed, on a real terminal

/// `eval "$(awsenv assume dev)"` in bash on a pty with no login yet: awsenv says so in one
/// line on the terminal, logs in through the browser, and exports; stdout holds exports only.
#[test]
fn assume_on_a_terminal_logs_in_and_continues() {
    let sso = Sso::start(Behaviour::default());
    let fx = fixture(&sso);
    let out = fx.path("stdout");
    let script = format!(
        "awsenv assume dev --shell bash >{out}; echo \"assumed=$?\"; \
         awsenv assume dev --no-input --shell bash >/dev/null; echo \"again=$?\"",
        out = out.display()
    );
    let dir = common::bin().parent().unwrap().display().to_string();
    let mut cmd = std::process::Command::new("bash");
    cmd.args(["--norc", "--noprofile", "-c", &script])
        .env_clear()
        .envs(&fx.vars)
        .env("PATH", format!("{dir}:{}", fx.vars["PATH"]));
    let mut term = rexpect::session::spawn_command(cmd, Some(20_000)).expect("bash on a pty");
    term.exp_string("SSO session `corp` has no login yet; logging in")
        .expect("the reason, on the terminal");
    term.exp_string("assumed=0").expect("assume succeeds");
    term.exp_string("again=0")
        .expect("the second assume needs nothing");
    let exports = std::fs::read_to_string(&out).unwrap();
    assert!(
        exports
            .lines()
            .all(|l| l.starts_with("export ") || l.starts_with("unset ")),
        "{exports}"
    );
    assert!(exports.contains("export AWSENV_PROFILE='dev'"), "{exports}");
    assert_eq!((sso.count("authorize"), sso.count("credentials")), (1, 1));
}

// ---------------------------------------------------------------------------------------
// status and doctor

#[test]
fn status_shows_the_sso_sessions_expiry_beside_the_credentials() {
    let sso = Sso::start(Behaviour::default());
    let mut fx = fixture(&sso);
    ok(&login(&fx, &["dev"]));
    let out = assume(&fx, &["dev"]);
    ok(&out);
    for name in [
        "AWSENV_PROFILE",
        "AWSENV_EXPIRES_AT",
        "AWS_ACCESS_KEY_ID",
        "AWS_SESSION_TOKEN",
    ] {
        fx.set(name, exported(&out, name));
    }
    let out = fx.run(["status"]);
    ok(&out);
    let text = stdout(&out);
    assert!(
        text.contains("sso:") && text.contains("session `corp` until "),
        "{text}"
    );
    let out = fx.run(["status", "--json"]);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["sso"]["session"], "corp");
    assert_eq!(json["sso"]["logged_in"], true);
    assert!(json["sso"]["remaining_seconds"].as_i64().unwrap() > 7 * 3600);
    // Logged out: the session line says so.
    ok(&fx.run(["sso", "logout", "--sso-session", "corp"]));
    let text = stdout(&fx.run(["status"]));
    assert!(text.contains("session `corp` no login"), "{text}");
}

fn doctor_line(fx: &Fixture, profile: &str) -> String {
    let out = fx.run(["doctor", profile]);
    let text = stdout(&out);
    let at = text
        .find("SSO token")
        .unwrap_or_else(|| panic!("no SSO token check: {text}"));
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    text[start..].lines().take(2).collect::<Vec<_>>().join("\n")
}

#[test]
fn doctor_checks_the_sso_token() {
    let sso = Sso::start(Behaviour::default());
    let fx = fixture(&sso);
    let line = doctor_line(&fx, "chained");
    assert!(
        line.starts_with("fail") && line.contains("has no login"),
        "{line}"
    );
    assert!(
        line.contains("awsenv sso login --profile chained"),
        "{line}"
    );
    ok(&login(&fx, &["dev"]));
    let line = doctor_line(&fx, "dev");
    assert!(
        line.starts_with("ok") && line.contains("renewable with its refresh token"),
        "{line}"
    );
    let mut token = token_file(&fx, CORP_FILE);
    token["expiresAt"] = "2020-01-01T00:00:00Z".into();
    fx.write(CORP_FILE, &token.to_string());
    let line = doctor_line(&fx, "dev");
    assert!(
        line.starts_with("ok") && line.contains("renews it on the next use"),
        "{line}"
    );
    token.as_object_mut().unwrap().remove("refreshToken");
    fx.write(CORP_FILE, &token.to_string());
    let line = doctor_line(&fx, "dev");
    assert!(
        line.starts_with("fail") && line.contains("no refresh token"),
        "{line}"
    );
    assert!(line.contains("awsenv sso login --profile dev"), "{line}");
    assert_eq!(sso.count("authorize"), 1, "doctor never logs in");
}

#[test]
fn a_session_token_that_cannot_go_into_a_header_is_named_as_such() {
    let sso = Sso::start(Behaviour {
        damaged_session_token: true,
        ..Behaviour::default()
    });
    let fx = fixture(&sso).var("AWS_ENDPOINT_URL_STS", common::moto::shared());
    ok(&login(&fx, &["dev"]));
    let out = assume(&fx, &["chained"]);
    assert_eq!(out.status.code(), Some(1));
    let said = stderr(&out);
    assert!(
        said.contains("source profile `dev`") && said.contains("cannot go into an HTTP header"),
        "{said}"
    );
    assert!(!said.contains("could not reach"), "{said}");
    assert_eq!(said.lines().count(), 1, "{said}");
}

#[test]
fn the_session_comes_from_aws_profile_or_is_named() {
    let sso = Sso::start(Behaviour::default());
    let fx = fixture(&sso).var("AWS_PROFILE", "chained");
    ok(&login(&fx, &[]));
    assert!(fx.path(CORP_FILE).exists());
    let fx = fixture(&sso);
    let out = login(&fx, &["--sso-session", "corp"]);
    ok(&out);
    assert!(stderr(&out).contains("SSO session `corp`"));
    assert_eq!(sso.count("authorize"), 2);
}

#[test]
fn logout_of_an_expired_token_asks_the_portal_nothing() {
    let sso = Sso::start(Behaviour::default());
    let fx = fixture(&sso).var("AWS_PROFILE", "dev");
    ok(&login(&fx, &["dev"]));
    let mut token = token_file(&fx, CORP_FILE);
    token["expiresAt"] = "2020-01-01T00:00:00Z".into();
    fx.write(CORP_FILE, &token.to_string());
    let out = fx.run(["sso", "logout"]);
    ok(&out);
    assert_eq!(sso.count("logout"), 0);
    assert!(!fx.path(CORP_FILE).exists());
}
