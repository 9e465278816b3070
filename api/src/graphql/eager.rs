//! Objects and lists whose values are already at hand, resolved in one pass.
//!
//! async-graphql resolves every field of every object as a future of its own: boxed, put in a
//! `FuturesUnordered` (one more allocation and a waker each), then gathered into the object's
//! map; a list's items likewise. The Index's lists are wide and shallow (a ranking of 193 is
//! ~1,400 fields), their values read in one statement or primed in the loaders before the
//! first item resolves: under callgrind that machinery, not the fields' own work, was the
//! largest share of an uncached ranking's server instructions.
//!
//! [`Eager`] (an object) and [`EagerList`] (a list) are the same GraphQL types as what they
//! wrap, resolved differently: each field (item) is polled once, in order, through the very
//! resolver the executor would call. When every one completes at that first poll, their
//! values make the answer without any of the executor's per-field futures. Anything else goes
//! the executor's way, from the start: a field that must wait (a loader's fetch), an error, a
//! fragment, a directive, a response key given twice. Errors a nested
//! object recorded during the attempt are taken back first, so that the executor's own run
//! reports each exactly once. Resolvers only read, so running one again changes nothing. The
//! schema has no extension (see `builder` in the module above), which would otherwise see the
//! fields resolved here pass by unannounced.
use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{Field, Selection};
use async_graphql::registry::Registry;
use async_graphql::{
    ContainerType, ContextSelectionSet, OutputType, Positioned, ServerResult, Value,
};
use std::borrow::Cow;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// An object resolved in one pass when its fields' values are at hand.
pub struct Eager<T>(pub T);

/// A list resolved in one pass when its items' values are at hand.
pub struct EagerList<T>(pub Vec<T>);

impl<T: ContainerType> OutputType for Eager<T> {
    fn type_name() -> Cow<'static, str> {
        T::type_name()
    }

    fn qualified_type_name() -> String {
        T::qualified_type_name()
    }

    fn introspection_type_name(&self) -> Cow<'static, str> {
        self.0.introspection_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        T::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        match attempt(ctx, || object_at_hand(ctx, &self.0)) {
            Some(value) => Ok(value),
            None => self.0.resolve(ctx, field).await,
        }
    }
}

impl<T: OutputType> OutputType for EagerList<T> {
    fn type_name() -> Cow<'static, str> {
        <Vec<T> as OutputType>::type_name()
    }

    fn qualified_type_name() -> String {
        <Vec<T> as OutputType>::qualified_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        <Vec<T> as OutputType>::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        match attempt(ctx, || list_at_hand(ctx, field, &self.0)) {
            Some(value) => Ok(value),
            None => {
                async_graphql::resolver_utils::resolve_list(ctx, field, &self.0, Some(self.0.len()))
                    .await
            }
        }
    }
}

/// Runs `at_hand`; when it gives up, the errors recorded meanwhile are taken back.
fn attempt(
    ctx: &ContextSelectionSet<'_>,
    at_hand: impl FnOnce() -> Option<Value>,
) -> Option<Value> {
    let recorded = ctx.query_env.errors.lock().map(|errors| errors.len()).ok()?;
    let value = at_hand();
    if value.is_none() {
        if let Ok(mut errors) = ctx.query_env.errors.lock() {
            errors.truncate(recorded);
        }
    }
    value
}

/// The object's fields in the order asked, when every one is a plain field whose resolver
/// completes at once without an error.
fn object_at_hand<T: ContainerType + ?Sized>(
    ctx: &ContextSelectionSet<'_>,
    root: &T,
) -> Option<Value> {
    let selections = &ctx.item.node.items;
    let mut object = IndexMap::with_capacity(selections.len());
    for selection in selections {
        let Selection::Field(field) = &selection.node else { return None };
        if !field.node.directives.is_empty() {
            return None;
        }
        let key = field.node.response_key().node.clone();
        let value = if field.node.name.node == "__typename" {
            Value::String(root.introspection_type_name().into_owned())
        } else {
            let ctx_field = ctx.with_field(field);
            at_once(root.resolve_field(&ctx_field))?.ok()?.unwrap_or_default()
        };
        if object.insert(key, value).is_some() {
            // the same key twice: the executor merges what each asks for
            return None;
        }
    }
    // an empty selection is refused by validation; the executor answers null for one
    Some(if object.is_empty() { Value::Null } else { Value::Object(object) })
}

/// The list's items in order, when each one resolves at once without an error.
fn list_at_hand<T: OutputType>(
    ctx: &ContextSelectionSet<'_>,
    field: &Positioned<Field>,
    items: &[T],
) -> Option<Value> {
    let mut values = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let ctx_item = ctx.with_index(index);
        values.push(at_once(item.resolve(&ctx_item, field))?.ok()?);
    }
    Some(Value::List(values))
}

/// The future's output if it is ready at its first poll. The future is polled where it was
/// made (`now_or_never` moves it first: a resolver's future holds the futures of all its
/// fields, and those copies were a tenth of a ranking's instructions). A future that is not
/// ready is dropped: a resolver waiting on a loader leaves its key queued, which the
/// executor's run then finds.
fn at_once<F: Future>(future: F) -> Option<F::Output> {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => Some(output),
        Poll::Pending => None,
    }
}
