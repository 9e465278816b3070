//! Changes between editions computed on read instead of stored for every pair of editions.
//!
//! `figure_changes` held one row per (indicator, country, earlier edition, later edition): at
//! ten editions 302,238 rows, growing with the square of their number, every one rebuilt on
//! every write. Figures now keep their exact unrounded value as a fraction (`exact_num /
//! exact_den`), and `figure_changes` becomes a view that computes a change from the two
//! editions' figures: one indexed join on the primary key, rounded half away from zero to 2
//! decimals as the Index publishes (the division of two small integers is exact at `numeric`
//! precision wherever the result is a half cent, so rounding it is exact too). The fractions
//! are filled by the next recomputation (the server does one at start when any is missing).
crate::sql_migration!(
    up: r#"
        ALTER TABLE figures
            ADD COLUMN exact_num bigint,
            ADD COLUMN exact_den bigint CHECK (exact_den > 0);
        DROP TABLE figure_changes;
        CREATE VIEW figure_changes AS
        SELECT t.indicator_id,
               f.edition_id AS from_edition_id,
               t.edition_id AS to_edition_id,
               t.country_id,
               round((t.exact_num::numeric * f.exact_den - f.exact_num::numeric * t.exact_den)
                     / (t.exact_den::numeric * f.exact_den), 2) AS change
        FROM figures t
        JOIN editions te ON te.id = t.edition_id
        JOIN figures f ON f.indicator_id = t.indicator_id AND f.country_id = t.country_id
        JOIN editions fe ON fe.id = f.edition_id AND fe.year < te.year
        WHERE t.exact_den IS NOT NULL AND f.exact_den IS NOT NULL;
        "#,
    down: r#"
        DROP VIEW figure_changes;
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
        -- every pair again, from the exact values the figures kept
        INSERT INTO figure_changes
        SELECT t.indicator_id, f.edition_id, t.edition_id, t.country_id,
               round((t.exact_num::numeric * f.exact_den - f.exact_num::numeric * t.exact_den)
                     / (t.exact_den::numeric * f.exact_den), 2)
        FROM figures t
        JOIN editions te ON te.id = t.edition_id
        JOIN figures f ON f.indicator_id = t.indicator_id AND f.country_id = t.country_id
        JOIN editions fe ON fe.id = f.edition_id AND fe.year < te.year
        WHERE t.exact_den IS NOT NULL AND f.exact_den IS NOT NULL;
        CREATE TRIGGER figure_changes_notify_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
            ON figure_changes FOR EACH STATEMENT EXECUTE FUNCTION ocindex_notify_change();
        ALTER TABLE figures DROP COLUMN exact_num, DROP COLUMN exact_den;
        "#,
);
