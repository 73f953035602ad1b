//! The SQLite schema, by `PRAGMA user_version`. Never edit a released
//! migration: append (and add the same step to the PostgreSQL list).

/// In order; a database made by any earlier connect-host opens with them.
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
        created_at      INTEGER NOT NULL
    );
    -- One row per plugin a storefront enabled or configured.
    CREATE TABLE plugin_settings (
        storefront     TEXT NOT NULL REFERENCES storefronts(id) ON DELETE CASCADE,
        plugin         TEXT NOT NULL,
        enabled        INTEGER NOT NULL DEFAULT 0,
        settings       TEXT NOT NULL DEFAULT '{}', -- non-secret values (JSON object)
        secrets        TEXT,                       -- secret values, encrypted
        configured_at  INTEGER,
        check_ok       INTEGER,
        check_summary  TEXT,
        check_at       INTEGER,
        refresh_at     INTEGER,
        refresh_ok     INTEGER,
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
    -- Backend customers a plugin found or created for a storefront user.
    CREATE TABLE customer_links (
        storefront    TEXT NOT NULL REFERENCES storefronts(id) ON DELETE CASCADE,
        plugin        TEXT NOT NULL,
        email         TEXT NOT NULL COLLATE NOCASE,
        customer_code TEXT NOT NULL,
        created       INTEGER NOT NULL,
        linked_at     INTEGER NOT NULL,
        PRIMARY KEY (storefront, plugin, email)
    );
    CREATE TABLE mappings (
        storefront    TEXT NOT NULL REFERENCES storefronts(id) ON DELETE CASCADE,
        product       TEXT NOT NULL,
        product_ref   TEXT NOT NULL,
        overrides     TEXT NOT NULL DEFAULT '{}',
        advanced_json TEXT,
        min_order_qty INTEGER,
        PRIMARY KEY (storefront, product)
    );
    -- The order outbox and the orders' state.
    CREATE TABLE orders (
        storefront       TEXT NOT NULL REFERENCES storefronts(id),
        id               TEXT NOT NULL,
        plugin           TEXT NOT NULL,
        state            TEXT NOT NULL, -- pending | delivering | delivered | failed
        attempts         INTEGER NOT NULL DEFAULT 0,
        next_attempt_at  INTEGER NOT NULL,
        last_error       TEXT,
        last_error_kind  TEXT,
        payload          TEXT NOT NULL, -- the order as the plugin receives it (JSON)
        payload_hash     TEXT NOT NULL,
        check_stock      TEXT,          -- JSON [[product_ref, minimum], ...] or NULL
        backend_order_id TEXT,
        backend_order_no TEXT,
        customer_code    TEXT,
        job_no           TEXT,
        job_status       TEXT,
        tracking_number  TEXT,
        status_at        TEXT,
        created_at       INTEGER NOT NULL,
        updated_at       INTEGER NOT NULL,
        PRIMARY KEY (storefront, id)
    );
    CREATE INDEX orders_due ON orders (state, next_attempt_at);
    CREATE INDEX orders_backend ON orders (storefront, backend_order_id);
    CREATE TABLE order_events (
        seq        INTEGER PRIMARY KEY AUTOINCREMENT,
        storefront TEXT NOT NULL,
        order_id   TEXT NOT NULL,
        at         INTEGER NOT NULL,
        kind       TEXT NOT NULL,
        detail     TEXT NOT NULL
    );
    CREATE INDEX order_events_order ON order_events (storefront, order_id, seq);
    "#,
    // 2: storefront API keys. Only the SHA-256 of a key is stored: keys are
    // long random tokens, so a plain hash is enough and a lookup is cheap.
    r#"
    CREATE TABLE api_keys (
        id         TEXT PRIMARY KEY,
        storefront TEXT NOT NULL REFERENCES storefronts(id) ON DELETE CASCADE,
        label      TEXT NOT NULL,
        prefix     TEXT NOT NULL, -- the key's first characters, to recognise it
        hash       TEXT NOT NULL UNIQUE, -- hex SHA-256 of the whole key
        created_at INTEGER NOT NULL
    );
    CREATE INDEX api_keys_storefront ON api_keys (storefront);
    "#,
    // 3: when the status poller last asked about a delivered order.
    r#"
    ALTER TABLE orders ADD COLUMN status_polled_at INTEGER;
    "#,
    // 4: whether a storefront's plugins may reach loopback and private
    // networks (an on-premises back office); off for every storefront.
    r#"
    ALTER TABLE storefronts ADD COLUMN allow_private_networks INTEGER NOT NULL DEFAULT 0;
    "#,
    // 5: webhook secrets per storefront and plugin, sealed like secret
    // settings (the host needs the secret itself to check signatures).
    r#"
    CREATE TABLE webhook_secrets (
        storefront TEXT NOT NULL REFERENCES storefronts(id) ON DELETE CASCADE,
        plugin     TEXT NOT NULL,
        sealed     TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (storefront, plugin)
    );
    "#,
    // 6: mappings and department customer codes per plugin (a storefront
    // may price with one plugin and order with another). The existing rows
    // stay the default for every plugin.
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
    // 7: the plugin registry (`registry`): uploaded components by content
    // hash, the plugin versions they are, and the version a storefront
    // chose (no row: the newest).
    r#"
    CREATE TABLE plugin_components (
        sha256      TEXT PRIMARY KEY,
        bytes       BLOB NOT NULL,
        uploaded_at INTEGER NOT NULL
    );
    CREATE TABLE plugin_versions (
        plugin      TEXT NOT NULL,
        version     TEXT NOT NULL,
        sha256      TEXT NOT NULL REFERENCES plugin_components(sha256),
        uploaded_at INTEGER NOT NULL,
        PRIMARY KEY (plugin, version)
    );
    CREATE TABLE plugin_choices (
        storefront TEXT NOT NULL REFERENCES storefronts(id) ON DELETE CASCADE,
        plugin     TEXT NOT NULL,
        version    TEXT NOT NULL,
        chosen_at  INTEGER NOT NULL,
        PRIMARY KEY (storefront, plugin)
    );
    "#,
    // 8: several nodes. A claimed order names its node and the moment its
    // claim lapses unless renewed; named leases give one node at a time a
    // job (a storefront's catalogue refresh or status polling).
    r#"
    ALTER TABLE orders ADD COLUMN claimed_by TEXT;
    ALTER TABLE orders ADD COLUMN lease_until INTEGER;
    CREATE TABLE leases (
        name     TEXT PRIMARY KEY,
        holder   TEXT NOT NULL,
        until_ms INTEGER NOT NULL
    );
    "#,
    // 9: marks every node honours (admin sessions, webhook signatures
    // seen), by key, until a moment (Unix seconds).
    r#"
    CREATE TABLE marks (
        key   TEXT PRIMARY KEY,
        until INTEGER NOT NULL
    );
    CREATE INDEX marks_until ON marks (until);
    "#,
];
