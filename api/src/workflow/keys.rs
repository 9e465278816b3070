//! API keys: minted with a secret shown once, revoked by name.
use super::{run, Actor, Done};
use crate::auth::{self, Role, BOOTSTRAP_ADMIN};
use crate::error::{ApiError, Result};
use crate::repo;
use entity::api_key;
use sea_orm::DatabaseConnection;

/// A new key and its secret; only the digest of the secret is stored.
#[derive(Debug, Clone)]
pub struct CreatedKey {
    pub key: api_key::Model,
    pub secret: String,
}

pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    name: &str,
    role: Role,
    rate_limit: Option<i32>,
) -> Result<CreatedKey> {
    run(db, actor, "createApiKey", None, async |txn| {
        if let Some(limit) = rate_limit.filter(|limit| *limit < 0) {
            return Err(ApiError::bad_input(
                "rateLimit",
                limit,
                "a key's rate limit is 0 (unlimited) or more points per hour",
            ));
        }
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(ApiError::bad_input("name", name, "a key's name has 1 to 100 characters"));
        }
        if name.eq_ignore_ascii_case(BOOTSTRAP_ADMIN) {
            return Err(ApiError::bad_input(
                "name",
                name,
                "that name is the bootstrap admin's in the audit log",
            ));
        }
        if let Some(existing) = repo::keys::by_name(txn, name).await? {
            let state = if existing.revoked_at.is_some() { "revoked" } else { "active" };
            return Err(ApiError::Conflict(format!(
                "there is already a key named {name:?} ({state})"
            )));
        }
        let secret = auth::new_secret()?;
        let key = repo::keys::insert(
            txn,
            name,
            role,
            &auth::secret_digest(&secret),
            &actor.name,
            rate_limit,
        )
        .await?;
        Ok(Done::new(CreatedKey { key, secret }, vec![("keys", 1)]))
    })
    .await
}

/// Revokes a key: its secret stops working at once. Revoking it again changes nothing.
pub async fn revoke(db: &DatabaseConnection, actor: &Actor, name: &str) -> Result<api_key::Model> {
    run(db, actor, "revokeApiKey", None, async |txn| {
        let key = repo::keys::by_name(txn, name)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("there is no key named {name:?}")))?;
        repo::keys::revoke(txn, key.id).await?;
        let revoked = repo::keys::by_name(txn, name).await?.unwrap_or(key);
        Ok(Done::new(revoked, vec![("keys", 1)]))
    })
    .await
}
