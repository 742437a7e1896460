//! The admin API's OpenAPI 3.1 document, generated from the handlers' annotations (utoipa) and
//! served at `/api/v2/openapi.json`.

use std::sync::OnceLock;

use actix_web::HttpResponse;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{apps, attendee, bot, bot_urls, credentials, health, mappings, oauth, webhook, webhook_endpoints};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "zoomsync",
        description = "Keeps Zoom hosts' OAuth credentials alive and mints join tokens, ZAKs and OBF tokens for meeting bots.",
    ),
    paths(
        health::healthz, health::readyz, health::metrics, document,
        apps::create, apps::list, apps::get, apps::update, apps::delete,
        credentials::create, credentials::list, credentials::get, credentials::delete,
        credentials::access_token, credentials::sync_meetings, credentials::logs,
        mappings::list,
        webhook::receive, oauth::start, oauth::callback,
        bot::join_token, bot::obf_token, bot::zak, bot::access_token, attendee::zoom_tokens,
        bot_urls::create,
        webhook_endpoints::create, webhook_endpoints::list, webhook_endpoints::get, webhook_endpoints::update,
        webhook_endpoints::delete, webhook_endpoints::deliveries, webhook_endpoints::resend, webhook_endpoints::test,
    ),
    modifiers(&Security),
    security(("admin_token" = [])),
    tags(
        (name = "apps", description = "Zoom OAuth apps"),
        (name = "credentials", description = "Connected Zoom users and accounts"),
        (name = "mappings", description = "Which credentials can mint for which meeting"),
        (name = "bots", description = "Plain-text token endpoints for meeting bots (secret=<bot_secret>)"),
        (name = "zoom", description = "What Zoom and browsers call"),
        (name = "events", description = "Outbound events (Standard Webhooks) to the product"),
        (name = "operations", description = "Health and metrics"),
    ),
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "admin_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("security.admin_token (`Token <admin_token>` works too)"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "bot_secret",
            SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::with_description("secret", "security.bot_secret"))),
        );
    }
}

/// The document as JSON, built once.
pub fn json() -> &'static str {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    DOCUMENT.get_or_init(|| ApiDoc::openapi().to_pretty_json().unwrap_or_else(|_| "{}".into()))
}

/// This API's OpenAPI 3.1 document.
#[utoipa::path(get, path = "/api/v2/openapi.json", operation_id = "openapi_document", tag = "operations", security(()),
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json")))]
pub async fn document() -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(json())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn every_route_is_documented_and_every_documented_operation_is_a_route() {
        let document: serde_json::Value = serde_json::from_str(json()).unwrap();
        let documented: BTreeSet<(String, String)> = document["paths"]
            .as_object()
            .unwrap()
            .iter()
            .flat_map(|(path, operations)| {
                operations.as_object().unwrap().keys().map(move |method| (method.clone(), path.clone()))
            })
            .collect();
        let routed: BTreeSet<(String, String)> =
            super::super::ROUTES.iter().map(|(m, p)| ((*m).to_owned(), (*p).to_owned())).collect();
        let undocumented: Vec<_> = routed.difference(&documented).collect();
        let phantom: Vec<_> = documented.difference(&routed).collect();
        assert!(undocumented.is_empty(), "routes missing from the OpenAPI document: {undocumented:?}");
        assert!(phantom.is_empty(), "documented operations that are not routes: {phantom:?}");
        assert_eq!(document["openapi"].as_str().map(|v| v.starts_with("3.1")), Some(true));
    }
}
