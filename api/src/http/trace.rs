//! One span per request, logged at `info` when the answer leaves: method, route, request id,
//! and, filled in by the GraphQL handler, the operation name, the caller's role and key name
//! (never a secret), then the status and the duration. Every event logged while serving the
//! request (statements, errors with their `errorId`) is inside this span. The line itself is
//! written by `telemetry::access_log`, from the span's values.
use super::request_id;
use crate::telemetry::access_log::{SPAN, TARGET};
use axum::extract::MatchedPath;
use axum::http::{Request, Response};
use std::time::Duration;
use tracing::field::{Empty, Value};
use tracing::span::{Id, Record};
use tracing::{Dispatch, Metadata, Span};

pub fn make_span<B>(request: &Request<B>) -> Span {
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", |p| p.as_str());
    tracing::info_span!(
        target: TARGET,
        SPAN,
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
    span.with_subscriber(|(id, dispatch)| {
        if let Some(metadata) = span.metadata() {
            record(dispatch, id, metadata, &[("status", &status), ("duration_ms", &duration_ms)]);
        }
    });
    // the message as a `&str` rather than format arguments: the log copies it as it is
    tracing::info!(target: TARGET, message = "request finished", status, duration_ms);
}

/// Called by handlers that know who is calling and what: fills the request span's fields.
pub fn record_caller(principal: &crate::auth::Principal) {
    let role = principal.role().map(|r| sea_orm::ActiveEnum::to_value(&r));
    let role = role.as_deref().unwrap_or("anonymous");
    match principal {
        crate::auth::Principal::Key { name, .. } => {
            record_current(&[("role", &role), ("key", &name.as_str())])
        }
        crate::auth::Principal::Admin => {
            record_current(&[("role", &role), ("key", &crate::auth::BOOTSTRAP_ADMIN)])
        }
        crate::auth::Principal::Anonymous => record_current(&[("role", &role)]),
    };
}

pub fn record_operation(operation: &str) {
    record_current(&[("operation", &operation)]);
}

/// Records into the request span the handler runs in, without taking a handle on it (a
/// `Span::current()` is a clone and a close of the span: two more calls into every layer).
fn record_current(values: &[(&str, &dyn Value)]) {
    tracing::dispatcher::get_default(|dispatch| {
        if let Some((id, metadata)) = dispatch.current_span().into_inner() {
            record(dispatch, &id, metadata, values);
        }
    });
}

/// Records several fields of a request span at once: each record is a call into every layer
/// (the log, the trace export), so a request records three times (caller, operation, answer)
/// rather than once per field.
fn record(
    dispatch: &Dispatch,
    id: &Id,
    metadata: &'static Metadata<'static>,
    values: &[(&str, &dyn Value)],
) {
    if metadata.name() != SPAN || metadata.target() != TARGET {
        return;
    }
    let fields = metadata.fields();
    let field = |name: &str| fields.field(name);
    match values {
        [(a, va)] => {
            let Some(a) = field(a) else { return };
            let pairs = [(&a, Some(*va))];
            dispatch.record(id, &Record::new(&fields.value_set(&pairs)));
        }
        [(a, va), (b, vb)] => {
            let (Some(a), Some(b)) = (field(a), field(b)) else { return };
            let pairs = [(&a, Some(*va)), (&b, Some(*vb))];
            dispatch.record(id, &Record::new(&fields.value_set(&pairs)));
        }
        more => {
            for (name, value) in more {
                let Some(field) = field(name) else { continue };
                let pairs = [(&field, Some(*value))];
                dispatch.record(id, &Record::new(&fields.value_set(&pairs)));
            }
        }
    }
}
