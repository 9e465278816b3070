//! `figure_changes` without the editions: the view of 000102 joined both editions to keep
//! only earlier-to-later pairs, and a query through it over ten relations cost 180–430 ms to
//! plan (against 3 ms to run), so every uncached change list paid the planner. Callers always
//! name both editions (the API checks their order), so the view needs only the two figures:
//! one join on the primary key. It also carries both values, so that a change list reads the
//! figures once instead of joining them again.
crate::sql_migration!(
    up: r#"
        DROP VIEW figure_changes;
        CREATE VIEW figure_changes AS
        SELECT t.indicator_id,
               f.edition_id AS from_edition_id,
               t.edition_id AS to_edition_id,
               t.country_id,
               round((t.exact_num::numeric * f.exact_den - f.exact_num::numeric * t.exact_den)
                     / (t.exact_den::numeric * f.exact_den), 2) AS change,
               f.value AS from_value,
               t.value AS to_value
        FROM figures t
        JOIN figures f ON f.indicator_id = t.indicator_id AND f.country_id = t.country_id
                      AND f.edition_id <> t.edition_id
        WHERE t.exact_den IS NOT NULL AND f.exact_den IS NOT NULL;
        "#,
    down: r#"
        DROP VIEW figure_changes;
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
);
