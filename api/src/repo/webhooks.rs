//! Webhooks: endpoints, the outbox of edition events, deliveries (claimed by workers with
//! `FOR UPDATE SKIP LOCKED`, so that several servers never send the same attempt twice) and
//! the record of every attempt.
use chrono::{DateTime, Utc};
use entity::values::DeliveryStatus;
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, Statement, Value};

/// A stored endpoint, secret included (only the worker and `createWebhook` read it).
#[derive(Clone, Debug, FromQueryResult)]
pub struct Webhook {
    pub id: i32,
    pub url: String,
    pub events: Vec<String>,
    pub secret: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

/// A delivery of one event to one endpoint, with its state.
#[derive(Clone, Debug, FromQueryResult)]
pub struct Delivery {
    pub id: i64,
    pub event_id: String,
    pub event: String,
    pub occurred_at: DateTime<Utc>,
    pub webhook_id: i32,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// One attempt to deliver.
#[derive(Clone, Debug, FromQueryResult)]
pub struct Attempt {
    pub id: i64,
    pub delivery_id: i64,
    pub attempted_at: DateTime<Utc>,
    pub status_code: Option<i32>,
    pub duration_ms: i32,
    pub error: Option<String>,
}

/// A delivery claimed by a worker, with what it needs to send it.
#[derive(Clone, Debug, FromQueryResult)]
pub struct Claimed {
    pub id: i64,
    pub event_id: String,
    pub event: String,
    pub body: String,
    pub url: String,
    pub secret: String,
    /// Attempts so far, this one included.
    pub attempts: i32,
}

fn statement<C: ConnectionTrait>(db: &C, sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(db.get_database_backend(), sql, values)
}

const WEBHOOK_COLUMNS: &str = "id, url, events, secret, created_at, created_by";

#[tracing::instrument(skip(db, secret))]
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    url: &str,
    events: &[String],
    secret: &str,
    created_by: &str,
) -> Result<Webhook, DbErr> {
    let sql = format!(
        "INSERT INTO webhooks (url, events, secret, created_by) VALUES ($1, $2, $3, $4)
         RETURNING {WEBHOOK_COLUMNS}"
    );
    let values = vec![url.into(), events.to_vec().into(), secret.into(), created_by.into()];
    Webhook::find_by_statement(statement(db, &sql, values))
        .one(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotInserted)
}

pub async fn all<C: ConnectionTrait>(db: &C) -> Result<Vec<Webhook>, DbErr> {
    let sql = format!("SELECT {WEBHOOK_COLUMNS} FROM webhooks ORDER BY id");
    Webhook::find_by_statement(statement(db, &sql, vec![])).all(db).await
}

pub async fn by_id<C: ConnectionTrait>(db: &C, id: i32) -> Result<Option<Webhook>, DbErr> {
    let sql = format!("SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE id = $1");
    Webhook::find_by_statement(statement(db, &sql, vec![id.into()])).one(db).await
}

/// Deletes an endpoint with its deliveries and their attempts. Whether it existed.
#[tracing::instrument(skip(db))]
pub async fn delete<C: ConnectionTrait>(db: &C, id: i32) -> Result<bool, DbErr> {
    let done =
        db.execute(statement(db, "DELETE FROM webhooks WHERE id = $1", vec![id.into()])).await?;
    Ok(done.rows_affected() > 0)
}

/// Writes an event to the outbox with a delivery for every endpoint subscribed to it, and
/// notifies `channel` with the event's body: Postgres sends the notification when, and only
/// if, the caller's transaction commits, so listeners never hear of a change that was undone.
#[tracing::instrument(skip(db, body))]
pub async fn record_event<C: ConnectionTrait>(
    db: &C,
    id: &str,
    event: &str,
    occurred_at: DateTime<Utc>,
    body: &str,
    channel: &str,
) -> Result<(), DbErr> {
    // data-modifying CTEs run whether or not the final SELECT reads them
    let sql = "WITH stored AS (
                   INSERT INTO webhook_events (id, event, occurred_at, body)
                   VALUES ($1::uuid, $2, $3, $4)
                   RETURNING id
               ), deliveries AS (
                   INSERT INTO webhook_deliveries (event_id, webhook_id)
                   SELECT stored.id, w.id FROM stored, webhooks w WHERE $2 = ANY (w.events)
               )
               SELECT pg_notify($5, $4)::text AS notified FROM stored";
    let values = vec![id.into(), event.into(), occurred_at.into(), body.into(), channel.into()];
    db.execute(statement(db, sql, values)).await.map(|_| ())
}

/// Claims up to `limit` due deliveries for this worker: each gets its attempt counted and a
/// lease of `lease_seconds`, after which another worker may take it (if this one died).
#[tracing::instrument(skip(db))]
pub async fn claim_due<C: ConnectionTrait>(
    db: &C,
    limit: i64,
    lease_seconds: i64,
) -> Result<Vec<Claimed>, DbErr> {
    let sql = "WITH due AS (
                   SELECT id FROM webhook_deliveries
                   WHERE status = 'PENDING' AND next_attempt_at <= now()
                   ORDER BY next_attempt_at, id
                   LIMIT $1
                   FOR UPDATE SKIP LOCKED
               ), claimed AS (
                   UPDATE webhook_deliveries d
                   SET attempts = d.attempts + 1,
                       next_attempt_at = now() + make_interval(secs => $2)
                   FROM due WHERE d.id = due.id
                   RETURNING d.id, d.event_id, d.webhook_id, d.attempts
               )
               SELECT c.id, c.event_id::text AS event_id, e.event, e.body, w.url, w.secret,
                      c.attempts
               FROM claimed c
               JOIN webhook_events e ON e.id = c.event_id
               JOIN webhooks w ON w.id = c.webhook_id
               ORDER BY c.id";
    let values = vec![limit.into(), (lease_seconds as f64).into()];
    Claimed::find_by_statement(statement(db, sql, values)).all(db).await
}

/// How long until the next delivery is due (0 when overdue), or `None` when none is pending.
/// (An aggregate would answer a row even with nothing pending, and `greatest(0, NULL)` is 0:
/// the worker then polled 45 times a second on an idle server.)
pub async fn next_due_in<C: ConnectionTrait>(db: &C) -> Result<Option<f64>, DbErr> {
    let sql = "SELECT extract(epoch FROM next_attempt_at - now())::float8 AS s
               FROM webhook_deliveries WHERE status = 'PENDING'
               ORDER BY next_attempt_at LIMIT 1";
    let row = db.query_one(statement(db, sql, vec![])).await?;
    let due_in = row.and_then(|r| r.try_get::<Option<f64>>("", "s").ok().flatten());
    Ok(due_in.map(|seconds| seconds.max(0.0)))
}

/// What came of one attempt.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub status_code: Option<i32>,
    pub duration_ms: i32,
    pub error: Option<String>,
    /// The endpoint took it (a 2xx answer).
    pub delivered: bool,
    /// When to try again; `None` with `delivered` false means: give up.
    pub retry_in_seconds: Option<f64>,
}

/// Records an attempt and moves its delivery on: delivered, retried later, or failed for good.
#[tracing::instrument(skip(db, outcome))]
pub async fn record_attempt<C: ConnectionTrait>(
    db: &C,
    delivery_id: i64,
    outcome: &Outcome,
) -> Result<(), DbErr> {
    let sql = "WITH attempt AS (
                   INSERT INTO webhook_attempts (delivery_id, status_code, duration_ms, error)
                   VALUES ($1, $2, $3, $4)
               )
               UPDATE webhook_deliveries SET
                   status = CASE WHEN $5 THEN 'DELIVERED'
                                 WHEN $6::float8 IS NULL THEN 'FAILED'
                                 ELSE 'PENDING' END,
                   delivered_at = CASE WHEN $5 THEN now() END,
                   next_attempt_at = CASE WHEN $6::float8 IS NULL THEN next_attempt_at
                                          ELSE now() + make_interval(secs => $6::float8) END
               WHERE id = $1";
    let values = vec![
        delivery_id.into(),
        outcome.status_code.into(),
        outcome.duration_ms.into(),
        outcome.error.clone().into(),
        outcome.delivered.into(),
        outcome.retry_in_seconds.into(),
    ];
    db.execute(statement(db, sql, values)).await.map(|_| ())
}

/// Up to `limit` deliveries of an endpoint older than `before` (a delivery id), newest first.
pub async fn deliveries<C: ConnectionTrait>(
    db: &C,
    webhook_id: i32,
    before: Option<i64>,
    limit: u64,
) -> Result<Vec<Delivery>, DbErr> {
    let sql = "SELECT d.id, d.event_id::text AS event_id, e.event, e.occurred_at, d.webhook_id,
                      d.status, d.attempts, d.next_attempt_at, d.delivered_at
               FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
               WHERE d.webhook_id = $1 AND ($2::bigint IS NULL OR d.id < $2)
               ORDER BY d.id DESC LIMIT $3";
    let values = vec![webhook_id.into(), before.into(), (limit as i64).into()];
    Delivery::find_by_statement(statement(db, sql, values)).all(db).await
}

pub async fn delivery_count<C: ConnectionTrait>(db: &C, webhook_id: i32) -> Result<i64, DbErr> {
    let sql = "SELECT count(*) AS n FROM webhook_deliveries WHERE webhook_id = $1";
    let row = db.query_one(statement(db, sql, vec![webhook_id.into()])).await?;
    Ok(row.map(|r| r.try_get("", "n")).transpose()?.unwrap_or(0))
}

/// The attempts of these deliveries, oldest first.
pub async fn attempts<C: ConnectionTrait>(
    db: &C,
    delivery_ids: &[i64],
) -> Result<Vec<Attempt>, DbErr> {
    let sql = "SELECT id, delivery_id, attempted_at, status_code, duration_ms, error
               FROM webhook_attempts WHERE delivery_id = ANY ($1) ORDER BY delivery_id, id";
    Attempt::find_by_statement(statement(db, sql, vec![delivery_ids.to_vec().into()])).all(db).await
}
