//! Editions of the Index, by year; a draft becomes visible to the public when published.
crate::sql_migration!(
    up: r#"
            CREATE TABLE editions (
                id           serial PRIMARY KEY,
                year         integer NOT NULL UNIQUE CHECK (year BETWEEN 1990 AND 2200),
                title        text NOT NULL CHECK (title <> ''),
                status       text NOT NULL DEFAULT 'DRAFT' CHECK (status IN ('DRAFT', 'PUBLISHED')),
                published_at timestamptz,
                created_at   timestamptz NOT NULL DEFAULT now(),
                CONSTRAINT editions_published_at_iff_published
                    CHECK ((status = 'PUBLISHED') = (published_at IS NOT NULL))
            );
            "#,
    down: "DROP TABLE editions;",
);
