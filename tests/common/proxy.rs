//! A CONNECT proxy that goes nowhere: it records each `CONNECT host:port` and answers 502, so
//! a test sees where a client (awsenv, or the AWS CLI beside it) would have sent a request
//! without anything leaving the machine.

use std::io::BufRead;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

use super::http;

struct Shared {
    stop: AtomicBool,
    targets: Mutex<Vec<String>>,
}

impl http::Stops for Shared {
    fn stop_flag(&self) -> &AtomicBool {
        &self.stop
    }
}

/// A running proxy; it stops when dropped.
pub struct Proxy {
    port: u16,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Proxy {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        listener
            .set_nonblocking(true)
            .expect("nonblocking listener");
        let port = listener.local_addr().expect("local address").port();
        let shared = Arc::new(Shared {
            stop: AtomicBool::new(false),
            targets: Mutex::new(Vec::new()),
        });
        let s = Arc::clone(&shared);
        let thread = std::thread::spawn(move || http::accept_loop(&listener, &s, serve));
        Self {
            port,
            shared,
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT`, for `HTTPS_PROXY`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Every `host:port` asked for so far, in order.
    pub fn targets(&self) -> Vec<String> {
        self.shared.targets.lock().unwrap().clone()
    }

    /// Forget what was asked for so far.
    pub fn clear(&self) {
        self.shared.targets.lock().unwrap().clear();
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.shared
            .stop
            .store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(stream: TcpStream, shared: &Shared, started: Instant) {
    let Some((mut reader, writer)) = http::open(stream) else {
        return;
    };
    let mut line = String::new();
    while line.is_empty() && !http::stopping(shared, started) {
        if reader.read_line(&mut line).is_ok_and(|n| n == 0) {
            return;
        }
    }
    let mut words = line.split_whitespace();
    if let (Some("CONNECT"), Some(target)) = (words.next(), words.next()) {
        shared.targets.lock().unwrap().push(target.to_owned());
    }
    http::reply(
        writer,
        "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    );
}
