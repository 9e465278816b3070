//! The indicator tree (pillars, composites, raw indicators) and each edition's indicator set.
crate::sql_migration!(
    up: r#"
            CREATE TABLE indicators (
                id           serial PRIMARY KEY,
                slug         text NOT NULL UNIQUE CHECK (slug ~ '^[a-z]+(-[a-z]+)*$'),
                name         text NOT NULL CHECK (name <> ''),
                description  text,
                pillar       text NOT NULL CHECK (pillar IN
                               ('CRIMINALITY', 'CRIMINAL_MARKETS', 'CRIMINAL_ACTORS', 'RESILIENCE')),
                parent_id    integer REFERENCES indicators(id) ON DELETE RESTRICT,
                position     integer NOT NULL,
                is_composite boolean NOT NULL,
                -- lets scores refer to (id, false): only raw indicators can hold entered values
                UNIQUE (id, is_composite),
                CHECK (parent_id IS NOT NULL OR is_composite)
            );
            CREATE TABLE edition_indicators (
                edition_id   integer NOT NULL REFERENCES editions(id) ON DELETE CASCADE,
                indicator_id integer NOT NULL REFERENCES indicators(id) ON DELETE RESTRICT,
                PRIMARY KEY (edition_id, indicator_id)
            );
            "#,
    down: "DROP TABLE edition_indicators; DROP TABLE indicators;",
);
