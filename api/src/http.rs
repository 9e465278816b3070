//! HTTP surface: GraphQL over HTTP (GET and POST), GraphiQL, and health probes.
use crate::auth;
use crate::graphql::{self, AppSchema};
use async_graphql::http::GraphiQLSource;
use async_graphql::ErrorExtensions;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::extract::{FromRequest, Request, State};
use axum::http::{Method, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use std::time::Duration;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// The largest request body accepted (an upload of the official dataset fits comfortably).
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub schema: AppSchema,
    pub admin_token: Option<Arc<str>>,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(StatusCode::GATEWAY_TIMEOUT, Duration::from_secs(60)))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// GET serves GraphiQL to a browser and executes a query given in the query string.
async fn graphql_get(State(state): State<AppState>, request: Request) -> Response {
    let has_query = request.uri().query().is_some_and(|q| q.split('&').any(|p| p.starts_with("query=")));
    if !has_query {
        return Html(GraphiQLSource::build().endpoint("/graphql").finish()).into_response();
    }
    execute(state, request).await
}

async fn graphql_post(State(state): State<AppState>, request: Request) -> Response {
    execute(state, request).await
}

async fn execute(state: AppState, request: Request) -> Response {
    let principal = match auth::authenticate(&state.db, request.headers(), state.admin_token.as_deref()).await {
        Ok(principal) => principal,
        Err(err) => {
            let response = async_graphql::Response::from_errors(vec![err.extend().into_server_error(Default::default())]);
            return GraphQLResponse::from(response).into_response();
        }
    };
    let is_get = request.method() == Method::GET;
    let gql = match GraphQLRequest::<async_graphql_axum::rejection::GraphQLRejection>::from_request(request, &()).await {
        Ok(gql) => gql.into_inner(),
        Err(rejection) => return rejection.into_response(),
    };
    if is_get && gql.operation_name.is_none() && gql.query.trim_start().starts_with("mutation") {
        return (StatusCode::METHOD_NOT_ALLOWED, "mutations go by POST").into_response();
    }
    let (context, loaders) = graphql::request_data(state.db.clone(), principal);
    GraphQLResponse::from(state.schema.execute(gql.data(context).data(loaders)).await).into_response()
}

async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    match state.db.ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(err) => {
            tracing::warn!(error = %err, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
        }
    }
}
