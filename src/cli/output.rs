//! How commands print: tables for people, `--json` for scripts, errors on stderr with a stable
//! exit code.

use std::process::ExitCode;

use secrecy::ExposeSecret;

use crate::config::Settings;
use crate::error::AppError;

pub fn exit_code(error: &AppError) -> ExitCode {
    ExitCode::from(match error {
        AppError::BadRequest { .. } | AppError::Unauthorized(_) | AppError::TooLarge(_) => 2,
        AppError::NotFound(_) => 3,
        AppError::Conflict(_) => 4,
        AppError::Unavailable(_) => 5,
        AppError::Internal(_) => 1,
    })
}

pub fn failure(error: &AppError) -> ExitCode {
    match error {
        AppError::Internal(cause) => eprintln!("error: {cause:#}"),
        other => eprintln!("error: {other}"),
    }
    exit_code(error)
}

pub fn print_json<T: serde::Serialize>(value: &T) -> ExitCode {
    match serde_json::to_string_pretty(value) {
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Prints rows as left-aligned columns under a header.
pub fn print_table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let line = |cells: Vec<&str>| {
        let text: Vec<String> = cells.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        println!("{}", text.join("  ").trim_end());
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
}

/// On the start that generated secrets, say where they are; print a generated admin token
/// once, to stderr, never through the logger.
pub fn announce_generated_secrets(settings: &Settings) {
    let Some(generated) = &settings.secrets.generated else { return };
    tracing::info!(path = %generated.path.display(), keys = %generated.keys.join(","), "generated secrets written");
    if let Some(token) = &generated.admin_token {
        eprintln!(
            "\n  zoomsync generated an admin token (shown once; it is also in {}):\n\n    {}\n",
            generated.path.display(),
            token.expose_secret()
        );
    }
}
