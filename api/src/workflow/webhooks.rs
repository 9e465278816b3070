//! Webhook endpoints: created with a signing secret shown once, deleted with their history.
//! Audited like every admin write.
use super::{run, Actor, Done};
use crate::error::{ApiError, Result};
use crate::repo;
use crate::webhooks::{address, signing, WebhookEvent};
use sea_orm::DatabaseConnection;

/// Endpoints at most: each event is written once per endpoint.
pub const MAX_WEBHOOKS: usize = 100;

/// A new endpoint and its signing secret.
#[derive(Debug, Clone)]
pub struct CreatedWebhook {
    pub webhook: repo::webhooks::Webhook,
    pub secret: String,
}

pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    url: &str,
    events: &[WebhookEvent],
    allow_private: bool,
) -> Result<CreatedWebhook> {
    // checked before the transaction: resolving a name may take seconds, and the write lock
    // must not wait on the network
    let checked = address::check_url(url.trim(), allow_private).await;
    run(db, actor, "createWebhook", None, async |txn| {
        let url = checked.map_err(|reason| ApiError::bad_input("input.url", url, reason))?;
        if events.is_empty() {
            return Err(ApiError::bad_argument("input.events", "name at least one event"));
        }
        let mut names: Vec<String> = Vec::new();
        for event in WebhookEvent::ALL.into_iter().filter(|e| events.contains(e)) {
            names.push(event.as_str().to_owned());
        }
        if repo::webhooks::all(txn).await?.len() >= MAX_WEBHOOKS {
            return Err(ApiError::Conflict(format!(
                "there are {MAX_WEBHOOKS} webhooks already: delete one first"
            )));
        }
        let secret = signing::new_secret()
            .map_err(|e| ApiError::internal(anyhow::anyhow!("no randomness: {e}")))?;
        let webhook =
            repo::webhooks::insert(txn, url.as_str(), &names, &secret, &actor.name).await?;
        Ok(Done::new(CreatedWebhook { webhook, secret }, vec![("webhooks", 1)]))
    })
    .await
}

/// Deletes an endpoint; its pending deliveries are dropped with it.
pub async fn delete(db: &DatabaseConnection, actor: &Actor, id: i32) -> Result<bool> {
    run(db, actor, "deleteWebhook", None, async |txn| {
        if !repo::webhooks::delete(txn, id).await? {
            return Err(ApiError::NotFound(format!("there is no webhook {id}")));
        }
        Ok(Done::new(true, vec![("webhooks", 1)]))
    })
    .await
}
