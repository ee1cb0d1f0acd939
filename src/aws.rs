//! Every AWS client awsenv builds (STS, the SSO portal, SSO OIDC, IAM), from the profile's and
//! the environment's standardized settings: region, endpoint, FIPS, dual-stack, CA bundle,
//! proxy, timeouts, retries. The settings are read by aws-runtime's own loader
//! (`EnvConfigValue`, what aws-config uses) with the SDK's precedence, and the endpoint is
//! resolved by each service's own rules. Nothing here runs on the prompt path or a cache hit:
//! callers come here only when a request is about to be made.
//!
//! A client for a new service is a few lines:
//!
//! ```ignore
//! let settings = aws::Settings::load(ctx, Some(&config), Some(profile), region)?
//!     .for_service(aws::Service::IAM);                     // the CLI's endpoint-URL rule
//! let aws = aws::Aws::new(settings)?;                       // runtime + SdkConfig
//! let conf = aws_sdk_iam::config::Builder::from(&aws.signed_by(&creds))
//!     .interceptor(aws::Logged)                            // AWSENV_LOG=debug lines
//!     .build();
//! let iam = aws_sdk_iam::Client::from_conf(conf);
//! let reply = aws.block_on(iam.list_access_keys().send());
//! // DispatchFailure / TimeoutError: one line, an untrusted certificate said as such:
//! //   aws::unreachable("IAM", endpoint, &error, aws.settings().timeout(), timed_out)
//! ```
//!
//! `endpoint` for messages: the service's own resolver on `settings.endpoint_params(..)`
//! (see `sts::endpoint`); `settings.endpoint_reason(..)` says what chose it.

use std::borrow::Cow;
use std::convert::Infallible;
use std::path::PathBuf;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::identity::IdentityCache;
use aws_config::profile::ProfileSet;
use aws_config::retry::{RetryConfig, RetryMode};
use aws_config::timeout::TimeoutConfig;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_runtime::env_config::EnvConfigValue;
use aws_smithy_async::rt::sleep::{SharedAsyncSleep, TokioSleep};
use aws_smithy_async::time::SystemTimeSource;
use aws_smithy_http_client::Connector;
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::http::{HttpConnectorSettings, SharedHttpClient};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_types::SdkConfig;
use aws_types::origin::Origin;
use aws_types::os_shim_internal::Env;
use aws_types::region::Region;
use aws_types::service_config::{LoadServiceConfig, ServiceConfigKey};

use crate::env::{Context, Credentials};
use crate::error::{Error, Result};
use crate::log::debug;
use crate::profile::Config;

/// The region when neither the caller, the profile nor the environment names one.
pub const DEFAULT_REGION: &str = "us-east-1";
/// `AWSENV_STS_TIMEOUT` when unset: the bound on one whole call, retries included.
pub const DEFAULT_TIMEOUT: i64 = 20;
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Attempts per call when neither `AWS_MAX_ATTEMPTS` nor `max_attempts` says.
pub const DEFAULT_ATTEMPTS: u32 = 3;
const AWSENV_DEFAULT: &str = "awsenv's default";

/// A service as the SDK's configuration names it: `AWS_ENDPOINT_URL_<ENV>` and the
/// `[services NAME]` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Service {
    /// The SDK's service id (`STS`, `SSO OIDC`).
    pub id: &'static str,
}

impl Service {
    pub const STS: Service = Service { id: "STS" };
    pub const SSO: Service = Service { id: "SSO" };
    pub const SSO_OIDC: Service = Service { id: "SSO OIDC" };
    #[allow(dead_code)] // for the IAM client of the keys commands
    pub const IAM: Service = Service { id: "IAM" };

    /// `AWS_ENDPOINT_URL_STS`, `AWS_ENDPOINT_URL_SSO_OIDC`.
    pub fn endpoint_variable(self) -> String {
        format!(
            "AWS_ENDPOINT_URL_{}",
            self.id.to_uppercase().replace(' ', "_")
        )
    }

    /// The key of a `[services NAME]` section: `sts`, `sso-oidc`.
    pub fn services_key(self) -> String {
        self.id.to_lowercase().replace(' ', "-")
    }
}

/// A setting's value and what chose it, as a user names it: `AWS_USE_FIPS_ENDPOINT`,
/// `use_fips_endpoint in profile `prod``, `[services corp] sts.endpoint_url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chosen<T> {
    pub value: T,
    pub by: String,
}

/// The inputs of a service's endpoint rules (each service has its own `Params` type).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointParams {
    pub region: String,
    pub use_fips: bool,
    pub use_dual_stack: bool,
    /// A configured endpoint URL (`AWS_ENDPOINT_URL_<SERVICE>` and the like).
    pub endpoint: Option<String>,
}

/// The standardized settings of one profile (the one the user selected, as the AWS CLI has
/// it for every call of a role chain) and the environment. Reading them does no I/O.
#[derive(Debug, Clone)]
pub struct Settings {
    profile: Option<String>,
    region: String,
    env: Env,
    sections: ProfileSet,
    use_fips: Option<Chosen<bool>>,
    use_dual_stack: Option<Chosen<bool>>,
    ignore_configured_endpoints: Option<Chosen<bool>>,
    ca_bundle: Option<Chosen<PathBuf>>,
    attempts: Chosen<u32>,
    retry_mode: Chosen<RetryMode>,
    timeout: i64,
}

impl Settings {
    /// The settings for requests made on behalf of `profile` (`None`: `AWS_PROFILE`, else
    /// `default`) in `region` (else `AWS_REGION`, `AWS_DEFAULT_REGION`, `us-east-1`). The
    /// files are read when `config` is `None`. A malformed setting is an error (exit 2)
    /// naming it.
    pub fn load(
        ctx: &Context,
        config: Option<&Config>,
        profile: Option<&str>,
        region: Option<&str>,
    ) -> Result<Self> {
        let loaded;
        let config = match config {
            Some(config) => config,
            None => {
                loaded = Config::load(ctx)?;
                &loaded
            }
        };
        let sections = config.sections(profile);
        let env = Env::from(
            ctx.vars()
                .iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect::<std::collections::HashMap<_, _>>(),
        );
        let who = profile.unwrap_or("");
        let read = Reader {
            env: &env,
            sections: &sections,
            profile: who,
        };
        let use_fips = read.flag("AWS_USE_FIPS_ENDPOINT", "use_fips_endpoint")?;
        let use_dual_stack = read.flag("AWS_USE_DUALSTACK_ENDPOINT", "use_dualstack_endpoint")?;
        let ignore_configured_endpoints = read.flag(
            "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
            "ignore_configured_endpoint_urls",
        )?;
        let ca_bundle = read
            .value("AWS_CA_BUNDLE", "ca_bundle", None, |s| {
                Ok::<_, Infallible>(s.to_owned())
            })?
            .map(|c| Chosen {
                value: expand_home(ctx, &c.value),
                by: c.by,
            });
        let attempts = read
            .value("AWS_MAX_ATTEMPTS", "max_attempts", None, |s| {
                s.trim()
                    .parse::<u32>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or(Invalid("a whole number of at least 1"))
            })?
            .unwrap_or(Chosen {
                value: DEFAULT_ATTEMPTS,
                by: AWSENV_DEFAULT.into(),
            });
        let retry_mode = read
            .value("AWS_RETRY_MODE", "retry_mode", None, |s| {
                // botocore's `legacy` is its older standard mode; the Rust SDK has none.
                if s.trim().eq_ignore_ascii_case("legacy") {
                    return Ok(RetryMode::Standard);
                }
                s.parse::<RetryMode>()
                    .map_err(|_| Invalid("standard, adaptive or legacy"))
            })?
            .unwrap_or(Chosen {
                value: RetryMode::Standard,
                by: "the SDK's default".into(),
            });
        let settings = Self {
            profile: profile.map(str::to_owned),
            region: region_for(ctx, region),
            env,
            sections,
            use_fips,
            use_dual_stack,
            ignore_configured_endpoints,
            ca_bundle,
            attempts,
            retry_mode,
            timeout: call_timeout(ctx),
        };
        Ok(settings)
    }

    /// The same settings with at most `attempts` attempts per call (checks that must answer
    /// fast) and a whole-call bound of at most `timeout` seconds.
    pub fn bounded(mut self, attempts: u32, timeout: i64) -> Self {
        self.attempts = Chosen {
            value: attempts.min(self.attempts.value),
            by: "a quick check".into(),
        };
        self.timeout = self.timeout.min(timeout).max(1);
        self
    }

    /// `attempts` per call unless `AWS_MAX_ATTEMPTS` or `max_attempts` says otherwise: for
    /// callers that expect throttling (many calls at once).
    pub fn default_attempts(mut self, attempts: u32) -> Self {
        if self.attempts.by == AWSENV_DEFAULT {
            self.attempts.value = attempts;
        }
        self
    }

    /// These settings for `service`'s client: with an endpoint URL configured for it, FIPS
    /// and dual-stack are off, as the AWS CLI has it (botocore drops both when it is given
    /// an endpoint; the Rust SDK would refuse the combination).
    pub fn for_service(mut self, service: Service) -> Self {
        if let Some(url) = self.endpoint_url(service) {
            for (name, chosen) in [
                ("FIPS", &mut self.use_fips),
                ("dual-stack", &mut self.use_dual_stack),
            ] {
                if let Some(c) = chosen.take().filter(|c| c.value) {
                    debug!(
                        "{} {name} ({}) ignored: the endpoint URL from {} wins, as in the AWS CLI",
                        service.id, c.by, url.by
                    );
                }
            }
        }
        self
    }

    /// The profile whose settings these are (`None`: `AWS_PROFILE`, else `default`).
    pub fn profile(&self) -> Option<&str> {
        self.profile.as_deref()
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    /// The bound on one whole call, in seconds (`AWSENV_STS_TIMEOUT`).
    pub fn timeout(&self) -> i64 {
        self.timeout
    }

    pub fn use_fips(&self) -> Option<&Chosen<bool>> {
        self.use_fips.as_ref()
    }

    pub fn use_dual_stack(&self) -> Option<&Chosen<bool>> {
        self.use_dual_stack.as_ref()
    }

    /// `AWS_CA_BUNDLE`, else the profile's `ca_bundle`.
    pub fn ca_bundle(&self) -> Option<&Chosen<PathBuf>> {
        self.ca_bundle.as_ref()
    }

    /// The configured endpoint URL for `service`, in the SDK's order:
    /// `AWS_ENDPOINT_URL_<SERVICE>`, `AWS_ENDPOINT_URL`, the `[services]` entry, the
    /// profile's `endpoint_url`; none when `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` says so.
    pub fn endpoint_url(&self, service: Service) -> Option<Chosen<String>> {
        if self.ignores_configured_endpoints() {
            return None;
        }
        let read = Reader {
            env: &self.env,
            sections: &self.sections,
            profile: self.profile.as_deref().unwrap_or(""),
        };
        read.value("AWS_ENDPOINT_URL", "endpoint_url", Some(service), |s| {
            Ok::<_, Infallible>(s.to_owned())
        })
        .ok()
        .flatten()
    }

    fn ignores_configured_endpoints(&self) -> bool {
        self.ignore_configured_endpoints
            .as_ref()
            .is_some_and(|c| c.value)
    }

    /// What a service's endpoint rules get, for `region` (its own region for SSO, which
    /// lives in `sso_region`) or the settings' own.
    pub fn endpoint_params(&self, service: Service, region: Option<&str>) -> EndpointParams {
        EndpointParams {
            region: region.unwrap_or(&self.region).to_owned(),
            use_fips: self.use_fips.as_ref().is_some_and(|c| c.value),
            use_dual_stack: self.use_dual_stack.as_ref().is_some_and(|c| c.value),
            endpoint: self.endpoint_url(service).map(|c| c.value),
        }
    }

    /// What chose `service`'s endpoint, in words: the setting that named a URL, else the
    /// region and the FIPS and dual-stack settings the SDK's rules applied.
    pub fn endpoint_reason(&self, service: Service, region: Option<&str>) -> String {
        if let Some(url) = self.endpoint_url(service) {
            return url.by;
        }
        let mut why = vec![format!(
            "the SDK's rules for region {}",
            region.unwrap_or(&self.region)
        )];
        for (name, chosen) in [
            ("FIPS", &self.use_fips),
            ("dual-stack", &self.use_dual_stack),
        ] {
            if let Some(c) = chosen.as_ref().filter(|c| c.value) {
                why.push(format!("{name} by {}", c.by));
            }
        }
        if let Some(c) = self
            .ignore_configured_endpoints
            .as_ref()
            .filter(|c| c.value)
        {
            why.push(format!("configured endpoints ignored by {}", c.by));
        }
        why.join(", ")
    }

    /// The retry policy: `max_attempts` and `retry_mode`, from the environment or the
    /// profile.
    pub fn retry_config(&self) -> RetryConfig {
        let config = match self.retry_mode.value {
            RetryMode::Adaptive => RetryConfig::adaptive(),
            _ => RetryConfig::standard(),
        };
        config.with_max_attempts(self.attempts.value)
    }

    /// The CA bundle's certificates: `None` without a bundle; an error (exit 2) naming the
    /// file when it is missing, unreadable or holds no PEM certificate.
    pub fn trusted_roots(&self) -> Result<Option<Vec<u8>>> {
        let Some(bundle) = &self.ca_bundle else {
            return Ok(None);
        };
        let path = &bundle.value;
        let bad = |why: &str| {
            Error::usage(
                self.profile.as_deref().unwrap_or(""),
                format!(
                    "the CA bundle {} (from {}) {why}; point it at a PEM file of your organisation's CA certificates",
                    path.display(),
                    bundle.by
                ),
            )
        };
        let pem = std::fs::read(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => bad("does not exist"),
            _ => bad(&format!("cannot be read ({e})")),
        })?;
        check_pem(&pem).map_err(|why| bad(&why))?;
        debug!(
            "CA bundle {} (from {}) replaces the default roots",
            path.display(),
            bundle.by
        );
        Ok(Some(pem))
    }

    /// The shared SDK configuration: region, the HTTP client (proxy from `HTTPS_PROXY` /
    /// `NO_PROXY`, the CA bundle in place of the default roots), timeouts, retries, FIPS,
    /// dual-stack, and the endpoint settings each service's config reads for itself. No
    /// credentials: calls are signed with explicit ones (`signed_by`).
    pub fn sdk_config(&self) -> Result<SdkConfig> {
        let mut builder = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(self.region.clone()))
            .timeout_config(timeouts(self.timeout))
            .retry_config(self.retry_config())
            .identity_cache(IdentityCache::no_cache())
            .time_source(SystemTimeSource::new())
            .sleep_impl(TokioSleep::new())
            .http_client(http_client(self.trusted_roots()?))
            .service_config(EndpointSettings {
                env: self.env.clone(),
                sections: self.sections.clone(),
                ignore: self.ignores_configured_endpoints(),
            });
        builder.set_use_fips(self.use_fips.as_ref().map(|c| c.value));
        builder.set_use_dual_stack(self.use_dual_stack.as_ref().map(|c| c.value));
        Ok(builder.build())
    }
}

/// Reads one setting from the environment, then the selected profile, as aws-config does.
struct Reader<'a> {
    env: &'a Env,
    sections: &'a ProfileSet,
    profile: &'a str,
}

#[derive(Debug)]
struct Invalid(&'static str);

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "must be {}", self.0)
    }
}

impl std::error::Error for Invalid {}

impl Reader<'_> {
    fn flag(&self, var: &str, key: &str) -> Result<Option<Chosen<bool>>> {
        self.value(var, key, None, |s| {
            match s.trim().to_ascii_lowercase().as_str() {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(Invalid("true or false")),
            }
        })
    }

    fn value<T, E: std::error::Error + Send + Sync + 'static>(
        &self,
        var: &str,
        key: &str,
        service: Option<Service>,
        parse: impl Fn(&str) -> std::result::Result<T, E>,
    ) -> Result<Option<Chosen<T>>> {
        let mut lookup = EnvConfigValue::new().env(var).profile(key);
        if let Some(service) = service {
            lookup = lookup.service_id(service.id);
        }
        match lookup.validate_and_return_origin(self.env, Some(self.sections), &parse) {
            Ok((Some(value), origin)) => Ok(Some(Chosen {
                value,
                by: self.origin(origin, var, key, service),
            })),
            Ok((None, _)) => Ok(None),
            Err(e) => {
                // The error names the source but not the value's problem in our words.
                let origin = EnvConfigValue::new()
                    .env(var)
                    .profile(key)
                    .validate_and_return_origin(self.env, Some(self.sections), |_| {
                        Ok::<_, Infallible>(())
                    })
                    .map(|(_, o)| o)
                    .unwrap_or_else(|_| Origin::unknown());
                Err(Error::usage(
                    self.profile,
                    format!(
                        "{} {}; fix it",
                        self.origin(origin, var, key, service),
                        e.err()
                    ),
                ))
            }
        }
    }

    /// How a user names where a value came from.
    fn origin(&self, origin: Origin, var: &str, key: &str, service: Option<Service>) -> String {
        let selected = self.sections.selected_profile();
        match service {
            Some(s) if origin == Origin::service_environment_variable() => s.endpoint_variable(),
            Some(s) if origin == Origin::service_profile_file() => format!(
                "[services {}] {}.{key} (profile `{selected}`)",
                self.sections.get("services").unwrap_or("?"),
                s.services_key()
            ),
            _ if origin == Origin::shared_environment_variable() => var.to_owned(),
            _ => format!("{key} in profile `{selected}`"),
        }
    }
}

/// What each service's config reads for its endpoint URL: aws-config's own rule (its
/// `EnvServiceConfig`, which it keeps private), on awsenv's environment and files.
#[derive(Debug)]
struct EndpointSettings {
    env: Env,
    sections: ProfileSet,
    ignore: bool,
}

impl LoadServiceConfig for EndpointSettings {
    fn load_config(&self, key: ServiceConfigKey<'_>) -> Option<String> {
        if self.ignore && key.env() == "AWS_ENDPOINT_URL" {
            return None;
        }
        let (value, _) = EnvConfigValue::new()
            .env(key.env())
            .profile(key.profile())
            .service_id(key.service_id())
            .load(&self.env, Some(&self.sections))?;
        Some(value.into_owned())
    }
}

/// A current-thread runtime and the shared SDK configuration of one command's requests.
pub struct Aws {
    sdk: SdkConfig,
    runtime: tokio::runtime::Runtime,
    settings: Settings,
}

impl Aws {
    /// Start the runtime and build the configuration; the CA bundle is read here.
    pub fn new(settings: Settings) -> Result<Self> {
        let sdk = settings.sdk_config()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Credentials(format!("could not start the AWS client: {e}")))?;
        Ok(Self {
            sdk,
            runtime,
            settings,
        })
    }

    /// The configuration without credentials: for `aws_sdk_x::Config::from`, with
    /// per-call credentials (`credentials_provider`).
    pub fn sdk_config(&self) -> &SdkConfig {
        &self.sdk
    }

    /// The configuration with every call signed by `creds`.
    #[allow(dead_code)] // for clients whose every call has the same signer (IAM)
    pub fn signed_by(&self, creds: &Credentials) -> SdkConfig {
        self.sdk
            .to_builder()
            .credentials_provider(credentials_provider(creds))
            .build()
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    #[allow(dead_code)] // for callers that spawn tasks (many calls at once)
    pub fn runtime(&self) -> &tokio::runtime::Runtime {
        &self.runtime
    }

    /// Run `future` to completion on the runtime.
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }
}

/// `creds` as the SDK's credentials provider (never the process environment's).
pub fn credentials_provider(creds: &Credentials) -> SharedCredentialsProvider {
    SharedCredentialsProvider::new(aws_credential_types::Credentials::new(
        &creds.access_key_id,
        &creds.secret_access_key,
        creds.session_token.clone(),
        None,
        "awsenv",
    ))
}

/// The SDK's own HTTPS client (rustls with aws-lc, the proxy from `HTTPS_PROXY`,
/// `NO_PROXY` and friends) with the CA bundle's certificates, when there is one, as the only
/// trusted roots, as the AWS CLI has it.
fn http_client(roots: Option<Vec<u8>>) -> SharedHttpClient {
    use aws_smithy_http_client::Builder;
    // The constructor the SDK's default client uses itself (`default_https_client` in
    // aws-smithy-runtime): the public `build_https` has no proxy setting.
    Builder::new().build_with_connector_fn(move |settings, components| {
        connector(
            roots.as_deref(),
            settings.cloned(),
            components.and_then(|c| c.sleep_impl()),
        )
    })
}

/// The connector under `http_client`: what an SDK client's requests go through.
fn connector(
    roots: Option<&[u8]>,
    settings: Option<HttpConnectorSettings>,
    sleep: Option<SharedAsyncSleep>,
) -> Connector {
    let mut connector = aws_smithy_http_client::ConnectorBuilder::default().tls_provider(
        tls::Provider::Rustls(tls::rustls_provider::CryptoMode::AwsLc),
    );
    connector.set_connector_settings(settings);
    connector.set_sleep_impl(sleep);
    connector.set_proxy_config(Some(ProxyConfig::from_env()));
    if let Some(pem) = roots {
        let store = TrustStore::empty().with_pem_certificate(pem.to_vec());
        // `build` cannot fail: it only stores what it is given (checked by `check_pem`).
        if let Ok(context) = TlsContext::builder().with_trust_store(store).build() {
            connector = connector.tls_context(context);
        }
    }
    connector.build()
}

/// Why `get` has no reply, in words.
pub enum GetError {
    /// The server's certificate failed verification: the message names the CA bundle.
    Untrusted(String),
    /// Anything else: the network, a time-out, a reply too large.
    Failed(String),
}

/// One GET of `url` the way the SDK clients send requests (the same TLS roots, CA bundle,
/// proxy and timeouts), for the endpoints that have no SDK client: the status and at most
/// `limit` bytes of body. Call it inside a Tokio runtime. The error is in words and never
/// holds the URL.
pub async fn get(
    roots: Option<&[u8]>,
    url: &str,
    connect_timeout: Duration,
    read_timeout: Duration,
    limit: usize,
) -> std::result::Result<(u16, Vec<u8>), GetError> {
    use aws_smithy_runtime_api::client::http::HttpConnector;
    use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::byte_stream::ByteStream;

    let settings = HttpConnectorSettings::builder()
        .connect_timeout(connect_timeout)
        .read_timeout(read_timeout)
        .build();
    let connector = connector(
        roots,
        Some(settings),
        Some(SharedAsyncSleep::new(TokioSleep::new())),
    );
    let mut request = HttpRequest::new(SdkBody::empty());
    request
        .set_uri(url)
        .map_err(|_| GetError::Failed("the URL is malformed".to_owned()))?;
    let response = connector.call(request).await.map_err(|e| {
        // The error's text may quote the request; say only what kind of failure it was.
        if let Some(said) = untrusted_certificate(url, &e) {
            GetError::Untrusted(said)
        } else if e.is_timeout() {
            GetError::Failed(format!("no answer within {} s", read_timeout.as_secs()))
        } else if e.is_io() {
            GetError::Failed("could not connect".to_owned())
        } else {
            GetError::Failed("the request failed".to_owned())
        }
    })?;
    let status = response.status().as_u16();
    let mut body = ByteStream::new(response.into_body());
    let mut read = Vec::new();
    while let Some(chunk) = body.next().await {
        let chunk =
            chunk.map_err(|_| GetError::Failed("the reply could not be read".to_owned()))?;
        if read.len() + chunk.len() > limit {
            return Err(GetError::Failed(format!(
                "the reply is larger than {limit} bytes"
            )));
        }
        read.extend_from_slice(&chunk);
    }
    Ok((status, read))
}

/// The bundle parses as PEM and holds at least one certificate rustls accepts as a root: the
/// HTTP client panics on anything else.
fn check_pem(pem: &[u8]) -> std::result::Result<(), String> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| format!("is not valid PEM ({e})"))?;
    if certs.is_empty() {
        return Err("holds no PEM certificate (-----BEGIN CERTIFICATE-----)".into());
    }
    let mut roots = rustls::RootCertStore::empty();
    for cert in certs {
        roots
            .add(cert)
            .map_err(|e| format!("holds a certificate that cannot be a root ({e})"))?;
    }
    Ok(())
}

fn expand_home(ctx: &Context, path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), ctx.home()) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => PathBuf::from(path),
    }
}

/// `region`, else `AWS_REGION`, else `AWS_DEFAULT_REGION`, else `us-east-1`.
pub fn region_for(ctx: &Context, region: Option<&str>) -> String {
    region
        .or_else(|| ctx.var(crate::env::REGION))
        .or_else(|| ctx.var(crate::env::DEFAULT_REGION))
        .unwrap_or(DEFAULT_REGION)
        .to_owned()
}

/// The bound on one whole call, in seconds: `AWSENV_STS_TIMEOUT`, default 20, at least 1.
pub fn call_timeout(ctx: &Context) -> i64 {
    ctx.duration_var("AWSENV_STS_TIMEOUT", DEFAULT_TIMEOUT)
        .max(1)
}

/// Connect within 3 s (or `secs`, when shorter), the whole call within `secs`.
pub fn timeouts(secs: i64) -> TimeoutConfig {
    let total = Duration::from_secs(secs.unsigned_abs());
    TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT.min(total))
        .operation_timeout(total)
        .build()
}

/// The line for a request that got no reply (`DispatchFailure`, `TimeoutError`): an
/// untrusted TLS certificate said as such, else "could not reach". `error` is the SDK error.
pub fn unreachable(
    service: &str,
    endpoint: &str,
    error: &(dyn std::error::Error + 'static),
    timeout: i64,
    timed_out: bool,
) -> String {
    if let Some(said) = untrusted_certificate(endpoint, error) {
        return said;
    }
    if timed_out {
        format!(
            "could not reach {service} at {endpoint} within {timeout} s: check the network or AWSENV_STS_TIMEOUT"
        )
    } else {
        format!(
            "could not reach {service} at {endpoint}: check the network, the endpoint or AWSENV_STS_TIMEOUT"
        )
    }
}

/// "the TLS certificate of HOST is not trusted …" when `error` (an SDK error with its
/// causes) is a certificate that failed verification.
pub fn untrusted_certificate(
    endpoint: &str,
    error: &(dyn std::error::Error + 'static),
) -> Option<String> {
    let problem = certificate_problem(&causes(error))?;
    Some(format!(
        "the TLS certificate of {} is not trusted ({problem}): set AWS_CA_BUNDLE (or ca_bundle) to your organisation's CA",
        host_of(endpoint)
    ))
}

/// rustls's words for a certificate it refused, from an error's text.
fn certificate_problem(text: &str) -> Option<String> {
    let at = text.find("invalid peer certificate")?;
    let rest = &text[at + "invalid peer certificate".len()..];
    let reason = rest
        .trim_start_matches([':', ' '])
        .split([':', ')', ','])
        .next()
        .unwrap_or("")
        .trim();
    Some(if reason.is_empty() {
        "invalid certificate".to_owned()
    } else {
        reason.to_owned()
    })
}

fn host_of(endpoint: &str) -> &str {
    let rest = endpoint.split_once("://").map_or(endpoint, |(_, r)| r);
    rest.split(['/', '?']).next().unwrap_or(rest)
}

/// Where requests to `service` go with `settings`, by the endpoint rules of its SDK crate
/// (`sdk`: each crate has its own `Params` and resolver): the configured endpoint URL, else
/// the regional endpoint with FIPS and dual-stack applied. An error is its reason, in words.
macro_rules! resolve_endpoint {
    ($sdk:ident, $settings:expr, $service:expr) => {{
        use $sdk::config::endpoint::{DefaultResolver, Params, ResolveEndpoint};
        let wanted = $settings
            .clone()
            .for_service($service)
            .endpoint_params($service, None);
        Params::builder()
            .region(wanted.region)
            .use_fips(wanted.use_fips)
            .use_dual_stack(wanted.use_dual_stack)
            .set_endpoint(wanted.endpoint)
            .build()
            .map_err(|e| e.to_string())
            .and_then(|params| {
                crate::profile::block_on(DefaultResolver::new().resolve_endpoint(&params))
                    .map(|e| e.url().trim_end_matches('/').to_owned())
                    .map_err(|e| crate::aws::causes(&*e))
            })
    }};
}
pub(crate) use resolve_endpoint;

/// An error and its sources as one line, each cause once.
pub fn causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let said = cause.to_string();
        if !text.contains(&said) {
            text = format!("{text}: {said}");
        }
        source = cause.source();
    }
    text
}

/// The debug log's view of requests: `request STS.AssumeRole to https://host/`, each retry,
/// and each reply's status. Add it to a service config with `.interceptor(aws::Logged)`.
#[derive(Debug, Clone, Copy)]
pub struct Logged;

impl Intercept for Logged {
    fn name(&self) -> &'static str {
        "awsenv-log"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> std::result::Result<(), BoxError> {
        if !crate::log::enabled() {
            return Ok(());
        }
        let action = cfg
            .load::<Metadata>()
            .map_or(Cow::Borrowed("request"), |m| {
                Cow::Owned(format!("{}.{}", m.service(), m.name()))
            });
        let uri = context.request().uri();
        // Scheme, host and path: a query string may carry names, never shown.
        let shown = uri.split('?').next().unwrap_or(uri);
        match cfg.load::<RequestAttempts>().map_or(1, |a| a.attempts()) {
            n if n > 1 => debug!("retry {action} to {shown} (attempt {n})"),
            _ => debug!("request {action} to {shown}"),
        }
        Ok(())
    }

    fn read_before_deserialization(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> std::result::Result<(), BoxError> {
        debug!("reply HTTP {}", context.response().status().as_u16());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(vars: &[(&str, &str)], config: &str, profile: Option<&str>) -> Result<Settings> {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config");
        std::fs::write(&file, config).unwrap();
        let mut all = vec![
            ("AWS_CONFIG_FILE", file.to_str().unwrap()),
            ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials"),
        ];
        all.extend_from_slice(vars);
        let ctx = Context::fake(&all, 0);
        let config = Config::load(&ctx)?;
        Settings::load(&ctx, Some(&config), profile, None)
    }

    const FILES: &str = "[profile p]\nservices = corp\nendpoint_url = https://profile.example\n\
        use_fips_endpoint = true\n\n[services corp]\nsts =\n  endpoint_url = https://corp.example\n";

    #[test]
    fn endpoint_precedence_is_service_variable_global_variable_services_then_profile() {
        let s = settings(
            &[
                ("AWS_ENDPOINT_URL_STS", "https://sts-var.example"),
                ("AWS_ENDPOINT_URL", "https://var.example"),
            ],
            FILES,
            Some("p"),
        )
        .unwrap();
        let sts = s.endpoint_url(Service::STS).unwrap();
        assert_eq!(sts.value, "https://sts-var.example");
        assert_eq!(sts.by, "AWS_ENDPOINT_URL_STS");
        let sso = s.endpoint_url(Service::SSO).unwrap();
        assert_eq!(
            (sso.value.as_str(), sso.by.as_str()),
            ("https://var.example", "AWS_ENDPOINT_URL")
        );

        let s = settings(&[], FILES, Some("p")).unwrap();
        let sts = s.endpoint_url(Service::STS).unwrap();
        assert_eq!(sts.value, "https://corp.example");
        assert_eq!(sts.by, "[services corp] sts.endpoint_url (profile `p`)");
        let sso = s.endpoint_url(Service::SSO).unwrap();
        assert_eq!(sso.value, "https://profile.example");
        assert_eq!(sso.by, "endpoint_url in profile `p`");
    }

    #[test]
    fn ignore_configured_endpoint_urls_drops_every_configured_url() {
        let s = settings(
            &[
                ("AWS_ENDPOINT_URL_STS", "https://sts-var.example"),
                ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"),
            ],
            FILES,
            Some("p"),
        )
        .unwrap();
        assert_eq!(s.endpoint_url(Service::STS), None);
        assert!(
            s.endpoint_reason(Service::STS, None)
                .contains("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        );
    }

    #[test]
    fn fips_and_dual_stack_come_from_the_environment_before_the_profile() {
        let s = settings(&[], FILES, Some("p")).unwrap();
        assert_eq!(s.use_fips().unwrap().by, "use_fips_endpoint in profile `p`");
        let s = settings(
            &[
                ("AWS_USE_FIPS_ENDPOINT", "false"),
                ("AWS_USE_DUALSTACK_ENDPOINT", "TRUE"),
            ],
            FILES,
            Some("p"),
        )
        .unwrap();
        assert_eq!(
            s.use_fips().unwrap(),
            &Chosen {
                value: false,
                by: "AWS_USE_FIPS_ENDPOINT".into()
            }
        );
        assert!(s.use_dual_stack().unwrap().value);
        let err = settings(&[("AWS_USE_FIPS_ENDPOINT", "yes")], FILES, Some("p")).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(
            err.to_string()
                .contains("AWS_USE_FIPS_ENDPOINT must be true or false"),
            "{err}"
        );
    }

    #[test]
    fn retries_read_max_attempts_and_retry_mode() {
        let s = settings(
            &[],
            "[profile p]\nmax_attempts = 5\nretry_mode = adaptive\n",
            Some("p"),
        )
        .unwrap();
        let retry = s.retry_config();
        assert_eq!(retry.max_attempts(), 5);
        assert_eq!(retry.mode(), RetryMode::Adaptive);
        assert_eq!(s.clone().bounded(1, 5).retry_config().max_attempts(), 1);
        let s = settings(&[("AWS_RETRY_MODE", "legacy")], "", None).unwrap();
        assert_eq!(s.retry_config().mode(), RetryMode::Standard);
        assert_eq!(s.retry_config().max_attempts(), DEFAULT_ATTEMPTS);
        let err = settings(&[("AWS_MAX_ATTEMPTS", "0")], "", None).unwrap_err();
        assert!(
            err.to_string().contains("AWS_MAX_ATTEMPTS must be"),
            "{err}"
        );
    }

    #[test]
    fn a_missing_or_empty_ca_bundle_is_a_usage_error_naming_the_file() {
        let s = settings(&[("AWS_CA_BUNDLE", "/nonexistent/ca.pem")], "", None).unwrap();
        let err = s.trusted_roots().unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(
            err.to_string()
                .contains("/nonexistent/ca.pem (from AWS_CA_BUNDLE) does not exist"),
            "{err}"
        );
        let dir = tempfile::tempdir().unwrap();
        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, "not a certificate\n").unwrap();
        let config = format!("[default]\nca_bundle = {}\n", junk.display());
        let s = settings(&[], &config, None).unwrap();
        let err = s.trusted_roots().unwrap_err();
        assert!(
            err.to_string().contains("holds no PEM certificate"),
            "{err}"
        );
        assert!(
            err.to_string().contains("ca_bundle in profile `default`"),
            "{err}"
        );
    }

    #[test]
    fn an_untrusted_certificate_is_said_as_such() {
        let text = "dispatch failure: io error: invalid peer certificate: UnknownIssuer";
        assert_eq!(certificate_problem(text).as_deref(), Some("UnknownIssuer"));
        assert_eq!(certificate_problem("connection refused"), None);
        assert_eq!(
            host_of("https://sts.us-east-1.amazonaws.com/x"),
            "sts.us-east-1.amazonaws.com"
        );
        assert_eq!(host_of("https://127.0.0.1:8443"), "127.0.0.1:8443");
    }

    #[test]
    fn timeouts_bound_connect_by_the_whole() {
        let t = timeouts(2);
        assert_eq!(t.connect_timeout(), Some(Duration::from_secs(2)));
        assert_eq!(t.operation_timeout(), Some(Duration::from_secs(2)));
        assert_eq!(timeouts(20).connect_timeout(), Some(CONNECT_TIMEOUT));
    }

    #[test]
    fn service_names_follow_the_sdk() {
        assert_eq!(
            Service::SSO_OIDC.endpoint_variable(),
            "AWS_ENDPOINT_URL_SSO_OIDC"
        );
        assert_eq!(Service::SSO_OIDC.services_key(), "sso-oidc");
        assert_eq!(Service::STS.services_key(), "sts");
    }
}
