//! The two processes under test, each a release binary on a loopback port: zoom-sim and the
//! zoomsync daemon. Both are killed when their handle is dropped, on every exit path.

use std::io::{BufRead as _, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, anyhow, bail};

pub const ADMIN_TOKEN: &str = "bench-admin-token-0123456789abcdef";
pub const BOT_SECRET: &str = "bench-bot-secret-0123456789abcdef";
/// 32 bytes of 0x2a, base64.
const ENCRYPTION_KEY: &str = "KioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKio=";

/// A scratch directory for one scenario (logs, the SQLite file); removed on drop unless kept.
pub struct WorkDir {
    pub path: PathBuf,
    keep: bool,
}

impl WorkDir {
    pub fn new(name: &str, keep: bool) -> Result<Self> {
        let path = std::env::temp_dir().join(format!(
            "zoomsync-bench-{}-{name}-{:08x}",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::fs::create_dir_all(&path).with_context(|| format!("creating {}", path.display()))?;
        Ok(Self { path, keep })
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if self.keep {
            eprintln!("kept {}", self.path.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// A child process killed (SIGKILL) and reaped on drop if it is still running.
struct Guarded(Child);

impl Guarded {
    fn pid(&self) -> u32 {
        self.0.id()
    }

    /// SIGTERM, then SIGKILL if it has not exited within `grace`.
    fn stop(&mut self, grace: Duration) {
        if let Ok(Some(_)) = self.0.try_wait() {
            return;
        }
        let _ = Command::new("kill").args(["-TERM", &self.0.id().to_string()]).status();
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Guarded {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

fn binary(bin_dir: &Path, name: &str) -> Result<PathBuf> {
    let path = bin_dir.join(name);
    if !path.is_file() {
        bail!(
            "{} not found: build it with `cargo build --release -p zoomsync -p zoom-sim -p bench --bins`, or pass \
             --bin-dir",
            path.display()
        );
    }
    Ok(path)
}

/// The last lines of a log file, for error messages.
pub fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// A process that announces its address on its first line of standard output
/// (`<name> listening on http://...`): zoom-sim and the forwarder.
pub struct Listening {
    child: Guarded,
    pub base_url: String,
    /// Kept open: the process writes nothing more to stdout, but a closed pipe must not
    /// surprise it.
    _stdout: BufReader<ChildStdout>,
}

impl Listening {
    /// Starts `command` with its stderr in `log` and waits for its announcement.
    fn start(mut command: Command, log: &Path, name: &str) -> Result<Self> {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(log)?)
            .spawn()
            .with_context(|| format!("starting {name}"))?;
        let stdout = child.stdout.take().ok_or_else(|| anyhow!("{name} has no stdout"))?;
        let child = Guarded(child);
        let mut stdout = BufReader::new(stdout);
        let mut line = String::new();
        stdout.read_line(&mut line).with_context(|| format!("reading {name}'s first line"))?;
        let base_url = line
            .trim()
            .strip_prefix(&format!("{name} listening on "))
            .ok_or_else(|| anyhow!("{name} did not start: {line:?}\n{}", tail(log, 20)))?
            .to_owned();
        Ok(Self { child, base_url, _stdout: stdout })
    }

    pub fn pid(&self) -> u32 {
        self.child.pid()
    }
}

/// zoom-sim as a process (its address and pid are the `Listening` it derefs to).
pub struct SimProcess(Listening);

impl std::ops::Deref for SimProcess {
    type Target = Listening;

    fn deref(&self) -> &Listening {
        &self.0
    }
}

impl SimProcess {
    pub fn start(bin_dir: &Path, dir: &Path, rate_limits: bool) -> Result<Self> {
        let mut command = Command::new(binary(bin_dir, "zoom-sim")?);
        command.args(["--port", "0", "--retry-scale", "0.001"]).env("RUST_LOG", "warn");
        if rate_limits {
            command.arg("--rate-limits");
        }
        Ok(Self(Listening::start(command, &dir.join("zoom-sim.log"), "zoom-sim")?))
    }

    pub fn api_base_url(&self) -> String {
        format!("{}/v2", self.base_url)
    }
}

/// The forwarder baseline (`src/bin/forwarder.rs`), sending to `api_base_url` with one access
/// token.
pub fn start_forwarder(bin_dir: &Path, dir: &Path, api_base_url: &str, access_token: &str) -> Result<Listening> {
    let mut command = Command::new(binary(bin_dir, "forwarder")?);
    command.arg(api_base_url).env("FORWARDER_ACCESS_TOKEN", access_token);
    Listening::start(command, &dir.join("forwarder.log"), "forwarder")
}

/// How a daemon is configured beyond the database and zoom-sim's address.
#[derive(Clone, Debug)]
pub struct DaemonConfig {
    /// `zoom.plan_limits`: `pro` or `none`.
    pub plan: &'static str,
    pub log: String,
    /// `--daemon-env`, set last.
    pub env: Vec<(String, String)>,
}

/// `zoomsync serve` as a process.
pub struct DaemonProcess {
    child: Guarded,
    pub base_url: String,
    pub port: u16,
    log: PathBuf,
}

/// CPU time (user + system, all threads) a process has used so far.
pub fn cpu_time(pid: u32) -> Result<Duration> {
    cpu_time_of(&format!("/proc/{pid}/stat"))
}

fn cpu_time_of(path: &str) -> Result<Duration> {
    let stat = std::fs::read_to_string(path).with_context(|| path.to_owned())?;
    // Fields after the command name (which may hold spaces) start at field 3, the state.
    let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or_default();
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| -> Result<u64> {
        fields.get(i).and_then(|f| f.parse().ok()).ok_or_else(|| anyhow!("malformed {path}"))
    };
    let total = ticks(11)? + ticks(12)?;
    Ok(Duration::from_secs_f64(total as f64 / clock_ticks_per_second()))
}

/// CPU time used so far by a process's threads named `name` (0 if there are none).
pub fn thread_cpu_time(pid: u32, name: &str) -> Result<Duration> {
    let mut total = Duration::ZERO;
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))? {
        let task = task?.path();
        let comm = std::fs::read_to_string(task.join("comm")).unwrap_or_default();
        if comm.trim() != name {
            continue;
        }
        let tid: u32 = task.file_name().and_then(|n| n.to_str()).and_then(|n| n.parse().ok()).unwrap_or(0);
        total += cpu_time_of(&format!("/proc/{pid}/task/{tid}/stat"))?;
    }
    Ok(total)
}

fn clock_ticks_per_second() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .unwrap_or(100.0)
    })
}

pub fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl DaemonProcess {
    /// Starts the daemon on `port` (0: a free one) and waits until `/readyz` answers 200.
    pub async fn start(
        bin_dir: &Path,
        dir: &Path,
        database_url: &str,
        sim: &SimProcess,
        config: &DaemonConfig,
        port: u16,
    ) -> Result<Self> {
        let port = if port == 0 { free_port()? } else { port };
        let base_url = format!("http://127.0.0.1:{port}");
        let log = dir.join(format!("zoomsync-{port}-{}.log", rand::random::<u16>()));
        let mut command = Command::new(binary(bin_dir, "zoomsync")?);
        for (name, _) in std::env::vars() {
            if name.starts_with("ZOOMSYNC") {
                command.env_remove(name);
            }
        }
        let child = command
            .current_dir(dir)
            .arg("serve")
            .env("RUST_LOG", &config.log)
            .env("ZOOMSYNC__DATABASE__URL", database_url)
            .env("ZOOMSYNC__SECURITY__ADMIN_TOKEN", ADMIN_TOKEN)
            .env("ZOOMSYNC__SECURITY__BOT_SECRET", BOT_SECRET)
            .env("ZOOMSYNC__SECURITY__ENCRYPTION_KEY", ENCRYPTION_KEY)
            .env("ZOOMSYNC__ZOOM__OAUTH_BASE_URL", &sim.base_url)
            .env("ZOOMSYNC__ZOOM__API_BASE_URL", sim.api_base_url())
            .env("ZOOMSYNC__ZOOM__PLAN_LIMITS", config.plan)
            .env("ZOOMSYNC__SYNC__SCHEDULE", "")
            .env("ZOOMSYNC__SERVER__BIND", format!("127.0.0.1:{port}"))
            .env("ZOOMSYNC__SERVER__PUBLIC_URL", &base_url)
            .envs(config.env.iter().cloned())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log)?)
            .spawn()
            .context("starting zoomsync")?;
        let mut daemon = Self { child: Guarded(child), base_url, port, log };
        daemon.wait_ready(Duration::from_secs(60)).await?;
        Ok(daemon)
    }

    async fn wait_ready(&mut self, timeout: Duration) -> Result<()> {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.0.try_wait() {
                bail!("zoomsync exited ({status}) before it was ready:\n{}", tail(&self.log, 30));
            }
            if let Ok(response) = client.get(format!("{}/readyz", self.base_url)).send().await
                && response.status() == 200
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!("zoomsync was not ready within {timeout:?}:\n{}", tail(&self.log, 30))
    }

    pub fn pid(&self) -> u32 {
        self.child.pid()
    }

    /// Graceful stop (SIGTERM), as an operator would restart it.
    pub fn stop(&mut self) {
        self.child.stop(Duration::from_secs(10));
    }

    /// SIGKILL: a replica that dies with requests in flight.
    pub fn kill(&mut self) {
        let _ = self.child.0.kill();
        let _ = self.child.0.wait();
    }

    /// Peak and current resident set size in KiB (VmHWM, VmRSS of /proc/<pid>/status).
    pub fn memory_kib(&self) -> Result<(u64, u64)> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .context("reading the daemon's /proc status")?;
        let field = |name: &str| -> Result<u64> {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| anyhow!("{name} missing from /proc/{}/status", self.pid()))
        };
        Ok((field("VmHWM:")?, field("VmRSS:")?))
    }
}
