//! The editions workflow: every admin operation checks all of its input before writing, writes
//! in one transaction under the write lock, and is recorded in the audit log however it ends
//! (a refusal is recorded after its transaction was rolled back, so it writes nothing else).
pub mod countries;
pub mod editions;
pub mod import;
pub mod keys;
pub mod narratives;
mod scope;
pub mod scores;
pub mod webhooks;

pub use crate::auth::Actor;

use crate::error::{ApiError, BadInput, Result};
use crate::repo;
use async_graphql::Value;
use entity::edition;
use entity::values::AuditOutcome;
use sea_orm::{DatabaseConnection, DatabaseTransaction, TransactionTrait};
use serde::Serialize;

/// What an operation did, by name, for the audit log: `[("scores", 1600)]`.
pub type Counts = Vec<(&'static str, i64)>;

/// The result of an operation's work, with what it did.
pub struct Done<T> {
    pub value: T,
    pub counts: Counts,
}

impl<T> Done<T> {
    pub fn new(value: T, counts: Counts) -> Self {
        Self { value, counts }
    }
}

/// How an operation's work ended: with its writes to commit, or refused with an answer for
/// the caller (an import's report, which lists the file's problems: not an error).
pub enum Outcome<T> {
    Commit(Done<T>),
    /// Roll back, record the refusal `because`, and answer `value`.
    Refuse {
        value: T,
        because: ApiError,
    },
    /// Nothing to do (another server already did it): roll back, record nothing, answer.
    Nothing(T),
}

/// Runs `work` in one transaction that holds the write lock. On success the audit entry is
/// written in the same transaction, which then commits; on failure the transaction is rolled
/// back and the refusal is recorded on its own.
pub async fn run<T>(
    db: &DatabaseConnection,
    actor: &Actor,
    operation: &str,
    edition: Option<i32>,
    work: impl AsyncFnOnce(&DatabaseTransaction) -> Result<Done<T>>,
) -> Result<T> {
    run_with(db, actor, operation, edition, async move |txn| work(txn).await.map(Outcome::Commit))
        .await
}

/// [`run`] for work that may be refused with an answer rather than an error (the imports:
/// a file with problems gets its report). A refusal rolls back, is recorded like an error's
/// (its problem count from `because`), and the caller gets the answer.
pub async fn run_with<T>(
    db: &DatabaseConnection,
    actor: &Actor,
    operation: &str,
    edition: Option<i32>,
    work: impl AsyncFnOnce(&DatabaseTransaction) -> Result<Outcome<T>>,
) -> Result<T> {
    // Ok(Ok(value)): committed or nothing to do; Ok(Err(..)): refused with an answer;
    // Err(..): refused or failed
    let attempt = async {
        let txn = db.begin().await?;
        repo::editions::lock_for_writing(&txn).await?;
        match work(&txn).await {
            Ok(Outcome::Commit(done)) => {
                let entry = entry(actor, operation, edition, &done.counts, None);
                repo::audit::record(&txn, entry).await?;
                txn.commit().await?;
                Ok(Ok(done.value))
            }
            Ok(Outcome::Refuse { value, because }) => {
                roll_back(txn).await;
                Ok(Err((value, because)))
            }
            Ok(Outcome::Nothing(value)) => {
                roll_back(txn).await;
                Ok(Ok(value))
            }
            Err(err) => {
                roll_back(txn).await;
                Err(err)
            }
        }
    };
    match attempt.await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err((value, because))) => {
            record_refusal(db, actor, operation, edition, &because).await;
            Ok(value)
        }
        Err(err) => {
            record_refusal(db, actor, operation, edition, &err).await;
            Err(err)
        }
    }
}

async fn roll_back(txn: DatabaseTransaction) {
    if let Err(rollback) = txn.rollback().await {
        tracing::warn!(error = %rollback, "rolling back a refused operation");
    }
}

/// Records an attempt that was refused (or failed) and wrote nothing. A failure to record it
/// is logged: the caller still gets the original error.
pub async fn record_refusal(
    db: &DatabaseConnection,
    actor: &Actor,
    operation: &str,
    edition: Option<i32>,
    err: &ApiError,
) {
    let problems = match err {
        ApiError::BadUserInput(bad) => match &bad.details {
            Some(Value::List(list)) => list.len() as i64,
            _ => 1,
        },
        _ => 0,
    };
    let counts = if problems > 0 { vec![("problems", problems)] } else { Vec::new() };
    if let Err(audit_err) =
        repo::audit::record(db, entry(actor, operation, edition, &counts, Some(err))).await
    {
        tracing::error!(error = %audit_err, operation, "could not record a refused attempt in the audit log");
    }
}

fn entry(
    actor: &Actor,
    operation: &str,
    edition: Option<i32>,
    counts: &Counts,
    err: Option<&ApiError>,
) -> repo::audit::NewEntry {
    let counts =
        counts.iter().map(|(name, n)| ((*name).to_owned(), serde_json::Value::from(*n))).collect();
    let outcome = match err {
        None => AuditOutcome::Ok,
        Some(ApiError::Internal(_)) => AuditOutcome::Failed,
        Some(_) => AuditOutcome::Refused,
    };
    repo::audit::NewEntry {
        actor: actor.name.clone(),
        api_key_id: actor.key_id,
        role: actor.role,
        operation: operation.to_owned(),
        edition,
        counts: serde_json::Value::Object(counts),
        outcome,
        code: err.map(|e| e.code().to_owned()),
        message: err.map(ApiError::message),
    }
}

/// A refusal that lists every problem of the input under `extensions.problems`.
pub fn refuse<P: Serialize>(field: &str, message: String, problems: &[P]) -> ApiError {
    match async_graphql::to_value(problems) {
        Ok(details) => ApiError::BadUserInput(Box::new(BadInput {
            message,
            field: Some(field.to_owned()),
            value: None,
            details: Some(details),
        })),
        Err(err) => ApiError::internal(anyhow::anyhow!("serialising problems: {err}")),
    }
}

/// The edition a mutation works on, whatever its status.
pub async fn find_edition(txn: &DatabaseTransaction, year: i32) -> Result<edition::Model> {
    repo::catalog::edition_by_year(txn, year, repo::Visibility::All)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("there is no edition {year}")))
}

/// Why a published edition cannot be changed.
pub fn locked(edition: &edition::Model) -> String {
    format!(
        "the {} edition is published and locked: reopen it (reopenEdition) before changing it",
        edition.year
    )
}
