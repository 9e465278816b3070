//! A key may have a quota of its own (points per hour); without one the server's default
//! for keys applies, and 0 means unlimited.
crate::sql_migration!(
    up: "ALTER TABLE api_keys ADD COLUMN rate_limit bigint CHECK (rate_limit >= 0);",
    down: "ALTER TABLE api_keys DROP COLUMN rate_limit;",
);
