//! The connection pool: creates the database when it is missing and applies migrations.
use anyhow::Context as _;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, Statement};
use std::time::Duration;

/// Connects to `database_url`, creating the database first if the server lacks it.
pub async fn connect(database_url: &str) -> anyhow::Result<DatabaseConnection> {
    ensure_database(database_url).await?;
    let mut options = ConnectOptions::new(database_url);
    options
        .max_connections(32)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        // no ping before every acquire (14-16% of the CPU of small queries): connections are
        // renewed by age and idleness instead, and a dead one fails its statement
        .test_before_acquire(false)
        .max_lifetime(Duration::from_secs(30 * 60))
        .idle_timeout(Duration::from_secs(10 * 60))
        .sqlx_logging(false)
        // NOTICEs ("relation already exists, skipping" from migrations, stop words in
        // searches) are not problems: keep them out of the log.
        .map_sqlx_postgres_opts(|pg| pg.options([("client_min_messages", "warning")]));
    Database::connect(options)
        .await
        .with_context(|| format!("connecting to {}", redact(database_url)))
}

/// Connects to a read replica: lazily (a replica that is down at start is polled until it
/// answers), never creating or migrating anything (it follows the primary).
pub async fn connect_replica(url: &str) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(32)
        .min_connections(0)
        .connect_lazy(true)
        .acquire_timeout(Duration::from_secs(2))
        .test_before_acquire(false)
        .max_lifetime(Duration::from_secs(30 * 60))
        .idle_timeout(Duration::from_secs(10 * 60))
        .sqlx_logging(false)
        .map_sqlx_postgres_opts(|pg| pg.options([("client_min_messages", "warning")]));
    // lazily: no round trip here, only the URL is checked
    Database::connect(options).await.with_context(|| format!("replica {}", redact(url)))
}

/// Connects and brings the schema up to date.
pub async fn connect_and_migrate(database_url: &str) -> anyhow::Result<DatabaseConnection> {
    let db = connect(database_url).await?;
    Migrator::up(&db, None).await.context("applying migrations")?;
    // figures stored before their exact values were kept get them once, here
    if crate::repo::figures::ensure_exact_values(&db).await.context("filling exact values")? {
        tracing::info!("recomputed every figure to keep its exact value");
    }
    Ok(db)
}

async fn ensure_database(database_url: &str) -> anyhow::Result<()> {
    let mut url = url::Url::parse(database_url).context("DATABASE_URL is not a URL")?;
    let name = url.path().trim_start_matches('/').to_owned();
    anyhow::ensure!(!name.is_empty(), "DATABASE_URL names no database: {}", redact(database_url));
    url.set_path("/postgres");
    let mut options = ConnectOptions::new(url.as_str());
    options
        .sqlx_logging(false)
        .map_sqlx_postgres_opts(|pg| pg.options([("client_min_messages", "warning")]));
    let server = Database::connect(options)
        .await
        .with_context(|| format!("connecting to the server of {}", redact(database_url)))?;
    let exists = server
        .query_one(Statement::from_sql_and_values(
            server.get_database_backend(),
            "SELECT 1 FROM pg_database WHERE datname = $1",
            [name.clone().into()],
        ))
        .await?
        .is_some();
    if !exists {
        let quoted = format!("\"{}\"", name.replace('"', "\"\""));
        match server.execute_unprepared(&format!("CREATE DATABASE {quoted}")).await {
            Ok(_) => tracing::info!(database = %name, "created the database"),
            // another process created it between our check and our create
            Err(err) if err.to_string().contains("already exists") => {}
            Err(err) => return Err(err).context("creating the database"),
        }
    }
    server.close().await?;
    Ok(())
}

/// The URL without its password, for messages.
pub fn redact(database_url: &str) -> String {
    match url::Url::parse(database_url) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        _ => database_url.to_owned(),
    }
}
