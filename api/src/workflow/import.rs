//! The official dataset and narrative texts uploaded through GraphQL: the CLI's engine,
//! audited, under the workflow's rule for published editions. The dataset import writes
//! published editions and is ADMIN's alone (its guard). A narrative import into a published
//! edition needs ADMIN too: an EDITOR works on drafts, as with `upsertNarratives`, and is
//! refused with `FORBIDDEN` (audited) until an ADMIN reopens the edition.
use super::{record_refusal, Actor};
use crate::auth::Role;
use crate::error::{ApiError, Result};
use crate::import::narratives::{ImportError, NarrativeReport, Published};
use crate::import::{self, ImportReport};
use crate::repo;
use entity::values::AuditOutcome;
use sea_orm::DatabaseConnection;

/// Imports (or, in a dry run, checks) the workbook. A file with problems is not an error: the
/// report lists them and nothing is written; the audit log records it as refused.
pub async fn dataset(
    db: &DatabaseConnection,
    actor: &Actor,
    bytes: &[u8],
    dry_run: bool,
) -> Result<ImportReport> {
    let operation = if dry_run { "importDataset (dry run)" } else { "importDataset" };
    let report = match import::import_dataset(db, bytes, dry_run).await {
        Ok(report) => report,
        Err(err) => {
            let err = ApiError::from(err);
            record_refusal(db, actor, operation, None, &err).await;
            return Err(err);
        }
    };
    let counts = serde_json::json!({
        "editions": report.editions.len(),
        "countries": report.countries,
        "scores": report.scores_written,
        "figures": report.figures_stored,
        "problems": report.problems.len(),
    });
    record(db, actor, operation, None, counts, &report).await;
    Ok(report)
}

/// Imports (or checks) narrative texts for an edition; audited like the dataset import.
pub async fn narratives(
    db: &DatabaseConnection,
    actor: &Actor,
    text: &str,
    edition: i32,
    country: Option<&str>,
    dry_run: bool,
) -> Result<NarrativeReport> {
    let operation = if dry_run { "importNarratives (dry run)" } else { "importNarratives" };
    let published =
        if actor.role.includes(Role::Admin) { Published::Writable } else { Published::Locked };
    let imported =
        import::narratives::import_narratives_as(db, text, edition, country, dry_run, published)
            .await;
    let narratives = match imported {
        Ok(report) => report,
        Err(err) => {
            let err = match err {
                ImportError::Database(err) => ApiError::from(err),
                ImportError::Locked { year } => ApiError::Forbidden(format!(
                    "the {year} edition is published: only an ADMIN may import narratives into \
                     it; an EDITOR works on drafts (an ADMIN can reopen it with reopenEdition)"
                )),
            };
            record_refusal(db, actor, operation, Some(edition), &err).await;
            return Err(err);
        }
    };
    let report = ImportReport::from(&narratives);
    let counts = serde_json::json!({
        "countries": report.countries,
        "narratives": narratives.countries.iter().map(|c| c.narratives.len()).sum::<usize>(),
        "problems": report.problems.len(),
    });
    record(db, actor, operation, Some(edition), counts, &report).await;
    Ok(narratives)
}

/// Records an import in the audit log: a file with problems is a refusal.
async fn record(
    db: &DatabaseConnection,
    actor: &Actor,
    operation: &str,
    edition: Option<i32>,
    counts: serde_json::Value,
    report: &ImportReport,
) {
    let (outcome, code, message) = if report.succeeded() {
        (AuditOutcome::Ok, None, None)
    } else {
        let message =
            format!("the file has {} problems; nothing was written", report.problems.len());
        (AuditOutcome::Refused, Some("BAD_USER_INPUT".to_owned()), Some(message))
    };
    let entry = repo::audit::NewEntry {
        actor: actor.name.clone(),
        api_key_id: actor.key_id,
        role: actor.role,
        operation: operation.to_owned(),
        // a workbook holds several editions: the counts say how many
        edition,
        counts,
        outcome,
        code,
        message,
    };
    if let Err(err) = repo::audit::record(db, entry).await {
        tracing::error!(error = %err, "could not record an import in the audit log");
    }
}
