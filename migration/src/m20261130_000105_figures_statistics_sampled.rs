//! The figures' statistics from a sample of one edition's size. Publishing an edition
//! refreshes the planner's statistics of the figures it rewrote, and `ANALYZE` samples 300
//! rows per unit of a column's statistics target: at the default (100), 30,000 rows, so its
//! cost grew with every edition up to five (43 ms with 2 editions, 110-134 ms with 10). What
//! the planner needs of this table is how many distinct editions, indicators and countries
//! it holds, all uniform, which 6,000 rows tell as well: an `ANALYZE` of 16-18 ms with 2
//! editions and 26-30 ms with 10, and the plans of the Index's reads unchanged.
crate::sql_migration!(
    up: r#"
        ALTER TABLE figures
            ALTER COLUMN edition_id SET STATISTICS 20,
            ALTER COLUMN indicator_id SET STATISTICS 20,
            ALTER COLUMN country_id SET STATISTICS 20,
            ALTER COLUMN value SET STATISTICS 20,
            ALTER COLUMN delta SET STATISTICS 20,
            ALTER COLUMN rank SET STATISTICS 20,
            ALTER COLUMN rank_in_continent SET STATISTICS 20,
            ALTER COLUMN rank_in_region SET STATISTICS 20,
            ALTER COLUMN exact_num SET STATISTICS 20,
            ALTER COLUMN exact_den SET STATISTICS 20;
        "#,
    down: r#"
        ALTER TABLE figures
            ALTER COLUMN edition_id SET STATISTICS -1,
            ALTER COLUMN indicator_id SET STATISTICS -1,
            ALTER COLUMN country_id SET STATISTICS -1,
            ALTER COLUMN value SET STATISTICS -1,
            ALTER COLUMN delta SET STATISTICS -1,
            ALTER COLUMN rank SET STATISTICS -1,
            ALTER COLUMN rank_in_continent SET STATISTICS -1,
            ALTER COLUMN rank_in_region SET STATISTICS -1,
            ALTER COLUMN exact_num SET STATISTICS -1,
            ALTER COLUMN exact_den SET STATISTICS -1;
        "#,
);
