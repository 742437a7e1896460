//! Cursor pagination for admin lists: `{"next": <url or null>, "results": [...]}` (Recall's
//! shape). A cursor names the last row of the previous page by its sort key, so pages stay
//! stable while rows are added, and it is opaque to clients.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::error::AppError;

pub const DEFAULT_PAGE_SIZE: i64 = 50;
pub const MAX_PAGE_SIZE: i64 = 500;

/// The sort key of the last row of a page: a number (a timestamp in microseconds, or a meeting
/// id) and the row's id, which breaks ties.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub key: i64,
    pub id: String,
}

impl Cursor {
    /// For lists in creation order.
    pub fn new(at: NaiveDateTime, id: &str) -> Self {
        Self { key: at.and_utc().timestamp_micros(), id: id.to_owned() }
    }

    /// For lists ordered by a number, e.g. a meeting id.
    pub fn number(key: i64, id: &str) -> Self {
        Self { key, id: id.to_owned() }
    }

    /// The key as a creation time.
    pub fn at(&self) -> NaiveDateTime {
        DateTime::from_timestamp_micros(self.key).unwrap_or_default().naive_utc()
    }

    /// `(created_at, id)` for the repositories' `after` parameter.
    pub fn after_time(self) -> (NaiveDateTime, String) {
        (self.at(), self.id)
    }

    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}|{}", self.key, self.id))
    }

    pub fn decode(text: &str) -> Result<Self, AppError> {
        let invalid = || AppError::bad_request("invalid_cursor", "the cursor is not one this server issued");
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| invalid())?;
        let text = String::from_utf8(bytes).map_err(|_| invalid())?;
        let (key, id) = text.split_once('|').ok_or_else(invalid)?;
        Ok(Self { key: key.parse().map_err(|_| invalid())?, id: id.to_owned() })
    }
}

/// `rows` holds up to `page_size + 1` rows: the extra one only says whether a next page exists.
pub fn split_page<R, V>(
    mut rows: Vec<R>,
    page_size: i64,
    view: impl Fn(&R) -> (V, Cursor),
) -> (Vec<V>, Option<Cursor>) {
    let more = rows.len() as i64 > page_size;
    rows.truncate(usize::try_from(page_size).unwrap_or(0));
    let mut last = None;
    let views = rows
        .iter()
        .map(|row| {
            let (v, cursor) = view(row);
            last = Some(cursor);
            v
        })
        .collect();
    (views, if more { last } else { None })
}

/// The `cursor` and `page_size` query parameters every list accepts. (Lenient about numbers:
/// flattened into a list's own query struct, serde hands every value over as text.)
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Where to continue: taken from the previous page's `next`.
    pub cursor: Option<String>,
    /// Items per page.
    #[serde(default, deserialize_with = "crate::lenient::opt_i64")]
    #[param(minimum = 1, maximum = 500)]
    pub page_size: Option<i64>,
}

impl PageParams {
    pub fn cursor(&self) -> Result<Option<Cursor>, AppError> {
        self.cursor.as_deref().filter(|c| !c.is_empty()).map(Cursor::decode).transpose()
    }

    pub fn page_size(&self) -> Result<i64, AppError> {
        match self.page_size {
            None => Ok(DEFAULT_PAGE_SIZE),
            Some(n) if (1..=MAX_PAGE_SIZE).contains(&n) => Ok(n),
            Some(_) => Err(AppError::bad_request("invalid_field", format!("`page_size` must be 1 to {MAX_PAGE_SIZE}"))),
        }
    }
}

/// A page of a list: the URL of the next page (`null` on the last) and the items.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub next: Option<String>,
    pub results: Vec<T>,
}

impl<T> Page<T> {
    /// `filters` are the request's other query parameters, carried into the `next` URL.
    pub fn new(
        results: Vec<T>,
        next: Option<Cursor>,
        list_url: &str,
        filters: &[(&str, Option<&str>)],
        page_size: i64,
    ) -> Self {
        let next = next.map(|cursor| {
            let mut query = url::form_urlencoded::Serializer::new(String::new());
            for (key, value) in filters {
                if let Some(value) = value {
                    query.append_pair(key, value);
                }
            }
            query.append_pair("cursor", &cursor.encode());
            query.append_pair("page_size", &page_size.to_string());
            format!("{list_url}?{}", query.finish())
        });
        Self { next, results }
    }
}

/// Every item of a list, page after page (for the CLI, which prints whole lists).
pub async fn all_pages<T, F, Fut>(mut page: F) -> Result<Vec<T>, AppError>
where
    F: FnMut(Option<Cursor>) -> Fut,
    Fut: std::future::Future<Output = Result<(Vec<T>, Option<Cursor>), AppError>>,
{
    let mut all = Vec::new();
    let mut cursor = None;
    loop {
        let (items, next) = page(cursor).await?;
        all.extend(items);
        match next {
            Some(next) => cursor = Some(next),
            None => return Ok(all),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips() {
        let cursor = Cursor::new(crate::time::now(), "abc-123");
        assert_eq!(Cursor::decode(&cursor.encode()).unwrap(), cursor);
    }

    #[test]
    fn foreign_cursor_is_a_bad_request() {
        assert!(matches!(Cursor::decode("!!"), Err(AppError::BadRequest { .. })));
        assert!(matches!(Cursor::decode("bm9waXBl"), Err(AppError::BadRequest { .. })));
    }

    #[test]
    fn split_page_reports_a_next_page_only_when_more_rows_exist() {
        let at = crate::time::now();
        let rows: Vec<String> = (0..3).map(|i| i.to_string()).collect();
        let (page, next) = split_page(rows.clone(), 2, |r| (r.clone(), Cursor::new(at, r)));
        assert_eq!(page, vec!["0", "1"]);
        assert_eq!(next.unwrap().id, "1");
        let (page, next) = split_page(rows, 3, |r| (r.clone(), Cursor::new(at, r)));
        assert_eq!(page.len(), 3);
        assert!(next.is_none());
    }
}
