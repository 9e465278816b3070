//! The request log: the one line each answer logs, written when the request's span closes,
//! from the span's fields as they were rendered when recorded.
//!
//! Every answer logs a line, so this is on the cached path's budget (issue 11: the log and the
//! metrics under 5% of what a cached answer costs). How it came to be built so:
//! - tracing-subscriber's fmt layer formats a span's fields into text when the span is made
//!   and again at every record (the JSON one parses that text back into a map for each line),
//!   and formats each line through the generic machinery: a third to two thirds again of the
//!   answer itself. So [`AccessLog`] wraps the fmt layer: request spans never reach it; the
//!   request's line is written by [`AccessLog`], in the shape the fmt layer gives it (text or
//!   JSON; the tests compare the two). The fmt layer still writes every other line; when one
//!   is logged inside a request (an error with its `errorId`, a slow statement), the request's
//!   fields are handed to it first, so that it shows the request id.
//! - The line was an event, `request finished`, logged in the span as the answer left: a
//!   dispatch of its own, with a lookup of its span, repeating the span's status and duration.
//!   It is written when the span closes instead (`http::trace` closes it when the answer is
//!   whole), in the same shape: the message, status and duration as the line's own fields. A
//!   span closed without a status (its client left before the answer) has no line, as before.
//! - Each field is rendered as it is recorded, into the piece the line shows of it (`name=value`
//!   or `"name":value`; the keys are made once per callsite), in a [`RequestFields`] kept in the
//!   span's extensions. Recorded in the order they are declared (a request's are), the pieces
//!   stand as the line's fields: the line is then a few copies around a timestamp. A field
//!   recorded out of order, or twice, makes the line take the last piece of each, in order.
//! - The request id and the method are given as strings (as `Display` values they cost a
//!   formatting pass each) and shown as they are, as the fmt layer showed them.
//! - A request logged without a span (`telemetry::request`: no OTLP export, a filter of
//!   targets and levels) keeps the same [`RequestFields`] itself. Its line is then the event
//!   `request finished`, which this layer writes from the fields of the thread's current
//!   request; and a line logged while it is current is written here too, in the shape the fmt
//!   layer gives a line inside the request's span (its fields as the fmt layer's field
//!   formatter writes them; on a terminal, without the italics of their names). In JSON the
//!   request is such a line's `span` even when it is logged inside a span of its own (the fmt
//!   layer would show the innermost span alone, and so lose the request's id).
//! - The date of the timestamp is written by arithmetic, once per second per thread (chrono's
//!   formatting cost as much as the rest of a line); the line is formatted in a buffer of the
//!   thread, the fields in buffers taken over from closed spans: no allocation but the one the
//!   span's extensions make.
use super::request;
use std::cell::{Cell, RefCell};
use std::io::Write as _;
use std::marker::PhantomData;
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};
use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Dispatch, Event, Level, Metadata, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FormatFields, FormattedFields, MakeWriter};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

/// The target of the request span and of its line: the module that makes them, so that
/// `RUST_LOG` directives naming it keep working.
pub const TARGET: &str = "ocindex::http::trace";

/// The name of the request span.
pub const SPAN: &str = "request";

/// The message of the request's line.
const MESSAGE: &str = "request finished";

fn is_request_span(metadata: &Metadata<'_>) -> bool {
    metadata.is_span() && metadata.name() == SPAN && metadata.target() == TARGET
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
    pieces: Pieces,
    make_writer: W,
    _fields: PhantomData<fn(N)>,
}

impl<L, N, W> AccessLog<L, N, W> {
    pub fn new(inner: L, style: Style, make_writer: W) -> Self {
        Self { inner, style, pieces: Pieces::new(style), make_writer, _fields: PhantomData }
    }
}

/// What a request's line holds besides its values, made once: the line is its timestamp,
/// level, span fields, status and duration between these pieces.
struct Pieces {
    /// Text: up to the timestamp, from it to the level, from the level to the span's fields,
    /// from them to the status. JSON: up to the timestamp, from it to the level, from the
    /// level to the status (the line's own fields come first), from the duration to the
    /// span's fields.
    before_time: Fixed<96>,
    after_time: Fixed<96>,
    after_level: Fixed<96>,
    before_status: Fixed<96>,
    before_duration: Fixed<96>,
    after_duration: Fixed<96>,
}

impl Pieces {
    fn new(style: Style) -> Self {
        let join = |pieces: &[&str]| Fixed::new(pieces.concat().as_bytes());
        match style {
            Style::Text { ansi } => {
                let (dim, bold, reset) =
                    if ansi { ("\x1b[2m", "\x1b[1m", "\x1b[0m") } else { ("", "", "") };
                Self {
                    before_time: join(&[dim]),
                    after_time: join(&[reset, " "]),
                    after_level: join(&[" ", bold, SPAN, "{", reset]),
                    before_status: join(&[
                        bold, "}", reset, dim, ":", reset, " ", dim, TARGET, ":", reset, " ",
                        MESSAGE, " status=",
                    ]),
                    before_duration: join(&[" duration_ms="]),
                    after_duration: join(&[]),
                }
            }
            Style::Json => Self {
                before_time: join(&["{\"timestamp\":\""]),
                after_time: join(&["\",\"level\":\""]),
                after_level: join(&[]),
                before_status: join(&["\",\"fields\":{\"message\":\"", MESSAGE, "\",\"status\":"]),
                before_duration: join(&[",\"duration_ms\":"]),
                after_duration: join(&["},\"target\":\"", TARGET, "\",\"span\":{"]),
            },
        }
    }
}

/// A short text that is written often, kept in an array of `N` bytes too: copied as the whole
/// array (a copy of a size known when compiling is a few moves, where one of a size known when
/// running is a call) and cut back to its length. Longer texts are copied as they are.
#[derive(Debug)]
struct Fixed<const N: usize> {
    bytes: [u8; N],
    text: Box<[u8]>,
}

impl<const N: usize> Fixed<N> {
    fn new(text: &[u8]) -> Self {
        let mut bytes = [0; N];
        if let Some(head) = bytes.get_mut(..text.len()) {
            head.copy_from_slice(text);
        }
        Self { bytes, text: text.into() }
    }

    fn put(&self, out: &mut Vec<u8>) {
        let len = self.text.len();
        if len <= N {
            let at = out.len();
            out.extend_from_slice(&self.bytes);
            out.truncate(at + len);
        } else {
            out.extend_from_slice(&self.text);
        }
    }
}

/// A request span's fields, written as its line shows them as they are recorded: each one a
/// piece `name=value` (text) or `"name":value` (JSON) appended to `rendered`, after a separator
/// when it is not the first. Recorded in the order they are declared, each once (a request's
/// always are), the pieces are the line's fields as they stand; otherwise the line takes the
/// last piece of each field, in the order they are declared.
#[derive(Debug)]
pub struct RequestFields {
    style: Style,
    /// The fields' keys, when the span is of the callsite they were made for.
    keys: Option<&'static Keys>,
    rendered: Vec<u8>,
    /// Per field (by index): where its last piece lies in `rendered`.
    pieces: [Piece; MAX_FIELDS],
    /// The index after the field recorded last, and whether every piece came after the piece
    /// of a field declared before it.
    next: usize,
    in_order: bool,
    /// Where the values of `status` and `duration_ms` lie in `rendered`: the line's own fields.
    status: Option<(u32, u32)>,
    duration_ms: Option<(u32, u32)>,
}

/// A field's piece in [`RequestFields::rendered`], without its separator: `name..end`. Empty
/// (`end == 0`) until recorded.
#[derive(Debug, Clone, Copy, Default)]
struct Piece {
    name: u32,
    end: u32,
}

/// The most fields of a request span this log shows (the span has eight).
const MAX_FIELDS: usize = 12;

/// The request span's fields, in the order `http::trace` declares them (a test there compares);
/// a request logged without a span has the same ones (see [`request`]).
pub const FIELDS: [&str; 8] =
    ["request_id", "method", "route", "operation", "role", "key", "status", "duration_ms"];

/// The request span's fields given as strings that the line shows as they are, unquoted in
/// text: formatting them as `Display` values (as the fmt layer wants them to show them so)
/// cost a formatting pass each, on every request.
const SHOWN_AS_IS: [&str; 2] = ["request_id", "method"];

/// What is known of the fields of a callsite before any is recorded, made once for the first
/// callsite of a request span (the server has one): each field's key as its piece begins,
/// separator first (` name=` or `,"name":`; written in parts, a key cost a tenth of its
/// field), which ones are [`SHOWN_AS_IS`], and which are the line's own.
#[derive(Debug)]
struct Keys {
    callsite: usize,
    keys: Vec<Fixed<32>>,
    as_is: u32,
    status: Option<usize>,
    duration_ms: Option<usize>,
}

impl Keys {
    fn of(style: Style, metadata: &'static Metadata<'static>) -> Option<&'static Self> {
        static TEXT: OnceLock<Keys> = OnceLock::new();
        static JSON: OnceLock<Keys> = OnceLock::new();
        let cell = if style == Style::Json { &JSON } else { &TEXT };
        let callsite = metadata as *const Metadata<'static> as usize;
        let made = cell.get_or_init(|| {
            let names: Vec<&str> = metadata.fields().iter().map(|field| field.name()).collect();
            Self::new(style, &names, callsite)
        });
        (made.callsite == callsite).then_some(made)
    }

    /// The keys of a request logged without a span: [`FIELDS`].
    fn without_span(style: Style) -> &'static Self {
        static TEXT: OnceLock<Keys> = OnceLock::new();
        static JSON: OnceLock<Keys> = OnceLock::new();
        let cell = if style == Style::Json { &JSON } else { &TEXT };
        cell.get_or_init(|| Self::new(style, &FIELDS, 0))
    }

    fn new(style: Style, names: &[&str], callsite: usize) -> Self {
        let key = |name: &str| {
            let key = match style {
                Style::Text { .. } => format!(" {name}="),
                Style::Json => format!(",\"{name}\":"),
            };
            Fixed::new(key.as_bytes())
        };
        let index = |wanted: &str| names.iter().position(|name| *name == wanted);
        Self {
            callsite,
            keys: names.iter().take(MAX_FIELDS).map(|name| key(name)).collect(),
            as_is: SHOWN_AS_IS.iter().filter_map(|name| index(name)).map(|i| 1 << i).sum(),
            status: index("status"),
            duration_ms: index("duration_ms"),
        }
    }
}

impl RequestFields {
    fn new(style: Style, metadata: &'static Metadata<'static>) -> Self {
        Self::with_keys(style, Keys::of(style, metadata))
    }

    /// The fields of a request logged without a span ([`FIELDS`]), none given yet.
    pub(super) fn without_span(style: Style) -> Self {
        Self::with_keys(style, Some(Keys::without_span(style)))
    }

    fn with_keys(style: Style, keys: Option<&'static Keys>) -> Self {
        Self {
            style,
            keys,
            rendered: SPARE.with_borrow_mut(Vec::pop).unwrap_or_else(|| Vec::with_capacity(256)),
            pieces: [Piece::default(); MAX_FIELDS],
            next: 0,
            in_order: true,
            status: None,
            duration_ms: None,
        }
    }

    /// These fields made new for another request logged without a span, their buffer kept.
    pub(super) fn start_over(&mut self, style: Style) {
        self.style = style;
        self.keys = Some(Keys::without_span(style));
        self.rendered.clear();
        self.pieces = [Piece::default(); MAX_FIELDS];
        self.next = 0;
        self.in_order = true;
        self.status = None;
        self.duration_ms = None;
    }

    /// Whether these fields are worth keeping for another request (their buffer is not large).
    pub(super) fn reusable(&self) -> bool {
        self.rendered.capacity() <= 1024
    }

    /// Gives a request logged without a span the value of its field `index` (of [`FIELDS`]),
    /// as a span's field given that value would show it.
    pub(super) fn give_str(&mut self, index: usize, value: &str) {
        self.put_str(index, FIELDS[index], value);
    }

    pub(super) fn give_u64(&mut self, index: usize, value: u64) {
        self.put_u64(index, FIELDS[index], value);
    }

    pub(super) fn give_f64(&mut self, index: usize, value: f64) {
        self.put_f64(index, FIELDS[index], value);
    }

    /// Whether the request was answered (its status given): a request whose client left
    /// before has no line.
    pub(super) fn answered(&self) -> bool {
        self.status.is_some()
    }

    /// Starts the piece of field `index`, named `name`: its key, after a separator unless it
    /// is the first piece. `None` for a field beyond the ones shown.
    #[inline(always)]
    fn begin(&mut self, index: usize, name: &str) -> Option<(usize, u32)> {
        if index >= MAX_FIELDS {
            return None;
        }
        // a field declared before the one recorded last, or the same again: out of order
        self.in_order &= index >= self.next;
        self.next = index + 1;
        let start = self.rendered.len() as u32;
        let out = &mut self.rendered;
        if let Some(key) = self.keys.and_then(|keys| keys.keys.get(index)) {
            if start == 0 {
                out.extend_from_slice(&key.text[1..]);
            } else {
                key.put(out);
            }
            return Some((index, start));
        }
        match self.style {
            Style::Text { .. } => {
                if start != 0 {
                    out.push(b' ');
                }
                out.extend_from_slice(name.as_bytes());
                out.push(b'=');
            }
            Style::Json => {
                if start != 0 {
                    out.push(b',');
                }
                out.push(b'"');
                out.extend_from_slice(name.as_bytes());
                out.extend_from_slice(b"\":");
            }
        }
        Some((index, start))
    }

    /// Ends the piece of field `index` begun at `start`.
    #[inline(always)]
    fn end(&mut self, (index, start): (usize, u32)) {
        let name = if start == 0 { 0 } else { start + 1 };
        let end = self.rendered.len() as u32;
        self.pieces[index] = Piece { name, end };
    }

    /// Whether the field `index` is one of [`SHOWN_AS_IS`].
    fn as_is(&self, index: usize, name: &str) -> bool {
        match self.keys {
            Some(keys) => keys.as_is >> index & 1 == 1,
            None => SHOWN_AS_IS.contains(&name),
        }
    }

    /// A number, written by `write`, which may be one of the line's own fields.
    fn number(&mut self, index: usize, name: &str, write: impl FnOnce(&mut Vec<u8>)) {
        let Some(begun) = self.begin(index, name) else { return };
        let value = self.rendered.len() as u32;
        write(&mut self.rendered);
        self.end(begun);
        let range = Some((value, self.rendered.len() as u32));
        let index = begun.0;
        let (status, duration_ms) = match self.keys {
            Some(keys) => (keys.status == Some(index), keys.duration_ms == Some(index)),
            None => (name == "status", name == "duration_ms"),
        };
        if status {
            self.status = range;
        } else if duration_ms {
            self.duration_ms = range;
        }
    }

    fn bytes(&self, (start, end): (u32, u32)) -> &[u8] {
        self.rendered.get(start as usize..end as usize).unwrap_or_default()
    }

    /// The fields as the line shows them, separated (without braces in JSON).
    fn render(&self, out: &mut Vec<u8>) {
        if self.in_order {
            out.extend_from_slice(&self.rendered);
            return;
        }
        let separator: &[u8] = if self.style == Style::Json { b"," } else { b" " };
        let mut first = true;
        for piece in &self.pieces {
            if piece.end == 0 {
                continue;
            }
            if !first {
                out.extend_from_slice(separator);
            }
            out.extend_from_slice(self.bytes((piece.name, piece.end)));
            first = false;
        }
    }

    /// The fields as the fmt layer's `FormattedFields` holds them for its other lines.
    fn formatted(&self) -> String {
        let mut out = Vec::with_capacity(self.rendered.len() + 2);
        match self.style {
            Style::Text { .. } => self.render(&mut out),
            Style::Json => {
                out.push(b'{');
                self.render(&mut out);
                out.push(b'}');
            }
        }
        String::from_utf8(out).unwrap_or_default()
    }
}

thread_local! {
    /// The buffers of the request spans closed by this thread, for the next ones: an allocation
    /// per request cost, besides its own, misses in the allocator's caches for others'.
    static SPARE: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

impl Drop for RequestFields {
    fn drop(&mut self) {
        let mut rendered = std::mem::take(&mut self.rendered);
        if rendered.capacity() <= 1024 {
            rendered.clear();
            let _ = SPARE.try_with(|spare| {
                if let Ok(mut spare) = spare.try_borrow_mut() {
                    if spare.len() < 16 {
                        spare.push(rendered);
                    }
                }
            });
        }
    }
}

impl RequestFields {
    fn put_str(&mut self, index: usize, name: &str, value: &str) {
        let Some(begun) = self.begin(index, name) else { return };
        let text = self.style != Style::Json;
        let as_is = text && self.as_is(index, name);
        let out = &mut self.rendered;
        let bytes = value.as_bytes();
        if !is_plain(bytes) {
            if text {
                let _ = write!(out, "{value:?}");
            } else {
                let _ = serde_json::to_writer(&mut *out, value);
            }
        } else if as_is {
            out.extend_from_slice(bytes);
        } else {
            out.reserve(bytes.len() + 2);
            out.push(b'"');
            out.extend_from_slice(bytes);
            out.push(b'"');
        }
        self.end(begun);
    }

    fn put_debug(&mut self, index: usize, name: &str, value: &dyn std::fmt::Debug) {
        let Some(begun) = self.begin(index, name) else { return };
        let out = &mut self.rendered;
        match self.style {
            Style::Text { .. } => {
                let _ = write!(out, "{value:?}");
            }
            Style::Json => {
                // written between quotes, escaped afterwards if it must be (seldom)
                let at = out.len();
                out.push(b'"');
                let _ = write!(out, "{value:?}");
                if is_plain(&out[at + 1..]) {
                    out.push(b'"');
                } else {
                    let text = String::from_utf8_lossy(&out[at + 1..]).into_owned();
                    out.truncate(at);
                    let _ = serde_json::to_writer(&mut *out, &text);
                }
            }
        }
        self.end(begun);
    }

    fn put_u64(&mut self, index: usize, name: &str, value: u64) {
        self.number(index, name, |out| {
            out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes())
        });
    }

    fn put_f64(&mut self, index: usize, name: &str, value: f64) {
        let json = self.style == Style::Json;
        self.number(
            index,
            name,
            |out| if json { json_f64(out, value) } else { text_f64(out, value) },
        );
    }
}

impl Visit for RequestFields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put_str(field.index(), field.name(), value);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.put_debug(field.index(), field.name(), value);
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put_u64(field.index(), field.name(), value);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.number(field.index(), field.name(), |out| {
            out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes())
        });
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put_f64(field.index(), field.name(), value);
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        let Some(begun) = self.begin(field.index(), field.name()) else { return };
        self.rendered.extend_from_slice(if value { b"true" } else { b"false" });
        self.end(begun);
    }
}

/// Whether `bytes` are printable ASCII without `"` or `\\`, which `{:?}` and JSON both write as
/// they are between quotes (the values of a request almost always are: ids, names, routes).
/// Eight bytes at a time: per byte, the bit 7 of each test is set where the byte fails it.
fn is_plain(bytes: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let zero_byte = |word: u64| word.wrapping_sub(ONES) & !word & HIGHS;
    // below ' ' (control), above '~' (DEL and every non-ASCII byte), '"' and '\\'
    let fails = |chunk: &[u8]| {
        let word = u64::from_ne_bytes(chunk.try_into().unwrap_or_default());
        let below = word.wrapping_sub(ONES * 0x20) & !word & HIGHS;
        let above = (word.wrapping_add(ONES) | word) & HIGHS;
        let quote = zero_byte(word ^ (ONES * u64::from(b'"')));
        let backslash = zero_byte(word ^ (ONES * u64::from(b'\\')));
        below | above | quote | backslash != 0
    };
    if bytes.len() < 8 {
        return bytes.iter().all(|&b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\');
    }
    let mut words = bytes.chunks_exact(8);
    if words.any(fails) {
        return false;
    }
    // the bytes left over within the last eight, which overlap the last word read
    words.remainder().is_empty() || !fails(&bytes[bytes.len() - 8..])
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
    // (adding a half and truncating rounds a positive number, without a call to `round`)
    let scaled = (value * 1000.0 + 0.5) as u64;
    if scaled as f64 / 1000.0 != value {
        return false;
    }
    let (whole, fraction) = (scaled / 1000, (scaled % 1000) as u32);
    out.extend_from_slice(itoa::Buffer::new().format(whole).as_bytes());
    // `.` and the fraction's digits without the zeros it ends with, one digit at least
    let digits = [
        b'.',
        b'0' + (fraction / 100) as u8,
        b'0' + (fraction / 10 % 10) as u8,
        b'0' + (fraction % 10) as u8,
    ];
    let kept = if fraction % 100 == 0 {
        2
    } else if fraction % 10 == 0 {
        3
    } else {
        4
    };
    out.extend_from_slice(&digits[..kept]);
    true
}

/// The line's time as the fmt layer writes it (RFC 3339, microseconds, UTC); the part down to
/// the second is written once per second per thread.
fn timestamp(out: &mut Vec<u8>) {
    thread_local! {
        static SECOND: Cell<(u64, [u8; 19])> = const { Cell::new((u64::MAX, [0; 19])) };
    }
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let seconds = since_epoch.as_secs();
    let (cached, mut text) = SECOND.get();
    if cached != seconds {
        text = date_time(seconds);
        SECOND.set((seconds, text));
    }
    out.extend_from_slice(&text);
    let mut micros = *b".000000Z";
    let mut rest = since_epoch.subsec_micros();
    for digit in micros[1..7].iter_mut().rev() {
        *digit = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    out.extend_from_slice(&micros);
}

/// `YYYY-MM-DDTHH:MM:SS` of a time in seconds since 1970 (UTC), by the civil calendar's
/// arithmetic (Howard Hinnant's `civil_from_days`): a date formatted by chrono cost as much
/// as the rest of a line.
fn date_time(seconds: u64) -> [u8; 19] {
    let (days, in_day) = (seconds / 86_400, seconds % 86_400);
    // days since 0000-03-01, in eras of 400 years (146,097 days)
    let days = days + 719_468;
    let era = days / 146_097;
    let of_era = days % 146_097;
    let year_of_era = (of_era - of_era / 1_460 + of_era / 36_524 - of_era / 146_096) / 365;
    let day_of_year = of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 { month_from_march + 3 } else { month_from_march - 9 };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    let mut text = *b"0000-00-00T00:00:00";
    let mut put = |at: usize, width: usize, mut value: u64| {
        for digit in text[at..at + width].iter_mut().rev() {
            *digit = b'0' + (value % 10) as u8;
            value /= 10;
        }
    };
    put(0, 4, year);
    put(5, 2, month);
    put(8, 2, day);
    put(11, 2, in_day / 3_600);
    put(14, 2, in_day / 60 % 60);
    put(17, 2, in_day % 60);
    text
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
    /// Writes the request's line: the request span's fields, then the line's own (its message,
    /// status and duration), as the fmt layer wrote the event `request finished` in the span.
    fn write_line(&self, metadata: &Metadata<'_>, fields: &RequestFields) {
        self.write(metadata, |out| self.format_line(metadata.level(), fields, out));
    }

    /// Formats a line in a buffer of the thread, then hands it to the writer.
    fn write(&self, metadata: &Metadata<'_>, format: impl FnOnce(&mut Vec<u8>)) {
        thread_local! {
            static BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
        }
        let write = |out: &mut Vec<u8>| {
            format(out);
            let _ = self.make_writer.make_writer_for(metadata).write_all(out);
        };
        BUFFER.with(|buffer| match buffer.try_borrow_mut() {
            Ok(mut out) => {
                out.clear();
                write(&mut out);
            }
            // (a line logged while this thread writes one: never, but not lost either)
            Err(_) => write(&mut Vec::new()),
        });
    }

    fn format_line(&self, level: &Level, fields: &RequestFields, out: &mut Vec<u8>) {
        let pieces = &self.pieces;
        pieces.before_time.put(out);
        timestamp(out);
        pieces.after_time.put(out);
        let status = fields.status.map(|range| fields.bytes(range));
        let duration_ms = fields.duration_ms.map(|range| fields.bytes(range));
        match self.style {
            Style::Text { ansi } => {
                out.extend_from_slice(text_level(level, ansi).as_bytes());
                pieces.after_level.put(out);
                fields.render(out);
                pieces.before_status.put(out);
                out.extend_from_slice(status.unwrap_or_default());
                pieces.before_duration.put(out);
                out.extend_from_slice(duration_ms.unwrap_or_default());
                out.push(b'\n');
            }
            Style::Json => {
                out.extend_from_slice(level.as_str().as_bytes());
                pieces.before_status.put(out);
                out.extend_from_slice(status.unwrap_or(b"null"));
                pieces.before_duration.put(out);
                out.extend_from_slice(duration_ms.unwrap_or(b"null"));
                pieces.after_duration.put(out);
                close_span(fields, out);
            }
        }
    }

    /// An event logged while a request without a span is served, as the fmt layer writes an
    /// event inside the request's span: `event_fields` are the event's own, as its field
    /// formatter wrote them (seldom: errors, slow statements).
    fn format_event(
        &self,
        metadata: &Metadata<'_>,
        inner_spans: &str,
        event_fields: &str,
        fields: &RequestFields,
        out: &mut Vec<u8>,
    ) {
        let pieces = &self.pieces;
        pieces.before_time.put(out);
        timestamp(out);
        pieces.after_time.put(out);
        match self.style {
            Style::Text { ansi } => {
                out.extend_from_slice(text_level(metadata.level(), ansi).as_bytes());
                let (bold, dim, reset) =
                    if ansi { ("\x1b[1m", "\x1b[2m", "\x1b[0m") } else { ("", "", "") };
                let _ = write!(out, " {bold}{SPAN}{reset}{bold}{{{reset}");
                fields.render(out);
                let _ = write!(out, "{bold}}}{reset}{dim}:{reset}{inner_spans} ");
                let _ = write!(out, "{dim}{}{reset}{dim}:{reset} ", metadata.target());
                out.extend_from_slice(event_fields.as_bytes());
                out.push(b'\n');
            }
            Style::Json => {
                out.extend_from_slice(metadata.level().as_str().as_bytes());
                out.extend_from_slice(b"\",\"fields\":");
                out.extend_from_slice(event_fields.as_bytes());
                out.extend_from_slice(b",\"target\":");
                let _ = serde_json::to_writer(&mut *out, metadata.target());
                out.extend_from_slice(b",\"span\":{");
                close_span(fields, out);
            }
        }
    }
}

/// The spans a line is in, from the outermost, as the fmt layer's text shows them after the
/// request's: `name{fields}:` each (their fields as the fmt layer formatted them).
fn inner_spans<S, N>(scope: tracing_subscriber::registry::Scope<'_, S>, ansi: bool) -> String
where
    S: for<'a> LookupSpan<'a>,
    N: for<'w> FormatFields<'w> + 'static,
{
    let (bold, dim, reset) = if ansi { ("\x1b[1m", "\x1b[2m", "\x1b[0m") } else { ("", "", "") };
    let mut out = String::new();
    for span in scope.from_root() {
        let _ = std::fmt::Write::write_fmt(
            &mut out,
            format_args!("{bold}{}{reset}", span.metadata().name()),
        );
        if let Some(fields) = span.extensions().get::<FormattedFields<N>>() {
            if !fields.is_empty() {
                let _ = std::fmt::Write::write_fmt(
                    &mut out,
                    format_args!("{bold}{{{reset}{}{bold}}}{reset}", fields.as_str()),
                );
            }
        }
        out.push_str(dim);
        out.push(':');
        out.push_str(reset);
    }
    out
}

/// The end of a JSON line: the request's fields, then the span's name, which closes its
/// object as the fmt layer writes it, and the line.
fn close_span(fields: &RequestFields, out: &mut Vec<u8>) {
    fields.render(out);
    if !fields.rendered.is_empty() {
        out.push(b',');
    }
    out.extend_from_slice(b"\"name\":\"");
    out.extend_from_slice(SPAN.as_bytes());
    out.extend_from_slice(b"\"}}\n");
}

impl<S, L, N, W> Layer<S> for AccessLog<L, N, W>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    L: Layer<S>,
    N: for<'w> FormatFields<'w> + Default + 'static,
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
        let mut fields = RequestFields::new(self.style, attrs.metadata());
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
        let metadata = event.metadata();
        if request::is_line(metadata) {
            // a request logged without a span is finished: its line, from its fields
            request::with_current(|fields| self.write_line(metadata, fields));
            return;
        }
        let scope = ctx.event_scope(event);
        if request::is_current() {
            // inside a request logged without a span: the line shows the request as it would
            // show its span, then (as text) the spans the line is in below it
            let mut event_fields = String::new();
            let _ = N::default().format_fields(Writer::new(&mut event_fields), event);
            let inner = match (self.style, scope) {
                (Style::Text { ansi }, Some(scope)) => inner_spans::<S, N>(scope, ansi),
                _ => String::new(),
            };
            let written = request::with_current(|fields| {
                self.write(metadata, |out| {
                    self.format_event(metadata, &inner, &event_fields, fields, out)
                })
            });
            if written.is_some() {
                return;
            }
            // (the thread's current request could not be read: the line as the fmt layer has it)
            return self.inner.on_event(event, ctx);
        }
        // the fmt layer shows the spans a line is in, requests included
        for span in scope.into_iter().flatten().chain(ctx.lookup_current()) {
            let mut extensions = span.extensions_mut();
            let Some(fields) = extensions.get_mut::<RequestFields>() else { continue };
            let text = fields.formatted();
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
        if let Some(span) = ctx.span(&id) {
            if let Some(fields) = span.extensions().get::<RequestFields>() {
                // a request that was answered (one whose client left before has no line)
                if fields.status.is_some() {
                    self.write_line(span.metadata(), fields);
                }
                return;
            }
        }
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
    /// line; then a line outside any request. The fmt layer alone is given the request's line
    /// as the event `line_event`, which it shows inside the span; the request log writes it
    /// when the span closes.
    fn serve_one_request(line_event: bool) {
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
            if line_event {
                tracing::info!(target: TARGET, status = 200u16, duration_ms = 0.25, "request finished");
            }
        });
        drop(span);
        tracing::info!(address = "127.0.0.1:1", "serving GraphQL at /graphql");
    }

    /// `serve_one_request` as a request logged without a span: its values given as the server
    /// gives them (the caller before the operation, out of the order the line shows them).
    fn serve_one_request_without_span(style: Style) {
        let mut served = request::Served::new(style, "r-1", "POST", "/graphql");
        served.within(|| {
            request::give(request::ROLE, "partner");
            request::give(request::KEY, "partner \"north\"\u{1b}[31m");
            request::give(request::OPERATION, "MetricsProbe");
            tracing::error!(
                error_id = "e-7",
                error = "relation \"figures\" does not exist",
                "internal error"
            );
        });
        served.answered(200, 0.25);
        drop(served);
        tracing::info!(address = "127.0.0.1:1", "serving GraphQL at /graphql");
    }

    /// How `lines` logs the request.
    #[derive(Clone, Copy, PartialEq)]
    enum Logged {
        /// The fmt layer alone, the line an event in the span: what the log must look like.
        ByTheFmtLayer,
        InASpan,
        WithoutASpan,
    }

    /// The lines written for the request, logged as `logged` says.
    fn lines(style: Style, logged: Logged) -> Vec<String> {
        let request_log = logged != Logged::ByTheFmtLayer;
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
        tracing::subscriber::with_default(subscriber, || match logged {
            Logged::WithoutASpan => serve_one_request_without_span(style),
            _ => serve_one_request(!request_log),
        });
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
    fn a_request_whose_client_left_before_its_answer_has_no_line() {
        let text = text_of(|| {
            let span =
                tracing::info_span!(target: TARGET, SPAN, request_id = %"r-2", status = Empty);
            span.in_scope(|| tracing::info!("working"));
            drop(span);
        });
        assert_eq!(text.lines().count(), 1, "{text}");
        let working = "request{request_id=r-2}: ocindex::telemetry::access_log::tests: working";
        assert!(text.contains(working), "{text}");
    }

    #[test]
    fn a_request_without_a_span_shows_in_its_lines_and_has_none_unanswered() {
        let text = text_of(|| {
            let mut served = request::Served::new(Style::Text { ansi: false }, "r-2", "GET", "/x");
            served.within(|| {
                tracing::info!("working");
                let inner = tracing::info_span!("ranking", edition = 2023);
                inner.in_scope(|| tracing::warn!(ms = 900, "slow"));
            });
            drop(served);
            tracing::info!("after");
        });
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        let request = " request{request_id=r-2 method=GET route=\"/x\"}:";
        let target = " ocindex::telemetry::access_log::tests: ";
        assert!(lines[0].ends_with(&format!(" INFO{request}{target}working")), "{text}");
        let slow = format!(" WARN{request}ranking{{edition=2023}}:{target}slow ms=900");
        assert!(lines[1].ends_with(&slow), "a span inside the request shows below it: {text}");
        assert!(lines[2].ends_with(" INFO ocindex::telemetry::access_log::tests: after"), "{text}");
    }

    #[test]
    fn a_filter_without_the_request_line_keeps_the_request_in_other_lines() {
        let serve = || {
            let mut served = request::Served::new(Style::Text { ansi: false }, "r-4", "GET", "/y");
            served.within(|| {
                request::give(request::OPERATION, "Slow");
                tracing::warn!(ms = 1200, "slow statement");
            });
            served.answered(200, 1.5);
        };
        let text = text_filtered("info,ocindex::http::trace=off", serve);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1, "{text}");
        let slow = " WARN request{request_id=r-4 method=GET route=\"/y\" operation=\"Slow\"}: \
            ocindex::telemetry::access_log::tests: slow statement ms=1200";
        assert!(lines[0].ends_with(slow), "{text}");

        let text = text_filtered("info", serve);
        let finished = " INFO request{request_id=r-4 method=GET route=\"/y\" operation=\"Slow\" \
            status=200 duration_ms=1.5}: ocindex::http::trace: request finished status=200 \
            duration_ms=1.5";
        assert!(text.lines().nth(1).is_some_and(|line| line.ends_with(finished)), "{text}");
        assert!(text_filtered("warn", serve).lines().count() == 1, "warnings alone");
    }

    #[test]
    fn the_request_id_and_method_given_as_strings_are_shown_as_they_are() {
        let text = text_of(|| {
            let span = tracing::info_span!(
                target: TARGET,
                SPAN,
                request_id = "r-3",
                method = "GET",
                route = "/healthz",
                key = "a \"quoted\" name",
                status = 200u16
            );
            drop(span);
        });
        let expected = " INFO request{request_id=r-3 method=GET route=\"/healthz\" \
            key=\"a \\\"quoted\\\" name\" status=200}: ocindex::http::trace: request finished \
            status=200 duration_ms=\n";
        assert!(text.ends_with(expected), "{text}");
    }

    /// What the text log (without colours) wrote while `log` ran.
    fn text_of(log: impl FnOnce()) -> String {
        text_filtered("trace", log)
    }

    /// What the text log (without colours) wrote while `log` ran, filtered by `targets` as
    /// `RUST_LOG` filters the server's log.
    fn text_filtered(targets: &str, log: impl FnOnce()) -> String {
        let collected = Collected::default();
        let sink = collected.clone();
        let writer = move || sink.clone();
        let fmt = tracing_subscriber::fmt::layer().with_ansi(false).with_writer(writer.clone());
        let layer = AccessLog::<_, DefaultFields, _>::new(fmt, Style::Text { ansi: false }, writer);
        let filter: tracing_subscriber::filter::Targets = targets.parse().unwrap();
        let subscriber = tracing_subscriber::registry().with(filter).with(layer);
        tracing::subscriber::with_default(subscriber, log);
        let text = String::from_utf8(collected.0.lock().unwrap().clone()).unwrap();
        text
    }

    #[test]
    fn plain_strings_are_found_eight_bytes_at_a_time() {
        let plain = |bytes: &[u8]| {
            bytes.iter().all(|&b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\')
        };
        for len in 1..=20 {
            for at in 0..len {
                for byte in 0..=255u8 {
                    let mut bytes = vec![b'a'; len];
                    bytes[at] = byte;
                    assert_eq!(is_plain(&bytes), plain(&bytes), "{bytes:?}");
                }
            }
        }
        assert!(
            is_plain(b"")
                && is_plain(b"/graphql")
                && is_plain(b"6f1c2d3e-aaaa-4bbb-8ccc-0123456789ab")
        );
    }

    #[test]
    fn dates_are_the_calendar_s() {
        let leap_days = [951_782_400, 1_709_164_800, 4_107_542_400]; // 2000-02-29, 2024-02-29, 2100-03-01
        let times = (0..4_200_000_000u64).step_by(86_400 * 3 + 3_599).chain(leap_days);
        for seconds in times.flat_map(|s| [s, s.saturating_sub(1)]) {
            let chrono = chrono::DateTime::from_timestamp(seconds as i64, 0).unwrap();
            let expected = chrono.format("%Y-%m-%dT%H:%M:%S").to_string();
            assert_eq!(String::from_utf8(date_time(seconds).to_vec()).unwrap(), expected);
        }
        let mut out = Vec::new();
        timestamp(&mut out);
        assert!(is_timestamp(std::str::from_utf8(&out).unwrap()), "{out:?}");
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
        for value in [
            0.1 + 0.2,
            1e-7,
            2.5e20,
            -0.0,
            -1.5,
            0.0005,
            999_999_999.999_5,
            f64::NAN,
            f64::INFINITY,
        ] {
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
        let ours = parse(lines(Style::Json, Logged::InASpan));
        assert_eq!(ours, parse(lines(Style::Json, Logged::ByTheFmtLayer)));
        assert_eq!(ours, parse(lines(Style::Json, Logged::WithoutASpan)));

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
            let ours = lines(Style::Text { ansi }, Logged::InASpan);
            let theirs = lines(Style::Text { ansi }, Logged::ByTheFmtLayer);
            let without_span = lines(Style::Text { ansi }, Logged::WithoutASpan);
            assert_eq!(ours.len(), 3, "{ours:#?}");
            assert_eq!(without_span.len(), 3, "{without_span:#?}");
            if ansi {
                assert!(ours[1].contains("\x1b["), "coloured on a terminal: {}", ours[1]);
                assert!(without_span[0].contains("\x1b["), "{}", without_span[0]);
                assert!(without_span[1].contains("\x1b["), "{}", without_span[1]);
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
            assert_eq!(strip(&without_span), strip(&theirs));
        }
    }
}
