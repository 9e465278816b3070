//! A span's fields for the JSON log, kept as the text of a JSON object that each record
//! appends to.
//!
//! tracing-subscriber's own `JsonFields` parses the span's object, merges the new fields in a
//! map and writes it out again at every record. The request span is recorded three times
//! (caller, operation, answer) on every request, cached or not, so that work was a large part
//! of what the JSON log cost on the cached path. Appending gives the same object, since a
//! request span records each field once (were one recorded twice, the object would hold the
//! key twice and readers keep the last, as serde_json does).
use std::fmt::{self, Write as _};
use tracing::field::{Field, Visit};
use tracing::span::Record;
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FormatFields, FormattedFields};

/// The field formatter of the JSON log layer.
#[derive(Debug, Default, Clone, Copy)]
pub struct AppendJsonFields;

impl<'writer> FormatFields<'writer> for AppendJsonFields {
    fn format_fields<R: RecordFields>(
        &self,
        mut writer: Writer<'writer>,
        fields: R,
    ) -> fmt::Result {
        let mut members = Members::default();
        fields.record(&mut members);
        writer.write_char('{')?;
        writer.write_str(&members.text)?;
        writer.write_char('}')
    }

    fn add_fields(
        &self,
        current: &'writer mut FormattedFields<Self>,
        fields: &Record<'_>,
    ) -> fmt::Result {
        let mut members = Members::default();
        fields.record(&mut members);
        if members.text.is_empty() {
            return Ok(());
        }
        let object = &mut current.fields;
        match object.pop() {
            Some('}') => {
                if object.len() > 1 {
                    object.push(',');
                }
            }
            // a span made elsewhere without an object: start one
            _ => {
                object.clear();
                object.push('{');
            }
        }
        object.push_str(&members.text);
        object.push('}');
        Ok(())
    }
}

/// `"name":value` members, comma-separated, with the value's JSON type where it has one.
#[derive(Default)]
struct Members {
    text: String,
}

impl Members {
    fn key(&mut self, field: &Field) {
        if !self.text.is_empty() {
            self.text.push(',');
        }
        self.string(field.name());
        self.text.push(':');
    }

    fn string(&mut self, value: &str) {
        // serde_json's escaping: the text stays one valid JSON line whatever a value holds
        match serde_json::to_string(value) {
            Ok(quoted) => self.text.push_str(&quoted),
            Err(_) => self.text.push_str("null"),
        }
    }
}

impl Visit for Members {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.key(field);
        if value.is_finite() {
            let _ = write!(self.text, "{value}");
        } else {
            self.text.push_str("null");
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.key(field);
        let _ = write!(self.text, "{value}");
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.key(field);
        let _ = write!(self.text, "{value}");
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.key(field);
        self.text.push_str(if value { "true" } else { "false" });
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.key(field);
        self.string(value);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.key(field);
        self.string(&format!("{value:?}"));
    }
}

#[cfg(test)]
mod tests {
    use super::super::log_writer::Collected;
    use super::*;
    use tracing::field::Empty;
    use tracing_subscriber::layer::SubscriberExt as _;

    #[test]
    fn a_span_recorded_in_parts_logs_one_typed_object() {
        let lines = Collected::default();
        let sink = lines.clone();
        let layer = tracing_subscriber::fmt::layer()
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .fmt_fields(AppendJsonFields)
            .with_writer(move || sink.clone());
        let subscriber = tracing_subscriber::registry().with(layer);
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!(
                "request",
                request_id = %"r-1",
                operation = Empty,
                role = Empty,
                status = Empty,
                duration_ms = Empty,
                ok = Empty,
            );
            span.record("operation", "Profile \"KAZ\"");
            span.record("role", "anonymous");
            span.record("status", 200u16);
            span.record("duration_ms", 0.25);
            span.record("ok", true);
            span.in_scope(|| tracing::info!(status = 200u16, "request finished"));
        });
        let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
        let line: serde_json::Value = serde_json::from_str(text.trim()).expect("one JSON line");
        assert_eq!(
            line["span"],
            serde_json::json!({
                "name": "request",
                "request_id": "r-1",
                "operation": "Profile \"KAZ\"",
                "role": "anonymous",
                "status": 200,
                "duration_ms": 0.25,
                "ok": true,
            })
        );
        assert_eq!(line["fields"]["message"], "request finished");
    }
}
