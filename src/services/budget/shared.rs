//! One budget per Zoom account and category across every replica on PostgreSQL.
//!
//! The start times of the account's latest calls in a category live in one `rate_slots` row, on
//! the database's clock; a replica books turns under that row's lock with the same rule as the
//! in-process schedule (`turns`), so all replicas' calls together stay inside the plan's limit,
//! and whatever one replica leaves unused is there for the next booking of any other. The calls
//! waiting at one replica for the same account and category are booked together, in one
//! transaction: a burst pays a round trip per batch, not per call; a lone call pays one.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use super::turns::{self, Micros};
use super::{Category, OverBudget};
use crate::db::models::rate_slots;
use crate::db::{AnyConnection, Db};

/// A booking's answer: the turn (or the refusal), or why the database could not say.
type Answer = Result<Result<Instant, OverBudget>, String>;

struct Waiter {
    deadline: Instant,
    answer: oneshot::Sender<Answer>,
}

type Key = (String, Category);

pub struct Shared {
    db: Db,
    /// The callers waiting for a booking, by account and category. A key is present while its
    /// booker runs: callers arriving then join the next batch.
    waiting: parking_lot::Mutex<HashMap<Key, Vec<Waiter>>>,
}

impl Shared {
    pub fn new(db: Db) -> Arc<Self> {
        Arc::new(Self { db, waiting: parking_lot::Mutex::new(HashMap::new()) })
    }

    /// Books this account's next turn in `category` (of `limit` calls a second), or refuses if
    /// it would come after `deadline`; `Err` when the database could not be asked.
    pub async fn reserve(
        self: &Arc<Self>,
        account_id: &str,
        category: Category,
        limit: usize,
        deadline: Instant,
    ) -> Answer {
        let (answer, answered) = oneshot::channel();
        let key = (account_id.to_owned(), category);
        let first = {
            let mut waiting = self.waiting.lock();
            let first = !waiting.contains_key(&key);
            waiting.entry(key.clone()).or_default().push(Waiter { deadline, answer });
            first
        };
        // On a task of its own: a bot giving up must not strand the callers queued behind it.
        if first {
            tokio::spawn(Arc::clone(self).book(key, limit));
        }
        answered.await.unwrap_or_else(|_| Err("the rate budget's booking stopped".into()))
    }

    /// Books every waiting caller of `key`, batch after batch, until none is left.
    async fn book(self: Arc<Self>, key: Key, limit: usize) {
        loop {
            let waiters = {
                let mut waiting = self.waiting.lock();
                match waiting.get_mut(&key) {
                    Some(list) if !list.is_empty() => std::mem::take(list),
                    _ => {
                        waiting.remove(&key);
                        return;
                    }
                }
            };
            let asked = Instant::now();
            let patience: Vec<Duration> = waiters.iter().map(|w| w.deadline.saturating_duration_since(asked)).collect();
            let (account, category) = (key.0.clone(), key.1);
            let booked = self.db.write(move |conn| book_turns(conn, &account, category, limit, &patience)).await;
            // Turns are placed on this process's clock from the moment the answer came back:
            // at worst a round trip late, which the margin covers.
            let answered = Instant::now();
            match booked {
                Ok((now, turns)) => {
                    for (waiter, turn) in waiters.into_iter().zip(turns) {
                        let turn =
                            turn.map(|at| answered + at.since(now)).map_err(|retry_after| OverBudget { retry_after });
                        let _ = waiter.answer.send(Ok(turn));
                    }
                }
                Err(e) => {
                    for waiter in waiters {
                        let _ = waiter.answer.send(Err(e.to_string()));
                    }
                }
            }
        }
    }
}

/// Books a turn for each caller in order (`patience`: how long each may wait), under the row's
/// lock. A caller whose turn would come too late is refused and books nothing. Returns the
/// database's time now and each caller's turn, or the wait it would have needed.
fn book_turns(
    conn: &mut AnyConnection,
    account_id: &str,
    category: Category,
    limit: usize,
    patience: &[Duration],
) -> diesel::QueryResult<(Micros, Vec<Result<Micros, Duration>>)> {
    let (slots, now) = rate_slots::lock(conn, account_id, category.name())?;
    let now = Micros(now);
    let mut slots: VecDeque<Micros> = slots.into_iter().map(Micros).collect();
    let turns: Vec<Result<Micros, Duration>> = patience
        .iter()
        .map(|patience| {
            let at = turns::next(&slots, limit, now);
            if at > now + *patience {
                return Err(at.since(now));
            }
            turns::book(&mut slots, at, limit);
            Ok(at)
        })
        .collect();
    if turns.iter().any(Result::is_ok) {
        let slots: Vec<i64> = slots.iter().map(|m| m.0).collect();
        rate_slots::store(conn, account_id, category.name(), &slots)?;
    }
    Ok((now, turns))
}
