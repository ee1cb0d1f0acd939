//! TLS for the test servers: a private CA made by `openssl` (Debian's) for each test, a
//! certificate it signed for `localhost` and 127.0.0.1, and a TLS front (rustls) that puts
//! any of our plain-HTTP servers behind `https://localhost:PORT`.
//!
//! The front handles the one request per connection our servers answer (each reply says
//! `Connection: close`): it reads the request, hands it to the server, and sends back the
//! reply.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::http;

/// A CA of the test's own, and a server certificate it signed.
pub struct PrivateCa {
    pub dir: tempfile::TempDir,
}

impl PrivateCa {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("a directory for the CA");
        let run = |args: &[&str]| {
            let out = Command::new("openssl")
                .args(args)
                .current_dir(dir.path())
                .output()
                .expect("run openssl (Debian's openssl package; .ci/run installs it)");
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        let mut ca = vec!["req", "-x509"];
        ca.extend_from_slice(&ec);
        ca.extend_from_slice(&[
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=awsenv test CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ]);
        run(&ca);
        let mut csr = vec!["req"];
        csr.extend_from_slice(&ec);
        csr.extend_from_slice(&[
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=localhost",
        ]);
        run(&csr);
        std::fs::write(
            dir.path().join("server.ext"),
            "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n\
             keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        run(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "server.ext",
        ]);
        Self { dir }
    }

    /// The CA certificate, PEM: what `AWS_CA_BUNDLE` names.
    pub fn bundle(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    fn server_config(&self) -> Arc<rustls::ServerConfig> {
        let certs: Vec<CertificateDer<'static>> =
            CertificateDer::pem_file_iter(self.dir.path().join("server.pem"))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
        let key = PrivateKeyDer::from_pem_file(self.dir.path().join("server.key")).unwrap();
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap();
        Arc::new(config)
    }
}

struct Shared {
    stop: AtomicBool,
    config: Arc<rustls::ServerConfig>,
    backend: String,
}

impl http::Stops for Shared {
    fn stop_flag(&self) -> &AtomicBool {
        &self.stop
    }
}

/// `https://localhost:PORT` in front of a plain HTTP server; it stops when dropped.
pub struct TlsFront {
    server: http::Server<Shared>,
}

impl TlsFront {
    /// A front for the server at `backend` (`http://127.0.0.1:PORT`) with `ca`'s certificate.
    pub fn start(ca: &PrivateCa, backend: &str) -> Self {
        let shared = |_| Shared {
            stop: AtomicBool::new(false),
            config: ca.server_config(),
            backend: backend.trim_start_matches("http://").to_owned(),
        };
        Self {
            server: http::Server::start(shared, serve),
        }
    }

    pub fn endpoint(&self) -> String {
        format!("https://localhost:{}", self.server.port())
    }
}

fn serve(stream: TcpStream, shared: &Shared, _started: Instant) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let Ok(conn) = rustls::ServerConnection::new(Arc::clone(&shared.config)) else {
        return;
    };
    let mut tls = BufReader::new(rustls::StreamOwned::new(conn, stream));
    // A client that refuses the certificate ends the handshake here: nothing to forward.
    let Some(request) = read_one(&mut tls) else {
        return;
    };
    let Ok(mut backend) = TcpStream::connect(&shared.backend) else {
        return;
    };
    let _ = backend.set_read_timeout(Some(Duration::from_secs(20)));
    let mut reply = Vec::new();
    if backend.write_all(&request).is_ok() {
        let _ = backend.read_to_end(&mut reply);
    }
    let tls = tls.get_mut();
    let _ = tls.write_all(&reply);
    tls.conn.send_close_notify();
    let _ = tls.flush();
}

/// One HTTP/1.1 request, headers and `Content-Length` body, as bytes.
fn read_one(reader: &mut impl BufRead) -> Option<Vec<u8>> {
    let mut request = Vec::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
        let end = line == "\r\n";
        request.extend_from_slice(line.as_bytes());
        if end {
            break;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    request.extend_from_slice(&body);
    Some(request)
}

/// The file exists and is PEM: a guard for tests that hand it to a client.
pub fn is_pem(path: &Path) -> bool {
    std::fs::read_to_string(path).is_ok_and(|t| t.contains("BEGIN CERTIFICATE"))
}
