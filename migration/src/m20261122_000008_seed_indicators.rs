//! The Index's indicator tree, so that every database knows the pillars before any import.
use reference::{slugify, INDICATORS};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (position, def) in INDICATORS.iter().enumerate() {
            db.execute(Statement::from_sql_and_values(
                manager.get_database_backend(),
                "INSERT INTO indicators (slug, name, pillar, parent_id, position, is_composite)
                 VALUES ($1, $2, $3, (SELECT id FROM indicators WHERE slug = $4), $5, $6)",
                [
                    slugify(def.name).into(),
                    def.name.into(),
                    def.pillar.into(),
                    def.parent.map(str::to_owned).into(),
                    (position as i32).into(),
                    def.is_composite.into(),
                ],
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let slugs: Vec<String> =
            INDICATORS.iter().map(|d| format!("'{}'", slugify(d.name))).collect();
        // children before parents: the tree's foreign key restricts deletes
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "DELETE FROM indicators WHERE slug IN ({0}) AND NOT is_composite;
                 DELETE FROM indicators WHERE slug IN ({0}) AND parent_id IS NOT NULL;
                 DELETE FROM indicators WHERE slug IN ({0});",
                slugs.join(",")
            ))
            .await
            .map(|_| ())
    }
}
