//! Full-text search over narratives: an English tsvector kept by Postgres, GIN-indexed.
use crate::run_sql;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // generated, so no write path can forget it; headings weigh more than body text
        run_sql(
            manager,
            r#"
            ALTER TABLE narratives ADD COLUMN search tsvector GENERATED ALWAYS AS (
                setweight(to_tsvector('english', coalesce(heading, '')), 'A') ||
                setweight(to_tsvector('english', body), 'B')
            ) STORED;
            CREATE INDEX narratives_search ON narratives USING gin (search);
            "#,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_sql(manager, "DROP INDEX narratives_search; ALTER TABLE narratives DROP COLUMN search;")
            .await
    }
}
