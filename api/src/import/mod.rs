//! Importers: readers that turn a source (the official xlsx, narrative texts, the bundled
//! sample) into validated data, each written in a single transaction.
pub mod dataset;
pub mod narratives;
mod report;
pub mod sample;
pub mod workbook;

pub use report::{ImportReport, Problem};

use crate::domain::Continent;
use crate::methodology::HalfStep;

/// One edition as a source gives it, resolved against the database's countries and indicators.
#[derive(Debug, Clone)]
pub struct EditionData {
    pub year: i32,
    pub title: String,
    /// The edition's indicator set (composites included), by indicator id.
    pub indicator_ids: Vec<i32>,
    pub rows: Vec<CountryRow>,
}

#[derive(Debug, Clone)]
pub struct CountryRow {
    pub country_id: i32,
    pub continent: Continent,
    pub region: String,
    /// Entered scores of raw indicators, by indicator id.
    pub scores: Vec<(i32, HalfStep)>,
}

impl EditionData {
    pub fn score_count(&self) -> usize {
        self.rows.iter().map(|r| r.scores.len()).sum()
    }
}

use crate::repo;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, TransactionTrait};

/// Imports the official dataset workbook: reads and checks everything first, then writes all
/// editions and rebuilds the derived figures in one transaction. With any problem, or in a
/// dry run, nothing is written.
#[tracing::instrument(skip(db, bytes), fields(bytes = bytes.len()))]
pub async fn import_dataset(
    db: &DatabaseConnection,
    bytes: &[u8],
    dry_run: bool,
) -> Result<ImportReport, DbErr> {
    crate::telemetry::timed("import", import_workbook(db, bytes, dry_run)).await
}

async fn import_workbook(
    db: &DatabaseConnection,
    bytes: &[u8],
    dry_run: bool,
) -> Result<ImportReport, DbErr> {
    let catalog = dataset::Catalog {
        indicators: repo::catalog::indicators(db).await?,
        aliases: repo::catalog::alias_index(db).await?,
    };
    // unpacking and checking a workbook is CPU work: on a blocking thread, not the server's
    let owned = bytes.to_vec();
    let reading = tokio::task::spawn_blocking(move || dataset::read(&owned, &catalog))
        .await
        .map_err(|err| DbErr::Custom(format!("the workbook reader failed: {err}")))?;
    let mut report = ImportReport {
        dry_run,
        editions: reading.editions.iter().map(|e| e.year).collect(),
        countries: reading.countries,
        scores_written: reading.editions.iter().map(EditionData::score_count).sum(),
        composites_checked: reading.composites_checked,
        composites_reproduced: reading.composites_reproduced,
        figures_stored: 0,
        problems: reading.problems,
    };
    if dry_run || !report.succeeded() {
        return Ok(report);
    }
    let txn = db.begin().await?;
    repo::editions::lock_for_writing(&txn).await?;
    for edition in &reading.editions {
        repo::dataset::replace_published_edition(&txn, edition).await?;
    }
    report.figures_stored = repo::figures::recompute(&txn).await?.figures;
    txn.commit().await?;
    repo::figures::analyze(db).await?;
    Ok(report)
}

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
