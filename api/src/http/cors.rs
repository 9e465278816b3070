//! CORS: which browser pages may call the API. The data is public and tokens travel in the
//! `Authorization` header, never in a cookie, so any origin may read (the default, `*`) and
//! credentials mode is never enabled. Preflights are answered here, before routing.
use axum::http::{HeaderName, HeaderValue, Method};
use std::time::Duration;
use tower_http::cors::{AllowOrigin, CorsLayer};

/// How long a browser may reuse a preflight answer (Chromium caps it at two hours).
const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(2 * 60 * 60);

/// Request headers that GraphQL clients send: Apollo Client's, GraphiQL's, persisted-query
/// links', conditional requests and request ids.
const ALLOWED_HEADERS: [&str; 9] = [
    "content-type",
    "authorization",
    "accept",
    "if-none-match",
    "apollo-require-preflight",
    "x-apollo-operation-name",
    "apollographql-client-name",
    "apollographql-client-version",
    "x-request-id",
];

/// Response headers a page may read beyond the CORS-safelisted ones.
const EXPOSED_HEADERS: [&str; 6] = [
    "etag",
    "x-request-id",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "retry-after",
];

/// The layer for `origins`: `["*"]` (or any list holding `*`) lets every origin in; otherwise
/// only the origins listed (already checked to be `scheme://host[:port]` by the settings).
pub fn layer(origins: &[String]) -> CorsLayer {
    let allow_origin = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    CorsLayer::new()
        .allow_origin(allow_origin)
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers(ALLOWED_HEADERS.map(HeaderName::from_static))
        .expose_headers(EXPOSED_HEADERS.map(HeaderName::from_static))
        .max_age(PREFLIGHT_MAX_AGE)
}
