//! `GET /api/v2/zoom-meetings-to-credentials/?meeting_id=&credential=`.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::Admin;
use crate::db::models::mappings::ListFilter;
use crate::error::{AppError, ErrorBody};
use crate::meeting_ref;
use crate::pagination::{Page, PageParams};
use crate::services::AppState;
use crate::services::mappings::{self, MappingView};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// A Zoom meeting ID.
    meeting_id: Option<String>,
    /// A credential id.
    credential: Option<String>,
    /// Documented as `PageParams` beside this.
    #[serde(flatten)]
    #[param(ignore)]
    page: PageParams,
}

/// The meeting-to-credential table, by meeting id.
#[utoipa::path(get, path = "/api/v2/zoom-meetings-to-credentials/", operation_id = "list_meeting_mappings", tag = "mappings", params(ListQuery, PageParams),
    responses((status = 200, description = "OK", body = Page<MappingView>), (status = 400, description = "Invalid input", body = ErrorBody<'static>), (status = 401, description = "No or wrong admin token", body = ErrorBody<'static>)))]
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
