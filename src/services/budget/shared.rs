//! One budget per Zoom account and category across every replica on PostgreSQL.
//!
//! The start times of the account's latest calls in a category live in one `rate_slots` row, on
//! the database's clock; a replica books turns under that row's lock with the same rule as the
//! in-process schedule (`turns`), so all replicas' calls together stay inside the plan's limit,
//! and whatever one replica leaves unused is there for the next booking of any other. The calls
//! waiting at one replica for the same account and category are booked together, in one
//! transaction: a burst pays a round trip per batch, not per call; a lone call pays one.
//!
//! Turns are booked at most [`HORIZON`] ahead. A caller whose turn is further off keeps its
//! place in the queue and is booked on a later round, so a replica killed with a long queue
//! wastes at most a horizon's worth of the account's calls, not its whole queue's.

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

/// How far ahead a turn is booked (see the module's note): a quarter of Zoom's window, so a
/// burst is booked in about four rounds a second.
pub const HORIZON: Duration = Duration::from_millis(250);

/// One caller's place in a round of booking.
#[derive(Debug, PartialEq)]
enum Turn {
    /// Booked: the call may start then.
    At(Micros),
    /// Its turn would come after its deadline: that long from now. Nothing is booked.
    Refused(Duration),
    /// Its turn is further off than the horizon, about then: booked on a later round.
    Later(Micros),
}

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

    /// Books every waiting caller of `key`, round after round, until none is left.
    async fn book(self: Arc<Self>, key: Key, limit: usize) {
        let mut later: Vec<Waiter> = Vec::new();
        loop {
            let waiters = {
                let mut waiting = self.waiting.lock();
                let list = waiting.entry(key.clone()).or_default();
                // The callers left for later keep their places ahead of the new ones; those
                // who gave up meanwhile are not booked at all.
                let mut waiters = std::mem::take(&mut later);
                waiters.append(list);
                waiters.retain(|waiter| !waiter.answer.is_closed());
                if waiters.is_empty() {
                    waiting.remove(&key);
                    return;
                }
                waiters
            };
            let asked = Instant::now();
            let patience: Vec<Duration> = waiters.iter().map(|w| w.deadline.saturating_duration_since(asked)).collect();
            let (account, category) = (key.0.clone(), key.1);
            let booked = self.db.write(move |conn| book_turns(conn, &account, category, limit, &patience)).await;
            // Turns are placed on this process's clock from the moment the answer came back:
            // at worst a round trip late, which the margin covers.
            let answered = Instant::now();
            let mut next_round = None;
            match booked {
                Ok((now, turns)) => {
                    for (waiter, turn) in waiters.into_iter().zip(turns) {
                        let answer = match turn {
                            Turn::At(at) => Ok(answered + at.since(now)),
                            Turn::Refused(retry_after) => Err(OverBudget { retry_after }),
                            Turn::Later(at) => {
                                let due = answered + at.since(now).saturating_sub(HORIZON);
                                next_round = Some(next_round.map_or(due, |next: Instant| next.min(due)));
                                later.push(waiter);
                                continue;
                            }
                        };
                        let _ = waiter.answer.send(Ok(answer));
                    }
                }
                Err(e) => {
                    for waiter in waiters {
                        let _ = waiter.answer.send(Err(e.to_string()));
                    }
                }
            }
            if let Some(next_round) = next_round {
                tokio::time::sleep_until(next_round.max(Instant::now() + MIN_ROUND).into()).await;
            }
        }
    }
}

/// The least time between two rounds for callers left for later: a horizon is long, and each
/// round is a transaction.
const MIN_ROUND: Duration = Duration::from_millis(20);

/// Books a turn for each caller in order (`patience`: how long each may wait), under the row's
/// lock. Every caller is placed on the schedule, so that each refusal says how long it would
/// have waited; only the turns within [`HORIZON`] are written, the rest wait for a later round,
/// and a caller refused books nothing. Returns the database's time now and each caller's turn.
fn book_turns(
    conn: &mut AnyConnection,
    account_id: &str,
    category: Category,
    limit: usize,
    patience: &[Duration],
) -> diesel::QueryResult<(Micros, Vec<Turn>)> {
    let (slots, now) = rate_slots::lock(conn, account_id, category.name())?;
    let now = Micros(now);
    let mut stored: VecDeque<Micros> = slots.into_iter().map(Micros).collect();
    let mut placed = stored.clone();
    let turns: Vec<Turn> = patience
        .iter()
        .map(|patience| {
            let at = turns::next(&placed, limit, now);
            if at > now + *patience {
                return Turn::Refused(at.since(now));
            }
            turns::book(&mut placed, at, limit);
            // Turns only grow: those within the horizon come first, and are all `stored`.
            if at > now + HORIZON {
                return Turn::Later(at);
            }
            turns::book(&mut stored, at, limit);
            Turn::At(at)
        })
        .collect();
    if turns.iter().any(|turn| matches!(turn, Turn::At(_))) {
        let slots: Vec<i64> = stored.iter().map(|m| m.0).collect();
        rate_slots::store(conn, account_id, category.name(), &slots)?;
    }
    Ok((now, turns))
}
