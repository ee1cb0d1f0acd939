//! A stub of IAM Identity Center for what moto does not implement: the OIDC service
//! (`POST /client/register`, `/device_authorization`, `/token`, `GET /authorize`) and the
//! access portal (`GET /federation/credentials`, `POST /logout`), both restJson on one port.
//!
//! Std only, like `stub.rs`: a server thread on a free loopback port, a thread per
//! connection, every loop bounded by the stop flag set on drop and a hard deadline. It checks
//! PKCE (the verifier must hash to the challenge) and counts what arrived, so tests can say
//! "one RegisterClient, one browser start".

use std::collections::HashMap;
use std::io::BufReader;
use std::net::TcpStream;
use std::sync::Mutex;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use super::http;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::stub::SECRET_MARK;

/// How `GET /authorize` answers: what the person in the browser does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authorize {
    /// Redirect to the callback with a code and the request's state.
    Approve,
    /// Redirect with another state (a forged or stale reply).
    WrongState,
    /// Redirect with `error=access_denied`.
    Deny,
    /// Show a page and never redirect (the person walked away).
    Ignore,
}

/// How the device flow's `CreateToken` polls are answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Device {
    /// `AuthorizationPendingException` this many times first.
    pub pending: usize,
    /// Then `SlowDownException` once.
    pub slow_down: bool,
    /// Then `ExpiredTokenException` for ever instead of a token.
    pub expire: bool,
}

/// What the stub does; change it between calls through `Sso::set`.
#[derive(Debug, Clone)]
pub struct Behaviour {
    pub authorize: Authorize,
    pub device: Device,
    /// Lifetime of access tokens, seconds.
    pub token_lifetime: i64,
    /// Lifetime of role credentials, seconds.
    pub credentials_lifetime: i64,
    /// Delay before answering RegisterClient, so concurrent logins overlap.
    pub register_delay: Duration,
    /// Hand out role credentials whose session token holds a non-ASCII character and a
    /// newline, as a damaged reply would.
    pub damaged_session_token: bool,
}

impl Default for Behaviour {
    fn default() -> Self {
        Self {
            authorize: Authorize::Approve,
            device: Device {
                pending: 0,
                slow_down: false,
                expire: false,
            },
            token_lifetime: 8 * 3600,
            credentials_lifetime: 3600,
            register_delay: Duration::ZERO,
            damaged_session_token: false,
        }
    }
}

#[derive(Default)]
struct State {
    counts: HashMap<String, usize>,
    /// Authorization code → (code challenge, redirect URI).
    codes: HashMap<String, (String, String)>,
    access_tokens: Vec<String>,
    refresh_tokens: Vec<String>,
    polls: usize,
    /// Every request: method, path, JSON body or query.
    log: Vec<(String, String, Value)>,
    next: usize,
}

impl http::Stops for Shared {
    fn stop_flag(&self) -> &AtomicBool {
        &self.stop
    }
}

struct Shared {
    behaviour: Mutex<Behaviour>,
    state: Mutex<State>,
    stop: AtomicBool,
    port: u16,
}

/// A running stub; it stops when dropped.
pub struct Sso {
    server: http::Server<Shared>,
}

impl Sso {
    pub fn start(behaviour: Behaviour) -> Self {
        let shared = |port| Shared {
            behaviour: Mutex::new(behaviour),
            state: Mutex::new(State::default()),
            stop: AtomicBool::new(false),
            port,
        };
        Sso {
            server: http::Server::start(shared, serve),
        }
    }

    /// `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL_SSO_OIDC` and `AWS_ENDPOINT_URL_SSO`.
    pub fn endpoint(&self) -> String {
        self.server.url()
    }

    pub fn set(&self, change: impl FnOnce(&mut Behaviour)) {
        change(&mut self.server.shared().behaviour.lock().unwrap());
    }

    /// How many requests `what` arrived: `register`, `device_authorization`, `authorize`,
    /// `token:<grant type>`, `credentials`, `logout`.
    pub fn count(&self, what: &str) -> usize {
        let state = self.server.shared().state.lock().unwrap();
        state.counts.get(what).copied().unwrap_or(0)
    }

    /// The JSON bodies (or query, as an object) of the requests to `path`.
    pub fn bodies(&self, path: &str) -> Vec<Value> {
        let state = self.server.shared().state.lock().unwrap();
        let log = state.log.iter().filter(|(_, p, _)| p == path);
        log.map(|(_, _, v)| v.clone()).collect()
    }

    /// Forget every access token, as a sign-out elsewhere does.
    pub fn revoke_all(&self) {
        self.server
            .shared()
            .state
            .lock()
            .unwrap()
            .access_tokens
            .clear();
    }

    /// An access token the portal accepts, as if issued by a login elsewhere (the AWS CLI).
    pub fn issue_token(&self) -> String {
        let mut state = self.server.shared().state.lock().unwrap();
        state.next += 1;
        let token = format!("{SECRET_MARK}-access-cli-{}", state.next);
        state.access_tokens.push(token.clone());
        token
    }
}

struct Request {
    method: String,
    path: String,
    query: HashMap<String, String>,
    headers: HashMap<String, String>,
    body: Value,
}

fn serve(stream: TcpStream, shared: &Shared, started: Instant) {
    let Some((mut reader, writer)) = http::open(stream) else {
        return;
    };
    let Some(request) = read_request(&mut reader, shared, started) else {
        return;
    };
    {
        let mut state = shared.state.lock().unwrap();
        let logged = if request.method == "GET" {
            json!(request.query)
        } else {
            request.body.clone()
        };
        state
            .log
            .push((request.method.clone(), request.path.clone(), logged));
    }
    let reply = route(&request, shared);
    http::reply(writer, &reply);
}

fn read_request(
    reader: &mut BufReader<TcpStream>,
    shared: &Shared,
    started: Instant,
) -> Option<Request> {
    let request = http::read_request(reader, || http::stopping(shared, started))?;
    Some(Request {
        path: request.path().to_owned(),
        query: request.query(),
        body: serde_json::from_slice(&request.body).unwrap_or(Value::Null),
        method: request.method,
        headers: request.headers,
    })
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

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn count(shared: &Shared, what: &str) {
    *shared
        .state
        .lock()
        .unwrap()
        .counts
        .entry(what.to_owned())
        .or_default() += 1;
}

fn route(request: &Request, shared: &Shared) -> String {
    let behaviour = shared.behaviour.lock().unwrap().clone();
    let body = &request.body;
    let field = |k: &str| body.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    match (request.method.as_str(), request.path.as_str()) {
        ("POST", "/client/register") => {
            count(shared, "register");
            std::thread::sleep(behaviour.register_delay);
            let n = next(shared);
            ok(json!({
                "clientId": format!("client-{n}"),
                "clientSecret": format!("{SECRET_MARK}-client-secret-{n}"),
                "clientIdIssuedAt": now(),
                "clientSecretExpiresAt": now() + 90 * 86400,
            }))
        }
        ("POST", "/device_authorization") => {
            count(shared, "device_authorization");
            shared.state.lock().unwrap().polls = 0;
            let base = format!("http://127.0.0.1:{}", shared.port);
            ok(json!({
                "deviceCode": "device-code-1",
                "userCode": "ABCD-EFGH",
                "verificationUri": format!("{base}/device"),
                "verificationUriComplete": format!("{base}/device?user_code=ABCD-EFGH"),
                "expiresIn": 600,
                "interval": 1,
            }))
        }
        ("POST", "/token") => {
            let grant = field("grantType");
            count(shared, &format!("token:{grant}"));
            match grant.as_str() {
                "authorization_code" => {
                    let issued = shared.state.lock().unwrap().codes.remove(&field("code"));
                    let Some((challenge, redirect)) = issued else {
                        return error(400, "InvalidGrantException", "unknown code");
                    };
                    let verifier = field("codeVerifier");
                    let hashed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
                    if hashed != challenge || redirect != field("redirectUri") {
                        return error(400, "InvalidGrantException", "PKCE verification failed");
                    }
                    token(shared, &behaviour)
                }
                "urn:ietf:params:oauth:grant-type:device_code" => {
                    let polls = {
                        let mut state = shared.state.lock().unwrap();
                        state.polls += 1;
                        state.polls
                    };
                    let d = behaviour.device;
                    if polls <= d.pending {
                        error(400, "AuthorizationPendingException", "pending")
                    } else if d.slow_down && polls == d.pending + 1 {
                        error(400, "SlowDownException", "slow down")
                    } else if d.expire {
                        error(400, "ExpiredTokenException", "the device code expired")
                    } else {
                        token(shared, &behaviour)
                    }
                }
                "refresh_token" => {
                    let known = shared
                        .state
                        .lock()
                        .unwrap()
                        .refresh_tokens
                        .contains(&field("refreshToken"));
                    if known {
                        token(shared, &behaviour)
                    } else {
                        error(400, "InvalidGrantException", "unknown refresh token")
                    }
                }
                _ => error(400, "UnsupportedGrantTypeException", "grant type"),
            }
        }
        ("GET", "/authorize") => {
            count(shared, "authorize");
            let q = |k: &str| request.query.get(k).cloned().unwrap_or_default();
            let redirect = q("redirect_uri");
            let location = match behaviour.authorize {
                Authorize::Ignore => {
                    return http(200, "text/html", "<p>sign in here</p>", &[]);
                }
                Authorize::Deny => format!(
                    "{redirect}?error=access_denied&error_description=denied&state={}",
                    encode(&q("state"))
                ),
                approve => {
                    let code = format!("code-{}", next(shared));
                    shared
                        .state
                        .lock()
                        .unwrap()
                        .codes
                        .insert(code.clone(), (q("code_challenge"), redirect.clone()));
                    let state = if approve == Authorize::WrongState {
                        "forged".to_owned()
                    } else {
                        q("state")
                    };
                    format!("{redirect}?code={code}&state={}", encode(&state))
                }
            };
            http(302, "text/plain", "", &[("Location", &location)])
        }
        ("GET", "/federation/credentials") => {
            count(shared, "credentials");
            if !known_token(request, shared) {
                return error(
                    401,
                    "UnauthorizedException",
                    "Session token not found or invalid",
                );
            }
            let n = next(shared);
            let tag = format!("{n:06}{:06}", now() % 1_000_000);
            let damage = if behaviour.damaged_session_token {
                "\u{e9}\n"
            } else {
                ""
            };
            ok(json!({"roleCredentials": {
                "accessKeyId": format!("ASIASSO{tag}"),
                "secretAccessKey": format!("{SECRET_MARK}sso{tag}abcdefghijklmnop"),
                "sessionToken": format!("STUBSSOTOKEN{damage}{tag}"),
                "expiration": (now() + behaviour.credentials_lifetime) * 1000,
            }}))
        }
        ("POST", "/logout") => {
            count(shared, "logout");
            if !known_token(request, shared) {
                return error(
                    401,
                    "UnauthorizedException",
                    "Session token not found or invalid",
                );
            }
            let token = request.headers.get("x-amz-sso_bearer_token").cloned();
            let mut state = shared.state.lock().unwrap();
            state.access_tokens.retain(|t| Some(t) != token.as_ref());
            http(200, "application/json", "", &[])
        }
        _ => error(404, "NotFound", "no such route"),
    }
}

fn known_token(request: &Request, shared: &Shared) -> bool {
    let token = request.headers.get("x-amz-sso_bearer_token");
    let state = shared.state.lock().unwrap();
    token.is_some_and(|t| state.access_tokens.contains(t))
}

fn next(shared: &Shared) -> usize {
    let mut state = shared.state.lock().unwrap();
    state.next += 1;
    state.next
}

fn token(shared: &Shared, behaviour: &Behaviour) -> String {
    let n = next(shared);
    let access = format!("{SECRET_MARK}-access-{n}");
    let refresh = format!("{SECRET_MARK}-refresh-{n}");
    {
        let mut state = shared.state.lock().unwrap();
        state.access_tokens.push(access.clone());
        state.refresh_tokens.push(refresh.clone());
    }
    ok(json!({
        "accessToken": access,
        "tokenType": "Bearer",
        "expiresIn": behaviour.token_lifetime,
        "refreshToken": refresh,
    }))
}

fn ok(body: Value) -> String {
    http(200, "application/json", &body.to_string(), &[])
}

fn error(status: u16, code: &str, message: &str) -> String {
    let body = json!({"__type": code, "error": code, "message": message}).to_string();
    http(
        status,
        "application/json",
        &body,
        &[("x-amzn-ErrorType", code)],
    )
}

fn http(status: u16, kind: &str, body: &str, headers: &[(&str, &str)]) -> String {
    let reason = match status {
        200 => "OK",
        302 => "Found",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        _ => "Error",
    };
    let extra: String = headers
        .iter()
        .map(|(k, v)| format!("{k}: {v}\r\n"))
        .collect();
    format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {kind}\r\nConnection: close\r\nContent-Length: {}\r\nx-amzn-RequestId: stub-sso\r\n{extra}\r\n{body}",
        body.len()
    )
}
