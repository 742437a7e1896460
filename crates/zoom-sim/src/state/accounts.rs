//! Accounts: a plan (for rate limits), an owner, and their users in creation order.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{World, check_id};
use crate::clock::zoom_time;
use crate::control::types::{self, NewAccount, Plan};
use crate::errors::ControlError;
use crate::ids;

pub struct Account {
    pub id: String,
    pub plan: Plan,
    pub number: u64,
    pub created_at: DateTime<Utc>,
    /// Creation sequence -> user id.
    pub users: BTreeMap<u64, String>,
    pub owner: Option<String>,
}

impl Account {
    pub fn view(&self) -> types::Account {
        types::Account { id: self.id.clone(), plan: self.plan, created_at: zoom_time(self.created_at) }
    }
}

impl World {
    pub fn create_account(&mut self, req: NewAccount, now: DateTime<Utc>) -> Result<&Account, ControlError> {
        let id = match req.id {
            Some(id) => {
                check_id("account", &id)?;
                if self.accounts.contains_key(&id) {
                    return Err(ControlError::conflict(format!("account {id} exists")));
                }
                id
            }
            None => loop {
                let id = ids::entity_id();
                if !self.accounts.contains_key(&id) {
                    break id;
                }
            },
        };
        let number = 1_000_000 + self.next_seq();
        let account = Account {
            id: id.clone(),
            plan: req.plan.unwrap_or_default(),
            number,
            created_at: now,
            users: BTreeMap::new(),
            owner: None,
        };
        Ok(self.accounts.entry(id).or_insert(account))
    }

    pub fn account(&self, id: &str) -> Result<&Account, ControlError> {
        self.accounts.get(id).ok_or_else(|| ControlError::not_found(format!("no account {id}")))
    }

    pub fn set_plan(&mut self, id: &str, plan: Plan) -> Result<&Account, ControlError> {
        let account = self.accounts.get_mut(id).ok_or_else(|| ControlError::not_found(format!("no account {id}")))?;
        account.plan = plan;
        Ok(account)
    }
}
