//! The federation sign-in URL behind `awsenv console`: the partition's sign-in and console
//! hosts, the `getSigninToken` request, the `login` URL, and opening it in a browser.
//!
//! Credentials go only into the one HTTPS request to the sign-in endpoint, never into an
//! argv, a log or an error; errors name the endpoint's host, never the URL. STS is not
//! touched here (`sts` gets the federation token for long-term keys).

use std::time::Duration;

use crate::aws::{self, GetError, Settings};
use crate::env::{Context, Credentials};
use crate::error::{Error, Result};

/// Replaces the sign-in host (tests point it at a local stub).
pub const ENDPOINT_VAR: &str = "AWSENV_FEDERATION_ENDPOINT";
/// The issuer the console shows a federated session came from.
const ISSUER: &str = "awsenv";
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
const DEFAULT_TIMEOUT: i64 = 20;
/// A sign-in reply larger than this is not one.
const MAX_REPLY: usize = 64 * 1024;

/// The sign-in and console hosts of the partition `region` is in.
pub fn hosts(region: Option<&str>) -> (&'static str, &'static str) {
    match region {
        Some(r) if r.starts_with("cn-") => ("signin.amazonaws.cn", "console.amazonaws.cn"),
        Some(r) if r.starts_with("us-gov-") => (
            "signin.amazonaws-us-gov.com",
            "console.amazonaws-us-gov.com",
        ),
        _ => ("signin.aws.amazon.com", "console.aws.amazon.com"),
    }
}

/// Where sign-in requests go: `AWSENV_FEDERATION_ENDPOINT`, else the partition's host;
/// `/federation` is appended.
pub fn federation_url(ctx: &Context, region: Option<&str>) -> String {
    let base = ctx.var(ENDPOINT_VAR).map_or_else(
        || format!("https://{}", hosts(region).0),
        |b| b.trim_end_matches('/').to_owned(),
    );
    format!("{base}/federation")
}

/// The console page to land on: `service`'s home (the console's own without one), in
/// `region` when known.
pub fn destination(region: Option<&str>, service: Option<&str>) -> String {
    let host = hosts(region).1;
    let service = service.unwrap_or("console");
    match region {
        Some(r) => format!(
            "https://{host}/{service}/home?region={}",
            urlencoding::encode(r)
        ),
        None => format!("https://{host}/{service}/home"),
    }
}

/// The `Session` parameter of `getSigninToken`: exactly the three credentials.
pub fn session_json(creds: &Credentials) -> String {
    serde_json::json!({
        "sessionId": creds.access_key_id,
        "sessionKey": creds.secret_access_key,
        "sessionToken": creds.session_token.as_deref().unwrap_or_default(),
    })
    .to_string()
}

/// The `getSigninToken` request. `SessionDuration` only where AWS accepts it (a role
/// assumed with long-term keys); it refuses it for chained roles and federation tokens.
pub fn token_url(federation: &str, creds: &Credentials, session_duration: Option<i64>) -> String {
    let mut url = format!("{federation}?Action=getSigninToken");
    if let Some(secs) = session_duration {
        url.push_str(&format!("&SessionDuration={secs}"));
    }
    url.push_str("&Session=");
    url.push_str(&urlencoding::encode(&session_json(creds)));
    url
}

/// The URL that signs the browser in and lands on `destination`.
pub fn login_url(federation: &str, destination: &str, token: &str) -> String {
    format!(
        "{federation}?Action=login&Issuer={ISSUER}&Destination={}&SigninToken={}",
        urlencoding::encode(destination),
        urlencoding::encode(token)
    )
}

/// The name of a federation token for `profile`: STS's alphabet `[A-Za-z0-9+=,.@_-]`,
/// 2 to 32 characters.
pub fn federation_name(profile: &str) -> String {
    let mut name: String = profile
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "+=,.@_-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .take(32)
        .collect();
    if name.len() < 2 {
        name = format!("awsenv-{name}").chars().take(32).collect();
    }
    name
}

/// A sign-in token for `creds` from the federation endpoint, reached as the profile's SDK
/// clients reach AWS (`settings`: its CA bundle; the proxy from the environment).
pub fn signin_token(
    ctx: &Context,
    settings: &Settings,
    federation: &str,
    creds: &Credentials,
    session_duration: Option<i64>,
    profile: &str,
) -> Result<String> {
    let host = host_of(federation);
    let failed = |why: String| {
        Error::credentials(
            profile,
            format!("console sign-in at {host}: {why}; check the network, or {ENDPOINT_VAR}"),
        )
    };
    check_federation(federation, profile)?;
    let roots = settings.trusted_roots()?;
    let url = token_url(federation, creds, session_duration);
    let timeout = ctx
        .duration_var("AWSENV_STS_TIMEOUT", DEFAULT_TIMEOUT)
        .max(1);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| failed(format!("could not start the HTTP client ({e})")))?;
    let bound = Duration::from_secs(timeout.unsigned_abs());
    let reply = runtime.block_on(async {
        let fetch = aws::get(roots.as_deref(), &url, CONNECT_TIMEOUT, bound, MAX_REPLY);
        tokio::time::timeout(bound, fetch).await.map_err(|_| {
            GetError::Failed(format!("no answer within {timeout} s (AWSENV_STS_TIMEOUT)"))
        })?
    });
    let (status, body) = reply.map_err(|e| match e {
        GetError::Untrusted(why) => Error::credentials(profile, format!("console sign-in: {why}")),
        GetError::Failed(why) => failed(why),
    })?;
    if status != 200 {
        return Err(Error::credentials(
            profile,
            format!(
                "console sign-in at {host} refused the credentials (HTTP {status}); they may not be allowed to sign in to the console (a GetSessionToken session never is)"
            ),
        ));
    }
    serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v.get("SigninToken")?.as_str().map(str::to_owned))
        .filter(|t| !t.is_empty())
        .ok_or_else(|| failed("the reply held no SigninToken".into()))
}

/// The federation URL is one that may carry credentials: a URL, https unless to loopback.
pub fn check_federation(federation: &str, profile: &str) -> Result<()> {
    let host = host_of(federation);
    let url: http::Uri = federation.parse().map_err(|_| {
        Error::usage(
            profile,
            format!("{ENDPOINT_VAR} is not a URL ({host}); set it to like https://host"),
        )
    })?;
    match url.scheme_str() {
        Some("https") => Ok(()),
        Some("http") if is_loopback(url.host().unwrap_or_default()) => Ok(()),
        _ => Err(Error::usage(
            profile,
            format!(
                "{ENDPOINT_VAR} is {host}; the sign-in request carries credentials, so use https (plain http only to loopback)"
            ),
        )),
    }
}

/// `scheme://host[:port]` of `url`, as messages show it: never the path or query.
fn host_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit('@').next().unwrap_or_default();
    if scheme.is_empty() {
        host.to_owned()
    } else {
        format!("{scheme}://{host}")
    }
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Open `url` in the browser: `$BROWSER URL` when set (one command, the URL its one
/// argument), else the system's opener. A failure says to use `--print`; the URL is not
/// in the message.
pub fn open(ctx: &Context, url: &str, profile: &str) -> Result<()> {
    let mut command = crate::platform::browser(ctx, url);
    let shown = command.get_program().to_string_lossy().into_owned();
    let cannot = |why: String| {
        Error::usage(
            profile,
            format!(
                "cannot open the console with `{shown}` ({why}); run `awsenv console {profile} --print` and open the URL yourself"
            ),
        )
    };
    let mut child = command
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .spawn()
        .map_err(|e| cannot(e.to_string()))?;
    // Openers hand the URL over and exit; a browser started directly keeps running, and is
    // left to run.
    for _ in 0..40 {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => return Err(cannot(format!("it exited with {status}"))),
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(cannot(e.to_string())),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(token: Option<&str>) -> Credentials {
        Credentials {
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: "se/cr+et".into(),
            session_token: token.map(str::to_owned),
            expires_at: Some(1),
        }
    }

    #[test]
    fn partitions_choose_hosts() {
        assert_eq!(hosts(Some("eu-west-1")).0, "signin.aws.amazon.com");
        assert_eq!(hosts(None).1, "console.aws.amazon.com");
        assert_eq!(hosts(Some("cn-north-1")).0, "signin.amazonaws.cn");
        assert_eq!(
            hosts(Some("us-gov-west-1")).1,
            "console.amazonaws-us-gov.com"
        );
        assert_eq!(
            destination(Some("cn-northwest-1"), Some("s3")),
            "https://console.amazonaws.cn/s3/home?region=cn-northwest-1"
        );
        assert_eq!(
            destination(None, None),
            "https://console.aws.amazon.com/console/home"
        );
    }

    #[test]
    fn the_endpoint_variable_replaces_the_signin_host() {
        let ctx = Context::fake(&[(ENDPOINT_VAR, "http://127.0.0.1:9/")], 0);
        assert_eq!(
            federation_url(&ctx, Some("cn-north-1")),
            "http://127.0.0.1:9/federation"
        );
        let ctx = Context::fake(&[], 0);
        assert_eq!(
            federation_url(&ctx, Some("us-gov-east-1")),
            "https://signin.amazonaws-us-gov.com/federation"
        );
    }

    #[test]
    fn the_session_holds_exactly_the_credentials() {
        let json: serde_json::Value =
            serde_json::from_str(&session_json(&creds(Some("tok")))).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"sessionId": "ASIAEXAMPLE", "sessionKey": "se/cr+et", "sessionToken": "tok"})
        );
        let url = token_url("https://h/federation", &creds(Some("t")), Some(3600));
        assert!(url.starts_with(
            "https://h/federation?Action=getSigninToken&SessionDuration=3600&Session=%7B"
        ));
        assert!(!url.contains("se/cr+et"), "{url}");
        assert!(!token_url("https://h/federation", &creds(None), None).contains("SessionDuration"));
    }

    #[test]
    fn the_login_url_encodes_destination_and_token() {
        let url = login_url(
            "https://signin.aws.amazon.com/federation",
            "https://console.aws.amazon.com/s3/home?region=eu-west-1",
            "a+b/c",
        );
        assert_eq!(
            url,
            "https://signin.aws.amazon.com/federation?Action=login&Issuer=awsenv&Destination=https%3A%2F%2Fconsole.aws.amazon.com%2Fs3%2Fhome%3Fregion%3Deu-west-1&SigninToken=a%2Bb%2Fc"
        );
    }

    #[test]
    fn federation_names_fit_sts() {
        assert_eq!(federation_name("prod admin/x"), "prod-admin-x");
        assert_eq!(federation_name("p"), "awsenv-p");
        assert_eq!(federation_name(&"x".repeat(40)).len(), 32);
        assert_eq!(federation_name("dev+ops@corp"), "dev+ops@corp");
    }

    #[test]
    fn messages_show_the_host_only() {
        assert_eq!(
            host_of("https://signin.aws.amazon.com/federation?Session=secret"),
            "https://signin.aws.amazon.com"
        );
        assert_eq!(host_of("http://u:p@127.0.0.1:8/x"), "http://127.0.0.1:8");
        assert!(is_loopback("127.0.0.1") && is_loopback("[::1]") && is_loopback("localhost"));
        assert!(!is_loopback("10.0.0.1"));
    }
}
