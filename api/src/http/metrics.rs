//! Metrics of the HTTP surface: a layer that counts and times every answer by route pattern
//! and status, the GraphQL operation counters (with bounded operation names), and the
//! `/metrics` endpoint (Prometheus text format) that renders the process-wide registry.
use super::AppState;
use crate::telemetry::{self, names};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

/// Distinct operation names given their own label; later names are counted as `other`.
/// Clients choose the names, and each label value is a time series kept forever.
pub const MAX_OPERATION_NAMES: usize = 200;
/// Longest operation name kept as a label.
const MAX_NAME_LEN: usize = 64;

pub async fn count_requests(request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().cloned();
    let method = method_label(request.method());
    let started = Instant::now();
    let response = next.run(request).await;
    let route = route.as_ref().map_or("unmatched", MatchedPath::as_str);
    let (count, duration) = http_handles(route, method, response.status().as_u16());
    count.increment(1);
    duration.record(started.elapsed().as_secs_f64());
    response
}

/// The counter and histogram of one kind of answer.
type HttpHandles = (metrics::Counter, metrics::Histogram);

/// The handles of (route, method, status), made on first use and kept: the label sets are
/// few (routes are the router's patterns), and a request then costs one lookup by its route
/// instead of building and hashing three labels twice.
fn http_handles(route: &str, method: &'static str, status: u16) -> HttpHandles {
    type ByRoute = HashMap<String, Vec<(&'static str, u16, HttpHandles)>>;
    static HANDLES: RwLock<Option<ByRoute>> = RwLock::new(None);
    let find = |by_route: &ByRoute| {
        by_route
            .get(route)?
            .iter()
            .find(|(m, s, _)| *m == method && *s == status)
            .map(|h| h.2.clone())
    };
    if let Some(found) = HANDLES.read().ok().and_then(|h| h.as_ref().and_then(find)) {
        return found;
    }
    let made = (
        metrics::counter!(names::HTTP_REQUESTS, "route" => route.to_owned(),
            "method" => method, "status" => status.to_string()),
        metrics::histogram!(names::HTTP_DURATION, "route" => route.to_owned()),
    );
    if let Ok(mut handles) = HANDLES.write() {
        let kinds = handles.get_or_insert_with(HashMap::new).entry(route.to_owned()).or_default();
        kinds.push((method, status, made.clone()));
    }
    made
}

/// The method as a label: a client may send any method name, and each label value is a time
/// series kept forever, so methods outside HTTP's own are `other`.
fn method_label(method: &Method) -> &'static str {
    const KNOWN: [(Method, &str); 9] = [
        (Method::GET, "GET"),
        (Method::POST, "POST"),
        (Method::HEAD, "HEAD"),
        (Method::OPTIONS, "OPTIONS"),
        (Method::PUT, "PUT"),
        (Method::DELETE, "DELETE"),
        (Method::PATCH, "PATCH"),
        (Method::CONNECT, "CONNECT"),
        (Method::TRACE, "TRACE"),
    ];
    KNOWN.iter().find(|(known, _)| known == method).map_or("other", |(_, label)| label)
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

/// The counter and histogram of one operation's successful answers, looked up once: a cached
/// answer carries them, so that a hit is counted without parsing its request or hashing labels.
#[derive(Clone)]
pub struct OperationMetrics {
    label: std::sync::Arc<str>,
    ok: metrics::Counter,
    duration: metrics::Histogram,
}

impl OperationMetrics {
    pub fn new(label: &str) -> Self {
        Self {
            label: label.into(),
            ok: metrics::counter!(names::GRAPHQL_OPERATIONS, "operation" => label.to_owned(), "outcome" => "ok"),
            duration: metrics::histogram!(names::GRAPHQL_DURATION, "operation" => label.to_owned()),
        }
    }

    /// The operation's label, for the request's span.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Counts one successful answer that took `elapsed`.
    pub fn record_ok(&self, elapsed: Duration) {
        self.ok.increment(1);
        self.duration.record(elapsed.as_secs_f64());
    }
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
    metrics::gauge!(names::CACHE_BYTES).set(state.cache.weight() as f64);
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
