//! `login_session` profiles, the console credentials that `aws login` caches in
//! `~/.aws/login/cache`: listed with their kind, assumed through aws-config's provider, and
//! refreshed against a local AWS Sign-In stub when the cached keys have expired.

mod common;

use common::portal::{LOGIN_SECRET, Portal};
use common::{Fixture, stderr, stdout};

/// The ARN aws-config's own tests use, and its cache file (sha256 hex of the ARN).
const ARN: &str = "arn:aws:iam::0123456789012:user/Admin";
const CACHE_FILE: &str =
    ".aws/login/cache/36db1d138ff460920374e4c3d8e01f53f9f73537e89c88d639f68393df0e2726.json";

/// The P-256 test key published with aws-config's DPoP tests (no secret: a fixture).
const DPOP_KEY: &str = "-----BEGIN EC PRIVATE KEY-----\\nMHcCAQEEIBMB/RwQERsVoqWRQG4zK8CnaAa5dfrpbm+9tFdBh3z4oAoGCCqGSM49\\nAwEHoUQDQgAEWb1VLi1EA2hJaTz4yYuxSELvY+1GAfL+8rUTCAdiFid87Bf6GY+s\\n2+1RpqDv0RpZiDIMCrZrsAh+RK9S3QCaGA==\\n-----END EC PRIVATE KEY-----\\n";

fn fixture() -> Fixture {
    Fixture::new().with_config(&format!(
        "[profile console]\nlogin_session = {ARN}\nregion = eu-west-1\n[profile dev]\nregion = us-east-1\n"
    ))
}

/// The cache file `aws login` writes, its keys expiring `expires_in` seconds from now.
fn write_cache(f: &Fixture, expires_in: i64) {
    let at = chrono::Utc::now() + chrono::Duration::seconds(expires_in);
    f.write(
        CACHE_FILE,
        &format!(
            r#"{{"accessToken": {{"accessKeyId": "ASIALOGINCACHED", "secretAccessKey": "{LOGIN_SECRET}cached", "sessionToken": "LOGINCACHEDTOKEN", "accountId": "012345678901", "expiresAt": "{}"}}, "tokenType": "aws_sigv4", "refreshToken": "cached-refresh-token", "idToken": "id", "clientId": "arn:aws:signin:::devtools/same-device", "dpopKey": "{DPOP_KEY}"}}"#,
            at.format("%Y-%m-%dT%H:%M:%SZ")
        ),
    );
}

#[test]
fn list_shows_the_login_kind_and_session() {
    let out = fixture().run(["list"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let row: Vec<&str> = text
        .lines()
        .find(|l| l.starts_with("console "))
        .unwrap_or_else(|| panic!("console missing:\n{text}"))
        .split_whitespace()
        .collect();
    assert_eq!(
        row,
        [
            "console",
            "login",
            "eu-west-1",
            "-",
            &format!("login_session={ARN}")
        ]
    );
    let json: serde_json::Value =
        serde_json::from_str(&stdout(&fixture().run(["list", "--json"]))).unwrap();
    let console = json
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["profile"] == "console")
        .unwrap();
    assert_eq!(console["kind"], "login");
    assert_eq!(console["source_setting"], "login_session");
}

#[test]
fn assume_exports_the_cached_console_credentials() {
    let f = fixture();
    write_cache(&f, 3600);
    // Fixture's AWS_ENDPOINT_URL is a dead port: valid cached keys need no request.
    let out = f.run(["assume", "console", "--shell", "bash"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let code = stdout(&out);
    assert!(
        code.contains("export AWS_ACCESS_KEY_ID='ASIALOGINCACHED'"),
        "{code}"
    );
    assert!(
        code.contains("export AWS_SESSION_TOKEN='LOGINCACHEDTOKEN'"),
        "{code}"
    );
    assert!(code.contains("export AWSENV_PROFILE='console'"), "{code}");
    assert!(code.contains("export AWS_REGION='eu-west-1'"), "{code}");
    assert!(
        code.contains("export AWS_CREDENTIAL_EXPIRATION='"),
        "{code}"
    );
}

#[test]
fn expired_console_credentials_are_refreshed_through_sign_in() {
    let signin = Portal::start(Vec::new(), 1);
    let f = fixture().var("AWS_ENDPOINT_URL_SIGNIN", signin.endpoint());
    write_cache(&f, -600);
    let out = f.run(["assume", "console", "--shell", "bash"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let code = stdout(&out);
    assert!(
        code.contains("export AWS_ACCESS_KEY_ID='ASIALOGINREFRESHED'"),
        "{code}"
    );
    let calls = signin.requests_to("/v1/token");
    assert_eq!(calls.len(), 1);
    let body: serde_json::Value = serde_json::from_str(&calls[0].body).unwrap();
    assert_eq!(body["grantType"], "refresh_token");
    assert_eq!(body["refreshToken"], "cached-refresh-token");
    assert!(
        calls[0].headers.contains_key("dpop"),
        "{:?}",
        calls[0].headers
    );
    // aws-config writes the new token back where `aws login` keeps it.
    let cache = std::fs::read_to_string(f.path(CACHE_FILE)).unwrap();
    assert!(cache.contains("refreshed-refresh-token"), "{cache}");
    assert!(!stderr(&out).contains(LOGIN_SECRET));
}

#[test]
fn no_console_login_says_how_to_get_one() {
    let f = fixture();
    let out = f.run(["assume", "console", "--shell", "bash"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "false\n");
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("profile `console`") && err.contains("run `aws login --profile console`"),
        "{err}"
    );

    // Expired, and Sign-In cannot be reached (the fixture's dead endpoint).
    write_cache(&f, -600);
    let out = f.run(["assume", "console", "--shell", "bash"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("run `aws login --profile console`"), "{err}");
    assert!(
        !err.contains(LOGIN_SECRET) && !err.contains("cached-refresh-token"),
        "{err}"
    );
}
