//! The 193 UN member states with their ISO3 codes and every spelling the Index's sources use.
use reference::{alias_key, slugify, COUNTRIES};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        for def in COUNTRIES {
            db.execute(Statement::from_sql_and_values(
                backend,
                "INSERT INTO countries (iso3, name, slug) VALUES ($1, $2, $3)",
                [def.iso3.into(), def.name.into(), slugify(def.name).into()],
            ))
            .await?;
            for alias in std::iter::once(&def.name).chain(def.aliases) {
                db.execute(Statement::from_sql_and_values(
                    backend,
                    "INSERT INTO country_aliases (alias_key, alias, country_id)
                     SELECT $1, $2, id FROM countries WHERE iso3 = $3",
                    [alias_key(alias).into(), (*alias).into(), def.iso3.into()],
                ))
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let codes: Vec<String> = COUNTRIES.iter().map(|c| format!("'{}'", c.iso3)).collect();
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "DELETE FROM countries WHERE iso3 IN ({})",
                codes.join(",")
            ))
            .await
            .map(|_| ())
    }
}
