//! `awsenv sso login`'s two flows: authorization code with PKCE through a loopback listener
//! (the default for `sso_session` profiles, as the AWS CLI does it), and the device code
//! (`--device-code`, and legacy profiles). Both end in a token file the AWS CLI can read.
//!
//! One login per session at a time: whoever waited on the lock while another process logged
//! in uses that login's token. Everything for the user goes to stderr; stdout stays empty.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Stdio;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use super::token::{self, Registration, Token};
use super::{Session, oidc_client, oidc_endpoint, sdk_failure};
use crate::aws::Aws;
use crate::env::Context;

/// The whole login, browser included, unless `AWSENV_SSO_LOGIN_TIMEOUT` says otherwise.
const DEFAULT_TIMEOUT: i64 = 600;
/// A token with less than this left is as good as expired.
pub const MARGIN: i64 = 60;
/// A registration with less than this left is registered anew.
const REGISTRATION_MARGIN: i64 = 3600;
const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
const REDIRECT_URI: &str = "http://127.0.0.1/oauth/callback";
const CALLBACK_PATH: &str = "/oauth/callback";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Authorization code with PKCE, through the browser and a loopback listener.
    Pkce,
    /// Device authorization: a code the user confirms on a page.
    Device,
}

#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub flow: Flow,
    /// Open a browser (`--no-browser` only prints the URL).
    pub browser: bool,
    /// Log in even when a valid token is cached (an explicit `sso login`); a token another
    /// process wrote while this one waited for the lock is still taken.
    pub force: bool,
}

impl Options {
    /// The flow a session uses unless told otherwise: PKCE for sessions, device code for
    /// legacy profiles (their start URL cannot be registered as a PKCE issuer).
    pub fn default_for(session: &Session) -> Self {
        Self {
            flow: if session.name.is_some() {
                Flow::Pkce
            } else {
                Flow::Device
            },
            browser: true,
            force: false,
        }
    }
}

/// Now, by `ctx`'s clock moved on by the time since `started`.
struct Clock {
    base: i64,
    started: Instant,
}

impl Clock {
    fn new(ctx: &Context) -> Self {
        Self {
            base: ctx.now(),
            started: Instant::now(),
        }
    }

    fn now(&self) -> i64 {
        self.base + self.started.elapsed().as_secs() as i64
    }
}

/// Log in to `session` and write its token file; the token. The requests follow the settings
/// of `profile` (`None`: `AWS_PROFILE`, else `default`). The error is one line with no secret
/// in it.
pub fn login(
    ctx: &Context,
    profile: Option<&str>,
    session: &Session,
    options: Options,
) -> Result<Token, String> {
    let path =
        token::path(ctx, session.id()).ok_or("no home directory (HOME is not set)".to_owned())?;
    let clock = Clock::new(ctx);
    let before = token::read(&path);
    let _lock = token::lock(ctx, session.id())
        .map_err(|e| eprintln!("awsenv: warning: cannot lock the SSO login ({e}); going on"))
        .ok();
    if let Some(current) = token::read(&path)
        && current.valid(clock.now(), MARGIN)
        && (!options.force || before.as_ref() != Some(&current))
    {
        eprintln!(
            "awsenv: {} is logged in (by another awsenv, or before); using its token",
            session.describe()
        );
        return Ok(current);
    }
    let timeout = ctx
        .duration_var("AWSENV_SSO_LOGIN_TIMEOUT", DEFAULT_TIMEOUT)
        .max(1);
    let deadline = Instant::now() + Duration::from_secs(timeout.unsigned_abs());
    let aws = super::aws(ctx, crate::aws::Service::SSO_OIDC, profile, &session.region)
        .map_err(|e| e.to_string())?;
    let endpoint = oidc_endpoint(aws.settings()).map_err(|e| e.to_string())?;
    let client = oidc_client(&aws);
    let flow = Login {
        ctx,
        session,
        options,
        clock: &clock,
        deadline,
        timeout,
        aws,
        endpoint,
        client,
    };
    let fresh = match options.flow {
        Flow::Pkce => flow.pkce()?,
        Flow::Device => flow.device()?,
    };
    token::write(&path, &fresh).map_err(|e| e.to_string())?;
    eprintln!(
        "awsenv: logged in to {}; the token lasts until {}",
        session.describe(),
        fresh.expires_at
    );
    Ok(fresh)
}

struct Login<'a> {
    ctx: &'a Context,
    session: &'a Session,
    options: Options,
    clock: &'a Clock,
    deadline: Instant,
    timeout: i64,
    aws: Aws,
    endpoint: String,
    client: aws_sdk_ssooidc::Client,
}

impl Login<'_> {
    fn endpoint(&self) -> &str {
        &self.endpoint
    }

    fn timed_out(&self) -> String {
        format!(
            "the login to {} did not finish within {} s (AWSENV_SSO_LOGIN_TIMEOUT); run it again",
            self.session.describe(),
            self.timeout
        )
    }

    /// Authorization code with PKCE.
    fn pkce(&self) -> Result<Token, String> {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .map_err(|e| format!("cannot listen on 127.0.0.1 for the login callback: {e}"))?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        let redirect_uri = format!("http://127.0.0.1:{port}{CALLBACK_PATH}");
        let registration = self.registration(Flow::Pkce)?;
        let verifier = random_text(48)?;
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        let state = random_text(24)?;
        let query = [
            ("response_type", "code"),
            ("client_id", registration.client_id.as_str()),
            ("redirect_uri", redirect_uri.as_str()),
            ("state", state.as_str()),
            ("code_challenge_method", "S256"),
            ("scopes", &self.session.scopes.join(" ")),
            ("code_challenge", challenge.as_str()),
        ];
        let url = format!("{}/authorize?{}", self.endpoint(), form(&query));
        eprintln!(
            "awsenv: logging in to {} in the browser",
            self.session.describe()
        );
        show_or_open(self.ctx, &url, self.options.browser);
        let code = self.callback(&listener, &state)?;
        let call = self
            .client
            .create_token()
            .client_id(&registration.client_id)
            .client_secret(&registration.client_secret)
            .grant_type("authorization_code")
            .redirect_uri(&redirect_uri)
            .code_verifier(&verifier)
            .code(code);
        let started = self.clock.now();
        let reply = self
            .aws
            .block_on(call.send())
            .map_err(|e| sdk_failure("CreateToken", &self.endpoint(), &e))?;
        self.token(&registration, started, reply)
    }

    /// Wait for the browser's redirect to the loopback listener; the authorization code.
    fn callback(&self, listener: &TcpListener, state: &str) -> Result<String, String> {
        while Instant::now() < self.deadline {
            let stream = match listener.accept() {
                Ok((stream, _)) => stream,
                Err(_) => {
                    std::thread::sleep(Duration::from_millis(50));
                    continue;
                }
            };
            match answer_callback(stream, state) {
                Callback::Ignored => continue,
                Callback::Code(code) => return Ok(code),
                Callback::Refused(why) => {
                    return Err(format!(
                        "the login to {} was refused: {why}",
                        self.session.describe()
                    ));
                }
            }
        }
        Err(self.timed_out())
    }

    /// Device authorization: show the code, poll CreateToken until the user confirms it.
    fn device(&self) -> Result<Token, String> {
        let registration = self.registration(Flow::Device)?;
        let call = self
            .client
            .start_device_authorization()
            .client_id(&registration.client_id)
            .client_secret(&registration.client_secret)
            .start_url(&self.session.start_url);
        let auth = self
            .aws
            .block_on(call.send())
            .map_err(|e| sdk_failure("StartDeviceAuthorization", &self.endpoint(), &e))?;
        let device_code = auth.device_code().unwrap_or_default().to_owned();
        let user_code = auth.user_code().unwrap_or_default();
        let page = auth.verification_uri().unwrap_or_default();
        let complete = auth.verification_uri_complete().unwrap_or(page);
        if device_code.is_empty() || page.is_empty() {
            return Err(format!(
                "StartDeviceAuthorization: {} sent no device code; check AWS_ENDPOINT_URL_SSO_OIDC",
                self.endpoint()
            ));
        }
        eprintln!(
            "awsenv: to log in to {}, open {page} and confirm the code {user_code}",
            self.session.describe()
        );
        show_or_open(self.ctx, complete, self.options.browser);
        let expires =
            Instant::now() + Duration::from_secs(auth.expires_in().max(1).unsigned_abs().into());
        let deadline = self.deadline.min(expires);
        let mut interval = Duration::from_secs(match auth.interval() {
            secs if secs > 0 => secs.unsigned_abs().into(),
            _ => 5,
        });
        loop {
            if Instant::now() + interval > deadline {
                return Err(if deadline == self.deadline {
                    self.timed_out()
                } else {
                    self.device_expired()
                });
            }
            std::thread::sleep(interval);
            let started = self.clock.now();
            let call = self
                .client
                .create_token()
                .client_id(&registration.client_id)
                .client_secret(&registration.client_secret)
                .grant_type(DEVICE_GRANT)
                .device_code(&device_code);
            match self.aws.block_on(call.send()) {
                Ok(reply) => return self.token(&registration, started, reply),
                Err(e) => {
                    use aws_sdk_ssooidc::error::ProvideErrorMetadata;
                    match e.code() {
                        Some("AuthorizationPendingException") => {}
                        Some("SlowDownException") => interval += Duration::from_secs(5),
                        Some("ExpiredTokenException") => return Err(self.device_expired()),
                        Some("AccessDeniedException") => {
                            return Err(format!(
                                "the login to {} was denied in the browser",
                                self.session.describe()
                            ));
                        }
                        _ => return Err(sdk_failure("CreateToken", &self.endpoint(), &e)),
                    }
                }
            }
        }
    }

    fn device_expired(&self) -> String {
        format!(
            "the device code for {} expired before it was confirmed; run the login again",
            self.session.describe()
        )
    }

    /// awsenv's client registration for this session and flow, reused while valid.
    fn registration(&self, flow: Flow) -> Result<Registration, String> {
        let legacy = self.session.name.is_none();
        let grants: Vec<String> = match (flow, legacy) {
            (Flow::Pkce, _) => vec!["authorization_code".into(), "refresh_token".into()],
            (Flow::Device, false) => vec![DEVICE_GRANT.into(), "refresh_token".into()],
            // As the AWS CLI registers for legacy profiles: no scopes, no refresh.
            (Flow::Device, true) => Vec::new(),
        };
        let scopes = self.session.scopes.clone();
        let path = token::registration_path(
            self.ctx,
            &[
                &self.session.start_url,
                &self.session.region,
                &scopes.join(","),
                &grants.join(","),
                self.session.id(),
            ],
        );
        let cached = path.as_deref().and_then(token::read_registration);
        if let Some(reg) = cached
            && token::parse_time(&reg.expires_at)
                .is_some_and(|at| at - self.clock.now() > REGISTRATION_MARGIN)
        {
            return Ok(reg);
        }
        let mut call = self
            .client
            .register_client()
            .client_name(format!("awsenv-{}", self.clock.now()))
            .client_type("public")
            .set_scopes(Some(scopes.clone()).filter(|s| !s.is_empty()))
            .set_grant_types(Some(grants.clone()).filter(|g| !g.is_empty()));
        if flow == Flow::Pkce {
            call = call
                .redirect_uris(REDIRECT_URI)
                .issuer_url(&self.session.start_url);
        }
        let reply = self
            .aws
            .block_on(call.send())
            .map_err(|e| sdk_failure("RegisterClient", &self.endpoint(), &e))?;
        let (Some(id), Some(secret)) = (reply.client_id(), reply.client_secret()) else {
            return Err(format!(
                "RegisterClient: {} sent no client id or secret; check AWS_ENDPOINT_URL_SSO_OIDC",
                self.endpoint()
            ));
        };
        let registration = Registration {
            client_id: id.to_owned(),
            client_secret: secret.to_owned(),
            expires_at: token::format_time(reply.client_secret_expires_at()),
            scopes,
            grant_types: grants,
        };
        if let Some(path) = path
            && let Err(e) = token::write(&path, &registration)
        {
            eprintln!("awsenv: warning: {e}; the client registration is not kept");
        }
        Ok(registration)
    }

    fn token(
        &self,
        registration: &Registration,
        started: i64,
        reply: aws_sdk_ssooidc::operation::create_token::CreateTokenOutput,
    ) -> Result<Token, String> {
        let access_token = reply.access_token().unwrap_or_default();
        if access_token.is_empty() || reply.expires_in() <= 0 {
            return Err(format!(
                "CreateToken: {} sent no access token; check AWS_ENDPOINT_URL_SSO_OIDC",
                self.endpoint()
            ));
        }
        Ok(Token {
            start_url: self.session.start_url.clone(),
            region: self.session.region.clone(),
            access_token: access_token.to_owned(),
            expires_at: token::format_time(started + i64::from(reply.expires_in())),
            refresh_token: reply.refresh_token().map(str::to_owned),
            client_id: Some(registration.client_id.clone()),
            client_secret: Some(registration.client_secret.clone()),
            registration_expires_at: Some(registration.expires_at.clone()),
        })
    }
}

enum Callback {
    /// Not the callback (a favicon, a probe): keep waiting.
    Ignored,
    Code(String),
    Refused(String),
}

/// Read one request on the loopback listener and answer it with a short page.
fn answer_callback(mut stream: TcpStream, state: &str) -> Callback {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut head = Vec::new();
    let mut buf = [0u8; 2048];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head);
    let target = head
        .lines()
        .next()
        .and_then(|line| line.strip_prefix("GET "))
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or("");
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if path != CALLBACK_PATH {
        reply(&mut stream, 404, "Not found.");
        return Callback::Ignored;
    }
    let params = parse_query(query);
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let outcome = if let Some(error) = get("error") {
        let said = get("error_description")
            .map(|d| format!(" ({d})"))
            .unwrap_or_default();
        Callback::Refused(super::one_line(&format!(
            "the sign-in page answered {error}{said}"
        )))
    } else if get("state") != Some(state) {
        Callback::Refused("the reply's state does not match the request (another page's reply?); run the login again".into())
    } else if let Some(code) = get("code").filter(|c| !c.is_empty()) {
        Callback::Code(code.to_owned())
    } else {
        Callback::Refused("the reply carried no authorization code".into())
    };
    match &outcome {
        Callback::Code(_) => reply(
            &mut stream,
            200,
            "awsenv: you are logged in. You can close this tab and return to the terminal.",
        ),
        _ => reply(
            &mut stream,
            400,
            "awsenv: the login failed. See the terminal for why.",
        ),
    }
    outcome
}

fn reply(stream: &mut TcpStream, status: u16, text: &str) {
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        _ => "Bad Request",
    };
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>awsenv</title></head><body><p>{text}</p></body></html>"
    );
    let _ = write!(
        stream,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\nCache-Control: no-store\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.flush();
}

/// Print `url` on stderr and, unless `--no-browser`, open it: `$BROWSER URL`, else the
/// system's opener. The URL holds no secret (the client id is public, the state single-use).
fn show_or_open(ctx: &Context, url: &str, browser: bool) {
    let opened = browser && open(ctx, url);
    if opened {
        eprintln!("awsenv: if no browser opened, visit {url}");
    } else {
        eprintln!("awsenv: open this URL in a browser: {url}");
    }
}

/// Start the browser on `url`; false when nothing could be started.
fn open(ctx: &Context, url: &str) -> bool {
    let mut command = crate::platform::browser(ctx, url);
    let spawned = command
        .stdin(Stdio::null())
        // Nothing a browser prints may reach stdout, which `eval` reads.
        .stdout(Stdio::from(std::io::stderr()))
        .stderr(Stdio::null())
        .spawn();
    match spawned {
        Ok(mut child) => {
            // Reap it whenever it ends; a browser may outlive the login.
            std::thread::spawn(move || child.wait());
            true
        }
        Err(_) => false,
    }
}

/// `n` random bytes, URL-safe base64 without padding (PKCE verifier, state). Without the
/// system's randomness there is no login: a guessable verifier would defeat PKCE.
fn random_text(n: usize) -> Result<String, String> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).map_err(|e| format!("no system randomness for the login ({e})"))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// `k=v&…`, percent-encoded.
fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_round_trip() {
        let q = form(&[
            ("redirect_uri", "http://127.0.0.1:1/oauth/callback"),
            ("s", "a b&c"),
        ]);
        assert_eq!(
            q,
            "redirect_uri=http%3A%2F%2F127.0.0.1%3A1%2Foauth%2Fcallback&s=a%20b%26c"
        );
        let parsed = parse_query(&q);
        assert_eq!(parsed[1], ("s".into(), "a b&c".into()));
        assert_eq!(decode("%zz%4"), "%zz%4");
        assert_eq!(decode("a%41"), "aA");
    }

    /// Send `request` to a fresh callback listener; what it made of it and the page it sent.
    fn callback(request: &str) -> (String, String) {
        let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let request = request.to_owned();
        let browser = std::thread::spawn(move || {
            let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
            s.write_all(request.as_bytes()).unwrap();
            let mut page = String::new();
            let _ = s.read_to_string(&mut page);
            page
        });
        let (stream, _) = listener.accept().unwrap();
        let outcome = match answer_callback(stream, "good") {
            Callback::Ignored => "ignored".to_owned(),
            Callback::Code(code) => format!("code {code}"),
            Callback::Refused(why) => format!("refused {why}"),
        };
        (outcome, browser.join().unwrap())
    }

    #[test]
    fn the_callback_checks_state_and_error_and_answers_with_a_page() {
        let get = |target: &str| callback(&format!("GET {target} HTTP/1.1\r\nHost: x\r\n\r\n"));
        let (said, page) = get("/oauth/callback?code=abc&state=good");
        assert_eq!(said, "code abc");
        assert!(
            page.starts_with("HTTP/1.1 200") && page.contains("logged in"),
            "{page}"
        );
        let (said, page) = get("/oauth/callback?code=abc&state=bad");
        assert!(
            said.starts_with("refused") && said.contains("state"),
            "{said}"
        );
        assert!(
            page.starts_with("HTTP/1.1 400") && page.contains("failed"),
            "{page}"
        );
        let (said, _) = get("/oauth/callback?error=access_denied&state=good");
        assert!(said.contains("access_denied"), "{said}");
        let (said, page) = get("/favicon.ico");
        assert_eq!(said, "ignored");
        assert!(page.starts_with("HTTP/1.1 404"));
        let (said, _) = get("/oauth/callback?state=good");
        assert!(said.contains("no authorization code"), "{said}");
    }

    #[test]
    fn verifiers_are_long_random_and_url_safe() {
        let (a, b) = (random_text(48).unwrap(), random_text(48).unwrap());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
    }
}
