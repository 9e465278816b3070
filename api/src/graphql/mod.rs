//! The GraphQL schema: thin resolvers over the repository, one module per object family.
mod admin;
mod after_write;
mod connection;
mod context;
mod country;
mod edition;
mod filters;
mod ids;
mod indicator;
pub mod limits;
mod loaders;
mod narrative;
mod node;
mod ranking;
mod score;
mod statistics;

pub use context::{Principal, RequestContext};
pub use narrative::{
    DroppedText, NarrativeImportCountry, NarrativeImportDetails, NarrativeImportItem,
};

use crate::error::{ApiError, Result};
use crate::exports::Exports;
use crate::reference_data::ReferenceData;
use async_graphql::{BatchRequest, Context, EmptySubscription, MergedObject, Request, Schema};
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
);

/// Every mutation needs a bearer token with a role; see `admin`.
#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(admin::AdminMutation);

pub type AppSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

/// The schema, independent of the HTTP layer: the server and `ocindex schema` share it.
/// Its requests' cost and depth are bounded by [`limits`], before they run, for a whole
/// batch at once: async-graphql's own limits count a list as one field and each request of
/// a batch apart.
pub fn schema() -> AppSchema {
    builder().finish()
}

/// The schema as the server runs it, with the services its resolvers call.
pub fn serving_schema(exports: Exports) -> AppSchema {
    builder().data(exports).finish()
}

fn builder() -> async_graphql::SchemaBuilder<QueryRoot, MutationRoot, EmptySubscription> {
    Schema::build(QueryRoot::default(), MutationRoot::default(), EmptySubscription)
        .extension(after_write::AfterWriteFactory)
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
