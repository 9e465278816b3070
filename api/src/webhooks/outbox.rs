//! The outbox: an edition event is written by the operation that causes it, inside that
//! operation's transaction (see `workflow::editions`). It exists if and only if the change
//! committed, and the worker delivers it however long the endpoints are away and whichever
//! server restarts meanwhile.
use super::{EditionEvent, EventEdition, WebhookEvent, CHANNEL};
use crate::error::{ApiError, Result};
use crate::repo;
use chrono::Utc;
use entity::edition;
use sea_orm::{ActiveEnum, DatabaseTransaction};

/// Records `event` about `edition` (as it is at this point of the transaction) for every
/// subscribed endpoint, and announces it to every server when the transaction commits.
pub async fn record(
    txn: &DatabaseTransaction,
    event: WebhookEvent,
    edition: &edition::Model,
) -> Result<EditionEvent> {
    let record = EditionEvent {
        id: uuid::Uuid::new_v4().to_string(),
        event,
        occurred_at: Utc::now(),
        edition: EventEdition {
            year: edition.year,
            status: edition.status.to_value(),
            published_at: edition.published_at.map(|t| t.with_timezone(&Utc)),
        },
    };
    let body = serde_json::to_string(&record).map_err(ApiError::internal)?;
    repo::webhooks::record_event(
        txn,
        &record.id,
        event.as_str(),
        record.occurred_at,
        &body,
        CHANNEL,
    )
    .await?;
    Ok(record)
}
