//! Servers hold the digests of active API keys in memory; a key created or revoked by any
//! process (another server, psql) reaches them with the change notification every data table
//! already sends.
crate::sql_migration!(
    up: "CREATE TRIGGER api_keys_notify_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON api_keys
         FOR EACH STATEMENT EXECUTE FUNCTION ocindex_notify_change();",
    down: "DROP TRIGGER api_keys_notify_change ON api_keys;",
);
