//! Reference data held in memory: editions, the indicator tree, edition sets, countries,
//! memberships and the digests of active API keys. Nearly every request reads some of it, it
//! changes a few times a year, and reading it from Postgres on every request cost 3 to 7
//! statements per request.
//!
//! A snapshot is valid for one generation of the answer cache: the same change notification
//! (and the same reconnect) that empties the cache makes the snapshot stale, and the next
//! request that needs it loads a new one. Because it is tagged with the generation read
//! *before* loading, a change that commits while a snapshot loads makes that snapshot stale
//! at once, exactly as the cache refuses an answer computed under an older generation. While
//! the server does not hear the notifications, nothing is trusted: each request loads its own.
use crate::auth::Role;
use crate::cache::ResponseCache;
use crate::repo::{self, Visibility};
use entity::{country, country_edition, edition, indicator};
use rustc_hash::FxHashMap;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, Statement};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};

/// An active API key, as the key check needs it.
#[derive(Clone, Debug)]
pub struct KeyInfo {
    pub id: i32,
    pub name: String,
    pub role: Role,
    /// The key's quota in points per hour; `None`: the server's default for keys.
    pub rate_limit: Option<u64>,
}

/// What one kind of caller sees of the reference data.
#[derive(Debug, Default)]
pub struct View {
    /// Editions, oldest first.
    pub editions: Vec<edition::Model>,
    /// The indicator tree in presentation order.
    pub indicators: Vec<indicator::Model>,
    /// The countries covered by the visible editions, by code (for suggestions).
    pub covered: Vec<country::Model>,
    /// Countries no visible edition hides (a country only drafts cover is draft content).
    hidden: HashSet<i32>,
}

/// Everything static, as it stood at one generation of the cache.
#[derive(Debug, Default)]
pub struct Snapshot {
    generation: u64,
    public: View,
    all: View,
    /// Indicator ids of each edition's set. The maps by id hash with rustc-hash: their keys
    /// are ids the database gave, and they are read for every item of a list.
    sets: FxHashMap<i32, Vec<i32>>,
    /// Every country, by code and by id: shared, as every country of a list takes its own.
    by_iso3: HashMap<String, Arc<country::Model>>,
    by_id: FxHashMap<i32, Arc<country::Model>>,
    /// Continent and region of each (country, edition).
    memberships: FxHashMap<(i32, i32), country_edition::Model>,
    /// Active keys by the hex SHA-256 digest of their secret.
    keys: HashMap<String, KeyInfo>,
}

impl Snapshot {
    pub fn view(&self, vis: Visibility) -> &View {
        if vis.includes_drafts() {
            &self.all
        } else {
            &self.public
        }
    }

    pub fn edition_set(&self, edition_id: i32) -> &[i32] {
        self.sets.get(&edition_id).map_or(&[], Vec::as_slice)
    }

    /// A country by code, unless only drafts cover it and `vis` excludes drafts.
    pub fn country_by_iso3(&self, iso3: &str, vis: Visibility) -> Option<&Arc<country::Model>> {
        self.by_iso3.get(iso3).filter(|c| !self.view(vis).hidden.contains(&c.id))
    }

    pub fn country_by_id(&self, id: i32) -> Option<&Arc<country::Model>> {
        self.by_id.get(&id)
    }

    pub fn membership(&self, country_id: i32, edition_id: i32) -> Option<&country_edition::Model> {
        self.memberships.get(&(country_id, edition_id))
    }

    pub fn key(&self, digest: &str) -> Option<&KeyInfo> {
        self.keys.get(digest)
    }

    /// Reads every reference table: a handful of small statements, once per change.
    pub async fn load<C: ConnectionTrait>(db: &C, generation: u64) -> Result<Self, DbErr> {
        let editions = repo::catalog::editions(db, Visibility::All).await?;
        let indicators = repo::catalog::indicators(db).await?;
        let ids: Vec<i32> = editions.iter().map(|e| e.id).collect();
        let mut sets: FxHashMap<i32, Vec<i32>> = FxHashMap::default();
        for (edition_id, indicator_id) in repo::catalog::edition_sets(db, &ids).await? {
            sets.entry(edition_id).or_default().push(indicator_id);
        }
        // one shared copy of each country, in both maps
        let countries: Vec<Arc<country::Model>> =
            country::Entity::find().all(db).await?.into_iter().map(Arc::new).collect();
        let memberships = country_edition::Entity::find().all(db).await?;
        let keys = active_keys(db).await?;

        let published: HashSet<i32> =
            editions.iter().filter(|e| e.is_published()).map(|e| e.id).collect();
        let public_editions: Vec<edition::Model> =
            editions.iter().filter(|e| e.is_published()).cloned().collect();
        // draft content: indicators assessed only by drafts, countries covered only by drafts
        let only_drafts = |appears: &mut dyn Iterator<Item = (i32, i32)>| {
            let mut in_published: HashMap<i32, bool> = HashMap::new();
            for (item, edition_id) in appears {
                *in_published.entry(item).or_default() |= published.contains(&edition_id);
            }
            in_published.into_iter().filter(|(_, p)| !p).map(|(id, _)| id).collect::<HashSet<_>>()
        };
        let draft_indicators =
            only_drafts(&mut sets.iter().flat_map(|(e, ids)| ids.iter().map(move |i| (*i, *e))));
        let draft_countries =
            only_drafts(&mut memberships.iter().map(|m| (m.country_id, m.edition_id)));
        let covered = |editions: &HashSet<i32>| {
            let ids: HashSet<i32> = memberships
                .iter()
                .filter(|m| editions.contains(&m.edition_id))
                .map(|m| m.country_id)
                .collect();
            let mut covered: Vec<country::Model> = countries
                .iter()
                .filter(|c| ids.contains(&c.id))
                .map(|c| c.as_ref().clone())
                .collect();
            covered.sort_by(|a, b| a.iso3.cmp(&b.iso3));
            covered
        };
        let all_ids: HashSet<i32> = ids.iter().copied().collect();
        Ok(Self {
            generation,
            public: View {
                editions: public_editions,
                indicators: indicators
                    .iter()
                    .filter(|i| !draft_indicators.contains(&i.id))
                    .cloned()
                    .collect(),
                covered: covered(&published),
                hidden: draft_countries,
            },
            all: View { covered: covered(&all_ids), editions, indicators, hidden: HashSet::new() },
            sets,
            by_iso3: countries.iter().map(|c| (c.iso3.clone(), c.clone())).collect(),
            by_id: countries.into_iter().map(|c| (c.id, c)).collect(),
            memberships: memberships
                .into_iter()
                .map(|m| ((m.country_id, m.edition_id), m))
                .collect(),
            keys,
        })
    }
}

async fn active_keys<C: ConnectionTrait>(db: &C) -> Result<HashMap<String, KeyInfo>, DbErr> {
    let rows = db
        .query_all(Statement::from_string(
            db.get_database_backend(),
            "SELECT id, name, role, secret_sha256, rate_limit FROM api_keys WHERE revoked_at IS NULL",
        ))
        .await?;
    let mut keys = HashMap::new();
    for row in rows {
        let role: Role = row.try_get("", "role")?;
        let rate_limit: Option<i64> = row.try_get("", "rate_limit")?;
        let key = KeyInfo {
            id: row.try_get("", "id")?,
            name: row.try_get("", "name")?,
            role,
            rate_limit: rate_limit.map(|limit| u64::try_from(limit).unwrap_or_default()),
        };
        keys.insert(row.try_get("", "secret_sha256")?, key);
    }
    Ok(keys)
}

/// The process's reference data, tied to the answer cache's generations.
pub struct ReferenceData {
    cache: Arc<ResponseCache>,
    current: RwLock<Option<Arc<Snapshot>>>,
    /// One load at a time: after a change, concurrent requests wait for the same load.
    loading: tokio::sync::Mutex<()>,
}

impl ReferenceData {
    pub fn new(cache: Arc<ResponseCache>) -> Self {
        Self { cache, current: RwLock::new(None), loading: tokio::sync::Mutex::new(()) }
    }

    fn fresh(&self) -> Option<Arc<Snapshot>> {
        let current = self.current.read().ok()?.clone()?;
        let trusted = self.cache.is_listening() && current.generation == self.cache.generation();
        trusted.then_some(current)
    }

    /// The current snapshot, loading it first when the data changed since the last load.
    pub async fn snapshot<C: ConnectionTrait>(&self, db: &C) -> Result<Arc<Snapshot>, DbErr> {
        if let Some(current) = self.fresh() {
            return Ok(current);
        }
        if !self.cache.is_listening() {
            // changes would go unheard: a snapshot of this request's own
            return Ok(Arc::new(Snapshot::load(db, 0).await?));
        }
        let _loading = self.loading.lock().await;
        if let Some(current) = self.fresh() {
            return Ok(current);
        }
        let generation = self.cache.generation();
        let loaded = Arc::new(Snapshot::load(db, generation).await?);
        if let Ok(mut current) = self.current.write() {
            *current = Some(loaded.clone());
        }
        Ok(loaded)
    }

    /// This process changed the data: forget the snapshot and the cached answers now, without
    /// waiting for the notification, so that the writer's next request reads its write.
    pub fn changed(&self) {
        self.cache.invalidate();
    }
}
