//! Request ids: `X-Request-Id` is taken from the request when it is a sane token (a proxy's or
//! a client's), else generated (a UUID), and echoed in the answer. The request's span carries
//! it (see `http::trace`), so every log line of the request shows it.
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use tower_http::request_id::RequestId;

pub const HEADER: &str = "x-request-id";

/// The longest id taken from a caller; longer or odd ones are replaced by a fresh id.
const MAX_LEN: usize = 128;

/// Drops a caller's id that is too long or holds anything but `[A-Za-z0-9._:-]`: it ends up in
/// every log line, and a log must not be forged or flooded through a header. The tower-http
/// layers then generate an id for it.
pub async fn sanitize(mut request: Request, next: Next) -> Response {
    if let Some(id) = request.headers().get(HEADER) {
        if !is_sane(id) {
            request.headers_mut().remove(HEADER);
        }
    }
    next.run(request).await
}

fn is_sane(id: &HeaderValue) -> bool {
    let bytes = id.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= MAX_LEN
        && bytes.iter().all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(b))
}

/// The request's id (set by the layers before any handler runs), for logs and spans: the one
/// tower-http's `SetRequestId` keeps in the extensions (found by type, cheaper than a header
/// by name), else the header.
pub fn of<B>(request: &axum::http::Request<B>) -> &str {
    // (a name made once: looked up by a `&str`, the header's name is parsed at every call)
    static NAME: HeaderName = HeaderName::from_static(HEADER);
    let id = match request.extensions().get::<RequestId>() {
        Some(id) => Some(id.header_value()),
        None => request.headers().get(&NAME),
    };
    id.and_then(|v| v.to_str().ok()).unwrap_or("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_short_plain_ids_are_taken() {
        assert!(is_sane(&HeaderValue::from_static("3f2a-9c.b_1:x")));
        assert!(!is_sane(&HeaderValue::from_static("a b")));
        assert!(!is_sane(&HeaderValue::from_static("")));
        assert!(!is_sane(&HeaderValue::from_str(&"a".repeat(129)).unwrap()));
    }
}
