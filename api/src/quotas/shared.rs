//! Counts in Redis, shared by every server of a fleet: one counter per caller and window,
//! added to with INCRBY and given its expiry in the same round trip.
use super::{epoch_seconds, Caller, WINDOW_SECONDS};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How long one round trip may take before the limiter counts locally instead.
const TIMEOUT: Duration = Duration::from_millis(250);
/// After a failure, Redis is left alone this long: requests do not each wait for a timeout.
const PAUSE_AFTER_FAILURE: u64 = 5;

pub(super) struct SharedCounts {
    connection: ConnectionManager,
    prefix: String,
    /// Until when (epoch seconds) Redis is not asked, after a failure.
    paused_until: AtomicU64,
}

impl SharedCounts {
    /// Connects lazily: a server starts, and counts locally, while Redis is down.
    pub fn new(url: &str, prefix: &str) -> anyhow::Result<Self> {
        let client = redis::Client::open(url)
            .map_err(|e| anyhow::anyhow!("OCINDEX_REDIS_URL is not a Redis URL: {e}"))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(TIMEOUT))
            .set_response_timeout(Some(TIMEOUT))
            .set_number_of_retries(1);
        let connection = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(|e| anyhow::anyhow!("connecting to Redis (OCINDEX_REDIS_URL): {e}"))?;
        Ok(Self { connection, prefix: prefix.to_owned(), paused_until: AtomicU64::new(0) })
    }

    /// The counter of a caller in a window.
    pub fn key(&self, caller: &Caller, window: u64) -> String {
        format!("{}{caller}:{window}", self.prefix)
    }

    /// Whether Redis is worth asking (no failure in the last few seconds).
    pub fn usable(&self) -> bool {
        self.paused_until.load(Ordering::Relaxed) <= epoch_seconds()
    }

    /// Adds `points` (negative to give them back) and returns the new total. The counter
    /// outlives its window by a minute, so that late adds do not make a fresh one.
    pub async fn add(&self, key: &str, points: i64) -> Result<u64, ()> {
        if !self.usable() {
            return Err(());
        }
        let mut connection = self.connection.clone();
        let expiry = WINDOW_SECONDS + 60;
        let result: redis::RedisResult<(i64,)> = redis::pipe()
            .cmd("INCRBY")
            .arg(key)
            .arg(points)
            .cmd("EXPIRE")
            .arg(key)
            .arg(expiry)
            .ignore()
            .query_async(&mut connection)
            .await;
        match result {
            Ok((total,)) => Ok(u64::try_from(total).unwrap_or_default()),
            Err(err) => {
                let until = epoch_seconds() + PAUSE_AFTER_FAILURE;
                if self.paused_until.swap(until, Ordering::Relaxed) <= epoch_seconds() {
                    tracing::warn!(error = %err, pause_s = PAUSE_AFTER_FAILURE,
                        "Redis is unreachable: quotas are counted by each server alone");
                }
                Err(())
            }
        }
    }
}
