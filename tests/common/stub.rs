//! A stub STS of our own, for what moto cannot do: error codes, throttling, malformed and
//! expired replies, a skewed `Date` header, an endpoint that accepts and never answers,
//! credentials that expire in seconds, a slow STS (every answer after a delay, which a test
//! may change while it runs), and a change of behaviour while a test runs.
//! It is also the console's federation endpoint: `GET /federation?Action=getSigninToken…`
//! (the query is recorded like a form) answers a sign-in token.
//!
//! Std only: one HTTP/1.1 server thread on a free loopback port, a thread per connection,
//! every loop bounded by the stop flag set on drop (and a hard deadline), so it always ends.

use std::collections::HashMap;
use std::io::BufReader;
use std::net::TcpStream;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::http;

/// Every secret key the stub hands out starts with this, so tests can look for leaks.
pub const SECRET_MARK: &str = "STUBSECRET";

/// Every sign-in token the stub hands out starts with this.
pub const SIGNIN_MARK: &str = "STUBSIGNIN";

/// What the stub answers.
#[derive(Debug, Clone)]
pub enum Behaviour {
    /// Valid replies with fresh keys (different on every call) that expire in an hour.
    Ok,
    /// An STS error reply with this code, message and HTTP status.
    Error {
        code: &'static str,
        message: &'static str,
        status: u16,
    },
    /// `Throttling` (400) for the first n requests, then `Ok`.
    ThrottleThenOk(usize),
    /// HTTP 200 with truncated XML.
    Malformed,
    /// `Ok`, with a `Date` header this many seconds off the real clock.
    SkewedDate(i64),
    /// Accept the connection, read the request, never answer.
    Hang,
    /// `Ok`, but the credentials' `Expiration` is an hour in the past.
    ExpiredCredentials,
    /// `Ok`, with credentials that expire this many seconds from now.
    ShortLived(i64),
}

impl Behaviour {
    /// The common error replies, by code.
    pub fn error(code: &'static str) -> Self {
        let message = match code {
            "ExpiredToken" => "The security token included in the request is expired",
            "AccessDenied" => "User is not authorized to perform: sts:AssumeRole",
            "InvalidClientTokenId" => "The security token included in the request is invalid.",
            "RegionDisabledException" => "STS is not activated in this region for account",
            "SignatureDoesNotMatch" => "Signature expired: is now earlier than (now - 5 min.)",
            _ => "stub error",
        };
        Behaviour::Error {
            code,
            message,
            status: 403,
        }
    }
}

impl http::Stops for Shared {
    fn stop_flag(&self) -> &AtomicBool {
        &self.stop
    }
}

struct Shared {
    behaviour: Mutex<Behaviour>,
    /// Every access key handed out, with its expiry: a request signed with one that has
    /// expired gets `ExpiredToken`, as from STS.
    issued: Mutex<HashMap<String, i64>>,
    /// How long each answer waits, in milliseconds.
    delay_ms: AtomicU64,
    stop: AtomicBool,
    served: AtomicUsize,
    /// Replies written, whatever they said.
    answered: AtomicUsize,
    requests: Mutex<Vec<HashMap<String, String>>>,
}

/// A running stub; it stops when dropped.
pub struct Stub {
    server: http::Server<Shared>,
}

impl Stub {
    pub fn start(behaviour: Behaviour) -> Self {
        Self::with_delay(behaviour, Duration::ZERO)
    }

    /// A stub that waits `delay` before each answer, so concurrent calls overlap.
    pub fn with_delay(behaviour: Behaviour, delay: Duration) -> Self {
        let shared = |_| Shared {
            behaviour: Mutex::new(behaviour),
            issued: Mutex::new(HashMap::new()),
            delay_ms: AtomicU64::new(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX)),
            stop: AtomicBool::new(false),
            served: AtomicUsize::new(0),
            answered: AtomicUsize::new(0),
            requests: Mutex::new(Vec::new()),
        };
        Stub {
            server: http::Server::start(shared, serve),
        }
    }

    /// `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL_STS`.
    pub fn endpoint(&self) -> String {
        self.server.url()
    }

    /// How many requests with `Action=action` arrived.
    pub fn count(&self, action: &str) -> usize {
        self.requests(action).len()
    }

    /// The form fields of every request with `Action=action`, in arrival order.
    pub fn requests(&self, action: &str) -> Vec<HashMap<String, String>> {
        self.server
            .shared()
            .requests
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.get("Action").map(String::as_str) == Some(action))
            .cloned()
            .collect()
    }

    /// Every request received, whatever its action.
    pub fn total(&self) -> usize {
        self.server.shared().requests.lock().unwrap().len()
    }

    /// How many replies have been written: a request counted by `total` and not here is
    /// still being worked on.
    pub fn answered(&self) -> usize {
        self.server.shared().answered.load(Ordering::SeqCst)
    }

    /// Wait `delay` before each answer to the requests that arrive from now on: a slow STS.
    pub fn set_delay(&self, delay: Duration) {
        let ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        self.server.shared().delay_ms.store(ms, Ordering::SeqCst);
    }

    /// Answer the requests that arrive from now on with `behaviour`.
    pub fn set_behaviour(&self, behaviour: Behaviour) {
        *self.server.shared().behaviour.lock().unwrap() = behaviour;
    }
}

/// The stub behind TLS, `https://localhost:PORT`, with a certificate from a private CA.
pub struct HttpsStub {
    pub stub: Stub,
    front: super::tls::TlsFront,
}

impl HttpsStub {
    pub fn start(behaviour: Behaviour, ca: &super::tls::PrivateCa) -> Self {
        let stub = Stub::start(behaviour);
        let front = super::tls::TlsFront::start(ca, &stub.endpoint());
        Self { stub, front }
    }

    /// `https://localhost:PORT`, for `AWS_ENDPOINT_URL_STS`.
    pub fn endpoint(&self) -> String {
        self.front.endpoint()
    }
}

/// The form field under which a request's signing access key id is recorded.
pub const SIGNED_BY: &str = "X-Signed-By";

/// Answer the one request on a connection (every reply says `Connection: close`).
fn serve(stream: TcpStream, shared: &Shared, started: Instant) {
    let Some((mut reader, writer)) = http::open(stream) else {
        return;
    };
    let Some(form) = read_request(&mut reader, shared, started) else {
        return;
    };
    shared.requests.lock().unwrap().push(form.clone());
    let n = shared.served.fetch_add(1, Ordering::SeqCst);
    let behaviour = shared.behaviour.lock().unwrap().clone();
    if matches!(behaviour, Behaviour::Hang) {
        while !http::stopping(shared, started) {
            std::thread::sleep(Duration::from_millis(20));
        }
        return;
    }
    let delay = Duration::from_millis(shared.delay_ms.load(Ordering::SeqCst));
    sleep_unless_stopped(delay, shared, started);
    let reply = respond(&behaviour, &form, n, shared);
    http::reply(writer, &reply);
    shared.answered.fetch_add(1, Ordering::SeqCst);
}

fn sleep_unless_stopped(delay: Duration, shared: &Shared, started: Instant) {
    let until = Instant::now() + delay;
    while Instant::now() < until && !http::stopping(shared, started) {
        std::thread::sleep(Duration::from_millis(10).min(until - Instant::now()));
    }
}

/// One request's form fields (the body's, a GET's query, and who signed it under
/// `SIGNED_BY`); `None` when the connection closed or the stub is stopping.
fn read_request(
    reader: &mut BufReader<TcpStream>,
    shared: &Shared,
    started: Instant,
) -> Option<HashMap<String, String>> {
    let request = http::read_request(reader, || http::stopping(shared, started))?;
    let mut form = http::form(&String::from_utf8_lossy(&request.body));
    let signed_by = request
        .headers
        .get("authorization")
        .and_then(|value| value.split_once("Credential="))
        .and_then(|(_, rest)| rest.split('/').next());
    if let Some(key) = signed_by {
        form.insert(SIGNED_BY.into(), key.to_owned());
    }
    if request.method == "GET" {
        form.extend(request.query());
    }
    Some(form)
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The whole HTTP reply for request number `n`.
fn respond(
    behaviour: &Behaviour,
    form: &HashMap<String, String>,
    n: usize,
    shared: &Shared,
) -> String {
    let action = form.get("Action").map(String::as_str).unwrap_or("");
    if action == "getSigninToken" && matches!(behaviour, Behaviour::Ok) {
        let body = format!("{{\"SigninToken\":\"{SIGNIN_MARK}{n:04}+/=\"}}");
        return http(200, 0, &body).replace("text/xml", "application/json");
    }
    let signer_expired = form
        .get(SIGNED_BY)
        .and_then(|key| shared.issued.lock().unwrap().get(key).copied())
        .is_some_and(|expires_at| expires_at <= now());
    if signer_expired {
        let message = "The security token included in the request is expired";
        return http(403, 0, &error_xml("ExpiredToken", message, "Sender"));
    }
    let tag = tag(n);
    let success = |expires_in: i64| {
        let key = format!("ASIASTUB{tag}");
        shared
            .issued
            .lock()
            .unwrap()
            .insert(key, now() + expires_in);
        success(action, n, expires_in, &tag)
    };
    match behaviour {
        Behaviour::Ok => http(200, 0, &success(3600)),
        Behaviour::ShortLived(secs) => http(200, 0, &success(*secs)),
        Behaviour::SkewedDate(secs) => http(200, *secs, &success(3600)),
        Behaviour::ExpiredCredentials => http(200, 0, &success(-3600)),
        Behaviour::ThrottleThenOk(times) if n < *times => {
            http(400, 0, &error_xml("Throttling", "Rate exceeded", "Sender"))
        }
        Behaviour::ThrottleThenOk(_) => http(200, 0, &success(3600)),
        Behaviour::Malformed => {
            let full = success(3600);
            http(200, 0, &full[..full.len() / 3])
        }
        Behaviour::Error {
            code,
            message,
            status,
        } => http(*status, 0, &error_xml(code, message, "Sender")),
        Behaviour::Hang => unreachable!("a hung stub never answers"),
    }
}

fn http(status: u16, skew: i64, body: &str) -> String {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        _ => "Error",
    };
    let date = chrono::DateTime::from_timestamp(now() + skew, 0)
        .unwrap_or_default()
        .format("%a, %d %b %Y %H:%M:%S GMT");
    format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/xml\r\nConnection: close\r\nContent-Length: {}\r\nDate: {date}\r\nx-amzn-RequestId: stub-request\r\n\r\n{body}",
        body.len()
    )
}

/// What makes request `n`'s keys differ from every other's.
fn tag(n: usize) -> String {
    format!("{:06}{:04}", n, now() % 10_000)
}

fn credentials_xml(tag: &str, expires_in: i64) -> String {
    let expiration = chrono::DateTime::from_timestamp(now() + expires_in, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%SZ");
    let key = format!("ASIASTUB{tag}");
    format!(
        "<Credentials><AccessKeyId>{key}</AccessKeyId><SecretAccessKey>{SECRET_MARK}{tag}abcdefghijklmnopqrstuvwx</SecretAccessKey><SessionToken>STUBTOKEN{tag}FwoGZXIvYXdzEXAMPLE</SessionToken><Expiration>{expiration}</Expiration></Credentials>"
    )
}

fn success(action: &str, n: usize, expires_in: i64, tag: &str) -> String {
    let ns = "https://sts.amazonaws.com/doc/2011-06-15/";
    let result = match action {
        "AssumeRole" => format!(
            "{}<AssumedRoleUser><AssumedRoleId>AROASTUB:awsenv</AssumedRoleId><Arn>arn:aws:sts::123456789012:assumed-role/stub/awsenv</Arn></AssumedRoleUser>",
            credentials_xml(tag, expires_in)
        ),
        "GetSessionToken" => credentials_xml(tag, expires_in),
        "GetFederationToken" => format!(
            "{}<FederatedUser><FederatedUserId>123456789012:awsenv</FederatedUserId><Arn>arn:aws:sts::123456789012:federated-user/awsenv</Arn></FederatedUser>",
            credentials_xml(tag, expires_in)
        ),
        _ => "<Arn>arn:aws:iam::123456789012:user/stub</Arn><UserId>AIDASTUB</UserId><Account>123456789012</Account>".to_owned(),
    };
    let action = if action.is_empty() {
        "GetCallerIdentity"
    } else {
        action
    };
    format!(
        "<{action}Response xmlns=\"{ns}\"><{action}Result>{result}</{action}Result><ResponseMetadata><RequestId>stub-{n}</RequestId></ResponseMetadata></{action}Response>"
    )
}

fn error_xml(code: &str, message: &str, kind: &str) -> String {
    format!(
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>{kind}</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>stub-error</RequestId></ErrorResponse>"
    )
}
