//! A stub of the JSON services awsenv calls beside STS: the SSO portal's account listing
//! (`GET /assignment/accounts`, `GET /assignment/roles`, restJson, the token in the
//! `x-amz-sso_bearer_token` header, paginated with `nextToken`) and AWS Sign-In's token
//! refresh (`POST /v1/token`, for `login_session` profiles).
//!
//! Std only, like `stub.rs`: one server thread on a free loopback port, a thread per
//! connection, every loop bounded by the stop flag set on drop (and a hard deadline).

use std::collections::HashMap;
use std::io::BufReader;
use std::net::TcpStream;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::http;

/// The access token the portal accepts, unless a test says otherwise.
pub const TOKEN: &str = "PORTALTOKEN-aoeuidhtns";

/// Every key the Sign-In stub hands out starts with this, so tests can look for leaks.
pub const LOGIN_SECRET: &str = "LOGINSTUBSECRET";

/// One account and the roles granted in it.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: String,
    pub name: String,
    pub roles: Vec<String>,
}

impl Account {
    pub fn new(id: &str, name: &str, roles: &[&str]) -> Self {
        Self {
            id: id.into(),
            name: name.into(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
        }
    }
}

/// One request as the stub saw it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub query: HashMap<String, String>,
    /// Header names in lower case.
    pub headers: HashMap<String, String>,
    pub body: String,
}

impl http::Stops for Shared {
    fn stop_flag(&self) -> &AtomicBool {
        &self.stop
    }
}

struct Shared {
    accounts: Mutex<Vec<Account>>,
    page_size: usize,
    delay: Duration,
    token: Mutex<String>,
    /// Portal requests still to be refused with `TooManyRequestsException`.
    throttle: AtomicUsize,
    /// Run once, when the next request arrives, before it is answered.
    on_request: Mutex<Option<Box<dyn FnOnce() + Send>>>,
    stop: AtomicBool,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    requests: Mutex<Vec<Request>>,
}

/// A running portal; it stops when dropped.
pub struct Portal {
    server: http::Server<Shared>,
}

impl Portal {
    /// A portal granting `accounts`, `page_size` items a page, answering at once.
    pub fn start(accounts: Vec<Account>, page_size: usize) -> Self {
        Self::with_delay(accounts, page_size, Duration::ZERO)
    }

    /// A portal that waits `delay` before each answer, so concurrent calls overlap.
    pub fn with_delay(accounts: Vec<Account>, page_size: usize, delay: Duration) -> Self {
        let shared = |_| Shared {
            accounts: Mutex::new(accounts),
            page_size: page_size.max(1),
            delay,
            token: Mutex::new(TOKEN.to_owned()),
            throttle: AtomicUsize::new(0),
            on_request: Mutex::new(None),
            stop: AtomicBool::new(false),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            requests: Mutex::new(Vec::new()),
        };
        Self {
            server: http::Server::start(shared, serve),
        }
    }

    /// `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL_SSO` or `AWS_ENDPOINT_URL_SIGNIN`.
    pub fn endpoint(&self) -> String {
        self.server.url()
    }

    /// Grant these accounts from now on.
    pub fn set_accounts(&self, accounts: Vec<Account>) {
        *self.server.shared().accounts.lock().unwrap() = accounts;
    }

    /// Accept only this token from now on (any other gets `UnauthorizedException`).
    pub fn set_token(&self, token: &str) {
        *self.server.shared().token.lock().unwrap() = token.to_owned();
    }

    /// Refuse the next `n` portal requests with `TooManyRequestsException` (HTTP 429).
    pub fn throttle(&self, n: usize) {
        self.server.shared().throttle.store(n, Ordering::SeqCst);
    }

    /// Run `hook` once, when the next request arrives and before it is answered.
    pub fn on_next_request(&self, hook: impl FnOnce() + Send + 'static) {
        *self.server.shared().on_request.lock().unwrap() = Some(Box::new(hook));
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Request> {
        self.server.shared().requests.lock().unwrap().clone()
    }

    /// The requests to `path`.
    pub fn requests_to(&self, path: &str) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == path)
            .collect()
    }

    /// The most requests that were being answered at one time.
    pub fn max_in_flight(&self) -> usize {
        self.server.shared().max_in_flight.load(Ordering::SeqCst)
    }
}

/// Answer the one request on a connection (every reply says `Connection: close`).
fn serve(stream: TcpStream, shared: &Shared, started: Instant) {
    let Some((mut reader, writer)) = http::open(stream) else {
        return;
    };
    let Some(request) = read_request(&mut reader, shared, started) else {
        return;
    };
    shared.requests.lock().unwrap().push(request.clone());
    let hook = shared.on_request.lock().unwrap().take();
    if let Some(hook) = hook {
        hook();
    }
    let now = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    shared.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let until = Instant::now() + shared.delay;
    while Instant::now() < until && !http::stopping(shared, started) {
        std::thread::sleep(Duration::from_millis(5));
    }
    let reply = respond(shared, &request);
    shared.in_flight.fetch_sub(1, Ordering::SeqCst);
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
        body: String::from_utf8_lossy(&request.body).into_owned(),
        method: request.method,
        headers: request.headers,
    })
}

fn respond(shared: &Shared, request: &Request) -> String {
    match (request.method.as_str(), request.path.as_str()) {
        ("POST", "/v1/token") => sign_in_token(),
        ("GET", "/assignment/accounts" | "/assignment/roles") => {
            let expected = shared.token.lock().unwrap().clone();
            if request.headers.get("x-amz-sso_bearer_token") != Some(&expected) {
                return http(
                    401,
                    Some("UnauthorizedException"),
                    r#"{"message":"Session token not found or invalid"}"#,
                );
            }
            let throttled = shared
                .throttle
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
            if throttled {
                return http(
                    429,
                    Some("TooManyRequestsException"),
                    r#"{"message":"Rate exceeded"}"#,
                );
            }
            let accounts = shared.accounts.lock().unwrap().clone();
            if request.path == "/assignment/accounts" {
                let items: Vec<String> = accounts
                    .iter()
                    .map(|a| {
                        format!(
                            r#"{{"accountId":{},"accountName":{},"emailAddress":{}}}"#,
                            json(&a.id),
                            json(&a.name),
                            json(&format!("aws+{}@example.com", a.id))
                        )
                    })
                    .collect();
                page(shared, request, "accountList", &items)
            } else {
                let id = request.query.get("account_id").cloned().unwrap_or_default();
                let Some(account) = accounts.iter().find(|a| a.id == id) else {
                    return http(
                        404,
                        Some("ResourceNotFoundException"),
                        r#"{"message":"no such account"}"#,
                    );
                };
                let items: Vec<String> = account
                    .roles
                    .iter()
                    .map(|r| format!(r#"{{"roleName":{},"accountId":{}}}"#, json(r), json(&id)))
                    .collect();
                page(shared, request, "roleList", &items)
            }
        }
        _ => http(
            404,
            Some("UnknownOperationException"),
            r#"{"message":"no"}"#,
        ),
    }
}

/// The page of `items` that `next_token` asks for, with the next token when more follow.
fn page(shared: &Shared, request: &Request, key: &str, items: &[String]) -> String {
    let start: usize = request
        .query
        .get("next_token")
        .and_then(|t| t.strip_prefix("page-"))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let end = (start + shared.page_size).min(items.len());
    let body = items.get(start..end).unwrap_or_default().join(",");
    let next = if end < items.len() {
        format!(r#","nextToken":"page-{end}""#)
    } else {
        String::new()
    };
    http(200, None, &format!(r#"{{"{key}":[{body}]{next}}}"#))
}

/// Sign-In's CreateOAuth2Token reply: fresh keys for an hour and a new refresh token.
fn sign_in_token() -> String {
    let body = format!(
        r#"{{"accessToken":{{"accessKeyId":"ASIALOGINREFRESHED","secretAccessKey":"{LOGIN_SECRET}refreshed","sessionToken":"LOGINSESSIONTOKEN"}},"expiresIn":3600,"refreshToken":"refreshed-refresh-token"}}"#
    );
    http(200, None, &body)
}

fn json(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn http(status: u16, error: Option<&str>, body: &str) -> String {
    let reason = match status {
        200 => "OK",
        401 => "Unauthorized",
        404 => "Not Found",
        429 => "Too Many Requests",
        _ => "Error",
    };
    let error = error.map_or(String::new(), |e| format!("x-amzn-ErrorType: {e}\r\n"));
    format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n{error}Connection: close\r\nContent-Length: {}\r\nx-amzn-RequestId: portal-stub\r\n\r\n{body}",
        body.len()
    )
}
