//! A tmux server of a test's own with one pane running one command: the terminal that the
//! picker draws on and that wine makes a Windows console of. Killed on drop.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub struct Tmux {
    socket: PathBuf,
}

impl Tmux {
    /// `argv` in a new pane of 120 columns and `rows` rows, started in `dir`; the server's
    /// socket at `socket`.
    pub fn start(socket: PathBuf, rows: u16, dir: &Path, argv: &[&str]) -> Self {
        let tmux = Tmux { socket };
        let rows = rows.to_string();
        let dir = dir.display().to_string();
        let mut args = vec!["new-session", "-d", "-x", "120", "-y", &rows, "-c", &dir];
        args.extend(argv);
        tmux.run(&args);
        tmux
    }

    /// `tmux ARGS` against this server; its stdout.
    pub fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(["-f", "/dev/null"])
            .args(args)
            .env_remove("TMUX")
            .output()
            .expect("run tmux (is it installed? .ci/run installs it)");
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Press keys, by tmux's names (`Enter`, `C-c`) or as text.
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys"];
        args.extend(keys);
        self.run(&args);
    }

    /// Type `text` literally.
    pub fn text(&self, text: &str) {
        self.run(&["send-keys", "-l", text]);
    }

    /// The visible screen.
    pub fn screen(&self) -> String {
        self.run(&["capture-pane", "-p"])
    }

    /// Wait up to `patience` until `ok` holds for the screen; the screen then. Fails with
    /// what the screen shows.
    pub fn wait(&self, what: &str, patience: Duration, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + patience;
        loop {
            let screen = self.screen();
            if ok(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "waited {patience:?} for {what}; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
    }
}
