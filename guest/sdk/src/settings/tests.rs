//! One table drives the schema and the validation.

use super::*;

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn upper(v: &str) -> Result<String, String> {
    Ok(v.to_ascii_uppercase())
}

const SCHEMA: &[Setting] = &[
    Setting {
        key: "url",
        label: "URL",
        kind: SettingKind::Url,
        required: true,
        ..Setting::DEFAULT
    },
    Setting {
        key: "key",
        label: "API key",
        kind: SettingKind::Password,
        required: true,
        missing: Some("the API key is required"),
        ..Setting::DEFAULT
    },
    Setting {
        key: "size",
        label: "Page size",
        kind: SettingKind::Integer,
        default: Some("50"),
        min: Some(1),
        max: Some(500),
        unit: "items",
        ..Setting::DEFAULT
    },
    Setting {
        key: "live",
        label: "Live",
        kind: SettingKind::Boolean,
        default: Some("false"),
        ..Setting::DEFAULT
    },
    Setting {
        key: "mode",
        label: "Mode",
        kind: SettingKind::Choice,
        choices: &["Fast", "Very careful"],
        default: Some("Fast"),
        ..Setting::DEFAULT
    },
    Setting {
        key: "kinds",
        label: "Kinds",
        kind: SettingKind::MultiChoice,
        choices: &["A", "B", "C"],
        ..Setting::DEFAULT
    },
    Setting {
        key: "code",
        label: "Code",
        normalise: Some(upper),
        ..Setting::DEFAULT
    },
    Setting {
        key: "extra",
        label: "Extra",
        kind: SettingKind::Json,
        ..Setting::DEFAULT
    },
    Setting {
        key: "hook",
        label: "Hook secret",
        secret: true,
        ..Setting::DEFAULT
    },
];

#[test]
fn the_table_is_the_schema() {
    let specs = specs(SCHEMA);
    assert_eq!(specs.len(), SCHEMA.len());
    let key = &specs[1];
    assert!(key.secret && key.required && key.kind == SettingKind::Password);
    assert!(specs[8].secret);
    assert_eq!((specs[2].min, specs[2].max), (Some(1), Some(500)));
    assert_eq!(specs[2].default_value.as_deref(), Some("50"));
    assert_eq!(specs[4].choices, ["Fast", "Very careful"]);
}

#[test]
fn values_are_normalised_and_defaults_filled() {
    let v = configure(
        SCHEMA,
        &pairs(&[
            ("url", " https://x.example/api "),
            ("key", " spaced key "),
            ("size", " 0120 "),
            ("live", "Yes"),
            ("mode", "very_careful"),
            ("kinds", "c, a,C"),
            ("code", "ab"),
            ("hook", "   "),
        ]),
    )
    .unwrap();
    assert_eq!(v.get("url"), Some("https://x.example/api"));
    assert_eq!(v.get("key"), Some(" spaced key "));
    assert_eq!(v.integer("size"), 120);
    assert_eq!(v.get("size"), Some("120"));
    assert!(v.flag("live"));
    assert_eq!(v.get("mode"), Some("Very careful"));
    assert_eq!(v.list("kinds"), ["A", "C"]);
    assert_eq!(v.get("code"), Some("AB"));
    assert_eq!(v.get("extra"), None);
    assert_eq!(v.get("hook"), None, "a blank optional secret is unset");
    let keys: Vec<&str> = v.pairs().iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        ["url", "key", "size", "live", "mode", "kinds", "code"]
    );
    assert!(!format!("{v:?}").contains("spaced"));
    // Normalising is idempotent.
    assert_eq!(configure(SCHEMA, v.pairs()).unwrap(), v);
}

#[test]
fn every_problem_is_reported_at_once() {
    let errs = configure(
        SCHEMA,
        &pairs(&[
            ("url", "ftp://x"),
            ("size", "501"),
            ("live", "maybe"),
            ("mode", "slow"),
            ("kinds", "A,Z"),
            ("extra", "{"),
            ("colour", "blue"),
            ("url", "https://again"),
        ]),
    )
    .unwrap_err();
    let msg = |k: &str| -> Vec<&str> {
        errs.iter()
            .filter(|e| e.key == k)
            .map(|e| e.message.as_str())
            .collect()
    };
    assert!(msg("colour")[0].starts_with("unknown setting `colour`"));
    assert_eq!(msg("url").len(), 2, "{errs:?}");
    assert_eq!(msg("key"), ["the API key is required"]);
    assert_eq!(
        msg("size"),
        ["501 is out of range; enter a whole number of items from 1 to 500"]
    );
    assert_eq!(
        msg("live"),
        ["`maybe` is not a boolean; enter true or false"]
    );
    assert_eq!(
        msg("mode"),
        ["`slow` is not a choice; choose one of: Fast, Very careful"]
    );
    assert_eq!(
        msg("kinds"),
        ["unknown choice(s) Z; choose among A, B, C (comma-separated)"]
    );
    assert!(msg("extra")[0].starts_with("is not valid JSON"));
    let e = for_init(configure(SCHEMA, &[]).map(Values::into_pairs)).unwrap_err();
    assert!(
        matches!(e, PluginError::Configuration(m) if m.contains("url: URL is required") && m.contains("key: the API key is required"))
    );
}

#[test]
fn emails() {
    assert!(looks_like_email("api@printer.example"));
    for bad in [
        "api",
        "@x.example",
        "a@b",
        "a@.b.c",
        "a b@c.example",
        "a@b@c.example",
    ] {
        assert!(!looks_like_email(bad), "{bad}");
    }
}

#[test]
fn values_fill_the_connectors_own_settings_type() {
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Mine {
        url: String,
        size: u32,
        live: bool,
        #[serde(default)]
        kinds: Vec<String>,
        code: Option<String>,
    }
    let input = pairs(&[
        ("url", "https://x.example"),
        ("key", "k"),
        ("kinds", "A, C"),
    ]);
    let v = configure(SCHEMA, &input).unwrap();
    let mine: Mine = v.parse(SCHEMA).unwrap();
    let kinds = vec!["A".to_string(), "C".to_string()];
    let want = Mine {
        url: "https://x.example".into(),
        size: 50,
        live: false,
        kinds,
        code: None,
    };
    assert_eq!(mine, want);
    // A type that does not fit the schema is a bug of the connector: said so.
    let e = v.parse::<(u32,)>(SCHEMA).unwrap_err();
    assert!(matches!(e, PluginError::Internal(m) if m.contains("settings type")));
}
