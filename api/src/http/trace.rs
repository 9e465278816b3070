//! One span per request, logged at `info` when the answer leaves: method, route, request id,
//! and, filled in by the GraphQL handler, the operation name, the caller's role and key name
//! (never a secret), then the status and the duration. Every event logged while serving the
//! request (statements, errors with their `errorId`) is inside this span.
use super::request_id;
use axum::extract::MatchedPath;
use axum::http::{Request, Response};
use std::time::Duration;
use tracing::field::{Empty, Field, Value};
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
    // one record for both: the JSON log re-reads a span's fields at every record
    record_all(span, &[("status", &status), ("duration_ms", &duration_ms)]);
    tracing::info!(status, duration_ms, "request finished");
}

/// Called by handlers that know who is calling and what: fills the request span's fields.
pub fn record_caller(principal: &crate::auth::Principal) {
    let role = principal.role().map(|r| sea_orm::ActiveEnum::to_value(&r));
    let role = role.as_deref().unwrap_or("anonymous");
    let span = Span::current();
    match principal {
        crate::auth::Principal::Key { name, .. } => {
            record_all(&span, &[("role", &role), ("key", &name.as_str())])
        }
        crate::auth::Principal::Admin => {
            record_all(&span, &[("role", &role), ("key", &crate::auth::BOOTSTRAP_ADMIN)])
        }
        crate::auth::Principal::Anonymous => record_all(&span, &[("role", &role)]),
    };
}

/// Records several fields of `span` at once. Each record makes the JSON log parse and
/// rewrite the span's fields, so a request records three times (caller, operation, answer)
/// rather than once per field.
fn record_all(span: &Span, values: &[(&str, &dyn Value)]) {
    let Some(metadata) = span.metadata() else { return };
    let fields = metadata.fields();
    let found: Vec<(Field, &dyn Value)> =
        values.iter().filter_map(|(name, value)| Some((fields.field(name)?, *value))).collect();
    match found.as_slice() {
        [(a, va)] => {
            span.record_all(&fields.value_set(&[(a, Some(*va))]));
        }
        [(a, va), (b, vb)] => {
            span.record_all(&fields.value_set(&[(a, Some(*va)), (b, Some(*vb))]));
        }
        more => {
            for (field, value) in more {
                span.record_all(&fields.value_set(&[(field, Some(*value))]));
            }
        }
    }
}

pub fn record_operation(operation: &str) {
    Span::current().record("operation", operation);
}
