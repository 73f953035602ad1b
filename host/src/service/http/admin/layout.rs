//! The frame every admin page shares: title, navigation, styles.

use maud::{DOCTYPE, Markup, PreEscaped, html};

const STYLE: &str = r#"
body { font: 15px/1.45 system-ui, sans-serif; margin: 0; color: #1f2933; background: #f5f7fa; }
header { background: #243b53; color: #fff; padding: .6rem 1.5rem; display: flex; align-items: center; gap: 1.5rem; }
header a { color: #fff; text-decoration: none; font-weight: 600; }
header form { margin-left: auto; }
main { max-width: 1100px; margin: 1.5rem auto; padding: 0 1.5rem; }
nav.tabs { display: flex; gap: .3rem; margin: 0 0 1rem; border-bottom: 2px solid #d9e2ec; }
nav.tabs a { padding: .45rem .9rem; text-decoration: none; color: #334e68; border-radius: 4px 4px 0 0; }
nav.tabs a.active { background: #fff; border: 2px solid #d9e2ec; border-bottom-color: #fff; margin-bottom: -2px; font-weight: 600; }
.card { background: #fff; border: 1px solid #d9e2ec; border-radius: 6px; padding: 1rem 1.25rem; margin-bottom: 1rem; }
table { border-collapse: collapse; width: 100%; background: #fff; margin-bottom: 1.25rem; }
th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #e4e7eb; vertical-align: top; }
th { background: #f0f4f8; font-weight: 600; }
label { display: block; font-weight: 600; margin-top: .8rem; }
input, select, textarea { font: inherit; padding: .35rem .5rem; border: 1px solid #bcccdc; border-radius: 4px; min-width: 18rem; }
input[type=checkbox] { min-width: 0; }
textarea { width: 100%; min-height: 5rem; font-family: ui-monospace, monospace; }
button { font: inherit; padding: .4rem .9rem; border-radius: 4px; border: 1px solid #334e68; background: #334e68; color: #fff; cursor: pointer; margin-top: .8rem; }
button.secondary { background: #fff; color: #334e68; }
.help { color: #627d98; font-size: .88rem; margin: .15rem 0 0; }
.field-error { color: #c81e1e; font-weight: 600; margin: .2rem 0 0; }
.flash { padding: .6rem .9rem; border-radius: 4px; margin-bottom: 1rem; }
.flash.ok, .check-ok { background: #e3f9e5; border: 1px solid #31c48d; color: #03543f; }
.flash.error, .check-failed { background: #fde8e8; border: 1px solid #f98080; color: #9b1c1c; }
.check-ok, .check-failed { padding: .6rem .9rem; border-radius: 4px; margin: .6rem 0; }
.state-delivered { color: #03543f; font-weight: 600; }
.state-failed { color: #9b1c1c; font-weight: 600; }
.state-pending, .state-delivering { color: #8a6d00; font-weight: 600; }
.muted { color: #829ab1; }
.inline { display: inline; }
code { background: #f0f4f8; padding: 0 .25rem; border-radius: 3px; }
"#;

/// The tabs of a storefront's pages.
#[derive(Clone, Copy, PartialEq)]
pub enum Tab {
    Connect,
    Plugins,
    Departments,
    Mappings,
    Orders,
    Keys,
}

pub fn page(title: &str, storefront: Option<(&str, Tab)>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · connect admin" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    a href="/admin" { "connect · admin" }
                    a #plugins-link href="/admin/plugins" { "Plugins" }
                    @if let Some((sf, _)) = storefront { span { "Storefront " strong #storefront-name { (sf) } } }
                    form method="post" action="/admin/logout" { button.secondary #logout type="submit" style="margin:0" { "Log out" } }
                    form method="post" action="/admin/logout-all" { button.secondary #logout-all type="submit" style="margin:0" title="Ends every admin session, on every device" { "Log out everywhere" } }
                }
                main {
                    @if let Some((sf, tab)) = storefront {
                        nav.tabs {
                            (tab_link(sf, "", "Connect settings", tab == Tab::Connect))
                            (tab_link(sf, "/plugins", "Connect plugins", tab == Tab::Plugins))
                            (tab_link(sf, "/departments", "Departments", tab == Tab::Departments))
                            (tab_link(sf, "/mappings", "Product mappings", tab == Tab::Mappings))
                            (tab_link(sf, "/orders", "Orders", tab == Tab::Orders))
                            (tab_link(sf, "/keys", "API keys", tab == Tab::Keys))
                        }
                    }
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

fn tab_link(sf: &str, path: &str, label: &str, active: bool) -> Markup {
    html! {
        a class=[active.then_some("active")] href={ "/admin/storefronts/" (sf) (path) } { (label) }
    }
}

/// A message at the top of a page.
pub fn flash(ok: bool, message: &str) -> Markup {
    html! { div class={ "flash " @if ok { "ok" } @else { "error" } } { (message) } }
}
