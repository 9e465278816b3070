//! Telemetry: how the process reports on itself. The tracing subscriber (log format, filter,
//! OpenTelemetry export) is set up here, once, for every subcommand; the Prometheus metrics
//! registry and the names of every metric the server publishes live here too, so that an
//! operator finds the whole list in one place.
pub mod access_log;
mod log_writer;
pub mod request;

use crate::config::{LogFormat, TelemetrySettings};
use access_log::{AccessLog, Style};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use std::io::IsTerminal as _;
use std::sync::OnceLock;
use std::time::Duration;
use tracing::level_filters::LevelFilter;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::format::{DefaultFields, JsonFields};
use tracing_subscriber::layer::Filter;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Layer};

/// The metrics the server publishes at `/metrics` (Prometheus text format). Labels are
/// bounded: routes are the router's patterns, operation names are capped (see
/// `http::metrics`), databases are `primary` and `replica<N>`.
pub mod names {
    /// Counter {route, method, status}: every HTTP answer.
    pub const HTTP_REQUESTS: &str = "ocindex_http_requests_total";
    /// Histogram {route}: seconds from the request's arrival to its answer's head.
    pub const HTTP_DURATION: &str = "ocindex_http_request_duration_seconds";
    /// Counter {operation, outcome}: GraphQL operations; outcome is `ok` or the first error code.
    pub const GRAPHQL_OPERATIONS: &str = "ocindex_graphql_operations_total";
    /// Histogram {operation}: seconds spent executing (or finding in the cache) an operation.
    pub const GRAPHQL_DURATION: &str = "ocindex_graphql_operation_duration_seconds";
    /// Counters and a gauge of the public response cache.
    pub const CACHE_HITS: &str = "ocindex_response_cache_hits_total";
    pub const CACHE_MISSES: &str = "ocindex_response_cache_misses_total";
    pub const CACHE_ENTRIES: &str = "ocindex_response_cache_entries";
    pub const CACHE_INVALIDATIONS: &str = "ocindex_response_cache_invalidations_total";
    /// Gauge: bytes held by the public response cache, as weighed against its budget.
    pub const CACHE_BYTES: &str = "ocindex_response_cache_bytes";
    /// Counter: reconnections of the change listener after a gap (the cache started over).
    pub const CACHE_GAPS: &str = "ocindex_response_cache_listener_gaps_total";
    /// Counter {reason = header_timeout | idle_timeout | evicted}: client connections the
    /// server closed.
    pub const CONNECTIONS_CLOSED: &str = "ocindex_http_connections_closed_total";
    /// Gauge: client connections open.
    pub const CONNECTIONS_OPEN: &str = "ocindex_http_connections_open";
    /// Counter: requests whose handler panicked (answered INTERNAL).
    pub const PANICS: &str = "ocindex_http_panics_total";
    /// Gauges {database, state = idle | in_use}, {database}: the connection pools.
    pub const POOL_CONNECTIONS: &str = "ocindex_db_pool_connections";
    pub const POOL_MAX: &str = "ocindex_db_pool_max_connections";
    /// Counter {database}: samples (every 100 ms) that found every connection of the pool
    /// busy, i.e. moments when a new statement had to wait for a connection.
    pub const POOL_WAITS: &str = "ocindex_db_pool_waits_total";
    /// Counter and histogram {database}: SQL statements and their seconds.
    pub const STATEMENTS: &str = "ocindex_db_statements_total";
    pub const STATEMENT_DURATION: &str = "ocindex_db_statement_duration_seconds";
    /// Gauge {database}: a replica's replayed WAL position (bytes); counter {reason = change |
    /// lag}: public reads sent to the primary although replicas are configured.
    pub const REPLICA_REPLAYED: &str = "ocindex_replica_replay_lsn_bytes";
    pub const REPLICA_FALLBACKS: &str = "ocindex_replica_fallbacks_total";
    /// Histogram {job = import | import_narratives | publish | recompute, outcome}: seconds.
    pub const JOB_DURATION: &str = "ocindex_job_duration_seconds";
    /// Counter {event, outcome = delivered | retry | failed}: webhook delivery attempts.
    pub const WEBHOOK_DELIVERIES: &str = "ocindex_webhook_deliveries_total";
    /// Histogram {outcome}: seconds of one webhook delivery attempt.
    pub const WEBHOOK_DURATION: &str = "ocindex_webhook_delivery_duration_seconds";
}

/// What must outlive the program's work: the trace exporter flushes its last spans, and the
/// log writer its last lines, when they are shut down.
pub struct Telemetry {
    tracer: Option<SdkTracerProvider>,
    log_writer: log_writer::LogWriterGuard,
}

impl Telemetry {
    /// Sends the spans and writes the log lines still buffered; call before the process exits.
    pub fn shutdown(self) {
        if let Some(provider) = self.tracer {
            if let Err(err) = provider.shutdown_with_timeout(Duration::from_secs(5)) {
                eprintln!("warning: the last traces were not exported: {err}");
            }
        }
        drop(self.log_writer);
    }
}

/// Logs to standard error, filtered by `RUST_LOG` (default `info`), as text (coloured only on a
/// terminal) or JSON lines; with an OTLP endpoint, spans are exported there as well.
pub fn init(settings: &TelemetrySettings) -> Telemetry {
    let filter = LogFilter::parse(&settings.log_filter);
    let (writer, log_writer) = log_writer::stderr();
    let (otel, tracer) = match settings.otlp_endpoint.as_deref().filter(|e| !e.is_empty()) {
        Some(endpoint) => match otlp_provider(endpoint, &settings.service_name) {
            Ok(provider) => {
                let layer = tracing_opentelemetry::layer()
                    .with_tracer(provider.tracer("ocindex"))
                    .with_filter(Targets::new().with_default(LevelFilter::INFO));
                (Some(layer), Some(provider))
            }
            Err(err) => {
                eprintln!("warning: OTLP export disabled: {err}");
                (None, None)
            }
        },
        None => (None, None),
    };
    let registry = tracing_subscriber::registry();
    let _ = match otel {
        // the export has a filter of its own: the log's is one for that layer alone
        Some(otel) => registry
            .with(log_layer(settings.log_format, writer).with_filter(filter.per_layer()))
            .with(otel)
            .try_init(),
        // else the log's filter is the subscriber's: what it leaves out costs nothing, and what
        // it lets in is not checked again at every call into the layer
        None => {
            // nothing exports spans, and a filter of targets and levels selects nothing by
            // them: requests are logged without one (see `request`)
            if matches!(filter, LogFilter::Targets(_)) {
                request::log_without_spans(log_style(settings.log_format));
            }
            registry.with(filter.global()).with(log_layer(settings.log_format, writer)).try_init()
        }
    };
    Telemetry { tracer, log_writer }
}

/// `RUST_LOG`, read as `EnvFilter` reads it. `EnvFilter` takes a lock and looks the span up at
/// every creation, entry, exit, record and close of a span, for the sake of directives that
/// name spans or field values (`[request{role=admin}]=debug`); the request span is entered and
/// recorded several times per answer. A filter without such directives only names targets and
/// levels: it is then the same directives as a `Targets`, which decides once per callsite and
/// costs nothing afterwards.
enum LogFilter {
    Targets(Box<Targets>),
    Env(Box<EnvFilter>),
}

impl LogFilter {
    fn parse(directives: &str) -> Self {
        let env = EnvFilter::try_new(directives).unwrap_or_else(|err| {
            eprintln!("warning: RUST_LOG {directives:?} is not a filter ({err}); using info");
            EnvFilter::new("info")
        });
        // the directives as EnvFilter understood them; the same ones read back as targets only
        // if nothing was lost (its span and field directives are written with brackets)
        let understood = env.to_string();
        match understood.parse::<Targets>() {
            Ok(targets) if !understood.contains('[') && targets.to_string() == understood => {
                Self::Targets(Box::new(targets))
            }
            _ => Self::Env(Box::new(env)),
        }
    }

    fn global<S>(self) -> Box<dyn Layer<S> + Send + Sync>
    where
        S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    {
        match self {
            Self::Targets(targets) => (*targets).boxed(),
            Self::Env(env) => (*env).boxed(),
        }
    }

    fn per_layer<S>(self) -> Box<dyn Filter<S> + Send + Sync>
    where
        S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    {
        match self {
            Self::Targets(targets) => targets,
            Self::Env(env) => env,
        }
    }
}

/// How the log's lines look: colour only on a terminal.
fn log_style(format: LogFormat) -> Style {
    match format {
        LogFormat::Text => Style::Text { ansi: std::io::stderr().is_terminal() },
        LogFormat::Json => Style::Json,
    }
}

/// The log: the request log in front of the fmt layer, which writes every other line.
fn log_layer<S>(format: LogFormat, writer: log_writer::LogWriter) -> Box<dyn Layer<S> + Send + Sync>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    match log_style(format) {
        style @ Style::Text { ansi } => {
            let fmt = tracing_subscriber::fmt::layer().with_writer(writer.clone()).with_ansi(ansi);
            AccessLog::<_, DefaultFields, _>::new(fmt, style, writer).boxed()
        }
        Style::Json => {
            let fmt = tracing_subscriber::fmt::layer()
                .json()
                .with_current_span(true)
                .with_span_list(false)
                .with_writer(writer.clone());
            AccessLog::<_, JsonFields, _>::new(fmt, Style::Json, writer).boxed()
        }
    }
}

/// Spans in batches over OTLP/HTTP (protobuf) to `{endpoint}/v1/traces`, as the OpenTelemetry
/// specification reads `OTEL_EXPORTER_OTLP_ENDPOINT`.
fn otlp_provider(endpoint: &str, service: &str) -> anyhow::Result<SdkTracerProvider> {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(format!("{}/v1/traces", endpoint.trim_end_matches('/')))
        .with_timeout(Duration::from_secs(10))
        .build()?;
    let resource =
        opentelemetry_sdk::Resource::builder().with_service_name(service.to_owned()).build();
    Ok(SdkTracerProvider::builder().with_batch_exporter(exporter).with_resource(resource).build())
}

/// The process-wide Prometheus registry, installed as the `metrics` recorder on first use.
/// Servers started in one process (the tests, a fleet in one binary) share it.
pub fn metrics() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        const SECONDS: &[f64] =
            &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
        const JOB_SECONDS: &[f64] = &[0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0];
        let builder = PrometheusBuilder::new()
            .set_buckets(SECONDS)
            .and_then(|b| {
                b.set_buckets_for_metric(Matcher::Full(names::JOB_DURATION.into()), JOB_SECONDS)
            })
            .expect("bucket bounds are not empty");
        let handle = match builder.install_recorder() {
            Ok(handle) => handle,
            // another recorder is installed (an embedding program's): render our own, empty
            Err(_) => PrometheusBuilder::new().build_recorder().handle(),
        };
        describe();
        // Histograms are drained into their buckets by upkeep; a scrape also runs it.
        let upkeep = handle.clone();
        std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || loop {
                std::thread::sleep(Duration::from_secs(5));
                upkeep.run_upkeep();
            })
            .ok();
        handle
    })
}

/// The HELP lines of the exposition.
fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    use names::*;
    describe_counter!(HTTP_REQUESTS, "HTTP answers by route pattern, method and status");
    describe_histogram!(HTTP_DURATION, Unit::Seconds, "HTTP request latency by route pattern");
    describe_counter!(GRAPHQL_OPERATIONS, "GraphQL operations by operation name and outcome");
    describe_histogram!(GRAPHQL_DURATION, Unit::Seconds, "GraphQL operation latency by name");
    describe_counter!(CACHE_HITS, "public requests answered from the response cache");
    describe_counter!(CACHE_MISSES, "public requests computed (not in the response cache)");
    describe_gauge!(CACHE_ENTRIES, "responses held by the response cache");
    describe_counter!(CACHE_INVALIDATIONS, "times the response cache was emptied by a change");
    describe_gauge!(CACHE_BYTES, Unit::Bytes, "bytes held by the response cache, as weighed");
    describe_counter!(CACHE_GAPS, "reconnections of the change listener after a gap");
    describe_counter!(CONNECTIONS_CLOSED, "client connections closed by the server, by reason");
    describe_gauge!(CONNECTIONS_OPEN, "client connections open");
    describe_counter!(PANICS, "requests whose handler panicked, answered INTERNAL");
    describe_gauge!(POOL_CONNECTIONS, "open database connections by pool and state");
    describe_gauge!(POOL_MAX, "most connections a pool may open");
    describe_counter!(POOL_WAITS, "samples (every 100 ms) that found every connection busy");
    describe_counter!(STATEMENTS, "SQL statements run, by database");
    describe_histogram!(STATEMENT_DURATION, Unit::Seconds, "SQL statement time, by database");
    describe_gauge!(REPLICA_REPLAYED, "WAL position a replica has replayed, in bytes");
    describe_counter!(
        REPLICA_FALLBACKS,
        "public reads sent to the primary: a change not yet fenced, or replicas behind"
    );
    describe_histogram!(JOB_DURATION, Unit::Seconds, "imports, publications and recomputes");
    describe_counter!(WEBHOOK_DELIVERIES, "webhook delivery attempts by event and outcome");
    describe_histogram!(WEBHOOK_DURATION, Unit::Seconds, "webhook delivery attempt time");
}

/// Runs a job (import, publish, recompute) and records its seconds and outcome into
/// [`names::JOB_DURATION`].
pub async fn timed<T, E>(
    job: &'static str,
    work: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, E> {
    let started = std::time::Instant::now();
    let result = work.await;
    let outcome = if result.is_ok() { "ok" } else { "error" };
    metrics::histogram!(names::JOB_DURATION, "job" => job, "outcome" => outcome)
        .record(started.elapsed().as_secs_f64());
    result
}

/// SQL on one line, at most `max` characters: slow-statement warnings stay one log line.
pub fn one_line(sql: &str, max: usize) -> String {
    let mut line = String::with_capacity(sql.len().min(max + 1));
    for word in sql.split_whitespace() {
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
        if line.len() > max {
            let cut = (0..=max).rev().find(|&i| line.is_char_boundary(i)).unwrap_or(0);
            line.truncate(cut);
            line.push('…');
            break;
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_of_targets_and_levels_only_is_a_targets_filter() {
        let kind = |directives: &str| match LogFilter::parse(directives) {
            LogFilter::Targets(targets) => format!("targets {targets}"),
            LogFilter::Env(env) => format!("env {env}"),
        };
        assert_eq!(kind("info"), "targets info");
        assert_eq!(kind("warn"), "targets warn");
        assert_eq!(kind("info,ocindex::http::trace=off"), "targets ocindex::http::trace=off,info");
        assert_eq!(kind("ocindex=debug,sqlx=warn,"), "targets ocindex=debug,sqlx=warn");
        assert_eq!(kind("[request]=debug"), "env [request]=debug");
        assert_eq!(
            kind("info,ocindex[request{role=admin}]=trace"),
            "env info,ocindex[request{role=admin}]=trace"
        );
        assert_eq!(kind("a=b=c"), "targets info", "not a filter: info");
    }

    #[test]
    fn statements_are_logged_on_one_bounded_line() {
        let sql = "SELECT a,\n       b\n  FROM t\n WHERE c = $1";
        assert_eq!(one_line(sql, 100), "SELECT a, b FROM t WHERE c = $1");
        assert_eq!(one_line(sql, 8), "SELECT a…");
    }
}
