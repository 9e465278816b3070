//! Expert narratives per country and edition, and the indicators each one covers.
crate::sql_migration!(
    up: r#"
            CREATE TABLE narratives (
                id         serial PRIMARY KEY,
                edition_id integer NOT NULL,
                country_id integer NOT NULL,
                heading    text CHECK (heading <> ''),
                body       text NOT NULL CHECK (body <> ''),
                position   integer NOT NULL CHECK (position >= 0),
                UNIQUE (edition_id, country_id, position),
                FOREIGN KEY (edition_id, country_id)
                    REFERENCES country_editions (edition_id, country_id) ON DELETE CASCADE
            );
            CREATE INDEX narratives_country ON narratives (country_id, edition_id);
            CREATE TABLE narrative_indicators (
                narrative_id integer NOT NULL REFERENCES narratives(id) ON DELETE CASCADE,
                indicator_id integer NOT NULL REFERENCES indicators(id) ON DELETE RESTRICT,
                position     integer NOT NULL,
                PRIMARY KEY (narrative_id, indicator_id)
            );
            CREATE INDEX narrative_indicators_indicator ON narrative_indicators (indicator_id);
            "#,
    down: "DROP TABLE narrative_indicators; DROP TABLE narratives;",
);
