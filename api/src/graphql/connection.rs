//! Relay connections over ordered lists, with opaque cursors and a page size limit.
use crate::error::{ApiError, Result};
use async_graphql::connection::{Connection, CursorType, Edge, EmptyFields};
use async_graphql::{OutputType, SimpleObject};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// The largest page a connection returns; also the page size when none is asked for.
pub const MAX_PAGE_SIZE: usize = 500;

/// Fields every connection adds to Relay's.
#[derive(SimpleObject, Clone, Copy, Debug)]
pub struct Counted {
    /// The number of items over all pages.
    pub total_count: i64,
}

pub type Page<T> = Connection<PositionCursor, T, Counted, EmptyFields>;

/// A position in an ordered result, opaque to callers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PositionCursor(pub usize);

impl CursorType for PositionCursor {
    type Error = String;

    fn decode_cursor(s: &str) -> Result<Self, Self::Error> {
        let bytes =
            URL_SAFE_NO_PAD.decode(s).map_err(|_| format!("{s:?} is not a cursor of this API"))?;
        let text =
            String::from_utf8(bytes).map_err(|_| format!("{s:?} is not a cursor of this API"))?;
        let position = text.strip_prefix("at:").and_then(|n| n.parse().ok());
        position.map(Self).ok_or_else(|| format!("{s:?} is not a cursor of this API"))
    }

    fn encode_cursor(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("at:{}", self.0))
    }
}

/// Paging arguments as Relay defines them.
#[derive(Clone, Debug, Default)]
pub struct PageArgs {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
}

impl PageArgs {
    pub fn forward(first: Option<i32>, after: Option<String>) -> Self {
        Self { first, after, ..Self::default() }
    }

    /// The half-open range of positions `[start, end)` to return out of `total`.
    pub fn window(&self, total: usize) -> Result<(usize, usize)> {
        let size = |field: &str, n: Option<i32>| -> Result<Option<usize>> {
            match n {
                None => Ok(None),
                Some(n) if n < 0 => Err(ApiError::bad_input(field, n, format!("{field} must not be negative"))),
                Some(n) if n as usize > MAX_PAGE_SIZE => Err(ApiError::bad_input(
                    field,
                    n,
                    format!("{field} is at most {MAX_PAGE_SIZE}: page through larger results with after"),
                )),
                Some(n) => Ok(Some(n as usize)),
            }
        };
        let cursor = |field: &str, c: &Option<String>| -> Result<Option<usize>> {
            c.as_deref()
                .map(|c| {
                    PositionCursor::decode_cursor(c)
                        .map(|p| p.0)
                        .map_err(|e| ApiError::bad_input(field, c, e))
                })
                .transpose()
        };
        let first = size("first", self.first)?;
        let last = size("last", self.last)?;
        let mut start = cursor("after", &self.after)?.map_or(0, |p| p + 1).min(total);
        let mut end = cursor("before", &self.before)?.unwrap_or(total).min(total).max(start);
        if let Some(first) = first {
            end = end.min(start + first);
        }
        if let Some(last) = last {
            start = start.max(end.saturating_sub(last));
        }
        if first.is_none() && last.is_none() {
            end = end.min(start + MAX_PAGE_SIZE);
        }
        Ok((start, end))
    }
}

/// One page of `items`, which hold every result in order.
pub fn page<T: OutputType>(items: Vec<T>, args: &PageArgs) -> Result<Page<T>> {
    let total = items.len();
    let (start, end) = args.window(total)?;
    Ok(page_at(total, start, items.into_iter().skip(start).take(end - start)))
}

/// The page of `total` results that starts at position `start` and holds `items`: for
/// results fetched one page at a time (find the window with [`PageArgs::window`]).
pub fn page_at<T: OutputType>(
    total: usize,
    start: usize,
    items: impl IntoIterator<Item = T>,
) -> Page<T> {
    let mut connection =
        Connection::with_additional_fields(start > 0, false, Counted { total_count: total as i64 });
    connection.edges.extend(
        items.into_iter().enumerate().map(|(k, item)| Edge::new(PositionCursor(start + k), item)),
    );
    connection.has_next_page = start + connection.edges.len() < total;
    connection
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(args: PageArgs, total: usize) -> (usize, usize) {
        args.window(total).unwrap()
    }

    fn cursor(p: usize) -> Option<String> {
        Some(PositionCursor(p).encode_cursor())
    }

    #[test]
    fn forward_and_backward_windows() {
        assert_eq!(window(PageArgs::forward(Some(50), None), 193), (0, 50));
        assert_eq!(window(PageArgs::forward(Some(50), cursor(149)), 193), (150, 193));
        let back = PageArgs { last: Some(10), before: cursor(50), ..PageArgs::default() };
        assert_eq!(window(back, 193), (40, 50));
        assert_eq!(window(PageArgs::default(), 1000), (0, MAX_PAGE_SIZE));
    }

    #[test]
    fn bad_page_arguments_are_refused() {
        assert!(PageArgs::forward(Some(-1), None).window(10).is_err());
        assert!(PageArgs::forward(Some(501), None).window(10).is_err());
        assert!(PageArgs::forward(None, Some("nope".into())).window(10).is_err());
    }
}
