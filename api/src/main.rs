//! The `ocindex` command: serve, migrate, import, import-narratives, schema.
use anyhow::Context as _;
use clap::{Parser, Subcommand};
use ocindex::auth::Actor;
use ocindex::config::{Settings, TelemetrySettings, DEFAULT_BIND, DEFAULT_DATABASE_URL};
use ocindex::error::ApiError;
use ocindex::startup::Application;
use ocindex::workflow::import;
use ocindex::{database, graphql, healthcheck, telemetry};
use std::path::PathBuf;
use std::process::ExitCode;

/// Requests allocate and free many small values (a response's value tree, rows, futures):
/// mimalloc's thread-local free lists serve them in a fraction of glibc's instructions.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "ocindex", version, about = "GraphQL API over the Global Organized Crime Index")]
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    telemetry: TelemetrySettings,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (creates and migrates the database, loads the sample when empty).
    Serve(Box<Settings>),
    /// Apply migrations and exit.
    Migrate {
        #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
        database_url: String,
    },
    /// Import the official dataset workbook (global_oc_index.xlsx).
    Import {
        file: PathBuf,
        /// Check the file and report what a real run would write, writing nothing: the
        /// database must exist and be migrated (a dry run creates and migrates nothing).
        #[arg(long)]
        dry_run: bool,
        #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
        database_url: String,
    },
    /// Import narrative texts (country page text or PDF summary text) into an edition.
    ImportNarratives {
        file: PathBuf,
        /// The edition the narratives belong to (its year).
        #[arg(long)]
        edition: i32,
        /// The country of a single-country text (ISO3); by default each country is told by its text.
        #[arg(long)]
        country: Option<String>,
        /// Check the file and show what would be imported, writing nothing: the database
        /// must exist and be migrated (a dry run creates and migrates nothing).
        #[arg(long)]
        dry_run: bool,
        #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
        database_url: String,
    },
    /// Print the GraphQL schema (SDL), the same text as schema.graphql.
    Schema,
    /// Probe a running server's /readyz (for container health checks); exit 0 when ready.
    Healthcheck {
        /// The server's address (a wildcard address is probed on loopback).
        #[arg(long, env = "OCINDEX_BIND", default_value = DEFAULT_BIND)]
        bind: std::net::SocketAddr,
        /// Seconds to wait for the answer.
        #[arg(long, default_value_t = 3)]
        timeout: u64,
    },
}

#[tokio::main]
pub async fn main() -> ExitCode {
    let cli = Cli::parse();
    let telemetry = telemetry::init(&cli.telemetry);
    let code = match run(cli).await {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    };
    telemetry.shutdown();
    code
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve(settings) => {
            Application::build(*settings).await?.run_until_stopped().await?
        }
        Command::Migrate { database_url } => {
            database::connect_and_migrate(&database_url).await?;
            println!("migrations applied");
        }
        Command::Import { file, dry_run, database_url } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let db = connect(&database_url, dry_run).await?;
            let started = std::time::Instant::now();
            let report = if dry_run {
                import::check_dataset(&db, &bytes).await
            } else {
                import::dataset(&db, &Actor::command_line(), &bytes, false).await
            }
            .map_err(failure)?;
            print!("{report}");
            println!("time:       {:.2} s", started.elapsed().as_secs_f64());
            if !report.succeeded() {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::ImportNarratives { file, edition, country, dry_run, database_url } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let text = String::from_utf8(bytes)
                .with_context(|| format!("{} is not UTF-8 text", file.display()))?;
            let db = connect(&database_url, dry_run).await?;
            let started = std::time::Instant::now();
            let country = country.as_deref();
            let report = if dry_run {
                import::check_narratives(&db, &text, edition, country).await
            } else {
                import::narratives(&db, &Actor::command_line(), &text, edition, country, false)
                    .await
            }
            .map_err(failure)?;
            print!("{report}");
            println!("time:         {:.2} s", started.elapsed().as_secs_f64());
            if !report.succeeded() {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Schema => print!("{}", graphql::schema().sdl()),
        Command::Healthcheck { bind, timeout } => {
            let url = healthcheck::readyz_url(bind);
            match healthcheck::probe(&url, std::time::Duration::from_secs(timeout.clamp(1, 60)))
                .await
            {
                Ok(body) => println!("{url}: {body}"),
                Err(err) => {
                    eprintln!("unhealthy: {err:#}");
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The database of an import: a dry run only reads, so it neither creates the database nor
/// migrates it; a real import does both when needed, as the server does.
async fn connect(database_url: &str, dry_run: bool) -> anyhow::Result<sea_orm::DatabaseConnection> {
    if dry_run {
        database::connect_existing(database_url).await
    } else {
        database::connect_and_migrate(database_url).await
    }
}

/// An import that failed or was refused whole, as the command line tells it.
fn failure(err: ApiError) -> anyhow::Error {
    anyhow::anyhow!("{} ({})", err.message(), err.code())
}
