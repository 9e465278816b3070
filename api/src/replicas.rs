//! Read replicas (`DATABASE_REPLICA_URLS`): public reads (anonymous and PARTNER) go to a
//! streaming replica, everything else stays on the primary. A replica is used only when it is
//! known to have replayed every change the answer cache has heard of, so a lagging replica
//! never puts a stale answer into the cache:
//!
//! - every change bumps the cache's generation (the `ocindex_changes` notification, or the
//!   writer's own `changed()`), which happens after the change committed;
//! - a poller (every [`POLL`]) takes the generation `g`, then the primary's
//!   `pg_current_wal_lsn()` `P`: every change behind `g` committed before `P`, so `(g, P)` is a
//!   fence: a replica whose `pg_last_wal_replay_lsn()` is at least `P` holds them all;
//! - a request may read a replica only while the fence's generation is the cache's current
//!   one and the replica replayed past `P`; otherwise (a change just happened, the replica
//!   lags or is down) it reads the primary. The primary's WAL position is read after the
//!   commit was announced, a bound at least as late as the commit's own LSN.
//!
//! A replica that fails its poll is taken out and polled again on the next tick.
use crate::cache::ResponseCache;
use crate::telemetry::names;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How often replicas and the primary's WAL position are polled.
pub const POLL: Duration = Duration::from_millis(100);

pub struct Replicas {
    primary: DatabaseConnection,
    cache: Arc<ResponseCache>,
    replicas: Vec<Replica>,
    /// (cache generation, primary WAL position read after it); generation `u64::MAX`: none yet.
    fence: Mutex<(u64, u64)>,
    next: AtomicUsize,
}

struct Replica {
    name: String,
    db: DatabaseConnection,
    healthy: AtomicBool,
    replayed: AtomicU64,
    /// Seconds since the last replayed transaction's commit on the primary (-1: unknown).
    lag_ms: AtomicU64,
    error: Mutex<Option<String>>,
}

impl Replicas {
    /// Wraps already-connected replicas (named `replica0`, `replica1`, … in metrics and
    /// `/readyz`); with none, every read goes to the primary.
    pub fn new(
        primary: DatabaseConnection,
        cache: Arc<ResponseCache>,
        replicas: Vec<DatabaseConnection>,
    ) -> Arc<Self> {
        let replicas = replicas
            .into_iter()
            .enumerate()
            .map(|(i, db)| Replica {
                name: format!("replica{i}"),
                db,
                healthy: AtomicBool::new(false),
                replayed: AtomicU64::new(0),
                lag_ms: AtomicU64::new(u64::MAX),
                error: Mutex::new(Some("not polled yet".into())),
            })
            .collect();
        Arc::new(Self {
            primary,
            cache,
            replicas,
            fence: Mutex::new((u64::MAX, u64::MAX)),
            next: AtomicUsize::new(0),
        })
    }

    pub fn is_empty(&self) -> bool {
        self.replicas.is_empty()
    }

    /// Polls the primary's WAL position and every replica's replay position until the
    /// process ends.
    pub fn start_polling(self: &Arc<Self>) {
        if self.replicas.is_empty() {
            return;
        }
        let this = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(POLL);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                tick.tick().await;
                this.poll().await;
            }
        });
    }

    async fn poll(&self) {
        let generation = self.cache.generation();
        let known = self.fence.lock().map(|f| f.0).unwrap_or(u64::MAX);
        if known != generation {
            if let Ok(Some(lsn)) = lsn_of(&self.primary, "SELECT pg_current_wal_lsn()::text").await
            {
                if let Ok(mut fence) = self.fence.lock() {
                    *fence = (generation, lsn);
                }
            }
        }
        for replica in &self.replicas {
            let polled = replica
                .db
                .query_one(Statement::from_string(
                    replica.db.get_database_backend(),
                    // a replica that replayed all it received is not behind, however long ago
                    // the primary's last commit was
                    "SELECT pg_last_wal_replay_lsn()::text AS lsn,
                            CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                                 ELSE (extract(epoch FROM now() - pg_last_xact_replay_timestamp())
                                       * 1000)::bigint
                            END AS lag_ms",
                ))
                .await;
            let state = polled.map_err(|e| e.to_string()).and_then(|row| {
                let row = row.ok_or("no row")?;
                let lsn: Option<String> = row.try_get("", "lsn").map_err(|e| e.to_string())?;
                let lag: Option<i64> = row.try_get("", "lag_ms").map_err(|e| e.to_string())?;
                let lsn = lsn.and_then(|l| parse_lsn(&l)).ok_or("not a streaming replica")?;
                Ok((lsn, lag))
            });
            match state {
                Ok((lsn, lag)) => {
                    replica.replayed.fetch_max(lsn, Ordering::AcqRel);
                    replica
                        .lag_ms
                        .store(lag.map_or(u64::MAX, |l| l.max(0) as u64), Ordering::Release);
                    if !replica.healthy.swap(true, Ordering::AcqRel) {
                        tracing::info!(replica = %replica.name, "replica in service");
                    }
                    if let Ok(mut error) = replica.error.lock() {
                        *error = None;
                    }
                }
                Err(err) => {
                    if replica.healthy.swap(false, Ordering::AcqRel) {
                        tracing::warn!(replica = %replica.name, error = %err, "replica taken out: reads go to the primary");
                    }
                    if let Ok(mut error) = replica.error.lock() {
                        *error = Some(err);
                    }
                }
            }
            metrics::gauge!(names::REPLICA_REPLAYED, "database" => replica.name.clone())
                .set(replica.replayed.load(Ordering::Acquire) as f64);
        }
    }

    /// The connection a public read should use: a healthy replica that replayed past the
    /// current fence (round robin among them), else the primary.
    pub fn reader(&self) -> &DatabaseConnection {
        if self.replicas.is_empty() {
            return &self.primary;
        }
        let generation = self.cache.generation();
        let Ok((fenced, lsn)) = self.fence.lock().map(|f| *f) else { return &self.primary };
        if fenced != generation {
            metrics::counter!(names::REPLICA_FALLBACKS, "reason" => "change").increment(1);
            return &self.primary;
        }
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        for i in 0..self.replicas.len() {
            let replica = &self.replicas[(start + i) % self.replicas.len()];
            if replica.healthy.load(Ordering::Acquire)
                && replica.replayed.load(Ordering::Acquire) >= lsn
            {
                return &replica.db;
            }
        }
        metrics::counter!(names::REPLICA_FALLBACKS, "reason" => "lag").increment(1);
        &self.primary
    }

    /// Each replica's state for `/readyz`.
    pub fn report(&self) -> Vec<Value> {
        let (fenced, fence) = self.fence.lock().map(|f| *f).unwrap_or((u64::MAX, u64::MAX));
        // a fence of an older generation says nothing about the latest change
        let current = fenced == self.cache.generation();
        self.replicas
            .iter()
            .map(|r| {
                let replayed = r.replayed.load(Ordering::Acquire);
                let lag = r.lag_ms.load(Ordering::Acquire);
                json!({
                    "name": r.name,
                    "reachable": r.healthy.load(Ordering::Acquire),
                    "replayLsn": format_lsn(replayed),
                    "primaryLsn": if fence == u64::MAX { Value::Null } else { json!(format_lsn(fence)) },
                    "caughtUp": current && replayed >= fence,
                    "lagBytes": if current { json!(fence.saturating_sub(replayed)) } else { Value::Null },
                    "lagMs": if lag == u64::MAX { Value::Null } else { json!(lag) },
                    "error": r.error.lock().ok().and_then(|e| e.clone()),
                })
            })
            .collect()
    }
}

async fn lsn_of(db: &DatabaseConnection, sql: &str) -> Result<Option<u64>, sea_orm::DbErr> {
    let row = db.query_one(Statement::from_string(db.get_database_backend(), sql)).await?;
    Ok(row.and_then(|r| r.try_get_by_index::<String>(0).ok()).and_then(|l| parse_lsn(&l)))
}

/// `16/B374D848` as a byte position.
pub fn parse_lsn(text: &str) -> Option<u64> {
    let (high, low) = text.split_once('/')?;
    Some((u64::from_str_radix(high, 16).ok()? << 32) | u64::from_str_radix(low, 16).ok()?)
}

fn format_lsn(lsn: u64) -> String {
    format!("{:X}/{:X}", lsn >> 32, lsn & 0xFFFF_FFFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wal_positions_read_and_print_as_postgres_does() {
        assert_eq!(parse_lsn("16/B374D848"), Some((0x16 << 32) | 0xB374_D848));
        assert_eq!(parse_lsn("0/0"), Some(0));
        assert_eq!(parse_lsn("nonsense"), None);
        assert_eq!(format_lsn(parse_lsn("16/B374D848").unwrap()), "16/B374D848");
    }
}
