//! The "Add an app" form: what the admin typed, checked in the words of the form's own labels
//! ("Client ID is required", not a field name in backticks), and drawn again with those values
//! and the problem when it has one.
//!
//! The service checks everything again: these checks only choose the words and the field. The
//! secrets typed are never drawn back (no console page carries a secret), so after an error the
//! admin enters them again; everything else they typed is kept.

use actix_web::http::StatusCode;
use maud::{Markup, html};
use secrecy::SecretString;
use serde::Deserialize;

use super::layout::csrf_field;
use super::session::CarriesCsrf;
use crate::db::models::apps::{AppKind, Cloud};
use crate::error::AppError;
use crate::services::apps::{self, CreateApp, MAX_NAME_CHARS};

/// The form as posted. Every field defaults to empty, so that a field the browser left out is
/// our own clear message rather than a deserializer's.
#[derive(Deserialize, Default)]
pub struct NewAppForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub client_id: String,
    #[serde(default)]
    client_secret: String,
    #[serde(default)]
    webhook_secret: String,
    #[serde(default)]
    pub account_id: String,
    #[serde(default)]
    pub cloud: String,
}

impl CarriesCsrf for NewAppForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// What is wrong with the form, and which field to fix.
pub struct Problem {
    pub status: StatusCode,
    pub field: &'static str,
    pub message: String,
}

impl Problem {
    fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self { status: StatusCode::BAD_REQUEST, field, message: message.into() }
    }
}

impl NewAppForm {
    /// The first thing to fix, in the form's words; `None` when the form is complete.
    pub fn problem(&self) -> Option<Problem> {
        let blank = |value: &str| value.trim().is_empty();
        let kind = AppKind::parse(self.kind.trim());
        if kind.is_none() {
            return Some(Problem::new("kind", "Choose the app's kind."));
        }
        if !blank(&self.name) && apps::app_name(&self.name).is_err() {
            let message = if self.name.trim().chars().count() > MAX_NAME_CHARS {
                format!("Name is too long: at most {MAX_NAME_CHARS} characters.")
            } else {
                "Name cannot contain control characters.".to_owned()
            };
            return Some(Problem::new("name", message));
        }
        if blank(&self.client_id) {
            return Some(Problem::new(
                "client_id",
                "Client ID is required: copy it from the app's App Credentials in Zoom's Marketplace.",
            ));
        }
        if blank(&self.client_secret) {
            return Some(Problem::new(
                "client_secret",
                "Client secret is required: it is next to the client ID in the app's App Credentials.",
            ));
        }
        if blank(&self.webhook_secret) {
            return Some(Problem::new(
                "webhook_secret",
                "Webhook secret token is required: Zoom's Marketplace shows it as the Secret Token (Features > Access).",
            ));
        }
        match (kind, blank(&self.account_id)) {
            (Some(AppKind::ServerToServer), true) => {
                return Some(Problem::new(
                    "account_id",
                    "Account ID is required for a Server-to-Server app: it is above the client ID in its App Credentials.",
                ));
            }
            (Some(AppKind::UserLevel | AppKind::AccountLevel), false) => {
                return Some(Problem::new(
                    "account_id",
                    "Account ID is only for Server-to-Server apps: leave it empty, or choose Server-to-Server OAuth as the kind.",
                ));
            }
            _ => {}
        }
        if !blank(&self.cloud) && Cloud::parse(self.cloud.trim()).is_none() {
            return Some(Problem::new("cloud", "Choose Zoom or ZoomGov as the cloud."));
        }
        None
    }

    /// The service's input; empty optional fields are left out.
    pub fn into_input(self) -> CreateApp {
        let given = |value: String| Some(value).filter(|v| !v.trim().is_empty());
        CreateApp {
            kind: Some(self.kind),
            name: given(self.name),
            client_id: Some(self.client_id),
            client_secret: Some(SecretString::from(self.client_secret)),
            webhook_secret: Some(SecretString::from(self.webhook_secret)),
            account_id: given(self.account_id),
            cloud: given(self.cloud),
        }
    }

    /// The values to draw the form again with: everything but the secrets.
    pub fn kept(&self) -> Self {
        Self {
            kind: self.kind.clone(),
            name: self.name.clone(),
            client_id: self.client_id.clone(),
            account_id: self.account_id.clone(),
            cloud: self.cloud.clone(),
            ..Self::default()
        }
    }
}

/// A refusal from the service, in the form's words. The checks above catch what the admin can
/// fix in the form, so what reaches here is mostly the duplicate client id or an outage.
pub fn refused(error: &AppError) -> Problem {
    match error {
        AppError::Conflict(_) => Problem {
            status: StatusCode::CONFLICT,
            field: "client_id",
            message: "That client ID is already registered: the app is in the list above.".into(),
        },
        AppError::Unavailable(_) => Problem {
            status: StatusCode::SERVICE_UNAVAILABLE,
            field: "",
            message: "The database is unavailable right now: try again in a moment.".into(),
        },
        AppError::Internal(cause) => {
            tracing::error!(error = %cause, "console: adding an app failed");
            Problem {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                field: "",
                message: "The app could not be added because of a problem on the server; its log says what.".into(),
            }
        }
        other => {
            Problem { status: actix_web::ResponseError::status_code(other), field: "", message: other.to_string() }
        }
    }
}

/// The form, filled in with `values`, and `problem` above it (its field marked and focused).
pub fn render(csrf: &str, values: &NewAppForm, problem: Option<&Problem>) -> Markup {
    let wrong = |field: &str| problem.is_some_and(|p| p.field == field);
    let kind = values.kind.trim();
    let cloud = values.cloud.trim();
    html! {
        @if let Some(problem) = problem {
            div.flash.bad role="alert" id="form-error" { (problem.message) }
            p.muted { "Enter the client secret and the webhook secret token again: the console never sends a secret back to the browser." }
        }
        form method="post" action="/console/apps" {
            (csrf_field(csrf))
            label for="kind" { "Kind" }
            select id="kind" name="kind" aria-invalid=[wrong("kind").then_some("true")] {
                @for (value, label) in KINDS {
                    option value=(value) selected[kind == value] { (label) }
                }
            }
            label for="name" { "Name (optional, for people: shown instead of the client ID)" }
            input id="name" name="name" value=(values.name) maxlength=(MAX_NAME_CHARS) autocomplete="off"
                aria-invalid=[wrong("name").then_some("true")] autofocus[wrong("name")];
            label for="client_id" { "Client ID" }
            input id="client_id" name="client_id" value=(values.client_id) required autocomplete="off"
                aria-invalid=[wrong("client_id").then_some("true")] autofocus[wrong("client_id")];
            label for="client_secret" { "Client secret" }
            input id="client_secret" name="client_secret" type="password" required autocomplete="off"
                aria-invalid=[wrong("client_secret").then_some("true")] autofocus[wrong("client_secret")];
            label for="webhook_secret" { "Webhook secret token" }
            input id="webhook_secret" name="webhook_secret" type="password" required autocomplete="off"
                aria-invalid=[wrong("webhook_secret").then_some("true")] autofocus[wrong("webhook_secret")];
            label for="account_id" { "Account ID (server-to-server apps only)" }
            input id="account_id" name="account_id" value=(values.account_id) autocomplete="off"
                aria-invalid=[wrong("account_id").then_some("true")] autofocus[wrong("account_id")];
            label for="cloud" { "Cloud" }
            select id="cloud" name="cloud" aria-invalid=[wrong("cloud").then_some("true")] {
                option value="zoom" selected[cloud == "zoom"] { "Zoom (zoom.us)" }
                option value="zoomgov" selected[cloud == "zoomgov"] { "ZoomGov (zoomgov.com, government accounts)" }
            }
            p { button.primary type="submit" id="add-app" { "Add app" } }
        }
    }
}

const KINDS: [(&str, &str); 3] = [
    ("user_level", "User-managed (each user connects their own account)"),
    ("account_level", "Admin-managed (an admin connects the whole account)"),
    ("server_to_server", "Server-to-Server OAuth (no user flow)"),
];
