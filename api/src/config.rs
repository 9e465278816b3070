//! Settings: the only reader of the environment.
use crate::graphql::limits::{self, Limits};
use std::net::SocketAddr;

pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/ocindex";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

#[derive(Clone, Debug, clap::Args)]
pub struct Settings {
    /// Postgres connection URL; the database is created when it does not exist.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
    /// Address the HTTP server listens on (port 0 picks a free port).
    #[arg(long, env = "OCINDEX_BIND", default_value = DEFAULT_BIND)]
    pub bind: SocketAddr,
    /// Bootstrap admin secret for `Authorization: Bearer`; without it no mutation is possible.
    #[arg(long, env = "OCINDEX_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// Load the bundled sample (Kazakhstan and Kyrgyzstan, 2021 and 2023) into an empty database.
    #[arg(long, env = "OCINDEX_SAMPLE", default_value_t = true, action = clap::ArgAction::Set)]
    pub load_sample: bool,
    /// Largest cost of a request (a batch counts as one): every field counts 1, times the
    /// longest its lists can be (a page, or the list's real maximum).
    #[arg(long, env = "OCINDEX_MAX_COST", default_value_t = limits::DEFAULT_MAX_COST)]
    pub max_cost: u64,
    /// Deepest nesting of the fields of a request, introspection aside.
    #[arg(long, env = "OCINDEX_MAX_DEPTH", default_value_t = limits::DEFAULT_MAX_DEPTH)]
    pub max_depth: usize,
    /// Largest cost of the introspection part of a request; default: twice the cost of the
    /// standard introspection query (graphql-js 16) over the schema served.
    #[arg(long, env = "OCINDEX_MAX_INTROSPECTION_COST")]
    pub max_introspection_cost: Option<u64>,
    /// Deepest nesting of introspection (the standard introspection query needs 15).
    #[arg(
        long,
        env = "OCINDEX_MAX_INTROSPECTION_DEPTH",
        default_value_t = limits::DEFAULT_MAX_INTROSPECTION_DEPTH
    )]
    pub max_introspection_depth: usize,
    /// Streaming replicas (comma-separated Postgres URLs) for public reads.
    #[arg(long, env = "DATABASE_REPLICA_URLS", value_delimiter = ',', hide_env_values = true)]
    pub replica_urls: Vec<String>,
    /// Serve `/metrics` on this address of its own instead of the main port.
    #[arg(long, env = "OCINDEX_METRICS_BIND")]
    pub metrics_bind: Option<SocketAddr>,
    /// Let webhooks reach private, loopback and link-local addresses (development and tests
    /// only: otherwise a webhook could make the server probe its own network).
    #[arg(long, env = "OCINDEX_WEBHOOK_ALLOW_PRIVATE", default_value_t = false, action = clap::ArgAction::Set)]
    pub webhook_allow_private: bool,
    /// Seconds one webhook delivery attempt may take, connection included.
    #[arg(long, env = "OCINDEX_WEBHOOK_TIMEOUT", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=60))]
    pub webhook_timeout: u64,
    /// Attempts before a webhook delivery is given up as failed.
    #[arg(long, env = "OCINDEX_WEBHOOK_MAX_ATTEMPTS", default_value_t = 12, value_parser = clap::value_parser!(i32).range(1..=50))]
    pub webhook_max_attempts: i32,
    /// Milliseconds before the first retry of a webhook delivery; doubled after each failure
    /// (capped at an hour).
    #[arg(long, env = "OCINDEX_WEBHOOK_RETRY_BASE_MS", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(10..=3_600_000))]
    pub webhook_retry_base_ms: u64,
    /// Milliseconds after which Postgres stops any one statement of the server's pools
    /// (primary and replicas), so that a query whose client gave up does not run on; 0: never.
    #[arg(long, env = "OCINDEX_STATEMENT_TIMEOUT_MS", default_value_t = DEFAULT_STATEMENT_TIMEOUT_MS)]
    pub statement_timeout_ms: u64,
    /// Bytes of public answers the answer cache holds at most (bodies, tags, compressed forms
    /// and keys); the least useful leave first.
    #[arg(long, env = "OCINDEX_CACHE_MAX_BYTES", default_value_t = DEFAULT_CACHE_MAX_BYTES)]
    pub cache_max_bytes: u64,
    #[command(flatten)]
    pub http: HttpSettings,
    #[command(flatten)]
    pub connections: ConnectionSettings,
    #[command(flatten)]
    pub quotas: QuotaSettings,
}

pub const DEFAULT_STATEMENT_TIMEOUT_MS: u64 = 10_000;
pub const DEFAULT_CACHE_MAX_BYTES: u64 = 256 << 20;

/// How long connections may take and how many may be open: what keeps idle or slow clients
/// from holding the server's sockets.
#[derive(Clone, Debug, clap::Args)]
pub struct ConnectionSettings {
    /// Milliseconds a connection has to send the complete head of a request (request line and
    /// headers), counted from its first byte, or from its opening for the first request;
    /// a slower one is closed.
    #[arg(long, env = "OCINDEX_HTTP_HEADER_TIMEOUT_MS", default_value_t = 10_000,
          value_parser = clap::value_parser!(u64).range(10..=600_000))]
    pub header_timeout_ms: u64,
    /// Milliseconds a kept-alive connection may stay idle between requests before it is
    /// closed.
    #[arg(long, env = "OCINDEX_HTTP_IDLE_TIMEOUT_MS", default_value_t = 60_000,
          value_parser = clap::value_parser!(u64).range(10..=3_600_000))]
    pub idle_timeout_ms: u64,
    /// Most client connections open at once (WebSockets included); beyond it the connection
    /// idle the longest is closed to make room. Keep it under the open-file limit.
    #[arg(long, env = "OCINDEX_HTTP_MAX_CONNECTIONS", default_value_t = 4096,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub max_connections: u32,
}

impl Default for ConnectionSettings {
    /// The same values as the command line's defaults.
    fn default() -> Self {
        Self { header_timeout_ms: 10_000, idle_timeout_ms: 60_000, max_connections: 4096 }
    }
}

/// Fair-use quotas: cost points per caller and clock hour.
#[derive(Clone, Debug, clap::Args)]
pub struct QuotaSettings {
    /// Points per hour of each anonymous caller (by IP address, IPv6 by its /64); 0: unlimited.
    #[arg(long = "rate-limit-anonymous", env = "OCINDEX_RATE_LIMIT_ANONYMOUS", default_value_t = DEFAULT_RATE_LIMIT_ANONYMOUS)]
    pub anonymous: u64,
    /// Points per hour of an API key created without a limit of its own; 0: unlimited.
    #[arg(long = "rate-limit-key", env = "OCINDEX_RATE_LIMIT_KEY", default_value_t = DEFAULT_RATE_LIMIT_KEY)]
    pub key: u64,
    /// Redis holding the quota counters a fleet of servers shares (`redis://host:6379/0`);
    /// without it each server counts alone, in memory.
    #[arg(long, env = "OCINDEX_REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,
    /// Prefix of the quota counters' Redis keys (servers of one deployment share it).
    #[arg(long, env = "OCINDEX_REDIS_PREFIX", default_value = DEFAULT_REDIS_PREFIX)]
    pub redis_prefix: String,
}

pub const DEFAULT_RATE_LIMIT_ANONYMOUS: u64 = 200_000;
pub const DEFAULT_RATE_LIMIT_KEY: u64 = 1_000_000;
pub const DEFAULT_REDIS_PREFIX: &str = "ocindex:quota:";

impl Default for QuotaSettings {
    /// The same values as the command line's defaults.
    fn default() -> Self {
        Self {
            anonymous: DEFAULT_RATE_LIMIT_ANONYMOUS,
            key: DEFAULT_RATE_LIMIT_KEY,
            redis_url: None,
            redis_prefix: DEFAULT_REDIS_PREFIX.to_owned(),
        }
    }
}

/// How the process logs and traces; read by every subcommand.
#[derive(Clone, Debug, clap::Args)]
pub struct TelemetrySettings {
    /// Log filter, `tracing` env-filter syntax (`info`, `ocindex=debug,info`).
    #[arg(long = "log-filter", env = "RUST_LOG", default_value = "info", global = true)]
    pub log_filter: String,
    /// `text` (coloured only on a terminal) or `json` (one object per line).
    #[arg(long, env = "OCINDEX_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
    /// OTLP/HTTP collector (e.g. `http://127.0.0.1:4318`): spans are exported there when set.
    #[arg(long, env = "OTEL_EXPORTER_OTLP_ENDPOINT", global = true)]
    pub otlp_endpoint: Option<String>,
    /// The `service.name` of exported spans.
    #[arg(long, env = "OTEL_SERVICE_NAME", default_value = "ocindex", global = true)]
    pub service_name: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// How the HTTP surface treats browsers, caches and GraphQL clients.
#[derive(Clone, Debug, clap::Args)]
pub struct HttpSettings {
    /// Origins whose pages may call the API (CORS): `*`, or a comma-separated list such as
    /// `https://ocindex.net,http://localhost:3000`. The data is public and tokens travel in a
    /// header, never a cookie, so `*` is safe.
    #[arg(long, env = "OCINDEX_CORS_ORIGINS", default_value = "*", value_delimiter = ',',
          value_parser = parse_origin)]
    pub cors_origins: Vec<String>,
    /// Answer introspection queries and serve `/schema.graphql`.
    #[arg(long, env = "OCINDEX_INTROSPECTION", default_value_t = true, action = clap::ArgAction::Set)]
    pub introspection: bool,
    /// Most operations one batched request may hold.
    #[arg(long, env = "OCINDEX_MAX_BATCH", default_value_t = 10,
          value_parser = clap::value_parser!(u16).range(1..=100))]
    pub max_batch: u16,
    /// `max-age` of public answers, in seconds: how long browsers and CDNs reuse one unasked.
    #[arg(long, env = "OCINDEX_CACHE_MAX_AGE", default_value_t = 60)]
    pub cache_max_age: u32,
    /// `stale-while-revalidate` of public answers, in seconds: how long a stale answer may be
    /// served while a cache revalidates it in the background.
    #[arg(long, env = "OCINDEX_CACHE_STALE_WHILE_REVALIDATE", default_value_t = 600)]
    pub cache_stale_while_revalidate: u32,
    /// Bytes of Apollo persisted queries kept (hashes and texts); the least recently used
    /// leave first.
    #[arg(long, env = "OCINDEX_PERSISTED_QUERIES_MAX_BYTES", default_value_t = 8 << 20)]
    pub persisted_queries_max_bytes: usize,
}

impl Default for HttpSettings {
    /// The same values as the command line's defaults.
    fn default() -> Self {
        Self {
            cors_origins: vec!["*".into()],
            introspection: true,
            max_batch: 10,
            cache_max_age: 60,
            cache_stale_while_revalidate: 600,
            persisted_queries_max_bytes: 8 << 20,
        }
    }
}

impl Settings {
    /// Settings with defaults for a given database, for tests and tools.
    pub fn for_database(database_url: impl Into<String>) -> Self {
        Self {
            database_url: database_url.into(),
            bind: "127.0.0.1:0".parse().expect("a valid loopback address"),
            admin_token: None,
            load_sample: false,
            http: HttpSettings::default(),
            connections: ConnectionSettings::default(),
            statement_timeout_ms: DEFAULT_STATEMENT_TIMEOUT_MS,
            cache_max_bytes: DEFAULT_CACHE_MAX_BYTES,
            quotas: QuotaSettings::default(),
            max_cost: limits::DEFAULT_MAX_COST,
            max_depth: limits::DEFAULT_MAX_DEPTH,
            max_introspection_cost: None,
            max_introspection_depth: limits::DEFAULT_MAX_INTROSPECTION_DEPTH,
            metrics_bind: None,
            replica_urls: Vec::new(),
            webhook_allow_private: false,
            webhook_timeout: 10,
            webhook_max_attempts: 12,
            webhook_retry_base_ms: 1000,
        }
    }

    /// The limits every request must stay within.
    pub fn limits(&self) -> Limits {
        Limits {
            max_cost: self.max_cost,
            max_depth: self.max_depth,
            max_introspection_cost: self.max_introspection_cost,
            max_introspection_depth: self.max_introspection_depth,
        }
    }
}

impl Settings {
    /// How long one statement may run (`None`: no limit).
    pub fn statement_timeout(&self) -> Option<std::time::Duration> {
        Some(std::time::Duration::from_millis(self.statement_timeout_ms)).filter(|t| !t.is_zero())
    }

    /// How the webhook worker delivers.
    pub fn webhooks(&self) -> crate::webhooks::worker::WorkerSettings {
        crate::webhooks::worker::WorkerSettings {
            allow_private: self.webhook_allow_private,
            timeout: std::time::Duration::from_secs(self.webhook_timeout),
            max_attempts: self.webhook_max_attempts,
            retry_base: std::time::Duration::from_millis(self.webhook_retry_base_ms),
        }
    }
}

/// `*`, or an origin as browsers send it: `scheme://host[:port]`, nothing after.
fn parse_origin(value: &str) -> Result<String, String> {
    let value = value.trim();
    if value == "*" {
        return Ok(value.to_owned());
    }
    let url = url::Url::parse(value).map_err(|err| format!("{value:?} is not an origin: {err}"))?;
    let origin = url.origin().ascii_serialization();
    if origin == "null" || !value.trim_end_matches('/').eq_ignore_ascii_case(&origin) {
        return Err(format!(
            "{value:?} is not an origin: write scheme://host[:port], such as https://ocindex.net"
        ));
    }
    Ok(origin)
}

#[cfg(test)]
mod tests {
    use super::parse_origin;

    #[test]
    fn origins_are_scheme_host_and_port_only() {
        assert_eq!(parse_origin("*").unwrap(), "*");
        assert_eq!(parse_origin("http://localhost:3000").unwrap(), "http://localhost:3000");
        assert_eq!(parse_origin("https://OCIndex.net/").unwrap(), "https://ocindex.net");
        assert!(parse_origin("https://ocindex.net/graphql").is_err());
        assert!(parse_origin("ocindex.net").is_err());
    }
}
