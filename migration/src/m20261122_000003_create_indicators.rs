//! The indicator tree (pillars, composites, raw indicators) and each edition's indicator set.
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
            CREATE TABLE indicators (
                id           serial PRIMARY KEY,
                slug         text NOT NULL UNIQUE CHECK (slug ~ '^[a-z]+(-[a-z]+)*$'),
                name         text NOT NULL CHECK (name <> ''),
                description  text,
                pillar       text NOT NULL CHECK (pillar IN
                               ('CRIMINALITY', 'CRIMINAL_MARKETS', 'CRIMINAL_ACTORS', 'RESILIENCE')),
                parent_id    integer REFERENCES indicators(id) ON DELETE RESTRICT,
                position     integer NOT NULL,
                is_composite boolean NOT NULL,
                -- lets scores refer to (id, false): only raw indicators can hold entered values
                UNIQUE (id, is_composite),
                CHECK (parent_id IS NOT NULL OR is_composite)
            );
            CREATE TABLE edition_indicators (
                edition_id   integer NOT NULL REFERENCES editions(id) ON DELETE CASCADE,
                indicator_id integer NOT NULL REFERENCES indicators(id) ON DELETE RESTRICT,
                PRIMARY KEY (edition_id, indicator_id)
            );
            "#,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_sql(manager, "DROP TABLE edition_indicators; DROP TABLE indicators;").await
    }
}
