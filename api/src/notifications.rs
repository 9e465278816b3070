//! Hearing a Postgres notification channel for as long as the process lives. Notifications
//! are not queued for a listener that is away: whatever is sent while its connection is down
//! is lost. So a lost connection is never papered over (sqlx's `PgListener::recv` reconnects
//! silently and would hide the gap): the subscriber is told when the connection drops and,
//! on every reconnection, how long it was away, so that it can treat the gap as "anything may
//! have changed".
use sea_orm::sqlx::postgres::PgListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The first wait before reconnecting; doubled after each failure up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// What hears a channel.
pub trait Subscriber: Send + Sync + 'static {
    /// The channel is heard from now on; `gap` is how long it was not (none at the start).
    fn connected(&self, gap: Option<Duration>);
    /// A notification's payload.
    fn notified(&self, payload: &str);
    /// The connection is lost: notifications from now on are missed until [`Self::connected`].
    fn lost(&self);
}

/// Listens to `channel` of `database_url` for as long as the process lives, reconnecting
/// after failures. Returns once the first attempt has succeeded (the subscriber has then been
/// told it is connected) or failed, so that a server hears changes from its first request.
/// `what` names the channel's purpose in the log.
pub async fn listen(
    database_url: String,
    channel: &'static str,
    what: &'static str,
    subscriber: Arc<dyn Subscriber>,
) {
    let mut attempt = subscribe(&database_url, channel).await;
    let mut connected = false;
    if attempt.is_ok() {
        subscriber.connected(None);
        connected = true;
    }
    tokio::spawn(async move {
        let mut backoff = FIRST_BACKOFF;
        // since when notifications may have been missed
        let mut lost_since: Option<Instant> = None;
        loop {
            match attempt {
                Ok(mut listener) => {
                    if !connected {
                        let gap = lost_since.take().map(|since| since.elapsed());
                        if let Some(gap) = gap {
                            tracing::warn!(
                                channel,
                                gap_ms = gap.as_millis() as u64,
                                "listening again to {what}: anything may have changed in the gap"
                            );
                        }
                        subscriber.connected(gap);
                    }
                    backoff = FIRST_BACKOFF;
                    // `Ok(None)`: the connection dropped (`try_recv` reports it, unlike `recv`)
                    let error = loop {
                        match listener.try_recv().await {
                            Ok(Some(notification)) => subscriber.notified(notification.payload()),
                            Ok(None) => break None,
                            Err(err) => break Some(err),
                        }
                    };
                    lost_since = Some(Instant::now());
                    connected = false;
                    subscriber.lost();
                    match error {
                        Some(err) => {
                            tracing::warn!(channel, error = %err, "lost {what}: reconnecting")
                        }
                        None => tracing::warn!(channel, "lost {what}: reconnecting"),
                    }
                }
                Err(err) => {
                    lost_since.get_or_insert_with(Instant::now);
                    tracing::warn!(channel, error = %err, "cannot listen to {what}");
                }
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
            attempt = subscribe(&database_url, channel).await;
        }
    });
}

async fn subscribe(database_url: &str, channel: &str) -> Result<PgListener, sea_orm::sqlx::Error> {
    let mut listener = PgListener::connect(database_url).await?;
    listener.listen(channel).await?;
    Ok(listener)
}
