//! The GraphQL schema: thin resolvers over the repository, one module per object family.
mod connection;
mod context;
mod country;
mod edition;
mod ids;
mod indicator;
mod loaders;
mod narrative;
mod score;

pub use context::{Principal, RequestContext};
pub use narrative::{DroppedText, NarrativeImportCountry, NarrativeImportDetails, NarrativeImportItem};

use crate::error::{ApiError, Result};
use async_graphql::{Context, EmptyMutation, EmptySubscription, MergedObject, Schema};
use sea_orm::DatabaseConnection;

#[derive(MergedObject, Default)]
pub struct QueryRoot(
    edition::EditionQuery,
    indicator::IndicatorQuery,
    country::CountryQuery,
    narrative::NarrativeQuery,
);

pub type AppSchema = Schema<QueryRoot, EmptyMutation, EmptySubscription>;

/// Deepest nesting and most fields a single request may ask for.
pub const MAX_DEPTH: usize = 12;
pub const MAX_COMPLEXITY: usize = 50_000;

/// The schema, independent of the HTTP layer: the server and `ocindex schema` share it.
pub fn schema() -> AppSchema {
    Schema::build(QueryRoot::default(), EmptyMutation, EmptySubscription)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .finish()
}

/// The data a request carries: its context and its loaders.
pub fn request_data(db: DatabaseConnection, principal: Principal) -> (RequestContext, loaders::Loaders) {
    (RequestContext::new(db.clone(), principal), loaders::loaders(db))
}

fn request<'a>(ctx: &Context<'a>) -> Result<&'a RequestContext> {
    ctx.data::<RequestContext>()
        .map_err(|_| ApiError::internal(anyhow::anyhow!("request context missing")))
}
