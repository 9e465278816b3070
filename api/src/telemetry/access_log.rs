//! The request log: the one line each answer logs, written in one pass from the request span's
//! values as they were recorded, typed.
//!
//! Every answer logs a line, so this is on the cached path's budget (a few microseconds of CPU
//! in all). tracing-subscriber's fmt layer formats a span's fields into text when the span is
//! made and again at every record (the JSON one parses that text back into a map for each
//! line), and formats each line through the generic machinery: on the cached path that was a
//! third to two thirds again of what the answer itself costs. So [`AccessLog`] wraps the fmt
//! layer: request spans never reach it; their values are kept in a [`RequestFields`] in the
//! span's extensions, and the request's line is written from them directly, in the same shape
//! the fmt layer gives it (text or JSON). The fmt layer still writes every other line; when one
//! is logged inside a request (an error with its `errorId`, a slow statement), the request's
//! fields are rendered for it first, so that it shows the request id as before.
use std::cell::RefCell;
use std::fmt::Write as _;
use std::io::Write as _;
use std::marker::PhantomData;
use std::time::{SystemTime, UNIX_EPOCH};
use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Dispatch, Event, Level, Metadata, Subscriber};
use tracing_subscriber::fmt::{FormatFields, FormattedFields, MakeWriter};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::{LookupSpan, SpanRef};

/// The target of the request span and of its line: the module that makes them, so that
/// `RUST_LOG` directives naming it keep working.
pub const TARGET: &str = "ocindex::http::trace";

/// The name of the request span.
pub const SPAN: &str = "request";

fn is_request_span(metadata: &Metadata<'_>) -> bool {
    metadata.is_span() && metadata.name() == SPAN && metadata.target() == TARGET
}

fn is_request_line(metadata: &Metadata<'_>) -> bool {
    metadata.is_event() && metadata.target() == TARGET
}

/// How lines look: the fmt layer's text (coloured on a terminal) or JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Text { ansi: bool },
    Json,
}

/// The fmt layer `inner`, with the request log in front of it. `N` is `inner`'s field
/// formatter, whose `FormattedFields` it reads for the spans of a line.
pub struct AccessLog<L, N, W> {
    inner: L,
    style: Style,
    make_writer: W,
    _fields: PhantomData<fn(N)>,
}

impl<L, N, W> AccessLog<L, N, W> {
    pub fn new(inner: L, style: Style, make_writer: W) -> Self {
        Self { inner, style, make_writer, _fields: PhantomData }
    }
}

/// A recorded value; text is kept in [`RequestFields::text`].
#[derive(Debug, Clone, Copy)]
enum Value {
    Empty,
    /// A string, quoted in the text log as the fmt layer quotes it.
    Str(u32, u32),
    /// A value recorded by `Display` or `Debug`, shown as is in the text log.
    Shown(u32, u32),
    U64(u64),
    I64(i64),
    F64(f64),
    Bool(bool),
}

/// The values of a request span, by field index; a field recorded twice keeps the last value.
#[derive(Debug)]
pub struct RequestFields {
    values: [Value; MAX_FIELDS],
    text: String,
}

/// The most fields of a request span this log shows (the span has nine).
const MAX_FIELDS: usize = 16;

impl RequestFields {
    fn new() -> Self {
        Self { values: [Value::Empty; MAX_FIELDS], text: String::with_capacity(128) }
    }

    fn set(&mut self, field: &Field, value: Value) {
        if let Some(slot) = self.values.get_mut(field.index()) {
            *slot = value;
        }
    }

    fn range(&self, start: u32, end: u32) -> &str {
        self.text.get(start as usize..end as usize).unwrap_or_default()
    }

    /// The fields as the fmt layer would have formatted them (without the braces in text).
    fn render(&self, metadata: &Metadata<'_>, style: Style, out: &mut Vec<u8>) {
        let mut first = true;
        if style == Style::Json {
            out.push(b'{');
        }
        for (field, value) in metadata.fields().iter().zip(&self.values) {
            if let Value::Empty = value {
                continue;
            }
            match style {
                Style::Text { .. } => {
                    if !first {
                        out.push(b' ');
                    }
                    out.extend_from_slice(field.name().as_bytes());
                    out.push(b'=');
                    match *value {
                        Value::Str(s, e) => text_quoted(out, self.range(s, e)),
                        Value::Shown(s, e) => out.extend_from_slice(self.range(s, e).as_bytes()),
                        Value::F64(v) => text_f64(out, v),
                        Value::U64(v) => {
                            out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes())
                        }
                        Value::I64(v) => {
                            out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes())
                        }
                        other => self.json_value(other, out),
                    }
                }
                Style::Json => {
                    if !first {
                        out.push(b',');
                    }
                    json_key(out, field.name());
                    self.json_value(*value, out);
                }
            }
            first = false;
        }
        if style == Style::Json {
            out.push(b'}');
        }
    }

    fn json_value(&self, value: Value, out: &mut Vec<u8>) {
        let _ = match value {
            Value::Empty => serde_json::to_writer(&mut *out, &()),
            Value::Str(s, e) | Value::Shown(s, e) => {
                serde_json::to_writer(&mut *out, self.range(s, e))
            }
            Value::U64(v) => serde_json::to_writer(&mut *out, &v),
            Value::I64(v) => serde_json::to_writer(&mut *out, &v),
            Value::F64(v) => {
                json_f64(out, v);
                Ok(())
            }
            Value::Bool(v) => serde_json::to_writer(&mut *out, &v),
        };
    }
}

impl Visit for RequestFields {
    fn record_str(&mut self, field: &Field, value: &str) {
        let start = self.text.len() as u32;
        self.text.push_str(value);
        self.set(field, Value::Str(start, self.text.len() as u32));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let start = self.text.len() as u32;
        let _ = write!(self.text, "{value:?}");
        self.set(field, Value::Shown(start, self.text.len() as u32));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.set(field, Value::U64(value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.set(field, Value::I64(value));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.set(field, Value::F64(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.set(field, Value::Bool(value));
    }
}

/// A string as `{:?}` shows it (the fmt layer's text form of a string field).
fn text_quoted(out: &mut Vec<u8>, value: &str) {
    let plain = value.bytes().all(|b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\');
    if plain {
        out.push(b'"');
        out.extend_from_slice(value.as_bytes());
        out.push(b'"');
    } else {
        let _ = write!(out, "{value:?}");
    }
}

/// A float as the text log shows it: `{:?}`'s digits (ryu's shortest form, which `{:?}` also
/// gives for the magnitudes of durations), and `{:?}`'s words for what is not a number.
fn text_f64(out: &mut Vec<u8>, value: f64) {
    if !value.is_finite() {
        let _ = write!(out, "{value:?}");
    } else if !thousandths(out, value) {
        out.extend_from_slice(ryu::Buffer::new().format_finite(value).as_bytes());
    }
}

fn json_f64(out: &mut Vec<u8>, value: f64) {
    if !(value.is_finite() && thousandths(out, value)) {
        // serde_json writes `null` for what JSON has no number for
        let _ = serde_json::to_writer(&mut *out, &value);
    }
}

/// Writes a float that is a whole number of thousandths (a duration in milliseconds measured
/// in microseconds: every request's) as its shortest form, `0.371` or `12.0`, which is what
/// ryu and `{:?}` write for it too, at a tenth of their cost; false for any other float.
fn thousandths(out: &mut Vec<u8>, value: f64) -> bool {
    // below 2^53 / 1000 each such value is the only one of its thousandths: these are its digits
    if !(0.0..1e9).contains(&value) || value.is_sign_negative() {
        return false;
    }
    let scaled = (value * 1000.0).round();
    if scaled / 1000.0 != value {
        return false;
    }
    let scaled = scaled as u64;
    out.extend_from_slice(itoa::Buffer::new().format(scaled / 1000).as_bytes());
    out.push(b'.');
    let fraction = scaled % 1000;
    let digits = [
        b'0' + (fraction / 100) as u8,
        b'0' + (fraction / 10 % 10) as u8,
        b'0' + (fraction % 10) as u8,
    ];
    let kept = digits.iter().rposition(|&d| d != b'0').map_or(1, |last| last + 1);
    out.extend_from_slice(&digits[..kept]);
    true
}

fn json_str(out: &mut Vec<u8>, value: &str) {
    let _ = serde_json::to_writer(&mut *out, value);
}

/// A field's name as a JSON key: names are Rust identifiers, with nothing to escape.
fn json_key(out: &mut Vec<u8>, name: &str) {
    json_plain(out, name);
    out.push(b':');
}

/// A string known to hold nothing to escape (a name, a level, this module's target).
fn json_plain(out: &mut Vec<u8>, text: &str) {
    out.push(b'"');
    out.extend_from_slice(text.as_bytes());
    out.push(b'"');
}

/// The fields of the request's line itself (its message, status and duration), in order.
struct LineFields<'a> {
    out: &'a mut Vec<u8>,
    style: Style,
    first: bool,
    /// Where `Debug` values are formatted before a JSON string is made of them.
    scratch: &'a mut String,
}

impl LineFields<'_> {
    fn key(&mut self, field: &Field) {
        match self.style {
            Style::Text { .. } => {
                if !self.first {
                    self.out.push(b' ');
                }
                if field.name() != "message" {
                    self.out.extend_from_slice(field.name().as_bytes());
                    self.out.push(b'=');
                }
            }
            Style::Json => {
                if !self.first {
                    self.out.push(b',');
                }
                json_key(self.out, field.name());
            }
        }
        self.first = false;
    }
}

impl Visit for LineFields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.key(field);
        match self.style {
            Style::Text { .. } if field.name() == "message" => {
                self.out.extend_from_slice(value.as_bytes())
            }
            Style::Text { .. } => text_quoted(self.out, value),
            Style::Json => json_str(self.out, value),
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.key(field);
        match self.style {
            Style::Text { .. } => {
                let _ = write!(self.out, "{value:?}");
            }
            Style::Json => {
                self.scratch.clear();
                let _ = write!(self.scratch, "{value:?}");
                json_str(self.out, self.scratch);
            }
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.key(field);
        self.out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.key(field);
        self.out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.key(field);
        match self.style {
            Style::Text { .. } => text_f64(self.out, value),
            Style::Json => json_f64(self.out, value),
        }
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.key(field);
        self.out.extend_from_slice(if value { b"true" } else { b"false" });
    }
}

/// The line's time as the fmt layer writes it (RFC 3339, microseconds, UTC); the part down to
/// the second is formatted once per second per thread.
fn timestamp(out: &mut Vec<u8>) {
    thread_local! {
        static SECOND: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
    }
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let seconds = since_epoch.as_secs();
    SECOND.with(|second| {
        let mut second = second.borrow_mut();
        if second.0 != seconds {
            second.1.clear();
            if let Some(time) = chrono::DateTime::from_timestamp(seconds as i64, 0) {
                let _ = write!(second.1, "{}", time.format("%Y-%m-%dT%H:%M:%S"));
            }
            second.0 = seconds;
        }
        out.extend_from_slice(second.1.as_bytes());
    });
    let micros = since_epoch.subsec_micros();
    let mut digits = [b'0'; 6];
    let mut rest = micros;
    for digit in digits.iter_mut().rev() {
        *digit = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    out.push(b'.');
    out.extend_from_slice(&digits);
    out.push(b'Z');
}

/// The level as the fmt layer's text shows it: padded to five, coloured on a terminal.
fn text_level(level: &Level, ansi: bool) -> &'static str {
    let (plain, coloured) = match *level {
        Level::TRACE => ("TRACE", "\x1b[35mTRACE\x1b[0m"),
        Level::DEBUG => ("DEBUG", "\x1b[34mDEBUG\x1b[0m"),
        Level::INFO => (" INFO", "\x1b[32m INFO\x1b[0m"),
        Level::WARN => (" WARN", "\x1b[33m WARN\x1b[0m"),
        _ => ("ERROR", "\x1b[31mERROR\x1b[0m"),
    };
    if ansi {
        coloured
    } else {
        plain
    }
}

impl<L, N, W> AccessLog<L, N, W>
where
    W: for<'w> MakeWriter<'w> + 'static,
{
    /// Writes the request's line: the line's own fields, the request span's fields.
    fn write_line<S>(&self, event: &Event<'_>, span: &SpanRef<'_, S>, fields: &RequestFields)
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        thread_local! {
            static BUFFERS: RefCell<(Vec<u8>, String)> = const { RefCell::new((Vec::new(), String::new())) };
        }
        BUFFERS.with(|buffers| match buffers.try_borrow_mut() {
            Ok(mut buffers) => {
                let (out, scratch) = &mut *buffers;
                out.clear();
                self.format_line(event, span, fields, out, scratch);
            }
            // (a line logged while this thread writes one: never, but not lost either)
            Err(_) => self.format_line(event, span, fields, &mut Vec::new(), &mut String::new()),
        });
    }

    fn format_line<S>(
        &self,
        event: &Event<'_>,
        span: &SpanRef<'_, S>,
        fields: &RequestFields,
        out: &mut Vec<u8>,
        scratch: &mut String,
    ) where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        let metadata = event.metadata();
        match self.style {
            Style::Text { ansi } => {
                let (dim, bold, reset) =
                    if ansi { ("\x1b[2m", "\x1b[1m", "\x1b[0m") } else { ("", "", "") };
                out.extend_from_slice(dim.as_bytes());
                timestamp(out);
                out.extend_from_slice(reset.as_bytes());
                out.push(b' ');
                out.extend_from_slice(text_level(metadata.level(), ansi).as_bytes());
                for piece in [" ", bold, SPAN, "{", reset] {
                    out.extend_from_slice(piece.as_bytes());
                }
                fields.render(span.metadata(), self.style, out);
                for piece in [bold, "}", reset, dim, ":", reset, " ", dim, TARGET, ":", reset, " "]
                {
                    out.extend_from_slice(piece.as_bytes());
                }
                event.record(&mut LineFields { out, style: self.style, first: true, scratch });
            }
            Style::Json => {
                out.extend_from_slice(b"{\"timestamp\":\"");
                timestamp(out);
                out.extend_from_slice(b"\",\"level\":");
                json_plain(out, metadata.level().as_str());
                out.extend_from_slice(b",\"fields\":{");
                event.record(&mut LineFields { out, style: self.style, first: true, scratch });
                out.extend_from_slice(b"},\"target\":");
                json_plain(out, TARGET);
                out.extend_from_slice(b",\"span\":");
                fields.render(span.metadata(), self.style, out);
                // the span's name closes its object, as the fmt layer writes it
                out.pop();
                if out.last() != Some(&b'{') {
                    out.push(b',');
                }
                json_key(out, "name");
                json_plain(out, SPAN);
                out.extend_from_slice(b"}}");
            }
        }
        out.push(b'\n');
        let _ = self.make_writer.make_writer_for(metadata).write_all(out);
    }
}

impl<S, L, N, W> Layer<S> for AccessLog<L, N, W>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    L: Layer<S>,
    N: for<'w> FormatFields<'w> + 'static,
    W: for<'w> MakeWriter<'w> + 'static,
{
    fn on_register_dispatch(&self, subscriber: &Dispatch) {
        self.inner.on_register_dispatch(subscriber);
    }

    fn on_layer(&mut self, subscriber: &mut S) {
        self.inner.on_layer(subscriber);
    }

    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        self.inner.register_callsite(metadata)
    }

    fn enabled(&self, metadata: &Metadata<'_>, ctx: Context<'_, S>) -> bool {
        self.inner.enabled(metadata, ctx)
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        self.inner.max_level_hint()
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if !is_request_span(attrs.metadata()) {
            return self.inner.on_new_span(attrs, id, ctx);
        }
        let Some(span) = ctx.span(id) else { return };
        let mut fields = RequestFields::new();
        attrs.record(&mut fields);
        span.extensions_mut().replace(fields);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id) {
            if let Some(fields) = span.extensions_mut().get_mut::<RequestFields>() {
                values.record(fields);
                return;
            }
        }
        self.inner.on_record(id, values, ctx);
    }

    fn on_follows_from(&self, span: &Id, follows: &Id, ctx: Context<'_, S>) {
        self.inner.on_follows_from(span, follows, ctx);
    }

    fn event_enabled(&self, event: &Event<'_>, ctx: Context<'_, S>) -> bool {
        self.inner.event_enabled(event, ctx)
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        if is_request_line(event.metadata()) {
            if let Some(span) = ctx.event_span(event) {
                if let Some(fields) = span.extensions().get::<RequestFields>() {
                    return self.write_line(event, &span, fields);
                }
            }
        }
        // another line: the fmt layer shows the spans it is in, requests included
        let scope = ctx.event_scope(event).into_iter().flatten();
        for span in scope.chain(ctx.lookup_current()) {
            let mut extensions = span.extensions_mut();
            let Some(fields) = extensions.get_mut::<RequestFields>() else { continue };
            let mut out = Vec::new();
            fields.render(span.metadata(), self.style, &mut out);
            let text = String::from_utf8(out).unwrap_or_default();
            extensions.replace(FormattedFields::<N>::new(text));
        }
        self.inner.on_event(event, ctx);
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        self.inner.on_enter(id, ctx);
    }

    fn on_exit(&self, id: &Id, ctx: Context<'_, S>) {
        self.inner.on_exit(id, ctx);
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        self.inner.on_close(id, ctx);
    }

    fn on_id_change(&self, old: &Id, new: &Id, ctx: Context<'_, S>) {
        self.inner.on_id_change(old, new, ctx);
    }
}

#[cfg(test)]
mod tests {
    use super::super::log_writer::Collected;
    use super::*;
    use tracing::field::Empty;
    use tracing_subscriber::fmt::format::{DefaultFields, JsonFields};
    use tracing_subscriber::layer::SubscriberExt as _;

    /// A request as the server logs one: its span recorded in parts, an error inside it, its
    /// line; then a line outside any request.
    fn serve_one_request() {
        let span = tracing::info_span!(
            target: TARGET,
            SPAN,
            request_id = %"r-1",
            method = %"POST",
            route = "/graphql",
            operation = Empty,
            role = Empty,
            key = Empty,
            status = Empty,
            duration_ms = Empty,
        );
        span.in_scope(|| {
            span.record("operation", "MetricsProbe");
            span.record("role", "partner");
            span.record("key", "partner \"north\"\u{1b}[31m");
            tracing::error!(
                error_id = "e-7",
                error = "relation \"figures\" does not exist",
                "internal error"
            );
            span.record("status", 200u16);
            span.record("duration_ms", 0.25);
            tracing::info!(target: TARGET, status = 200u16, duration_ms = 0.25, "request finished");
        });
        drop(span);
        tracing::info!(address = "127.0.0.1:1", "serving GraphQL at /graphql");
    }

    /// The lines written for `serve_one_request`, by the request log or by the fmt layer alone.
    fn lines(style: Style, request_log: bool) -> Vec<String> {
        let collected = Collected::default();
        let sink = collected.clone();
        let writer = move || sink.clone();
        let layer = match (style, request_log) {
            (Style::Text { ansi }, false) => {
                tracing_subscriber::fmt::layer().with_ansi(ansi).with_writer(writer).boxed()
            }
            (Style::Text { ansi }, true) => {
                let fmt =
                    tracing_subscriber::fmt::layer().with_ansi(ansi).with_writer(writer.clone());
                AccessLog::<_, DefaultFields, _>::new(fmt, style, writer).boxed()
            }
            (Style::Json, false) => tracing_subscriber::fmt::layer()
                .json()
                .with_current_span(true)
                .with_span_list(false)
                .with_writer(writer)
                .boxed(),
            (Style::Json, true) => {
                let fmt = tracing_subscriber::fmt::layer()
                    .json()
                    .with_current_span(true)
                    .with_span_list(false)
                    .with_writer(writer.clone());
                AccessLog::<_, JsonFields, _>::new(fmt, style, writer).boxed()
            }
        };
        let filter = tracing_subscriber::EnvFilter::new("info");
        let subscriber = tracing_subscriber::registry().with(layer.with_filter(filter));
        tracing::subscriber::with_default(subscriber, serve_one_request);
        let text = String::from_utf8(collected.0.lock().unwrap().clone()).unwrap();
        text.lines().map(str::to_owned).collect()
    }

    /// `2026-11-30T01:24:34.123456Z`, as the fmt layer writes it.
    fn is_timestamp(text: &str) -> bool {
        text.len() == 27
            && chrono::DateTime::parse_from_rfc3339(text).is_ok()
            && text.as_bytes()[19] == b'.'
            && text.ends_with('Z')
    }

    #[test]
    fn durations_are_written_as_debug_and_serde_json_write_them() {
        let thousandths = (0..5_000u64)
            .chain((0..2_000).map(|n| n * 7_919_993 + 999))
            .chain([999_999_999_999, 123_456_789_000]);
        for k in thousandths {
            let value = k as f64 / 1000.0;
            let (mut text, mut json) = (Vec::new(), Vec::new());
            text_f64(&mut text, value);
            json_f64(&mut json, value);
            assert_eq!(String::from_utf8(text).unwrap(), format!("{value:?}"));
            assert_eq!(String::from_utf8(json).unwrap(), serde_json::to_string(&value).unwrap());
        }
        for value in [0.1 + 0.2, 1e-7, 2.5e20, -0.0, -1.5, f64::NAN, f64::INFINITY] {
            let mut text = Vec::new();
            text_f64(&mut text, value);
            assert_eq!(String::from_utf8(text).unwrap(), format!("{value:?}"));
        }
    }

    #[test]
    fn the_json_log_is_the_one_the_fmt_layer_wrote() {
        let parse = |lines: Vec<String>| -> Vec<serde_json::Value> {
            lines
                .iter()
                .map(|line| {
                    let mut entry: serde_json::Value = serde_json::from_str(line).expect(line);
                    let time = entry.as_object_mut().unwrap().remove("timestamp").unwrap();
                    assert!(is_timestamp(time.as_str().unwrap()), "{line}");
                    entry
                })
                .collect()
        };
        let ours = parse(lines(Style::Json, true));
        assert_eq!(ours, parse(lines(Style::Json, false)));

        assert_eq!(ours.len(), 3, "{ours:#?}");
        let span = serde_json::json!({
            "name": "request",
            "request_id": "r-1",
            "method": "POST",
            "route": "/graphql",
            "operation": "MetricsProbe",
            "role": "partner",
            "key": "partner \"north\"\u{1b}[31m",
        });
        assert_eq!(ours[0]["span"], span, "an error inside the request shows it");
        assert_eq!(ours[0]["fields"]["error_id"], "e-7");
        assert_eq!(ours[0]["level"], "ERROR");
        let finished = &ours[1];
        assert_eq!(finished["level"], "INFO");
        assert_eq!(finished["target"], TARGET);
        assert_eq!(
            finished["fields"],
            serde_json::json!({"message": "request finished", "status": 200, "duration_ms": 0.25})
        );
        assert_eq!(finished["span"]["request_id"], "r-1");
        assert_eq!(finished["span"]["status"], 200);
        assert_eq!(finished["span"]["duration_ms"], 0.25);
        assert!(ours[2].get("span").is_none());
    }

    #[test]
    fn the_text_log_is_the_one_the_fmt_layer_wrote() {
        for ansi in [false, true] {
            let ours = lines(Style::Text { ansi }, true);
            let theirs = lines(Style::Text { ansi }, false);
            assert_eq!(ours.len(), 3, "{ours:#?}");
            if ansi {
                assert!(ours[1].contains("\x1b["), "coloured on a terminal: {}", ours[1]);
                continue;
            }
            assert!(ours.iter().all(|line| !line.contains('\u{1b}')), "no colour: {ours:#?}");
            let (time, rest) = ours[1].split_at(27);
            assert!(is_timestamp(time), "{}", ours[1]);
            assert_eq!(
                rest,
                " \u{20}INFO request{request_id=r-1 method=POST route=\"/graphql\" \
                 operation=\"MetricsProbe\" role=\"partner\" key=\"partner \\\"north\\\"\\u{1b}[31m\" \
                 status=200 duration_ms=0.25}: ocindex::http::trace: request finished status=200 \
                 duration_ms=0.25"
            );
            let strip = |lines: &[String]| -> Vec<String> {
                lines.iter().map(|line| line[27..].to_owned()).collect()
            };
            assert_eq!(strip(&ours), strip(&theirs));
        }
    }
}
