//! Schema of the Index database: one migration per concern, each with a real `down`.
pub use sea_orm_migration::prelude::*;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_create_countries::Migration),
            Box::new(m20261122_000002_create_editions::Migration),
            Box::new(m20261122_000003_create_indicators::Migration),
            Box::new(m20261122_000004_create_memberships::Migration),
            Box::new(m20261122_000005_create_scores::Migration),
            Box::new(m20261122_000006_create_figures::Migration),
            Box::new(m20261122_000007_create_narratives::Migration),
            Box::new(m20261122_000008_seed_indicators::Migration),
            Box::new(m20261122_000009_seed_countries::Migration),
            Box::new(m20261122_000010_add_narrative_search::Migration),
            Box::new(m20261122_000020_create_change_notifications::Migration),
            Box::new(m20261122_000401_create_api_keys::Migration),
            Box::new(m20261122_000402_create_audit_log::Migration),
            Box::new(m20261129_000101_notify_key_changes::Migration),
            Box::new(m20261129_000102_changes_computed_on_read::Migration),
            Box::new(m20261129_000103_changes_view_plans_fast::Migration),
            Box::new(m20261129_000401_create_webhooks::Migration),
            Box::new(m20261129_000402_add_api_key_rate_limits::Migration),
            Box::new(m20261130_000104_figures_by_country_covering::Migration),
            Box::new(m20261130_000105_figures_statistics_sampled::Migration),
        ]
    }
}

/// Runs a migration step written as plain SQL: constraints read best in the database's own words.
pub(crate) async fn run_sql(manager: &SchemaManager<'_>, sql: &str) -> Result<(), DbErr> {
    manager.get_connection().execute_unprepared(sql).await.map(|_| ())
}

/// A migration made of two SQL scripts; its name is the module's.
macro_rules! sql_migration {
    (up: $up:expr, down: $down:expr $(,)?) => {
        use sea_orm_migration::prelude::*;

        #[derive(DeriveMigrationName)]
        pub struct Migration;

        #[async_trait::async_trait]
        impl MigrationTrait for Migration {
            async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
                crate::run_sql(manager, $up).await
            }

            async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
                crate::run_sql(manager, $down).await
            }
        }
    };
}
pub(crate) use sql_migration;

mod m20261122_000001_create_countries;
mod m20261122_000002_create_editions;
mod m20261122_000003_create_indicators;
mod m20261122_000004_create_memberships;
mod m20261122_000005_create_scores;
mod m20261122_000006_create_figures;
mod m20261122_000007_create_narratives;
mod m20261122_000008_seed_indicators;
mod m20261122_000009_seed_countries;
mod m20261122_000010_add_narrative_search;
mod m20261122_000020_create_change_notifications;
mod m20261122_000401_create_api_keys;
mod m20261122_000402_create_audit_log;
mod m20261129_000101_notify_key_changes;
mod m20261129_000102_changes_computed_on_read;
mod m20261129_000103_changes_view_plans_fast;
mod m20261129_000401_create_webhooks;
mod m20261129_000402_add_api_key_rate_limits;
mod m20261130_000104_figures_by_country_covering;
mod m20261130_000105_figures_statistics_sampled;
