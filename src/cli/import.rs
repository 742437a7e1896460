//! `zoomsync credential import --app APP [FILE]`: refresh tokens a team already holds, one per
//! line (blank lines and `#` comments skipped) or as JSON (an array of strings, or of objects
//! with a `refresh_token`), each imported through the admin API's service. One outcome is
//! printed per token, by its place in the input: never the token itself.

use std::io::Read as _;
use std::process::ExitCode;

use secrecy::SecretString;
use serde::Serialize;

use super::output;
use crate::db::models::apps::AppKind;
use crate::error::AppError;
use crate::services::AppState;
use crate::services::{apps, import};

/// Where a token was in the input: what its outcome is reported by.
#[derive(Clone, Copy, Serialize)]
#[serde(rename_all = "snake_case")]
enum Place {
    Line(usize),
    Item(usize),
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Line(n) => write!(f, "line {n}"),
            Self::Item(n) => write!(f, "item {n}"),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
enum Status {
    Imported,
    /// zoomsync already had a credential for the user (account): it now holds this grant.
    Updated,
    /// Zoom (or zoomsync) refused it; trying again will not help.
    Refused,
    /// Zoom or the database was unavailable; the detail says whether the token may be spent.
    Unavailable,
    Failed,
}

#[derive(Serialize)]
struct Outcome {
    #[serde(flatten)]
    place: Place,
    status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    credential: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<String>,
    /// The admin API's error code (`zoom_refused`, ...) of a failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
}

impl Outcome {
    fn line(&self) -> String {
        let user = self.user_id.as_deref().filter(|u| !u.is_empty()).unwrap_or("-");
        let credential = self.credential.as_deref().unwrap_or_default();
        let detail = self.detail.as_deref().unwrap_or_default();
        match self.status {
            Status::Imported => format!("{}: imported credential {credential} (Zoom user {user})", self.place),
            Status::Updated => format!("{}: updated credential {credential} (Zoom user {user})", self.place),
            Status::Refused if self.error == Some("zoom_refused") => {
                format!("{}: refused by Zoom: {detail}", self.place)
            }
            Status::Refused => format!("{}: refused: {detail}", self.place),
            Status::Unavailable => format!("{}: unavailable: {detail}", self.place),
            Status::Failed => format!("{}: failed: {detail}", self.place),
        }
    }

    /// The exit code this outcome alone would give.
    fn exit_code(&self) -> u8 {
        match self.status {
            Status::Imported | Status::Updated => 0,
            Status::Unavailable => 5,
            Status::Refused | Status::Failed => 1,
        }
    }
}

pub async fn run(state: &AppState, app: &str, file: Option<&std::path::Path>, json: bool) -> ExitCode {
    // A wrong app, or one without refresh tokens, is the command's mistake, not each token's.
    match apps::get(state, app).await {
        Ok(view) if view.kind == AppKind::ServerToServer => {
            eprintln!("error: {app} is a server-to-server app: it has no refresh tokens to import");
            return ExitCode::from(2);
        }
        Ok(_) => {}
        Err(e) => return output::failure(&e),
    }
    let input = match read_input(file) {
        Ok(input) => input,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let tokens = match parse(&input) {
        Ok(tokens) if tokens.is_empty() => {
            eprintln!("error: the input holds no refresh tokens");
            return ExitCode::from(2);
        }
        Ok(tokens) => tokens,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let mut outcomes = Vec::with_capacity(tokens.len());
    for (place, token) in tokens {
        let outcome = outcome(place, import::from_refresh_token(state, app, token).await);
        if !json {
            println!("{}", outcome.line());
        }
        outcomes.push(outcome);
    }
    state.log.flush().await;
    let codes: Vec<u8> = outcomes.iter().map(Outcome::exit_code).collect();
    if json && output::print_json(&outcomes) != ExitCode::SUCCESS {
        return ExitCode::FAILURE;
    }
    // A token refused for good outweighs one to retry later: retrying cannot fix everything.
    let code = if codes.contains(&1) { 1 } else { codes.into_iter().max().unwrap_or(0) };
    ExitCode::from(code)
}

fn read_input(file: Option<&std::path::Path>) -> Result<String, String> {
    match file.filter(|f| f.as_os_str() != "-") {
        Some(path) => std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display())),
        None => {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text).map_err(|e| format!("cannot read standard input: {e}"))?;
            Ok(text)
        }
    }
}

/// One JSON array item: a token, or an object carrying one.
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum Item {
    Token(SecretString),
    Object { refresh_token: SecretString },
}

/// The tokens in `input`, each with its place. JSON when the input starts with `[`; lines
/// otherwise. Errors never quote the input (it is tokens).
fn parse(input: &str) -> Result<Vec<(Place, SecretString)>, String> {
    if input.trim_start().starts_with('[') {
        let items: Vec<serde_json::Value> = serde_json::from_str(input)
            .map_err(|e| format!("the input is not a JSON array (line {}, column {})", e.line(), e.column()))?;
        return items
            .into_iter()
            .enumerate()
            .map(|(i, value)| {
                let place = Place::Item(i + 1);
                match serde_json::from_value::<Item>(value) {
                    Ok(Item::Token(token) | Item::Object { refresh_token: token }) => Ok((place, token)),
                    Err(_) => Err(format!("{place}: expected a string or {{\"refresh_token\": \"...\"}}")),
                }
            })
            .collect();
    }
    Ok(input
        .lines()
        .enumerate()
        .map(|(i, line)| (Place::Line(i + 1), line.trim()))
        .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'))
        .map(|(place, line)| (place, SecretString::from(line)))
        .collect())
}

fn outcome(place: Place, result: Result<crate::services::connect::Connected, AppError>) -> Outcome {
    let error = match result {
        Ok(connected) => {
            return Outcome {
                place,
                status: if connected.created { Status::Imported } else { Status::Updated },
                credential: Some(connected.credential.id),
                user_id: Some(connected.credential.user_id),
                error: None,
                detail: None,
            };
        }
        Err(error) => error,
    };
    let status = match &error {
        AppError::BadRequest { .. } | AppError::Conflict(_) | AppError::NotFound(_) => Status::Refused,
        AppError::Unavailable(_) => Status::Unavailable,
        _ => Status::Failed,
    };
    // Errors carry our words and Zoom's, never a token.
    let detail = match &error {
        AppError::Internal(cause) => format!("{cause:#}"),
        other => other.to_string(),
    };
    Outcome { place, status, credential: None, user_id: None, error: Some(error.code()), detail: Some(detail) }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret as _;

    use super::*;

    fn shown(input: &str) -> Vec<(String, String)> {
        parse(input).unwrap().into_iter().map(|(p, t)| (p.to_string(), t.expose_secret().to_owned())).collect()
    }

    #[test]
    fn lines_skip_blanks_and_comments_and_keep_their_numbers() {
        let got = shown("# tokens\n\n  a  \n#b\nc\n");
        assert_eq!(got, [("line 3".into(), "a".into()), ("line 5".into(), "c".into())]);
    }

    #[test]
    fn json_takes_strings_and_objects() {
        let got = shown(r#"["a", {"refresh_token": "b"}]"#);
        assert_eq!(got, [("item 1".into(), "a".into()), ("item 2".into(), "b".into())]);
        let bad = parse(r#"["a", {"token": "secret-b"}]"#).err().unwrap();
        assert!(bad.starts_with("item 2") && !bad.contains("secret-b"), "{bad}");
        let broken = parse(r#"["secret-c""#).err().unwrap();
        assert!(!broken.contains("secret-c"), "{broken}");
    }
}
