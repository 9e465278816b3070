//! Building and running the application: pool, migrations, sample data, router, shutdown.
use crate::cache::ResponseCache;
use crate::config::Settings;
use crate::graphql::limits::QueryLimits;
use crate::http::{router, AppState};
use crate::reference_data::ReferenceData;
use crate::{database, graphql, import};
use anyhow::Context as _;
use sea_orm::DatabaseConnection;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// Statements slower than this are logged.
const SLOW_STATEMENT: Duration = Duration::from_millis(250);

pub struct Application {
    listener: TcpListener,
    state: AppState,
    statements: Arc<AtomicU64>,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let mut db = database::connect_and_migrate(&settings.database_url).await?;
        let statements = Arc::new(AtomicU64::new(0));
        let counter = statements.clone();
        db.set_metric_callback(move |info| {
            counter.fetch_add(1, Ordering::Relaxed);
            if info.elapsed > SLOW_STATEMENT {
                tracing::warn!(elapsed = ?info.elapsed, sql = %info.statement.sql, "slow statement");
            }
        });
        if settings.load_sample && import::load_sample_if_empty(&db).await? {
            tracing::info!("loaded the bundled sample (Kazakhstan and Kyrgyzstan, 2021 and 2023)");
        }
        let listener = TcpListener::bind(settings.bind)
            .await
            .with_context(|| format!("binding {}", settings.bind))?;
        let cache = Arc::new(ResponseCache::default());
        cache.clone().listen(settings.database_url.clone()).await;
        let schema = graphql::schema();
        let limits = Arc::new(QueryLimits::new(&schema.sdl(), settings.limits())?);
        let state = AppState {
            db,
            schema,
            limits,
            admin_token: settings.admin_token.filter(|t| !t.is_empty()).map(Into::into),
            reference: Arc::new(ReferenceData::new(cache.clone())),
            cache,
        };
        Ok(Self { listener, state, statements })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or_default()
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.state.db
    }

    /// How many SQL statements the server has run: the N+1 tests watch it.
    pub fn statements(&self) -> Arc<AtomicU64> {
        self.statements.clone()
    }

    /// Serves until Ctrl-C or SIGTERM, then finishes the requests in flight.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        tracing::info!(address = %self.listener.local_addr()?, "serving GraphQL at /graphql");
        axum::serve(self.listener, router(self.state))
            .with_graceful_shutdown(shutdown_signal())
            .await?;
        Ok(())
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
