//! `awsenv doctor`, one fixture per failure it must diagnose, each in a temporary HOME.

mod common;

use std::time::{Duration, Instant};

use common::stub::{Behaviour, SECRET_MARK, Stub};
use common::{Fixture, stderr, stdout};

const SECRET: &str = "doctorsecretvalue";
const TOKEN: &str = "doctortokenvalue";

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn base() -> Fixture {
    Fixture::new()
        .with_config("[profile dev]\nregion = eu-west-1\n")
        .with_credentials(&format!(
            "[dev]\naws_access_key_id = AKIADOCTOREXAMPLE1\naws_secret_access_key = {SECRET}\n"
        ))
}

/// A shell where awsenv exported `dev`, expiring `left` seconds from now.
fn exported(left: i64) -> Fixture {
    base()
        .var("AWSENV_PROFILE", "dev")
        .var("AWS_ACCESS_KEY_ID", "ASIADOCTOREXAMPLE2")
        .var("AWS_SECRET_ACCESS_KEY", SECRET)
        .var("AWS_SESSION_TOKEN", TOKEN)
        .var("AWSENV_EXPIRES_AT", (now() + left).to_string())
}

/// Run doctor; (exit code, stdout), after checking no secret was printed anywhere.
fn doctor(f: &Fixture, args: &[&str]) -> (i32, String) {
    let mut all = vec!["doctor"];
    all.extend(args);
    let out = f.run(&all);
    let text = stdout(&out);
    for secret in [
        SECRET,
        TOKEN,
        "AKIADOCTOREXAMPLE1",
        "ASIADOCTOREXAMPLE2",
        SECRET_MARK,
    ] {
        assert!(
            !text.contains(secret) && !stderr(&out).contains(secret),
            "{secret} printed:\n{text}"
        );
    }
    (out.status.code().unwrap_or(-1), text)
}

/// The report line for `check` at `level`, and the fix line under it.
fn line<'a>(text: &'a str, level: &str, check: &str) -> (&'a str, Option<&'a str>) {
    let lines: Vec<&str> = text.lines().collect();
    let i = lines
        .iter()
        .position(|l| l.starts_with(&format!("{level:<4}  {check}:")))
        .unwrap_or_else(|| panic!("no `{level} {check}` line in:\n{text}"));
    let fix = lines
        .get(i + 1)
        .and_then(|l| l.trim_start().strip_prefix("fix: "));
    (lines[i], fix)
}

#[test]
fn a_healthy_shell_exits_0() {
    let (code, text) = doctor(&exported(3600), &["dev"]);
    assert_eq!(code, 0, "{text}");
    line(&text, "ok", "exported credentials");
    line(&text, "ok", "profile chain");
}

#[test]
fn expired_exported_credentials_fail() {
    let (code, text) = doctor(&exported(-120), &[]);
    assert_eq!(code, 1, "{text}");
    let (l, fix) = line(&text, "fail", "exported credentials");
    assert!(
        l.contains("expired 2m ago") && l.contains("AWSENV_EXPIRES_AT"),
        "{l}"
    );
    assert!(l.contains("…PLE2"), "{l}");
    assert_eq!(
        fix,
        Some(
            "awsenv assume dev  # for a program that outlives the session: awsenv exec --server dev -- CMD"
        )
    );
}

#[test]
fn expiry_from_aws_credential_expiration_is_read_too() {
    let f = base()
        .var("AWS_ACCESS_KEY_ID", "ASIADOCTOREXAMPLE2")
        .var("AWS_SESSION_TOKEN", TOKEN)
        .var("AWS_CREDENTIAL_EXPIRATION", "2001-01-01T00:00:00Z");
    let (code, text) = doctor(&f, &[]);
    assert_eq!(code, 1, "{text}");
    let (l, _) = line(&text, "fail", "exported credentials");
    assert!(
        l.contains("AWS_CREDENTIAL_EXPIRATION says 2001-01-01T00:00:00Z"),
        "{l}"
    );
}

#[test]
fn credentials_expiring_soon_warn_and_exit_0() {
    let (code, text) = doctor(&exported(240), &[]);
    assert_eq!(code, 0, "{text}");
    let (l, fix) = line(&text, "warn", "exported credentials");
    assert!(
        l.contains("expires in 4m") || l.contains("expires in 3m"),
        "{l}"
    );
    assert_eq!(
        fix,
        Some(
            "awsenv assume dev  # for a program that outlives the session: awsenv exec --server dev -- CMD"
        )
    );
}

#[test]
fn less_than_an_hour_left_names_the_credential_server_for_long_programs() {
    let (code, text) = doctor(&exported(1800), &[]);
    assert_eq!(code, 0, "{text}");
    let (l, _) = line(&text, "ok", "exported credentials");
    assert!(l.contains("`awsenv exec --server dev -- CMD`"), "{l}");
}

#[test]
fn security_token_beside_session_token_is_reported() {
    let f = exported(3600).var("AWS_SECURITY_TOKEN", "an-older-token");
    let (code, text) = doctor(&f, &[]);
    assert_eq!(code, 1, "{text}");
    let (l, fix) = line(&text, "fail", "shadowing variables");
    assert!(
        l.contains("AWS_SECURITY_TOKEN") && l.contains("different token"),
        "{l}"
    );
    assert!(!l.contains("an-older-token"), "{l}");
    assert_eq!(fix, Some("unset AWS_SECURITY_TOKEN"));
}

#[test]
fn aws_profile_beside_exported_keys_is_reported() {
    let f = exported(3600).var("AWS_PROFILE", "other");
    let (code, text) = doctor(&f, &["dev"]);
    assert_eq!(code, 1, "{text}");
    let (l, fix) = line(&text, "fail", "shadowing variables");
    assert!(l.contains("AWS_PROFILE is set to `other`"), "{l}");
    assert_eq!(fix, Some("unset AWS_PROFILE"));
    let fish = f.var("SHELL", "/usr/bin/fish");
    let (_, text) = doctor(&fish, &["dev"]);
    assert_eq!(
        line(&text, "fail", "shadowing variables").1,
        Some("set -e -g AWS_PROFILE")
    );
}

#[test]
fn environment_keys_that_hide_another_profile_warn() {
    let f = exported(3600).with_config(
        "[profile dev]\nregion = eu-west-1\n[profile prod]\nrole_arn = arn:aws:iam::1:role/p\nsource_profile = dev\n",
    );
    let (_, text) = doctor(&f, &["prod"]);
    let (l, fix) = line(&text, "warn", "environment keys");
    assert!(
        l.contains("exported by awsenv for `dev`") && l.contains("profile `prod`"),
        "{l}"
    );
    assert_eq!(fix, Some("awsenv assume prod"));
}

#[test]
fn a_static_session_token_in_the_files_is_located() {
    let f = base().with_credentials(&format!(
        "[dev]\naws_access_key_id = AKIADOCTOREXAMPLE1\naws_secret_access_key = {SECRET}\naws_session_token = {TOKEN}\n"
    ));
    let (_, text) = doctor(&f, &["dev"]);
    let place = format!("{}:4", f.path(".aws/credentials").display());
    let (l, fix) = line(&text, "warn", "static session token");
    assert!(l.contains(&place), "{l}");
    assert!(fix.unwrap().contains("+4 "), "{fix:?}");
}

#[test]
fn an_expired_aws_cli_cache_entry_is_reported() {
    let f = base();
    let path = f.write(
        ".aws/cli/cache/0123abcd.json",
        r#"{"Credentials": {"AccessKeyId": "ASIACLICACHEKEY9876", "SecretAccessKey": "x", "SessionToken": "y", "Expiration": "2024-01-01T00:00:00Z"}, "AssumedRoleUser": {}}"#,
    );
    f.write(
        ".aws/cli/cache/fresh.json",
        r#"{"Credentials": {"AccessKeyId": "ASIAFRESH", "Expiration": "2999-01-01T00:00:00Z"}}"#,
    );
    let (_, text) = doctor(&f, &["dev"]);
    let (l, fix) = line(&text, "warn", "AWS CLI cache");
    assert!(
        l.contains(&path.display().to_string()) && l.contains("…9876"),
        "{l}"
    );
    assert!(l.contains("2024-01-01T00:00:00Z"), "{l}");
    assert!(!text.contains("ASIACLICACHEKEY9876"));
    assert_eq!(
        fix.map(str::to_owned),
        Some(format!("rm {}", path.display()))
    );
    assert_eq!(text.matches("AWS CLI cache").count(), 1, "{text}");
}

#[test]
fn a_chain_with_a_cycle_fails_with_file_and_line() {
    let f = base().with_config(
        "[profile dev]\nregion = eu-west-1\n[profile x]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = y\n[profile y]\nrole_arn = arn:aws:iam::1:role/y\nsource_profile = x\n",
    );
    let (code, text) = doctor(&f, &["x"]);
    assert_eq!(code, 1, "{text}");
    let (l, fix) = line(&text, "fail", "profile chain");
    assert!(l.contains("x -> y -> x"), "{l}");
    let config = f.path(".aws/config").display().to_string();
    assert!(l.contains(&format!("{config}:5")), "{l}");
    assert_eq!(
        fix.map(str::to_owned),
        Some(format!("${{EDITOR:-vi}} +5 {config}"))
    );
}

#[test]
fn a_chain_with_a_missing_source_fails() {
    let f = base().with_config(
        "[profile dev]\nregion = eu-west-1\n[profile lost]\nrole_arn = arn:aws:iam::1:role/l\nsource_profile = nowhere\n",
    );
    let (code, text) = doctor(&f, &["lost"]);
    assert_eq!(code, 1, "{text}");
    let (l, _) = line(&text, "fail", "profile chain");
    assert!(l.contains("`nowhere`") && l.contains("config:5"), "{l}");
    // Without a profile named, every chain is checked.
    let (code, text) = doctor(&f, &[]);
    assert_eq!(code, 1, "{text}");
    assert!(
        line(&text, "fail", "profile chain").0.contains("`lost`"),
        "{text}"
    );
}

#[test]
fn a_bad_duration_seconds_fails() {
    let f = base().with_config(
        "[profile dev]\nregion = eu-west-1\n[profile r]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = dev\nduration_seconds = 60\n",
    );
    let (code, text) = doctor(&f, &["r"]);
    assert_eq!(code, 1, "{text}");
    let (l, _) = line(&text, "fail", "profile chain");
    assert!(
        l.contains("duration_seconds = 60") && l.contains("config:6"),
        "{l}"
    );
}

#[test]
fn an_unreachable_metadata_endpoint_is_reported_within_2_seconds() {
    let port = common::moto::free_port();
    let f = base().var(
        "AWS_EC2_METADATA_SERVICE_ENDPOINT",
        format!("http://127.0.0.1:{port}"),
    );
    let started = Instant::now();
    let (code, text) = doctor(&f, &["dev", "--imds"]);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(code, 1, "{text}");
    let (l, fix) = line(&text, "fail", "instance metadata");
    assert!(l.contains(&format!("127.0.0.1:{port}")), "{l}");
    assert!(fix.is_some());
}

#[test]
fn a_proxy_without_no_proxy_for_metadata_warns() {
    let port = common::moto::free_port();
    let f = base()
        .var(
            "AWS_EC2_METADATA_SERVICE_ENDPOINT",
            format!("http://127.0.0.1:{port}"),
        )
        .var("HTTPS_PROXY", "http://proxy.invalid:3128");
    let (_, text) = doctor(&f, &["dev", "--imds"]);
    let (l, fix) = line(&text, "warn", "NO_PROXY");
    assert!(l.contains("HTTPS_PROXY"), "{l}");
    assert!(fix.unwrap().contains("169.254.169.254"));
}

#[test]
fn metadata_is_not_checked_unless_asked_off_ec2() {
    let (_, text) = doctor(&base(), &["dev"]);
    assert!(!text.contains("instance metadata"), "{text}");
}

// ---------------------------------------------------------------------------------------
// What STS says: the clock, who the keys are, static session tokens

/// `f` with its STS at `endpoint`.
fn against(f: Fixture, endpoint: &str) -> Fixture {
    f.var("AWS_ENDPOINT_URL_STS", endpoint)
        .var("AWSENV_STS_TIMEOUT", "10")
}

#[test]
fn a_clock_10_minutes_behind_sts_fails_with_the_skew() {
    let stub = Stub::start(Behaviour::SkewedDate(600));
    let (code, text) = doctor(&against(base(), &stub.endpoint()), &["dev"]);
    assert_eq!(code, 1, "{text}");
    let (l, fix) = line(&text, "fail", "clock skew");
    let secs: i64 = l
        .split("your clock is ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no skew in {l}"));
    assert!((595..=605).contains(&secs), "{l}");
    assert!(l.contains("s behind STS"), "{l}");
    assert!(fix.unwrap().contains("timedatectl set-ntp true"), "{fix:?}");
    // The profile's keys are fine.
    line(&text, "ok", "caller identity");
}

#[test]
fn a_clock_ahead_of_sts_by_two_minutes_warns_and_exits_0() {
    let stub = Stub::start(Behaviour::SkewedDate(-120));
    let (code, text) = doctor(&against(base(), &stub.endpoint()), &["dev"]);
    assert_eq!(code, 0, "{text}");
    let (l, _) = line(&text, "warn", "clock skew");
    assert!(l.contains("s ahead of STS"), "{l}");
}

#[test]
fn an_unreachable_sts_warns_without_failing() {
    // The fixture's endpoint is a loopback port that refuses.
    let (code, text) = doctor(&base(), &["dev"]);
    assert_eq!(code, 0, "{text}");
    let (l, fix) = line(&text, "warn", "clock skew");
    assert!(
        l.contains("not measured") && l.contains("127.0.0.1:9"),
        "{l}"
    );
    assert!(fix.unwrap().starts_with("curl -sI"), "{fix:?}");
    let (l, _) = line(&text, "warn", "caller identity");
    assert!(l.contains("not checked"), "{l}");
}

#[test]
fn an_sts_that_never_answers_is_given_up_on_within_the_bound() {
    let stub = Stub::start(Behaviour::Hang);
    let f = against(base(), &stub.endpoint()).var("AWSENV_STS_TIMEOUT", "1");
    let started = Instant::now();
    let (code, text) = doctor(&f, &["dev"]);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(code, 0, "{text}");
    line(&text, "warn", "clock skew");
    line(&text, "warn", "caller identity");
    assert_eq!(stub.total(), 1, "one probe, no second wait");
}

#[test]
fn caller_identity_of_static_and_role_profiles_against_moto() {
    let moto = common::moto::shared();
    let f = against(
        base().with_config(
            "[profile dev]\nregion = eu-west-1\n[profile admin]\nrole_arn = arn:aws:iam::123456789012:role/admin\nsource_profile = dev\n",
        ),
        &moto,
    );
    let (code, text) = doctor(&f, &["dev"]);
    assert_eq!(code, 0, "{text}");
    let (l, _) = line(&text, "ok", "caller identity");
    assert!(
        l.contains("profile `dev` (…PLE1): account ") && l.contains("arn:aws:"),
        "{l}"
    );
    line(&text, "ok", "clock skew");
    let (code, text) = doctor(&f, &["admin"]);
    assert_eq!(code, 0, "{text}");
    let (l, _) = line(&text, "ok", "caller identity");
    assert!(l.contains("assumed-role/admin/"), "{l}");
}

#[test]
fn caller_identity_refused_fails_with_the_mapped_error() {
    let stub = Stub::start(Behaviour::error("AccessDenied"));
    let f = against(base(), &stub.endpoint());
    let (code, text) = doctor(&f, &["dev"]);
    assert_eq!(code, 1, "{text}");
    let (l, fix) = line(&text, "fail", "caller identity");
    assert!(
        l.contains("profile `dev` (…PLE1)") && l.contains("(AccessDenied"),
        "{l}"
    );
    let credentials = f.path(".aws/credentials").display().to_string();
    assert_eq!(
        fix.map(str::to_owned),
        Some(format!("${{EDITOR:-vi}} +2 {credentials}"))
    );
    // The clock is read from the error reply's Date header all the same.
    line(&text, "ok", "clock skew");
}

#[test]
fn exported_keys_are_checked_when_no_profile_is_named() {
    let stub = Stub::start(Behaviour::error("ExpiredToken"));
    let (code, text) = doctor(&against(exported(3600), &stub.endpoint()), &[]);
    assert_eq!(code, 1, "{text}");
    let (l, fix) = line(&text, "fail", "caller identity");
    assert!(
        l.contains("exported keys (AWS_ACCESS_KEY_ID …PLE2)") && l.contains("ExpiredToken"),
        "{l}"
    );
    assert_eq!(fix, Some("awsenv assume dev --refresh"));
    let signed: Vec<_> = stub.requests("GetCallerIdentity");
    assert_eq!(signed.len(), 2, "the clock probe, then the exported keys");
}

#[test]
fn a_profile_that_needs_mfa_warns_to_assume_it_in_a_terminal() {
    let stub = Stub::start(Behaviour::Ok);
    let f = against(
        base().with_config(
            "[profile dev]\nregion = eu-west-1\n[profile mfa]\nrole_arn = arn:aws:iam::123456789012:role/m\nsource_profile = dev\nmfa_serial = arn:aws:iam::123456789012:mfa/me\n",
        ),
        &stub.endpoint(),
    );
    let (code, text) = doctor(&f, &["mfa"]);
    assert_eq!(code, 0, "{text}");
    let (l, fix) = line(&text, "warn", "caller identity");
    assert!(l.contains("needs an MFA code"), "{l}");
    assert_eq!(fix, Some("awsenv assume mfa"));
    assert_eq!(stub.count("GetSessionToken") + stub.count("AssumeRole"), 0);
}

#[test]
fn a_static_session_token_sts_calls_expired_fails_with_file_and_line() {
    let stub = Stub::start(Behaviour::error("ExpiredToken"));
    let f = against(
        base().with_credentials(&format!(
            "[dev]\naws_access_key_id = AKIADOCTOREXAMPLE1\naws_secret_access_key = {SECRET}\naws_session_token = {TOKEN}\n"
        )),
        &stub.endpoint(),
    );
    for args in [&["dev"][..], &[]] {
        let (code, text) = doctor(&f, args);
        assert_eq!(code, 1, "{text}");
        let (l, fix) = line(&text, "fail", "static session token");
        let place = format!("{}:4", f.path(".aws/credentials").display());
        assert!(
            l.contains(&format!(
                "profile `dev` has a static aws_session_token at {place}"
            )) && l.contains("STS: ExpiredToken"),
            "{l}"
        );
        assert!(fix.unwrap().contains("+4 "), "{fix:?}");
    }
    // `doctor dev` asks once with the profile's keys, for both checks (plus the clock probe).
    assert_eq!(stub.count("GetCallerIdentity"), 2 + 2);
}

#[test]
fn a_static_session_token_sts_still_accepts_warns() {
    let stub = Stub::start(Behaviour::Ok);
    let f = against(
        base().with_credentials(&format!(
            "[dev]\naws_access_key_id = AKIADOCTOREXAMPLE1\naws_secret_access_key = {SECRET}\naws_session_token = {TOKEN}\n"
        )),
        &stub.endpoint(),
    );
    let (code, text) = doctor(&f, &["dev"]);
    assert_eq!(code, 0, "{text}");
    let (l, _) = line(&text, "warn", "static session token");
    assert!(l.contains("STS accepts it for now"), "{l}");
}

// ---------------------------------------------------------------------------------------
// Endpoints

#[test]
fn endpoints_show_where_sts_requests_go_and_what_chose_it() {
    let proxy = common::proxy::Proxy::start();
    let mut f = Fixture::new()
        .with_config(
            "[profile p]\nregion = us-east-1\nuse_fips_endpoint = true\n\
             aws_access_key_id = AKIADOCTOREXAMPLE1\naws_secret_access_key = doctorsecretvalue\n\n\
             [profile corp]\nregion = us-east-1\nservices = corp\n\
             aws_access_key_id = AKIADOCTOREXAMPLE1\naws_secret_access_key = doctorsecretvalue\n\n\
             [services corp]\nsts =\n  endpoint_url = https://vpce-1.sts.us-east-1.vpce.amazonaws.com\n",
        )
        .var("HTTPS_PROXY", proxy.url())
        .var("AWS_MAX_ATTEMPTS", "1");
    // Nothing leaves the machine: the proxy answers 502 to the clock probe.
    f.vars.remove("AWS_ENDPOINT_URL");
    let (_, text) = doctor(&f, &["p"]);
    let probed = proxy.targets();
    let host = probed[0].trim_end_matches(":443");
    let (sts, _) = line(&text, "ok", "endpoints");
    assert!(
        sts.contains(&format!("STS at https://{host}"))
            && sts.contains("FIPS by use_fips_endpoint in profile `p`"),
        "{text}"
    );
    assert!(
        text.contains("through the proxy http://127.0.0.1:"),
        "{text}"
    );
    proxy.clear();
    let (_, text) = doctor(&f, &["corp"]);
    let host = proxy.targets()[0].trim_end_matches(":443").to_owned();
    let (sts, _) = line(&text, "ok", "endpoints");
    assert!(
        sts.contains(&format!("STS at https://{host}"))
            && sts.contains("(by [services corp] sts.endpoint_url (profile `corp`))"),
        "{text}"
    );
}

#[test]
fn endpoints_show_the_ca_bundle_in_force_and_a_missing_one_fails() {
    let ca = common::tls::PrivateCa::new();
    let f = base().var("AWS_CA_BUNDLE", ca.bundle().display().to_string());
    let (_, text) = doctor(&f, &["dev"]);
    assert!(
        text.contains(&format!(
            "TLS: only the CA bundle {} (from AWS_CA_BUNDLE) is trusted",
            ca.bundle().display()
        )),
        "{text}"
    );
    let missing = ca.dir.path().join("gone.pem");
    let f = base().var("AWS_CA_BUNDLE", missing.display().to_string());
    let (code, text) = doctor(&f, &["dev"]);
    assert_eq!(code, 1, "{text}");
    let (said, fix) = line(&text, "fail", "endpoints");
    assert!(said.contains(&missing.display().to_string()), "{said}");
    assert!(fix.is_some_and(|f| f.contains("AWS_CA_BUNDLE")), "{text}");
}
