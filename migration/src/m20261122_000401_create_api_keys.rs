//! API keys: named bearer secrets with a role, stored only as a SHA-256 digest.
crate::sql_migration!(
    up: r#"
            CREATE TABLE api_keys (
                id            serial PRIMARY KEY,
                -- names identify keys in the audit log, so a revoked key keeps its name
                name          text NOT NULL UNIQUE CHECK (name <> '' AND name = btrim(name)),
                role          text NOT NULL CHECK (role IN ('ADMIN', 'EDITOR', 'PARTNER')),
                -- SHA-256 of the secret, hex; the secret itself is shown once and never stored
                secret_sha256 text NOT NULL UNIQUE CHECK (secret_sha256 ~ '^[0-9a-f]{64}$'),
                created_at    timestamptz NOT NULL DEFAULT now(),
                created_by    text NOT NULL,
                revoked_at    timestamptz
            );
            "#,
    down: "DROP TABLE api_keys;",
);
