//! Key rotation: rows sealed under a previous key stay readable, and `zoomsync reencrypt`
//! moves them to the current key so the old one can be dropped.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::both_backends;
use crate::helpers::app::ENCRYPTION_KEY;
use crate::helpers::process::{db_env, run_cli};
use crate::helpers::{TestApp, TestDb};

/// 32 bytes of 0x2b.
const NEW_KEY: &str = "KysrKysrKysrKysrKysrKysrKysrKysrKysrKysrKys=";

fn with_key(env: &[(String, String)], key: &str, previous: &str) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> =
        env.iter().filter(|(k, _)| k != "ZOOMSYNC__SECURITY__ENCRYPTION_KEY").cloned().collect();
    env.push(("ZOOMSYNC__SECURITY__ENCRYPTION_KEY".into(), key.into()));
    env.push(("ZOOMSYNC__SECURITY__PREVIOUS_ENCRYPTION_KEYS".into(), previous.into()));
    env
}

/// Rotating the webhook secret decrypts the current one, so it succeeds only if the stored
/// value opens under the keys this server has.
async fn rotate_webhook_secret(db: TestDb, key: &'static str, app_id: &str) -> (StatusCode, TestDb) {
    let app = TestApp::spawn_on(db, |config| {
        config.security.encryption_key = Some(key.into());
    })
    .await;
    let status = app
        .admin(Method::PATCH, &format!("/api/v2/zoom-oauth-apps/{app_id}/"))
        .json(&json!({"webhook_secret": "a-fresh-webhook-secret"}))
        .send()
        .await
        .unwrap()
        .status();
    (status, app.into_db())
}

both_backends! {
    async fn reencrypt_moves_rows_to_the_current_key(backend) {
        let db = TestDb::new(backend);
        let dir = db.dir.path().to_owned();
        let env = db_env(&db);
        let added = run_cli(
            &dir,
            &env,
            &["app", "add", "--kind", "user_level", "--client-id", "rot", "--client-secret", "cs-1", "--webhook-secret", "ws-1", "--json"],
        );
        assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
        let id = serde_json::from_slice::<serde_json::Value>(&added.stdout).unwrap()["id"].as_str().unwrap().to_owned();

        // The new key alone cannot open rows sealed under the old one.
        let (status, db) = rotate_webhook_secret(db, NEW_KEY, &id).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);

        let rotated = with_key(&env, NEW_KEY, ENCRYPTION_KEY);
        let first = run_cli(&dir, &rotated, &["reencrypt"]);
        assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
        assert!(String::from_utf8_lossy(&first.stdout).contains("resealed 2 value(s)"), "{}", String::from_utf8_lossy(&first.stdout));
        let second = run_cli(&dir, &rotated, &["reencrypt"]);
        assert!(String::from_utf8_lossy(&second.stdout).contains("resealed 0 value(s); 2 already"));

        // Now the new key alone is enough.
        let (status, _db) = rotate_webhook_secret(db, NEW_KEY, &id).await;
        assert_eq!(status, StatusCode::OK);
    }
}
