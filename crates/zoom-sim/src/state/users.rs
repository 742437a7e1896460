//! Users: identity, PMI, vanity name, the local-recording setting; their meetings by creation.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::{World, check_id};
use crate::clock::{wall_ms, zoom_time};
use crate::control::types::{self, Disassociate, NewUser, Role, UserPatch, UserStatus};
use crate::errors::ControlError;
use crate::ids;

pub struct User {
    pub id: String,
    /// The id again, shared by the records that outlive requests (minted tokens).
    pub handle: std::sync::Arc<str>,
    pub account_id: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub role: Role,
    pub pmi: u64,
    /// The uuid of the user's personal meeting room (type-4 meeting).
    pub pmi_uuid: String,
    pub vanity_name: Option<String>,
    pub local_recording: bool,
    pub status: UserStatus,
    pub user_type: u8,
    pub timezone: String,
    pub created_at: DateTime<Utc>,
    pub seq: u64,
    pub host_key: String,
    /// Creation sequence -> id of the meetings this user hosts.
    pub meetings: BTreeMap<u64, u64>,
}

impl User {
    pub fn display_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name).trim().to_owned()
    }

    pub fn role_name(&self) -> &'static str {
        match self.role {
            Role::Owner => "Owner",
            Role::Admin => "Admin",
            Role::Member => "Member",
        }
    }

    /// Zoom's `role_id`: "0" owner, "1" admin, "2" member.
    pub fn role_id(&self) -> &'static str {
        match self.role {
            Role::Owner => "0",
            Role::Admin => "1",
            Role::Member => "2",
        }
    }

    pub fn is_admin(&self) -> bool {
        matches!(self.role, Role::Owner | Role::Admin)
    }

    pub fn personal_meeting_url(&self) -> String {
        format!("https://zoom.us/j/{}", self.pmi)
    }

    pub fn vanity_url(&self) -> Option<String> {
        self.vanity_name.as_ref().map(|v| format!("https://zoom.us/my/{v}"))
    }

    pub fn view(&self) -> types::User {
        types::User {
            id: self.id.clone(),
            account_id: self.account_id.clone(),
            email: self.email.clone(),
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            display_name: self.display_name(),
            role: self.role,
            role_name: self.role_name().to_owned(),
            pmi: self.pmi,
            use_pmi: false,
            personal_meeting_url: self.personal_meeting_url(),
            vanity_name: self.vanity_name.clone(),
            vanity_url: self.vanity_url(),
            local_recording: self.local_recording,
            status: self.status,
            user_type: self.user_type,
            timezone: self.timezone.clone(),
            created_at: zoom_time(self.created_at),
        }
    }

    /// The object of `user.deactivated` / `user.deleted`.
    fn event_object(&self) -> Value {
        json!({
            "id": self.id,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "email": self.email,
            "type": self.user_type,
        })
    }
}

fn check_pmi(pmi: u64) -> Result<(), ControlError> {
    if (1_000_000_000..10_000_000_000).contains(&pmi) {
        Ok(())
    } else {
        Err(ControlError::bad_request("pmi must have 10 digits"))
    }
}

fn check_email(email: &str) -> Result<(), ControlError> {
    let ok = email.len() <= 128
        && email.split_once('@').is_some_and(|(l, d)| !l.is_empty() && !d.is_empty())
        && !email.chars().any(char::is_whitespace);
    if ok { Ok(()) } else { Err(ControlError::bad_request(format!("invalid email {email:?}"))) }
}

fn check_vanity(name: &str) -> Result<(), ControlError> {
    let ok = (1..=64).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_');
    if ok { Ok(()) } else { Err(ControlError::bad_request("vanity_name must be 1-64 characters of [A-Za-z0-9._-]")) }
}

fn check_type(user_type: u8) -> Result<(), ControlError> {
    if matches!(user_type, 1 | 2 | 3 | 4 | 99) {
        Ok(())
    } else {
        Err(ControlError::bad_request("type must be 1, 2, 3, 4 or 99"))
    }
}

fn check_name(field: &str, value: &str) -> Result<(), ControlError> {
    if value.len() <= 64 { Ok(()) } else { Err(ControlError::bad_request(format!("{field} is too long"))) }
}

impl World {
    pub fn user(&self, id: &str) -> Result<&User, ControlError> {
        self.users.get(id).ok_or_else(|| ControlError::not_found(format!("no user {id}")))
    }

    /// A user by id or (case-insensitive) email.
    pub fn find_user(&self, id_or_email: &str) -> Option<&User> {
        self.users.get(id_or_email).or_else(|| {
            let id = self.user_by_email.get(&id_or_email.to_ascii_lowercase())?;
            self.users.get(id)
        })
    }

    /// A PMI or meeting id nobody holds yet.
    pub(super) fn id_in_use(&self, number: u64) -> bool {
        self.user_by_pmi.contains_key(&number) || self.meetings.contains_key(&number)
    }

    fn fresh_pmi(&self) -> u64 {
        loop {
            let pmi = ids::pmi();
            if !self.id_in_use(pmi) {
                return pmi;
            }
        }
    }

    pub fn create_user(&mut self, req: NewUser, now: DateTime<Utc>) -> Result<&User, ControlError> {
        let account = self.account(&req.account_id)?;
        let role = req.role.unwrap_or_default();
        if role == Role::Owner && account.owner.is_some() {
            return Err(ControlError::conflict(format!("account {} already has an owner", account.id)));
        }
        let id = match req.id {
            Some(id) => {
                check_id("user", &id)?;
                if self.users.contains_key(&id) {
                    return Err(ControlError::conflict(format!("user {id} exists")));
                }
                id
            }
            None => loop {
                let id = ids::entity_id();
                if !self.users.contains_key(&id) {
                    break id;
                }
            },
        };
        let seq = self.next_seq();
        let email = match req.email {
            Some(email) => {
                check_email(&email)?;
                if self.user_by_email.contains_key(&email.to_ascii_lowercase()) {
                    return Err(ControlError::conflict(format!("email {email} is taken")));
                }
                email
            }
            None => loop {
                let email = format!("user{seq}.{}@example.com", ids::alnum(4).to_ascii_lowercase());
                if !self.user_by_email.contains_key(&email) {
                    break email;
                }
            },
        };
        let pmi = match req.pmi {
            Some(pmi) => {
                check_pmi(pmi)?;
                if self.id_in_use(pmi) {
                    return Err(ControlError::conflict(format!("{pmi} is already a PMI or meeting id")));
                }
                pmi
            }
            None => self.fresh_pmi(),
        };
        if let Some(vanity) = &req.vanity_name {
            check_vanity(vanity)?;
            if self.user_by_vanity.contains_key(&vanity.to_ascii_lowercase()) {
                return Err(ControlError::conflict(format!("vanity name {vanity} is taken")));
            }
        }
        let user_type = req.user_type.unwrap_or(2);
        check_type(user_type)?;
        let first_name = req.first_name.unwrap_or_else(|| "Sim".to_owned());
        let last_name = req.last_name.unwrap_or_else(|| format!("User{seq}"));
        check_name("first_name", &first_name)?;
        check_name("last_name", &last_name)?;

        let user = User {
            handle: std::sync::Arc::from(id.as_str()),
            id: id.clone(),
            account_id: req.account_id.clone(),
            email: email.clone(),
            first_name,
            last_name,
            role,
            pmi,
            pmi_uuid: ids::meeting_uuid(),
            vanity_name: req.vanity_name.clone(),
            local_recording: req.local_recording.unwrap_or(true),
            status: req.status.unwrap_or_default(),
            user_type,
            timezone: req.timezone.unwrap_or_else(|| "UTC".to_owned()),
            created_at: now,
            seq,
            host_key: format!("{:06}", seq % 1_000_000),
            meetings: BTreeMap::new(),
        };
        if let Some(account) = self.accounts.get_mut(&req.account_id) {
            account.users.insert(seq, id.clone());
            if role == Role::Owner {
                account.owner = Some(id.clone());
            }
        }
        self.users_by_seq.insert(seq, id.clone());
        self.user_by_email.insert(email.to_ascii_lowercase(), id.clone());
        self.user_by_pmi.insert(pmi, id.clone());
        if let Some(vanity) = req.vanity_name {
            self.user_by_vanity.insert(vanity.to_ascii_lowercase(), id.clone());
        }
        Ok(self.users.entry(id).or_insert(user))
    }

    /// Applies `patch`. Profile changes fire `user.updated` carrying only the changed fields
    /// (plus `id`); a change to `inactive` fires `user.deactivated`.
    pub fn update_user(&mut self, id: &str, patch: UserPatch) -> Result<&User, ControlError> {
        let user = self.user(id)?;
        let account_id = user.account_id.clone();

        // Validate everything before changing anything.
        if let Some(email) = &patch.email {
            check_email(email)?;
            let owner = self.user_by_email.get(&email.to_ascii_lowercase());
            if owner.is_some_and(|o| o != id) {
                return Err(ControlError::conflict(format!("email {email} is taken")));
            }
        }
        if let Some(pmi) = patch.pmi {
            check_pmi(pmi)?;
            if pmi != user.pmi && self.id_in_use(pmi) {
                return Err(ControlError::conflict(format!("{pmi} is already a PMI or meeting id")));
            }
        }
        if let Some(vanity) = patch.vanity_name.as_deref().filter(|v| !v.is_empty()) {
            check_vanity(vanity)?;
            let owner = self.user_by_vanity.get(&vanity.to_ascii_lowercase());
            if owner.is_some_and(|o| o != id) {
                return Err(ControlError::conflict(format!("vanity name {vanity} is taken")));
            }
        }
        if let Some(t) = patch.user_type {
            check_type(t)?;
        }
        for (field, value) in [("first_name", &patch.first_name), ("last_name", &patch.last_name)] {
            if let Some(value) = value {
                check_name(field, value)?;
            }
        }
        if let Some(role) = patch.role {
            let owner = self.accounts.get(&account_id).and_then(|a| a.owner.clone());
            if role == Role::Owner && owner.as_deref().is_some_and(|o| o != id) {
                return Err(ControlError::conflict(format!("account {account_id} already has an owner")));
            }
        }

        let Some(user) = self.users.get_mut(id) else {
            return Err(ControlError::not_found(format!("no user {id}")));
        };
        let mut object = Map::new();
        let mut old = Map::new();
        let mut changed = |key: &str, new: Value, before: Value| {
            if new != before {
                object.insert(key.to_owned(), new);
                old.insert(key.to_owned(), before);
            }
        };
        let old_email = user.email.clone();
        let old_pmi = user.pmi;
        let old_vanity = user.vanity_name.clone();
        let old_role = user.role;
        if let Some(v) = patch.email {
            changed("email", json!(v), json!(user.email));
            user.email = v;
        }
        if let Some(v) = patch.first_name {
            changed("first_name", json!(v), json!(user.first_name));
            user.first_name = v;
        }
        if let Some(v) = patch.last_name {
            changed("last_name", json!(v), json!(user.last_name));
            user.last_name = v;
        }
        if let Some(v) = patch.pmi {
            // An integer, as in Zoom's schema (docs/zoom.md §1.5).
            changed("pmi", json!(v), json!(user.pmi));
            user.pmi = v;
        }
        if let Some(v) = patch.vanity_name {
            let v = (!v.is_empty()).then_some(v);
            changed(
                "vanity_name",
                json!(v.clone().unwrap_or_default()),
                json!(user.vanity_name.clone().unwrap_or_default()),
            );
            user.vanity_name = v;
        }
        if let Some(v) = patch.user_type {
            changed("type", json!(v), json!(user.user_type));
            user.user_type = v;
        }
        if let Some(v) = patch.timezone {
            changed("timezone", json!(v), json!(user.timezone));
            user.timezone = v;
        }
        if let Some(v) = patch.role {
            user.role = v;
        }
        if let Some(v) = patch.local_recording {
            user.local_recording = v;
        }
        let deactivated = patch.status == Some(UserStatus::Inactive) && user.status != UserStatus::Inactive;
        // `user.activated` undoes `user.deactivated` (docs/zoom.md §1.5); a pending user turning
        // active is not a re-activation.
        let activated = patch.status == Some(UserStatus::Active) && user.status == UserStatus::Inactive;
        if let Some(v) = patch.status {
            user.status = v;
        }
        let status_event = match (deactivated, activated) {
            (true, _) => Some(("user.deactivated", user.event_object())),
            (_, true) => Some(("user.activated", user.event_object())),
            _ => None,
        };
        let (new_email, new_pmi, new_vanity, new_role) =
            (user.email.clone(), user.pmi, user.vanity_name.clone(), user.role);

        // Re-index what moved.
        if new_email != old_email {
            self.user_by_email.remove(&old_email.to_ascii_lowercase());
            self.user_by_email.insert(new_email.to_ascii_lowercase(), id.to_owned());
        }
        if new_pmi != old_pmi {
            self.user_by_pmi.remove(&old_pmi);
            self.user_by_pmi.insert(new_pmi, id.to_owned());
        }
        if new_vanity != old_vanity {
            if let Some(v) = old_vanity {
                self.user_by_vanity.remove(&v.to_ascii_lowercase());
            }
            if let Some(v) = new_vanity {
                self.user_by_vanity.insert(v.to_ascii_lowercase(), id.to_owned());
            }
        }
        if new_role != old_role
            && let Some(account) = self.accounts.get_mut(&account_id)
        {
            if new_role == Role::Owner {
                account.owner = Some(id.to_owned());
            } else if account.owner.as_deref() == Some(id) {
                account.owner = None;
            }
        }

        let (operator, operator_id) = self.operator(&account_id, id);
        if !object.is_empty() {
            object.insert("id".to_owned(), json!(id));
            old.insert("id".to_owned(), json!(id));
            let ts = wall_ms();
            self.emit(
                "user.updated",
                &account_id,
                &[id],
                json!({"account_id": account_id, "operator": operator, "operator_id": operator_id,
                       "time_stamp": ts, "object": object, "old_object": old}),
            );
        }
        if let Some((event, object)) = status_event {
            self.emit_to_admins(
                event,
                &account_id,
                json!({"account_id": account_id, "operator": operator, "operator_id": operator_id, "object": object}),
            );
        }
        self.user(id)
    }

    /// The user leaves their account: `user.disassociated` goes to the old account's admin
    /// apps, then the user (with the meetings they host) moves to `req.account_id` as a member,
    /// or to a new free account they own. Their user-level grants end without
    /// `app_deauthorized` (they were granted inside the old account; Zoom's behaviour is
    /// unknown). An account's owner cannot leave it.
    pub fn disassociate_user(
        &mut self,
        id: &str,
        req: Disassociate,
        now: DateTime<Utc>,
    ) -> Result<&User, ControlError> {
        let user = self.user(id)?;
        let old_account = user.account_id.clone();
        let seq = user.seq;
        if user.role == Role::Owner {
            return Err(ControlError::conflict(format!("user {id} owns account {old_account} and cannot leave it")));
        }
        let object = user.event_object();
        if let Some(target) = &req.account_id {
            self.account(target)?;
            if *target == old_account {
                return Err(ControlError::bad_request(format!("user {id} is already in account {target}")));
            }
        }
        let (operator, operator_id) = self.operator(&old_account, id);
        self.emit_to_admins(
            "user.disassociated",
            &old_account,
            json!({"account_id": old_account, "operator": operator, "operator_id": operator_id, "object": object}),
        );

        let (new_account, role) = match req.account_id {
            Some(target) => (target, Role::Member),
            None => {
                let account = types::NewAccount { id: None, plan: Some(types::Plan::Free) };
                (self.create_account(account, now)?.id.clone(), Role::Owner)
            }
        };
        if let Some(account) = self.accounts.get_mut(&old_account) {
            account.users.remove(&seq);
        }
        if let Some(account) = self.accounts.get_mut(&new_account) {
            account.users.insert(seq, id.to_owned());
            if role == Role::Owner {
                account.owner = Some(id.to_owned());
            }
        }
        if let Some(user) = self.users.get_mut(id) {
            user.account_id = new_account;
            user.role = role;
        }
        for grant in self.grants.values_mut() {
            if grant.kind == types::GrantKind::UserLevel && grant.user_id.as_deref() == Some(id) {
                grant.active = false;
            }
        }
        self.user(id)
    }

    /// Deletes a user: fires `user.deleted` (while their grants still count as recipients),
    /// then drops their meetings silently and ends their grants.
    pub fn delete_user(&mut self, id: &str) -> Result<(), ControlError> {
        let user = self.user(id)?;
        let account_id = user.account_id.clone();
        let object = user.event_object();
        let (operator, operator_id) = self.operator(&account_id, id);
        self.emit(
            "user.deleted",
            &account_id,
            &[id],
            json!({"account_id": account_id, "operator": operator, "operator_id": operator_id, "object": object}),
        );

        let Some(user) = self.users.remove(id) else {
            return Ok(());
        };
        for meeting_id in user.meetings.values() {
            self.meetings.remove(meeting_id);
        }
        self.users_by_seq.remove(&user.seq);
        self.user_by_email.remove(&user.email.to_ascii_lowercase());
        self.user_by_pmi.remove(&user.pmi);
        if let Some(v) = &user.vanity_name {
            self.user_by_vanity.remove(&v.to_ascii_lowercase());
        }
        if let Some(account) = self.accounts.get_mut(&account_id) {
            account.users.remove(&user.seq);
            if account.owner.as_deref() == Some(id) {
                account.owner = None;
            }
        }
        for app in self.apps.values_mut() {
            if app.authorizer.as_deref() == Some(id) {
                app.authorizer = None;
            }
        }
        // Zoom 4735: the owner of the token no longer exists.
        for grant in self.grants.values_mut() {
            if grant.user_id.as_deref() == Some(id) {
                grant.active = false;
            }
        }
        Ok(())
    }

    /// Who Zoom names as the operator of a control-API change: the account owner when there is
    /// one, else the user concerned.
    pub(super) fn operator(&self, account_id: &str, fallback_user: &str) -> (String, String) {
        let owner = self.accounts.get(account_id).and_then(|a| a.owner.as_deref());
        let user = owner.and_then(|o| self.users.get(o)).or_else(|| self.users.get(fallback_user));
        user.map_or_else(|| (String::new(), fallback_user.to_owned()), |u| (u.email.clone(), u.id.clone()))
    }
}
