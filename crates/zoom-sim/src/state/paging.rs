//! Zoom's `next_page_token` paging: opaque tokens that expire after 15 minutes (sim time) and
//! resume a listing after the last item returned. Items are listed in creation order, so a
//! page token stays correct when items are added or removed between pages.

use chrono::{DateTime, TimeDelta, Utc};

use std::collections::HashMap;

use crate::errors::ApiError;
use crate::ids;

const PAGE_TOKEN_SECS: i64 = 15 * 60;
pub const DEFAULT_PAGE_SIZE: u32 = 30;
pub const MAX_PAGE_SIZE: u32 = 300;

/// What a page token continues; a token is refused for any other listing.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum PageQuery {
    Users { account_id: String, status: String },
    Meetings { user_id: String, list_type: String },
    Webinars { user_id: String, list_type: String },
}

pub struct PageCursor {
    pub query: PageQuery,
    /// Resume after this creation sequence number.
    pub after_seq: u64,
    pub page_number: u32,
    pub expires_at: DateTime<Utc>,
}

pub struct PageRequest {
    pub page_size: u32,
    pub next_page_token: Option<String>,
}

pub struct Page<T> {
    pub items: Vec<T>,
    pub next_page_token: String,
    pub page_count: u32,
    pub page_number: u32,
    pub page_size: u32,
    pub total_records: usize,
}

/// Live page tokens.
#[derive(Default)]
pub struct Pages {
    cursors: HashMap<String, PageCursor>,
    prune_at: usize,
}

impl Pages {
    /// Cuts one page out of `matching` (every matching item with its creation sequence, in
    /// order), honouring and issuing page tokens.
    pub fn page<T>(
        &mut self,
        query: PageQuery,
        matching: Vec<(u64, T)>,
        req: &PageRequest,
        now: DateTime<Utc>,
    ) -> Result<Page<T>, ApiError> {
        let (after_seq, page_number) = match req.next_page_token.as_deref().filter(|t| !t.is_empty()) {
            None => (0, 1),
            Some(token) => match self.cursors.get(token) {
                Some(c) if c.query == query && now < c.expires_at => (c.after_seq, c.page_number + 1),
                _ => return Err(ApiError::bad_page_token()),
            },
        };
        let page_size = req.page_size;
        let total_records = matching.len();
        let start = matching.partition_point(|(seq, _)| *seq <= after_seq);
        let mut rest = matching.into_iter().skip(start);
        let items: Vec<(u64, T)> = rest.by_ref().take(page_size as usize).collect();
        let more = rest.next().is_some();
        let next_page_token = match (more, items.last()) {
            (true, Some((last_seq, _))) => {
                self.prune_pages(now);
                let token = ids::opaque(32);
                self.cursors.insert(
                    token.clone(),
                    PageCursor {
                        query,
                        after_seq: *last_seq,
                        page_number,
                        expires_at: now + TimeDelta::seconds(PAGE_TOKEN_SECS),
                    },
                );
                token
            }
            _ => String::new(),
        };
        let page_count = u32::try_from(total_records.div_ceil(page_size.max(1) as usize)).unwrap_or(u32::MAX);
        Ok(Page {
            items: items.into_iter().map(|(_, item)| item).collect(),
            next_page_token,
            page_count,
            page_number,
            page_size,
            total_records,
        })
    }

    /// Forgets expired page tokens now and then, so the map stays small under load.
    fn prune_pages(&mut self, now: DateTime<Utc>) {
        if self.cursors.len() >= self.prune_at.max(4096) {
            self.cursors.retain(|_, c| now < c.expires_at);
            self.prune_at = self.cursors.len() * 2;
        }
    }
}
