//! The connection pool: creates the database when it is missing and applies migrations.
use anyhow::Context as _;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, Statement};
use std::time::Duration;

/// Connects to `database_url`, creating the database first if the server lacks it. Every
/// statement on the pool's connections is stopped by Postgres after `statement_timeout`
/// (`None`: never, for the command-line tools), so a query whose client gave up does not run
/// on for minutes.
pub async fn connect(
    database_url: &str,
    statement_timeout: Option<Duration>,
) -> anyhow::Result<DatabaseConnection> {
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
        .map_sqlx_postgres_opts(move |pg| pg.options(session_settings(statement_timeout)));
    Database::connect(options)
        .await
        .with_context(|| format!("connecting to {}", redact(database_url)))
}

/// Settings every session of a pool starts with: sent in the startup packet, so that they
/// hold on every connection the pool ever opens, reconnections included.
fn session_settings(statement_timeout: Option<Duration>) -> Vec<(&'static str, String)> {
    // NOTICEs ("relation already exists, skipping" from migrations, stop words in searches)
    // are not problems: keep them out of the log.
    let mut settings = vec![("client_min_messages", "warning".to_owned())];
    // Statements are prepared once per connection and run with varying parameters. By
    // default Postgres plans anew at every execution whenever the generic plan's estimate is
    // not below the custom plans': with ten editions the change list was re-planned every
    // time (0.9 ms of Postgres CPU a question instead of 0.4, bench/history.sh), and a list
    // of 193 countries' changes spent 20 ms planning. The server's statements read rows by
    // their keys, where the generic plan is the right one; the loaders' key arrays, whose
    // length a generic plan cannot know, are read one key at a time (`repo::figures`).
    settings.push(("plan_cache_mode", "force_generic_plan".to_owned()));
    if let Some(timeout) = statement_timeout.filter(|t| !t.is_zero()) {
        // in milliseconds, at least one: Postgres reads 0 as "no timeout"
        settings.push(("statement_timeout", timeout.as_millis().max(1).to_string()));
    }
    settings
}

/// Connects to a read replica: lazily (a replica that is down at start is polled until it
/// answers), never creating or migrating anything (it follows the primary). Statements stop
/// after `statement_timeout`, as on the primary.
pub async fn connect_replica(
    url: &str,
    statement_timeout: Option<Duration>,
) -> anyhow::Result<DatabaseConnection> {
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
        .map_sqlx_postgres_opts(move |pg| pg.options(session_settings(statement_timeout)));
    // lazily: no round trip here, only the URL is checked
    Database::connect(options).await.with_context(|| format!("replica {}", redact(url)))
}

/// Connects and brings the schema up to date; statements are never stopped (the tools).
pub async fn connect_and_migrate(database_url: &str) -> anyhow::Result<DatabaseConnection> {
    let db = connect(database_url, None).await?;
    migrate(&db).await?;
    Ok(db)
}

/// The server's pool: the schema is brought up to date first, on a pool of its own without a
/// statement timeout (a migration may rightly take longer than any request), then the pool
/// the requests use is opened with `statement_timeout`.
pub async fn connect_for_server(
    database_url: &str,
    statement_timeout: Option<Duration>,
) -> anyhow::Result<DatabaseConnection> {
    let migrating = connect(database_url, None).await?;
    migrate(&migrating).await?;
    migrating.close().await.context("closing the migration pool")?;
    connect(database_url, statement_timeout).await
}

async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None).await.context("applying migrations")?;
    // figures stored before their exact values were kept get them once, here
    if crate::repo::figures::ensure_exact_values(db).await.context("filling exact values")? {
        tracing::info!("recomputed every figure to keep its exact value");
    }
    Ok(())
}

async fn ensure_database(database_url: &str) -> anyhow::Result<()> {
    let (server, name, exists) = find_database(database_url).await?;
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

/// A connection to the server of `database_url` (its `postgres` database), the name of the
/// database the URL names, and whether it exists. Reads only.
async fn find_database(database_url: &str) -> anyhow::Result<(DatabaseConnection, String, bool)> {
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
    Ok((server, name, exists))
}

/// Connects to a database that must exist with every migration applied, changing nothing:
/// for the dry runs of the command line, which may read but create no database and migrate
/// no schema. A missing or outdated database is an error that says how to make it.
pub async fn connect_existing(database_url: &str) -> anyhow::Result<DatabaseConnection> {
    let (server, name, exists) = find_database(database_url).await?;
    server.close().await?;
    anyhow::ensure!(
        exists,
        "the database {name:?} does not exist on the server of {}: a dry run creates nothing \
         (create and migrate it with `ocindex migrate`)",
        redact(database_url)
    );
    let mut options = ConnectOptions::new(database_url);
    options
        .max_connections(2)
        .sqlx_logging(false)
        .map_sqlx_postgres_opts(|pg| pg.options(session_settings(None)));
    let db = Database::connect(options)
        .await
        .with_context(|| format!("connecting to {}", redact(database_url)))?;
    let pending = pending_migrations(&db).await?;
    if let Some(first) = pending.first() {
        anyhow::bail!(
            "the database {name:?} is not migrated ({} migrations pending, the first {first}): \
             a dry run changes no schema (apply them with `ocindex migrate`)",
            pending.len()
        );
    }
    Ok(db)
}

/// The migrations this binary knows that the database has not applied, in order. Reads the
/// migration table without creating it (the migrator's own status query would).
async fn pending_migrations(db: &DatabaseConnection) -> anyhow::Result<Vec<String>> {
    let known: Vec<String> = Migrator::migrations().iter().map(|m| m.name().to_owned()).collect();
    let table = db
        .query_one(Statement::from_string(
            db.get_database_backend(),
            "SELECT to_regclass('seaql_migrations') IS NOT NULL AS present",
        ))
        .await?
        .map(|row| row.try_get::<bool>("", "present"))
        .transpose()?
        .unwrap_or(false);
    if !table {
        return Ok(known);
    }
    let applied: std::collections::HashSet<String> = db
        .query_all(Statement::from_string(
            db.get_database_backend(),
            "SELECT version FROM seaql_migrations",
        ))
        .await?
        .into_iter()
        .map(|row| row.try_get::<String>("", "version"))
        .collect::<Result<_, _>>()?;
    Ok(known.into_iter().filter(|name| !applied.contains(name)).collect())
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
