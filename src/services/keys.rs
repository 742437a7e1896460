//! Key rotation: reseal every encrypted value still under a previous key with the current one.
//! After it reports nothing left, the previous key can be removed from the configuration.

use crate::crypto::{Cipher, Field};
use crate::db::AnyConnection;
use crate::db::models::credentials::CredentialRow;
use crate::db::models::{apps, credentials, webhook_endpoints};
use crate::error::AppError;
use crate::services::AppState;

#[derive(Debug, Default, serde::Serialize)]
pub struct Resealed {
    pub values_resealed: usize,
    pub values_current: usize,
    /// Credentials whose tokens changed at every attempt while this ran (a refresh each time),
    /// so some may still be under a previous key: the next run picks them up.
    pub credentials_skipped: usize,
}

impl Resealed {
    fn add(&mut self, other: &Self) {
        self.values_resealed += other.values_resealed;
        self.values_current += other.values_current;
        self.credentials_skipped += other.credentials_skipped;
    }
}

/// Attempts at one credential whose tokens keep changing under us. A refresh takes seconds and
/// a credential refreshes about hourly, so a second attempt all but always lands.
const ATTEMPTS: usize = 3;

/// Reseals every app secret, credential token and endpoint secret still under a previous key, in one
/// transaction.
pub async fn reseal_under_current_key(state: &AppState) -> Result<Resealed, AppError> {
    let cipher = state.settings.secrets.cipher.clone();
    state.db.write_with(move |conn| reseal_all(conn, &cipher)).await
}

fn reseal_all(conn: &mut AnyConnection, cipher: &Cipher) -> Result<Resealed, AppError> {
    let mut report = Resealed::default();
    for app in apps::all(conn)? {
        let mut change = apps::SecretsChange {
            client_secret: reseal(cipher, Field::AppClientSecret, &app.id, &app.client_secret, &mut report)?,
            webhook_secret: reseal(cipher, Field::AppWebhookSecret, &app.id, &app.webhook_secret, &mut report)?,
            ..apps::SecretsChange::default()
        };
        if let Some(previous) = &app.previous_webhook_secret {
            change.previous_webhook_secret =
                reseal(cipher, Field::AppPreviousWebhookSecret, &app.id, previous, &mut report)?.map(Some);
        }
        if change.client_secret.is_some() || change.webhook_secret.is_some() || change.previous_webhook_secret.is_some()
        {
            apps::update_secrets(conn, &app.id, &change)?;
        }
    }
    for credential in credentials::all(conn)? {
        reseal_credential(conn, cipher, credential, &mut report)?;
    }
    for endpoint in webhook_endpoints::all(conn)? {
        if let Some(secret) = reseal(cipher, Field::WebhookEndpointSecret, &endpoint.id, &endpoint.secret, &mut report)?
        {
            let change = webhook_endpoints::EndpointChange { secret: Some(&secret), ..Default::default() };
            webhook_endpoints::update(conn, &endpoint.id, &change)?;
        }
    }
    Ok(report)
}

/// Reseals one credential's tokens as `row` has them, writing only if the row is still at the
/// version read. Other processes refresh tokens while this runs (on PostgreSQL another replica
/// can commit between our read and our write), and an unguarded write would put back the
/// refresh token Zoom retired with that refresh. When the version moved, the row is read again
/// and what it holds now is resealed: safer than skipping, since a replica still on the old key
/// may just have stored tokens under it; only after `ATTEMPTS` is the credential left for the
/// next run, and counted so the report does not claim the old key is unused.
fn reseal_credential(
    conn: &mut AnyConnection,
    cipher: &Cipher,
    mut row: CredentialRow,
    report: &mut Resealed,
) -> Result<(), AppError> {
    for _ in 0..ATTEMPTS {
        // Counted only once the write lands, so a retried credential is not counted twice.
        let mut attempt = Resealed::default();
        let mut sealed = |field, blob: Option<&[u8]>| {
            blob.map(|b| reseal(cipher, field, &row.id, b, &mut attempt)).transpose().map(Option::flatten)
        };
        let refresh = sealed(Field::CredentialRefreshToken, row.refresh_token.as_deref())?;
        let access = sealed(Field::CredentialAccessToken, row.access_token.as_deref())?;
        let landed = (refresh.is_none() && access.is_none())
            || credentials::set_ciphertexts(
                conn,
                &row.id,
                row.version,
                refresh.as_deref().or(row.refresh_token.as_deref()),
                access.as_deref().or(row.access_token.as_deref()),
            )?;
        if landed {
            report.add(&attempt);
            return Ok(());
        }
        match credentials::find(conn, &row.id)? {
            Some(now) => row = now,
            // Deleted meanwhile: nothing of it is left under any key.
            None => return Ok(()),
        }
    }
    tracing::warn!(credential = %row.id, "its tokens changed at every attempt to reseal them; left for the next run");
    report.credentials_skipped += 1;
    Ok(())
}

/// `Some(new ciphertext)` when `blob` was under an old key, `None` when it is already current.
fn reseal(
    cipher: &Cipher,
    field: Field,
    row_id: &str,
    blob: &[u8],
    report: &mut Resealed,
) -> Result<Option<Vec<u8>>, AppError> {
    if cipher.needs_reencryption(blob) {
        report.values_resealed += 1;
        Ok(Some(cipher.reseal(field, row_id, blob)?))
    } else {
        report.values_current += 1;
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use diesel::RunQueryDsl as _;
    use diesel::sql_types::{Binary, Timestamp};
    use secrecy::ExposeSecret as _;

    use super::*;
    use crate::crypto::EncryptionKey;
    use crate::db::{Db, DbTarget, PoolOptions, migrate};

    /// 32 bytes of 0x01, and of 0x02.
    const OLD_KEY: &str = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";
    const NEW_KEY: &str = "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=";

    fn key(text: &str) -> EncryptionKey {
        EncryptionKey::from_base64(text).unwrap()
    }

    /// A migrated SQLite database with one app and one credential whose tokens are sealed with
    /// `cipher`. Rows are written as SQL, so the fixture does not depend on the models' types.
    fn database(dir: &tempfile::TempDir, cipher: &Cipher) -> Db {
        let db = Db::connect(&DbTarget::Sqlite(dir.path().join("keys.db")), &PoolOptions::default()).unwrap();
        let mut conn = db.get().unwrap();
        migrate::run_pending(&mut conn).unwrap();
        let AnyConnection::Sqlite(c) = &mut *conn else { unreachable!("a SQLite target") };
        let now = crate::time::now();
        diesel::sql_query(
            "INSERT INTO oauth_apps (id, kind, client_id, client_secret, webhook_secret, created_at, updated_at) \
             VALUES ('app', 'user_level', 'client', ?, ?, ?, ?)",
        )
        .bind::<Binary, _>(cipher.seal(Field::AppClientSecret, "app", "client-secret").unwrap())
        .bind::<Binary, _>(cipher.seal(Field::AppWebhookSecret, "app", "webhook-secret").unwrap())
        .bind::<Timestamp, _>(now)
        .bind::<Timestamp, _>(now)
        .execute(c)
        .unwrap();
        diesel::sql_query(
            "INSERT INTO credentials (id, app_id, subject, zoom_user_id, account_id, scopes, refresh_token, \
             access_token, status, meeting_sync_status, version, created_at, updated_at) \
             VALUES ('c1', 'app', 'u1', 'u1', 'a1', '', ?, ?, 'healthy', 'not_started', 1, ?, ?)",
        )
        .bind::<Binary, _>(cipher.seal(Field::CredentialRefreshToken, "c1", "refresh-1").unwrap())
        .bind::<Binary, _>(cipher.seal(Field::CredentialAccessToken, "c1", "access-1").unwrap())
        .bind::<Timestamp, _>(now)
        .bind::<Timestamp, _>(now)
        .execute(c)
        .unwrap();
        drop(conn);
        db
    }

    /// What a refresh stores: new tokens, and the version bumped.
    fn refresh(conn: &mut AnyConnection, sealing: &Cipher, refresh: &str, access: &str) {
        let AnyConnection::Sqlite(c) = conn else { unreachable!("a SQLite target") };
        diesel::sql_query(
            "UPDATE credentials SET refresh_token = ?, access_token = ?, version = version + 1 WHERE id = 'c1'",
        )
        .bind::<Binary, _>(sealing.seal(Field::CredentialRefreshToken, "c1", refresh).unwrap())
        .bind::<Binary, _>(sealing.seal(Field::CredentialAccessToken, "c1", access).unwrap())
        .execute(c)
        .unwrap();
    }

    fn tokens(conn: &mut AnyConnection, cipher: &Cipher) -> (String, String, i64, bool) {
        let row = credentials::find(conn, "c1").unwrap().unwrap();
        let (refresh, access) = (row.refresh_token.unwrap(), row.access_token.unwrap());
        let open = |field, blob: &[u8]| cipher.open(field, "c1", blob).unwrap().expose_secret().to_owned();
        let current = !cipher.needs_reencryption(&refresh) && !cipher.needs_reencryption(&access);
        (
            open(Field::CredentialRefreshToken, &refresh),
            open(Field::CredentialAccessToken, &access),
            row.version,
            current,
        )
    }

    #[test]
    fn moves_every_value_to_the_current_key_then_finds_nothing_left() {
        let dir = tempfile::tempdir().unwrap();
        let db = database(&dir, &Cipher::new(&key(OLD_KEY), &[]));
        let rotated = Cipher::new(&key(NEW_KEY), &[key(OLD_KEY)]);
        let mut conn = db.get().unwrap();
        let first = reseal_all(&mut conn, &rotated).unwrap();
        assert_eq!((first.values_resealed, first.values_current, first.credentials_skipped), (4, 0, 0));
        assert_eq!(tokens(&mut conn, &rotated), ("refresh-1".into(), "access-1".into(), 1, true));
        let second = reseal_all(&mut conn, &rotated).unwrap();
        assert_eq!((second.values_resealed, second.values_current), (0, 4));
    }

    /// Without the version guard, the reseal of what was read would overwrite the refreshed
    /// tokens with the retired ones.
    #[test]
    fn a_refresh_between_the_read_and_the_write_is_not_undone() {
        let dir = tempfile::tempdir().unwrap();
        let old = Cipher::new(&key(OLD_KEY), &[]);
        let db = database(&dir, &old);
        let rotated = Cipher::new(&key(NEW_KEY), &[key(OLD_KEY)]);
        let mut conn = db.get().unwrap();

        let read = credentials::find(&mut conn, "c1").unwrap().unwrap();
        // A replica not yet restarted with the new key refreshes the credential meanwhile.
        refresh(&mut conn, &old, "refresh-2", "access-2");
        let mut report = Resealed::default();
        reseal_credential(&mut conn, &rotated, read, &mut report).unwrap();

        // The refreshed tokens stay, resealed under the current key; the version is the
        // refresh's (resealing changes no token).
        assert_eq!(tokens(&mut conn, &rotated), ("refresh-2".into(), "access-2".into(), 2, true));
        assert_eq!((report.values_resealed, report.values_current, report.credentials_skipped), (2, 0, 0));
    }

    #[test]
    fn the_guarded_write_reports_whether_the_row_was_still_at_its_version() {
        let dir = tempfile::tempdir().unwrap();
        let db = database(&dir, &Cipher::new(&key(OLD_KEY), &[]));
        let mut conn = db.get().unwrap();
        assert!(!credentials::set_ciphertexts(&mut conn, "c1", 7, Some(b"x"), Some(b"y")).unwrap());
        let row = credentials::find(&mut conn, "c1").unwrap().unwrap();
        assert_ne!(row.refresh_token.as_deref(), Some(&b"x"[..]));
        assert!(credentials::set_ciphertexts(&mut conn, "c1", 1, Some(b"x"), Some(b"y")).unwrap());
        let row = credentials::find(&mut conn, "c1").unwrap().unwrap();
        assert_eq!((row.refresh_token.as_deref(), row.version), (Some(&b"x"[..]), 1));
    }
}
