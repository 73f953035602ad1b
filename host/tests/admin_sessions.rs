//! Admin logins against the real service over real HTTP: a session is a
//! server-side id that logging out revokes (and "log out everywhere"
//! revokes for every device); logins are throttled per client address;
//! the cookie is `Secure` when the service is served over TLS.

mod service_support;

use service_support::{TOKEN, start_service};

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Logs in with `secret`: the status and the `Set-Cookie` header.
async fn login(http: &reqwest::Client, url: &str, secret: &str) -> (u16, String) {
    let resp = http
        .post(format!("{url}/admin/login"))
        .form(&[("username", ""), ("secret", secret)])
        .send()
        .await
        .unwrap();
    let cookie = resp
        .headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (resp.status().as_u16(), cookie)
}

fn pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_string()
}

/// Whether `cookie` opens the admin pages.
async fn logged_in(http: &reqwest::Client, url: &str, cookie: &str) -> bool {
    let resp = http
        .get(format!("{url}/admin"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    resp.status().as_u16() == 200
}

async fn post(http: &reqwest::Client, url: &str, path: &str, cookie: &str) -> u16 {
    http.post(format!("{url}{path}"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logging_out_revokes_the_session_server_side() {
    let service = start_service(|_| {}).await;
    let (http, url) = (client(), service.url.clone());
    let (status, set) = login(&http, &url, TOKEN).await;
    assert_eq!(status, 303);
    assert!(!set.contains("Secure"), "plain HTTP: {set}");
    let cookie = pair(&set);
    assert!(logged_in(&http, &url, &cookie).await);
    assert_eq!(post(&http, &url, "/admin/logout", &cookie).await, 303);
    assert!(
        !logged_in(&http, &url, &cookie).await,
        "the cookie still logs in after logging out"
    );

    // Two devices; "log out everywhere" from one ends both.
    let laptop = pair(&login(&http, &url, TOKEN).await.1);
    let phone = pair(&login(&http, &url, TOKEN).await.1);
    assert_ne!(laptop, phone, "every session is its own random id");
    assert!(logged_in(&http, &url, &phone).await);
    assert_eq!(post(&http, &url, "/admin/logout-all", &laptop).await, 303);
    assert!(!logged_in(&http, &url, &phone).await);
    assert!(!logged_in(&http, &url, &laptop).await);
    service.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_are_throttled_per_address() {
    let service = start_service(|c| c.auth.login_attempts_per_minute = 5).await;
    let (http, url) = (client(), service.url.clone());
    let mut statuses = Vec::new();
    for i in 0..8 {
        statuses.push(login(&http, &url, &format!("guess-{i}")).await.0);
    }
    println!("8 wrong logins: {statuses:?}");
    assert_eq!(statuses[..5], [401; 5]);
    assert_eq!(statuses[5..], [429; 3], "{statuses:?}");
    // Even the right token waits now.
    assert_eq!(login(&http, &url, TOKEN).await.0, 429);
    service.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cookie_is_secure_when_served_over_tls() {
    let service =
        start_service(|c| c.server.public_url = "https://connect.example.com".into()).await;
    let (status, set) = login(&client(), &service.url_direct(), TOKEN).await;
    assert_eq!(status, 303);
    assert!(set.contains("; Secure"), "{set}");
    service.stop().await;
}
