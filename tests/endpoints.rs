//! Where requests go, with the AWS CLI from `.venv` as the oracle: for each endpoint setting
//! (FIPS, dual-stack, `endpoint_url`, `[services]`, the variables, and the precedence
//! between them) the CLI and awsenv run on the same files and variables through a CONNECT
//! proxy that records the host and answers 502; the AssumeRole must go to the same host.
//! The expected host is whatever the CLI asked for on that run.
//!
//! And private CAs: an HTTPS STS stub with a certificate from a CA the test makes; with the
//! CA in `AWS_CA_BUNDLE` (or `ca_bundle`) both clients succeed, without it both fail and
//! awsenv says the certificate is not trusted.

mod common;

use common::proxy::Proxy;
use common::stub::{Behaviour, HttpsStub, SECRET_MARK};
use common::tls::{PrivateCa, is_pem};
use common::{Fixture, stderr, stdout};

const SOURCE: &str = "[profile src]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n\
    aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n";

/// Profile `P`, a role assumed with `src`'s keys, in `region`, with `extra` lines, then
/// `sections` after it.
fn config(region: &str, extra: &str, sections: &str) -> String {
    format!(
        "{SOURCE}\n[profile P]\nrole_arn = arn:aws:iam::123456789012:role/oracle\nsource_profile = src\nregion = {region}\n{extra}\n{sections}"
    )
}

/// The host both the AWS CLI and awsenv sent their first request to (asserted equal), for
/// profile `P` of `files` with `vars`.
fn same_host(row: &str, files: &str, vars: &[(&str, &str)]) -> String {
    let proxy = Proxy::start();
    let mut f = Fixture::new().with_config(files);
    // No fixed endpoint here: the settings under test choose it, the proxy stops it.
    f.vars.remove("AWS_ENDPOINT_URL");
    f.set("HTTPS_PROXY", proxy.url());
    f.set("AWS_MAX_ATTEMPTS", "1");
    for (name, value) in vars {
        f.set(name, *value);
    }
    let cli = f.aws(["sts", "get-caller-identity", "--profile", "P"]);
    assert!(!cli.status.success(), "{row}: the proxy answers 502");
    let expected = proxy.targets();
    assert!(
        !expected.is_empty(),
        "{row}: the AWS CLI sent nothing through the proxy: {}",
        stderr(&cli)
    );
    proxy.clear();
    let ours = f.run(["assume", "P", "--shell", "sh"]);
    assert_eq!(ours.status.code(), Some(1), "{row}: {}", stderr(&ours));
    assert_eq!(stdout(&ours), "false\n", "{row}");
    let got = proxy.targets();
    assert_eq!(
        got.first(),
        expected.first(),
        "{row}: awsenv went elsewhere than the AWS CLI ({})",
        stderr(&ours)
    );
    expected[0].clone()
}

#[test]
fn use_fips_endpoint_in_the_profile_goes_where_the_cli_goes() {
    let plain = same_host("plain us-east-1", &config("us-east-1", "", ""), &[]);
    let fips = same_host(
        "use_fips_endpoint",
        &config("us-east-1", "use_fips_endpoint = true", ""),
        &[],
    );
    assert_ne!(fips, plain, "FIPS changes the host");
    // A configured endpoint URL wins over FIPS (the AWS CLI drops FIPS; the Rust SDK alone
    // would refuse the pair).
    let url = same_host(
        "AWS_ENDPOINT_URL_STS with use_fips_endpoint",
        &config("us-east-1", "use_fips_endpoint = true", ""),
        &[("AWS_ENDPOINT_URL_STS", "https://sts-var.corp.example")],
    );
    assert_ne!(url, fips);
}

#[test]
fn aws_use_fips_endpoint_goes_where_the_cli_goes() {
    let plain = same_host("plain us-east-2", &config("us-east-2", "", ""), &[]);
    let fips = same_host(
        "AWS_USE_FIPS_ENDPOINT",
        &config("us-east-2", "", ""),
        &[("AWS_USE_FIPS_ENDPOINT", "true")],
    );
    assert_ne!(fips, plain);
    // The variable wins over the profile's own setting.
    let off = same_host(
        "AWS_USE_FIPS_ENDPOINT=false over use_fips_endpoint",
        &config("us-east-2", "use_fips_endpoint = true", ""),
        &[("AWS_USE_FIPS_ENDPOINT", "false")],
    );
    assert_eq!(off, plain);
}

#[test]
fn use_dualstack_endpoint_goes_where_the_cli_goes() {
    let plain = same_host("plain eu-west-1", &config("eu-west-1", "", ""), &[]);
    let dual = same_host(
        "use_dualstack_endpoint",
        &config("eu-west-1", "use_dualstack_endpoint = true", ""),
        &[],
    );
    assert_ne!(dual, plain);
    same_host(
        "AWS_USE_DUALSTACK_ENDPOINT",
        &config("eu-west-1", "", ""),
        &[("AWS_USE_DUALSTACK_ENDPOINT", "true")],
    );
}

const CORP: &str = "[services corp]\nsts =\n  endpoint_url = https://vpce-0a1b2c3d.sts.us-east-1.vpce.amazonaws.com\n";

#[test]
fn endpoint_url_and_services_sections_go_where_the_cli_goes() {
    let plain = same_host("plain", &config("us-east-1", "", ""), &[]);
    let profile = same_host(
        "endpoint_url",
        &config("us-east-1", "endpoint_url = https://sts.corp.example", ""),
        &[],
    );
    assert_ne!(profile, plain);
    let services = same_host(
        "services = corp",
        &config("us-east-1", "services = corp", CORP),
        &[],
    );
    assert_ne!(services, plain);
    // The [services] entry wins over the profile's endpoint_url.
    let both = same_host(
        "services over endpoint_url",
        &config(
            "us-east-1",
            "services = corp\nendpoint_url = https://sts.corp.example",
            CORP,
        ),
        &[],
    );
    assert_eq!(both, services);
}

#[test]
fn the_variables_win_over_the_files_as_the_cli_has_it() {
    let files = config(
        "us-east-1",
        "services = corp\nendpoint_url = https://sts.corp.example",
        CORP,
    );
    let service_var = same_host(
        "AWS_ENDPOINT_URL_STS over [services]",
        &files,
        &[("AWS_ENDPOINT_URL_STS", "https://sts-var.corp.example")],
    );
    let global_var = same_host(
        "AWS_ENDPOINT_URL over [services]",
        &files,
        &[("AWS_ENDPOINT_URL", "https://all.corp.example")],
    );
    assert_ne!(service_var, global_var);
    let both = same_host(
        "AWS_ENDPOINT_URL_STS over AWS_ENDPOINT_URL",
        &files,
        &[
            ("AWS_ENDPOINT_URL_STS", "https://sts-var.corp.example"),
            ("AWS_ENDPOINT_URL", "https://all.corp.example"),
        ],
    );
    assert_eq!(both, service_var);
    let plain = same_host("plain", &config("us-east-1", "", ""), &[]);
    let ignored = same_host(
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
        &files,
        &[
            ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"),
            ("AWS_ENDPOINT_URL_STS", "https://sts-var.corp.example"),
        ],
    );
    assert_eq!(ignored, plain);
}

#[test]
fn the_selected_profiles_settings_govern_the_whole_chain() {
    // use_fips_endpoint on the source profile only: the CLI's AssumeRole client is the
    // selected profile's, so it is not FIPS; neither is awsenv's.
    let files = format!(
        "{SOURCE}use_fips_endpoint = true\nregion = us-west-2\n\n[profile P]\nrole_arn = arn:aws:iam::123456789012:role/oracle\nsource_profile = src\nregion = us-east-1\n"
    );
    let plain = same_host("plain", &config("us-east-1", "", ""), &[]);
    assert_eq!(same_host("settings of the source", &files, &[]), plain);
}

// ---------------------------------------------------------------------------------------
// Private CAs

/// Profile `P` (a role on `src`'s keys) and STS at the HTTPS stub.
fn tls_fixture(stub: &HttpsStub, extra: &str) -> Fixture {
    Fixture::new()
        .with_config(&config("us-east-1", extra, ""))
        .var("AWS_ENDPOINT_URL_STS", stub.endpoint())
        .var("AWS_MAX_ATTEMPTS", "1")
        .var("AWSENV_STS_TIMEOUT", "10")
}

#[test]
fn aws_ca_bundle_naming_a_private_ca_is_trusted_by_both() {
    let ca = PrivateCa::new();
    assert!(is_pem(&ca.bundle()));
    let stub = HttpsStub::start(Behaviour::Ok, &ca);
    let f = tls_fixture(&stub, "").var("AWS_CA_BUNDLE", ca.bundle().display().to_string());
    let cli = f.aws(["sts", "get-caller-identity", "--profile", "P"]);
    assert!(cli.status.success(), "the AWS CLI: {}", stderr(&cli));
    let ours = f.run(["assume", "P", "--shell", "sh"]);
    assert_eq!(ours.status.code(), Some(0), "{}", stderr(&ours));
    assert!(stdout(&ours).contains("AWS_SESSION_TOKEN="));
    assert!(stub.stub.count("AssumeRole") >= 2, "both went through TLS");
}

#[test]
fn ca_bundle_in_the_profile_is_trusted_by_both() {
    let ca = PrivateCa::new();
    let stub = HttpsStub::start(Behaviour::Ok, &ca);
    let f = tls_fixture(&stub, &format!("ca_bundle = {}", ca.bundle().display()));
    let cli = f.aws(["sts", "get-caller-identity", "--profile", "P"]);
    assert!(cli.status.success(), "the AWS CLI: {}", stderr(&cli));
    let ours = f.run(["assume", "P", "--shell", "sh"]);
    assert_eq!(ours.status.code(), Some(0), "{}", stderr(&ours));
}

#[test]
fn without_the_bundle_both_fail_and_awsenv_names_the_certificate() {
    let ca = PrivateCa::new();
    let stub = HttpsStub::start(Behaviour::Ok, &ca);
    let f = tls_fixture(&stub, "");
    let cli = f.aws(["sts", "get-caller-identity", "--profile", "P"]);
    assert!(!cli.status.success(), "the AWS CLI trusts no private CA");
    let ours = f.run(["assume", "P", "--shell", "sh"]);
    assert_eq!(ours.status.code(), Some(1), "{}", stderr(&ours));
    assert_eq!(stdout(&ours), "false\n");
    let said = stderr(&ours);
    let host = stub.endpoint().trim_start_matches("https://").to_owned();
    assert!(
        said.contains(&format!("the TLS certificate of {host} is not trusted"))
            && said.contains("AWS_CA_BUNDLE"),
        "{said}"
    );
    assert!(!said.contains("could not reach"), "{said}");
    assert_eq!(stub.stub.count("AssumeRole"), 0);
}

#[test]
fn a_missing_ca_bundle_is_exit_2_naming_the_file() {
    let ca = PrivateCa::new();
    let stub = HttpsStub::start(Behaviour::Ok, &ca);
    let missing = ca.dir.path().join("nowhere.pem");
    let f = tls_fixture(&stub, "").var("AWS_CA_BUNDLE", missing.display().to_string());
    let ours = f.run(["assume", "P", "--shell", "sh"]);
    assert_eq!(ours.status.code(), Some(2), "{}", stderr(&ours));
    assert!(
        stderr(&ours).contains(&missing.display().to_string()),
        "{}",
        stderr(&ours)
    );
    assert_eq!(stub.stub.total(), 0);
}

#[test]
fn verbose_logs_each_decision_and_no_secret() {
    let ca = PrivateCa::new();
    let stub = HttpsStub::start(Behaviour::Ok, &ca);
    let f = tls_fixture(&stub, "").var("AWS_CA_BUNDLE", ca.bundle().display().to_string());
    let first = f.run(["-v", "assume", "P", "--shell", "sh"]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let said = stderr(&first);
    for line in [
        "awsenv: debug: profile `P`: assume arn:aws:iam::123456789012:role/oracle",
        "static keys …MPLE of profile `src`",
        "awsenv: debug: cache miss",
        "awsenv: debug: STS endpoint https://localhost:",
        "(by AWS_ENDPOINT_URL_STS)",
        "awsenv: debug: request STS.AssumeRole to https://localhost:",
        "CA bundle",
    ] {
        assert!(said.contains(line), "{line:?} in {said}");
    }
    assert!(!said.contains("AKIAIOSFODNN7EXAMPLE"), "{said}");
    assert!(!said.contains("wJalrXUtnFEMI"), "{said}");
    assert!(!said.contains(SECRET_MARK), "{said}");
    let again = f
        .var("AWSENV_LOG", "debug")
        .run(["assume", "P", "--shell", "sh"]);
    assert!(
        stderr(&again).contains("awsenv: debug: cache hit"),
        "{}",
        stderr(&again)
    );
    assert!(
        !stderr(&again).contains("request STS"),
        "{}",
        stderr(&again)
    );
}

// ---------------------------------------------------------------------------------------
// Chain rules, against the AWS CLI

#[test]
fn static_keys_on_a_source_profile_end_the_chain_for_both() {
    use common::stub::{SIGNED_BY, Stub};
    let files = "[profile A]\nrole_arn = arn:aws:iam::123456789012:role/a\nsource_profile = B\n\n\
        [profile B]\nrole_arn = arn:aws:iam::123456789012:role/b\nsource_profile = C\n\
        aws_access_key_id = AKIABKEYSEXAMPLE0001\naws_secret_access_key = secretB\n\n\
        [profile C]\naws_access_key_id = AKIACKEYSEXAMPLE0002\naws_secret_access_key = secretC\n";
    for client in ["aws", "awsenv"] {
        let stub = Stub::start(Behaviour::Ok);
        let f = Fixture::new()
            .with_config(files)
            .var("AWS_ENDPOINT_URL_STS", stub.endpoint())
            .var("AWS_DEFAULT_REGION", "us-east-1");
        let out = match client {
            "aws" => f.aws(["sts", "get-caller-identity", "--profile", "A"]),
            _ => f.run(["assume", "A", "--shell", "sh"]),
        };
        assert!(out.status.success(), "{client}: {}", stderr(&out));
        let assumed = stub.requests("AssumeRole");
        assert_eq!(assumed.len(), 1, "{client}: only A's role: {assumed:?}");
        assert!(assumed[0]["RoleArn"].ends_with(":role/a"), "{client}");
        assert_eq!(assumed[0][SIGNED_BY], "AKIABKEYSEXAMPLE0001", "{client}");
    }
}
