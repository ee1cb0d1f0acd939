//! A private Secret Service for one test: its own D-Bus session bus (`dbus-daemon`) and a
//! GNOME Keyring (`gnome-keyring-daemon --unlock --components=secrets`, fed a password on
//! stdin), with HOME and the XDG directories inside a temporary directory, so `cargo test`
//! alone runs the keyring tests and no developer's keyring is ever touched. Both daemons
//! stop when the handle drops.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub struct SecretService {
    pub dir: tempfile::TempDir,
    pub address: String,
    bus_pid: i32,
    keyring: Option<Child>,
}

impl SecretService {
    /// A session bus with an unlocked GNOME Keyring on it.
    pub fn start() -> Self {
        let mut service = Self::bus_only();
        let dir = service.dir.path();
        let mut keyring = Command::new("gnome-keyring-daemon")
            .args(["--foreground", "--unlock", "--components=secrets"])
            .env_clear()
            .envs(service.env())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .current_dir(dir)
            .spawn()
            .expect("start gnome-keyring-daemon (.ci/run installs gnome-keyring)");
        {
            let mut stdin = keyring.stdin.take().unwrap();
            stdin.write_all(b"awsenv-test-keyring").unwrap();
        }
        service.keyring = Some(keyring);
        let deadline = Instant::now() + Duration::from_secs(20);
        while !service.has_secrets() {
            assert!(
                Instant::now() < deadline,
                "gnome-keyring-daemon did not appear on the bus within 20 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        service
    }

    /// A session bus with nothing on it: no Secret Service.
    pub fn bus_only() -> Self {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["data", "config", "cache", "run"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        std::fs::set_permissions(
            dir.path().join("run"),
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )
        .unwrap();
        // A bus of its own configuration: no service directories, so nothing is started by
        // D-Bus activation (the system's gnome-keyring would answer on a `--session` bus).
        let config = dir.path().join("bus.conf");
        std::fs::write(
            &config,
            format!(
                r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
                dir.path().join("run").display()
            ),
        )
        .unwrap();
        let mut daemon = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .args([
                "--fork",
                "--nopidfile",
                "--print-address=1",
                "--print-pid=1",
            ])
            .env_clear()
            .env("HOME", dir.path())
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dbus-daemon (.ci/run installs dbus)");
        let mut lines = BufReader::new(daemon.stdout.take().unwrap()).lines();
        let address = lines.next().unwrap().unwrap();
        let bus_pid: i32 = lines.next().unwrap().unwrap().trim().parse().unwrap();
        let _ = daemon.wait();
        Self {
            dir,
            address,
            bus_pid,
            keyring: None,
        }
    }

    /// The variables that point a client at this bus and this keyring's directories.
    pub fn env(&self) -> Vec<(String, String)> {
        let d = self.dir.path();
        vec![
            ("DBUS_SESSION_BUS_ADDRESS".into(), self.address.clone()),
            ("HOME".into(), d.display().to_string()),
            ("XDG_DATA_HOME".into(), d.join("data").display().to_string()),
            (
                "XDG_CONFIG_HOME".into(),
                d.join("config").display().to_string(),
            ),
            (
                "XDG_CACHE_HOME".into(),
                d.join("cache").display().to_string(),
            ),
            (
                "XDG_RUNTIME_DIR".into(),
                d.join("run").display().to_string(),
            ),
            ("PATH".into(), std::env::var("PATH").unwrap_or_default()),
        ]
    }

    /// The variables awsenv needs to reach this Secret Service.
    pub fn client_env(&self) -> Vec<(String, String)> {
        vec![("DBUS_SESSION_BUS_ADDRESS".into(), self.address.clone())]
    }

    fn has_secrets(&self) -> bool {
        let out = Command::new("dbus-send")
            .args([
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                "string:org.freedesktop.secrets",
            ])
            .env_clear()
            .envs(self.env())
            .output()
            .expect("dbus-send (.ci/run installs dbus)");
        String::from_utf8_lossy(&out.stdout).contains("boolean true")
    }

    /// Lock the default collection, as a screen lock or `Lock` from another client does.
    pub fn lock(&self) {
        let out = Command::new("dbus-send")
            .args([
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.secrets",
                "/org/freedesktop/secrets",
                "org.freedesktop.Secret.Service.Lock",
                "array:objpath:/org/freedesktop/secrets/aliases/default",
            ])
            .env_clear()
            .envs(self.env())
            .output()
            .expect("dbus-send (.ci/run installs dbus)");
        assert!(
            out.status.success(),
            "Lock: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// `secret-tool ARGS`: the second client that must see what awsenv stored.
    pub fn secret_tool(&self, args: &[&str]) -> Output {
        Command::new("secret-tool")
            .args(args)
            .env_clear()
            .envs(self.env())
            .stdin(Stdio::null())
            .output()
            .expect("secret-tool (.ci/run installs libsecret-tools)")
    }
}

impl Drop for SecretService {
    fn drop(&mut self) {
        if let Some(mut child) = self.keyring.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        // SAFETY: kill(2) with the pid dbus-daemon printed for itself.
        unsafe { libc::kill(self.bus_pid, libc::SIGTERM) };
    }
}
