//! One span per request, logged at `info` when it closes: method, route, request id, and,
//! filled in by the GraphQL handler, the operation name, the caller's role and key name (never
//! a secret), then the status and the duration. Every event logged while serving the request
//! (statements, errors with their `errorId`) is inside this span. The line itself is written
//! by `telemetry::access_log`, from the span's values, when the span closes.
//!
//! When nothing needs the span itself (no OpenTelemetry export, a log filter that does not
//! name spans: `telemetry::request` says why and `telemetry::init` decides), a request has no
//! span: the same values are kept by the request (`telemetry::request::Served`), which is the
//! thread's current request while its handlers (or its body) are polled, and whose line is
//! written when it finishes, at the same moment as the span would close. The rest of this
//! module describes the span's path.
//!
//! The layer is ours rather than tower-http's `TraceLayer`, for the cached path's budget
//! (issue 11): each entry into a span and each exit is a call into every layer of the
//! subscriber (the registry's exit looks the span up again to see whether it closes), and
//! `TraceLayer` entered the span three times per answer: to build the inner future, at each
//! poll of it, and at each poll of the body, which it wrapped (and axum then boxed) for every
//! answer. Here the span is entered only while the handlers run (polls of the inner future).
//! An answer whose body is already whole (its size is known: a cached answer, a GraphQL answer
//! not compressed on its way out) is finished when its head is: the span closes then. Only a
//! body still being made (a download's stream, which reads the database; an answer compressed
//! as it is sent) is wrapped, so that what it logs is inside the request too; the span then
//! closes when that body ends.
//!
//! The values the handlers give (the caller, the operation) are kept with the request while
//! its handlers run, and recorded into the span together at the end of the poll that gave
//! them, with the answer when there is one: each record is a call into every layer of the
//! subscriber and a lookup of the span there, and a cached answer, given all of them in one
//! poll, is recorded once rather than three times. (A line logged by a handler in that poll
//! after it gave them shows the request's id, method and route, not yet those values; none
//! is logged there on the cached path, and a query that reads the database has given them
//! before its first wait.)
use super::request_id;
use crate::auth::Principal;
use crate::telemetry::access_log::{SPAN, TARGET};
use crate::telemetry::request::{self, Served};
use axum::body::{Body, Bytes};
use axum::extract::MatchedPath;
use axum::http::{Request, Response};
use hyper::body::{Body as HttpBody, Frame, SizeHint};
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};
use std::time::Instant;
use tracing::field::{Empty, Field, Value};
use tracing::span::Record;
use tracing::{Metadata, Span};

/// The tower layer that gives each request its span.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestSpanLayer;

impl<S> tower::Layer<S> for RequestSpanLayer {
    type Service = RequestSpan<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequestSpan { inner }
    }
}

#[derive(Debug, Clone)]
pub struct RequestSpan<S> {
    inner: S,
}

impl<S, B> tower::Service<Request<B>> for RequestSpan<S>
where
    S: tower::Service<Request<B>, Response = Response<Body>>,
    S::Future: Unpin,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = InRequestSpan<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let started = Instant::now();
        let log = match request::without_spans() {
            Some(style) => {
                let (id, method) = (request_id::of(&request), request.method().as_str());
                Log::Served(Served::new(style, id, method, route(&request)))
            }
            None => {
                let span = make_span(&request);
                // disabled (`RUST_LOG=warn`), the span is not traced: nothing to do
                let fields =
                    span.metadata().filter(|_| !span.is_disabled()).and_then(SpanFields::of);
                fields.map_or(Log::Off, |fields| Log::Span(Traced { span, fields }))
            }
        };
        // (not entered: the layers below only build their futures in `call`; they run in `poll`)
        let inner = self.inner.call(request);
        InRequestSpan { inner, log, started }
    }
}

fn route<B>(request: &Request<B>) -> &str {
    request.extensions().get::<MatchedPath>().map_or("unmatched", |p| p.as_str())
}

fn make_span<B>(request: &Request<B>) -> Span {
    let route = route(request);
    // (the id and the method as strings, which the log shows as they are: see `access_log`)
    tracing::info_span!(
        target: TARGET,
        // a root: nothing is entered around it, so the subscriber need not look for a parent
        parent: None,
        SPAN,
        request_id = request_id::of(request),
        method = request.method().as_str(),
        route,
        operation = Empty,
        role = Empty,
        key = Empty,
        status = Empty,
        duration_ms = Empty,
    )
}

/// The future of a request: its handlers run inside the request span, or as the thread's
/// current request when it has none.
pub struct InRequestSpan<F> {
    /// (axum's `from_fn` middleware's future: boxed, hence `Unpin`)
    inner: F,
    log: Log,
    started: Instant,
}

/// How a request is logged.
enum Log {
    /// Not at all (`RUST_LOG=warn`), or no longer (answered).
    Off,
    Span(Traced),
    Served(Served),
}

struct Traced {
    span: Span,
    fields: &'static SpanFields,
}

impl<F, E> Future for InRequestSpan<F>
where
    F: Future<Output = Result<Response<Body>, E>> + Unpin,
{
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let traced = match &mut this.log {
            Log::Off => return Pin::new(&mut this.inner).poll(cx),
            Log::Span(traced) => traced,
            Log::Served(served) => {
                let response = match served.within(|| Pin::new(&mut this.inner).poll(cx)) {
                    Poll::Ready(Ok(response)) => response,
                    other => return other,
                };
                served.answered(response.status().as_u16(), milliseconds(this.started));
                let Log::Served(served) = std::mem::replace(&mut this.log, Log::Off) else {
                    unreachable!("matched above")
                };
                return Poll::Ready(Ok(finish(response, Open::Served(served))));
            }
        };
        let current = Current::enter();
        let polled = {
            let _entered = traced.span.enter();
            Pin::new(&mut this.inner).poll(cx)
        };
        let response = match polled {
            Poll::Ready(Ok(response)) => response,
            other => {
                current.finish(traced, None);
                return other;
            }
        };
        let answer = (response.status().as_u16(), milliseconds(this.started));
        current.finish(traced, Some(answer));
        let Log::Span(traced) = std::mem::replace(&mut this.log, Log::Off) else {
            unreachable!("matched above")
        };
        Poll::Ready(Ok(finish(response, Open::Span(traced.span))))
    }
}

/// The time since `started`, in milliseconds measured in microseconds (as the log shows it).
fn milliseconds(started: Instant) -> f64 {
    started.elapsed().as_micros() as f64 / 1000.0
}

/// The answer of a request that is logged: a whole body finishes the request (its span closes,
/// its line is written); a body still being made carries the request until it ends.
fn finish(response: Response<Body>, open: Open) -> Response<Body> {
    if response.body().size_hint().exact().is_some() {
        drop(open);
        return response;
    }
    response.map(|inner| Body::new(BodyInSpan { inner, open: Some(open) }))
}

impl Traced {
    /// Records what was given, in one record.
    fn record(&self, given: &Given) {
        if given.is_empty() {
            return;
        }
        let operation = given.has_operation.then_some(given.operation.as_str());
        let key = given.key.as_deref();
        let fields = self.fields;
        let pairs: [(&Field, Option<&dyn Value>); 5] = [
            (&fields.operation, operation.as_ref().map(|v| v as &dyn Value)),
            (&fields.role, given.role.as_ref().map(|v| v as &dyn Value)),
            (&fields.key, key.as_ref().map(|v| v as &dyn Value)),
            (&fields.status, given.status.as_ref().map(|v| v as &dyn Value)),
            (&fields.duration_ms, given.duration_ms.as_ref().map(|v| v as &dyn Value)),
        ];
        let values = self.fields.metadata.fields().value_set(&pairs);
        self.span.with_subscriber(|(id, dispatch)| dispatch.record(id, &Record::new(&values)));
    }
}

/// A body still being made when its head leaves: polled inside the request (its span, or as the
/// thread's current request), which is finished when the body ends (or is dropped, its client
/// gone).
struct BodyInSpan {
    inner: Body,
    open: Option<Open>,
}

/// A request answered, not yet finished.
enum Open {
    Span(Span),
    Served(Served),
}

impl HttpBody for BodyInSpan {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = &mut *self;
        let inner = Pin::new(&mut this.inner);
        let polled = match &mut this.open {
            Some(Open::Span(span)) => {
                let _entered = span.enter();
                inner.poll_frame(cx)
            }
            Some(Open::Served(served)) => served.within(|| inner.poll_frame(cx)),
            None => inner.poll_frame(cx),
        };
        if let Poll::Ready(None | Some(Err(_))) = polled {
            this.open = None;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The values handlers gave a request that are not yet recorded into its span.
#[derive(Default)]
struct Given {
    /// The operation when `has_operation`: a buffer kept by the thread (see [`GIVEN`]), so
    /// that giving it costs a copy, without an allocation.
    operation: String,
    has_operation: bool,
    role: Option<&'static str>,
    key: Option<String>,
    status: Option<u16>,
    duration_ms: Option<f64>,
}

impl Given {
    fn clear(&mut self) {
        self.has_operation = false;
        self.role = None;
        self.key = None;
        self.status = None;
        self.duration_ms = None;
    }

    fn is_empty(&self) -> bool {
        !self.has_operation
            && self.role.is_none()
            && self.key.is_none()
            && self.status.is_none()
            && self.duration_ms.is_none()
    }
}

thread_local! {
    /// Whether this thread is running a request's handlers.
    static RUNNING: Cell<bool> = const { Cell::new(false) };
    /// What they gave so far (kept in place: it is only read and cleared).
    static GIVEN: RefCell<Given> = RefCell::new(Given::default());
}

/// A poll of a request: its handlers' values are kept in [`GIVEN`] until [`Current::finish`]
/// records them; then, or when the poll unwinds, what was there is put back (a request polled
/// within another's poll, which this server never does, would have the other's back).
struct Current {
    outer: Option<Given>,
}

impl Current {
    fn enter() -> Self {
        let outer = RUNNING.replace(true).then(|| GIVEN.take());
        Self { outer }
    }

    /// Ends the poll: records what the handlers gave (and the answer, when there is one).
    fn finish(self, traced: &Traced, answer: Option<(u16, f64)>) {
        GIVEN.with_borrow_mut(|given| {
            if let Some((status, duration_ms)) = answer {
                given.status = Some(status);
                given.duration_ms = Some(duration_ms);
            }
            traced.record(given);
            given.clear();
        });
    }
}

impl Drop for Current {
    fn drop(&mut self) {
        match self.outer.take() {
            Some(outer) => GIVEN.set(outer),
            None => {
                RUNNING.set(false);
                GIVEN.with_borrow_mut(Given::clear);
            }
        }
    }
}

/// Called by handlers that know who is calling: the request span's role and key name.
pub fn record_caller(principal: &Principal) {
    let (role, key): (&'static str, Option<&str>) = match principal {
        Principal::Anonymous => ("anonymous", None),
        Principal::Admin => {
            (role_name(entity::values::Role::Admin), Some(crate::auth::BOOTSTRAP_ADMIN))
        }
        Principal::Key { name, role, .. } => (role_name(*role), Some(name.as_str())),
    };
    request::give(request::ROLE, role);
    if let Some(key) = key {
        request::give(request::KEY, key);
    }
    if RUNNING.get() {
        GIVEN.with_borrow_mut(|given| {
            given.role = Some(role);
            given.key = key.map(str::to_owned);
        });
    }
}

/// Called by handlers that know the operation: the request span's operation.
pub fn record_operation(operation: &str) {
    request::give(request::OPERATION, operation);
    if RUNNING.get() {
        GIVEN.with_borrow_mut(|given| {
            given.operation.clear();
            given.operation.push_str(operation);
            given.has_operation = true;
        });
    }
}

/// A role as the span shows it: its name in the database (`ActiveEnum::to_value`).
fn role_name(role: entity::values::Role) -> &'static str {
    match role {
        entity::values::Role::Admin => "ADMIN",
        entity::values::Role::Editor => "EDITOR",
        entity::values::Role::Partner => "PARTNER",
    }
}

/// The request span's fields that are recorded after it is made, found once (by name, each
/// lookup is a search of the span's fields).
struct SpanFields {
    metadata: &'static Metadata<'static>,
    operation: Field,
    role: Field,
    key: Field,
    status: Field,
    duration_ms: Field,
}

impl SpanFields {
    /// The fields of `metadata` if it is the request span's.
    fn of(metadata: &'static Metadata<'static>) -> Option<&'static Self> {
        static FIELDS: OnceLock<Option<SpanFields>> = OnceLock::new();
        let fields = FIELDS
            .get_or_init(|| {
                let field = |name| metadata.fields().field(name);
                Some(Self {
                    metadata,
                    operation: field("operation")?,
                    role: field("role")?,
                    key: field("key")?,
                    status: field("status")?,
                    duration_ms: field("duration_ms")?,
                })
            })
            .as_ref()?;
        std::ptr::eq(fields.metadata, metadata).then_some(fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::ActiveEnum as _;

    #[test]
    fn the_request_span_has_the_fields_of_a_request_logged_without_one() {
        let request = Request::builder().uri("/graphql").body(()).unwrap();
        let names = tracing::subscriber::with_default(tracing_subscriber::registry(), || {
            let span = make_span(&request);
            let metadata = span.metadata().expect("a span of a callsite");
            metadata.fields().iter().map(|field| field.name()).collect::<Vec<_>>()
        });
        assert_eq!(names, crate::telemetry::access_log::FIELDS);
    }

    #[test]
    fn roles_are_shown_by_their_names_in_the_database() {
        use entity::values::Role;
        for role in [Role::Admin, Role::Editor, Role::Partner] {
            assert_eq!(role_name(role), role.to_value());
        }
    }
}
