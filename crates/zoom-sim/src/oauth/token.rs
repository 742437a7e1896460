//! `POST /oauth/token` and `POST /oauth/revoke`.
//!
//! Client authentication is `Authorization: Basic` or `client_id`/`client_secret` parameters;
//! parameters come from the form body or the query string (docs/zoom.md §2.2).

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use crate::errors::OAuthError;
use crate::http::{basic_auth, form_map, query_map};
use crate::sim::Sim;
use crate::state::ACCESS_TOKEN_SECS;
use crate::state::TokenSet;

/// Form body parameters, then query-string ones for keys the body lacks.
fn params(req: &HttpRequest, body: &[u8]) -> HashMap<String, String> {
    let mut params = form_map(body);
    for (k, v) in query_map(req) {
        params.entry(k).or_insert(v);
    }
    params
}

fn param<'a>(params: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    params.get(name).map(String::as_str).filter(|v| !v.is_empty())
}

/// The authenticated client's id.
fn client(sim: &Sim, req: &HttpRequest, params: &HashMap<String, String>) -> Result<String, OAuthError> {
    let (id, secret) = match basic_auth(req) {
        Some(pair) => pair,
        None => match (param(params, "client_id"), param(params, "client_secret")) {
            (Some(id), Some(secret)) => (id.to_owned(), secret.to_owned()),
            _ => return Err(OAuthError::missing_client()),
        },
    };
    sim.world.lock().authenticate_client(&id, &secret)?;
    Ok(id)
}

/// `invalid_client` answers with the configured status (400 as observed, or 401); client
/// authentication fails before any code or refresh token is looked at, so neither is used up
/// (docs/zoom.md §2.4).
fn client_status(sim: &Sim, mut e: OAuthError) -> OAuthError {
    if e.error == "invalid_client" {
        e.status = StatusCode::from_u16(sim.settings.invalid_client_status()).unwrap_or(e.status);
    }
    e
}

pub async fn token(sim: web::Data<Sim>, req: HttpRequest, body: web::Bytes) -> Result<HttpResponse, OAuthError> {
    let result = issue(&sim, &req, &body).map_err(|e| client_status(&sim, e));
    match &result {
        Ok((grant_type, _)) => sim.counters.update(|c| match *grant_type {
            "authorization_code" => c.oauth.authorization_code += 1,
            "refresh_token" => c.oauth.refresh += 1,
            "account_credentials" => c.oauth.account_credentials += 1,
            _ => c.oauth.client_credentials += 1,
        }),
        Err(e) if e.error == "invalid_grant" => sim.counters.update(|c| c.oauth.invalid_grant += 1),
        Err(_) => {}
    }
    let (_, tokens) = result?;
    let info = req.connection_info();
    let api_url = format!("{}://{}", info.scheme(), info.host());
    let mut reply = json!({
        "access_token": tokens.access_token,
        "token_type": "bearer",
        "expires_in": ACCESS_TOKEN_SECS,
        "scope": tokens.scope,
        "api_url": api_url,
    });
    if let (Some(refresh), Some(map)) = (tokens.refresh_token, reply.as_object_mut()) {
        map.insert("refresh_token".to_owned(), json!(refresh));
    }
    Ok(HttpResponse::Ok().insert_header(("cache-control", "no-store")).json(reply))
}

fn issue(sim: &Sim, req: &HttpRequest, body: &[u8]) -> Result<(&'static str, TokenSet), OAuthError> {
    let params = params(req, body);
    let client_id = client(sim, req, &params)?;
    let grant_type = param(&params, "grant_type").ok_or_else(|| OAuthError::invalid_request("Missing grant_type"))?;
    sim.mutate(|world, now| match grant_type {
        "authorization_code" => {
            let code = param(&params, "code").ok_or_else(|| OAuthError::invalid_request("Missing code"))?;
            let redirect_uri = param(&params, "redirect_uri");
            let verifier = param(&params, "code_verifier");
            Ok(("authorization_code", world.exchange_code(&client_id, code, redirect_uri, verifier, now)?))
        }
        "refresh_token" => {
            let token =
                param(&params, "refresh_token").ok_or_else(|| OAuthError::invalid_request("Missing refresh_token"))?;
            let end_old = sim.settings.refresh_ends_access_token();
            Ok(("refresh_token", world.refresh(&client_id, token, end_old, now)?))
        }
        "account_credentials" => {
            let account_id = param(&params, "account_id");
            Ok(("account_credentials", world.account_credentials(&client_id, account_id, now)?))
        }
        "client_credentials" => Ok(("client_credentials", world.client_credentials(&client_id, now)?)),
        _ => Err(OAuthError::new("unsupported_grant_type", "Unsupported grant type")),
    })
}

pub async fn revoke(sim: web::Data<Sim>, req: HttpRequest, body: web::Bytes) -> Result<HttpResponse, OAuthError> {
    let params = params(&req, &body);
    let client_id = client(&sim, &req, &params).map_err(|e| client_status(&sim, e))?;
    let token = param(&params, "token").ok_or_else(|| OAuthError::invalid_request("Missing token"))?;
    sim.mutate(|world, _| world.revoke_token(&client_id, token))?;
    sim.counters.update(|c| c.oauth.revoke += 1);
    Ok(HttpResponse::Ok().json(json!({"status": "success"})))
}
