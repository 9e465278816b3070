//! Probes for orchestrators: `/healthz` says the process answers, `/readyz` that it can
//! serve: each database it reads is reachable within a bound. `/readyz` answers JSON that
//! names each database with its state and round-trip time, and whether the change
//! notifications are heard (`changes.listening`), 200 when ready, else 503.
use super::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde_json::json;
use std::time::{Duration, Instant};

/// Longest a database may take to answer the probe before it counts as unreachable.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

pub async fn live() -> &'static str {
    "ok"
}

pub async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    let started = Instant::now();
    let reachable = match tokio::time::timeout(PROBE_TIMEOUT, state.db.ping()).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(err)) => Err(err.to_string()),
        Err(_) => Err(format!("no answer within {} s", PROBE_TIMEOUT.as_secs())),
    };
    let elapsed_ms = started.elapsed().as_micros() as f64 / 1000.0;
    let primary = match &reachable {
        Ok(()) => json!({ "name": "primary", "reachable": true, "pingMs": elapsed_ms }),
        Err(err) => {
            tracing::warn!(database = "primary", error = %err, "readiness check failed");
            json!({ "name": "primary", "reachable": false, "error": "database unreachable" })
        }
    };
    // without the change notifications the cache is bypassed and changes made elsewhere go
    // unheard: the server is not ready until it hears them again
    let listening = state.cache.is_listening();
    let ready = reachable.is_ok() && listening;
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let mut databases = vec![primary];
    // replicas are reported, not required: without them reads go to the primary
    databases.extend(state.replicas.report());
    let changes = json!({ "listening": listening });
    (status, Json(json!({ "ready": ready, "databases": databases, "changes": changes })))
}
