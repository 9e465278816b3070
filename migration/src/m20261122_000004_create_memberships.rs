//! Which countries an edition covers, and where each stood (regions change between editions).
crate::sql_migration!(
    up: r#"
            CREATE TABLE country_editions (
                edition_id integer NOT NULL REFERENCES editions(id) ON DELETE CASCADE,
                country_id integer NOT NULL REFERENCES countries(id) ON DELETE RESTRICT,
                continent  text NOT NULL CHECK (continent IN
                             ('AFRICA', 'AMERICAS', 'ASIA', 'EUROPE', 'OCEANIA')),
                region     text NOT NULL CHECK (region <> '' AND region = btrim(region)),
                PRIMARY KEY (edition_id, country_id)
            );
            CREATE INDEX country_editions_country ON country_editions (country_id);
            "#,
    down: "DROP TABLE country_editions;",
);
