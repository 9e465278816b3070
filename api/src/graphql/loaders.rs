//! Per-request DataLoaders: every relation a list can fan out over is fetched in one batch.
use super::RequestContext;
use crate::error::ApiError;
use crate::repo;
use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use async_graphql::Value as ConstValue;
use entity::{edition, figure};
use rust_decimal::Decimal;
use rustc_hash::{FxBuildHasher, FxHashMap};
use sea_orm::{DatabaseConnection, DbErr};
use std::collections::HashMap;
use std::ops::Deref;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// A request's loaders, and the figures a list read in its own statement for its items.
pub struct Loaders {
    /// The cache is per request and its keys are ids: SipHash's resistance to chosen keys
    /// buys nothing there, and hashing cost ~3% of a ranking's server instructions.
    loader: DataLoader<Batch, HashMapCache<FxBuildHasher>>,
    /// Figures read with a list's own rows (those a ranking reads beside each country), kept
    /// apart from the loader: asking the loader for a value it holds costs ~1,200
    /// instructions (maps built and dropped at each call), and a ranking's items ask 193 times.
    fed: Mutex<FxHashMap<FigureOf, figure::Model>>,
}

pub fn loaders(db: DatabaseConnection) -> Loaders {
    // per request, so caching is safe; a key asked for again is never fetched twice
    let loader = DataLoader::with_cache(Batch { db }, tokio::spawn, HashMapCache::new())
        .max_batch_size(10_000)
        // no idle wait before a batch: the default 1 ms (async-io's timer) cost a one-country
        // lookup 580 instead of 3,650 req/s; lists prime their loads in one batch anyway
        .delay(Duration::ZERO);
    Loaders { loader, fed: Mutex::default() }
}

impl Deref for Loaders {
    type Target = DataLoader<Batch, HashMapCache<FxBuildHasher>>;

    fn deref(&self) -> &Self::Target {
        &self.loader
    }
}

impl Loaders {
    fn fed(&self) -> std::sync::MutexGuard<'_, FxHashMap<FigureOf, figure::Model>> {
        // a panic while inserting leaves at worst fewer figures: the loader reads the rest
        self.fed.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Keeps figures a list read with its rows, for its items' `figure` calls.
    pub fn feed_figures(&self, figures: impl IntoIterator<Item = figure::Model>) {
        let mut fed = self.fed();
        for f in figures {
            fed.insert(FigureOf::of(&f), f);
        }
    }

    /// One figure: a fed one as it was read, else through the loader.
    pub async fn figure(&self, key: FigureOf) -> Result<Option<figure::Model>, BatchError> {
        let fed = self.fed().get(&key).cloned();
        match fed {
            Some(figure) => Ok(Some(figure)),
            None => self.loader.load_one(key).await,
        }
    }

    /// `keys` without the fed ones.
    fn not_fed(&self, mut keys: Vec<FigureOf>) -> Vec<FigureOf> {
        let fed = self.fed();
        if !fed.is_empty() {
            keys.retain(|key| !fed.contains_key(key));
        }
        keys
    }
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

/// A country's published figures in one edition (its profile).
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

/// One figure: a country's value of one indicator in one edition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FigureOf {
    pub country_id: i32,
    pub edition_id: i32,
    pub indicator_id: i32,
}

impl FigureOf {
    /// The key of a figure read.
    pub fn of(figure: &figure::Model) -> Self {
        Self {
            country_id: figure.country_id,
            edition_id: figure.edition_id,
            indicator_id: figure.indicator_id,
        }
    }
}

impl Loader<FigureOf> for Batch {
    type Value = figure::Model;
    type Error = BatchError;

    async fn load(&self, keys: &[FigureOf]) -> Result<HashMap<FigureOf, Self::Value>, Self::Error> {
        let triples: Vec<_> =
            keys.iter().map(|k| (k.country_id, k.edition_id, k.indicator_id)).collect();
        let rows = repo::figures::for_indicators(&self.db, &triples).await?;
        Ok(rows.into_iter().map(|f| (FigureOf::of(&f), f)).collect())
    }
}

/// A country's changes between two editions, by indicator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ChangesBetween {
    pub country_id: i32,
    pub from_edition_id: i32,
    pub to_edition_id: i32,
}

pub type Changes = Arc<HashMap<i32, Decimal>>;

impl Loader<ChangesBetween> for Batch {
    type Value = Changes;
    type Error = BatchError;

    async fn load(
        &self,
        keys: &[ChangesBetween],
    ) -> Result<HashMap<ChangesBetween, Self::Value>, Self::Error> {
        let triples: Vec<_> =
            keys.iter().map(|k| (k.country_id, k.from_edition_id, k.to_edition_id)).collect();
        let mut out: HashMap<ChangesBetween, HashMap<i32, Decimal>> =
            keys.iter().map(|k| (*k, HashMap::new())).collect();
        for c in repo::figures::changes_between(&self.db, &triples).await? {
            let key = ChangesBetween {
                country_id: c.country_id,
                from_edition_id: c.from_edition_id,
                to_edition_id: c.to_edition_id,
            };
            out.entry(key).or_default().insert(c.indicator_id, c.change);
        }
        Ok(out.into_iter().map(|(k, v)| (k, Arc::new(v))).collect())
    }
}

/// One figure's change between two editions: what `score(indicator:) { change(since:) }`
/// asks for, where the country's other changes are not wanted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ChangeOf {
    pub country_id: i32,
    pub from_edition_id: i32,
    pub to_edition_id: i32,
    pub indicator_id: i32,
}

impl Loader<ChangeOf> for Batch {
    type Value = Decimal;
    type Error = BatchError;

    async fn load(&self, keys: &[ChangeOf]) -> Result<HashMap<ChangeOf, Decimal>, Self::Error> {
        let quads: Vec<_> = keys
            .iter()
            .map(|k| (k.country_id, k.from_edition_id, k.to_edition_id, k.indicator_id))
            .collect();
        let rows = repo::figures::changes_of(&self.db, &quads).await?;
        Ok(rows
            .into_iter()
            .map(|c| {
                let key = ChangeOf {
                    country_id: c.country_id,
                    from_edition_id: c.from_edition_id,
                    to_edition_id: c.to_edition_id,
                    indicator_id: c.indicator_id,
                };
                (key, c.change)
            })
            .collect())
    }
}

/// What the items of a list will ask of the loaders, read from the query's selection: whole
/// profiles (`scores`), single figures (`score(indicator:)`, with their editions) and changes
/// (`change(since:)`, with their earlier editions).
#[derive(Clone, Debug, Default)]
pub struct Wants {
    pub figures: bool,
    /// (indicator slug, edition year if given) of each `score` field.
    pub figure: Vec<(String, Option<i32>)>,
    /// The `since` years of each `change` field under `scores`.
    pub changes_since: Vec<i32>,
    /// (indicator slug, edition year if given, `since` year) of each `change` field under a
    /// `score` field.
    pub figure_changes: Vec<(String, Option<i32>, i32)>,
}

fn argument(field: &async_graphql::SelectionField<'_>, name: &str) -> Option<ConstValue> {
    let arguments = field.arguments().ok()?;
    arguments.into_iter().find(|(n, _)| n.as_str() == name).map(|(_, v)| v)
}

fn year(value: Option<ConstValue>) -> Option<i32> {
    match value {
        Some(ConstValue::Number(n)) => n.as_i64().and_then(|y| i32::try_from(y).ok()),
        _ => None,
    }
}

/// The (edition, indicator) pairs a `score(indicator: slug, edition: year)` field of a list
/// item reads; none when the slug or the year names nothing (the field reports that itself).
async fn sources_of(
    rc: &RequestContext,
    slug: &str,
    year: Option<i32>,
    list_edition: &edition::Model,
) -> Result<Vec<(i32, i32)>, ApiError> {
    let Ok(indicator) = rc.indicator("indicator", slug).await else { return Ok(Vec::new()) };
    let editions = match year {
        Some(year) => match rc.edition("edition", Some(year)).await {
            Ok(edition) => vec![edition.id],
            Err(_) => return Ok(Vec::new()),
        },
        None => rc.default_editions(list_edition).await?,
    };
    Ok(editions.into_iter().map(|edition_id| (edition_id, indicator.id)).collect())
}

impl Wants {
    /// The (edition, indicator) of each `score` field, without repeats: without an edition,
    /// the listed edition's and the default one's. Slugs or years that name nothing are left
    /// out: they are the fields' own errors to report.
    pub async fn figure_sources(
        &self,
        rc: &RequestContext,
        list_edition: &edition::Model,
    ) -> Result<Vec<(i32, i32)>, ApiError> {
        let mut sources = Vec::new();
        for (slug, year) in &self.figure {
            for source in sources_of(rc, slug, *year, list_edition).await? {
                if !sources.contains(&source) {
                    sources.push(source);
                }
            }
        }
        Ok(sources)
    }

    /// For a connection of countries (`nodes { … }` or `edges { node { … } }`), or of scores
    /// whose country is under `country`.
    pub fn of(ctx: &async_graphql::Context<'_>, country_under: Option<&str>) -> Self {
        let look = ctx.look_ahead();
        let items = [look.field("nodes"), look.field("edges").field("node")];
        let mut wants = Self::default();
        for item in items {
            let country = match country_under {
                Some(field) => item.field(field),
                None => item,
            };
            wants.figures |= country.field("scores").exists();
            for score in country.field("score").selection_fields() {
                if let Some(ConstValue::String(slug)) = argument(&score, "indicator") {
                    let edition = year(argument(&score, "edition"));
                    for field in score.selection_set().filter(|f| f.name() == "change") {
                        if let Some(since) = year(argument(&field, "since")) {
                            wants.figure_changes.push((slug.clone(), edition, since));
                        }
                    }
                    wants.figure.push((slug, edition));
                }
            }
            for change in country.field("scores").field("change").selection_fields() {
                wants.changes_since.extend(year(argument(&change, "since")));
            }
        }
        wants
    }
}

/// Loads in one batch per relation what every item of a page will ask for, so that the items'
/// own loads find it cached. Left to the items, a page's loads can straddle the loader's
/// batching window and go out in several batches.
pub async fn prime(
    ctx: &async_graphql::Context<'_>,
    rc: &RequestContext,
    country_ids: &[i32],
    list_edition: &edition::Model,
    wants: Wants,
) -> Result<(), ApiError> {
    let loaders = ctx.data_unchecked::<Loaders>();
    let edition_ids = rc.default_editions(list_edition).await?;
    let mut figure_keys = Vec::new();
    for (edition_id, indicator_id) in wants.figure_sources(rc, list_edition).await? {
        for &country_id in country_ids {
            figure_keys.push(FigureOf { country_id, edition_id, indicator_id });
        }
    }
    // what a list read with its rows is not asked for again
    let figure_keys = loaders.not_fed(figure_keys);
    let mut change_keys = Vec::new();
    for since in &wants.changes_since {
        let Ok(from) = rc.edition("since", Some(*since)).await else { continue };
        for &to_edition_id in &edition_ids {
            for &country_id in country_ids {
                change_keys.push(ChangesBetween {
                    country_id,
                    from_edition_id: from.id,
                    to_edition_id,
                });
            }
        }
    }
    let mut figure_change_keys = Vec::new();
    for (slug, year, since) in &wants.figure_changes {
        let Ok(from) = rc.edition("since", Some(*since)).await else { continue };
        for (to_edition_id, indicator_id) in sources_of(rc, slug, *year, list_edition).await? {
            for &country_id in country_ids {
                let key =
                    ChangeOf { country_id, from_edition_id: from.id, to_edition_id, indicator_id };
                figure_change_keys.push(key);
            }
        }
    }
    let profile_keys: Vec<FiguresOf> = if wants.figures {
        country_ids
            .iter()
            .flat_map(|&country_id| {
                edition_ids.iter().map(move |&edition_id| FiguresOf { country_id, edition_id })
            })
            .collect()
    } else {
        Vec::new()
    };
    let profiles = async {
        if !profile_keys.is_empty() {
            loaders.load_many(profile_keys).await?;
        }
        Ok::<_, BatchError>(())
    };
    let figures = async {
        if !figure_keys.is_empty() {
            loaders.load_many(figure_keys).await?;
        }
        Ok::<_, BatchError>(())
    };
    let changes = async {
        if !change_keys.is_empty() {
            loaders.load_many(change_keys).await?;
        }
        Ok::<_, BatchError>(())
    };
    let figure_changes = async {
        if !figure_change_keys.is_empty() {
            loaders.load_many(figure_change_keys).await?;
        }
        Ok::<_, BatchError>(())
    };
    tokio::try_join!(profiles, figures, changes, figure_changes)?;
    Ok(())
}
