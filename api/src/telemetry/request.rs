//! Requests logged without a `tracing` span: the request a thread is serving, and what its
//! line shows.
//!
//! A span per request is what OpenTelemetry exports, and what `RUST_LOG` directives that name
//! spans or their fields (`[request{role=ADMIN}]=debug`) select on. Without either, its only
//! use is the log; and its lifecycle (made, recorded into, entered and exited at every poll,
//! closed: each a call into every layer of the subscriber and a lookup of the span there) was
//! what the request log cost on the cached path, ~7% of a cached answer's instructions against
//! a budget of 5% for the log and the metrics together (issue 11). So then, as `init` decides
//! once for the process, a request keeps its fields itself ([`Served`]), rendered as the log
//! shows them as they are given; while its handlers run (each poll of its future), they are
//! the thread's current request, which the handlers give their values to and which the log
//! layer (`access_log`) shows in any line logged meanwhile, as the fmt layer shows a span; and
//! its line is one event, `request finished`, which the log layer writes from its fields.
//! What an operator reads is the same either way (the tests compare the lines); what it costs
//! is about half (3.3% of a cached answer's instructions as text, 2.7% as JSON: README).
//!
//! A line logged in a task the request spawned (a DataLoader's batch) is outside the request,
//! as it was outside the request's span.
use super::access_log::{RequestFields, Style};
use std::cell::RefCell;
use std::sync::OnceLock;
use tracing::Metadata;

/// Indices of the request's fields in [`FIELDS`](super::access_log::FIELDS).
pub const REQUEST_ID: usize = 0;
pub const METHOD: usize = 1;
pub const ROUTE: usize = 2;
pub const OPERATION: usize = 3;
pub const ROLE: usize = 4;
pub const KEY: usize = 5;
pub const STATUS: usize = 6;
pub const DURATION_MS: usize = 7;

/// The name of the event whose line is a request's (its callsite is this module's alone).
const LINE: &str = "request finished";

/// How requests are logged without a span, when they are: set once, by `telemetry::init`.
static WITHOUT_SPANS: OnceLock<Style> = OnceLock::new();

/// The style of the log when requests are logged without a span; `None` when requests have a
/// span (an OTLP export, a filter that names spans, or no log set up by `telemetry::init`).
pub fn without_spans() -> Option<Style> {
    WITHOUT_SPANS.get().copied()
}

pub(super) fn log_without_spans(style: Style) {
    let _ = WITHOUT_SPANS.set(style);
}

thread_local! {
    /// The request whose handlers this thread is running, if it is logged without a span.
    static CURRENT: RefCell<Option<Box<RequestFields>>> = const { RefCell::new(None) };
    /// The fields of requests this thread finished, for the next ones: the boxes themselves,
    /// which a request's future holds (a pointer's size) and which are what is reused.
    #[allow(clippy::vec_box)]
    static SPARE: RefCell<Vec<Box<RequestFields>>> = const { RefCell::new(Vec::new()) };
}

/// A request logged without a span: its fields, and its line once it is answered, written
/// when this is dropped (when the answer, or its body still being made, is finished).
///
/// The fields are boxed, and the boxes kept by the thread for the next request: the request's
/// future stays as small as it was with a span (it is moved into boxes of its own by the
/// layers around it), becoming the thread's current request is the move of a pointer, and
/// neither costs an allocation.
pub struct Served {
    /// `None` only while the request is the thread's current one (its fields are there).
    fields: Option<Box<RequestFields>>,
}

impl Served {
    pub fn new(style: Style, request_id: &str, method: &str, route: &str) -> Self {
        let spare = SPARE.try_with(|spare| spare.try_borrow_mut().ok()?.pop()).ok().flatten();
        let mut fields = match spare {
            Some(mut fields) => {
                fields.start_over(style);
                fields
            }
            None => Box::new(RequestFields::without_span(style)),
        };
        fields.give_str(REQUEST_ID, request_id);
        fields.give_str(METHOD, method);
        fields.give_str(ROUTE, route);
        Self { fields: Some(fields) }
    }

    /// Runs `work` (a poll of the request's handlers, or of its body) with this request as the
    /// thread's current one.
    pub fn within<R>(&mut self, work: impl FnOnce() -> R) -> R {
        let _current = Current::enter(self);
        work()
    }

    /// The answer's status and the request's duration.
    pub fn answered(&mut self, status: u16, duration_ms: f64) {
        if let Some(fields) = &mut self.fields {
            fields.give_u64(STATUS, u64::from(status));
            fields.give_f64(DURATION_MS, duration_ms);
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if self.fields.as_ref().is_some_and(|fields| fields.answered()) {
            // (the event carries nothing: the log layer writes the line from the fields)
            self.within(|| {
                tracing::info!(name: LINE, target: super::access_log::TARGET, "request finished")
            });
        }
        let Some(fields) = self.fields.take().filter(|fields| fields.reusable()) else { return };
        let _ = SPARE.try_with(|spare| {
            if let Ok(mut spare) = spare.try_borrow_mut() {
                if spare.len() < 16 {
                    spare.push(fields);
                }
            }
        });
    }
}

/// The request made the thread's current one while it lives; what was current before (a
/// request served within another's poll, which this server never does) is current again after.
struct Current<'a> {
    served: &'a mut Served,
    outer: Option<Box<RequestFields>>,
}

impl<'a> Current<'a> {
    fn enter(served: &'a mut Served) -> Self {
        let fields = served.fields.take();
        let outer = CURRENT.try_with(|current| current.replace(fields)).ok().flatten();
        Self { served, outer }
    }
}

impl Drop for Current<'_> {
    fn drop(&mut self) {
        let outer = self.outer.take();
        if let Ok(fields) = CURRENT.try_with(|current| current.replace(outer)) {
            self.served.fields = fields;
        }
    }
}

/// Gives the current request (if it is logged without a span) the value of a field.
pub fn give(index: usize, value: &str) {
    let _ = CURRENT.try_with(|current| {
        if let Ok(mut current) = current.try_borrow_mut() {
            if let Some(fields) = current.as_mut() {
                fields.give_str(index, value);
            }
        }
    });
}

/// Whether a request logged without a span is current on this thread.
pub(super) fn is_current() -> bool {
    CURRENT.try_with(|current| current.try_borrow().is_ok_and(|c| c.is_some())).unwrap_or(false)
}

/// Runs `show` with the current request's fields, if a request logged without a span is
/// current on this thread.
pub(super) fn with_current<R>(show: impl FnOnce(&RequestFields) -> R) -> Option<R> {
    CURRENT.try_with(|current| current.try_borrow().ok()?.as_deref().map(show)).ok().flatten()
}

/// Whether `metadata` is the callsite of a request's line.
pub(super) fn is_line(metadata: &Metadata<'_>) -> bool {
    metadata.is_event() && metadata.name() == LINE && metadata.target() == super::access_log::TARGET
}
