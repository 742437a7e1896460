//! Credentials on an app's page: health, why it is unhealthy, missing scopes, the last backfill
//! and its figures, the credential log; buttons to backfill again and to remove.

use actix_web::{HttpResponse, web};
use maud::{Markup, html};

use super::layout::{badge, csrf_field, when};
use super::session::{Posted, Session};
use super::{CsrfForm, after, back_to, back_with_error};
use crate::db::models::credentials::{Health, ListFilter};
use crate::error::AppError;
use crate::pagination::MAX_PAGE_SIZE;
use crate::services::AppState;
use crate::services::apps::AppView;
use crate::services::credentials;

/// The app's credentials, one card each.
pub async fn cards(state: &AppState, session: &Session, app: &AppView) -> Result<Markup, AppError> {
    let filter = ListFilter { app_id: Some(app.id.clone()), ..ListFilter::default() };
    let (list, _) = credentials::list(state, filter, None, MAX_PAGE_SIZE).await?;
    let mut details = Vec::new();
    for view in list {
        details.push(credentials::details(state, view, 12).await?);
    }
    Ok(html! {
        @if details.is_empty() {
            p.muted id="no-credentials" { "Nobody has connected yet." }
        }
        @for d in &details {
            @let c = &d.credential;
            div.card.credential id=(format!("credential-{}", c.id)) {
                p {
                    strong { (c.email.clone().unwrap_or_else(|| c.user_id.clone())) }
                    " "
                    @if c.status == Health::Healthy { (badge("ok", "healthy")) } @else { (badge("bad", "unhealthy")) }
                    " " span.muted { "account " span.mono { (c.account_id) } }
                }
                @if let Some(detail) = &c.status_detail {
                    p.bad { (detail) }
                }
                @if let Some(until) = c.daily_limited_until {
                    p.bad.daily-limit { "Zoom's daily limit for this account is reached: no calls (bots get 503) until " (when(until)) "." }
                }
                @if !c.missing_scopes.is_empty() {
                    p { "Missing scopes: "
                        @for m in &c.missing_scopes { span.mono { (m.scope) } " (" (format!("{:?}", m.capability)) ") " }
                    }
                }
                p {
                    "Backfill: " span.sync-status { (c.meeting_sync_status) }
                    @if let Some(run) = &d.last_run {
                        " · last run " (when(run.started_at)) ": "
                        span.figures { (run.figures.meetings_seen) " meetings seen, " (run.figures.added) " added, " (run.figures.removed) " removed" }
                        @if let Some(error) = &run.error { " · " span.bad { (error) } }
                    }
                    " · " span.mappings { (d.mappings) } " meetings mapped"
                }
                details {
                    summary { "Credential log" }
                    table {
                        @for line in &d.logs {
                            tr { td.muted.mono.when { (when(line.created_at)) } td { (line.level) } td { (line.message) } }
                        }
                    }
                }
                div.actions {
                    form method="post" action=(format!("/console/credentials/{}/sync", c.id)) {
                        (csrf_field(&session.csrf))
                        button type="submit" { "Backfill now" }
                    }
                    form method="post" action=(format!("/console/credentials/{}/delete", c.id)) data-confirm="Revoke at Zoom and remove this credential?" {
                        (csrf_field(&session.csrf))
                        input type="hidden" name="app" value=(app.id);
                        button.danger type="submit" { "Remove" }
                    }
                }
            }
        }
    })
}

pub async fn sync(state: web::Data<AppState>, id: web::Path<String>, _: Posted<CsrfForm>) -> HttpResponse {
    match credentials::find(&state, &id).await {
        Ok(credential) => {
            state.backfills.request(&credential.id);
            back_to(&format!("/console/apps/{}", credential.app_id), Some("Backfill started."))
        }
        Err(e) => back_with_error("/console/apps", &e.to_string()),
    }
}

pub async fn delete(state: web::Data<AppState>, id: web::Path<String>, Posted(form): Posted<CsrfForm>) -> HttpResponse {
    let app = form.app.clone().unwrap_or_default();
    let back = if app.is_empty() { "/console/apps".to_owned() } else { format!("/console/apps/{app}") };
    after(credentials::delete(&state, &id).await, &back, "Credential revoked and removed.", &back)
}
