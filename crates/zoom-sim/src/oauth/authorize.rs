//! `GET /oauth/authorize` and the consent form it may show.
//!
//! Who consents: `login_hint` (a user id or email), else the app's authorizer (set through the
//! control API), else whoever the browser picks on an HTML page listing every user.

use std::collections::HashMap;

use actix_web::http::header::{CONTENT_TYPE, LOCATION};
use actix_web::{HttpRequest, HttpResponse, web};

use crate::control::types::AppKind;
use crate::errors::PageError;
use crate::http::{form_map, html_escape, query_map};
use crate::sim::Sim;
use crate::state::{CodeRequest, World};

/// The parameters of an authorization request, as given.
struct Params {
    client_id: String,
    redirect_uri: String,
    state: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
}

impl Params {
    fn parse(map: &HashMap<String, String>) -> Result<Self, PageError> {
        let get = |k: &str| map.get(k).filter(|v| !v.is_empty()).cloned();
        match map.get("response_type").map(String::as_str) {
            Some("code") => {}
            _ => return Err(PageError::new("response_type must be code")),
        }
        let client_id = get("client_id").ok_or_else(|| PageError::new("Missing client_id"))?;
        let redirect_uri = get("redirect_uri").ok_or_else(|| PageError::new("Missing redirect_uri"))?;
        Ok(Self {
            client_id,
            redirect_uri,
            state: get("state"),
            code_challenge: get("code_challenge"),
            code_challenge_method: get("code_challenge_method"),
        })
    }

    /// Checks what can be checked before anyone consents, so that a bad request never shows
    /// the consent page.
    fn check(&self, world: &World) -> Result<(), PageError> {
        let app = world.apps.get(&self.client_id).ok_or_else(|| PageError::new("Invalid client_id"))?;
        if app.kind == AppKind::ServerToServer {
            return Err(PageError::new("Server-to-Server OAuth apps cannot be authorized by a user"));
        }
        if !app.accepts_redirect(&self.redirect_uri) {
            return Err(PageError::new("Invalid redirect: the redirect URI is not registered for this app"));
        }
        url::Url::parse(&self.redirect_uri).map_err(|_| PageError::new("Invalid redirect URI"))?;
        Ok(())
    }

    /// Issues the code and sends the browser back to the app.
    fn grant(
        &self,
        world: &mut World,
        user_id: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<HttpResponse, PageError> {
        let req = CodeRequest {
            client_id: &self.client_id,
            user_id,
            redirect_uri: &self.redirect_uri,
            code_challenge: self.code_challenge.as_deref(),
            code_challenge_method: self.code_challenge_method.as_deref(),
        };
        let code = world.issue_code(req, now).map_err(|e| PageError::new(e.detail))?;
        let mut location = url::Url::parse(&self.redirect_uri).map_err(|_| PageError::new("Invalid redirect URI"))?;
        location.query_pairs_mut().append_pair("code", &code);
        if let Some(state) = &self.state {
            location.query_pairs_mut().append_pair("state", state);
        }
        Ok(HttpResponse::Found().insert_header((LOCATION, location.as_str())).finish())
    }

    fn hidden_fields(&self) -> String {
        let mut fields = vec![
            ("response_type", "code"),
            ("client_id", self.client_id.as_str()),
            ("redirect_uri", self.redirect_uri.as_str()),
        ];
        for (name, value) in [
            ("state", &self.state),
            ("code_challenge", &self.code_challenge),
            ("code_challenge_method", &self.code_challenge_method),
        ] {
            if let Some(value) = value {
                fields.push((name, value.as_str()));
            }
        }
        fields
            .iter()
            .map(|(n, v)| format!("<input type=\"hidden\" name=\"{n}\" value=\"{}\">", html_escape(v)))
            .collect()
    }
}

pub async fn authorize(sim: web::Data<Sim>, req: HttpRequest) -> Result<HttpResponse, PageError> {
    let query = query_map(&req);
    let params = Params::parse(&query)?;
    sim.mutate(|world, now| {
        params.check(world)?;
        let hint = query.get("login_hint").filter(|h| !h.is_empty());
        let consenting = match hint {
            Some(hint) => {
                let user = world.find_user(hint).ok_or_else(|| PageError::new("Unknown login_hint"))?;
                Some(user.id.clone())
            }
            None => world.apps.get(&params.client_id).and_then(|a| a.authorizer.clone()),
        };
        match consenting {
            Some(user_id) => params.grant(world, &user_id, now),
            None => Ok(consent_page(world, &params)),
        }
    })
}

/// `POST /oauth/authorize/consent`: the consent page's form.
pub async fn consent(sim: web::Data<Sim>, body: web::Bytes) -> Result<HttpResponse, PageError> {
    let form = form_map(&body);
    let params = Params::parse(&form)?;
    let user_id = form.get("user_id").filter(|u| !u.is_empty()).ok_or_else(|| PageError::new("Missing user_id"))?;
    sim.mutate(|world, now| {
        params.check(world)?;
        params.grant(world, user_id, now)
    })
}

fn consent_page(world: &World, params: &Params) -> HttpResponse {
    let hidden = params.hidden_fields();
    let mut forms = String::new();
    for user in world.users_by_seq.values().filter_map(|id| world.users.get(id)) {
        forms.push_str(&format!(
            "<li><form method=\"post\" action=\"/oauth/authorize/consent\">{hidden}\
             <input type=\"hidden\" name=\"user_id\" value=\"{id}\">\
             <button type=\"submit\">Allow as {name} &lt;{email}&gt; ({role})</button></form></li>\n",
            id = html_escape(&user.id),
            name = html_escape(&user.display_name()),
            email = html_escape(&user.email),
            role = user.role_name(),
        ));
    }
    let body = format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>Zoom - Authorize {app}</title></head>\
         <body><h1>Authorize {app}</h1><p>Choose the Zoom user who allows this app:</p>\n<ul>\n{forms}</ul>\
         </body></html>\n",
        app = html_escape(&params.client_id),
    );
    HttpResponse::Ok().insert_header((CONTENT_TYPE, "text/html; charset=utf-8")).body(body)
}
