//! Every write to the data tables notifies `ocindex_changes` when it commits, so that servers
//! drop cached responses whoever wrote: the API, the CLI importer or an operator with psql.
use crate::run_sql;
use sea_orm_migration::prelude::*;

const TABLES: &[&str] = &[
    "countries",
    "country_aliases",
    "editions",
    "indicators",
    "edition_indicators",
    "country_editions",
    "scores",
    "figures",
    "figure_changes",
    "narratives",
    "narrative_indicators",
];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut sql = String::from(
            "CREATE FUNCTION ocindex_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN
                 -- one notification per transaction: Postgres folds identical ones
                 PERFORM pg_notify('ocindex_changes', '');
                 RETURN NULL;
             END $$;",
        );
        for table in TABLES {
            sql.push_str(&format!(
                "CREATE TRIGGER {table}_notify_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
                 FOR EACH STATEMENT EXECUTE FUNCTION ocindex_notify_change();"
            ));
        }
        run_sql(manager, &sql).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut sql = String::new();
        for table in TABLES {
            sql.push_str(&format!("DROP TRIGGER {table}_notify_change ON {table};"));
        }
        sql.push_str("DROP FUNCTION ocindex_notify_change();");
        run_sql(manager, &sql).await
    }
}
