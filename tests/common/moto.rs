//! A real local STS: `moto_server` from the repository's `.venv` (installed by `.ci/run`),
//! started on a free loopback port and stopped when the handle drops.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

pub struct Moto {
    child: Child,
    pub port: u16,
}

impl Moto {
    /// Start moto on a free port and wait until it answers.
    pub fn start() -> Self {
        let server = moto_server();
        let port = free_port();
        let child = Command::new(&server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env_remove("AWS_PROFILE")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", server.display()));
        let moto = Moto { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
                let _ = s.write_all(b"GET /moto-api/ HTTP/1.0\r\nHost: localhost\r\n\r\n");
                let mut buf = [0u8; 12];
                if s.read(&mut buf).map(|n| n > 0).unwrap_or(false) {
                    return moto;
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("moto_server did not answer on port {port} within 30 s");
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

static SHARED: OnceLock<Mutex<Option<Moto>>> = OnceLock::new();

/// The endpoint of one moto per test binary, stopped when the binary exits.
pub fn shared() -> String {
    extern "C" fn stop() {
        if let Some(m) = SHARED.get() {
            drop(m.lock().unwrap_or_else(|p| p.into_inner()).take());
        }
    }
    let moto = SHARED.get_or_init(|| {
        let m = Moto::start();
        // SAFETY: registering a plain extern "C" function has no preconditions.
        unsafe { libc::atexit(stop) };
        Mutex::new(Some(m))
    });
    moto.lock().unwrap().as_ref().unwrap().endpoint()
}

/// `$AWSENV_MOTO_SERVER`, else `.venv/bin/moto_server` in the repository.
pub fn moto_server() -> PathBuf {
    if let Some(path) = std::env::var_os("AWSENV_MOTO_SERVER") {
        return PathBuf::from(path);
    }
    let path = super::repo().join(".venv/bin/moto_server");
    assert!(
        path.exists(),
        "{} is missing: run .ci/run, or python3 -m venv .venv && .venv/bin/pip install 'moto[server]'",
        path.display()
    );
    path
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// `aws ARGS` against moto as its administrator (moto takes any keys), JSON out.
pub fn aws_admin(moto: &str, args: &[&str]) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(super::aws_cli())
        .args(args)
        .args(["--output", "json"])
        .env_clear()
        .env("HOME", dir.path())
        .env("AWS_ACCESS_KEY_ID", "AKIAADMINEXAMPLE0000")
        .env("AWS_SECRET_ACCESS_KEY", "adminsecret")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", moto)
        .env("AWS_CONFIG_FILE", dir.path().join("none"))
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.path().join("none"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "aws {args:?}: {}",
        super::stderr(&out)
    );
    let text = super::stdout(&out);
    if text.trim().is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_str(&text).unwrap()
    }
}

/// A new IAM user in moto with one access key: (user, key id, secret).
pub fn iam_user(moto: &str, name: &str) -> (String, String, String) {
    let user = format!("{name}-{}", std::process::id());
    aws_admin(moto, &["iam", "create-user", "--user-name", &user]);
    let key = aws_admin(moto, &["iam", "create-access-key", "--user-name", &user]);
    (
        user,
        key["AccessKey"]["AccessKeyId"].as_str().unwrap().to_owned(),
        key["AccessKey"]["SecretAccessKey"]
            .as_str()
            .unwrap()
            .to_owned(),
    )
}

/// The access key ids of `user`.
pub fn key_ids(moto: &str, user: &str) -> Vec<String> {
    let keys = aws_admin(moto, &["iam", "list-access-keys", "--user-name", user]);
    keys["AccessKeyMetadata"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["AccessKeyId"].as_str().unwrap().to_owned())
        .collect()
}
