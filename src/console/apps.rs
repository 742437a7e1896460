//! Apps: the list, adding one, and an app's page: what to enter in Zoom's Marketplace, whether
//! Zoom's URL validation has reached us, the connect link, its credentials, rotation, deletion.

use actix_web::{HttpResponse, web};
use maud::{Markup, html};
use secrecy::SecretString;
use serde::Deserialize;

use super::app_form::{self, NewAppForm, Problem};
use super::layout::{badge, copyable, csrf_field, page, when};
use super::session::{CarriesCsrf, Posted, Session};
use super::{Notice, after, back_to, back_with_error};
use crate::db::models::apps::{AppKind, Cloud};
use crate::error::AppError;
use crate::pagination::MAX_PAGE_SIZE;
use crate::scopes::Capability;
use crate::services::AppState;
use crate::services::apps::{self, AppView, UpdateApp};
use crate::urls;
use crate::webhooks::event::EventName;

pub async fn list(
    session: Session,
    state: web::Data<AppState>,
    notice: web::Query<Notice>,
) -> Result<Markup, AppError> {
    list_page(&state, &session, notice.render(), &NewAppForm::default(), None).await
}

/// The list and the "Add an app" form, filled in with `form` and its `problem` if it has one.
async fn list_page(
    state: &AppState,
    session: &Session,
    notice: Markup,
    form: &NewAppForm,
    problem: Option<&Problem>,
) -> Result<Markup, AppError> {
    let (apps, _) = apps::list(state, None, MAX_PAGE_SIZE).await?;
    Ok(page(
        &state.settings,
        "Apps",
        Some(&session.csrf),
        html! {
            (notice)
            section {
                h1 { "Zoom OAuth apps" }
                @if apps.is_empty() {
                    p.muted { "No app yet. Add the one you created in Zoom's Marketplace below." }
                } @else {
                    table id="apps" {
                        tr { th { "App" } th { "Kind" } th { "Client ID" } th { "Webhook validation" } }
                        @for app in &apps {
                            tr {
                                td.app-title { a href=(format!("/console/apps/{}", app.id)) { (app.title()) } }
                                td { (kind_label(app.kind)) }
                                td.mono { (app.client_id) }
                                td { (validation_badge(app)) }
                            }
                        }
                    }
                }
            }
            section id="add" {
                h2 { "Add an app" }
                p.muted { "Create a General App (user-managed or admin-managed) or a Server-to-Server OAuth app in Zoom's Marketplace, then enter its credentials here. The next page tells you what to enter back in Zoom." }
                (app_form::render(&session.csrf, form, problem))
            }
        },
    ))
}

/// Adds the app and opens its page; a form with a problem comes back filled in, saying what to
/// fix (answered with the problem's status, 400 or 409, not a redirect: nothing was done).
pub async fn create(session: Session, state: web::Data<AppState>, Posted(form): Posted<NewAppForm>) -> HttpResponse {
    let kept = form.kept();
    let problem = match form.problem() {
        Some(problem) => problem,
        None => match apps::create(&state, form.into_input()).await {
            Ok(app) => return back_to(&format!("/console/apps/{}", app.id), None),
            Err(e) => app_form::refused(&e),
        },
    };
    match list_page(&state, &session, html! {}, &kept, Some(&problem)).await {
        Ok(markup) => HttpResponse::build(problem.status)
            .content_type("text/html; charset=utf-8")
            .insert_header(("cache-control", "no-store"))
            .body(markup.into_string()),
        // The list could not be drawn again (the database went away): the problem still
        // reaches the admin, on the next page.
        Err(e) => {
            tracing::warn!(error = %e, "console: the app list could not be drawn again");
            back_with_error("/console/apps", &problem.message)
        }
    }
}

pub async fn show(
    session: Session,
    state: web::Data<AppState>,
    id: web::Path<String>,
    notice: web::Query<Notice>,
) -> Result<Markup, AppError> {
    let app = apps::get(&state, &id).await?;
    let credentials = super::credentials::cards(&state, &session, &app).await?;
    let public = &state.settings.public_url;
    Ok(page(
        &state.settings,
        app.title(),
        Some(&session.csrf),
        html! {
            (notice.render())
            @if let Some(at) = app.client_secret_refused_at {
                section.bad id="client-secret-refused" {
                    p { "Zoom refused this app's client secret at " (when(at)) ". "
                        "Rotate it below to the one Zoom's Marketplace shows: the credentials keep their refresh tokens and nobody needs to reconnect." }
                }
            }
            section {
                h1 id="app-title" { (app.title()) }
                p.muted {
                    (kind_label(app.kind)) " app · client ID " span.mono id="client-id" { (app.client_id) }
                }
                @if app.cloud == Cloud::Zoomgov {
                    p { span.badge.wait id="cloud" { "ZoomGov" } " Its OAuth and API calls go to ZoomGov's hosts." }
                }
                h2 { "Enter these in Zoom's Marketplace" }
                @if app.kind != AppKind::ServerToServer {
                    label { "OAuth redirect URL (also add it to the OAuth allow list)" }
                    (copyable("redirect-url", &urls::oauth_redirect_uri(public)))
                }
                label { "Event notification endpoint URL (Features > Access > Event Subscription)" }
                (copyable("webhook-url", &app.webhook_url))
                p.muted { "Use the same secret token you entered here. Zoom validates the URL when you save it." }
                label { "Deauthorization notification endpoint URL (Information tab, at the bottom)" }
                (copyable("deauthorization-url", &app.webhook_url))
                p.muted { "The same URL: without it Zoom never says that a user removed the app, and their credential lingers until its next refresh fails." }
                label { "Events to subscribe to" }
                ul.tight {
                    @for event in EventName::ALL {
                        @if let (Some(label), None) = (event.subscription_label(), event.as_webinar_event()) {
                            li { (label) " " span.mono.muted { "(" (event.as_str()) ")" } }
                        }
                    }
                }
                label { "Scopes to add" }
                (copyable("scopes", &Capability::recommended(app.kind).join(" ")))
                h3 { "For webinars (optional)" }
                p.muted { "To map webinars and mint their join tokens, also add these scopes and events. Without them, webinars are not listed and bots get 404 for them." }
                (copyable("webinar-scopes", &Capability::for_webinars(app.kind).join(" ")))
                ul.tight id="webinar-events" {
                    @for event in EventName::ALL {
                        @if let (Some(label), Some(_)) = (event.subscription_label(), event.as_webinar_event()) {
                            li { (label) " " span.mono.muted { "(" (event.as_str()) ")" } }
                        }
                    }
                }
                label { "Webhook URL validation" }
                p { span id="validation" data-poll=(format!("/console/apps/{}/status", app.id)) class=(format!("badge {}", validation_class(&app))) { (validation_text(&app)) } }
            }
            section {
                h2 { "Connect" }
                @match &app.oauth_start_url {
                    Some(link) => {
                        p.muted { "Hand this link to the users (or, for an admin-managed app, the admin) who should connect their Zoom accounts:" }
                        (copyable("connect-link", link))
                        p { a.button id="connect" href=(link) { "Connect a Zoom account now" } }
                    }
                    None => {
                        p.muted { "A server-to-server app connects with its client credentials; no user flow." }
                        form method="post" action=(format!("/console/apps/{}/connect", app.id)) {
                            (csrf_field(&session.csrf))
                            button.primary type="submit" { "Connect account " (app.account_id.clone().unwrap_or_default()) }
                        }
                    }
                }
            }
            section id="credentials" {
                h2 { "Credentials" }
                (credentials)
            }
            section {
                h2 { "Rotate secrets" }
                p.muted { "After a webhook secret rotation, the old one is still accepted for a grace period, so update Zoom's side meanwhile." }
                form method="post" action=(format!("/console/apps/{}/rotate", app.id)) {
                    (csrf_field(&session.csrf))
                    label for="new_client_secret" { "New client secret" }
                    input id="new_client_secret" name="client_secret" type="password" autocomplete="off";
                    label for="new_webhook_secret" { "New webhook secret token" }
                    input id="new_webhook_secret" name="webhook_secret" type="password" autocomplete="off";
                    p { button type="submit" { "Rotate" } }
                }
                form method="post" action=(format!("/console/apps/{}/delete", app.id)) data-confirm="Delete this app?" {
                    (csrf_field(&session.csrf))
                    button.danger type="submit" { "Delete app" }
                    span.muted { " (only once it has no credentials)" }
                }
            }
        },
    ))
}

/// `{"text", "class"}` of the validation badge, for the page's live refresh.
pub async fn status(_: Session, state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    let app = apps::get(&state, &id).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("cache-control", "no-store"))
        .json(serde_json::json!({"text": validation_text(&app), "class": validation_class(&app)})))
}

#[derive(Deserialize)]
pub struct RotateForm {
    csrf: String,
    #[serde(default)]
    client_secret: String,
    #[serde(default)]
    webhook_secret: String,
}

impl CarriesCsrf for RotateForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

pub async fn rotate(
    state: web::Data<AppState>,
    id: web::Path<String>,
    Posted(form): Posted<RotateForm>,
) -> HttpResponse {
    let here = format!("/console/apps/{id}");
    let secret = |s: String| Some(s).filter(|s| !s.trim().is_empty()).map(SecretString::from);
    let (client_secret, webhook_secret) = (secret(form.client_secret), secret(form.webhook_secret));
    if client_secret.is_none() && webhook_secret.is_none() {
        return back_with_error(&here, "Enter a new client secret, a new webhook secret token, or both, to rotate.");
    }
    let input = UpdateApp { client_secret, webhook_secret, ..UpdateApp::default() };
    after(apps::update(&state, &id, input).await, &here, "Secrets rotated.", &here)
}

pub async fn delete(state: web::Data<AppState>, id: web::Path<String>, _: Posted<super::CsrfForm>) -> HttpResponse {
    after(apps::delete(&state, &id).await, "/console/apps", "App deleted.", &format!("/console/apps/{id}"))
}

pub async fn connect(state: web::Data<AppState>, id: web::Path<String>, _: Posted<super::CsrfForm>) -> HttpResponse {
    let here = format!("/console/apps/{id}");
    after(crate::services::connect::server_to_server(&state, &id).await, &here, "Account connected.", &here)
}

fn kind_label(kind: AppKind) -> &'static str {
    match kind {
        AppKind::UserLevel => "User-managed",
        AppKind::AccountLevel => "Admin-managed",
        AppKind::ServerToServer => "Server-to-Server",
    }
}

fn validation_text(app: &AppView) -> String {
    match app.webhook_last_validation {
        Some(at) => format!("Validated by Zoom at {}", when(at)),
        None => "Waiting for Zoom to validate the URL".into(),
    }
}

fn validation_class(app: &AppView) -> &'static str {
    if app.webhook_last_validation.is_some() { "ok" } else { "wait" }
}

fn validation_badge(app: &AppView) -> Markup {
    badge(validation_class(app), &validation_text(app))
}
