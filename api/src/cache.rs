//! Cache of public GraphQL responses. The Index changes a few times a year and every read
//! of the public is a pure function of the query and the data, so a response computed once
//! is served again until the data changes. Every write to the data tables notifies
//! `ocindex_changes` (a trigger in the database, so writes by any process count), and each
//! server empties its cache when it hears it. While the server is not listening, the cache is
//! bypassed rather than trusted.
use sea_orm::sqlx::postgres::PgListener;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// The channel the database's triggers notify on every change to the data.
pub const CHANNEL: &str = "ocindex_changes";

/// Entries kept at most; when full, the cache starts over (public queries are few and alike).
pub const MAX_ENTRIES: usize = 10_000;

/// Answers by request; `V` is what is kept of an answer: for the server, its bytes with their
/// tag and compressed forms.
pub struct ResponseCache<V = Arc<crate::http::PublicAnswer>> {
    entries: RwLock<HashMap<Box<[u8]>, V>>,
    /// Bumped on every change; a response computed under an older generation is not kept.
    generation: AtomicU64,
    listening: AtomicBool,
}

impl<V> Default for ResponseCache<V> {
    fn default() -> Self {
        Self {
            entries: RwLock::default(),
            generation: AtomicU64::default(),
            listening: AtomicBool::default(),
        }
    }
}

impl<V: Clone + Send + Sync + 'static> ResponseCache<V> {
    pub fn get(&self, key: &[u8]) -> Option<V> {
        if !self.listening.load(Ordering::Acquire) {
            return None;
        }
        self.entries.read().ok()?.get(key).cloned()
    }

    /// How many responses are held (the `ocindex_response_cache_entries` gauge).
    pub fn len(&self) -> usize {
        self.entries.read().map_or(0, |entries| entries.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The generation to pass to [`Self::insert`], taken before computing a response.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Keeps a response computed under `generation`, unless the data changed meanwhile.
    pub fn insert(&self, key: &[u8], response: V, generation: u64) {
        if !self.listening.load(Ordering::Acquire) {
            return;
        }
        let Ok(mut entries) = self.entries.write() else { return };
        // checked under the lock: invalidate() bumps the generation before clearing
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key.into(), response);
    }

    /// Whether the server hears the change notifications: what is kept (answers here,
    /// reference data in `crate::reference`) may be trusted only while it does.
    pub fn is_listening(&self) -> bool {
        self.listening.load(Ordering::Acquire)
    }

    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        if let Ok(mut entries) = self.entries.write() {
            entries.clear();
        }
    }

    fn set_listening(&self, listening: bool) {
        self.invalidate();
        self.listening.store(listening, Ordering::Release);
    }

    /// Listens for changes for as long as the process lives, reconnecting after failures.
    /// Returns once the first attempt to listen has succeeded or failed, so that a server
    /// caches from its first request.
    pub async fn listen(self: Arc<Self>, database_url: String) {
        let first = subscribe(&database_url).await;
        if first.is_ok() {
            self.set_listening(true);
        }
        tokio::spawn(async move {
            let mut next = Some(first);
            let mut backoff = Duration::from_millis(200);
            loop {
                let attempt = match next.take() {
                    Some(attempt) => attempt,
                    None => subscribe(&database_url).await,
                };
                match attempt {
                    Ok(mut listener) => {
                        self.set_listening(true);
                        backoff = Duration::from_millis(200);
                        while listener.recv().await.is_ok() {
                            self.invalidate();
                            metrics::counter!(crate::telemetry::names::CACHE_INVALIDATIONS)
                                .increment(1);
                        }
                        tracing::warn!(
                            "lost the change notifications: serving uncached until reconnected"
                        );
                    }
                    Err(err) => {
                        tracing::warn!(error = %err, "cannot listen for changes: serving uncached")
                    }
                }
                self.set_listening(false);
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(10));
            }
        });
    }
}

async fn subscribe(database_url: &str) -> Result<PgListener, sea_orm::sqlx::Error> {
    let mut listener = PgListener::connect(database_url).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Bytes;

    fn listening() -> ResponseCache<Bytes> {
        let cache = ResponseCache::default();
        cache.listening.store(true, Ordering::Release);
        cache
    }

    #[test]
    fn a_response_computed_before_a_change_is_not_kept() {
        let cache = listening();
        let before = cache.generation();
        cache.invalidate();
        cache.insert(b"q", Bytes::from_static(b"old"), before);
        assert_eq!(cache.get(b"q"), None);
        cache.insert(b"q", Bytes::from_static(b"new"), cache.generation());
        assert_eq!(cache.get(b"q"), Some(Bytes::from_static(b"new")));
    }

    #[test]
    fn without_notifications_nothing_is_cached() {
        let cache = ResponseCache::<Bytes>::default();
        cache.insert(b"q", Bytes::from_static(b"r"), cache.generation());
        assert_eq!(cache.get(b"q"), None);
    }
}
