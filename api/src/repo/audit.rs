//! The audit log: appended to by every mutation, read newest first.
use entity::audit_entry::{self, AuditOutcome, Role};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

/// One entry to append.
#[derive(Debug, Clone)]
pub struct NewEntry {
    pub actor: String,
    pub api_key_id: Option<i32>,
    pub role: Role,
    pub operation: String,
    pub edition: Option<i32>,
    pub counts: serde_json::Value,
    pub outcome: AuditOutcome,
    pub code: Option<String>,
    pub message: Option<String>,
}

#[tracing::instrument(skip(db, entry), fields(operation = %entry.operation, outcome = ?entry.outcome))]
pub async fn record<C: ConnectionTrait>(db: &C, entry: NewEntry) -> Result<(), DbErr> {
    audit_entry::ActiveModel {
        actor: Set(entry.actor),
        api_key_id: Set(entry.api_key_id),
        role: Set(entry.role),
        operation: Set(entry.operation),
        edition: Set(entry.edition),
        counts: Set(entry.counts),
        outcome: Set(entry.outcome),
        code: Set(entry.code),
        message: Set(entry.message),
        ..Default::default()
    }
    .insert(db)
    .await
    .map(|_| ())
}

/// Up to `limit` entries older than `before` (an entry id), newest first.
pub async fn page<C: ConnectionTrait>(
    db: &C,
    before: Option<i64>,
    limit: u64,
) -> Result<Vec<audit_entry::Model>, DbErr> {
    let mut query = audit_entry::Entity::find().order_by_desc(audit_entry::Column::Id).limit(limit);
    if let Some(before) = before {
        query = query.filter(audit_entry::Column::Id.lt(before));
    }
    query.all(db).await
}

/// How many entries there are.
pub async fn count<C: ConnectionTrait>(db: &C) -> Result<u64, DbErr> {
    audit_entry::Entity::find().count(db).await
}
