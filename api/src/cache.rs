//! Cache of public GraphQL responses. The Index changes a few times a year and every read
//! of the public is a pure function of the query and the data, so a response computed once
//! is served again until the data changes. Every write to the data tables notifies
//! `ocindex_changes` (a trigger in the database, so writes by any process count), and each
//! server empties its cache when it hears it. While the server is not listening, the cache is
//! bypassed rather than trusted.
//!
//! The cache is weighed in bytes (`OCINDEX_CACHE_MAX_BYTES`): an answer counts with its key,
//! its tag and every compressed form it holds, so that its memory stays within the budget
//! whatever the answers' sizes; the least useful answers leave first (moka's TinyLFU, which
//! also keeps a flood of one-off queries from pushing out the popular ones).
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// The channel the database's triggers notify on every change to the data.
pub const CHANNEL: &str = "ocindex_changes";

/// What an entry costs besides its key and value: the cache's own bookkeeping (an estimate).
const ENTRY_OVERHEAD: usize = 160;

/// The bytes a kept value holds in memory, counted in the cache's budget.
pub trait Weigh {
    fn weight(&self) -> usize;
}

impl Weigh for Arc<crate::http::PublicAnswer> {
    fn weight(&self) -> usize {
        crate::http::PublicAnswer::weight(self)
    }
}

impl Weigh for axum::body::Bytes {
    fn weight(&self) -> usize {
        self.len()
    }
}

/// Answers by request; `V` is what is kept of an answer: for the server, its bytes with their
/// tag and compressed forms.
pub struct ResponseCache<V = Arc<crate::http::PublicAnswer>> {
    entries: moka::sync::Cache<Box<[u8]>, V>,
    /// Bumped on every change; a response computed under an older generation is not kept.
    generation: AtomicU64,
    listening: AtomicBool,
    /// Held shared by an insert (between its generation check and the insert) and exclusively
    /// by an invalidation, so that no answer of an older generation lands after one.
    changes: RwLock<()>,
}

impl<V: Weigh + Clone + Send + Sync + 'static> Default for ResponseCache<V> {
    fn default() -> Self {
        Self::new(crate::config::DEFAULT_CACHE_MAX_BYTES)
    }
}

impl<V: Weigh + Clone + Send + Sync + 'static> ResponseCache<V> {
    /// A cache holding at most `max_bytes` of answers.
    #[allow(clippy::borrowed_box)]
    pub fn new(max_bytes: u64) -> Self {
        let entries = moka::sync::Cache::builder()
            .max_capacity(max_bytes)
            // moka hands the key as its own type, a box
            .weigher(|key: &Box<[u8]>, value: &V| {
                let bytes = key.len() + value.weight() + ENTRY_OVERHEAD;
                u32::try_from(bytes).unwrap_or(u32::MAX)
            })
            .build();
        Self {
            entries,
            generation: AtomicU64::default(),
            listening: AtomicBool::default(),
            changes: RwLock::default(),
        }
    }

    pub fn get(&self, key: &[u8]) -> Option<V> {
        if !self.listening.load(Ordering::Acquire) {
            return None;
        }
        self.entries.get(key)
    }

    /// How many responses are held (the `ocindex_response_cache_entries` gauge).
    pub fn len(&self) -> usize {
        self.entries.run_pending_tasks();
        self.entries.entry_count() as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes held, as weighed (the `ocindex_response_cache_bytes` gauge).
    pub fn weight(&self) -> u64 {
        self.entries.run_pending_tasks();
        self.entries.weighted_size()
    }

    /// The generation to pass to [`Self::insert`], taken before computing a response.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Keeps a response computed under `generation`, unless the data changed meanwhile. Keeping
    /// again a value already kept weighs it anew (once it holds a compressed form more).
    pub fn insert(&self, key: &[u8], response: V, generation: u64) {
        if !self.listening.load(Ordering::Acquire) {
            return;
        }
        let Ok(_unchanged) = self.changes.read() else { return };
        // checked under the lock: invalidate() bumps the generation under it, exclusively
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        self.entries.insert(key.into(), response);
    }

    /// Whether the server hears the change notifications: what is kept (answers here,
    /// reference data in `crate::reference`) may be trusted only while it does.
    pub fn is_listening(&self) -> bool {
        self.listening.load(Ordering::Acquire)
    }

    pub fn invalidate(&self) {
        let _changing = self.changes.write();
        self.generation.fetch_add(1, Ordering::AcqRel);
        // nothing kept before this call is returned after it
        self.entries.invalidate_all();
    }

    fn set_listening(&self, listening: bool) {
        self.invalidate();
        self.listening.store(listening, Ordering::Release);
    }

    /// Listens for changes for as long as the process lives, reconnecting after failures.
    /// Returns once the first attempt to listen has succeeded or failed, so that a server
    /// caches from its first request. While the connection is down nothing is cached or
    /// served from the cache; on reconnection the cache starts empty, since changes made in
    /// the gap were not heard.
    pub async fn listen(self: Arc<Self>, database_url: String) {
        crate::notifications::listen(database_url, CHANNEL, "the change notifications", self).await;
    }
}

impl<V: Weigh + Clone + Send + Sync + 'static> crate::notifications::Subscriber
    for ResponseCache<V>
{
    fn connected(&self, gap: Option<Duration>) {
        if gap.is_some() {
            metrics::counter!(crate::telemetry::names::CACHE_GAPS).increment(1);
        }
        self.set_listening(true);
    }

    fn notified(&self, _payload: &str) {
        self.invalidate();
        metrics::counter!(crate::telemetry::names::CACHE_INVALIDATIONS).increment(1);
    }

    fn lost(&self) {
        tracing::warn!("serving uncached until the change notifications are heard again");
        self.set_listening(false);
    }
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
    fn the_cache_holds_at_most_its_budget_in_bytes() {
        let cache = ResponseCache::<Bytes>::new(64 * 1024);
        cache.listening.store(true, Ordering::Release);
        let answer = Bytes::from(vec![b'x'; 4096]);
        for i in 0..200u32 {
            cache.insert(&i.to_be_bytes(), answer.clone(), cache.generation());
        }
        // 200 answers of 4 KiB would be 800 KiB: at most 64 KiB of them stay
        assert!(cache.weight() <= 64 * 1024, "{} bytes held", cache.weight());
        assert!(cache.len() < 200);
        assert!(cache.len() >= 10, "the budget is used: {} answers", cache.len());
    }

    #[test]
    fn without_notifications_nothing_is_cached() {
        let cache = ResponseCache::<Bytes>::default();
        cache.insert(b"q", Bytes::from_static(b"r"), cache.generation());
        assert_eq!(cache.get(b"q"), None);
    }
}
