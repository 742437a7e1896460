//! The `zoomsync` binary as a separate process: for what only a real process shows (first-start
//! secrets, exit codes, signals, several replicas, kill -9).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use super::app::{ADMIN_TOKEN, BOT_SECRET, ENCRYPTION_KEY};
use super::db::TestDb;

pub const BIN: &str = env!("CARGO_BIN_EXE_zoomsync");

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

/// `zoomsync` with a clean slate: no inherited ZOOMSYNC_* variables, run in `dir`.
pub fn command(dir: &Path) -> Command {
    clean(Command::new(BIN), dir)
}

/// `zoomsync` as [`command`], allowed at most `open_files` open files (soft and hard limit).
pub fn command_with_open_files(dir: &Path, open_files: u64) -> Command {
    let mut prlimit = Command::new("prlimit");
    prlimit.arg(format!("--nofile={open_files}:{open_files}")).arg("--").arg(BIN);
    clean(prlimit, dir)
}

fn clean(mut command: Command, dir: &Path) -> Command {
    for (name, _) in std::env::vars() {
        if name.starts_with("ZOOMSYNC") {
            command.env_remove(name);
        }
    }
    command.current_dir(dir).env("RUST_LOG", "debug,h2=info,hyper=info,reqwest=info");
    command
}

/// The environment that points a process at `db` with the test secrets.
pub fn db_env(db: &TestDb) -> Vec<(String, String)> {
    vec![
        ("ZOOMSYNC__DATABASE__URL".into(), db.url.clone()),
        ("ZOOMSYNC__DATABASE__POOL_SIZE".into(), "3".into()),
        ("ZOOMSYNC__SECURITY__ADMIN_TOKEN".into(), ADMIN_TOKEN.into()),
        ("ZOOMSYNC__SECURITY__BOT_SECRET".into(), BOT_SECRET.into()),
        ("ZOOMSYNC__SECURITY__ENCRYPTION_KEY".into(), ENCRYPTION_KEY.into()),
        ("ZOOMSYNC__SYNC__SCHEDULE".into(), String::new()),
    ]
}

/// The environment that points a process at a zoom-sim.
pub fn zoom_env(zoom: &zoom_sim::SimServer) -> Vec<(String, String)> {
    vec![
        ("ZOOMSYNC__ZOOM__OAUTH_BASE_URL".into(), zoom.base_url().to_owned()),
        ("ZOOMSYNC__ZOOM__API_BASE_URL".into(), zoom.api_base_url()),
    ]
}

/// Runs a CLI command to completion.
pub fn run_cli(dir: &Path, env: &[(String, String)], args: &[&str]) -> Output {
    command(dir).envs(env.iter().cloned()).args(args).output().expect("run zoomsync")
}

pub struct Daemon {
    child: Child,
    pub address: String,
    stderr: PathBuf,
    dir: PathBuf,
    name: String,
    env: Vec<(String, String)>,
    open_files: Option<u64>,
}

/// How often `wait_ready` picks another port when the one chosen was taken in the meantime.
const PORT_ATTEMPTS: usize = 5;

impl Daemon {
    /// Starts `zoomsync serve` on a free port in `dir`; its output goes to files named `name`.
    /// Use `address` only after `wait_ready`: the port may change if another test took it.
    pub fn start(dir: &Path, name: &str, env: &[(String, String)]) -> Self {
        Self::start_with_open_files(dir, name, env, None)
    }

    /// [`Daemon::start`], allowed at most `open_files` open files when given.
    pub fn start_with_open_files(dir: &Path, name: &str, env: &[(String, String)], open_files: Option<u64>) -> Self {
        let (child, address, stderr) = Self::spawn(dir, name, env, open_files);
        Self { child, address, stderr, dir: dir.to_owned(), name: name.to_owned(), env: env.to_vec(), open_files }
    }

    fn spawn(dir: &Path, name: &str, env: &[(String, String)], open_files: Option<u64>) -> (Child, String, PathBuf) {
        let port = free_port();
        let stdout = dir.join(format!("{name}.stdout"));
        let stderr = dir.join(format!("{name}.stderr"));
        let mut command = match open_files {
            Some(limit) => command_with_open_files(dir, limit),
            None => command(dir),
        };
        let child = command
            .envs(env.iter().cloned())
            .env("ZOOMSYNC__SERVER__BIND", format!("127.0.0.1:{port}"))
            .env("ZOOMSYNC__SERVER__PUBLIC_URL", format!("http://127.0.0.1:{port}"))
            .arg("serve")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&stdout).expect("stdout file"))
            .stderr(std::fs::File::create(&stderr).expect("stderr file"))
            .spawn()
            .expect("spawn zoomsync serve");
        (child, format!("http://127.0.0.1:{port}"), stderr)
    }

    /// Waits until `/readyz` answers 200; false if it never does or the process exits.
    /// `free_port` releases the port before the daemon binds it, so a test running alongside can
    /// take it in between: a daemon that exits for that reason is started again on another port.
    pub async fn wait_ready(&mut self, timeout: Duration) -> bool {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + timeout;
        let mut attempts = 1;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                if attempts < PORT_ATTEMPTS && self.stderr().contains("Address already in use") {
                    attempts += 1;
                    (self.child, self.address, self.stderr) =
                        Self::spawn(&self.dir, &self.name, &self.env, self.open_files);
                    continue;
                }
                return false;
            }
            if let Ok(response) = client.get(format!("{}/readyz", self.address)).send().await
                && response.status() == 200
            {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }

    /// Sends SIGTERM and waits for the exit.
    pub fn terminate(&mut self) -> ExitStatus {
        self.signal("-TERM")
    }

    /// Sends SIGINT (Ctrl-C) and waits for the exit.
    pub fn interrupt(&mut self) -> ExitStatus {
        self.signal("-INT")
    }

    fn signal(&mut self, signal: &str) -> ExitStatus {
        let _ = Command::new("kill").args([signal, &self.child.id().to_string()]).status();
        self.child.wait().expect("wait")
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits up to `timeout` for the process to exit by itself.
    pub async fn exited_within(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        None
    }

    /// SIGKILL: no chance to clean up.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.kill9();
        }
    }
}
