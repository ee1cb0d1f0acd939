//! A CONNECT proxy that goes nowhere: it records each `CONNECT host:port` and answers 502, so
//! a test sees where a client (awsenv, or the AWS CLI beside it) would have sent a request
//! without anything leaving the machine.

use std::io::BufRead;
use std::net::TcpStream;
use std::sync::Mutex;
use std::sync::atomic::AtomicBool;
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
    server: http::Server<Shared>,
}

impl Proxy {
    pub fn start() -> Self {
        let shared = |_| Shared {
            stop: AtomicBool::new(false),
            targets: Mutex::new(Vec::new()),
        };
        Self {
            server: http::Server::start(shared, serve),
        }
    }

    /// `http://127.0.0.1:PORT`, for `HTTPS_PROXY`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// Every `host:port` asked for so far, in order.
    pub fn targets(&self) -> Vec<String> {
        self.server.shared().targets.lock().unwrap().clone()
    }

    /// Forget what was asked for so far.
    pub fn clear(&self) {
        self.server.shared().targets.lock().unwrap().clear();
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
