//! `endpoint.url_validation` (docs/zoom.md §1.3): a signed challenge the receiver must answer within
//! the timeout, with 200 or 204, JSON, and the right `encryptedToken`.

use serde::Deserialize;
use serde_json::json;

use crate::clock::wall_ms;
use crate::control::types::Validation;
use crate::ids;
use crate::signature::{sign_webhook, url_validation_token};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Answer {
    plain_token: Option<String>,
    encrypted_token: Option<String>,
}

fn fail(status: Option<u16>, detail: impl Into<String>) -> Validation {
    Validation { ok: false, status, detail: detail.into() }
}

pub async fn validate(client: &reqwest::Client, url: &str, secret: &str) -> Validation {
    let plain = ids::url_safe(22);
    let body = json!({
        "payload": {"plainToken": plain},
        "event_ts": wall_ms(),
        "event": "endpoint.url_validation",
    });
    let body = serde_json::to_vec(&body).unwrap_or_default();
    let timestamp = (wall_ms() / 1000).to_string();
    let signature = sign_webhook(secret, &timestamp, &body);
    let result = client
        .post(url)
        .header("content-type", "application/json; charset=utf-8")
        .header("x-zm-request-timestamp", &timestamp)
        .header("x-zm-signature", signature)
        .header("x-zm-request-id", ids::request_id())
        .body(body)
        .send()
        .await;
    let res = match result {
        Ok(res) => res,
        Err(e) if e.is_timeout() => return fail(None, "the endpoint did not answer in time"),
        Err(e) => return fail(None, format!("could not reach the endpoint: {e}")),
    };
    let status = res.status().as_u16();
    if status != 200 && status != 204 {
        return fail(Some(status), format!("the endpoint answered {status}, not 200 or 204"));
    }
    let json_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("application/json"));
    if !json_type {
        return fail(Some(status), "the answer's Content-Type is not application/json");
    }
    let bytes = match res.bytes().await {
        Ok(b) => b,
        Err(e) => return fail(Some(status), format!("could not read the answer: {e}")),
    };
    let Ok(answer) = serde_json::from_slice::<Answer>(&bytes) else {
        return fail(Some(status), "the answer is not a JSON object with plainToken and encryptedToken");
    };
    if answer.plain_token.as_deref() != Some(plain.as_str()) {
        return fail(Some(status), "plainToken does not match the challenge");
    }
    if answer.encrypted_token.as_deref() != Some(url_validation_token(secret, &plain).as_str()) {
        return fail(Some(status), "encryptedToken is wrong");
    }
    Validation { ok: true, status: Some(status), detail: "validated".to_owned() }
}
