//! Building and running the application: pool, migrations, sample data, router, shutdown.
use crate::cache::ResponseCache;
use crate::config::Settings;
use crate::exports::Exports;
use crate::graphql::limits::QueryLimits;
use crate::http::{metrics_router, router, AppState, PersistedQueries};
use crate::quotas::Quotas;
use crate::reference_data::ReferenceData;
use crate::replicas::Replicas;
use crate::serve::{self, ConnectionLimits};
use crate::telemetry::{self, names};
use crate::webhooks::{self, EventHub};
use crate::{database, graphql, workflow};
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
    metrics_listener: Option<TcpListener>,
    state: AppState,
    connections: ConnectionLimits,
    statements: Arc<AtomicU64>,
    /// Background work of this server (the webhook worker), stopped with it.
    background: Background,
}

/// Tasks that live as long as the server: aborted when it stops or its future is dropped.
struct Background(Vec<tokio::task::AbortHandle>);

impl Drop for Background {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        // The ports first: a port in use fails at once, before any database work.
        let listener = TcpListener::bind(settings.bind)
            .await
            .with_context(|| format!("binding {}", settings.bind))?;
        let metrics_listener = match settings.metrics_bind {
            Some(address) => Some(
                TcpListener::bind(address)
                    .await
                    .with_context(|| format!("binding {address} (OCINDEX_METRICS_BIND)"))?,
            ),
            None => None,
        };
        telemetry::metrics();
        let statement_timeout = settings.statement_timeout();
        let mut db =
            database::connect_for_server(&settings.database_url, statement_timeout).await?;
        // background work (webhook deliveries) shares the pool and its metrics, but not the
        // statement count, which is about requests: the N+1 tests compare it between two
        let mut background_db = db.clone();
        observe_statements(&mut background_db, "primary", None);
        let statements = Arc::new(AtomicU64::new(0));
        observe_statements(&mut db, "primary", Some(statements.clone()));
        observe_pool(&db, "primary");
        if settings.load_sample {
            let loaded = workflow::import::sample(&db).await.map_err(|err| match err {
                crate::error::ApiError::Internal(cause) => {
                    anyhow::anyhow!("loading the bundled sample: {cause:#}")
                }
                refused => anyhow::anyhow!("loading the bundled sample: {}", refused.message()),
            })?;
            if loaded {
                tracing::info!(
                    "loaded the bundled sample (Kazakhstan and Kyrgyzstan, 2021 and 2023)"
                );
            }
        }
        let cache = Arc::new(ResponseCache::new(settings.cache_max_bytes));
        cache.clone().listen(settings.database_url.clone()).await;
        let mut readers = Vec::new();
        for (i, url) in settings.replica_urls.iter().filter(|u| !u.trim().is_empty()).enumerate() {
            let mut replica = database::connect_replica(url.trim(), statement_timeout).await?;
            observe_statements(&mut replica, &format!("replica{i}"), None);
            readers.push(replica);
        }
        let replicas = Replicas::new(db.clone(), cache.clone(), readers);
        replicas.start_polling();
        let exports = Exports::new(db.clone(), cache.clone());
        let events = Arc::new(EventHub::default());
        events.clone().listen(settings.database_url.clone()).await;
        let worker = webhooks::worker::spawn(background_db, events.clone(), settings.webhooks())?;
        let schema = graphql::schema_with(
            graphql::Services { events, webhook_allow_private: settings.webhook_allow_private },
            exports.clone(),
        );
        let limits = Arc::new(QueryLimits::new(&schema.sdl(), settings.limits())?);
        let state = AppState {
            db,
            sdl: schema.sdl().into(),
            schema,
            limits,
            persisted: Arc::new(PersistedQueries::new(settings.http.persisted_queries_max_bytes)),
            public_cache_control: crate::http::public_cache_control(&settings.http),
            http: Arc::new(settings.http),
            admin_token: settings.admin_token.filter(|t| !t.is_empty()).map(Into::into),
            reference: Arc::new(ReferenceData::new(cache.clone())),
            cache,
            replicas,
            exports,
            quotas: Arc::new(Quotas::new(&settings.quotas)?),
        };
        Ok(Self {
            listener,
            metrics_listener,
            connections: ConnectionLimits::from(&settings.connections),
            state,
            statements,
            background: Background(vec![worker]),
        })
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
        let _background = self.background;
        let metrics_elsewhere = self.metrics_listener.is_some();
        if let Some(listener) = self.metrics_listener {
            tracing::info!(address = %listener.local_addr()?, "serving metrics at /metrics");
            let app = metrics_router(self.state.clone());
            tokio::spawn(async move {
                if let Err(err) = axum::serve(listener, app).await {
                    tracing::error!(error = %err, "the metrics listener stopped");
                }
            });
        }
        let app = router(self.state, metrics_elsewhere);
        serve::serve(self.listener, app, self.connections, shutdown_signal()).await;
        Ok(())
    }
}

/// Counts and times every statement of `db` (and into `counter`, which the N+1 tests watch);
/// slow ones are logged on one line, inside the span of the request that ran them.
fn observe_statements(db: &mut DatabaseConnection, name: &str, counter: Option<Arc<AtomicU64>>) {
    let name = name.to_owned();
    let statements = metrics::counter!(names::STATEMENTS, "database" => name.clone());
    let seconds = metrics::histogram!(names::STATEMENT_DURATION, "database" => name.clone());
    db.set_metric_callback(move |info| {
        if let Some(counter) = &counter {
            counter.fetch_add(1, Ordering::Relaxed);
        }
        statements.increment(1);
        seconds.record(info.elapsed.as_secs_f64());
        if info.elapsed > SLOW_STATEMENT {
            tracing::warn!(
                database = %name,
                elapsed_ms = info.elapsed.as_millis() as u64,
                failed = info.failed,
                sql = %telemetry::one_line(&info.statement.sql, 500),
                "slow statement"
            );
        }
    });
}

/// Samples the pool every 100 ms into the pool gauges, and counts the samples that found
/// every connection busy (a statement then waits for one). Stops when the pool is closed.
fn observe_pool(db: &DatabaseConnection, name: &'static str) {
    let pool = db.get_postgres_connection_pool().clone();
    let max = pool.options().get_max_connections();
    metrics::gauge!(names::POOL_MAX, "database" => name).set(f64::from(max));
    let idle = metrics::gauge!(names::POOL_CONNECTIONS, "database" => name, "state" => "idle");
    let in_use = metrics::gauge!(names::POOL_CONNECTIONS, "database" => name, "state" => "in_use");
    let waits = metrics::counter!(names::POOL_WAITS, "database" => name);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        while !pool.is_closed() {
            tick.tick().await;
            let size = pool.size();
            let free = pool.num_idle() as u32;
            idle.set(f64::from(free));
            in_use.set(f64::from(size.saturating_sub(free)));
            if free == 0 && size >= max {
                waits.increment(1);
            }
        }
    });
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
