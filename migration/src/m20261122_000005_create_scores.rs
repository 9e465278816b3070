//! Entered scores: raw indicators only, 1 to 10 in half steps, for a member of the edition.
crate::sql_migration!(
    up: r#"
            CREATE TABLE scores (
                edition_id   integer NOT NULL,
                country_id   integer NOT NULL,
                indicator_id integer NOT NULL,
                -- always false: with the foreign key below it keeps composites out
                is_composite boolean NOT NULL DEFAULT false CHECK (NOT is_composite),
                value        numeric(3,1) NOT NULL
                               CHECK (value BETWEEN 1 AND 10 AND value * 2 = trunc(value * 2)),
                PRIMARY KEY (edition_id, country_id, indicator_id),
                FOREIGN KEY (edition_id, country_id)
                    REFERENCES country_editions (edition_id, country_id) ON DELETE CASCADE,
                FOREIGN KEY (edition_id, indicator_id)
                    REFERENCES edition_indicators (edition_id, indicator_id) ON DELETE CASCADE,
                FOREIGN KEY (indicator_id, is_composite) REFERENCES indicators (id, is_composite)
            );
            "#,
    down: "DROP TABLE scores;",
);
