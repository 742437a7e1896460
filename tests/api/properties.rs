//! Every parser of outside input, thrown arbitrary input (proptest): webhook bodies and headers,
//! meeting URLs and ids, Zoom's JSON answers and `Retry-After`, signed bot URLs, configuration
//! from the environment. None may panic; each ends in a value or a clear error, and what is
//! valid stays accepted.

use std::time::Duration;

use proptest::prelude::*;
use secrecy::SecretString;
use zoomsync::meeting_ref::{self, MeetingRef};
use zoomsync::services::bot_urls;
use zoomsync::webhooks::verify::{SignedHeaders, Window, verify};
use zoomsync::webhooks::{event, signature};

const WINDOW: Window = Window { ahead: Duration::from_secs(300), behind: Duration::from_secs(7200) };

/// Text shaped like Zoom's events, with every field's value drawn at random: what a fuzzer
/// built on raw bytes would take long to reach.
fn event_like() -> impl Strategy<Value = String> {
    let known = prop::sample::select(vec![
        "meeting.created",
        "meeting.updated",
        "meeting.deleted",
        "meeting.recovered",
        "webinar.created",
        "webinar.permanently_deleted",
        "user.updated",
        "user.deactivated",
        "user.activated",
        "user.disassociated",
        "app_deauthorized",
        "endpoint.url_validation",
    ]);
    let name = prop_oneof![known.prop_map(str::to_owned), "[a-z._]{0,20}"];
    let scalar = prop_oneof![
        Just("null".to_owned()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|f| if f.is_finite() { f.to_string() } else { "1e400".to_owned() }),
        "[ -~]{0,24}".prop_map(|s| serde_json::to_string(&s).unwrap()),
        Just("[]".to_owned()),
        Just("{}".to_owned()),
        Just("[{\"occurrence_id\":1}]".to_owned()),
    ];
    (name, scalar.clone(), scalar.clone(), scalar.clone(), scalar.clone(), scalar).prop_map(
        |(name, ts, id, host, pmi, extra)| {
            format!(
                r#"{{"event":"{name}","event_ts":{ts},"payload":{{"account_id":{extra},"user_id":{host},"plainToken":{extra},"deauthorization_time":{ts},"object":{{"id":{id},"uuid":{extra},"host_id":{host},"pmi":{pmi},"vanity_name":{extra},"occurrences":{extra}}},"old_object":{{"pmi":{pmi}}}}}}}"#
            )
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn webhook_bodies_parse_or_are_refused(body in proptest::collection::vec(any::<u8>(), 0..512), header in any::<i64>()) {
        let _ = event::parse(&body, header);
    }

    #[test]
    fn event_shaped_bodies_parse_or_are_refused(body in event_like(), header in any::<i64>()) {
        if let Ok(event::Parsed::Delivery(delivery)) = event::parse(body.as_bytes(), header) {
            // A parsed delivery always has a key to be deduplicated by.
            prop_assert!(delivery.dedupe_key("app").starts_with("app|"));
        }
    }

    #[test]
    fn webhook_headers_never_panic_and_only_a_right_signature_passes(
        timestamp in "[ -~]{0,24}",
        signature in "[ -~]{0,80}",
        body in proptest::collection::vec(any::<u8>(), 0..128),
        now in any::<i64>(),
    ) {
        let secret = SecretString::from("webhook-secret");
        let headers = SignedHeaders { timestamp: Some(&timestamp), signature: Some(&signature) };
        let verified = verify(&secret, None, headers, &body, now, WINDOW);
        if verified.is_ok() {
            prop_assert!(signature::verify(b"webhook-secret", timestamp.trim(), &body, signature.trim()));
        }
    }

    #[test]
    fn a_signed_delivery_inside_the_window_is_accepted(age in -300i64..7200, body in proptest::collection::vec(any::<u8>(), 0..128)) {
        let now = 1_800_000_000;
        let timestamp = (now - age).to_string();
        let signed = signature::sign(b"webhook-secret", &timestamp, &body);
        let secret = SecretString::from("webhook-secret");
        let headers = SignedHeaders { timestamp: Some(&timestamp), signature: Some(&signed) };
        prop_assert!(verify(&secret, None, headers, &body, now, WINDOW).is_ok());
    }

    #[test]
    fn meeting_references_parse_or_are_refused(text in "\\PC{0,80}") {
        let _ = meeting_ref::parse(&text);
    }

    #[test]
    fn zoom_urls_of_any_shape_give_the_id_they_carry(
        host in "(us0[1-9]web\\.|[a-z]{1,8}\\.)?(zoom\\.us|zoom\\.com|zoomgov\\.com)",
        path in prop_oneof![Just("j"), Just("s"), Just("wc/join")],
        id in 100_000_000i64..9_999_999_999_999,
        query in "(\\?pwd=[A-Za-z0-9]{0,20})?",
    ) {
        let url = format!("https://{host}/{path}/{id}{query}");
        prop_assert_eq!(meeting_ref::parse(&url), Ok(MeetingRef::Id(id)));
    }

    #[test]
    fn retry_after_values_are_bounded(value in "\\PC{0,40}", now in 0i64..4_000_000_000) {
        let now = chrono::DateTime::from_timestamp(now, 0).unwrap();
        if let Some(wait) = zoomsync::zoom::parse_retry_after(&value, now) {
            prop_assert!(wait <= Duration::from_secs(2 * 86_400));
        }
    }

    #[test]
    fn zoom_json_answers_parse_or_are_refused(body in event_like()) {
        // The same field soup, read as each of Zoom's answers.
        let _ = serde_json::from_str::<zoomsync::zoom::types::TokenResponse>(&body);
        let _ = serde_json::from_str::<zoomsync::zoom::types::MeetingsPage>(&body);
        let _ = serde_json::from_str::<zoomsync::zoom::types::UsersPage>(&body);
        let _ = serde_json::from_str::<zoomsync::zoom::types::MintedToken>(&body);
    }

    #[test]
    fn token_answers_with_any_lifetime_keep_their_tokens(lifetime in "\\PC{0,12}|-?[0-9]{1,25}(\\.[0-9]{1,5})?(e[0-9]{1,3})?") {
        let body = format!(r#"{{"access_token":"a","refresh_token":"r","expires_in":{}}}"#, serde_json::to_string(&lifetime).unwrap());
        let read: zoomsync::zoom::types::TokenResponse = serde_json::from_str(&body).unwrap();
        prop_assert!((0..=86_400).contains(&read.expires_in));
    }

    #[test]
    fn signed_bot_urls_verify_only_as_issued(
        path in "/zoom/[a-z-]{1,12}",
        meeting in "[0-9]{9,13}",
        expires in 1_800_000_000i64..1_900_000_000,
        junk in "[ -~]{0,60}",
        flip in any::<prop::sample::Index>(),
    ) {
        let query = bot_urls::signed_query("bot-secret", &path, &[("meeting_id", &meeting)], expires);
        prop_assert!(bot_urls::verify("bot-secret", &path, &query, expires - 1).is_ok());
        prop_assert!(bot_urls::verify("bot-secret", &path, &query, expires + 1).is_err());
        prop_assert!(bot_urls::verify("another-secret", &path, &query, expires - 1).is_err());
        // Any one character changed, anywhere but in the signature's own hex: refused.
        let bytes = query.as_bytes();
        let at = flip.index(bytes.len());
        let mut changed = bytes.to_vec();
        changed[at] = if changed[at] == b'0' { b'1' } else { b'0' };
        if changed != bytes {
            let changed = String::from_utf8(changed).unwrap();
            prop_assert!(bot_urls::verify("bot-secret", &path, &changed, expires - 1).is_err(), "{}", changed);
        }
        let _ = bot_urls::verify("bot-secret", &path, &junk, expires);
    }

    #[test]
    fn configuration_from_the_environment_loads_or_names_the_key(
        key in "(SERVER|DATABASE|SECURITY|ZOOM|SYNC|WEBHOOK|TOKENS|WEBHOOKS_OUT|NOPE)__[A-Z_]{1,24}",
        value in "\\PC{0,40}",
    ) {
        let name = format!("ZOOMSYNC__{key}");
        // Only reading and typing the values: `Settings` would create the first start's files.
        if let Err(e) = zoomsync::config::load_from(None, [(name.clone(), value)]) {
            prop_assert!(e.to_string().contains(&name), "{}", e);
        }
    }
    #[test]
    fn outbound_endpoint_urls_are_checked_or_refused(url in "(https?|ftp|file)://\\PC{0,60}|\\PC{0,60}", allow in any::<bool>()) {
        if let Ok(parsed) = zoomsync::events::target::check(&url, allow) {
            prop_assert!(matches!(parsed.scheme(), "http" | "https"));
            prop_assert!(parsed.host().is_some() && parsed.username().is_empty());
        }
    }

    #[test]
    fn outbound_endpoint_ips_are_refused_when_internal(octets in any::<[u8; 4]>(), port in any::<u16>()) {
        let ip = std::net::Ipv4Addr::from(octets);
        let checked = zoomsync::events::target::check(&format!("http://{ip}:{port}/hook"), false);
        prop_assert_eq!(checked.is_err(), zoomsync::events::target::forbidden(ip.into()));
        if ip.is_loopback() || ip.is_private() || ip.is_link_local() {
            prop_assert!(checked.is_err());
        }
    }

    #[test]
    fn retry_schedules_parse_or_are_refused(text in "([0-9]{0,12}(ms|s|m|h|d|)\\s?){0,6}|\\PC{0,30}") {
        if let Ok(schedule) = zoomsync::config::parse_schedule(&text) {
            prop_assert_eq!(schedule.len(), text.split_whitespace().count());
            prop_assert!(schedule.iter().all(|d| *d <= Duration::from_secs(7 * 86_400)));
        }
    }

    #[test]
    fn outbound_signatures_take_any_secret_without_panicking(secret in "(whsec_)?\\PC{0,60}", body in "\\PC{0,100}", at in any::<i64>()) {
        if let Ok(signature) = zoomsync::events::signature::sign(&secret, "msg_1", at, &body) {
            prop_assert!(signature.starts_with("v1,"));
        }
    }
}
