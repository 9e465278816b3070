//! Importers: readers that turn a source (the official xlsx, narrative texts, the bundled
//! sample) into validated data, and the reports of what they found. The readers touch no
//! database; an import is written by the workflow ([`crate::workflow::import`]), in one
//! transaction with its audit entry.
pub mod dataset;
pub mod narratives;
mod report;
pub mod sample;
pub mod workbook;

pub use report::{CountryReport, ImportReport, NarrativeLine, NarrativeReport, Problem};

use crate::repo;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, TransactionTrait};

/// Loads the bundled sample when the database holds no edition yet. Returns whether it did.
#[tracing::instrument(skip(db))]
pub async fn load_sample_if_empty(db: &DatabaseConnection) -> Result<bool, DbErr> {
    let txn = db.begin().await?;
    // one loader at a time: two servers starting together must not both load it
    txn.execute_unprepared("LOCK TABLE editions IN EXCLUSIVE MODE").await?;
    if !repo::catalog::editions(&txn, repo::Visibility::All).await?.is_empty() {
        return Ok(false);
    }
    let countries = repo::catalog::countries(&txn, None).await?;
    let indicators = repo::catalog::indicators(&txn).await?;
    for edition in sample::editions(&countries, &indicators) {
        repo::dataset::replace_published_edition(&txn, &edition).await?;
    }
    repo::figures::recompute(&txn).await?;
    let mut groups: std::collections::BTreeMap<(i32, String), Vec<sample::SampleNarrative>> =
        Default::default();
    for n in sample::narratives() {
        groups.entry((n.year, n.iso3.clone())).or_default().push(n);
    }
    for ((year, iso3), mut narratives) in groups {
        narratives.sort_by_key(|n| n.position);
        let edition = repo::catalog::edition_by_year(&txn, year, repo::Visibility::All).await?;
        let country = countries.iter().find(|c| c.iso3 == iso3);
        let (Some(edition), Some(country)) = (edition, country) else { continue };
        let stored: Vec<repo::narratives::NewNarrative> = narratives
            .into_iter()
            .map(|n| repo::narratives::NewNarrative {
                indicator_ids: n
                    .indicators
                    .iter()
                    .filter_map(|slug| indicators.iter().find(|i| &i.slug == slug).map(|i| i.id))
                    .collect(),
                heading: n.heading,
                body: n.body,
            })
            .collect();
        repo::narratives::replace(&txn, edition.id, country.id, &stored).await?;
    }
    txn.commit().await?;
    Ok(true)
}
