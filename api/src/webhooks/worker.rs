//! The delivery worker: one per server. It claims due deliveries (several servers may run:
//! each claim takes rows no other worker holds, `FOR UPDATE SKIP LOCKED`, and leases them),
//! POSTs the signed event, records the attempt, and schedules a retry with exponential
//! backoff until the endpoint takes it or the attempts run out. It wakes on every edition
//! event and otherwise when the next retry is due (and at least every few seconds, for
//! retries scheduled by other servers).
use super::address::{self, GuardedResolver};
use super::{signing, EventHub};
use crate::repo::webhooks::{self as store, Claimed, Outcome};
use crate::telemetry::names;
use reqwest::header::CONTENT_TYPE;
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

/// Deliveries claimed (and sent concurrently) at once.
const BATCH: i64 = 16;
/// The longest sleep between two looks at the outbox.
const POLL: Duration = Duration::from_secs(5);
/// The shortest, so that a busy outbox never spins.
const MIN_WAIT: Duration = Duration::from_millis(20);
/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);
/// How long past its timeout an attempt's claim holds, for recording the outcome.
const LEASE_MARGIN_SECONDS: i64 = 10;
/// Error texts are kept this short.
const MAX_ERROR_CHARS: usize = 500;

/// How deliveries are made.
#[derive(Clone, Debug)]
pub struct WorkerSettings {
    /// Deliver to private and loopback addresses too (development and tests only).
    pub allow_private: bool,
    /// The whole of one attempt, connection included.
    pub timeout: Duration,
    /// Attempts before a delivery is given up as failed.
    pub max_attempts: i32,
    /// The wait after the first failed attempt; it doubles after each further one.
    pub retry_base: Duration,
}

impl WorkerSettings {
    /// The wait after `attempts` failed attempts, or `None` when there are no attempts left.
    pub fn backoff(&self, attempts: i32) -> Option<Duration> {
        if attempts >= self.max_attempts {
            return None;
        }
        let doublings = attempts.saturating_sub(1).clamp(0, 30) as u32;
        Some(self.retry_base.saturating_mul(1 << doublings).min(MAX_BACKOFF))
    }

    /// A claim outlives any attempt (the timeout bounds it) and the recording of its outcome;
    /// after it, another worker takes the delivery over, so a crashed attempt is retried
    /// within seconds of the timeout.
    fn lease(&self) -> i64 {
        self.timeout.as_secs() as i64 + LEASE_MARGIN_SECONDS
    }
}

/// Starts the worker of this server; the handle stops it.
pub fn spawn(
    db: DatabaseConnection,
    hub: Arc<EventHub>,
    settings: WorkerSettings,
) -> anyhow::Result<tokio::task::AbortHandle> {
    let client = reqwest::Client::builder()
        .timeout(settings.timeout)
        .connect_timeout(settings.timeout.min(Duration::from_secs(5)))
        // a redirect could lead anywhere, and a proxy from the environment past the checks
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(GuardedResolver { allow_private: settings.allow_private }))
        .user_agent(concat!("ocindex-webhooks/", env!("CARGO_PKG_VERSION")))
        .build()?;
    let mut wake = hub.subscribe();
    let task = tokio::spawn(async move {
        let _hub = hub; // the events channel lives as long as its listener
        loop {
            if let Err(err) = deliver_due(&db, &client, &settings).await {
                tracing::warn!(error = %err, "webhook deliveries: cannot read the outbox");
            }
            let wait = match store::next_due_in(&db).await {
                Ok(Some(seconds)) => Duration::from_secs_f64(seconds).clamp(MIN_WAIT, POLL),
                _ => POLL,
            };
            tokio::select! {
                _ = wake.recv() => {}
                () = tokio::time::sleep(wait) => {}
            }
        }
    });
    Ok(task.abort_handle())
}

/// Delivers everything due now, a batch at a time.
async fn deliver_due(
    db: &DatabaseConnection,
    client: &reqwest::Client,
    settings: &WorkerSettings,
) -> Result<(), sea_orm::DbErr> {
    loop {
        let claimed = store::claim_due(db, BATCH, settings.lease()).await?;
        let count = claimed.len() as i64;
        let mut sending = JoinSet::new();
        for delivery in claimed {
            let (db, client, settings) = (db.clone(), client.clone(), settings.clone());
            sending.spawn(async move {
                let outcome = attempt(&client, &settings, &delivery).await;
                if let Err(err) = store::record_attempt(&db, delivery.id, &outcome).await {
                    // the lease runs out and the delivery is tried again: at least once
                    tracing::warn!(error = %err, delivery = delivery.id, "cannot record an attempt");
                }
            });
        }
        while sending.join_next().await.is_some() {}
        if count < BATCH {
            return Ok(());
        }
    }
}

/// One attempt to deliver, timed.
async fn attempt(
    client: &reqwest::Client,
    settings: &WorkerSettings,
    delivery: &Claimed,
) -> Outcome {
    let started = Instant::now();
    let result = send(client, settings, delivery).await;
    let duration_ms = started.elapsed().as_millis().min(i32::MAX as u128) as i32;
    let retry = |delivered: bool| {
        (!delivered).then(|| settings.backoff(delivery.attempts)).flatten().map(|d| d.as_secs_f64())
    };
    let outcome = match result {
        Ok(status) if status.is_success() => Outcome {
            status_code: Some(status.as_u16().into()),
            duration_ms,
            error: None,
            delivered: true,
            retry_in_seconds: None,
        },
        Ok(status) => Outcome {
            status_code: Some(status.as_u16().into()),
            duration_ms,
            error: Some(format!("the endpoint answered {status}")),
            delivered: false,
            retry_in_seconds: retry(false),
        },
        Err(error) => Outcome {
            status_code: None,
            duration_ms,
            error: Some(error.chars().take(MAX_ERROR_CHARS).collect()),
            delivered: false,
            retry_in_seconds: retry(false),
        },
    };
    let label = match (&outcome.delivered, &outcome.retry_in_seconds) {
        (true, _) => "delivered",
        (false, Some(_)) => "retry",
        (false, None) => "failed",
    };
    metrics::counter!(names::WEBHOOK_DELIVERIES, "event" => delivery.event.clone(), "outcome" => label)
        .increment(1);
    metrics::histogram!(names::WEBHOOK_DURATION, "outcome" => label)
        .record(f64::from(duration_ms) / 1000.0);
    tracing::info!(
        delivery = delivery.id,
        event = %delivery.event,
        attempt = delivery.attempts,
        status = ?outcome.status_code,
        duration_ms,
        error = outcome.error.as_deref(),
        "webhook attempt"
    );
    outcome
}

async fn send(
    client: &reqwest::Client,
    settings: &WorkerSettings,
    delivery: &Claimed,
) -> Result<reqwest::StatusCode, String> {
    // checked again now: the address a name leads to may have changed since creation
    let url = address::check_url(&delivery.url, settings.allow_private).await?;
    let response = client
        .post(url)
        .header(CONTENT_TYPE, "application/json")
        .header("X-OCIndex-Event", &delivery.event)
        .header("X-OCIndex-Delivery", &delivery.event_id)
        .header(
            "X-OCIndex-Signature",
            signing::signature(&delivery.secret, delivery.body.as_bytes()),
        )
        .body(delivery.body.clone())
        .send()
        .await
        .map_err(|e| describe(&e))?;
    Ok(response.status())
}

/// The error and its causes on one line: reqwest's own message alone says little.
fn describe(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_gives_up() {
        let settings = WorkerSettings {
            allow_private: false,
            timeout: Duration::from_secs(10),
            max_attempts: 4,
            retry_base: Duration::from_secs(1),
        };
        let waits: Vec<_> = (1..=4).map(|n| settings.backoff(n)).collect();
        let s = Duration::from_secs;
        assert_eq!(waits, vec![Some(s(1)), Some(s(2)), Some(s(4)), None]);
        let many = WorkerSettings { max_attempts: 100, ..settings };
        assert_eq!(many.backoff(60), Some(MAX_BACKOFF));
    }
}
