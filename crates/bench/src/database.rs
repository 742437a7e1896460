//! A fresh database per scenario: a SQLite file in the scenario's directory, or a PostgreSQL
//! schema of its own (dropped on drop). The few statements the bench runs itself (expiring
//! stored tokens, counting rows) go through the `sqlite3` and `psql` command-line tools, so the
//! bench links no database driver.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, Result, bail};

use crate::options::Backend;

pub enum Database {
    Sqlite { path: PathBuf },
    Postgres { server: String, schema: String },
}

impl Database {
    pub fn create(backend: Backend, dir: &Path, postgres_url: &str) -> Result<Self> {
        match backend {
            Backend::Sqlite => Ok(Self::Sqlite { path: dir.join("zoomsync.db") }),
            Backend::Postgres => {
                let schema = format!("zs_bench_{:016x}", rand::random::<u64>());
                psql(postgres_url, &format!("CREATE SCHEMA {schema}"))
                    .context("creating a PostgreSQL schema (is PostgreSQL running? see --postgres-url)")?;
                Ok(Self::Postgres { server: postgres_url.to_owned(), schema })
            }
        }
    }

    /// What the daemon's `database.url` says.
    pub fn url(&self) -> String {
        match self {
            Self::Sqlite { path } => format!("sqlite://{}", path.display()),
            Self::Postgres { server, schema } => {
                let separator = if server.contains('?') { '&' } else { '?' };
                format!("{server}{separator}options=-csearch_path%3D{schema}")
            }
        }
    }

    /// Runs one statement; returns what it printed (unaligned, no headers).
    pub fn execute(&self, sql: &str) -> Result<String> {
        match self {
            Self::Sqlite { path } => {
                let output = Command::new("sqlite3")
                    .args(["-batch", "-cmd", ".timeout 10000"])
                    .arg(path)
                    .arg(sql)
                    .output()
                    .context("running sqlite3 (install the sqlite3 command-line tool)")?;
                if !output.status.success() {
                    bail!("sqlite3 failed on {sql:?}: {}", String::from_utf8_lossy(&output.stderr));
                }
                Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
            }
            Self::Postgres { server, schema } => psql(server, &format!("SET search_path TO {schema}; {sql}")),
        }
    }

    /// `SELECT count(*) FROM ...` as a number.
    pub fn count(&self, from_where: &str) -> Result<u64> {
        let text = self.execute(&format!("SELECT count(*) FROM {from_where};"))?;
        let last = text.lines().last().unwrap_or_default().trim();
        last.parse().with_context(|| format!("count of {from_where}: {text:?}"))
    }
}

fn psql(url: &str, sql: &str) -> Result<String> {
    let output = Command::new("psql")
        .args(["-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", url, "-c", sql])
        .output()
        .context("running psql (install the PostgreSQL client)")?;
    if !output.status.success() {
        bail!("psql failed on {sql:?}: {}", String::from_utf8_lossy(&output.stderr));
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Self::Postgres { server, schema } = self {
            let _ = psql(server, &format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
        }
    }
}
