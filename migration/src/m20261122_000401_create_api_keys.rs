//! API keys: named bearer secrets with a role, stored only as a SHA-256 digest.
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
            CREATE TABLE api_keys (
                id            serial PRIMARY KEY,
                -- names identify keys in the audit log, so a revoked key keeps its name
                name          text NOT NULL UNIQUE CHECK (name <> '' AND name = btrim(name)),
                role          text NOT NULL CHECK (role IN ('ADMIN', 'EDITOR', 'PARTNER')),
                -- SHA-256 of the secret, hex; the secret itself is shown once and never stored
                secret_sha256 text NOT NULL UNIQUE CHECK (secret_sha256 ~ '^[0-9a-f]{64}$'),
                created_at    timestamptz NOT NULL DEFAULT now(),
                created_by    text NOT NULL,
                revoked_at    timestamptz
            );
            "#,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_sql(manager, "DROP TABLE api_keys;").await
    }
}
