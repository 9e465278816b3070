//! A panic while serving a request never takes the server down: the request is answered
//! INTERNAL (`500`, a GraphQL error with an `errorId`), and the panic's message is logged
//! under the same id, inside the request's span, as other internal errors are.
use crate::telemetry::names;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::any::Any;
use tower_http::catch_panic::CatchPanicLayer;

/// The layer that turns a panic into an INTERNAL answer.
pub fn layer() -> CatchPanicLayer<fn(Box<dyn Any + Send>) -> Response> {
    CatchPanicLayer::custom(internal_answer as fn(Box<dyn Any + Send>) -> Response)
}

fn internal_answer(panic: Box<dyn Any + Send>) -> Response {
    let message = panic
        .downcast_ref::<&str>()
        .map(|m| (*m).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned());
    let id = uuid::Uuid::new_v4().simple().to_string();
    tracing::error!(error_id = %id, error = %message, "a request panicked");
    metrics::counter!(names::PANICS).increment(1);
    let body = serde_json::json!({ "errors": [{
        "message": "internal error",
        "extensions": { "code": "INTERNAL", "errorId": id },
    }] });
    let content_type = HeaderValue::from_static("application/json");
    (StatusCode::INTERNAL_SERVER_ERROR, [(header::CONTENT_TYPE, content_type)], body.to_string())
        .into_response()
}
