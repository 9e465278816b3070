//! Published figures, derived from scores at write time so that reads never recompute:
crate::sql_migration!(
    up: r#"
            CREATE TABLE figures (
                edition_id        integer NOT NULL,
                country_id        integer NOT NULL,
                indicator_id      integer NOT NULL,
                value             numeric(4,2) NOT NULL CHECK (value BETWEEN 1 AND 10),
                -- against the previous published edition; NULL where the indicator is new
                delta             numeric(4,2),
                rank              integer NOT NULL CHECK (rank >= 1),
                rank_in_continent integer NOT NULL CHECK (rank_in_continent >= 1),
                rank_in_region    integer NOT NULL CHECK (rank_in_region >= 1),
                PRIMARY KEY (edition_id, indicator_id, country_id),
                FOREIGN KEY (edition_id, country_id)
                    REFERENCES country_editions (edition_id, country_id) ON DELETE CASCADE,
                FOREIGN KEY (edition_id, indicator_id)
                    REFERENCES edition_indicators (edition_id, indicator_id) ON DELETE CASCADE
            );
            CREATE INDEX figures_country ON figures (country_id, edition_id);

            -- one row per pair of editions in which the country has the indicator in both
            CREATE TABLE figure_changes (
                indicator_id    integer NOT NULL REFERENCES indicators(id) ON DELETE CASCADE,
                from_edition_id integer NOT NULL REFERENCES editions(id) ON DELETE CASCADE,
                to_edition_id   integer NOT NULL REFERENCES editions(id) ON DELETE CASCADE,
                country_id      integer NOT NULL REFERENCES countries(id) ON DELETE CASCADE,
                change          numeric(4,2) NOT NULL CHECK (change BETWEEN -9 AND 9),
                PRIMARY KEY (indicator_id, from_edition_id, to_edition_id, country_id),
                CHECK (from_edition_id <> to_edition_id)
            );
            CREATE INDEX figure_changes_country ON figure_changes (country_id, to_edition_id);
            "#,
    down: "DROP TABLE figure_changes; DROP TABLE figures;",
);
