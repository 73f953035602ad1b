//! The PostgreSQL schema: the same steps as SQLite's migrations, in
//! PostgreSQL's types (BIGINT times, BOOLEAN flags). Never edit a released
//! step: append, in both lists.

pub const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    r#"
    CREATE TABLE storefronts (
        id              TEXT PRIMARY KEY,
        name            TEXT NOT NULL,
        price_plugin    TEXT,
        stock_plugin    TEXT,
        order_plugin    TEXT,
        refresh_minutes INTEGER NOT NULL DEFAULT 1440,
        created_at      BIGINT NOT NULL
    );
    CREATE TABLE plugin_settings (
        storefront      TEXT NOT NULL REFERENCES storefronts(id) ON DELETE CASCADE,
        plugin          TEXT NOT NULL,
        enabled         BOOLEAN NOT NULL DEFAULT FALSE,
        settings        TEXT NOT NULL DEFAULT '{}',
        secrets         TEXT,
        configured_at   BIGINT,
        check_ok        BOOLEAN,
        check_summary   TEXT,
        check_at        BIGINT,
        refresh_at      BIGINT,
        refresh_ok      BOOLEAN,
        refresh_summary TEXT,
        PRIMARY KEY (storefront, plugin)
    );
    CREATE TABLE departments (
        storefront    TEXT NOT NULL REFERENCES storefronts(id) ON DELETE CASCADE,
        id            TEXT NOT NULL,
        name          TEXT NOT NULL,
        customer_code TEXT,
        PRIMARY KEY (storefront, id)
    );
    CREATE TABLE customers (
        storefront TEXT NOT NULL REFERENCES storefronts(id) ON DELETE CASCADE,
        id         TEXT NOT NULL,
        email      TEXT,
        name       TEXT,
        department TEXT,
        PRIMARY KEY (storefront, id)
    );
    -- Emails compare without case, as SQLite's COLLATE NOCASE.
    CREATE TABLE customer_links (
        storefront    TEXT NOT NULL REFERENCES storefronts(id) ON DELETE CASCADE,
        plugin        TEXT NOT NULL,
        email         TEXT NOT NULL,
        customer_code TEXT NOT NULL,
        created       BOOLEAN NOT NULL,
        linked_at     BIGINT NOT NULL
    );
    CREATE UNIQUE INDEX customer_links_key ON customer_links (storefront, plugin, lower(email));
    CREATE TABLE mappings (
        storefront    TEXT NOT NULL REFERENCES storefronts(id) ON DELETE CASCADE,
        product       TEXT NOT NULL,
        product_ref   TEXT NOT NULL,
        overrides     TEXT NOT NULL DEFAULT '{}',
        advanced_json TEXT,
        min_order_qty INTEGER,
        PRIMARY KEY (storefront, product)
    );
    CREATE TABLE orders (
        storefront       TEXT NOT NULL REFERENCES storefronts(id),
        id               TEXT NOT NULL,
        plugin           TEXT NOT NULL,
        state            TEXT NOT NULL
                         CHECK (state IN ('pending', 'delivering', 'delivered', 'failed')),
        attempts         INTEGER NOT NULL DEFAULT 0,
        next_attempt_at  BIGINT NOT NULL,
        last_error       TEXT,
        last_error_kind  TEXT,
        payload          TEXT NOT NULL,
        payload_hash     TEXT NOT NULL,
        check_stock      TEXT,
        backend_order_id TEXT,
        backend_order_no TEXT,
        customer_code    TEXT,
        job_no           TEXT,
        job_status       TEXT,
        tracking_number  TEXT,
        status_at        TEXT,
        created_at       BIGINT NOT NULL,
        updated_at       BIGINT NOT NULL,
        PRIMARY KEY (storefront, id)
    );
    CREATE INDEX orders_due ON orders (state, next_attempt_at);
    CREATE INDEX orders_backend ON orders (storefront, backend_order_id);
    CREATE TABLE order_events (
        seq        BIGSERIAL PRIMARY KEY,
        storefront TEXT NOT NULL,
        order_id   TEXT NOT NULL,
        at         BIGINT NOT NULL,
        kind       TEXT NOT NULL,
        detail     TEXT NOT NULL
    );
    CREATE INDEX order_events_order ON order_events (storefront, order_id, seq);
    "#,
    // 2: storefront API keys (SHA-256 of the key only).
    r#"
    CREATE TABLE api_keys (
        id         TEXT PRIMARY KEY,
        storefront TEXT NOT NULL REFERENCES storefronts(id) ON DELETE CASCADE,
        label      TEXT NOT NULL,
        prefix     TEXT NOT NULL,
        hash       TEXT NOT NULL UNIQUE,
        created_at BIGINT NOT NULL
    );
    CREATE INDEX api_keys_storefront ON api_keys (storefront);
    "#,
    // 3: when the status poller last asked about a delivered order.
    "ALTER TABLE orders ADD COLUMN status_polled_at BIGINT;",
    // 4: egress to private networks, per storefront.
    "ALTER TABLE storefronts ADD COLUMN allow_private_networks BOOLEAN NOT NULL DEFAULT FALSE;",
    // 5: webhook secrets, sealed.
    r#"
    CREATE TABLE webhook_secrets (
        storefront TEXT NOT NULL REFERENCES storefronts(id) ON DELETE CASCADE,
        plugin     TEXT NOT NULL,
        sealed     TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (storefront, plugin)
    );
    "#,
    // 6: mappings and department codes per plugin.
    r#"
    CREATE TABLE plugin_mappings (
        storefront    TEXT NOT NULL,
        product       TEXT NOT NULL,
        plugin        TEXT NOT NULL,
        product_ref   TEXT NOT NULL,
        overrides     TEXT NOT NULL DEFAULT '{}',
        advanced_json TEXT,
        PRIMARY KEY (storefront, product, plugin),
        FOREIGN KEY (storefront, product) REFERENCES mappings(storefront, product) ON DELETE CASCADE
    );
    CREATE TABLE department_codes (
        storefront    TEXT NOT NULL,
        department    TEXT NOT NULL,
        plugin        TEXT NOT NULL,
        customer_code TEXT NOT NULL,
        PRIMARY KEY (storefront, department, plugin),
        FOREIGN KEY (storefront, department) REFERENCES departments(storefront, id) ON DELETE CASCADE
    );
    "#,
    // 7: the plugin registry: uploaded components by content hash, the
    // plugin versions they are, and the version a storefront chose.
    r#"
    CREATE TABLE plugin_components (
        sha256      TEXT PRIMARY KEY,
        bytes       BYTEA NOT NULL,
        uploaded_at BIGINT NOT NULL
    );
    CREATE TABLE plugin_versions (
        plugin      TEXT NOT NULL,
        version     TEXT NOT NULL,
        sha256      TEXT NOT NULL REFERENCES plugin_components(sha256),
        uploaded_at BIGINT NOT NULL,
        PRIMARY KEY (plugin, version)
    );
    CREATE TABLE plugin_choices (
        storefront TEXT NOT NULL REFERENCES storefronts(id) ON DELETE CASCADE,
        plugin     TEXT NOT NULL,
        version    TEXT NOT NULL,
        chosen_at  BIGINT NOT NULL,
        PRIMARY KEY (storefront, plugin)
    );
    "#,
    // 8: several nodes. A claimed order names its node and the moment its
    // claim lapses unless renewed; named leases give one node at a time a
    // job (a storefront's catalogue refresh or status polling).
    r#"
    ALTER TABLE orders ADD COLUMN claimed_by TEXT;
    ALTER TABLE orders ADD COLUMN lease_until BIGINT;
    CREATE TABLE leases (
        name     TEXT PRIMARY KEY,
        holder   TEXT NOT NULL,
        until_ms BIGINT NOT NULL
    );
    "#,
    // 9: marks every node honours (admin sessions, webhook signatures
    // seen), by key, until a moment (Unix seconds).
    r#"
    CREATE TABLE marks (
        key   TEXT PRIMARY KEY,
        until BIGINT NOT NULL
    );
    CREATE INDEX marks_until ON marks (until);
    "#,
];
