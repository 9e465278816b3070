//! Settings: the only reader of the environment.
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
}

impl Settings {
    /// Settings with defaults for a given database, for tests and tools.
    pub fn for_database(database_url: impl Into<String>) -> Self {
        Self {
            database_url: database_url.into(),
            bind: "127.0.0.1:0".parse().expect("a valid loopback address"),
            admin_token: None,
            load_sample: false,
        }
    }
}
