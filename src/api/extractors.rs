//! Extractor settings: a malformed body, query or path becomes our `{error, detail}` 400.

use actix_web::error::JsonPayloadError;
use actix_web::web;

use crate::error::AppError;

/// Admin request bodies are small; this bounds what a client can make us buffer.
const ADMIN_BODY_LIMIT: usize = 64 * 1024;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(json_config()).app_data(query_config()).app_data(path_config());
}

fn json_config() -> web::JsonConfig {
    web::JsonConfig::default().limit(ADMIN_BODY_LIMIT).content_type_required(false).error_handler(|error, _| {
        let detail = match &error {
            JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
                format!("the body is larger than {ADMIN_BODY_LIMIT} bytes")
            }
            JsonPayloadError::Deserialize(e) => format!("the body is not the expected JSON: {e}"),
            other => format!("the body could not be read as JSON: {other}"),
        };
        AppError::bad_request("invalid_json", detail).into()
    })
}

fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|error, _| {
        AppError::bad_request("invalid_query", format!("bad query parameters: {error}")).into()
    })
}

fn path_config() -> web::PathConfig {
    web::PathConfig::default()
        .error_handler(|error, _| AppError::bad_request("invalid_path", format!("bad path: {error}")).into())
}
