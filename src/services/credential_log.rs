//! The per-credential log (Recall keeps one per credential): connects, refreshes, refusals,
//! every token a bot asked for and what came of it. Lines are written by one background thread
//! in batches, so a bot's request never waits for a log insert. Messages are ours, never a
//! token or secret.

use std::sync::mpsc;
use std::time::Duration;

use chrono::NaiveDateTime;

use crate::db::Db;
use crate::db::models::credential_logs::{self, Level};

enum Message {
    Line { credential_id: String, level: Level, message: String, at: NaiveDateTime },
    Flush(mpsc::Sender<()>),
}

/// Most lines one `INSERT` statement writes (a transaction writes as many statements as it
/// needs): 2,000 bound values, well within SQLite's 32,766 and PostgreSQL's 65,535.
const CHUNK: usize = 500;

#[derive(Clone)]
pub struct CredentialLog {
    tx: mpsc::Sender<Message>,
}

impl CredentialLog {
    /// Starts the writer thread; it ends when the last handle is dropped.
    pub fn start(db: Db) -> Self {
        let (tx, rx) = mpsc::channel();
        let spawned = std::thread::Builder::new().name("credential-log".into()).spawn(move || run(&db, &rx));
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start the credential log writer; credential logs are off");
        }
        Self { tx }
    }

    pub fn info(&self, credential_id: &str, message: impl Into<String>) {
        self.line(credential_id, Level::Info, message.into());
    }

    pub fn warning(&self, credential_id: &str, message: impl Into<String>) {
        self.line(credential_id, Level::Warning, message.into());
    }

    pub fn error(&self, credential_id: &str, message: impl Into<String>) {
        self.line(credential_id, Level::Error, message.into());
    }

    fn line(&self, credential_id: &str, level: Level, message: String) {
        let _ = self.tx.send(Message::Line {
            credential_id: credential_id.to_owned(),
            level,
            message,
            at: crate::time::now(),
        });
    }

    /// Waits until every line sent so far is written (CLI commands before they exit, tests).
    pub async fn flush(&self) {
        let (done_tx, done_rx) = mpsc::channel();
        if self.tx.send(Message::Flush(done_tx)).is_ok() {
            let _ = tokio::task::spawn_blocking(move || done_rx.recv()).await;
        }
    }
}

/// How long the writer lets lines gather before writing them, in one transaction: under load
/// this turns a transaction per minted token into one per few hundred. A transaction's cost is
/// mostly the pages it writes, and every credential with a new line touches its own page of the
/// `(credential_id, id)` index however few lines it has, so a longer linger writes fewer pages
/// per line (on SQLite the daemon writes them itself: at 25 ms the writer was 13% of the daemon's
/// CPU on the token path). It sleeps rather than waiting on the channel, so a bot's request
/// sending its line wakes nobody (a futex wake per token, measured at 3% of the token path's CPU,
/// and the writer's own wake-ups, 13%). A line reaches the table within this (and a crash loses
/// at most this much of the log: never a token or a credential).
const LINGER: Duration = Duration::from_millis(100);

fn run(db: &Db, rx: &mpsc::Receiver<Message>) {
    while let Ok(first) = rx.recv() {
        // Someone waits for a flush: write now. Otherwise let what comes within LINGER gather.
        if !matches!(first, Message::Flush(_)) {
            std::thread::sleep(LINGER);
        }
        // Everything that came: a backlog is written at once, never a linger per chunk.
        let mut lines = Vec::new();
        let mut flushes = Vec::new();
        for message in std::iter::once(first).chain(rx.try_iter()) {
            match message {
                Message::Line { credential_id, level, message, at } => lines.push((credential_id, level, message, at)),
                Message::Flush(done) => flushes.push(done),
            }
        }
        write(db, &lines);
        for done in flushes {
            let _ = done.send(());
        }
    }
}

fn write(db: &Db, lines: &[(String, Level, String, NaiveDateTime)]) {
    if lines.is_empty() {
        return;
    }
    let rows: Vec<credential_logs::NewLine<'_>> = lines
        .iter()
        .map(|(credential_id, level, message, at)| credential_logs::NewLine {
            credential_id,
            level: *level,
            message,
            created_at: *at,
        })
        .collect();
    // One transaction for all, a statement per chunk.
    let batch = db.write_blocking(|conn| {
        rows.chunks(CHUNK).try_fold(0, |written, chunk| Ok(written + credential_logs::append_all(conn, chunk)?))
    });
    if batch.is_err() {
        // One line for a credential deleted meanwhile fails the batch: each chunk alone, and
        // the lines of a chunk that fails too one by one.
        for chunk in rows.chunks(CHUNK) {
            if db.write_blocking(|conn| credential_logs::append_all(conn, chunk)).is_ok() {
                continue;
            }
            for row in chunk {
                let single = db.write_blocking(|conn| credential_logs::append_all(conn, std::slice::from_ref(row)));
                if let Err(e) = single {
                    tracing::debug!(credential = %row.credential_id, error = %e, "credential log line dropped");
                }
            }
        }
    }
}
