//! Change notifications: webhook endpoints and their deliveries (ADMIN), and the
//! `editionEvents` subscription that tells live pages of publications as they happen.
use super::admin::RoleGuard;
use super::connection::{cursor_arg, keyset_size, Connection, Edge};
use super::ids::GlobalId;
use super::{request, Services};
use crate::auth::{Actor, Principal, Role};
use crate::error::{ApiError, Result};
use crate::webhooks::{EditionEvent, WebhookEvent};
use crate::{input, repo, workflow};
use async_graphql::connection::OpaqueCursor;
use async_graphql::futures_util::{self as futures_util, Stream};
use async_graphql::{Context, InputObject, Object, Subscription, ID};
use chrono::{DateTime, Utc};
use entity::values::DeliveryStatus;
use sea_orm::ActiveEnum;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::broadcast::error::RecvError;

fn actor(ctx: &Context<'_>) -> Result<Actor> {
    request(ctx)?.principal.actor().ok_or(ApiError::Unauthenticated)
}

fn services<'a>(ctx: &Context<'a>) -> Result<&'a Services> {
    ctx.data::<Services>().map_err(|_| ApiError::internal(anyhow::anyhow!("services missing")))
}

/// The numeric id inside a webhook's global id.
fn webhook_id(field: &str, id: &ID) -> Result<i32> {
    match GlobalId::parse(id) {
        Some(GlobalId::Webhook { id }) => Ok(id),
        _ => Err(ApiError::bad_input(field, id.as_str(), "not the id of a webhook")),
    }
}

/// A partner endpoint for edition events.
#[derive(InputObject, Debug, Clone)]
pub struct CreateWebhookInput {
    /// Where events are POSTed: an http or https URL of at most 2048 characters, on a public
    /// address (private, loopback and link-local addresses are refused).
    pub url: String,
    /// The events to send there; at least one.
    pub events: Vec<WebhookEvent>,
}

pub struct Webhook(pub repo::webhooks::Webhook);

/// An endpoint that receives edition events as signed POSTs.
#[Object]
impl Webhook {
    /// Global id (Relay).
    async fn id(&self) -> ID {
        GlobalId::Webhook { id: self.0.id }.to_id()
    }

    /// Where events are POSTed.
    async fn url(&self) -> &str {
        &self.0.url
    }

    /// The events it receives.
    async fn events(&self) -> Result<Vec<WebhookEvent>> {
        self.0.events.iter().map(|e| WebhookEvent::from_db(e)).collect()
    }

    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// Who created it.
    async fn created_by(&self) -> &str {
        &self.0.created_by
    }
}

pub struct CreatedWebhook(pub workflow::webhooks::CreatedWebhook);

/// A new webhook with its signing secret.
#[Object]
impl CreatedWebhook {
    /// The webhook.
    async fn webhook(&self) -> Webhook {
        Webhook(self.0.webhook.clone())
    }

    /// The secret that signs every delivery: `X-OCIndex-Signature` is `sha256=` and the hex
    /// HMAC-SHA256 of the raw body with this key. Shown this once.
    async fn secret(&self) -> &str {
        &self.0.secret
    }
}

/// One attempt to deliver an event.
#[derive(async_graphql::SimpleObject, Clone, Debug)]
pub struct WebhookAttempt {
    /// When it was made.
    pub at: DateTime<Utc>,
    /// The HTTP status the endpoint answered; null when it did not answer.
    pub status_code: Option<i32>,
    /// How long it took, in milliseconds.
    pub duration_ms: i32,
    /// What went wrong; null for a success.
    pub error: Option<String>,
}

pub struct WebhookDelivery(repo::webhooks::Delivery, Vec<WebhookAttempt>);

/// One event sent (or being sent) to one webhook, with every attempt.
#[Object]
impl WebhookDelivery {
    /// The event's id: the `X-OCIndex-Delivery` header, the same on every attempt.
    async fn event_id(&self) -> &str {
        &self.0.event_id
    }

    /// The event.
    async fn event(&self) -> Result<Option<WebhookEvent>> {
        Ok(Some(WebhookEvent::from_db(&self.0.event)?))
    }

    /// When the event happened.
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }

    /// Where the delivery stands.
    async fn status(&self) -> DeliveryStatus {
        self.0.status
    }

    /// Attempts made so far.
    async fn attempt_count(&self) -> i32 {
        self.0.attempts
    }

    /// When the next attempt is due; null once delivered or failed.
    async fn next_attempt_at(&self) -> Option<DateTime<Utc>> {
        (self.0.status == DeliveryStatus::Pending).then_some(self.0.next_attempt_at)
    }

    /// When the endpoint took it.
    async fn delivered_at(&self) -> Option<DateTime<Utc>> {
        self.0.delivered_at
    }

    /// Every attempt, oldest first.
    async fn attempts(&self) -> &[WebhookAttempt] {
        &self.1
    }
}

/// A position in a webhook's deliveries, newest first: the delivery's id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveryPosition {
    delivery: i64,
}

pub type DeliveryCursor = OpaqueCursor<DeliveryPosition>;

#[derive(Default)]
pub struct WebhookQuery;

#[Object]
impl WebhookQuery {
    /// Every webhook, oldest first (never their secrets). ADMIN.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn webhooks(&self, ctx: &Context<'_>) -> Result<Vec<Webhook>> {
        Ok(repo::webhooks::all(&request(ctx)?.db).await?.into_iter().map(Webhook).collect())
    }

    /// A webhook's deliveries, newest first, each with every attempt. ADMIN.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "the webhook's id")] webhook: ID,
        #[graphql(desc = "page size, at most 500")] first: Option<i32>,
        #[graphql(desc = "the endCursor of the previous page")] after: Option<String>,
    ) -> Result<Connection<DeliveryCursor, WebhookDelivery>> {
        let db = &request(ctx)?.db;
        let id = webhook_id("webhook", &webhook)?;
        if repo::webhooks::by_id(db, id).await?.is_none() {
            return Err(ApiError::NotFound(format!("there is no webhook {}", webhook.as_str())));
        }
        let size = keyset_size(first)?;
        let before = cursor_arg::<DeliveryPosition>("after", after.as_deref())?;
        let mut page =
            repo::webhooks::deliveries(db, id, before.map(|c| c.delivery), size as u64 + 1).await?;
        let has_next = page.len() > size;
        page.truncate(size);
        let total = repo::webhooks::delivery_count(db, id).await?;
        // every attempt of the page in one query
        let ids: Vec<i64> = page.iter().map(|d| d.id).collect();
        let mut attempts: HashMap<i64, Vec<WebhookAttempt>> = HashMap::new();
        for a in repo::webhooks::attempts(db, &ids).await? {
            attempts.entry(a.delivery_id).or_default().push(WebhookAttempt {
                at: a.attempted_at,
                status_code: a.status_code,
                duration_ms: a.duration_ms,
                error: a.error,
            });
        }
        let mut connection = Connection::new(before.is_some(), has_next, total);
        connection.edges.extend(page.into_iter().map(|d| {
            let tried = attempts.remove(&d.id).unwrap_or_default();
            Edge::new(OpaqueCursor(DeliveryPosition { delivery: d.id }), WebhookDelivery(d, tried))
        }));
        Ok(connection)
    }
}

#[derive(Default)]
pub struct WebhookMutation;

#[Object]
impl WebhookMutation {
    /// Registers an endpoint for edition events. Each event is POSTed as JSON `{ id, event,
    /// occurredAt, edition { year status publishedAt } }` with headers `X-OCIndex-Event`,
    /// `X-OCIndex-Delivery` (the event id, the same on every retry) and
    /// `X-OCIndex-Signature`; failed attempts are retried with exponential backoff. The
    /// answer holds the signing secret, shown this once. ADMIN.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn create_webhook(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "the endpoint's URL and the events it wants")] input: CreateWebhookInput,
    ) -> Result<CreatedWebhook> {
        let rc = request(ctx)?;
        let actor = actor(ctx)?;
        let max = crate::webhooks::address::MAX_URL_LENGTH;
        super::admin::checked(ctx, rc, &actor, None, || input::text("input.url", &input.url, max))
            .await?;
        let allow_private = services(ctx)?.webhook_allow_private;
        let created =
            workflow::webhooks::create(&rc.db, &actor, &input.url, &input.events, allow_private)
                .await?;
        Ok(CreatedWebhook(created))
    }

    /// Deletes a webhook with its deliveries; pending ones are not sent. ADMIN.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn delete_webhook(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "the webhook's id")] id: ID,
    ) -> Result<bool> {
        let rc = request(ctx)?;
        workflow::webhooks::delete(&rc.db, &actor(ctx)?, webhook_id("id", &id)?).await
    }
}

pub struct EventEdition(crate::webhooks::EventEdition);

/// An edition as an event saw it, right after the event (it may have changed since).
#[Object]
impl EventEdition {
    /// The edition's year.
    async fn year(&self) -> i32 {
        self.0.year
    }

    /// Its status right after the event.
    async fn status(&self) -> super::edition::EditionStatus {
        if self.0.status == super::edition::EditionStatus::Published.to_value() {
            super::edition::EditionStatus::Published
        } else {
            super::edition::EditionStatus::Draft
        }
    }

    /// When it was published; null for a draft.
    async fn published_at(&self) -> Option<DateTime<Utc>> {
        self.0.published_at
    }
}

pub struct EditionEventMessage(Arc<EditionEvent>);

/// Something that happened to an edition: it was published, reopened as a draft, or (a
/// draft) deleted. Webhooks receive the same event as JSON.
#[Object(name = "EditionEvent")]
impl EditionEventMessage {
    /// The event's id, the same as webhooks' `X-OCIndex-Delivery`.
    async fn id(&self) -> &str {
        &self.0.id
    }

    /// What happened.
    async fn event(&self) -> WebhookEvent {
        self.0.event
    }

    /// When.
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }

    /// The edition concerned.
    async fn edition(&self) -> EventEdition {
        EventEdition(self.0.edition.clone())
    }
}

/// What a subscriber is told of. The public hears of publications and of editions leaving
/// public view; deleted drafts concern only those who could see them.
fn tells(principal: &Principal, event: &EditionEvent) -> bool {
    event.event != WebhookEvent::EditionDeleted || principal.visibility().includes_drafts()
}

#[derive(Default)]
pub struct Subscription;

/// Live events over WebSocket at `/graphql` (the `graphql-transport-ws` protocol).
#[Subscription]
impl Subscription {
    /// Edition events as they happen, on whichever server of the fleet they happened:
    /// publications, reopenings and (for EDITOR and ADMIN callers, who authenticate with
    /// `Authorization` in the `connection_init` payload) deletions of drafts.
    async fn edition_events(
        &self,
        ctx: &Context<'_>,
    ) -> Result<impl Stream<Item = EditionEventMessage>> {
        let events = services(ctx)?.events.subscribe();
        let principal = ctx.data::<Principal>().cloned().unwrap_or(Principal::Anonymous);
        Ok(futures_util::stream::unfold(
            (events, principal),
            |(mut events, principal)| async move {
                loop {
                    match events.recv().await {
                        Ok(event) if tells(&principal, &event) => {
                            return Some((EditionEventMessage(event), (events, principal)));
                        }
                        Ok(_) => {}
                        Err(RecvError::Lagged(missed)) => {
                            tracing::warn!(missed, "a slow subscriber missed edition events");
                        }
                        Err(RecvError::Closed) => return None,
                    }
                }
            },
        ))
    }
}
