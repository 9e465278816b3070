//! The GraphQL schema: thin resolvers over the repository, one module per object family.
mod admin;
mod connection;
mod context;
mod country;
pub mod documents;
mod eager;
mod edition;
mod filters;
mod ids;
mod indicator;
pub mod limits;
mod loaders;
mod narrative;
pub mod nesting;
mod node;
mod ranking;
mod rate_limit;
mod score;
mod statistics;
mod webhooks;

pub use context::{Principal, RequestContext};
pub use narrative::{
    DroppedText, NarrativeImportCountry, NarrativeImportDetails, NarrativeImportItem,
};

use crate::error::{ApiError, Result};
use crate::exports::Exports;
use crate::reference_data::ReferenceData;
use crate::webhooks::EventHub;
use async_graphql::{BatchRequest, Context, MergedObject, Request, Schema, SchemaBuilder};
use sea_orm::DatabaseConnection;
use std::sync::Arc;

/// Every read: editions, indicators, countries, scores, rankings, changes and narratives.
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    edition::EditionQuery,
    indicator::IndicatorQuery,
    country::CountryQuery,
    ranking::RankingQuery,
    node::NodeQuery,
    narrative::NarrativeQuery,
    statistics::StatisticsQuery,
    admin::AdminQuery,
    webhooks::WebhookQuery,
    rate_limit::RateLimitQuery,
);

/// Every mutation needs a bearer token with a role; see `admin`.
#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(admin::AdminMutation, webhooks::WebhookMutation);

pub type AppSchema = Schema<QueryRoot, MutationRoot, webhooks::Subscription>;

/// What resolvers need from the server beyond each request's own data.
pub struct Services {
    /// Edition events heard from the database, for subscriptions.
    pub events: Arc<EventHub>,
    /// Webhooks may point at private addresses (`OCINDEX_WEBHOOK_ALLOW_PRIVATE`).
    pub webhook_allow_private: bool,
}

/// The schema, independent of the HTTP layer: `ocindex schema` prints it; a server uses
/// [`schema_with`], which adds what subscriptions and webhooks need. Its requests' cost and
/// depth are bounded by [`limits`], before they run, for a whole batch at once:
/// async-graphql's own limits count a list as one field and each request of a batch apart.
pub fn schema() -> AppSchema {
    builder().finish()
}

/// The schema of a running server, with the services its resolvers call.
pub fn schema_with(services: Services, exports: Exports) -> AppSchema {
    builder().data(services).data(exports).finish()
}

fn builder() -> SchemaBuilder<QueryRoot, MutationRoot, webhooks::Subscription> {
    // No extensions: any extension makes the executor look every resolved field up in the
    // registry and wrap it (a fifth of a 193-row ranking's CPU). What they did is done around
    // the executor: nesting in the limits and `nesting::Checked`, forgetting after a write in
    // the HTTP handler. `eager` counts on it too: the fields it resolves itself would pass no
    // extension by.
    Schema::build(QueryRoot::default(), MutationRoot::default(), webhooks::Subscription)
}

/// Gives each request of a batch its own context and loaders.
pub fn with_request_data(
    batch: BatchRequest,
    db: &DatabaseConnection,
    principal: &Principal,
    reference: &Arc<ReferenceData>,
) -> BatchRequest {
    let prepare = |request: Request| {
        request
            .data(RequestContext::new(db.clone(), principal.clone(), reference.clone()))
            .data(loaders::loaders(db.clone()))
    };
    match batch {
        BatchRequest::Single(request) => BatchRequest::Single(prepare(request)),
        BatchRequest::Batch(requests) => {
            BatchRequest::Batch(requests.into_iter().map(prepare).collect())
        }
    }
}

fn request<'a>(ctx: &Context<'a>) -> Result<&'a RequestContext> {
    ctx.data::<RequestContext>()
        .map_err(|_| ApiError::internal(anyhow::anyhow!("request context missing")))
}
