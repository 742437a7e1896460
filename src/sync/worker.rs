//! The backfill worker: takes requests from the services' queue and runs them, a few at once.

use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

use crate::services::AppState;

/// Backfills one process runs at once.
const CONCURRENT_SYNCS: usize = 4;

/// Starts draining `state.backfills`; `None` if a worker already took the queue.
pub fn start(state: &AppState) -> Option<JoinHandle<()>> {
    let mut requests = state.backfills.take_receiver()?;
    let state = state.clone();
    Some(tokio::spawn(async move {
        let slots = Arc::new(Semaphore::new(CONCURRENT_SYNCS));
        while let Some(request) = requests.recv().await {
            let (state, slots) = (state.clone(), Arc::clone(&slots));
            tokio::spawn(async move {
                let slot = slots.acquire_owned().await;
                let id = &request.credential_id;
                if let Err(e) = super::claim_and_run(&state, id, request.tick, None).await {
                    tracing::debug!(credential = %id, error = %e, "backfill not run");
                }
                drop(slot);
                state.backfills.done(id);
            });
        }
    }))
}
