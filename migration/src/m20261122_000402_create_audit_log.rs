//! The audit log: who did what to which edition, when, and how it ended (refusals included).
crate::sql_migration!(
    up: r#"
            CREATE TABLE audit_log (
                id         bigserial PRIMARY KEY,
                at         timestamptz NOT NULL DEFAULT now(),
                -- the key's name, or 'bootstrap admin' for OCINDEX_ADMIN_TOKEN
                actor      text NOT NULL CHECK (actor <> ''),
                api_key_id integer REFERENCES api_keys(id) ON DELETE RESTRICT,
                role       text NOT NULL CHECK (role IN ('ADMIN', 'EDITOR', 'PARTNER')),
                operation  text NOT NULL CHECK (operation <> ''),
                -- the edition's year, not its id: the log outlives deleted drafts
                edition    integer,
                -- what was done, by name: {"scores": 1600, "created": 1600}
                counts     jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(counts) = 'object'),
                outcome    text NOT NULL CHECK (outcome IN ('OK', 'REFUSED', 'FAILED')),
                -- the error code of a refusal or failure
                code       text,
                message    text,
                CHECK ((outcome = 'OK') = (code IS NULL))
            );
            "#,
    down: "DROP TABLE audit_log;",
);
