//! What the quotas tell a client over HTTP: `X-RateLimit-Limit`, `X-RateLimit-Remaining`
//! and `X-RateLimit-Reset` (epoch seconds) on every metered answer, and, over budget, a 429
//! with `Retry-After` whose body is still a GraphQL response (code `RATE_LIMITED`).
use super::cache_headers;
use super::media::AnswerType;
use crate::quotas::Standing;
use axum::body::Bytes;
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

pub const LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit");
pub const REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
pub const RESET: HeaderName = HeaderName::from_static("x-ratelimit-reset");

/// The caller's standing, in the headers of `response`.
pub fn with_headers(mut response: Response, standing: &Standing) -> Response {
    let headers = response.headers_mut();
    headers.insert(LIMIT, HeaderValue::from(standing.limit));
    headers.insert(REMAINING, HeaderValue::from(standing.remaining()));
    headers.insert(RESET, HeaderValue::from(standing.reset_at));
    response
}

/// The answer to a request that does not fit in what is left of the caller's budget: it did
/// not run, and it was charged nothing.
pub fn refused(answer_type: AnswerType, standing: &Standing) -> Response {
    let retry_after = standing.retry_after();
    let message = format!(
        "rate limit exceeded: this request costs {} points and {} of the {} points of this hour \
         are left; the budget is renewed in {retry_after} s",
        standing.cost,
        standing.remaining(),
        standing.limit
    );
    let body = serde_json::json!({ "errors": [{
        "message": message,
        "extensions": {
            "code": "RATE_LIMITED",
            "cost": standing.cost,
            "limit": standing.limit,
            "remaining": standing.remaining(),
            "resetAt": standing.reset_at,
        }
    }] });
    let response = (
        StatusCode::TOO_MANY_REQUESTS,
        [(header::CONTENT_TYPE, answer_type.content_type())],
        [(header::RETRY_AFTER, HeaderValue::from(retry_after))],
        Bytes::from(body.to_string()),
    )
        .into_response();
    with_headers(cache_headers::uncacheable(response), standing)
}
