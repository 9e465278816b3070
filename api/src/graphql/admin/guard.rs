//! The role guard on every admin field: no credentials is `UNAUTHENTICATED`, too small a role
//! is `FORBIDDEN` (and, for a known caller, recorded in the audit log).
use crate::auth::Role;
use crate::error::ApiError;
use crate::graphql::request;
use crate::workflow;
use async_graphql::{Context, Guard, Value};
use sea_orm::ActiveEnum;

/// Lets through callers whose role includes `0`.
pub struct RoleGuard(pub Role);

impl Guard for RoleGuard {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        let rc = request(ctx)?;
        let Some(actor) = rc.principal.actor() else {
            return Err(ApiError::Unauthenticated.into());
        };
        if actor.role.includes(self.0) {
            return Ok(());
        }
        let field = ctx.field();
        let err = ApiError::Forbidden(format!(
            "{} needs the {} role; this key has {}",
            field.name(),
            self.0.to_value(),
            actor.role.to_value()
        ));
        workflow::record_refusal(&rc.db, &actor, field.name(), edition_argument(ctx), &err).await;
        Err(err.into())
    }
}

/// The edition a refused call named, for the audit log: its `year` or `edition` argument,
/// or its input's `year`.
fn edition_argument(ctx: &Context<'_>) -> Option<i32> {
    let arguments = ctx.field().arguments().ok()?;
    let year = |value: &Value| match value {
        Value::Number(n) => n.as_i64().and_then(|n| i32::try_from(n).ok()),
        _ => None,
    };
    arguments.iter().find_map(|(name, value)| match (name.as_str(), value) {
        ("year" | "edition", v) => year(v),
        ("input", Value::Object(fields)) => {
            fields.get("year").or_else(|| fields.get("edition")).and_then(year)
        }
        _ => None,
    })
}
