//! `GET /api/v2/zoom-meetings-to-credentials/?meeting_id=&credential=`.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::Admin;
use crate::db::models::mappings::ListFilter;
use crate::error::AppError;
use crate::meeting_ref;
use crate::pagination::{Page, PageParams};
use crate::services::mappings;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct ListQuery {
    meeting_id: Option<String>,
    credential: Option<String>,
    #[serde(flatten)]
    page: PageParams,
}

pub async fn list(
    _: Admin,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let page_size = query.page.page_size()?;
    let meeting_id = match query.meeting_id.as_deref().filter(|v| !v.is_empty()) {
        Some(text) => Some(
            meeting_ref::parse_id(text)
                .map_err(|_| AppError::bad_request("invalid_query", "`meeting_id` must be a Zoom meeting ID"))?,
        ),
        None => None,
    };
    let filter = ListFilter { meeting_id, credential_id: query.credential.clone().filter(|v| !v.is_empty()) };
    let (results, next) = mappings::list(&state, filter, query.page.cursor()?, page_size).await?;
    let list_url = format!("{}/api/v2/zoom-meetings-to-credentials/", state.settings.public_url);
    let filters = [("meeting_id", query.meeting_id.as_deref()), ("credential", query.credential.as_deref())];
    Ok(HttpResponse::Ok().json(Page::new(results, next, &list_url, &filters, page_size)))
}
