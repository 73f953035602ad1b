//! One conformance suite (`connect_host::service::store::conformance`)
//! against every store backend: SQLite (a file in a temp dir, opened twice:
//! two nodes) and PostgreSQL, a real server started per test on a free
//! loopback port (the test fails, saying what to install, when PostgreSQL
//! is missing), with two stores (two nodes) on one database.

use std::any::Any;
use std::sync::Arc;

use connect_host::service::store::conformance::{self, Subject};
use connect_host::service::store::postgres::PostgresStore;
use connect_host::service::store::sqlite::SqliteStore;
use test_servers::PostgresServer;

type Guard = Box<dyn Any + Send>;

async fn sqlite() -> (Subject, Guard) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("connect.sqlite");
    let subject = Subject {
        name: "sqlite",
        a: Arc::new(SqliteStore::open(&path).unwrap()),
        b: Arc::new(SqliteStore::open(&path).unwrap()),
    };
    (subject, Box::new(dir))
}

async fn postgres() -> (Subject, Guard) {
    let server = tokio::task::spawn_blocking(PostgresServer::start)
        .await
        .unwrap();
    let url = server.new_database("conformance");
    // Two nodes starting at once: migrations must not trip over each other.
    let (a, b) = tokio::join!(
        PostgresStore::open(&url, "(test)", 8),
        PostgresStore::open(&url, "(test)", 8)
    );
    let subject = Subject {
        name: "postgres",
        a: Arc::new(a.unwrap()),
        b: Arc::new(b.unwrap()),
    };
    (subject, Box::new(server))
}

macro_rules! suite {
    ($backend:ident: $($case:ident),* $(,)?) => {
        mod $backend {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let (subject, _guard) = super::$backend().await;
                    conformance::$case(&subject).await;
                }
            )*
        }
    };
}

macro_rules! every_backend {
    ($($backend:ident),*) => {
        $(suite!($backend:
            storefronts_round_trip,
            settings_round_trip,
            orders_round_trip,
            recover_puts_deliveries_back,
            two_claimers_never_share_an_order,
            lapsed_claims_move_to_another_node,
            leases_have_one_holder,
            changes_reach_other_nodes,
            marks_are_shared,
        );)*
    };
}

every_backend!(sqlite, postgres);
