//! Configuration: environment overrides, validation, backoff.

use super::env::apply_env;
use super::*;

#[test]
fn env_overrides_are_typed() {
    let mut table: toml::Table = "[outbox]\nmax_attempts = 3\n".parse().unwrap();
    let vars = [
        ("CONNECT_OUTBOX_MAX_ATTEMPTS", "5"),
        ("CONNECT_SERVER_LISTEN", "0.0.0.0:9000"),
        ("CONNECT_PLUGINS_DIR_UNRELATED", "x"),
        ("CONNECT_SERVER_OUTGOING_IPS", "203.0.113.7, 2001:db8::/64"),
        ("HOME", "/root"),
    ]
    .map(|(k, v)| (k.to_string(), v.to_string()));
    apply_env(&mut table, vars.into_iter()).unwrap();
    let config: Config = toml::Value::Table(table).try_into().unwrap();
    assert_eq!(config.outbox.max_attempts, 5);
    assert_eq!(config.server.listen.port(), 9000);
    assert_eq!(config.server.outgoing_ips, ["203.0.113.7", "2001:db8::/64"]);
    config.validate().unwrap();
    let mut bad = config;
    bad.server.outgoing_ips.push("example.com".into());
    assert!(
        bad.validate()
            .unwrap_err()
            .to_string()
            .contains("example.com")
    );
}

#[test]
fn the_cache_url_comes_from_the_environment_and_prints_without_its_password() {
    let vars = [("CONNECT_CACHE_URL", "redis://:s3cret@cache:6379/1")]
        .map(|(k, v)| (k.to_string(), v.to_string()));
    let mut table = toml::Table::new();
    apply_env(&mut table, vars.into_iter()).unwrap();
    let config: Config = toml::Value::Table(table).try_into().unwrap();
    assert_eq!(config.cache.url, "redis://:s3cret@cache:6379/1");
    let shown = config.redacted_toml();
    assert!(
        shown.contains("url = \"redis://:***@cache:6379/1\""),
        "{shown}"
    );
    assert!(!shown.contains("s3cret"), "{shown}");
}

#[test]
fn the_store_url_comes_from_the_environment_and_prints_without_its_password() {
    let vars = [(
        "CONNECT_STORE_URL",
        "postgres://connect:s3cret@db:5432/connect",
    )]
    .map(|(k, v)| (k.to_string(), v.to_string()));
    let mut table = toml::Table::new();
    apply_env(&mut table, vars.into_iter()).unwrap();
    let config: Config = toml::Value::Table(table).try_into().unwrap();
    assert_eq!(
        config.store.url,
        "postgres://connect:s3cret@db:5432/connect"
    );
    let shown = config.redacted_toml();
    assert!(
        shown.contains("url = \"postgres://connect:***@db:5432/connect\""),
        "{shown}"
    );
    assert!(!shown.contains("s3cret"), "{shown}");
}

#[test]
fn bad_env_value_is_named() {
    let vars = [(
        "CONNECT_OUTBOX_MAX_ATTEMPTS".to_string(),
        "many".to_string(),
    )];
    let err = apply_env(&mut toml::Table::new(), vars.into_iter()).unwrap_err();
    assert!(err.to_string().contains("CONNECT_OUTBOX_MAX_ATTEMPTS"));
}

#[test]
fn backoff_is_capped_and_grows() {
    let c = OutboxConfig {
        initial_backoff_ms: 100,
        max_backoff_ms: 1000,
        ..OutboxConfig::default()
    };
    assert_eq!(c.backoff(1, 1.0), Duration::from_millis(100));
    assert_eq!(c.backoff(2, 1.0), Duration::from_millis(200));
    assert_eq!(c.backoff(10, 1.0), Duration::from_millis(1000));
    assert_eq!(c.backoff(10, 0.0), Duration::from_millis(500));
}
