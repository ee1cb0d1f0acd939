//! The loopback credential endpoint behind `awsenv exec --server`: a small HTTP/1.1 server on
//! 127.0.0.1 that answers `GET /credentials` in the container credentials format, and a
//! background thread that renews what it serves through `resolve` (so the cache and its lock)
//! before it runs low.
//!
//! Serving never waits on STS: a request reads the credentials held behind a lock that
//! renewal takes only to swap in new ones. Nothing here prompts or starts the child
//! (`cmd::exec` does); the threads end with the process, when the child has exited.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use base64::Engine;
use serde::Serialize;
use subtle::ConstantTimeEq;

use crate::env::{self, Context, Credentials};
use crate::error::{Error, Result};
use crate::profile::{Config, Kind};
use crate::resolve::{self, Request};

/// What handed-out credentials keep at least: 20 minutes (boto3 refreshes 15 minutes before
/// expiry, the Java SDK up to 60, Rust and Go up to 5), or a third of a shorter session.
const KEEP: i64 = 20 * 60;
/// The test hook that replaces the renewal point (seconds before expiry, or like `10s`).
pub const RENEW_BEFORE: &str = "AWSENV_SERVER_RENEW_BEFORE";
/// The longest wait between two looks at the wall clock: a suspended laptop wakes up to a
/// renewal, not to a sleep that did not count the suspension.
const CLOCK_LOOK: i64 = 30;
/// The most a failed renewal waits before the next attempt.
const MAX_RETRY: i64 = 30;

/// A request's head is at most this long; longer ones get 431 and the connection closes.
const MAX_HEAD: usize = 8 * 1024;
/// Once a request has begun, its head must arrive within this.
const REQUEST_TIME: Duration = Duration::from_secs(5);
/// An idle kept-alive connection closes after this.
const IDLE_TIME: Duration = Duration::from_secs(30);
/// Connections served at once; more wait in the listen backlog.
const MAX_CONNECTIONS: usize = 256;
const MAX_REQUESTS_PER_CONNECTION: usize = 100_000;
const PATH: &str = "/credentials";

/// A running endpoint: where it listens, the token it wants, the region for the child.
pub struct Server {
    pub url: String,
    pub token: String,
    pub region: Option<String>,
}

/// What is served now.
struct Held {
    expires_at: i64,
    /// The session's whole lifetime, when it was fetched here (not read from the cache).
    lifetime: Option<i64>,
    /// The 200 body, rendered once per renewal.
    body: String,
    /// Why the last renewal failed, for the 500 after expiry.
    failure: Option<String>,
}

struct Shared {
    held: RwLock<Arc<Held>>,
    token: String,
    profile: String,
    connections: AtomicUsize,
}

impl Shared {
    fn current(&self) -> Arc<Held> {
        Arc::clone(&self.held.read().unwrap_or_else(|p| p.into_inner()))
    }

    fn swap(&self, held: Held) {
        *self.held.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(held);
    }
}

/// The container credentials format: what every SDK's container provider reads.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Body<'a> {
    access_key_id: &'a str,
    secret_access_key: &'a str,
    token: &'a str,
    expiration: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    account_id: Option<&'a str>,
}

impl Held {
    fn new(creds: &Credentials, lifetime: Option<i64>, account: Option<&str>) -> Result<Self> {
        // Invariant: `resolve_temporary` hands back only credentials with both.
        let (Some(token), Some(expires_at)) = (&creds.session_token, creds.expires_at) else {
            return Err(Error::Credentials(
                "the credentials to serve are not temporary".into(),
            ));
        };
        let body = Body {
            access_key_id: &creds.access_key_id,
            secret_access_key: &creds.secret_access_key,
            token,
            expiration: env::rfc3339(expires_at),
            account_id: account,
        };
        let body = serde_json::to_string(&body)
            .map_err(|e| Error::Credentials(format!("cannot write the JSON: {e}")))?;
        Ok(Self {
            expires_at,
            lifetime,
            body,
            failure: None,
        })
    }

    fn failed(&self, why: String) -> Self {
        Self {
            body: self.body.clone(),
            failure: Some(why),
            ..*self
        }
    }
}

/// How the credentials are had again, in the background.
struct Renewer {
    ctx: Context,
    config: Config,
    request: Request,
    account: Option<String>,
    hook: Option<i64>,
}

/// Credentials resolved and ready to serve: `serve` starts the threads.
pub struct Prepared {
    held: Held,
    renewer: Renewer,
    region: Option<String>,
}

impl Server {
    /// Resolve `request`, asking for an MFA code here if at all, before any child runs.
    pub fn prepare(ctx: &Context, request: Request) -> Result<Prepared> {
        let profile = request.profile.clone();
        let config = Config::load(ctx)?;
        warn_about_default_profile(&config);
        let hook = ctx
            .var(RENEW_BEFORE)
            .map(|_| ctx.duration_var(RENEW_BEFORE, KEEP));
        let resolved = resolve::resolve_temporary(ctx, &config, &request)?;
        let region = resolved.region.clone();
        let mut creds = resolved.credentials;
        let mut lifetime = None;
        // Credentials from the cache may be too close to expiry to hand out: get a full
        // session now, quietly, and keep the cached one if that fails.
        let left = creds.expires_at.unwrap_or(0) - ctx.now();
        if !request.refresh && left <= renew_point(None, hook) {
            let later = ctx.later();
            if let Ok(fresh) = resolve::resolve_temporary(&later, &config, &renewal(&request)) {
                lifetime = fresh.credentials.expires_at.map(|at| at - later.now());
                creds = fresh.credentials;
            }
        }
        let account = account_id(ctx, &config, &profile, &creds, region.as_deref());
        let held = Held::new(&creds, lifetime, account.as_deref())
            .map_err(|e| Error::credentials(&profile, e))?;
        let renewer = Renewer {
            ctx: ctx.clone(),
            config,
            request,
            account,
            hook,
        };
        Ok(Prepared {
            held,
            renewer,
            region,
        })
    }
}

impl Prepared {
    /// Bind 127.0.0.1 on an ephemeral port and start serving and renewing.
    pub fn serve(self) -> Result<Server> {
        let Prepared {
            held,
            renewer,
            region,
        } = self;
        let profile = renewer.request.profile.clone();
        let listener = TcpListener::bind(("127.0.0.1", 0)).map_err(|e| {
            Error::credentials(&profile, format!("cannot listen on 127.0.0.1 ({e})"))
        })?;
        let port = listener
            .local_addr()
            .map_err(|e| Error::credentials(&profile, format!("no local port ({e})")))?
            .port();
        let shared = Arc::new(Shared {
            held: RwLock::new(Arc::new(held)),
            token: new_token().map_err(|e| Error::credentials(&profile, e))?,
            profile: profile.clone(),
            connections: AtomicUsize::new(0),
        });
        let serving = Arc::clone(&shared);
        let renewing = Arc::clone(&shared);
        let started = std::thread::Builder::new()
            .name("awsenv-serve".into())
            .spawn(move || accept_loop(&listener, &serving))
            .and_then(|_| {
                std::thread::Builder::new()
                    .name("awsenv-renew".into())
                    .spawn(move || renewer.run(&renewing))
            });
        started.map_err(|e| Error::credentials(&profile, format!("cannot start ({e})")))?;
        Ok(Server {
            url: format!("http://127.0.0.1:{port}{PATH}"),
            token: shared.token.clone(),
            region,
        })
    }
}

/// A renewal's request: a new session whatever the cache holds, and never a prompt.
fn renewal(request: &Request) -> Request {
    Request {
        refresh: true,
        no_input: true,
        mfa_code: None,
        ..request.clone()
    }
}

/// Seconds before expiry at which held credentials are renewed: what they must keep (20
/// minutes, a third of a session shorter than an hour) and a quarter more, so a failing STS
/// can be retried before the limit. A session of unknown lifetime counts as an hour.
fn renew_point(lifetime: Option<i64>, hook: Option<i64>) -> i64 {
    if let Some(secs) = hook {
        return secs;
    }
    let keep = match lifetime {
        Some(secs) if secs < 3600 => secs / 3,
        _ => KEEP,
    };
    keep + keep / 4
}

impl Renewer {
    fn run(self, shared: &Shared) {
        let mut said = false;
        let mut last_try = i64::MIN;
        loop {
            let held = shared.current();
            let point = renew_point(held.lifetime, self.hook);
            let retry = (point / 10).clamp(1, MAX_RETRY);
            sleep_until((held.expires_at - point).max(last_try.saturating_add(retry)));
            let ctx = self.ctx.later();
            last_try = ctx.now();
            let renewed = resolve::resolve_temporary(&ctx, &self.config, &renewal(&self.request))
                .and_then(|fresh| {
                    let creds = fresh.credentials;
                    let lifetime = creds.expires_at.map(|at| at - ctx.now());
                    Held::new(&creds, lifetime, self.account.as_deref())
                });
            match renewed {
                Ok(fresh) => {
                    shared.swap(fresh);
                    said = false;
                }
                Err(error) => {
                    if !said {
                        eprintln!(
                            "awsenv: warning: renewing the served credentials failed: {error}; serving the current ones until they expire at {}, retrying meanwhile",
                            env::rfc3339(held.expires_at)
                        );
                        said = true;
                    }
                    shared.swap(held.failed(error.to_string()));
                }
            }
        }
    }
}

/// Sleep until the wall clock reads `at`, looking at it at least every `CLOCK_LOOK` seconds.
fn sleep_until(at: i64) {
    loop {
        let left = at - env::clock();
        if left <= 0 {
            return;
        }
        std::thread::sleep(Duration::from_secs(left.min(CLOCK_LOOK).unsigned_abs()));
    }
}

/// The account the credentials belong to: from the role ARN, else asked of STS once.
fn account_id(
    ctx: &Context,
    config: &Config,
    profile: &str,
    creds: &Credentials,
    region: Option<&str>,
) -> Option<String> {
    let role = config
        .chain(profile)
        .ok()
        .and_then(|chain| chain.roles.last().map(|hop| hop.role_arn.clone()));
    match role {
        Some(arn) => arn
            .split(':')
            .nth(4)
            .filter(|a| !a.is_empty())
            .map(str::to_owned),
        None => crate::sts::caller_identity(ctx, Some(profile), creds, region)
            .ok()
            .map(|id| id.account),
    }
}

/// SDKs read the `default` profile of the files before the endpoint.
fn warn_about_default_profile(config: &Config) {
    if config.kind("default") != Kind::None {
        eprintln!(
            "awsenv: warning: profile `default` in the AWS files has credentials, which most SDKs use before the endpoint; give them a profile name of their own"
        );
    }
}

/// 32 random bytes, base64url without padding: a header value with no newline.
fn new_token() -> std::result::Result<String, String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| format!("no random token ({e})"))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    loop {
        let stream = match listener.accept() {
            Ok((stream, _)) => stream,
            // Out of descriptors, or a connection reset before it was taken: try again.
            Err(_) => {
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
        };
        while shared.connections.load(Ordering::Acquire) >= MAX_CONNECTIONS {
            std::thread::sleep(Duration::from_millis(1));
        }
        shared.connections.fetch_add(1, Ordering::AcqRel);
        let s = Arc::clone(shared);
        let spawned = std::thread::Builder::new().spawn(move || {
            connection(stream, &s);
            s.connections.fetch_sub(1, Ordering::AcqRel);
        });
        if spawned.is_err() {
            shared.connections.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

/// Serve the requests of one connection, kept alive while the client wants it.
fn connection(mut stream: TcpStream, shared: &Shared) {
    let _ = stream.set_nodelay(true);
    let _ = stream.set_write_timeout(Some(REQUEST_TIME));
    let mut buffered = Vec::new();
    for _ in 0..MAX_REQUESTS_PER_CONNECTION {
        let reply = match read_head(&mut stream, &mut buffered) {
            Head::Complete(head) => respond(shared, &parse(&head), env::clock()),
            Head::TooLarge => Reply::error(431, "RequestHeaderFieldsTooLarge", "request too large"),
            Head::Closed => return,
        };
        if stream.write_all(reply.render().as_bytes()).is_err() {
            return;
        }
        if reply.close {
            return linger_close(&mut stream);
        }
    }
}

/// Close after the reply, reading (a bounded amount of) what the client still sends, so the
/// kernel does not reset the connection and lose the reply before the client reads it.
fn linger_close(stream: &mut TcpStream) {
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
    let mut chunk = [0u8; 4096];
    for _ in 0..16 {
        if !matches!(stream.read(&mut chunk), Ok(n) if n > 0) {
            return;
        }
    }
}

enum Head {
    Complete(Vec<u8>),
    TooLarge,
    Closed,
}

/// The next request head, from `buffered` and the stream; what follows it stays buffered.
fn read_head(stream: &mut TcpStream, buffered: &mut Vec<u8>) -> Head {
    let idle_until = Instant::now() + IDLE_TIME;
    let mut begun = (!buffered.is_empty()).then(Instant::now);
    loop {
        if let Some(end) = buffered.windows(4).position(|w| w == b"\r\n\r\n") {
            return Head::Complete(buffered.drain(..end + 4).collect());
        }
        if buffered.len() >= MAX_HEAD {
            return Head::TooLarge;
        }
        let until = begun.map_or(idle_until, |at| at + REQUEST_TIME);
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            return Head::Closed;
        }
        let mut chunk = [0u8; 4096];
        match stream.read(&mut chunk) {
            Ok(0) => return Head::Closed,
            Ok(n) => {
                begun.get_or_insert_with(Instant::now);
                buffered.extend_from_slice(&chunk[..n]);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return Head::Closed,
        }
    }
}

/// What the server needs of a request head.
#[derive(Debug, Default, PartialEq, Eq)]
struct Parsed {
    valid: bool,
    method: String,
    path: String,
    /// Every `Authorization` value (more than one is no authorization).
    authorization: Vec<String>,
    keep_alive: bool,
    has_body: bool,
}

fn parse(head: &[u8]) -> Parsed {
    let Ok(text) = std::str::from_utf8(head) else {
        return Parsed::default();
    };
    let mut lines = text.split("\r\n");
    let mut words = lines.next().unwrap_or_default().split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (words.next(), words.next(), words.next(), words.next())
    else {
        return Parsed::default();
    };
    let mut parsed = Parsed {
        valid: matches!(version, "HTTP/1.1" | "HTTP/1.0") && !method.is_empty(),
        method: method.to_owned(),
        path: target.split('?').next().unwrap_or_default().to_owned(),
        keep_alive: version == "HTTP/1.1",
        ..Parsed::default()
    };
    for line in lines.filter(|l| !l.is_empty()) {
        let Some((name, value)) = line.split_once(':') else {
            parsed.valid = false;
            continue;
        };
        let value = value.trim_matches([' ', '\t']);
        match name.to_ascii_lowercase().as_str() {
            "authorization" => parsed.authorization.push(value.to_owned()),
            "connection" if value.eq_ignore_ascii_case("close") => parsed.keep_alive = false,
            "connection" if value.eq_ignore_ascii_case("keep-alive") => parsed.keep_alive = true,
            "content-length" => parsed.has_body |= value != "0",
            "transfer-encoding" => parsed.has_body = true,
            _ => {}
        }
    }
    parsed
}

/// One response.
#[derive(Debug)]
struct Reply {
    status: u16,
    body: String,
    close: bool,
    allow: bool,
}

impl Reply {
    fn ok(body: String) -> Self {
        Self {
            status: 200,
            body,
            close: false,
            allow: false,
        }
    }

    /// A JSON `{"code","message"}` error; `message` never holds a credential.
    fn error(status: u16, code: &str, message: &str) -> Self {
        let body = serde_json::json!({ "code": code, "message": message }).to_string();
        Self {
            status,
            body,
            close: status == 400 || status == 431,
            allow: status == 405,
        }
    }

    fn render(&self) -> String {
        let reason = match self.status {
            200 => "OK",
            400 => "Bad Request",
            403 => "Forbidden",
            404 => "Not Found",
            405 => "Method Not Allowed",
            431 => "Request Header Fields Too Large",
            _ => "Internal Server Error",
        };
        format!(
            "HTTP/1.1 {} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nCache-Control: no-store\r\n{}Connection: {}\r\n\r\n{}",
            self.status,
            self.body.len(),
            if self.allow { "Allow: GET\r\n" } else { "" },
            if self.close { "close" } else { "keep-alive" },
            self.body
        )
    }
}

/// The answer to `request` at `now`, from what `shared` holds.
fn respond(shared: &Shared, request: &Parsed, now: i64) -> Reply {
    let mut reply = if !request.valid {
        Reply::error(400, "BadRequest", "not an HTTP/1.1 request")
    } else if request.path != PATH {
        Reply::error(404, "NotFound", "awsenv serves GET /credentials only")
    } else if request.method != "GET" {
        Reply::error(
            405,
            "MethodNotAllowed",
            "awsenv serves GET /credentials only",
        )
    } else if !authorized(&request.authorization, &shared.token) {
        Reply::error(
            403,
            "AccessDenied",
            "missing or wrong Authorization header: send the value of AWS_CONTAINER_AUTHORIZATION_TOKEN",
        )
    } else {
        credentials(shared, now)
    };
    reply.close |= !request.keep_alive || request.has_body;
    reply
}

/// Exactly one `Authorization` header, equal to the token, compared in constant time.
fn authorized(values: &[String], token: &str) -> bool {
    match values {
        [value] => value.as_bytes().ct_eq(token.as_bytes()).into(),
        _ => false,
    }
}

/// The held credentials, or a 500 naming the cause once they have expired.
fn credentials(shared: &Shared, now: i64) -> Reply {
    let held = shared.current();
    if now < held.expires_at {
        return Reply::ok(held.body.clone());
    }
    let why = match held.failure.as_deref() {
        Some(failure) => format!("renewing them failed: {failure}"),
        None => "their renewal is still waiting for STS".to_owned(),
    };
    let message = format!(
        "profile `{}`: the served credentials expired at {} and {why}; fix that, or restart the command under `awsenv exec --server {}`",
        shared.profile,
        env::rfc3339(held.expires_at),
        shell_words::quote(&shared.profile),
    );
    Reply::error(500, "CredentialsExpired", &message)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn shared(expires_at: i64) -> Shared {
        let creds = Credentials {
            access_key_id: "ASIAHELD".into(),
            secret_access_key: "heldsecret".into(),
            session_token: Some("heldtoken".into()),
            expires_at: Some(expires_at),
        };
        Shared {
            held: RwLock::new(Arc::new(
                Held::new(&creds, Some(3600), Some("123456789012")).unwrap(),
            )),
            token: "right-token".into(),
            profile: "prod".into(),
            connections: AtomicUsize::new(0),
        }
    }

    fn get(authorization: &[&str]) -> Parsed {
        let mut head = "GET /credentials HTTP/1.1\r\nHost: 127.0.0.1\r\n".to_owned();
        for value in authorization {
            head.push_str(&format!("Authorization: {value}\r\n"));
        }
        head.push_str("\r\n");
        parse(head.as_bytes())
    }

    #[test]
    fn the_right_token_gets_the_credentials_in_the_container_format() {
        let reply = respond(&shared(NOW + 3600), &get(&["right-token"]), NOW);
        assert_eq!((reply.status, reply.close), (200, false));
        let body: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "AccessKeyId": "ASIAHELD",
                "SecretAccessKey": "heldsecret",
                "Token": "heldtoken",
                "Expiration": env::rfc3339(NOW + 3600),
                "AccountId": "123456789012",
            })
        );
        assert!(body["Expiration"].as_str().unwrap().ends_with('Z'));
    }

    #[test]
    fn a_wrong_missing_or_doubled_token_is_403_with_no_secret() {
        let s = shared(NOW + 3600);
        for auth in [
            &[][..],
            &["wrong-token"],
            &["right-toke"],
            &["right-token-"],
            &["Bearer right-token"],
            &["right-token", "right-token"],
        ] {
            let reply = respond(&s, &get(auth), NOW);
            assert_eq!(reply.status, 403, "{auth:?}");
            assert!(!reply.body.contains("heldsecret") && !reply.body.contains("ASIAHELD"));
            let body: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
            assert_eq!(body["code"], "AccessDenied");
        }
    }

    #[test]
    fn other_paths_and_methods_are_404_and_405() {
        let s = shared(NOW + 3600);
        let at = |head: &str| respond(&s, &parse(head.as_bytes()), NOW).status;
        let auth = "Authorization: right-token\r\n\r\n";
        assert_eq!(at(&format!("GET / HTTP/1.1\r\n{auth}")), 404);
        assert_eq!(at(&format!("GET /credentials/x HTTP/1.1\r\n{auth}")), 404);
        assert_eq!(at(&format!("POST /credentials HTTP/1.1\r\n{auth}")), 405);
        assert_eq!(at(&format!("GET /credentials?x=1 HTTP/1.1\r\n{auth}")), 200);
        assert_eq!(at("GET /credentials\r\n\r\n"), 400);
        assert_eq!(at("\u{ff}\r\n\r\n"), 400);
        let reply = respond(&s, &parse(b"DELETE /credentials HTTP/1.1\r\n\r\n"), NOW);
        assert!(reply.render().contains("\r\nAllow: GET\r\n"));
    }

    #[test]
    fn expired_credentials_are_500_naming_the_cause() {
        let s = shared(NOW);
        let held = s.current();
        s.swap(held.failed("STS refused the request (AccessDenied)".into()));
        let reply = respond(&s, &get(&["right-token"]), NOW);
        assert_eq!(reply.status, 500);
        let body: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
        assert_eq!(body["code"], "CredentialsExpired");
        let message = body["message"].as_str().unwrap();
        assert!(
            message.contains("AccessDenied") && message.contains("`prod`"),
            "{message}"
        );
        assert!(!reply.body.contains("heldsecret"));
        assert_eq!(respond(&s, &get(&["right-token"]), NOW - 1).status, 200);
    }

    #[test]
    fn connections_close_when_asked_or_when_a_body_came() {
        let s = shared(NOW + 3600);
        let reply = |head: &str| respond(&s, &parse(head.as_bytes()), NOW);
        let auth = "Authorization: right-token\r\n";
        assert!(!reply(&format!("GET /credentials HTTP/1.1\r\n{auth}\r\n")).close);
        assert!(
            reply(&format!(
                "GET /credentials HTTP/1.1\r\nConnection: close\r\n{auth}\r\n"
            ))
            .close
        );
        assert!(reply(&format!("GET /credentials HTTP/1.0\r\n{auth}\r\n")).close);
        assert!(
            !reply(&format!(
                "GET /credentials HTTP/1.0\r\nConnection: keep-alive\r\n{auth}\r\n"
            ))
            .close
        );
        assert!(
            reply(&format!(
                "GET /credentials HTTP/1.1\r\nContent-Length: 3\r\n{auth}\r\n"
            ))
            .close
        );
        let rendered = reply(&format!("GET /credentials HTTP/1.1\r\n{auth}\r\n")).render();
        assert!(rendered.starts_with("HTTP/1.1 200 OK\r\n"));
        assert!(rendered.contains("Content-Type: application/json\r\n"));
        assert!(rendered.contains("Cache-Control: no-store\r\n"));
    }

    #[test]
    fn renewal_leaves_twenty_minutes_or_a_third_of_a_short_session() {
        assert_eq!(renew_point(Some(3600), None), 1500);
        assert_eq!(renew_point(Some(43_200), None), 1500);
        assert_eq!(renew_point(None, None), 1500);
        assert_eq!(renew_point(Some(900), None), 375);
        assert!(renew_point(Some(900), None) > 300);
        assert_eq!(renew_point(Some(3600), Some(10)), 10);
    }

    #[test]
    fn tokens_are_43_base64url_characters_and_differ() {
        let (a, b) = (new_token().unwrap(), new_token().unwrap());
        assert_eq!(a.len(), 43);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
        assert_ne!(a, b);
    }

    #[test]
    fn renewals_ask_for_a_new_session_and_never_prompt() {
        let request = Request {
            profile: "p".into(),
            mfa_code: Some("123456".into()),
            duration: Some(900),
            ..Request::default()
        };
        let r = renewal(&request);
        assert!(r.refresh && r.no_input && r.mfa_code.is_none());
        assert_eq!(r.duration, Some(900));
    }
}
