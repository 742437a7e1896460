//! Which granted scopes let a credential do what (docs/zoom.md §3.2's table). A credential missing a
//! scope is flagged when it connects, and skipped for what it cannot do.

use crate::db::models::apps::AppKind;
use crate::db::models::mappings::MeetingKind;

/// Something zoomsync asks Zoom to do with a credential.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    /// `GET /meetings/{id}/jointoken/local_recording`.
    JoinToken,
    /// `GET /users/{id}/token?type=onbehalf`.
    ObfToken,
    /// `GET /users/{id}/token?type=zak` (or `/users/me/zak`).
    Zak,
    /// `GET /users/{id}/meetings`.
    ListMeetings,
    /// `GET /users` (account-wide credentials only).
    ListUsers,
    /// `GET /users/{id}` and `/users/me`.
    ReadUser,
    /// `GET /meetings/{id}`.
    ReadMeeting,
    /// `GET /webinars/{id}/jointoken/local_recording`.
    WebinarJoinToken,
    /// `GET /users/{id}/webinars`.
    ListWebinars,
    /// `GET /webinars/{id}`.
    ReadWebinar,
}

impl Capability {
    pub const MINTING: [Capability; 3] = [Self::JoinToken, Self::ObfToken, Self::Zak];

    /// Scopes any one of which grants the capability: the granular one for the app's kind
    /// first (the one to ask for), then the classic equivalents Zoom still honours.
    fn accepted(self, kind: AppKind) -> &'static [&'static str] {
        let admin = kind.is_account_wide();
        match (self, admin) {
            (Self::JoinToken, false) => &["meeting:read:local_recording_token", "meeting_token:read:local_recording"],
            (Self::JoinToken, true) => {
                &["meeting:read:local_recording_token:admin", "meeting_token:read:admin:local_recording"]
            }
            (Self::ObfToken, false) => &["user:read:token", "user:read", "user:write", "user_profile"],
            (Self::ObfToken, true) => &["user:read:token:admin", "user:read:admin", "user:write:admin"],
            (Self::Zak, false) => {
                &["user:read:token", "user:read:zak", "user_zak:read", "user:read", "user:write", "user_profile"]
            }
            // Not `user:read:zak:admin`: it reaches only `/users/me/zak`, the admin's own ZAK,
            // never the host's.
            (Self::Zak, true) => &["user:read:token:admin", "user:read:admin", "user:write:admin"],
            (Self::ListMeetings, false) => &["meeting:read:list_meetings", "meeting:read"],
            (Self::ListMeetings, true) => &["meeting:read:list_meetings:admin", "meeting:read:admin"],
            (Self::ListUsers, false) => &["user:read:list_users:admin"],
            (Self::ListUsers, true) => &["user:read:list_users:admin", "user:read:admin"],
            (Self::ReadUser, false) => &["user:read:user", "user:read", "user_profile", "user_info:read"],
            (Self::ReadUser, true) => &["user:read:user:admin", "user:read:admin"],
            (Self::ReadMeeting, false) => &["meeting:read:meeting", "meeting:read"],
            (Self::ReadMeeting, true) => &["meeting:read:meeting:admin", "meeting:read:admin"],
            (Self::WebinarJoinToken, false) => {
                &["webinar:read:local_recording_token", "webinar_token:read:local_recording"]
            }
            (Self::WebinarJoinToken, true) => {
                &["webinar:read:local_recording_token:admin", "webinar_token:read:admin:local_recording"]
            }
            (Self::ListWebinars, false) => &["webinar:read:list_webinars", "webinar:read"],
            (Self::ListWebinars, true) => &["webinar:read:list_webinars:admin", "webinar:read:admin"],
            (Self::ReadWebinar, false) => &["webinar:read:webinar", "webinar:read"],
            (Self::ReadWebinar, true) => &["webinar:read:webinar:admin", "webinar:read:admin"],
        }
    }

    /// The same capability for a webinar: its join token, listing and lookup are endpoints (and
    /// scopes) of their own; OBF tokens and ZAKs are the same for both.
    pub fn for_kind(self, kind: MeetingKind) -> Self {
        match (self, kind) {
            (Self::JoinToken, MeetingKind::Webinar) => Self::WebinarJoinToken,
            (Self::ListMeetings, MeetingKind::Webinar) => Self::ListWebinars,
            (Self::ReadMeeting, MeetingKind::Webinar) => Self::ReadWebinar,
            (other, _) => other,
        }
    }

    /// `None` when `granted` allows it, else the scope to add in Zoom's Marketplace.
    pub fn missing(self, kind: AppKind, granted: &str) -> Option<&'static str> {
        let accepted = self.accepted(kind);
        let has = granted.split_whitespace().any(|scope| accepted.contains(&scope));
        if has { None } else { accepted.first().copied() }
    }

    /// The scopes an app of `kind` should request for everything zoomsync does.
    pub fn recommended(kind: AppKind) -> Vec<&'static str> {
        let mut all =
            vec![Self::JoinToken, Self::ObfToken, Self::Zak, Self::ListMeetings, Self::ReadUser, Self::ReadMeeting];
        if kind.is_account_wide() {
            all.push(Self::ListUsers);
        }
        let mut scopes: Vec<&'static str> = all.iter().filter_map(|c| c.accepted(kind).first().copied()).collect();
        scopes.dedup();
        scopes
    }

    /// What an app of `kind` adds for webinars (their listing, lookup and join tokens). Not
    /// needed for meetings: without them, webinars are simply not mapped.
    pub fn for_webinars(kind: AppKind) -> Vec<&'static str> {
        [Self::WebinarJoinToken, Self::ListWebinars, Self::ReadWebinar]
            .iter()
            .filter_map(|c| c.accepted(kind).first().copied())
            .collect()
    }
}

/// True when a ZAK must come from `GET /users/me/zak` (one that lives 5 minutes): a user-level
/// credential granted the ZAK scope but none that `GET /users/{id}/token?type=zak` accepts (the
/// scopes of the OBF token's endpoint).
pub fn zak_from_me_only(kind: AppKind, granted: &str) -> bool {
    !kind.is_account_wide()
        && Capability::Zak.missing(kind, granted).is_none()
        && Capability::ObfToken.missing(kind, granted).is_some()
}

/// The minting capabilities `granted` lacks, each with the scope to add.
pub fn missing_for_minting(kind: AppKind, granted: &str) -> Vec<(Capability, &'static str)> {
    Capability::MINTING.iter().filter_map(|c| c.missing(kind, granted).map(|scope| (*c, scope))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn granular_and_classic_scopes_both_count() {
        let user = AppKind::UserLevel;
        assert_eq!(Capability::JoinToken.missing(user, "meeting:read:local_recording_token user:read:user"), None);
        assert_eq!(Capability::JoinToken.missing(user, "meeting_token:read:local_recording"), None);
        assert_eq!(Capability::JoinToken.missing(user, "user:read:user"), Some("meeting:read:local_recording_token"));
        assert_eq!(
            Capability::JoinToken.missing(AppKind::AccountLevel, "meeting:read:local_recording_token"),
            Some("meeting:read:local_recording_token:admin"),
            "an account-level app needs the :admin variant"
        );
    }

    #[test]
    fn minting_gaps_are_listed() {
        let gaps = missing_for_minting(AppKind::UserLevel, "meeting:read:local_recording_token");
        assert_eq!(gaps, vec![(Capability::ObfToken, "user:read:token"), (Capability::Zak, "user:read:token")]);
        assert!(
            missing_for_minting(AppKind::UserLevel, &Capability::recommended(AppKind::UserLevel).join(" ")).is_empty()
        );
    }

    #[test]
    fn a_zak_scope_alone_means_the_users_own_zak_endpoint() {
        let (user, account) = (AppKind::UserLevel, AppKind::AccountLevel);
        assert!(zak_from_me_only(user, "user:read:zak meeting:read:local_recording_token"));
        assert!(zak_from_me_only(user, "user_zak:read"));
        assert!(!zak_from_me_only(user, "user:read:zak user:read:token"), "the two-hour ZAK when allowed");
        assert!(!zak_from_me_only(user, "meeting:read:local_recording_token"), "no ZAK at all");
        // An account-wide credential must mint the host's ZAK; `/users/me/zak` is the admin's.
        assert!(!zak_from_me_only(account, "user:read:zak:admin"));
        assert_eq!(Capability::Zak.missing(account, "user:read:zak:admin"), Some("user:read:token:admin"));
    }
}
