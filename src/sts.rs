//! The only place that talks to STS, and the only place that starts an async runtime.
//!
//! `Sts` is one configured client (explicit credentials per call, never the process
//! environment; bounded connect and whole-call time; retries with backoff on throttling) on a
//! current-thread tokio runtime. What STS returns is checked before use, and every failure
//! becomes one line that says what to do, with no secret in it.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::provider_config::ProviderConfig;
use aws_sdk_sts::config::interceptors::BeforeDeserializationInterceptorContextRef;
use aws_sdk_sts::config::{
    ConfigBag, Intercept, ProvideCredentials, Region, RuntimeComponents, SharedCredentialsProvider,
};
use aws_sdk_sts::error::{BoxError, ProvideErrorMetadata, SdkError};

use crate::aws::{self, Aws, Service, Settings};
use crate::env::{Context, Credentials};
use crate::error::{Error, Result};
use crate::log::debug;
use crate::profile::{self, Config, Kind};

/// The most a diagnosis waits for STS: a slow STS is itself the finding there.
pub const PROBE_TIMEOUT: i64 = 5;

/// Who a set of credentials belongs to, and STS's clock when it said so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerIdentity {
    pub account: String,
    pub arn: String,
    pub user_id: String,
    /// Unix seconds from the reply's `Date` header.
    pub server_date: Option<i64>,
}

/// An STS failure: the error code when STS sent one, and the line a user sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub code: Option<String>,
    pub message: String,
    /// STS could not be reached (refused, unresolved, no answer in time): no verdict on the
    /// credentials.
    pub unreachable: bool,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl Failure {
    fn new(message: impl Into<String>) -> Self {
        Self {
            code: None,
            message: message.into(),
            unreachable: false,
        }
    }

    fn no_answer(message: impl Into<String>) -> Self {
        Self {
            unreachable: true,
            ..Self::new(message)
        }
    }

    /// As the error a command returns (exit 1), naming `profile`.
    pub fn for_profile(&self, profile: &str) -> Error {
        Error::credentials(profile, &self.message)
    }
}

/// One AssumeRole request.
#[derive(Debug, Clone)]
pub struct AssumeRole<'a> {
    pub role_arn: &'a str,
    pub session_name: &'a str,
    pub duration: i64,
    pub external_id: Option<&'a str>,
    /// MFA serial and code, passed when the caller's credentials are already temporary.
    pub mfa: Option<(&'a str, &'a str)>,
}

/// Where aws-config's own providers find the first credentials of a chain.
#[derive(Debug, Clone)]
pub enum Provided<'a> {
    /// `credential_source = Ec2InstanceMetadata`.
    Imds,
    /// `credential_source = EcsContainer`.
    Ecs,
    /// An SSO, `login_session`, `credential_process` or `web_identity_token_file` profile.
    Profile {
        name: &'a str,
        kind: Kind,
        config_file: &'a Path,
        credentials_file: &'a Path,
    },
}

/// A configured STS client on its own current-thread runtime.
pub struct Sts {
    client: aws_sdk_sts::Client,
    aws: Aws,
    endpoint: String,
    now: i64,
    date: Arc<Mutex<Option<i64>>>,
}

impl Sts {
    /// A client for requests on behalf of `profile` (the one the user selected: its settings
    /// govern every call of its chain, as the AWS CLI has it) in `region`; `config` is read
    /// when `None`.
    pub fn new(
        ctx: &Context,
        config: Option<&Config>,
        profile: Option<&str>,
        region: Option<&str>,
    ) -> Result<Self> {
        Self::with_settings(ctx, Settings::load(ctx, config, profile, region)?)
    }

    /// A client for checks: one attempt, at most 5 s.
    pub fn probe(ctx: &Context, profile: Option<&str>, region: Option<&str>) -> Result<Self> {
        let settings = Settings::load(ctx, None, profile, region)?.bounded(1, PROBE_TIMEOUT);
        Self::with_settings(ctx, settings)
    }

    /// A client with these settings.
    pub fn with_settings(ctx: &Context, settings: Settings) -> Result<Self> {
        let settings = settings.for_service(Service::STS);
        let endpoint = endpoint(&settings).map_err(|why| {
            Error::usage(
                settings.profile().unwrap_or(""),
                format!(
                    "no STS endpoint for these settings ({why}; chosen by {}); fix them",
                    settings.endpoint_reason(Service::STS, None)
                ),
            )
        })?;
        debug!(
            "STS endpoint {endpoint} (by {})",
            settings.endpoint_reason(Service::STS, None)
        );
        let aws = Aws::new(settings)?;
        let date = Arc::new(Mutex::new(None));
        let config = aws_sdk_sts::config::Builder::from(aws.sdk_config())
            .interceptor(DateReader(Arc::clone(&date)))
            .interceptor(aws::Logged);
        Ok(Self {
            client: aws_sdk_sts::Client::from_conf(config.build()),
            aws,
            endpoint,
            now: ctx.now(),
            date,
        })
    }

    fn timeout(&self) -> i64 {
        self.aws.settings().timeout()
    }

    /// Credentials from aws-config's provider for `what`, within the STS time bound.
    pub fn provided(&self, what: &Provided<'_>) -> Result<Credentials, Failure> {
        let settings = self.aws.settings();
        let mut config = ProviderConfig::without_region()
            .with_region(Some(Region::new(settings.region().to_owned())))
            .with_use_fips(settings.use_fips().map(|c| c.value))
            .with_use_dual_stack(settings.use_dual_stack().map(|c| c.value))
            .with_retry_config(settings.retry_config())
            .with_timeout_config(aws::timeouts(settings.timeout()));
        if let Some(http) = self.aws.sdk_config().http_client() {
            config = config.with_http_client(http);
        }
        let provider: SharedCredentialsProvider = match what {
            Provided::Imds => SharedCredentialsProvider::new(
                aws_config::imds::credentials::ImdsCredentialsProvider::builder()
                    .configure(&config)
                    .build(),
            ),
            Provided::Ecs => SharedCredentialsProvider::new(
                aws_config::ecs::EcsCredentialsProvider::builder()
                    .configure(&config)
                    .build(),
            ),
            Provided::Profile {
                name,
                config_file,
                credentials_file,
                ..
            } => {
                // The files the caller already chose, not the ones the process environment
                // names; a missing one is as empty as the default lookup has it.
                let exists = |path: &&Path| path.exists();
                let files = profile::profile_files(
                    Some(*config_file).filter(exists),
                    Some(*credentials_file).filter(exists),
                );
                SharedCredentialsProvider::new(
                    aws_config::profile::ProfileFileCredentialsProvider::builder()
                        .configure(&config)
                        .profile_files(files)
                        .profile_name(*name)
                        .build(),
                )
            }
        };
        let bound = Duration::from_secs(self.timeout().unsigned_abs());
        let got = self
            .aws
            .block_on(async { tokio::time::timeout(bound, provider.provide_credentials()).await });
        match got {
            Ok(Ok(creds)) => self.checked_provided(&creds, what),
            Ok(Err(e)) => Err(provider_failure(what, &aws::causes(&e))),
            Err(_) => Err(provider_failure(
                what,
                &format!("no answer within {} s (AWSENV_STS_TIMEOUT)", self.timeout()),
            )),
        }
    }

    fn checked_provided(
        &self,
        creds: &aws_sdk_sts::config::Credentials,
        what: &Provided<'_>,
    ) -> Result<Credentials, Failure> {
        let expires_at = creds.expiry().map(|t| {
            t.duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
        });
        let ours = Credentials {
            access_key_id: creds.access_key_id().to_owned(),
            secret_access_key: creds.secret_access_key().to_owned(),
            session_token: creds.session_token().map(str::to_owned),
            expires_at,
        };
        validate(&ours, self.now)
            .map(|()| ours)
            .map_err(|m| provider_failure(what, &m))
    }

    /// `AssumeRole` signed with `creds`; the new credentials, checked.
    pub fn assume_role(
        &self,
        creds: &Credentials,
        request: &AssumeRole<'_>,
    ) -> Result<Credentials, Failure> {
        header_safe(creds)?;
        let mut call = self
            .client
            .assume_role()
            .role_arn(request.role_arn)
            .role_session_name(request.session_name)
            .duration_seconds(clamp_i32(request.duration))
            .set_external_id(request.external_id.map(str::to_owned));
        if let Some((serial, code)) = request.mfa {
            call = call.serial_number(serial).token_code(code);
        }
        let reply = self
            .aws
            .block_on(call.customize().config_override(signed_by(creds)).send())
            .map_err(|e| self.failure(e))?;
        self.checked(reply.credentials())
    }

    /// `GetSessionToken` signed with long-term `creds`, with an MFA serial and code when
    /// `mfa` holds them.
    pub fn session_token(
        &self,
        creds: &Credentials,
        mfa: Option<(&str, &str)>,
        duration: i64,
    ) -> Result<Credentials, Failure> {
        header_safe(creds)?;
        let mut call = self
            .client
            .get_session_token()
            .duration_seconds(clamp_i32(duration));
        if let Some((serial, code)) = mfa {
            call = call.serial_number(serial).token_code(code);
        }
        let reply = self
            .aws
            .block_on(call.customize().config_override(signed_by(creds)).send())
            .map_err(|e| self.failure(e))?;
        self.checked(reply.credentials())
    }

    /// `GetFederationToken` signed with long-term `creds`, with a policy that allows
    /// everything, so the session is bounded by the user's own permissions: the console
    /// accepts it where a GetSessionToken session is refused.
    pub fn federation_token(
        &self,
        creds: &Credentials,
        name: &str,
        duration: i64,
    ) -> Result<Credentials, Failure> {
        const ALLOW_ALL: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
        header_safe(creds)?;
        let call = self
            .client
            .get_federation_token()
            .name(name)
            .policy(ALLOW_ALL)
            .duration_seconds(clamp_i32(duration));
        let reply = self
            .aws
            .block_on(call.customize().config_override(signed_by(creds)).send())
            .map_err(|e| self.failure(e))?;
        self.checked(reply.credentials())
    }

    /// `GetCallerIdentity` signed with `creds`.
    pub fn caller_identity(&self, creds: &Credentials) -> Result<CallerIdentity, Failure> {
        header_safe(creds)?;
        let call = self.client.get_caller_identity();
        let reply = self
            .aws
            .block_on(call.customize().config_override(signed_by(creds)).send())
            .map_err(|e| self.failure(e))?;
        let account = reply.account().unwrap_or_default().to_owned();
        if account.is_empty() {
            return Err(self.malformed());
        }
        Ok(CallerIdentity {
            account,
            arn: reply.arn().unwrap_or_default().to_owned(),
            user_id: reply.user_id().unwrap_or_default().to_owned(),
            server_date: self.server_date(),
        })
    }

    /// The `Date` of the last reply STS sent, error replies included.
    pub fn server_date(&self) -> Option<i64> {
        *self.date.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Where requests go, as messages show it.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// STS credentials as awsenv's, or an error for empty keys or an expiry in the past.
    fn checked(
        &self,
        creds: Option<&aws_sdk_sts::types::Credentials>,
    ) -> Result<Credentials, Failure> {
        let creds = creds.ok_or_else(|| self.malformed())?;
        let expires_at = creds.expiration().secs();
        // What the SDK makes of a truncated reply: "success", empty fields, a 1970 expiry.
        if expires_at <= 0 || creds.access_key_id().is_empty() {
            return Err(self.malformed());
        }
        let checked = Credentials {
            access_key_id: creds.access_key_id().to_owned(),
            secret_access_key: creds.secret_access_key().to_owned(),
            session_token: Some(creds.session_token().to_owned()).filter(|t| !t.is_empty()),
            expires_at: Some(expires_at),
        };
        validate(&checked, self.now)
            .map(|()| checked)
            .map_err(|m| Failure::new(format!("STS at {}: {m}", self.endpoint)))
    }

    fn malformed(&self) -> Failure {
        Failure::new(format!(
            "STS at {} sent a reply awsenv could not read; check AWS_ENDPOINT_URL_STS or retry",
            self.endpoint
        ))
    }

    /// One line for any SDK error, by STS error code where there is one.
    fn failure<E, R>(&self, error: SdkError<E, R>) -> Failure
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + 'static,
    {
        match &error {
            SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => {
                let timed_out = matches!(error, SdkError::TimeoutError(_));
                let said =
                    aws::unreachable("STS", &self.endpoint, &error, self.timeout(), timed_out);
                debug!("STS at {}: {}", self.endpoint, aws::causes(&error));
                Failure::no_answer(said)
            }
            SdkError::ResponseError(_) => self.malformed(),
            _ => match error.code() {
                Some(code) => Failure {
                    code: Some(code.to_owned()),
                    message: by_code(code, error.message().unwrap_or_default()),
                    unreachable: false,
                },
                None => self.malformed(),
            },
        }
    }
}

/// One line for a provider that gave no credentials; SSO and console ones say how to log in.
fn provider_failure(what: &Provided<'_>, why: &str) -> Failure {
    let why = one_line(why);
    Failure::new(match what {
        Provided::Imds => format!(
            "no credentials from the instance metadata service ({why}); check that this runs on EC2 with an instance profile"
        ),
        Provided::Ecs => format!(
            "no credentials from the container credentials endpoint ({why}); check AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
        ),
        Provided::Profile {
            name,
            kind: Kind::Sso,
            ..
        } => format!(
            "no SSO credentials for profile `{name}` ({why}); run `{}`",
            crate::sso::login_command(name)
        ),
        Provided::Profile {
            name,
            kind: Kind::Login,
            ..
        } => format!(
            "no console credentials for profile `{name}` ({why}); run `aws login --profile {name}`"
        ),
        Provided::Profile { name, kind, .. } => format!(
            "the {} profile `{name}` gave no credentials ({why}); check its settings",
            kind.name()
        ),
    })
}

/// Credentials STS handed back are usable: keys present, expiry (if any) in the future.
pub fn validate(creds: &Credentials, now: i64) -> Result<(), String> {
    if creds.access_key_id.is_empty() || creds.secret_access_key.is_empty() {
        return Err("the reply held no keys (malformed?); retry, or check the endpoint".into());
    }
    match creds.expires_at {
        Some(at) if at <= now => Err(format!(
            "the credentials returned expired at {} (now {}); check the system clock",
            crate::env::rfc3339(at),
            crate::env::rfc3339(now)
        )),
        _ => Ok(()),
    }
}

/// The key id and session token go into HTTP headers, where a newline, a control character
/// or a non-ASCII byte cannot: the SDK then fails before sending anything, and that failure
/// would read as "could not reach STS". Say what is wrong instead.
fn header_safe(creds: &Credentials) -> Result<(), Failure> {
    let unfit = |value: &str| !value.bytes().all(|b| (0x21..=0x7e).contains(&b));
    let what = if unfit(&creds.access_key_id) {
        "access key id"
    } else if creds.session_token.as_deref().is_some_and(unfit) {
        "session token"
    } else {
        return Ok(());
    };
    Err(Failure::new(format!(
        "the {what} holds a space, newline, control or non-ASCII character and cannot go into an HTTP header (a damaged credentials file or reply?); replace it with the value as issued"
    )))
}

/// What a user should do about an STS error code.
fn by_code(code: &str, message: &str) -> String {
    let said = one_line(message);
    let advice = match code {
        "ExpiredToken" | "ExpiredTokenException" => {
            "the source profile's keys are expired: refresh or rotate them (or re-login) and retry"
        }
        "AccessDenied" | "AccessDeniedException" => {
            "access denied: the role's trust policy must allow the caller, and the caller needs sts:AssumeRole on the role"
        }
        "InvalidClientTokenId" | "UnrecognizedClientException" => {
            "the source keys are not valid (deleted or mistyped access key?): check or replace them"
        }
        "RegionDisabledException" => {
            "STS is not activated in this region for the account: enable it in IAM account settings or use another --region"
        }
        "SignatureDoesNotMatch" => {
            "the request signature was rejected: check the secret key, and the system clock (STS allows 5 minutes of skew; check NTP)"
        }
        "Throttling" | "ThrottlingException" | "RequestLimitExceeded" => {
            "STS is throttling requests: wait a moment and retry"
        }
        "InvalidIdentityToken" | "ExpiredTokenException.WebIdentity" => {
            "the web identity token was rejected: refresh the token file"
        }
        "MultiFactorAuthentication" | "InvalidAuthenticationCode" => {
            "the MFA code was rejected: use a fresh code from the device"
        }
        _ => "STS refused the request",
    };
    if said.is_empty() {
        format!("{advice} ({code})")
    } else {
        format!("{advice} ({code}: {said})")
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn clamp_i32(secs: i64) -> i32 {
    i32::try_from(secs).unwrap_or(i32::MAX)
}

/// A per-call override that signs with `creds` and nothing else.
fn signed_by(creds: &Credentials) -> aws_sdk_sts::config::Builder {
    let mut builder = aws_sdk_sts::config::Builder::default();
    builder.set_credentials_provider(Some(aws::credentials_provider(creds)));
    builder
}

/// Records the `Date` header of every reply, success or error.
#[derive(Debug)]
struct DateReader(Arc<Mutex<Option<i64>>>);

impl Intercept for DateReader {
    fn name(&self) -> &'static str {
        "awsenv-server-date"
    }

    fn read_before_deserialization(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let date = context
            .response()
            .headers()
            .get("date")
            .and_then(|d| chrono::DateTime::parse_from_rfc2822(d).ok())
            .map(|d| d.timestamp());
        if date.is_some() {
            *self.0.lock().unwrap_or_else(|p| p.into_inner()) = date;
        }
        Ok(())
    }
}

/// Where STS requests go with these settings, by STS's own endpoint rules: the configured
/// endpoint URL, else the regional endpoint with FIPS and dual-stack applied.
pub fn endpoint(settings: &Settings) -> std::result::Result<String, String> {
    aws::resolve_endpoint!(aws_sdk_sts, settings, Service::STS)
}

/// The environment's STS endpoint URL (`AWS_ENDPOINT_URL_STS`, else `AWS_ENDPOINT_URL`),
/// read without the files: for cache keys, which must cost nothing on a hit.
pub fn custom_endpoint(ctx: &Context) -> Option<&str> {
    ctx.var("AWS_ENDPOINT_URL_STS")
        .or_else(|| ctx.var("AWS_ENDPOINT_URL"))
}

/// `ctx` with `AWSENV_STS_TIMEOUT` cut to at most 5 s, for checks that must answer fast.
pub fn bounded(ctx: &Context) -> Context {
    let secs = aws::call_timeout(ctx).clamp(1, PROBE_TIMEOUT);
    let mut vars = ctx.vars().clone();
    vars.insert("AWSENV_STS_TIMEOUT".into(), secs.to_string());
    Context::new(vars, ctx.now())
}

/// `GetCallerIdentity` for `creds`, with STS's clock: one quick attempt (`Sts::probe`).
pub fn caller_identity(
    ctx: &Context,
    profile: Option<&str>,
    creds: &Credentials,
    region: Option<&str>,
) -> Result<CallerIdentity, Failure> {
    Sts::probe(ctx, profile, region)
        .map_err(|e| Failure::new(e.to_string()))?
        .caller_identity(creds)
}

/// STS's clock, in Unix seconds, read from any reply, an error reply included: the request
/// is signed with keys that do not exist, so it needs no credentials of the user's. One
/// quick attempt (`Sts::probe`).
pub fn server_date(
    ctx: &Context,
    profile: Option<&str>,
    region: Option<&str>,
) -> Result<i64, Failure> {
    let sts = Sts::probe(ctx, profile, region).map_err(|e| Failure::new(e.to_string()))?;
    let nobody = Credentials {
        access_key_id: "AKIAAWSENVCLOCKCHECK".into(),
        secret_access_key: "awsenv-clock-check".into(),
        session_token: None,
        expires_at: None,
    };
    let outcome = sts.caller_identity(&nobody);
    sts.server_date().ok_or_else(|| match outcome {
        Err(f) => f,
        Ok(_) => Failure::new(format!(
            "STS at {} sent no Date header; check AWS_ENDPOINT_URL_STS",
            sts.endpoint()
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(akid: &str, expires_at: Option<i64>) -> Credentials {
        Credentials {
            access_key_id: akid.into(),
            secret_access_key: if akid.is_empty() { "" } else { "s" }.into(),
            session_token: None,
            expires_at,
        }
    }

    #[test]
    fn empty_or_expired_replies_are_refused() {
        assert!(validate(&creds("", Some(0)), 100).is_err());
        assert!(validate(&creds("AKID", Some(100)), 100).is_err());
        assert!(validate(&creds("AKID", Some(101)), 100).is_ok());
        assert!(validate(&creds("AKID", None), 100).is_ok());
    }

    #[test]
    fn credentials_that_cannot_go_into_a_header_are_named() {
        let token = |t: &str| Credentials {
            session_token: Some(t.to_owned()),
            ..creds("ASIAEXAMPLE", Some(2))
        };
        assert!(header_safe(&token("FwoGZXIvYXdzEXAMPLE+/=")).is_ok());
        assert!(header_safe(&creds("AKIAEXAMPLE", None)).is_ok());
        for bad in ["abc\ndef", "abc\u{e9}", "a\tb", " lead"] {
            let said = header_safe(&token(bad)).unwrap_err().message;
            assert!(
                said.contains("session token") && said.contains("HTTP header"),
                "{said}"
            );
            assert!(!said.contains(bad), "the token itself is never shown");
        }
        let said = header_safe(&creds("AKIA\nX", None)).unwrap_err().message;
        assert!(said.contains("access key id"));
    }

    #[test]
    fn codes_map_to_advice() {
        assert!(by_code("ExpiredToken", "x").starts_with("the source profile's keys are expired"));
        assert!(by_code("AccessDenied", "").contains("trust policy"));
        assert!(by_code("SignatureDoesNotMatch", "").contains("clock"));
        assert!(by_code("Weird", "a\nb").ends_with("(Weird: a b)"));
    }

    /// A one-shot server that answers any request with `reply`; its endpoint.
    fn answer_once(reply: &'static str) -> String {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut buf = [0u8; 8192];
            let _ = s.read(&mut buf);
            let _ = s.write_all(reply.as_bytes());
        });
        format!("http://127.0.0.1:{port}")
    }

    fn stub_ctx(endpoint: &str) -> Context {
        let vars = [
            ("AWS_ENDPOINT_URL_STS".to_string(), endpoint.to_string()),
            ("AWSENV_STS_TIMEOUT".to_string(), "5".to_string()),
        ];
        Context::new(vars.into_iter().collect(), 1_700_000_000)
    }

    #[test]
    fn server_date_is_read_from_an_error_reply() {
        let body = "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code><Message>bad</Message></Error></ErrorResponse>";
        let reply: &'static str = Box::leak(
            format!(
                "HTTP/1.1 403 Forbidden\r\nDate: Tue, 14 Nov 2023 22:13:20 GMT\r\nContent-Type: text/xml\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .into_boxed_str(),
        );
        let date = server_date(&stub_ctx(&answer_once(reply)), None, None).unwrap();
        assert_eq!(date, 1_700_000_000);
    }

    #[test]
    fn caller_identity_reads_the_reply() {
        let body = "<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/me</Arn><UserId>AIDA</UserId><Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>";
        let reply: &'static str = Box::leak(
            format!(
                "HTTP/1.1 200 OK\r\nDate: Tue, 14 Nov 2023 22:13:20 GMT\r\nContent-Type: text/xml\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .into_boxed_str(),
        );
        let ctx = stub_ctx(&answer_once(reply));
        let id = caller_identity(&ctx, None, &creds("AKID", None), Some("eu-west-1")).unwrap();
        assert_eq!(id.account, "123456789012");
        assert_eq!(id.arn, "arn:aws:iam::123456789012:user/me");
        assert_eq!(id.server_date, Some(1_700_000_000));
    }
}
