//! What the test servers of `tests/common` share: an accept loop bounded by a stop flag and
//! a hard deadline, reading one HTTP/1.1 request, and `application/x-www-form-urlencoded`.
//! Std only; each server keeps its own routes and replies.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// No server outlives this, even if a test forgets to drop it.
pub const LIFETIME: Duration = Duration::from_secs(300);

/// A server's shared state, which holds the flag its handle sets on drop.
pub trait Stops {
    fn stop_flag(&self) -> &AtomicBool;
}

/// Stopped, or past its lifetime.
pub fn stopping(shared: &impl Stops, started: Instant) -> bool {
    shared.stop_flag().load(Ordering::SeqCst) || started.elapsed() > LIFETIME
}

/// Accept connections on a non-blocking `listener`, each answered by `serve` on a thread of
/// its own, until the server stops; then wait for those threads.
pub fn accept_loop<S: Stops + Send + Sync + 'static>(
    listener: &TcpListener,
    shared: &Arc<S>,
    serve: fn(TcpStream, &S, Instant),
) {
    let started = Instant::now();
    let mut workers = Vec::new();
    while !stopping(shared.as_ref(), started) {
        match listener.accept() {
            Ok((stream, _)) => {
                let s = Arc::clone(shared);
                workers.push(std::thread::spawn(move || serve(stream, &s, started)));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
    for worker in workers {
        let _ = worker.join();
    }
}

/// A server on a loopback port of its own, each connection answered by `serve` on a thread
/// of its own (`accept_loop`); it stops when dropped.
pub struct Server<S: Stops + Send + Sync + 'static> {
    port: u16,
    shared: Arc<S>,
    thread: Option<JoinHandle<()>>,
}

impl<S: Stops + Send + Sync + 'static> Server<S> {
    /// Bind a free port, make the state for it, and start serving.
    pub fn start(shared: impl FnOnce(u16) -> S, serve: fn(TcpStream, &S, Instant)) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        listener
            .set_nonblocking(true)
            .expect("nonblocking listener");
        let port = listener.local_addr().expect("local address").port();
        let shared = Arc::new(shared(port));
        let s = Arc::clone(&shared);
        let thread = std::thread::spawn(move || accept_loop(&listener, &s, serve));
        Self {
            port,
            shared,
            thread: Some(thread),
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The state the server's connections share.
    pub fn shared(&self) -> &S {
        &self.shared
    }
}

impl<S: Stops + Send + Sync + 'static> Drop for Server<S> {
    fn drop(&mut self) {
        self.shared.stop_flag().store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// An accepted connection, blocking with a short read time-out (so a reader can look at
/// the stop flag between tries): a reader and the stream to write the reply to.
pub fn open(stream: TcpStream) -> Option<(BufReader<TcpStream>, TcpStream)> {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
    let reader = BufReader::new(stream.try_clone().ok()?);
    Some((reader, stream))
}

/// Write the whole `reply` and close the connection; a client that left is no error.
pub fn reply(mut writer: TcpStream, reply: &str) {
    let _ = writer
        .write_all(reply.as_bytes())
        .and_then(|()| writer.flush());
    let _ = writer.shutdown(std::net::Shutdown::Both);
}

/// One request as it arrived; header names in lower case.
pub struct Request {
    pub method: String,
    /// The path and query, as on the request line.
    pub target: String,
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn path(&self) -> &str {
        self.target.split_once('?').map_or(&self.target, |(p, _)| p)
    }

    pub fn query(&self) -> HashMap<String, String> {
        self.target
            .split_once('?')
            .map_or_else(HashMap::new, |(_, q)| form(q))
    }
}

/// The next request on a connection whose read time-out is short, waiting while `stopping`
/// says no; `None` when the connection closes, a line arrives half, or the server stops.
pub fn read_request(
    reader: &mut BufReader<TcpStream>,
    stopping: impl Fn() -> bool,
) -> Option<Request> {
    let mut head: Vec<String> = Vec::new();
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) => return None,
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                // A partial line after a time-out: give up on this client.
                if stopping() || !line.is_empty() {
                    return None;
                }
                continue;
            }
            Err(_) => return None,
        }
        let line = line.trim_end();
        if line.is_empty() {
            if head.is_empty() {
                continue;
            }
            break;
        }
        head.push(line.to_owned());
    }
    let mut first = head[0].split_whitespace();
    let method = first.next()?.to_owned();
    let target = first.next()?.to_owned();
    let headers: HashMap<String, String> = head[1..]
        .iter()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0usize);
    let mut body = vec![0u8; length];
    let timeout = reader.get_ref().read_timeout().ok().flatten();
    let _ = reader
        .get_mut()
        .set_read_timeout(Some(Duration::from_secs(5)));
    reader.read_exact(&mut body).ok()?;
    let _ = reader.get_mut().set_read_timeout(timeout);
    Some(Request {
        method,
        target,
        headers,
        body,
    })
}

/// `a=1&b=x+y%21` as its fields.
pub fn form(text: &str) -> HashMap<String, String> {
    text.split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

/// One form-encoded word: `+` is a space, `%XX` a byte.
pub fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        if bytes[i] == b'%'
            && let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
