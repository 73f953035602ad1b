//! Bad plugin files never take the service down: started with a truncated
//! `.wasm`, a component of a foreign world and a second file declaring an
//! id already loaded, the service starts, serves the good plugin, and lists
//! each bad file with its reason (API and admin page). Two files of one id
//! at two versions both load, as two versions of that plugin.

mod service_support;

use serde_json::json;
use service_support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_starts_with_bad_plugin_files_and_reports_each() {
    let plugins = tempfile::tempdir().unwrap();
    let dir = plugins.path();
    let tharstern = std::fs::read(connect_artifacts::THARSTERN).unwrap();
    std::fs::write(dir.join("a-tharstern.wasm"), &tharstern).unwrap();
    // Same id and version again, under another name.
    std::fs::write(dir.join("b-tharstern-copy.wasm"), &tharstern).unwrap();
    std::fs::write(
        dir.join("c-truncated.wasm"),
        &tharstern[..tharstern.len() / 3],
    )
    .unwrap();
    // A component of another world: the minimal plugin with its exported
    // interface renamed everywhere it is named (same length, still valid).
    let minimal = std::fs::read(connect_artifacts::MINIMAL).unwrap();
    let (from, to) = (b"connect:plugin/plugin@", b"connect:plugin/plugim@");
    let mut foreign = Vec::with_capacity(minimal.len());
    let mut rest = &minimal[..];
    while let Some(at) = rest.windows(from.len()).position(|w| w == from) {
        foreign.extend_from_slice(&rest[..at]);
        foreign.extend_from_slice(to);
        rest = &rest[at + from.len()..];
    }
    foreign.extend_from_slice(rest);
    assert_ne!(foreign, minimal, "the minimal plugin names its export");
    std::fs::write(dir.join("d-foreign.wasm"), &foreign).unwrap();
    // One id at two versions: both load, as versions of one plugin.
    std::fs::copy(connect_artifacts::MINIMAL, dir.join("e-minimal.wasm")).unwrap();
    std::fs::copy(
        connect_artifacts::MINIMAL_NEXT,
        dir.join("f-minimal-next.wasm"),
    )
    .unwrap();

    let plugins_dir = dir.to_path_buf();
    let service = start_service(move |c| c.plugins.dir = plugins_dir).await;
    let api = Api::new(&service.url);

    let answer = api.ok("GET", "/api/v1/plugins", None, 200).await;
    let ids: Vec<&str> = answer["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["id"].as_str())
        .collect();
    assert_eq!(ids, ["minimal", "tharstern"], "{answer}");
    let minimal = api.ok("GET", "/api/v1/plugins/minimal", None, 200).await;
    let versions: Vec<&str> = minimal["versions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["version"].as_str())
        .collect();
    assert_eq!(versions, ["0.1.0", "1.0.0"], "{minimal}");
    let failed = answer["failed"].as_array().expect("failed plugins listed");
    let reason = |file: &str| -> String {
        failed
            .iter()
            .find(|f| f["path"].as_str().is_some_and(|p| p.ends_with(file)))
            .unwrap_or_else(|| panic!("{file} not listed: {answer}"))["reason"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(failed.len(), 3, "{answer}");
    let duplicate = reason("b-tharstern-copy.wasm");
    assert!(
        duplicate.contains("already") && duplicate.contains("a-tharstern.wasm"),
        "{duplicate}"
    );
    assert!(reason("c-truncated.wasm").contains("c-truncated.wasm"));
    let foreign = reason("d-foreign.wasm");
    assert!(foreign.contains("not a connect plugin"), "{foreign}");

    // The good plugin serves.
    create_storefront(&api, SF).await;
    let sim = start_sim().await;
    api.ok(
        "PUT",
        &format!("/api/v1/storefronts/{SF}/plugins/{PLUGIN}/settings"),
        Some(tharstern_settings(&sim)),
        200,
    )
    .await;
    add_mappings(&api, SF, &MAPPINGS).await;
    let price = json!({"product": "business-cards", "quantity": 250});
    let quote = api
        .ok(
            "POST",
            &format!("/api/v1/storefronts/{SF}/price"),
            Some(price),
            200,
        )
        .await;
    assert_eq!(quote["handled"], true, "{quote}");

    // The operator sees them on the admin page too.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login = http
        .post(format!("{}/admin/login", service.url))
        .form(&[("username", ""), ("secret", TOKEN)])
        .send()
        .await
        .unwrap();
    let cookie = login.headers()["set-cookie"].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_string();
    let page = http
        .get(format!("{}/admin/storefronts/{SF}", service.url))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for file in [
        "b-tharstern-copy.wasm",
        "c-truncated.wasm",
        "d-foreign.wasm",
    ] {
        assert!(page.contains(file), "the admin page does not list {file}");
    }
    service.stop().await;
}
