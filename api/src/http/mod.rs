//! The HTTP surface. This module only wires the router; each concern lives in a module of
//! its own (a handler or a tower layer), so that a newcomer finds it by its name:
//! - `graphql`: GraphQL over HTTP (GET and POST), the public answer cache path;
//! - `ide`: GraphiQL at `GET /graphql` for browsers, its assets under `/ide/`, no CDN;
//! - `media`: GraphQL over HTTP media types, content negotiation and clear 4xx answers;
//! - `cors`: which browser origins may call the API, preflights;
//! - `cache_headers`: ETag, Cache-Control and Vary of answers, 304 revalidation;
//! - `compression`: gzip, br and zstd, stored with cached answers, per response otherwise;
//! - `persisted`: Apollo automatic persisted queries, bounded in bytes;
//! - `schema`: the SDL at `/schema.graphql`;
//! - `health`: liveness and readiness probes;
//! - `subscriptions`: GraphQL subscriptions over WebSocket at `/graphql`;
//! - `request_id`: `X-Request-Id` taken (when sane) or generated, and echoed;
//! - `trace`: one span per request, logged when the answer leaves;
//! - `metrics`: HTTP and GraphQL counters and histograms, and `/metrics` itself.
//! - `exports`: the bulk downloads (CSV, JSON, xlsx) with ETags and compression.
//! - `panics`: a panicking request is answered INTERNAL with an error id; the server lives on.
//! - `rate_limit`: the quota headers of every GraphQL answer, and the 429 of a caller over
//!   budget (the counting itself is `crate::quotas`).
use crate::cache::ResponseCache;
use crate::config::HttpSettings;
use crate::exports::Exports;
use crate::graphql::limits::QueryLimits;
use crate::graphql::AppSchema;
use crate::reference_data::ReferenceData;
use axum::http::{HeaderName, StatusCode};
use axum::routing::get;
use axum::Router;
pub use cache_headers::{public_cache_control, PublicAnswer};
pub use persisted::PersistedQueries;
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceBuilder;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;

mod cache_headers;
mod compression;
mod cors;
mod exports;
mod graphql;
mod health;
mod ide;
mod media;
pub mod metrics;
pub mod panics;
mod persisted;
mod rate_limit;
pub mod request_id;
mod schema;
mod subscriptions;
mod trace;

/// The largest request body accepted (an upload of the official dataset fits comfortably).
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub schema: AppSchema,
    /// Cost and depth limits, checked before a request runs.
    pub limits: Arc<QueryLimits>,
    pub admin_token: Option<Arc<str>>,
    pub cache: Arc<ResponseCache>,
    /// Where public reads go (a caught-up replica, else the primary).
    pub replicas: Arc<crate::replicas::Replicas>,
    /// Editions, indicators, countries and key digests, held in memory.
    pub reference: Arc<ReferenceData>,
    /// The bulk downloads, with their digests kept per data version.
    pub exports: Exports,
    pub http: Arc<HttpSettings>,
    /// `Cache-Control` of public answers, made from the settings once.
    pub public_cache_control: axum::http::HeaderValue,
    /// Apollo persisted queries, by hash.
    pub persisted: Arc<persisted::PersistedQueries>,
    /// The schema's SDL, printed once.
    pub sdl: Arc<str>,
    /// Every caller's budget of cost points per hour.
    pub quotas: Arc<crate::quotas::Quotas>,
}

/// The API's routes; `/metrics` too unless `metrics_elsewhere` (it is then served by
/// [`metrics_router`] on `OCINDEX_METRICS_BIND`).
pub fn router(state: AppState, metrics_elsewhere: bool) -> Router {
    let cors = cors::layer(&state.http.cors_origins);
    let mut router = Router::new()
        .route("/graphql", get(subscriptions::get).post(graphql::post))
        .route("/schema.graphql", get(schema::sdl))
        .route("/ide/{file}", get(ide::asset))
        .route("/healthz", get(health::live))
        .route("/readyz", get(health::ready))
        .merge(exports::routes());
    if !metrics_elsewhere {
        router = router.route("/metrics", get(metrics::render));
    }
    let request_id = HeaderName::from_static(request_id::HEADER);
    // Outermost first: a sane request id exists before the span is made, and is echoed on
    // every answer, errors and timeouts included.
    let observed = ServiceBuilder::new()
        .layer(axum::middleware::from_fn(request_id::sanitize))
        .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
        .layer(PropagateRequestIdLayer::new(request_id))
        .layer(trace::RequestSpanLayer)
        .layer(axum::middleware::from_fn(metrics::count_requests));
    router
        // innermost: the answer to a panic goes through the layers as any other answer
        .layer(panics::layer())
        .layer(compression::layer())
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(StatusCode::GATEWAY_TIMEOUT, Duration::from_secs(60)))
        // outside the timeout and limits: preflights are answered before anything else
        .layer(cors)
        .layer(observed)
        .with_state(state)
}

/// `/metrics` alone, for a listener of its own.
pub fn metrics_router(state: AppState) -> Router {
    Router::new().route("/metrics", get(metrics::render)).with_state(state)
}
