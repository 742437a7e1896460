//! Tokens minted for bots (join tokens for local recording, ZAKs, OBF tokens), recorded so that
//! tests can check who minted what and whether a bot used one twice.
//!
//! Benchmarks mint millions of these, so a record is kept small: a fixed-size key, and shared
//! handles for the grant and the users instead of copied strings.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};

use super::World;
use super::grants::{Caller, GrantRef};
use crate::clock::zoom_time;
use crate::control::types::{self, TokenKind};
use crate::ids;

const TOKEN_LEN: usize = 40;

/// A minted token's text, stored inline.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct MintedKey([u8; TOKEN_LEN]);

impl MintedKey {
    /// `None` for anything that cannot be a minted token.
    fn parse(token: &str) -> Option<Self> {
        token.as_bytes().try_into().ok().map(Self)
    }
}

pub struct Minted {
    pub kind: TokenKind,
    pub bypass_waiting_room: bool,
    pub uses: u32,
    pub meeting_id: Option<u64>,
    pub host_id: Option<Arc<str>>,
    pub user_id: Option<Arc<str>>,
    pub grant: Arc<GrantRef>,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl Minted {
    fn reused(&self) -> bool {
        // Join tokens are single-use (docs/zoom.md §3.7); ZAKs and OBF tokens may be used repeatedly.
        matches!(self.kind, TokenKind::JoinLocalRecording | TokenKind::WebinarJoinLocalRecording) && self.uses > 1
    }
}

/// What to mint.
pub struct MintRequest {
    pub kind: TokenKind,
    pub meeting_id: Option<u64>,
    pub host_id: Option<Arc<str>>,
    pub user_id: Option<Arc<str>>,
    pub bypass_waiting_room: bool,
    pub ttl: TimeDelta,
}

impl World {
    pub fn mint(&mut self, caller: &Caller, req: MintRequest, now: DateTime<Utc>) -> String {
        let (token, key) = loop {
            let token = ids::opaque(TOKEN_LEN);
            if let Some(key) = MintedKey::parse(&token)
                && !self.minted.contains_key(&key)
            {
                break (token, key);
            }
        };
        self.minted.insert(
            key,
            Minted {
                kind: req.kind,
                bypass_waiting_room: req.bypass_waiting_room,
                uses: 0,
                meeting_id: req.meeting_id,
                host_id: req.host_id,
                user_id: req.user_id,
                grant: caller.grant.clone(),
                issued_at: now,
                expires_at: now + req.ttl,
            },
        );
        token
    }

    pub fn minted_view(&self, token: &str, now: DateTime<Utc>) -> Option<types::MintedToken> {
        let m = self.minted.get(&MintedKey::parse(token)?)?;
        Some(types::MintedToken {
            token: token.to_owned(),
            kind: m.kind,
            meeting_id: m.meeting_id,
            host_id: m.host_id.as_deref().map(str::to_owned),
            user_id: m.user_id.as_deref().map(str::to_owned),
            client_id: m.grant.client_id.clone(),
            grant_id: m.grant.id.clone(),
            account_id: m.grant.account_id.clone(),
            bypass_waiting_room: m.bypass_waiting_room,
            issued_at: zoom_time(m.issued_at),
            expires_at: zoom_time(m.expires_at),
            expired: now >= m.expires_at,
            uses: m.uses,
            reused: m.reused(),
        })
    }

    /// A bot joining with the token.
    pub fn use_minted(&mut self, token: &str, now: DateTime<Utc>) -> Option<types::TokenUse> {
        let m = self.minted.get_mut(&MintedKey::parse(token)?)?;
        m.uses = m.uses.saturating_add(1);
        Some(types::TokenUse { uses: m.uses, reused: m.reused(), expired: now >= m.expires_at })
    }
}
