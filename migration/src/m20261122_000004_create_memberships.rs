//! Which countries an edition covers, and where each stood (regions change between editions).
use crate::run_sql;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_sql(
            manager,
            r#"
            CREATE TABLE country_editions (
                edition_id integer NOT NULL REFERENCES editions(id) ON DELETE CASCADE,
                country_id integer NOT NULL REFERENCES countries(id) ON DELETE RESTRICT,
                continent  text NOT NULL CHECK (continent IN
                             ('AFRICA', 'AMERICAS', 'ASIA', 'EUROPE', 'OCEANIA')),
                region     text NOT NULL CHECK (region <> '' AND region = btrim(region)),
                PRIMARY KEY (edition_id, country_id)
            );
            CREATE INDEX country_editions_country ON country_editions (country_id);
            "#,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_sql(manager, "DROP TABLE country_editions;").await
    }
}
