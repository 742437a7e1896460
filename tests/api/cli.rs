//! `zoomsync app add|list|update|remove` against the same database the API uses.

use serde_json::Value;

use crate::both_backends;
use crate::helpers::process::{db_env, run_cli};
use crate::helpers::{TestDb, contains_secret};

both_backends! {
    async fn app_add_list_remove(backend) {
        let db = TestDb::new(backend);
        let dir = db.dir.path().to_owned();
        let mut env = db_env(&db);
        env.push(("ZOOMSYNC_APP_CLIENT_SECRET".into(), "cli-client-secret-4f9a".into()));
        env.push(("ZOOMSYNC_APP_WEBHOOK_SECRET".into(), "cli-webhook-secret-8c2d".into()));
        env.push(("ZOOMSYNC__SERVER__PUBLIC_URL".into(), "https://zoomsync.example.com".into()));

        let added = run_cli(&dir, &env, &["app", "add", "--kind", "account_level", "--client-id", "cli-app", "--name", "CLI bots", "--json"]);
        assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
        let app: Value = serde_json::from_slice(&added.stdout).unwrap();
        let id = app["id"].as_str().unwrap().to_owned();
        assert_eq!(app["kind"], "account_level");
        assert_eq!(app["name"], "CLI bots");
        assert_eq!(app["webhook_url"], format!("https://zoomsync.example.com/api/v2/zoom-oauth-apps/{id}/webhook"));

        let duplicate = run_cli(&dir, &env, &["app", "add", "--kind", "account_level", "--client-id", "cli-app"]);
        assert_eq!(duplicate.status.code(), Some(4), "a conflict exits 4: {:?} {}", duplicate.status, String::from_utf8_lossy(&duplicate.stderr));
        let invalid = run_cli(&dir, &env, &["app", "add", "--kind", "sideways", "--client-id", "x"]);
        assert_eq!(invalid.status.code(), Some(2), "invalid input exits 2: {:?} {}", invalid.status, String::from_utf8_lossy(&invalid.stderr));

        let mut quiet = env.clone();
        quiet.push(("RUST_LOG".into(), "info".into()));
        let nope = run_cli(&dir, &quiet, &["credential", "list", "--app", "nope"]);
        let said = String::from_utf8_lossy(&nope.stderr).into_owned();
        assert_eq!(nope.status.code(), Some(3), "a mistyped app is not an empty list: {said}");
        assert!(said.contains("no such app"), "{said}");
        assert!(!said.contains("schema is up to date"), "a CLI command does not report the schema at info: {said}");

        let listed = run_cli(&dir, &env, &["app", "list", "--json"]);
        assert!(listed.status.success(), "{:?} {}", listed.status, String::from_utf8_lossy(&listed.stderr));
        let apps: Value = serde_json::from_slice(&listed.stdout).unwrap();
        assert_eq!(apps.as_array().unwrap().len(), 1);
        assert_eq!(apps[0]["id"], id.as_str());
        let table = run_cli(&dir, &env, &["app", "list"]);
        let table = String::from_utf8_lossy(&table.stdout).into_owned();
        assert!(table.starts_with("ID") && table.contains(&id) && table.contains("CLI bots"), "{table}");

        // Renamed, and the name removed again; a bad name or no change at all is invalid input.
        let renamed = run_cli(&dir, &env, &["app", "update", &id, "--name", "Renamed bots", "--json"]);
        assert!(renamed.status.success(), "{}", String::from_utf8_lossy(&renamed.stderr));
        assert_eq!(serde_json::from_slice::<Value>(&renamed.stdout).unwrap()["name"], "Renamed bots");
        let listed_again = run_cli(&dir, &env, &["app", "list", "--json"]);
        assert_eq!(serde_json::from_slice::<Value>(&listed_again.stdout).unwrap()[0]["name"], "Renamed bots");
        let too_long = "n".repeat(101);
        for args in [vec!["app", "update", &id, "--name", "  "], vec!["app", "update", &id, "--name", &too_long], vec!["app", "update", &id]] {
            let refused = run_cli(&dir, &env, &args);
            assert_eq!(refused.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&refused.stderr));
        }
        let unnamed = run_cli(&dir, &env, &["app", "update", &id, "--no-name", "--json"]);
        assert!(unnamed.status.success(), "{}", String::from_utf8_lossy(&unnamed.stderr));
        assert_eq!(serde_json::from_slice::<Value>(&unnamed.stdout).unwrap()["name"], Value::Null);
        let nope = run_cli(&dir, &env, &["app", "update", "nope", "--name", "x"]);
        assert_eq!(nope.status.code(), Some(3), "an unknown app exits 3");

        for output in [&added, &listed, &duplicate] {
            for stream in [&output.stdout, &output.stderr] {
                assert!(!contains_secret(stream, "cli-client-secret-4f9a"));
                assert!(!contains_secret(stream, "cli-webhook-secret-8c2d"));
            }
        }
        assert!(!contains_secret(&db.dump(), "cli-client-secret-4f9a"));

        let removed = run_cli(&dir, &env, &["app", "remove", &id]);
        assert!(removed.status.success());
        let missing = run_cli(&dir, &env, &["app", "remove", &id]);
        assert_eq!(missing.status.code(), Some(3), "not found exits 3");
        let listed = run_cli(&dir, &env, &["app", "list", "--json"]);
        assert_eq!(serde_json::from_slice::<Value>(&listed.stdout).unwrap(), serde_json::json!([]));
    }
}

#[test]
fn config_names_the_file_on_the_command_line() {
    let db = TestDb::new(crate::helpers::Backend::Sqlite);
    let dir = db.dir.path().to_owned();
    let file = dir.join("elsewhere.toml");
    std::fs::write(
        &file,
        format!("[server]\npublic_url = \"https://from-the-flag.example.com\"\n[database]\nurl = \"{}\"\n", db.url),
    )
    .unwrap();
    // The secrets come from the environment; the rest from the named file only.
    let mut env: Vec<(String, String)> =
        db_env(&db).into_iter().filter(|(name, _)| !name.contains("DATABASE")).collect();
    env.push(("ZOOMSYNC_APP_CLIENT_SECRET".into(), "flag-client-secret".into()));
    env.push(("ZOOMSYNC_APP_WEBHOOK_SECRET".into(), "flag-webhook-secret".into()));
    let added = run_cli(
        &dir,
        &env,
        &["--config", file.to_str().unwrap(), "app", "add", "--kind", "account_level", "--client-id", "flag", "--json"],
    );
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let app: Value = serde_json::from_slice(&added.stdout).unwrap();
    assert!(app["webhook_url"].as_str().unwrap().starts_with("https://from-the-flag.example.com/"), "{app}");
    // -c after the command too (a global flag), and it wins over $ZOOMSYNC_CONFIG.
    let mut with_var = env.clone();
    with_var.push(("ZOOMSYNC_CONFIG".into(), dir.join("absent.toml").display().to_string()));
    let listed = run_cli(&dir, &with_var, &["app", "list", "--json", "-c", file.to_str().unwrap()]);
    assert!(listed.status.success(), "{}", String::from_utf8_lossy(&listed.stderr));
    // A file that is not there is a configuration error that names it, never a silent default.
    let missing = run_cli(&dir, &env, &["--config", "/nonexistent/zoomsync.toml", "app", "list"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/zoomsync.toml"));
}

#[test]
fn completions_and_man_pages_come_from_the_commands() {
    let dir = tempfile::tempdir().unwrap();
    // No configuration or database is needed: an unreadable config file does not matter.
    let env = vec![("ZOOMSYNC__DATABASE__URL".to_owned(), "postgres://nowhere.invalid/x".to_owned())];
    for shell in ["bash", "zsh", "fish"] {
        let script = run_cli(dir.path(), &env, &["completions", shell]);
        assert!(script.status.success(), "{shell}: {}", String::from_utf8_lossy(&script.stderr));
        let text = String::from_utf8_lossy(&script.stdout).into_owned();
        for word in ["zoomsync", "reencrypt", "bot-urls", "config"] {
            assert!(text.contains(word), "{shell} completion lacks {word}");
        }
    }
    let page = run_cli(dir.path(), &env, &["man"]);
    assert!(page.status.success());
    let page = String::from_utf8_lossy(&page.stdout).into_owned();
    assert!(page.starts_with(".ie") && page.contains(".TH zoomsync 1"), "{page}");
    assert!(page.contains("Exit codes"), "the page says what the exit codes mean");
    let pages = dir.path().join("man1");
    std::fs::create_dir(&pages).unwrap();
    let written = run_cli(dir.path(), &env, &["man", "--dir", pages.to_str().unwrap()]);
    assert!(written.status.success(), "{}", String::from_utf8_lossy(&written.stderr));
    for name in ["zoomsync.1", "zoomsync-serve.1", "zoomsync-app-add.1", "zoomsync-credential-remove.1"] {
        let text = std::fs::read_to_string(pages.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(text.contains(".TH"), "{name}");
    }
}
