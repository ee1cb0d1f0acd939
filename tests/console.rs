//! `awsenv console` against moto's STS and our stub federation endpoint: the `Session` the
//! endpoint receives, GetFederationToken for long-term keys only, `SessionDuration` only
//! where AWS allows it, the login URL's `Destination` per partition, and `$BROWSER`.

#![cfg(unix)] // shell scripts as the browser

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::moto::shared;
use common::proxy::Proxy;
use common::stub::{Behaviour, HttpsStub, SIGNIN_MARK, Stub};
use common::tls::PrivateCa;
use common::{Fixture, stderr, stdout};

const STATIC_SECRET: &str = "staticsecretKEYdonotleak";

const CONFIG: &str = "[profile dev]
region = eu-west-1
[profile role]
role_arn = arn:aws:iam::123456789012:role/one
source_profile = dev
[profile chained]
role_arn = arn:aws:iam::123456789012:role/two
source_profile = role
[profile china]
role_arn = arn:aws:iam::123456789012:role/cn
source_profile = dev
region = cn-north-1
[profile gov]
role_arn = arn:aws:iam::123456789012:role/gov
source_profile = dev
region = us-gov-west-1
[profile long]
role_arn = arn:aws:iam::123456789012:role/long
source_profile = dev
duration_seconds = 7200
";

/// Profiles whose STS is `sts` and whose sign-in host is `federation`.
fn fixture(sts: &str, federation: &Stub) -> Fixture {
    Fixture::new()
        .with_config(CONFIG)
        .with_credentials(&format!(
            "[dev]\naws_access_key_id = AKIDDEVSTATIC\naws_secret_access_key = {STATIC_SECRET}\n"
        ))
        .var("AWS_ENDPOINT_URL_STS", sts)
        .var("AWSENV_FEDERATION_ENDPOINT", federation.endpoint())
        .var("AWSENV_STS_TIMEOUT", "10")
}

/// `awsenv console ARGS`, checked to succeed and never to leak a secret on stderr.
fn console(f: &Fixture, args: &[&str]) -> std::process::Output {
    let mut all = vec!["console"];
    all.extend_from_slice(args);
    let out = f.run(&all);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
    for secret in [STATIC_SECRET, SIGNIN_MARK, "STUBSECRET"] {
        assert!(!err.contains(secret), "secret on stderr: {err}");
    }
    out
}

/// The query parameters of `url`, decoded.
fn query(url: &str) -> HashMap<String, String> {
    let (_, q) = url.split_once('?').expect("a query");
    q.split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_owned(), urlencoding::decode(v).unwrap().into_owned()))
        .collect()
}

/// The `Session` JSON of the last getSigninToken request, and its `SessionDuration`.
fn last_signin(stub: &Stub) -> (serde_json::Value, Option<String>) {
    let requests = stub.requests("getSigninToken");
    let last = requests.last().expect("a getSigninToken request");
    let session = serde_json::from_str(&last["Session"]).expect("Session is JSON");
    (session, last.get("SessionDuration").cloned())
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

#[test]
fn a_role_signs_in_with_the_credentials_assume_exports() {
    let federation = Stub::start(Behaviour::Ok);
    let f = fixture(&shared(), &federation);
    let assumed = f.run(["assume", "role", "--shell", "bash"]);
    assert_eq!(assumed.status.code(), Some(0), "{}", stderr(&assumed));
    let vars = exports(&assumed);
    let out = console(&f, &["role", "--print"]);
    let url = stdout(&out);
    assert_eq!(url.lines().count(), 1, "{url}");
    let url = url.trim_end();
    assert!(
        url.starts_with(&format!(
            "{}/federation?Action=login&Issuer=awsenv&",
            federation.endpoint()
        )),
        "{url}"
    );
    let login = query(url);
    assert!(login["SigninToken"].starts_with(SIGNIN_MARK), "{url}");
    assert_eq!(
        login["Destination"],
        "https://console.aws.amazon.com/console/home?region=eu-west-1"
    );
    let (session, duration) = last_signin(&federation);
    assert_eq!(
        session,
        serde_json::json!({
            "sessionId": vars["AWS_ACCESS_KEY_ID"],
            "sessionKey": vars["AWS_SECRET_ACCESS_KEY"],
            "sessionToken": vars["AWS_SESSION_TOKEN"],
        })
    );
    // A role assumed with long-term keys may ask for a console session length.
    assert_eq!(duration.as_deref(), Some("3600"));
}

#[test]
fn a_static_profile_gets_a_federation_token_and_a_role_does_not() {
    let stub = Stub::start(Behaviour::Ok);
    let f = fixture(&stub.endpoint(), &stub);
    console(&f, &["dev", "--print"]);
    assert_eq!(stub.count("GetFederationToken"), 1);
    let fed = &stub.requests("GetFederationToken")[0];
    assert_eq!(fed["Name"], "dev");
    assert!(fed["Policy"].contains("\"Action\":\"*\""), "{fed:?}");
    let (session, duration) = last_signin(&stub);
    assert!(
        session["sessionId"]
            .as_str()
            .unwrap()
            .starts_with("ASIASTUB")
    );
    assert_ne!(session["sessionKey"], STATIC_SECRET);
    assert_eq!(duration, None, "federation tokens take no SessionDuration");

    console(&f, &["role", "--print"]);
    assert_eq!(stub.count("GetFederationToken"), 1);
    assert_eq!(stub.count("AssumeRole"), 1);
}

#[test]
fn a_static_profile_against_moto() {
    let federation = Stub::start(Behaviour::Ok);
    let f = fixture(&shared(), &federation);
    console(&f, &["dev", "--print"]);
    let (session, duration) = last_signin(&federation);
    let id = session["sessionId"].as_str().unwrap();
    assert!(!id.is_empty() && id != "AKIDDEVSTATIC", "{session}");
    assert!(!session["sessionToken"].as_str().unwrap().is_empty());
    assert_ne!(session["sessionKey"], STATIC_SECRET);
    assert_eq!(duration, None);
}

#[test]
fn session_duration_only_where_aws_allows_it() {
    let federation = Stub::start(Behaviour::Ok);
    let f = fixture(&shared(), &federation);
    console(&f, &["chained", "--print"]);
    assert_eq!(last_signin(&federation).1, None, "chained roles take none");
    console(&f, &["long", "--print"]);
    assert_eq!(last_signin(&federation).1.as_deref(), Some("7200"));
    console(&f, &["role", "--print", "--duration", "2h"]);
    assert_eq!(last_signin(&federation).1.as_deref(), Some("7200"));
}

#[test]
fn destinations_follow_the_service_the_region_and_the_partition() {
    let federation = Stub::start(Behaviour::Ok);
    let f = fixture(&shared(), &federation);
    let destination = |args: &[&str]| {
        let mut all = args.to_vec();
        all.push("--print");
        query(stdout(&console(&f, &all)).trim_end())["Destination"].clone()
    };
    assert_eq!(
        destination(&["role", "--service", "s3", "--region", "us-west-2"]),
        "https://console.aws.amazon.com/s3/home?region=us-west-2"
    );
    assert_eq!(
        destination(&["china", "--service", "ec2"]),
        "https://console.amazonaws.cn/ec2/home?region=cn-north-1"
    );
    assert_eq!(
        destination(&["gov"]),
        "https://console.amazonaws-us-gov.com/console/home?region=us-gov-west-1"
    );
    let mine = "https://console.aws.amazon.com/iam/home#/roles";
    assert_eq!(destination(&["role", "--destination", mine]), mine);
}

#[test]
fn the_browser_gets_the_url_as_its_one_argument() {
    let federation = Stub::start(Behaviour::Ok);
    let mut f = fixture(&shared(), &federation);
    let seen = f.path("browser-args");
    let browser = f.write(
        "bin/my browser",
        &format!(
            "#!/bin/sh\nprintf '%s\\n' \"$#\" \"$@\" > '{}.tmp'\nmv '{0}.tmp' '{0}'\n",
            seen.display()
        ),
    );
    std::fs::set_permissions(
        &browser,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    f.set("BROWSER", browser.display().to_string());
    let out = console(&f, &["role", "--service", "s3"]);
    assert_eq!(stdout(&out), "", "nothing on stdout without --print");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !seen.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let args = std::fs::read_to_string(&seen).expect("the browser ran");
    let lines: Vec<&str> = args.lines().collect();
    assert_eq!(lines.len(), 2, "{args}");
    assert_eq!(lines[0], "1");
    let login = query(lines[1]);
    assert_eq!(login["Action"], "login");
    assert!(login["SigninToken"].starts_with(SIGNIN_MARK));
    assert!(login["Destination"].contains("/s3/home"));
    assert!(!lines[1].contains("Session="), "no credentials in argv");
}

#[test]
fn a_failed_opener_says_to_use_print() {
    let federation = Stub::start(Behaviour::Ok);
    let f = fixture(&shared(), &federation).var("BROWSER", "/nonexistent/browser");
    let out = f.run(["console", "role"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("--print") && err.contains("`role`"), "{err}");
    assert!(!err.contains(SIGNIN_MARK), "{err}");
}

#[test]
fn refusals_and_bad_input_are_one_line_without_secrets() {
    let federation = Stub::start(Behaviour::error("AccessDenied"));
    let f = fixture(&shared(), &federation);
    let out = f.run(["console", "role", "--print"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("HTTP 403") && err.contains("`role`"), "{err}");
    assert!(
        !err.contains("Session=") && !err.contains("STUBSECRET"),
        "{err}"
    );

    let f = fixture(&shared(), &federation).var("AWSENV_FEDERATION_ENDPOINT", "http://10.1.2.3");
    let out = f.run(["console", "role", "--print"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("https"), "{}", stderr(&out));

    let out = f.run(["console", "--print"]);
    assert_eq!(out.status.code(), Some(2), "no profile, no terminal");
    assert!(stderr(&out).contains("no profile given"));
    let out = f.run(["console", "role", "--service", "S3 x"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn sign_in_goes_out_as_the_sdk_clients_do_ca_bundle_and_proxy() {
    let ca = PrivateCa::new();
    let federation = HttpsStub::start(Behaviour::Ok, &ca);
    let mut f = fixture(&shared(), &federation.stub)
        .var("AWSENV_FEDERATION_ENDPOINT", federation.endpoint());
    let host = federation
        .endpoint()
        .trim_start_matches("https://")
        .to_owned();

    // A private CA that is not trusted is said to be that, not a network failure.
    let untrusted = f.run(["console", "role", "--print"]);
    assert_eq!(untrusted.status.code(), Some(1), "{}", stderr(&untrusted));
    let said = stderr(&untrusted);
    assert!(
        said.contains(&format!("the TLS certificate of {host} is not trusted"))
            && said.contains("AWS_CA_BUNDLE"),
        "{said}"
    );
    assert!(!said.contains("check the network"), "{said}");
    assert!(!said.contains(STATIC_SECRET), "{said}");
    assert_eq!(stdout(&untrusted), "");
    assert_eq!(federation.stub.count("getSigninToken"), 0);

    // AWS_CA_BUNDLE, as for STS: the sign-in goes through.
    f.set("AWS_CA_BUNDLE", ca.bundle().display().to_string());
    let out = console(&f, &["role", "--print"]);
    assert!(
        stdout(&out).starts_with(&format!("{}/federation?", federation.endpoint())),
        "{}",
        stdout(&out)
    );
    assert_eq!(federation.stub.count("getSigninToken"), 1);

    // A missing bundle is a usage error naming the file, before any request.
    let missing = ca.dir.path().join("nowhere.pem");
    f.set("AWS_CA_BUNDLE", missing.display().to_string());
    let out = f.run(["console", "role", "--print"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains(&missing.display().to_string()));
    f.set("AWS_CA_BUNDLE", ca.bundle().display().to_string());

    // HTTPS_PROXY carries the sign-in request, as it carries the SDK's.
    let proxy = Proxy::start();
    f.set("HTTPS_PROXY", proxy.url());
    let out = f.run(["console", "role", "--print"]);
    assert_eq!(out.status.code(), Some(1), "the proxy answers 502");
    assert_eq!(proxy.targets(), vec![host], "{}", stderr(&out));
    assert_eq!(federation.stub.count("getSigninToken"), 1);
}
