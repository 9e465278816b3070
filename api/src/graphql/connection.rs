//! Relay connections over ordered lists, with opaque cursors and a page size limit.
//!
//! The connection and edge types are the API's own rather than async-graphql's so that each
//! carries a description a frontend developer can read in the docs pane; their shape is
//! Relay's (`edges { cursor node }`, `nodes`, `pageInfo`), plus `totalCount`.
use super::eager::{Eager, EagerList};
use crate::error::{ApiError, Result};
use async_graphql::connection::{CursorType, OpaqueCursor, PageInfo};
use async_graphql::{ContainerType, Object, OutputType, TypeName};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// The largest page a connection returns; also the page size when none is asked for.
pub const MAX_PAGE_SIZE: usize = 500;

/// One page of an ordered list, its items at positions given by cursors of type `C`.
pub struct Connection<C, T> {
    pub edges: Vec<Edge<C, T>>,
    pub has_previous_page: bool,
    pub has_next_page: bool,
    /// The number of items over all pages.
    pub total_count: i64,
}

impl<C, T> Connection<C, T> {
    pub fn new(has_previous_page: bool, has_next_page: bool, total_count: i64) -> Self {
        Self { edges: Vec::new(), has_previous_page, has_next_page, total_count }
    }
}

/// One item of a page and the cursor that points at it.
pub struct Edge<C, T> {
    pub cursor: C,
    pub node: T,
}

impl<C, T> Edge<C, T> {
    pub fn new(cursor: C, node: T) -> Self {
        Self { cursor, node }
    }
}

/// A page of a list that is paged by position.
pub type Page<T> = Connection<PositionCursor, T>;

impl<C: CursorType + Send + Sync, T: OutputType> TypeName for Connection<C, T> {
    fn type_name() -> Cow<'static, str> {
        format!("{}Connection", T::type_name()).into()
    }
}

impl<C: CursorType + Send + Sync, T: OutputType> TypeName for Edge<C, T> {
    fn type_name() -> Cow<'static, str> {
        format!("{}Edge", T::type_name()).into()
    }
}

/// One page of a longer list (Relay's connection). Read the items from `nodes`, or from
/// `edges` with a cursor each; ask for the next page with `after: pageInfo.endCursor` while
/// `pageInfo.hasNextPage` is true. `totalCount` counts the items of all pages.
#[Object(name_type)]
impl<C: CursorType + Send + Sync, T: ContainerType> Connection<C, T> {
    /// Where this page lies in the list: whether pages come before or after it, and the
    /// cursors of its first and last items (null on an empty page).
    async fn page_info(&self) -> PageInfo {
        PageInfo {
            has_previous_page: self.has_previous_page,
            has_next_page: self.has_next_page,
            start_cursor: self.edges.first().map(|edge| edge.cursor.encode_cursor()),
            end_cursor: self.edges.last().map(|edge| edge.cursor.encode_cursor()),
        }
    }

    /// The page's items in order, each with its cursor.
    async fn edges(&self) -> EagerList<Eager<&Edge<C, T>>> {
        EagerList(self.edges.iter().map(Eager).collect())
    }

    /// The page's items in order (the `node` of each edge), for clients that need no
    /// cursor per item.
    async fn nodes(&self) -> EagerList<Eager<&T>> {
        EagerList(self.edges.iter().map(|edge| Eager(&edge.node)).collect())
    }

    /// The number of items over all pages (0 for an empty list).
    async fn total_count(&self) -> i64 {
        self.total_count
    }
}

/// One item of a page with the cursor that points at it.
#[Object(name_type)]
impl<C: CursorType + Send + Sync, T: ContainerType> Edge<C, T> {
    /// The item.
    async fn node(&self) -> Eager<&T> {
        Eager(&self.node)
    }

    /// An opaque cursor: pass it as `after` to get the items that follow this one.
    async fn cursor(&self) -> String {
        self.cursor.encode_cursor()
    }
}

/// A position in an ordered result. Cursors are async-graphql's [`OpaqueCursor`]s (JSON in
/// URL-safe base64); each kind of cursor names its one field (`{"at":149}`) and refuses any
/// other, so that a cursor of one list is not taken for a cursor of another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Position {
    pub at: usize,
}

/// The cursor of a list that is paged by position.
pub type PositionCursor = OpaqueCursor<Position>;

/// The cursor at position `at`.
pub fn position(at: usize) -> PositionCursor {
    OpaqueCursor(Position { at })
}

/// What the cursor argument `field` points at, or a `BAD_USER_INPUT` naming the argument and
/// its value when it is no cursor of this list.
pub fn cursor_arg<T: Serialize + DeserializeOwned>(
    field: &str,
    value: Option<&str>,
) -> Result<Option<T>> {
    value
        .map(|c| {
            OpaqueCursor::<T>::decode_cursor(c).map(|cursor| cursor.0).map_err(|_| {
                ApiError::bad_input(field, c, format!("{c:?} is not a cursor of this list"))
            })
        })
        .transpose()
}

/// The size of a page of a list paged by key (newest first, `first` and `after` only):
/// `first`, from 0 to [`MAX_PAGE_SIZE`], which is also the default.
pub fn keyset_size(first: Option<i32>) -> Result<usize> {
    match first {
        None => Ok(MAX_PAGE_SIZE),
        Some(n) if (0..=MAX_PAGE_SIZE as i32).contains(&n) => Ok(n as usize),
        Some(n) => Err(ApiError::bad_input(
            "first",
            n,
            format!("first lies between 0 and {MAX_PAGE_SIZE}"),
        )),
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
            Ok(cursor_arg::<Position>(field, c.as_deref())?.map(|p| p.at))
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
    let mut connection = Connection::new(start > 0, false, total as i64);
    connection.edges.extend(
        items.into_iter().enumerate().map(|(k, item)| Edge::new(position(start + k), item)),
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
        Some(position(p).encode_cursor())
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
        assert!(keyset_size(Some(501)).is_err() && keyset_size(Some(-1)).is_err());
        assert_eq!(keyset_size(None).unwrap(), MAX_PAGE_SIZE);
    }

    #[test]
    fn a_cursor_of_one_list_is_refused_by_another() {
        #[derive(Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Other {
            id: i64,
        }
        let other = OpaqueCursor(Other { id: 3 }).encode_cursor();
        let err = PageArgs::forward(None, Some(other.clone())).window(10).unwrap_err();
        assert_eq!(err.code(), "BAD_USER_INPUT");
        assert!(err.message().contains(&other), "{}", err.message());
        assert_eq!(cursor_arg::<Other>("after", Some(&other)).unwrap().map(|o| o.id), Some(3));
        let position = cursor(7).unwrap();
        assert!(cursor_arg::<Other>("before", Some(&position)).is_err());
    }
}
