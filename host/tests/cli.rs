//! The `connect-host` binary as a plugin author uses it: `inspect` and
//! `call` on the real Tharstern component.

use std::process::{Command, Output};

fn connect_host(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_connect-host"))
        .args(args)
        .env(
            "CONNECT_PRECOMPILED_DIR",
            connect_artifacts::PRECOMPILED_DIR,
        )
        .env_remove("RUST_LOG")
        .output()
        .expect("running connect-host")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const GOOD: &[&str] = &[
    "-s",
    "api_url=http://127.0.0.1:1",
    "-s",
    "email=api@example.com",
    "-s",
    "password=hunter2-secret",
    "-s",
    "application_id=CLI-TEST",
    "-s",
    "customer_code=WEBSHOP",
];

#[test]
fn inspect_json_prints_the_full_settings_schema() {
    let out = connect_host(&["inspect", connect_artifacts::THARSTERN, "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(info["id"], "tharstern");
    assert!(info["version"].as_str().is_some_and(|v| !v.is_empty()));
    assert_eq!(info["endpoint_setting"], "api_url");
    assert_eq!(info["contract"], "connect:plugin@0.2.0");
    let caps: Vec<&str> = info["capabilities"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c.as_str())
        .collect();
    for cap in ["Price", "Stock", "Orders", "Catalogue", "Webhooks"] {
        assert!(caps.contains(&cap), "missing capability {cap} in {caps:?}");
    }
    let settings = info["settings"].as_array().unwrap();
    let setting = |key: &str| {
        settings
            .iter()
            .find(|s| s["key"] == key)
            .unwrap_or_else(|| panic!("no setting {key}"))
    };
    for key in [
        "api_url",
        "email",
        "password",
        "application_id",
        "customer_code",
        "cache_refresh_minutes",
        "product_type_filter",
        "send_price",
        "use_external_id_as_customer_code",
        "minimum_order_stock_check",
    ] {
        let s = setting(key);
        assert!(
            s["label"].as_str().is_some_and(|l| !l.is_empty()),
            "{key} has no label"
        );
        assert!(
            s["help"].as_str().is_some_and(|h| !h.is_empty()),
            "{key} has no help"
        );
    }
    assert_eq!(setting("password")["secret"], true);
    assert_eq!(setting("api_url")["required"], true);
    assert_eq!(setting("cache_refresh_minutes")["default_value"], "1440");
    assert_eq!(
        setting("product_type_filter")["default_value"],
        "Finished,None"
    );
    assert_eq!(
        setting("send_price")["choices"],
        serde_json::json!(["Never", "Always", "With logic"])
    );
    assert!(info["sha256"].as_str().is_some_and(|h| h.len() == 64));
}

#[test]
fn inspect_text_is_readable() {
    let out = connect_host(&["inspect", connect_artifacts::THARSTERN]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("capabilities: price, stock, orders, catalogue, webhooks"),
        "{stdout}"
    );
    assert!(
        stdout.contains("password") && stdout.contains("secret"),
        "{stdout}"
    );
    assert!(
        stdout.contains("contract: connect:plugin@0.2.0"),
        "{stdout}"
    );
}

#[test]
fn inspect_names_each_plugins_contract_version() {
    let out = connect_host(&["inspect", connect_artifacts::ROGUE, "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(info["contract"], "connect:plugin@0.1.0");
}

#[test]
fn bad_settings_print_every_field_error_and_exit_non_zero() {
    let out = connect_host(&[
        "call",
        connect_artifacts::THARSTERN,
        "-s",
        "api_url=ftp://mis.example.com",
        "-s",
        "email=not-an-email",
        "-s",
        "cache_refresh_minutes=0",
        "-s",
        "send_price=Sometimes",
        "configure",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    for field in [
        "api_url:",
        "email:",
        "password:",
        "application_id:",
        "customer_code:",
        "cache_refresh_minutes:",
        "send_price:",
    ] {
        assert!(stderr.contains(field), "no error for {field} in:\n{stderr}");
    }
    // A non-configure function stops at the same validation.
    let out = connect_host(&[
        "call",
        connect_artifacts::THARSTERN,
        "-s",
        "api_url=x",
        "check-connection",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn good_settings_configure_and_secrets_stay_hidden() {
    let mut args = vec!["call", connect_artifacts::THARSTERN];
    args.extend(
        GOOD.iter()
            .map(|a| a.replace("http://127.0.0.1:1", "https://mis.example.com:8443"))
            .map(|a| &*a.leak()),
    );
    args.push("configure");
    let out = connect_host(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let settings: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        settings["api_url"],
        "https://mis.example.com:8443/TharsternAPI/api/"
    );
    assert_eq!(settings["cache_refresh_minutes"], "1440");
    assert_eq!(settings["password"], "(set)");
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(
        !all.contains("hunter2-secret"),
        "the password leaked:\n{all}"
    );
}

#[test]
fn a_bad_call_is_a_clear_error() {
    let mut args = vec!["call", connect_artifacts::THARSTERN];
    args.extend_from_slice(GOOD);
    args.extend_from_slice(&["price", "{not json"]);
    let out = connect_host(&args);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("not valid JSON"),
        "{}",
        text(&out.stderr)
    );

    let mut args = vec!["call", connect_artifacts::THARSTERN];
    args.extend_from_slice(GOOD);
    args.push("fly-to-the-moon");
    let out = connect_host(&args);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("fly-to-the-moon"),
        "{}",
        text(&out.stderr)
    );
}

/// `call ... check-connection` against a running simulator: a success report,
/// and three different diagnoses for a wrong password, a wrong port and an
/// endpoint that is not on the allow-list.
#[test]
fn check_connection_from_the_cli_reports_success_and_precise_failures() {
    let sim = tharstern_sim::Simulator::builder()
        .demo_data()
        .start_in_background()
        .expect("simulator");
    let api = format!("api_url=http://{}", sim.addr());
    let password = format!("password={}", tharstern_sim::DEMO_API_PASSWORD);
    let email = format!("email={}", tharstern_sim::DEMO_API_EMAIL);
    let run = |overrides: &[&str], extra: &[&str]| {
        let mut args: Vec<String> = vec!["call".into(), connect_artifacts::THARSTERN.into()];
        for setting in [
            api.as_str(),
            email.as_str(),
            password.as_str(),
            "application_id=CLI-CHECK",
            "customer_code=WEBSHOP",
        ] {
            let key = setting.split('=').next().unwrap();
            let chosen = overrides
                .iter()
                .find(|o| o.starts_with(&format!("{key}=")))
                .copied()
                .unwrap_or(setting);
            args.extend(["-s".into(), chosen.into()]);
        }
        args.extend(extra.iter().map(|s| s.to_string()));
        // The simulator listens on 127.0.0.1.
        args.push("--allow-private-networks".into());
        args.push("check-connection".into());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        connect_host(&args)
    };

    let ok = run(&[], &[]);
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    let report: serde_json::Value = serde_json::from_slice(&ok.stdout).expect("a JSON report");
    assert!(
        report["summary"].as_str().is_some_and(|s| !s.is_empty()),
        "{report}"
    );
    assert!(
        report["checks"].as_array().is_some_and(|c| c.len() >= 3),
        "{report}"
    );

    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let wrong_port = format!("api_url=http://127.0.0.1:{closed_port}");
    let failures = [
        (
            "wrong password",
            run(&["password=not-the-password"], &[]),
            "error[authentication]",
        ),
        (
            "wrong port",
            run(&[wrong_port.as_str()], &[]),
            "error[unreachable]",
        ),
        (
            "not allowed",
            run(&[], &["--allow", "http://127.0.0.1:1"]),
            "error[configuration]",
        ),
    ];
    let mut diagnoses = std::collections::HashSet::new();
    for (case, out, prefix) in &failures {
        assert_eq!(out.status.code(), Some(1), "{case}: {}", text(&out.stderr));
        let stderr = text(&out.stderr);
        let line = stderr
            .lines()
            .find(|l| l.starts_with("error["))
            .unwrap_or_else(|| panic!("{case}: no error line in {stderr}"));
        assert!(line.starts_with(prefix), "{case}: {line}");
        assert!(
            !stderr.contains("not-the-password"),
            "{case}: the password leaked"
        );
        diagnoses.insert(line.to_owned());
    }
    assert_eq!(
        diagnoses.len(),
        3,
        "the three diagnoses must differ: {diagnoses:#?}"
    );
}
