//! Stamps the binary with its source revision (`zoomsync --version`, `zoomsync_build_info`):
//! `ZOOMSYNC_REVISION` when set (a container build has no `.git`), else `git rev-parse`, else
//! `unknown`.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=ZOOMSYNC_REVISION");
    println!("cargo:rerun-if-changed=.git/HEAD");
    println!("cargo:rerun-if-changed=.git/refs/heads");
    let revision = std::env::var("ZOOMSYNC_REVISION")
        .ok()
        .filter(|r| !r.trim().is_empty())
        .or_else(|| {
            let out = Command::new("git").args(["rev-parse", "--short=12", "HEAD"]).output().ok()?;
            out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        })
        .filter(|r| r.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_')))
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=ZOOMSYNC_REVISION={revision}");
}
