//! One span per request, logged at `info` when the answer leaves: method, route, request id,
//! and, filled in by the GraphQL handler, the operation name, the caller's role and key name
//! (never a secret), then the status and the duration. Every event logged while serving the
//! request (statements, errors with their `errorId`) is inside this span.
use super::request_id;
use axum::extract::MatchedPath;
use axum::http::{Request, Response};
use std::time::Duration;
use tracing::field::Empty;
use tracing::Span;

pub fn make_span<B>(request: &Request<B>) -> Span {
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", |p| p.as_str());
    tracing::info_span!(
        "request",
        request_id = %request_id::of(request),
        method = %request.method(),
        route,
        operation = Empty,
        role = Empty,
        key = Empty,
        status = Empty,
        duration_ms = Empty,
    )
}

pub fn on_response<B>(response: &Response<B>, latency: Duration, span: &Span) {
    let status = response.status().as_u16();
    let duration_ms = latency.as_micros() as f64 / 1000.0;
    span.record("status", status);
    span.record("duration_ms", duration_ms);
    tracing::info!(status, duration_ms, "request finished");
}

/// Called by handlers that know who is calling and what: fills the request span's fields.
pub fn record_caller(principal: &crate::auth::Principal) {
    let span = Span::current();
    let role = principal.role().map(|r| sea_orm::ActiveEnum::to_value(&r));
    span.record("role", role.as_deref().unwrap_or("anonymous"));
    match principal {
        crate::auth::Principal::Key { name, .. } => span.record("key", name.as_str()),
        crate::auth::Principal::Admin => span.record("key", crate::auth::BOOTSTRAP_ADMIN),
        crate::auth::Principal::Anonymous => &span,
    };
}

pub fn record_operation(operation: &str) {
    Span::current().record("operation", operation);
}
