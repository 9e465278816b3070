//! Per-request state: who is asking, and the reference data as this caller sees it.
//! Editions, indicators, edition sets, countries and memberships are held in memory by
//! [`ReferenceData`] and refreshed when the data changes; a request takes one snapshot at
//! its first use and reads nothing static from Postgres.
pub use crate::auth::Principal;
use crate::error::{ApiError, Result};
use crate::reference_data::{ReferenceData, Snapshot, View};
use crate::repo::{self, Visibility};
use crate::suggest::{closest, did_you_mean, SUGGESTIBLE_BYTES};
use entity::{country, country_edition, edition, indicator};
use sea_orm::DatabaseConnection;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::sync::OnceCell;

pub struct RequestContext {
    pub db: DatabaseConnection,
    pub principal: Principal,
    pub reference: Arc<ReferenceData>,
    snapshot: OnceCell<Arc<Snapshot>>,
    /// Set when a mutation of this request starts writing: from then on the request reads the
    /// reference data as its own write left it, not as the shared snapshot still holds it.
    writing: AtomicBool,
    after_write: OnceCell<Arc<Snapshot>>,
}

impl RequestContext {
    pub fn new(
        db: DatabaseConnection,
        principal: Principal,
        reference: Arc<ReferenceData>,
    ) -> Self {
        Self {
            db,
            principal,
            reference,
            snapshot: OnceCell::new(),
            writing: AtomicBool::new(false),
            after_write: OnceCell::new(),
        }
    }

    pub fn visibility(&self) -> Visibility {
        self.principal.visibility()
    }

    /// A mutation is about to write. Mutations read reference data only to build their
    /// answers, after their transaction committed: the first read after this loads the data
    /// afresh for this request (the shared snapshot follows when the request ends).
    pub fn writing(&self) {
        self.writing.store(true, Ordering::Release);
    }

    /// The reference data, the same for the whole request (or, after a write, for the rest
    /// of it).
    pub async fn snapshot(&self) -> Result<&Snapshot> {
        let writing = self.writing.load(Ordering::Acquire);
        if let (false, Some(taken)) = (writing, self.snapshot.get()) {
            // asked for by every item of a list: once taken, returned without the OnceCell's
            // initialising future
            return Ok(taken);
        }
        if writing {
            let snapshot = self
                .after_write
                .get_or_try_init(|| async {
                    Ok::<_, ApiError>(Arc::new(Snapshot::load(&self.db, 0).await?))
                })
                .await?;
            return Ok(snapshot);
        }
        let snapshot = self
            .snapshot
            .get_or_try_init(|| async {
                Ok::<_, ApiError>(self.reference.snapshot(&self.db).await?)
            })
            .await?;
        Ok(snapshot)
    }

    async fn view(&self) -> Result<&View> {
        Ok(self.snapshot().await?.view(self.visibility()))
    }

    /// The editions this caller may see, oldest first.
    pub async fn editions(&self) -> Result<&[edition::Model]> {
        Ok(&self.view().await?.editions)
    }

    pub async fn edition_by_id(&self, id: i32) -> Result<Option<&edition::Model>> {
        Ok(self.editions().await?.iter().find(|e| e.id == id))
    }

    /// The edition an `edition`-style argument names; without a year, the latest published.
    pub async fn edition(&self, field: &str, year: Option<i32>) -> Result<&edition::Model> {
        let editions = self.editions().await?;
        match year {
            Some(year) => editions.iter().find(|e| e.year == year).ok_or_else(|| {
                let known: Vec<String> = editions.iter().map(|e| e.year.to_string()).collect();
                ApiError::bad_input(
                    field,
                    year,
                    format!("there is no edition {year}; editions: {}", known.join(", ")),
                )
            }),
            None => editions
                .iter()
                .rev()
                .find(|e| e.is_published())
                .ok_or_else(|| ApiError::NotFound("no edition has been published yet".into())),
        }
    }

    /// The editions a list's items are likely to read: the list's own and the default one.
    pub async fn default_editions(&self, list_edition: &edition::Model) -> Result<Vec<i32>> {
        let mut ids = vec![list_edition.id];
        if let Ok(default) = self.edition("edition", None).await {
            if default.id != list_edition.id {
                ids.push(default.id);
            }
        }
        Ok(ids)
    }

    /// The latest published edition before `edition`: the one its deltas compare against.
    pub async fn previous(&self, edition: &edition::Model) -> Result<Option<&edition::Model>> {
        let editions = self.editions().await?;
        Ok(editions.iter().rev().find(|e| e.year < edition.year && e.is_published()))
    }

    /// The indicator tree in presentation order.
    pub async fn indicators(&self) -> Result<&[indicator::Model]> {
        Ok(&self.view().await?.indicators)
    }

    pub async fn indicator_by_id(&self, id: i32) -> Result<&indicator::Model> {
        self.indicators().await?.iter().find(|i| i.id == id).ok_or_else(|| {
            ApiError::internal(anyhow::anyhow!("indicator {id} vanished mid-request"))
        })
    }

    /// The indicator a slug argument names, or an error that suggests the closest slugs.
    pub async fn indicator(&self, field: &str, slug: &str) -> Result<&indicator::Model> {
        let indicators = self.indicators().await?;
        indicators.iter().find(|i| i.slug == slug).ok_or_else(|| {
            let hint = did_you_mean(&closest(slug, indicators.iter().map(|i| i.slug.as_str())));
            // a huge slug is not echoed whole
            let shown = shorten(slug, SUGGESTIBLE_BYTES);
            ApiError::bad_input(field, &shown, format!("unknown indicator {shown:?}{hint}"))
        })
    }

    /// The countries covered by the editions this caller may see, by code.
    pub async fn visible_countries(&self) -> Result<&[country::Model]> {
        Ok(&self.view().await?.covered)
    }

    /// A country by code, unless only drafts cover it and this caller cannot see drafts.
    pub async fn country(&self, iso3: &str) -> Result<Option<&Arc<country::Model>>> {
        Ok(self.snapshot().await?.country_by_iso3(iso3, self.visibility()))
    }

    /// The countries `ids` name (ids a statement just read), in their order: as the reference
    /// data holds them, and read from the database for any it does not hold (a country an
    /// import added after this request took its snapshot).
    pub async fn countries_by_id(&self, ids: &[i32]) -> Result<Vec<Arc<country::Model>>> {
        let snapshot = self.snapshot().await?;
        let missing: Vec<i32> =
            ids.iter().copied().filter(|id| snapshot.country_by_id(*id).is_none()).collect();
        let read: Vec<Arc<country::Model>> = if missing.is_empty() {
            Vec::new()
        } else {
            let read = repo::catalog::countries_by_ids(&self.db, &missing).await?;
            read.into_iter().map(Arc::new).collect()
        };
        ids.iter()
            .map(|&id| {
                let found = snapshot.country_by_id(id).or_else(|| read.iter().find(|c| c.id == id));
                // a country is never deleted while figures name it
                found.cloned().ok_or_else(|| {
                    ApiError::internal(anyhow::anyhow!("no country has the id {id}"))
                })
            })
            .collect()
    }

    /// Where a country stood in an edition (continent and region).
    pub async fn membership(
        &self,
        country_id: i32,
        edition_id: i32,
    ) -> Result<Option<&country_edition::Model>> {
        Ok(self.snapshot().await?.membership(country_id, edition_id))
    }

    /// The error for a country code that names no visible country, with the closest codes
    /// (or the code of a country whose name was given instead).
    pub async fn unknown_country(&self, field: &str, code: &str) -> ApiError {
        let countries = match self.visible_countries().await {
            Ok(countries) => countries,
            Err(err) => return err,
        };
        let by_name = countries
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(code.trim()))
            .map(|c| format!("{:?}", c.iso3));
        let suggestions = by_name.map_or_else(
            || {
                closest(
                    &code.trim().to_ascii_uppercase(),
                    countries.iter().map(|c| c.iso3.as_str()),
                )
            },
            |s| vec![s],
        );
        let hint = did_you_mean(&suggestions);
        // a huge code is not echoed whole
        let shown = shorten(code, SUGGESTIBLE_BYTES);
        ApiError::bad_input(field, &shown, format!("unknown country code {shown:?}{hint}"))
    }

    /// Indicator ids of an edition's set.
    pub async fn edition_set(&self, edition_id: i32) -> Result<&[i32]> {
        Ok(self.snapshot().await?.edition_set(edition_id))
    }
}

/// `text` cut to at most `max` bytes (on a character boundary), marked with `…` when cut.
fn shorten(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_echoed_input_is_cut_on_a_character() {
        assert_eq!(shorten("éé", 3), "é…");
        assert_eq!(shorten("KAZ", 3), "KAZ");
    }
}
