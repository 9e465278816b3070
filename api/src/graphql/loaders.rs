//! Per-request DataLoaders: every relation a list can fan out over is fetched in one batch.
use crate::error::ApiError;
use crate::repo;
use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use entity::figure;
use rust_decimal::Decimal;
use sea_orm::{DatabaseConnection, DbErr};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

pub type Loaders = DataLoader<Batch, HashMapCache>;

pub fn loaders(db: DatabaseConnection) -> Loaders {
    // per request, so caching is safe; a key asked for again is never fetched twice
    DataLoader::with_cache(Batch { db }, tokio::spawn, HashMapCache::default())
        .max_batch_size(10_000)
        // no idle wait before a batch: the default 1 ms (async-io's timer) cost a one-country
        // lookup 580 instead of 3,650 req/s; lists prime their loads in one batch anyway
        .delay(Duration::ZERO)
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

    async fn load(
        &self,
        keys: &[FiguresOf],
    ) -> Result<HashMap<FiguresOf, Self::Value>, Self::Error> {
        let pairs: Vec<(i32, i32)> = keys.iter().map(|k| (k.country_id, k.edition_id)).collect();
        let mut out: HashMap<FiguresOf, Self::Value> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        for f in repo::figures::for_countries(&self.db, &pairs).await? {
            let key = FiguresOf { country_id: f.country_id, edition_id: f.edition_id };
            out.entry(key).or_default().push(f);
        }
        Ok(out)
    }
}

/// A country's changes into an edition from every earlier one, by (from edition, indicator).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ChangesInto {
    pub country_id: i32,
    pub to_edition_id: i32,
}

pub type Changes = Arc<HashMap<(i32, i32), Decimal>>;

impl Loader<ChangesInto> for Batch {
    type Value = Changes;
    type Error = BatchError;

    async fn load(
        &self,
        keys: &[ChangesInto],
    ) -> Result<HashMap<ChangesInto, Self::Value>, Self::Error> {
        let pairs: Vec<_> = keys.iter().map(|k| (k.country_id, k.to_edition_id)).collect();
        let mut out: HashMap<ChangesInto, HashMap<(i32, i32), Decimal>> =
            keys.iter().map(|k| (*k, HashMap::new())).collect();
        for c in repo::figures::changes_into(&self.db, &pairs).await? {
            let key = ChangesInto { country_id: c.country_id, to_edition_id: c.to_edition_id };
            out.entry(key).or_default().insert((c.from_edition_id, c.indicator_id), c.change);
        }
        Ok(out.into_iter().map(|(k, v)| (k, Arc::new(v))).collect())
    }
}

/// What the items of a list will ask of the loaders, read from the query's selection.
#[derive(Clone, Copy, Debug, Default)]
pub struct Wants {
    pub figures: bool,
    pub changes: bool,
}

impl Wants {
    /// For a connection of countries (`nodes { … }` or `edges { node { … } }`), or of scores
    /// whose country is under `country`.
    pub fn of(ctx: &async_graphql::Context<'_>, country_under: Option<&str>) -> Self {
        let look = ctx.look_ahead();
        let items = [look.field("nodes"), look.field("edges").field("node")];
        let mut wants = Self::default();
        for item in items {
            wants.changes |= item.field("change").exists();
            let country = match country_under {
                Some(field) => item.field(field),
                None => item,
            };
            wants.figures |= country.field("scores").exists() || country.field("score").exists();
            wants.changes |= country.field("scores").field("change").exists();
        }
        wants
    }
}

/// Loads in one batch per relation what every item of a page will ask for, so that the items'
/// own loads find it cached. Left to the items, a page's loads can straddle the loader's
/// batching window and go out in several batches.
pub async fn prime(
    loaders: &Loaders,
    country_ids: &[i32],
    edition_ids: &[i32],
    wants: Wants,
) -> Result<(), ApiError> {
    let pairs: Vec<(i32, i32)> = country_ids
        .iter()
        .flat_map(|&country_id| edition_ids.iter().map(move |&edition_id| (country_id, edition_id)))
        .collect();
    let figures = async {
        if wants.figures {
            loaders
                .load_many(
                    pairs
                        .iter()
                        .map(|&(country_id, edition_id)| FiguresOf { country_id, edition_id }),
                )
                .await?;
        }
        Ok::<_, BatchError>(())
    };
    let changes =
        async {
            if wants.changes {
                loaders
                    .load_many(pairs.iter().map(|&(country_id, to_edition_id)| ChangesInto {
                        country_id,
                        to_edition_id,
                    }))
                    .await?;
            }
            Ok::<_, BatchError>(())
        };
    tokio::try_join!(figures, changes)?;
    Ok(())
}
