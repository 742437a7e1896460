//! Asking for a backfill. Services (a new connection, an admin's "sync now") only *request* one
//! here; the sync worker (the `sync` module, started by `serve`) drains the queue and runs it. So
//! the services never call the backfill, and the backfill may use every service.
//!
//! A credential is queued once: asking again while it is queued or running is a no-op (and says
//! so), until the worker reports it [`done`](BackfillQueue::done). A process with no worker (a
//! CLI command) just keeps its requests; it never makes any but by mistake.

use std::collections::HashSet;

use chrono::NaiveDateTime;
use tokio::sync::mpsc;

/// One backfill to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackfillRequest {
    pub credential_id: String,
    /// The schedule tick it is for, so replicas can tell a tick already served; `None`: now.
    pub tick: Option<NaiveDateTime>,
}

pub struct BackfillQueue {
    tx: mpsc::UnboundedSender<BackfillRequest>,
    rx: parking_lot::Mutex<Option<mpsc::UnboundedReceiver<BackfillRequest>>>,
    /// Credentials queued or running in this process.
    wanted: parking_lot::Mutex<HashSet<String>>,
}

impl Default for BackfillQueue {
    fn default() -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        Self { tx, rx: parking_lot::Mutex::new(Some(rx)), wanted: parking_lot::Mutex::new(HashSet::new()) }
    }
}

impl BackfillQueue {
    /// Asks for a backfill of `credential_id` now. False when one is already queued or running.
    pub fn request(&self, credential_id: &str) -> bool {
        self.request_for(credential_id, None)
    }

    /// Asks for the backfill of a schedule tick (or now, with `None`).
    pub fn request_for(&self, credential_id: &str, tick: Option<NaiveDateTime>) -> bool {
        if !self.wanted.lock().insert(credential_id.to_owned()) {
            return false;
        }
        let request = BackfillRequest { credential_id: credential_id.to_owned(), tick };
        if self.tx.send(request).is_err() {
            // The worker has stopped (the process is shutting down): nothing will run it.
            self.wanted.lock().remove(credential_id);
            return false;
        }
        true
    }

    /// The worker's end of the queue; there is one, so the first caller gets it.
    pub fn take_receiver(&self) -> Option<mpsc::UnboundedReceiver<BackfillRequest>> {
        self.rx.lock().take()
    }

    /// The worker finished (or gave up on) this credential's backfill: it may be asked again.
    pub fn done(&self, credential_id: &str) {
        self.wanted.lock().remove(credential_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_credential_is_queued_once_until_done() {
        let queue = BackfillQueue::default();
        let mut rx = queue.take_receiver().unwrap();
        assert!(queue.take_receiver().is_none());
        assert!(queue.request("a"));
        assert!(!queue.request("a"));
        assert!(queue.request("b"));
        assert_eq!(rx.try_recv().unwrap().credential_id, "a");
        assert!(!queue.request("a"), "still running until done");
        queue.done("a");
        assert!(queue.request("a"));
        assert_eq!(rx.try_recv().unwrap().credential_id, "b");
        assert_eq!(rx.try_recv().unwrap().credential_id, "a");
    }
}
