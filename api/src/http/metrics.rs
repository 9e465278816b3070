//! Metrics of the HTTP surface: a layer that counts and times every answer by route pattern
//! and status, the GraphQL operation counters (with bounded operation names), and the
//! `/metrics` endpoint (Prometheus text format) that renders the process-wide registry.
use super::AppState;
use crate::telemetry::{self, names};
use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashSet;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Distinct operation names given their own label; later names are counted as `other`.
/// Clients choose the names, and each label value is a time series kept forever.
pub const MAX_OPERATION_NAMES: usize = 200;
/// Longest operation name kept as a label.
const MAX_NAME_LEN: usize = 64;

pub async fn count_requests(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let elapsed = started.elapsed().as_secs_f64();
    metrics::counter!(names::HTTP_REQUESTS, "route" => route.clone(), "method" => method, "status" => status)
        .increment(1);
    metrics::histogram!(names::HTTP_DURATION, "route" => route).record(elapsed);
    response
}

/// The label of an operation: its name when it is a GraphQL name seen among the first
/// [`MAX_OPERATION_NAMES`], `anonymous` when it has none, `other` beyond the cap.
pub fn operation_label(name: Option<&str>) -> String {
    static SEEN: Mutex<Option<HashSet<String>>> = Mutex::new(None);
    let Some(name) = name.filter(|n| !n.is_empty()) else { return "anonymous".into() };
    let valid = name.len() <= MAX_NAME_LEN
        && name
            .bytes()
            .enumerate()
            .all(|(i, b)| b == b'_' || b.is_ascii_alphabetic() || (i > 0 && b.is_ascii_digit()));
    if !valid {
        return "other".into();
    }
    let Ok(mut seen) = SEEN.lock() else { return "other".into() };
    let seen = seen.get_or_insert_with(HashSet::new);
    if seen.contains(name) || seen.len() < MAX_OPERATION_NAMES {
        seen.insert(name.to_owned());
        name.to_owned()
    } else {
        "other".into()
    }
}

/// The operation a request names: `operationName`, else the name of the document's first
/// operation (`query Profile { … }`), read without parsing the whole document.
pub fn operation_name<'a>(operation_name: Option<&'a str>, query: &'a str) -> Option<&'a str> {
    if let Some(name) = operation_name.filter(|n| !n.is_empty()) {
        return Some(name);
    }
    let mut rest = query;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ',' || c == '\u{feff}');
        match rest.strip_prefix('#') {
            Some(comment) => rest = comment.split_once('\n').map_or("", |(_, after)| after),
            None => break,
        }
    }
    let body = ["query", "mutation", "subscription"]
        .iter()
        .find_map(|keyword| rest.strip_prefix(keyword))?;
    if !body.starts_with(|c: char| c.is_whitespace()) {
        return None;
    }
    let body = body.trim_start();
    let end = body.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(body.len());
    (end > 0).then(|| &body[..end])
}

/// Counts and times one GraphQL operation; `outcome` is `ok` or the first error's code.
pub fn record_operation(label: &str, outcome: &str, elapsed: Duration) {
    metrics::counter!(names::GRAPHQL_OPERATIONS, "operation" => label.to_owned(), "outcome" => outcome.to_owned())
        .increment(1);
    metrics::histogram!(names::GRAPHQL_DURATION, "operation" => label.to_owned())
        .record(elapsed.as_secs_f64());
}

/// The outcome label of a response: `ok`, or the code of its first error.
pub fn outcome(response: &async_graphql::Response) -> String {
    match response.errors.first() {
        None => "ok".into(),
        Some(error) => error
            .extensions
            .as_ref()
            .and_then(|e| e.get("code"))
            .and_then(|code| match code {
                async_graphql::Value::String(code) => Some(code.clone()),
                _ => None,
            })
            .unwrap_or_else(|| "error".into()),
    }
}

/// `GET /metrics`: the Prometheus text exposition of everything the process measured.
pub async fn render(State(state): State<AppState>) -> impl IntoResponse {
    metrics::gauge!(names::CACHE_ENTRIES).set(state.cache.len() as f64);
    let handle = telemetry::metrics();
    handle.run_upkeep();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], handle.render())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_names_come_from_the_request_or_the_document() {
        assert_eq!(operation_name(Some("Given"), "query Other { a }"), Some("Given"));
        assert_eq!(
            operation_name(None, "  # a comment\n query Profile($a: Int) { a }"),
            Some("Profile")
        );
        assert_eq!(operation_name(None, "mutation Publish{ a }"), Some("Publish"));
        assert_eq!(operation_name(None, "{ a }"), None);
        assert_eq!(operation_name(None, "query { a }"), None);
        assert_eq!(operation_name(None, "queryX { a }"), None);
    }

    #[test]
    fn operation_labels_are_bounded() {
        assert_eq!(operation_label(None), "anonymous");
        assert_eq!(operation_label(Some("bad name")), "other");
        assert_eq!(operation_label(Some(&"x".repeat(65))), "other");
        for i in 0..MAX_OPERATION_NAMES + 10 {
            operation_label(Some(&format!("Op{i}")));
        }
        assert_eq!(operation_label(Some("NeverSeenBefore")), "other");
    }
}
