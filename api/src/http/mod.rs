//! The HTTP surface. This module only wires the router; each concern lives in a module of
//! its own (a handler or a tower layer), so that a newcomer finds it by its name:
//! - `graphql`: GraphQL over HTTP (GET and POST), the public answer cache path, GraphiQL;
//! - `health`: liveness and readiness probes.
use crate::cache::ResponseCache;
use crate::graphql::limits::QueryLimits;
use crate::graphql::AppSchema;
use crate::reference_data::ReferenceData;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use std::time::Duration;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

mod graphql;
mod health;

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
    /// Editions, indicators, countries and key digests, held in memory.
    pub reference: Arc<ReferenceData>,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/healthz", get(health::live))
        .route("/readyz", get(health::ready))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(StatusCode::GATEWAY_TIMEOUT, Duration::from_secs(60)))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
