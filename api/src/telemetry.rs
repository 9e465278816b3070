//! Telemetry: how the process reports on itself. The tracing subscriber is set up here, once,
//! for every subcommand; log formats, metrics and trace export belong here too.
use tracing_subscriber::EnvFilter;

/// Logs to standard error at `info` unless `RUST_LOG` says otherwise.
pub fn init() {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
}
