//! Per-request DataLoaders: every relation a list can fan out over is fetched in one batch.
use crate::error::ApiError;
use crate::repo;
use async_graphql::dataloader::{DataLoader, Loader};
use entity::{country, country_edition, figure};
use rust_decimal::Decimal;
use sea_orm::{DatabaseConnection, DbErr};
use std::collections::HashMap;
use std::sync::Arc;

pub type Loaders = DataLoader<Batch>;

pub fn loaders(db: DatabaseConnection) -> Loaders {
    DataLoader::new(Batch { db }, tokio::spawn)
}

/// One batcher for every key type, so a request carries a single loader.
pub struct Batch {
    pub(super) db: DatabaseConnection,
}

#[derive(Clone, Debug)]
pub struct BatchError(Arc<DbErr>);

impl From<DbErr> for BatchError {
    fn from(err: DbErr) -> Self {
        Self(Arc::new(err))
    }
}

impl From<BatchError> for ApiError {
    fn from(err: BatchError) -> Self {
        ApiError::internal(anyhow::anyhow!("batched read failed: {}", err.0))
    }
}

/// A country's published figures in one edition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FiguresOf {
    pub country_id: i32,
    pub edition_id: i32,
}

impl Loader<FiguresOf> for Batch {
    type Value = Vec<figure::Model>;
    type Error = BatchError;

    async fn load(&self, keys: &[FiguresOf]) -> Result<HashMap<FiguresOf, Self::Value>, Self::Error> {
        let pairs: Vec<(i32, i32)> = keys.iter().map(|k| (k.country_id, k.edition_id)).collect();
        let mut out: HashMap<FiguresOf, Self::Value> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for f in repo::figures::for_countries(&self.db, &pairs).await? {
            let key = FiguresOf { country_id: f.country_id, edition_id: f.edition_id };
            out.entry(key).or_default().push(f);
        }
        Ok(out)
    }
}

/// Where a country stood in an edition (continent and region).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MembershipOf {
    pub country_id: i32,
    pub edition_id: i32,
}

impl Loader<MembershipOf> for Batch {
    type Value = country_edition::Model;
    type Error = BatchError;

    async fn load(&self, keys: &[MembershipOf]) -> Result<HashMap<MembershipOf, Self::Value>, Self::Error> {
        let pairs: Vec<(i32, i32)> = keys.iter().map(|k| (k.country_id, k.edition_id)).collect();
        let rows = repo::catalog::memberships(&self.db, &pairs).await?;
        Ok(rows
            .into_iter()
            .map(|m| (MembershipOf { country_id: m.country_id, edition_id: m.edition_id }, m))
            .collect())
    }
}

/// A country by its database id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CountryId(pub i32);

impl Loader<CountryId> for Batch {
    type Value = country::Model;
    type Error = BatchError;

    async fn load(&self, keys: &[CountryId]) -> Result<HashMap<CountryId, Self::Value>, Self::Error> {
        let ids: Vec<i32> = keys.iter().map(|k| k.0).collect();
        let rows = repo::catalog::countries_by_ids(&self.db, &ids).await?;
        Ok(rows.into_iter().map(|c| (CountryId(c.id), c)).collect())
    }
}

/// The change of one country's indicator between two editions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ChangeOf {
    pub country_id: i32,
    pub indicator_id: i32,
    pub from_edition_id: i32,
    pub to_edition_id: i32,
}

impl Loader<ChangeOf> for Batch {
    type Value = Decimal;
    type Error = BatchError;

    async fn load(&self, keys: &[ChangeOf]) -> Result<HashMap<ChangeOf, Self::Value>, Self::Error> {
        let tuples: Vec<_> =
            keys.iter().map(|k| (k.country_id, k.indicator_id, k.from_edition_id, k.to_edition_id)).collect();
        let rows = repo::figures::changes(&self.db, &tuples).await?;
        Ok(rows
            .into_iter()
            .map(|c| {
                let key = ChangeOf {
                    country_id: c.country_id,
                    indicator_id: c.indicator_id,
                    from_edition_id: c.from_edition_id,
                    to_edition_id: c.to_edition_id,
                };
                (key, c.change)
            })
            .collect())
    }
}
