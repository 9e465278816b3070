//! How deeply a GraphQL document nests, measured on its text before anything parses it.
//!
//! The parser async-graphql uses descends once per level of `{`, `[` and `(`, with no bound
//! on the values of arguments: `where: {not: {not: …}}` a thousand levels deep (6 kB)
//! exhausted the stack and aborted the process (dropping such a value recurses as deeply). This scan is linear and recursion-free; every place that parses a request
//! asks it first. JSON variables need no such check: `serde_json` stops at 128 levels.
use crate::error::{ApiError, TooComplex};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Data, Executor, Request, Response};
use futures_util::stream::BoxStream;
use futures_util::StreamExt as _;
use std::sync::Arc;

/// The deepest nesting of brackets a document may have: far beyond what the depth limit of
/// fields (12) and of filters (32 levels of `and`/`or`/`not`, two brackets each) let run, far
/// below what would strain the stack.
pub const MAX_NESTING: usize = 128;

/// The deepest nesting of `{`, `[` and `(` in `query`, outside strings and comments.
pub fn depth(query: &str) -> usize {
    let bytes = query.as_bytes();
    let (mut depth, mut deepest) = (0usize, 0usize);
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' | b'[' | b'(' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                // a block string ends at the next unescaped `"""`
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    i += if bytes[i..].starts_with(b"\\\"\"\"") { 4 } else { 1 };
                }
                i += 2;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            _ => {}
        }
        i += 1;
    }
    deepest
}

/// Refuses a document nested deeper than [`MAX_NESTING`], before it is parsed.
pub fn check(query: &str) -> Result<(), ApiError> {
    let measured = depth(query);
    if measured > MAX_NESTING {
        return Err(ApiError::QueryTooComplex(Box::new(TooComplex {
            limit: "nesting",
            measured: measured as u64,
            max: MAX_NESTING as u64,
        })));
    }
    Ok(())
}

/// Parses `query` if it is not nested too deeply; `None` when it is refused or does not parse
/// (the executor then reports why).
pub fn parse(query: &str) -> Option<ExecutableDocument> {
    check(query).ok()?;
    async_graphql::parser::parse_query(query).ok()
}

/// The schema as WebSocket connections run it: the executor parses their documents itself,
/// so their nesting is checked first here (HTTP requests arrive parsed by the limits). A
/// wrapper rather than a schema extension: an extension, even one that only looks at parsing,
/// makes the executor look up and wrap every field it resolves, on every request.
#[derive(Clone)]
pub struct Checked(pub super::AppSchema);

fn refused(err: ApiError) -> Response {
    use async_graphql::ErrorExtensions;
    Response::from_errors(vec![err.extend().into_server_error(Default::default())])
}

impl Executor for Checked {
    async fn execute(&self, request: Request) -> Response {
        match check(&request.query) {
            Ok(()) => self.0.execute(request).await,
            Err(err) => refused(err),
        }
    }

    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        match check(&request.query) {
            Ok(()) => Executor::execute_stream(&self.0, request, session_data),
            Err(err) => futures_util::stream::once(std::future::ready(refused(err))).boxed(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brackets_in_strings_and_comments_do_not_count() {
        assert_eq!(depth("{ a }"), 1);
        assert_eq!(depth(r#"{ a(where: {or: [{region: "{{{[[["}]}) { b } }"#), 5);
        assert_eq!(depth("{ a # {{{{{{\n b }"), 1);
        assert_eq!(depth(r#"{ a(x: """ {{{ \""" {{{ """) }"#), 2);
        assert_eq!(depth(r#"{ a(x: "\" {{{") }"#), 2);
        // an unterminated string or too many closing brackets never panic
        assert_eq!(depth(r#"{ a(x: "{{{"#), 2);
        assert_eq!(depth("}}}{"), 1);
        assert_eq!(depth(r#"""""#), 0);
    }

    #[test]
    fn deep_documents_are_refused_before_parsing() {
        let deep = format!("{{ countries(where: {}) {{ totalCount }} }}", "{not:".repeat(100_000));
        let err = check(&deep).unwrap_err();
        let ApiError::QueryTooComplex(too) = err else { panic!("{err:?}") };
        assert_eq!((too.limit, too.measured, too.max), ("nesting", 100_002, 128));
        assert!(parse(&deep).is_none());
        assert!(parse("{ countries { totalCount } }").is_some());
    }
}
