//! Outbound events: the endpoints, adding one (its signing secret is shown once, on the page
//! that answers the form), enabling, disabling, a test event, deleting, and each endpoint's
//! latest deliveries with every attempt and a "Send again" button.

use actix_web::{HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::{badge, copyable, csrf_field, page, when};
use super::session::{CarriesCsrf, Posted, Session};
use super::{CsrfForm, Notice, after, back_with_error};
use crate::db::models::webhook_deliveries::DeliveryStatus;
use crate::error::AppError;
use crate::events::EventType;
use crate::services::AppState;
use crate::services::webhook_endpoints::{self, CreateEndpoint, EndpointView, UpdateEndpoint};

const HERE: &str = "/console/webhooks";
/// Deliveries shown per endpoint.
const SHOWN: i64 = 20;

pub async fn list(
    session: Session,
    state: web::Data<AppState>,
    notice: web::Query<Notice>,
) -> Result<Markup, AppError> {
    list_page(&state, &session, notice.render(), None).await
}

async fn list_page(
    state: &AppState,
    session: &Session,
    notice: Markup,
    created: Option<&EndpointView>,
) -> Result<Markup, AppError> {
    let endpoints = webhook_endpoints::list(state).await?;
    let mut sections = Vec::new();
    for endpoint in &endpoints {
        let (deliveries, _) = webhook_endpoints::deliveries(state, &endpoint.id, None, SHOWN).await?;
        sections.push((endpoint, deliveries));
    }
    let known = EventType::ALL.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", ");
    Ok(page(
        &state.settings,
        "Outbound events",
        Some(&session.csrf),
        html! {
            (notice)
            @if let Some(endpoint) = created {
                @if let Some(secret) = &endpoint.secret {
                    div.card id="new-secret" {
                        p { "Endpoint added. Its signing secret, shown only now: verify each event's "
                            span.mono { "webhook-signature" } " with it (Standard Webhooks)." }
                        (copyable("endpoint-secret", secret))
                    }
                }
            }
            section {
                h1 { "Outbound events" }
                p.muted { "zoomsync tells your product when a credential connects, breaks or goes, as signed Standard Webhooks, retried for more than a day." }
                @if sections.is_empty() {
                    p.muted id="no-endpoints" { "No endpoint yet." }
                }
                @for (endpoint, deliveries) in &sections {
                    div.card.endpoint id=(format!("endpoint-{}", endpoint.id)) {
                        p {
                            strong.mono { (endpoint.url) } " "
                            @if endpoint.enabled { (badge("ok", "enabled")) } @else { (badge("bad", "disabled")) }
                            " " span.muted { (endpoint.events.join(", ")) }
                        }
                        @if let Some(description) = &endpoint.description { p.muted { (description) } }
                        div.actions {
                            form method="post" action=(format!("{HERE}/{}/toggle", endpoint.id)) {
                                (csrf_field(&session.csrf))
                                button type="submit" { @if endpoint.enabled { "Disable" } @else { "Enable" } }
                            }
                            form method="post" action=(format!("{HERE}/{}/test", endpoint.id)) {
                                (csrf_field(&session.csrf))
                                button type="submit" { "Send a test event" }
                            }
                            form method="post" action=(format!("{HERE}/{}/delete", endpoint.id)) data-confirm="Remove this endpoint and its deliveries?" {
                                (csrf_field(&session.csrf))
                                button.danger type="submit" { "Remove" }
                            }
                        }
                        @if deliveries.is_empty() {
                            p.muted { "Nothing sent yet." }
                        } @else {
                            table.deliveries {
                                tr { th { "Event" } th { "Status" } th { "Attempts" } th { "" } }
                                @for d in deliveries {
                                    tr.delivery id=(format!("delivery-{}", d.id)) {
                                        td { span.mono { (d.event_type) } br; span.muted.mono { (d.event_id) } br; span.muted { (when(d.created_at)) } }
                                        td.delivery-status {
                                            @match d.status {
                                                DeliveryStatus::Delivered => (badge("ok", "delivered")),
                                                DeliveryStatus::Pending => (badge("", "pending")),
                                                DeliveryStatus::Failed => (badge("bad", "given up")),
                                            }
                                            @if let Some(next) = d.next_attempt_at { br; span.muted { "next " (when(next)) } }
                                        }
                                        td {
                                            @for a in &d.attempt_log {
                                                div.attempt {
                                                    span.muted { (when(a.at)) } " "
                                                    @match a.status_code { Some(code) => { span.mono { (code) } }, None => { span.bad { "no answer" } } }
                                                    @if let Some(error) = &a.error { " " span.muted { (error) } }
                                                    " (" (a.duration_ms) " ms)"
                                                }
                                            }
                                        }
                                        td {
                                            form method="post" action=(format!("{HERE}/{}/deliveries/{}/resend", endpoint.id, d.id)) {
                                                (csrf_field(&session.csrf))
                                                button type="submit" { "Send again" }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            section id="add-endpoint" {
                h2 { "Add an endpoint" }
                form method="post" action=(HERE) {
                    (csrf_field(&session.csrf))
                    label { "URL " input type="url" name="url" required placeholder="https://example.com/zoomsync-events"; }
                    label { "Event types (comma-separated; empty for all) " input type="text" name="events" placeholder="credential.unhealthy, credential.deleted"; }
                    p.muted { "Types: " (known) }
                    label { "Description " input type="text" name="description" maxlength="200"; }
                    button type="submit" { "Add" }
                }
            }
        },
    ))
}

#[derive(Deserialize)]
pub struct NewEndpointForm {
    csrf: String,
    url: String,
    #[serde(default)]
    events: String,
    #[serde(default)]
    description: String,
}

impl CarriesCsrf for NewEndpointForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// Adds the endpoint and answers with the list showing its secret (a page, not a redirect: a
/// secret never goes into a URL).
pub async fn create(
    session: Session,
    state: web::Data<AppState>,
    Posted(form): Posted<NewEndpointForm>,
) -> Result<HttpResponse, AppError> {
    let events: Vec<String> =
        form.events.split(',').map(str::trim).filter(|e| !e.is_empty()).map(str::to_owned).collect();
    let input = CreateEndpoint {
        url: Some(form.url),
        events: (!events.is_empty()).then_some(events),
        description: Some(form.description),
        enabled: Some(true),
    };
    match webhook_endpoints::create(&state, input).await {
        Ok(created) => {
            let body = list_page(&state, &session, html! {}, Some(&created)).await?;
            Ok(HttpResponse::Ok()
                .insert_header(("cache-control", "no-store"))
                .content_type("text/html; charset=utf-8")
                .body(body.into_string()))
        }
        Err(e) => Ok(back_with_error(HERE, &e.to_string())),
    }
}

pub async fn toggle(state: web::Data<AppState>, id: web::Path<String>, _: Posted<CsrfForm>) -> HttpResponse {
    let result = match webhook_endpoints::get(&state, &id).await {
        Ok(endpoint) => {
            let change = UpdateEndpoint { enabled: Some(!endpoint.enabled), ..UpdateEndpoint::default() };
            webhook_endpoints::update(&state, &id, change).await
        }
        Err(e) => Err(e),
    };
    after(result, HERE, "Endpoint updated.", HERE)
}

pub async fn test(state: web::Data<AppState>, id: web::Path<String>, _: Posted<CsrfForm>) -> HttpResponse {
    after(webhook_endpoints::send_test(&state, &id).await, HERE, "Test event queued.", HERE)
}

pub async fn delete(state: web::Data<AppState>, id: web::Path<String>, _: Posted<CsrfForm>) -> HttpResponse {
    after(webhook_endpoints::delete(&state, &id).await, HERE, "Endpoint removed.", HERE)
}

pub async fn resend(state: web::Data<AppState>, path: web::Path<(String, i64)>, _: Posted<CsrfForm>) -> HttpResponse {
    let (id, delivery) = path.into_inner();
    after(webhook_endpoints::resend(&state, &id, delivery).await, HERE, "Queued to be sent again.", HERE)
}
