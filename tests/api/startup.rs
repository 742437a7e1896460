//! The daemon as operators run it: zero-config first start, restarts, replicas, signals.

use std::time::Duration;

use crate::helpers::process::{Daemon, db_env};
use crate::helpers::{ADMIN_TOKEN, Backend, TestDb};

#[tokio::test]
async fn first_start_needs_no_config_and_a_restart_reuses_the_generated_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = Daemon::start(dir.path(), "first", &[]);
    assert!(first.wait_ready(Duration::from_secs(30)).await, "{}", first.stderr());
    let secrets_path = dir.path().join("data/zoomsync.secrets.toml");
    assert!(dir.path().join("data/zoomsync.db").is_file());
    let secrets = std::fs::read_to_string(&secrets_path).unwrap();
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&secrets_path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the secrets file must be private");
    }
    let token = secrets
        .lines()
        .find_map(|l| l.strip_prefix("admin_token = \""))
        .and_then(|l| l.strip_suffix('"'))
        .expect("admin token in the secrets file")
        .to_owned();
    // Printed once, on this first start, outside the log lines; the log names only the path.
    assert_eq!(first.stderr().matches(token.as_str()).count(), 1);
    assert!(first.stderr().contains("zoomsync.secrets.toml"));
    let client = reqwest::Client::new();
    let apps =
        client.get(format!("{}/api/v2/zoom-oauth-apps/", first.address)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(apps.status(), 200);
    assert!(first.terminate().success(), "SIGTERM is a clean, successful stop");

    let mut second = Daemon::start(dir.path(), "second", &[]);
    assert!(second.wait_ready(Duration::from_secs(30)).await, "{}", second.stderr());
    assert_eq!(std::fs::read_to_string(&secrets_path).unwrap(), secrets, "the secrets file is written once");
    assert!(!second.stderr().contains(token.as_str()), "the admin token is printed on the first start only");
    let apps =
        client.get(format!("{}/api/v2/zoom-oauth-apps/", second.address)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(apps.status(), 200);
    assert!(second.interrupt().success(), "SIGINT is a clean, successful stop too");
}

#[tokio::test]
async fn three_replicas_starting_together_on_postgres_migrate_once() {
    let db = TestDb::new(Backend::Postgres);
    let env = db_env(&db);
    let mut replicas: Vec<Daemon> =
        (0..3).map(|i| Daemon::start(db.dir.path(), &format!("replica-{i}"), &env)).collect();
    for replica in &mut replicas {
        assert!(replica.wait_ready(Duration::from_secs(60)).await, "{}", replica.stderr());
    }
    let applied: Vec<bool> = replicas.iter().map(|r| r.stderr().contains("applied migrations")).collect();
    assert_eq!(applied.iter().filter(|a| **a).count(), 1, "exactly one replica applies the migrations: {applied:?}");
    // They serve the same data.
    let client = reqwest::Client::new();
    let created = client
        .post(format!("{}/api/v2/zoom-oauth-apps/", replicas[0].address))
        .bearer_auth(ADMIN_TOKEN)
        .json(&serde_json::json!({"kind": "account_level", "client_id": "shared", "client_secret": "c", "webhook_secret": "w"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    for replica in &replicas {
        let list: serde_json::Value = client
            .get(format!("{}/api/v2/zoom-oauth-apps/", replica.address))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(list["results"][0]["client_id"], "shared");
    }
    for replica in &mut replicas {
        assert!(replica.terminate().success());
    }
}

#[test]
fn logs_are_one_json_object_per_line_with_the_flag() {
    use crate::helpers::process::{db_env, run_cli};
    let db = TestDb::new(Backend::Sqlite);
    for args in [&["--log-json", "migrate"][..], &["migrate", "--log-json"]] {
        let output = run_cli(db.dir.path(), &db_env(&db), args);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let stderr = String::from_utf8_lossy(&output.stderr);
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        assert!(!lines.is_empty());
        for line in lines {
            let value: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}"));
            assert!(value["level"].is_string() && value["timestamp"].is_string(), "{value}");
        }
    }
    let mut env = db_env(&db);
    env.push(("ZOOMSYNC_LOG_FORMAT".into(), "json".into()));
    let output = run_cli(db.dir.path(), &env, &["migrate"]);
    assert!(String::from_utf8_lossy(&output.stderr).lines().all(|l| l.starts_with('{')));
}
