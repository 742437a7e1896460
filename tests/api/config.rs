//! Configuration: the documented example stays true to the code, and bad configuration stops
//! start-up with a message that names the key.

use std::collections::BTreeMap;

use serde_json::Value;
use zoomsync::config::Config;

use crate::helpers::process::{command, run_cli};

/// The example with every `# key = value` line under a `[section]` uncommented.
fn example_keys() -> BTreeMap<String, toml::Value> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/zoomsync.example.toml");
    let text = std::fs::read_to_string(path).unwrap();
    let mut section = None;
    let mut uncommented = String::new();
    let mut keys = BTreeMap::new();
    for line in text.lines() {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = Some(name.to_owned());
            uncommented.push_str(line);
            uncommented.push('\n');
        } else if let (Some(section), Some(assignment)) = (&section, line.strip_prefix("# ")) {
            let Some((key, value)) = assignment.split_once(" = ") else { continue };
            if key.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                let value: toml::Value = toml::from_str::<toml::Table>(&format!("v = {value}")).unwrap()["v"].clone();
                assert!(keys.insert(format!("{section}.{key}"), value).is_none(), "{section}.{key} twice");
                uncommented.push_str(assignment);
                uncommented.push('\n');
            }
        }
    }
    // Every documented key is one the daemon accepts.
    let parsed: Result<Config, _> = toml::from_str(&uncommented);
    assert!(parsed.is_ok(), "the example has keys the code refuses: {:?}", parsed.err());
    keys
}

#[test]
fn the_example_documents_every_key_with_its_default() {
    let documented = example_keys();
    let Value::Object(sections) = serde_json::to_value(Config::default()).unwrap() else { panic!() };
    let mut actual = BTreeMap::new();
    for (section, keys) in sections {
        let Value::Object(keys) = keys else { panic!("{section}") };
        for (key, default) in keys {
            actual.insert(format!("{section}.{key}"), default);
        }
    }
    let documented_names: Vec<&String> = documented.keys().collect();
    let actual_names: Vec<&String> = actual.keys().collect();
    assert_eq!(documented_names, actual_names, "config/zoomsync.example.toml and the Config struct disagree");
    for (key, default) in &actual {
        if default.is_null() {
            continue; // Secrets with no default: the example shows a placeholder.
        }
        let example = serde_json::to_value(&documented[key]).unwrap();
        assert_eq!(&example, default, "{key}: the example's value is not the default");
    }
}

fn refused(env: &[(&str, &str)], file: Option<&str>) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut env: Vec<(String, String)> = env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    env.push(("ZOOMSYNC__DATABASE__URL".into(), format!("sqlite://{}/db.sqlite", dir.path().display())));
    if let Some(text) = file {
        let path = dir.path().join("custom.toml");
        std::fs::write(&path, text).unwrap();
        env.push(("ZOOMSYNC_CONFIG".into(), path.display().to_string()));
    }
    let output = run_cli(dir.path(), &env, &["serve"]);
    assert!(!output.status.success(), "start-up should have been refused");
    assert_eq!(output.status.code(), Some(2));
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn bad_configuration_stops_start_up_naming_the_key() {
    let message = refused(&[("ZOOMSYNC__SERVER__BND", "127.0.0.1:1")], None);
    assert!(message.contains("server.bnd") && message.contains("ZOOMSYNC__SERVER__BND"), "{message}");

    let message = refused(&[("ZOOMSYNC__WEBHOOK__MAX_SKEW_SECONDS", "soon")], None);
    assert!(message.contains("webhook.max_skew_seconds"), "{message}");

    let message = refused(&[("ZOOMSYNC__SYNC__SCHEDULE", "every tuesday")], None);
    assert!(message.contains("sync.schedule"), "{message}");

    let message = refused(&[("ZOOMSYNC__SECURITY__ENCRYPTION_KEY", "c2hvcnQ=")], None);
    assert!(message.contains("security.encryption_key"), "{message}");
    assert!(!message.contains("c2hvcnQ="), "the refused key must not be echoed: {message}");

    let message = refused(&[("ZOOMSYNC__ZOOM__PLAN_LIMITS", "platinum")], None);
    assert!(message.contains("zoom.plan_limits"), "{message}");

    let message = refused(&[], Some("[server]\nbind = \"127.0.0.1:9\"\ncolour = \"blue\"\n"));
    assert!(message.contains("server.colour") && message.contains("custom.toml"), "{message}");

    let message = refused(&[], Some("[webhook]\nmax_skew_seconds = \"soon\"\n"));
    assert!(message.contains("webhook.max_skew_seconds"), "{message}");

    let message = refused(&[("ZOOMSYNC__SERVER__PUBLIC_URL", "ftp://example.com")], None);
    assert!(message.contains("server.public_url"), "{message}");
}

#[test]
fn postgres_without_configured_secrets_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let env = vec![("ZOOMSYNC__DATABASE__URL".to_owned(), crate::helpers::db::postgres_base_url())];
    let output = run_cli(dir.path(), &env, &["migrate"]);
    assert_eq!(output.status.code(), Some(2));
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains("security.admin_token") && message.contains("PostgreSQL"), "{message}");
}

#[test]
fn every_command_documents_itself() {
    let dir = tempfile::tempdir().unwrap();
    for args in [&["--help"][..], &["serve", "--help"], &["app", "add", "--help"], &["migrate", "--help"]] {
        let output = command(dir.path()).args(args).output().unwrap();
        assert!(output.status.success(), "{args:?}");
        assert!(String::from_utf8_lossy(&output.stdout).contains("Usage"), "{args:?}");
    }
}
