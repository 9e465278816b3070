//! `rateLimit`: where the caller stands in its hourly budget of cost points, after paying for
//! the request that asks.
use crate::quotas::Standing;
use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, Utc};

#[derive(Default)]
pub struct RateLimitQuery;

#[Object]
impl RateLimitQuery {
    /// The caller's quota: points per hour, this request's cost, what is left after it, and
    /// when the budget is renewed. Null for a caller without a limit. Never cached.
    #[graphql(cache_control(private))]
    async fn rate_limit(&self, ctx: &Context<'_>) -> Option<RateLimit> {
        let standing = ctx.data_opt::<Standing>()?;
        let reset_at = i64::try_from(standing.reset_at).ok()?;
        Some(RateLimit {
            limit: standing.limit,
            cost: standing.cost,
            remaining: standing.remaining(),
            reset_at: DateTime::from_timestamp(reset_at, 0)?,
        })
    }
}

/// A caller's hourly budget of cost points (a request costs its fields, times the longest
/// their lists can be; a cached answer costs 1).
#[derive(SimpleObject)]
pub struct RateLimit {
    /// Points per hour.
    limit: u64,
    /// What this request cost.
    cost: u64,
    /// Points left this hour, after this request.
    remaining: u64,
    /// When the budget is whole again (the next full hour).
    reset_at: DateTime<Utc>,
}
