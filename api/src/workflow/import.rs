//! The official dataset and narrative texts, from a GraphQL upload or the command line: read
//! before the transaction (CPU work, on a blocking thread, holding no lock), then checked and
//! written under the workflow's rules, in one transaction with the audit entry. A file with
//! problems is not an error: the report lists them, nothing is written, and the audit log
//! records a refusal with the problem count. A dry run checks everything a real run does
//! (under the lock, so that it sees what a real run would) and writes only its audit entry.
//!
//! The dataset import writes published editions and is ADMIN's alone (its guard). A narrative
//! import into a published edition needs ADMIN too: an EDITOR works on drafts, as with
//! `upsertNarratives`, and is refused with `FORBIDDEN` (audited) until an ADMIN reopens the
//! edition. The command line acts as ADMIN ([`Actor::command_line`]).
//!
//! [`check_dataset`] and [`check_narratives`] are the command line's dry runs: the same
//! checks in a read-only transaction, writing nothing at all, not even an audit entry, so
//! that they can run against a database one may only read.
use super::{record_refusal, refuse, run_with, Actor, Counts, Done, Outcome};
use crate::auth::Role;
use crate::error::{ApiError, Result};
use crate::import::narratives::{self, store};
use crate::import::{dataset, sample, ImportReport, NarrativeReport, Problem};
use crate::repo;
use crate::telemetry::timed;
use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseConnection, DatabaseTransaction, TransactionTrait,
};
use std::collections::BTreeMap;

/// Imports (or, in a dry run, checks) the workbook.
#[tracing::instrument(skip(db, actor, bytes), fields(bytes = bytes.len()))]
pub async fn dataset(
    db: &DatabaseConnection,
    actor: &Actor,
    bytes: &[u8],
    dry_run: bool,
) -> Result<ImportReport> {
    let operation = if dry_run { "importDataset (dry run)" } else { "importDataset" };
    let reading = match read_workbook(db, bytes).await {
        Ok(reading) => reading,
        Err(err) => {
            record_refusal(db, actor, operation, None, &err).await;
            return Err(err);
        }
    };
    let work = run_with(db, actor, operation, None, async |txn| {
        let (mut report, changes) = compare_dataset(txn, &reading, dry_run).await?;
        if !report.succeeded() {
            return Ok(refused(report.problems.clone(), report));
        }
        // when nothing changes nothing is written: no row, no figure rebuilt, and no change
        // notification that would empty every server's cache
        if !dry_run && report.rows_changed > 0 {
            for (edition, changes) in reading.editions.iter().zip(&changes) {
                repo::dataset::apply(txn, edition, changes).await?;
            }
            report.figures_stored = repo::figures::recompute(txn).await?.figures;
        }
        let counts = dataset_counts(&report);
        Ok(Outcome::Commit(Done::new(report, counts)))
    });
    let report = timed("import", work).await?;
    if report.written() {
        // published editions are read by everyone: plan their queries on fresh statistics
        if let Err(err) = repo::figures::analyze(db, &repo::figures::imported()).await {
            tracing::warn!(error = %err, "analyzing the tables after an import");
        }
    }
    Ok(report)
}

/// The command line's dry run of [`dataset`]: the same checks, read only, not audited.
pub async fn check_dataset(db: &DatabaseConnection, bytes: &[u8]) -> Result<ImportReport> {
    let reading = read_workbook(db, bytes).await?;
    let txn = read_only(db).await?;
    let (report, _) = compare_dataset(&txn, &reading, true).await?;
    txn.rollback().await?;
    Ok(report)
}

/// Reads the workbook against the database's indicators and country spellings.
async fn read_workbook(db: &DatabaseConnection, bytes: &[u8]) -> Result<dataset::Reading> {
    let catalog = dataset::Catalog {
        indicators: repo::catalog::indicators(db).await?,
        aliases: repo::catalog::alias_index(db).await?,
    };
    // unpacking and checking a workbook is CPU work: on a blocking thread, not the server's
    let owned = bytes.to_vec();
    tokio::task::spawn_blocking(move || dataset::read(&owned, &catalog))
        .await
        .map_err(|err| ApiError::internal(anyhow::anyhow!("the workbook reader failed: {err}")))
}

/// The report of a reading, with what writing each of its editions would change (nothing
/// when it has problems). Reads only.
async fn compare_dataset<C: ConnectionTrait>(
    db: &C,
    reading: &dataset::Reading,
    dry_run: bool,
) -> Result<(ImportReport, Vec<repo::dataset::EditionChanges>)> {
    let mut report = ImportReport {
        dry_run,
        editions: reading.editions.iter().map(|e| e.year).collect(),
        countries: reading.countries,
        scores_read: reading.editions.iter().map(repo::dataset::EditionData::score_count).sum(),
        composites_checked: reading.composites_checked,
        composites_reproduced: reading.composites_reproduced,
        problems: reading.problems.clone(),
        ..ImportReport::default()
    };
    let mut all = Vec::new();
    if report.succeeded() {
        for edition in &reading.editions {
            let changes = repo::dataset::changes(db, edition).await?;
            report.scores_written += changes.scores_written.len();
            report.rows_changed += changes.rows();
            all.push(changes);
        }
    }
    Ok((report, all))
}

fn dataset_counts(report: &ImportReport) -> Counts {
    vec![
        ("editions", report.editions.len() as i64),
        ("countries", report.countries as i64),
        ("scores", report.scores_written as i64),
        ("rows", report.rows_changed as i64),
        ("figures", report.figures_stored as i64),
    ]
}

/// Imports (or checks) narrative texts for an edition.
#[tracing::instrument(skip(db, actor, text), fields(bytes = text.len()))]
pub async fn narratives(
    db: &DatabaseConnection,
    actor: &Actor,
    text: &str,
    edition: i32,
    country: Option<&str>,
    dry_run: bool,
) -> Result<NarrativeReport> {
    let operation = if dry_run { "importNarratives (dry run)" } else { "importNarratives" };
    let read = match read_texts(db, actor, text, edition, country).await {
        Ok(read) => read,
        Err(err) => {
            record_refusal(db, actor, operation, Some(edition), &err).await;
            return Err(err);
        }
    };
    let work = run_with(db, actor, operation, Some(edition), async |txn| {
        let (stored, reading) = match read {
            Read::Refused(problem) => {
                let mut report = store::report(edition, dry_run);
                report.problems.push(problem);
                return Ok(refused(report.problems.clone(), report));
            }
            Read::Read(stored, reading) => (stored, reading),
        };
        // the edition's state is read again under the lock: it may have changed meanwhile
        let current = repo::catalog::edition_by_year(txn, edition, repo::Visibility::All).await?;
        let Some(current) = current.filter(|e| e.id == stored.edition.id) else {
            let mut report = store::report(edition, dry_run);
            let reason = format!("the edition {edition} was deleted during the import");
            report.problems.push(store::missing_edition(edition, reason));
            return Ok(refused(report.problems.clone(), report));
        };
        may_write(actor, &current)?;
        let mut report = store::report(edition, dry_run);
        let writes = store::check(txn, &stored, reading, &mut report).await?;
        if !report.succeeded() {
            return Ok(refused(report.problems.clone(), report));
        }
        store::write(txn, current.id, &writes, dry_run, &mut report).await?;
        let counts = vec![
            ("countries", report.countries.len() as i64),
            ("narratives", report.countries.iter().map(|c| c.narratives.len() as i64).sum()),
            ("changed", report.countries_changed as i64),
            ("descriptions", report.descriptions_stored as i64),
        ];
        Ok(Outcome::Commit(Done::new(report, counts)))
    });
    timed("import_narratives", work).await
}

/// The command line's dry run of [`narratives`]: the same checks, read only, not audited.
pub async fn check_narratives(
    db: &DatabaseConnection,
    text: &str,
    edition: i32,
    country: Option<&str>,
) -> Result<NarrativeReport> {
    let mut report = store::report(edition, true);
    let (stored, reading) =
        match read_texts(db, &Actor::command_line(), text, edition, country).await? {
            Read::Refused(problem) => {
                report.problems.push(problem);
                return Ok(report);
            }
            Read::Read(stored, reading) => (stored, reading),
        };
    let txn = read_only(db).await?;
    let writes = store::check(&txn, &stored, reading, &mut report).await?;
    if report.succeeded() {
        store::write(&txn, stored.edition.id, &writes, true, &mut report).await?;
    }
    txn.rollback().await?;
    Ok(report)
}

/// A narrative text read against its edition's catalogue, or why it could not be.
enum Read {
    Read(Box<store::Stored>, narratives::Reading),
    /// The edition does not exist.
    Refused(Problem),
}

async fn read_texts(
    db: &DatabaseConnection,
    actor: &Actor,
    text: &str,
    edition: i32,
    country: Option<&str>,
) -> Result<Read> {
    let stored = match store::load(db, edition).await? {
        Ok(stored) => stored,
        Err(problem) => return Ok(Read::Refused(problem)),
    };
    // refused before the text is read; checked again under the lock
    may_write(actor, &stored.edition)?;
    // Reading is CPU work on the caller's text: on a blocking thread, before the transaction
    // opens, so that it neither stalls the server nor holds the lock.
    let (owned, given) = (text.to_owned(), country.map(str::to_owned));
    let (reading, stored) = tokio::task::spawn_blocking(move || {
        let reading = narratives::read(&owned, &stored.catalog, given.as_deref());
        (reading, stored)
    })
    .await
    .map_err(|err| ApiError::internal(anyhow::anyhow!("the narrative reader failed: {err}")))?;
    Ok(Read::Read(Box::new(stored), reading))
}

/// The published-edition rule: only an ADMIN changes a published edition's narratives.
fn may_write(actor: &Actor, edition: &entity::edition::Model) -> Result<()> {
    if edition.is_published() && !actor.role.includes(Role::Admin) {
        return Err(ApiError::Forbidden(format!(
            "the {} edition is published: only an ADMIN may import narratives into it; an \
             EDITOR works on drafts (an ADMIN can reopen it with reopenEdition)",
            edition.year
        )));
    }
    Ok(())
}

/// A report with problems: rolled back and audited as refused, with the problem count.
fn refused<T>(problems: Vec<Problem>, report: T) -> Outcome<T> {
    let message = format!("the file has {} problems; nothing was written", problems.len());
    Outcome::Refuse { value: report, because: refuse("file", message, &problems) }
}

/// A transaction that Postgres refuses to write in: a dry run's guarantee.
async fn read_only(db: &DatabaseConnection) -> Result<DatabaseTransaction> {
    Ok(db.begin_with_config(None, Some(AccessMode::ReadOnly)).await?)
}

/// Loads the bundled sample when the database holds no edition yet, as the server's first
/// start does (`OCINDEX_SAMPLE`), through the same path as any write: under the write lock, so
/// that of two servers starting together one loads it and the other finds it there, and with
/// its audit entry. Returns whether it loaded it.
#[tracing::instrument(skip(db))]
pub async fn sample(db: &DatabaseConnection) -> Result<bool> {
    // the common case, a database in use, takes no lock
    if !repo::catalog::editions(db, repo::Visibility::All).await?.is_empty() {
        return Ok(false);
    }
    run_with(db, &Actor::sample_loader(), "loadSample", None, async |txn| {
        if !repo::catalog::editions(txn, repo::Visibility::All).await?.is_empty() {
            return Ok(Outcome::Nothing(false));
        }
        let countries = repo::catalog::countries(txn, None).await?;
        let indicators = repo::catalog::indicators(txn).await?;
        let editions = sample::editions(&countries, &indicators);
        for edition in &editions {
            repo::dataset::replace_published_edition(txn, edition).await?;
        }
        let figures = repo::figures::recompute(txn).await?;
        let mut groups: BTreeMap<(i32, String), Vec<sample::SampleNarrative>> = BTreeMap::new();
        for n in sample::narratives() {
            groups.entry((n.year, n.iso3.clone())).or_default().push(n);
        }
        let mut stored_narratives = 0;
        for ((year, iso3), mut narratives) in groups {
            narratives.sort_by_key(|n| n.position);
            let edition = repo::catalog::edition_by_year(txn, year, repo::Visibility::All).await?;
            let country = countries.iter().find(|c| c.iso3 == iso3);
            let (Some(edition), Some(country)) = (edition, country) else { continue };
            let stored: Vec<repo::narratives::NewNarrative> = narratives
                .into_iter()
                .map(|n| repo::narratives::NewNarrative {
                    indicator_ids: n
                        .indicators
                        .iter()
                        .filter_map(|slug| {
                            indicators.iter().find(|i| &i.slug == slug).map(|i| i.id)
                        })
                        .collect(),
                    heading: n.heading,
                    body: n.body,
                })
                .collect();
            stored_narratives += stored.len() as i64;
            repo::narratives::replace(txn, edition.id, country.id, &stored).await?;
        }
        let counts: Counts = vec![
            ("editions", editions.len() as i64),
            ("figures", figures.figures as i64),
            ("narratives", stored_narratives),
        ];
        Ok(Outcome::Commit(Done::new(true, counts)))
    })
    .await
}
