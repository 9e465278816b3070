//! Apollo's automatic persisted queries (APQ): a client sends a query's SHA-256 instead of its
//! text; when the server does not know the hash yet it answers `PersistedQueryNotFound`
//! exactly as Apollo's link expects, and the client sends text and hash together once. Hashed
//! GETs are short and stable URLs, which CDNs can cache. The store is bounded in bytes, the
//! least recently used queries leaving first.
use async_graphql::{Request, Value};
use lru::LruCache;
use sha2::{Digest, Sha256};
use std::sync::{Arc, Mutex};

/// Queries longer than this run but are not kept: a persisted query is a document a client
/// ships, not a generated blob.
pub const MAX_QUERY_BYTES: usize = 64 * 1024;

/// Why a request's persisted query cannot be used.
#[derive(Debug, PartialEq, Eq)]
pub enum Unusable {
    /// The hash is not known (yet): the client should send the text with it.
    NotFound,
    /// The extension is malformed, or the text does not hash to the hash sent.
    Invalid(String),
}

pub struct PersistedQueries {
    store: Mutex<Store>,
}

struct Store {
    queries: LruCache<String, Arc<str>>,
    bytes: usize,
    max_bytes: usize,
}

impl PersistedQueries {
    pub fn new(max_bytes: usize) -> Self {
        let store = Store { queries: LruCache::unbounded(), bytes: 0, max_bytes };
        Self { store: Mutex::new(store) }
    }

    /// Fills in the text of a hash-only request, and keeps the text of a request that sends
    /// both (after checking that they agree). A request without the extension is left alone.
    pub fn resolve(&self, request: &mut Request) -> Result<(), Unusable> {
        let Some(extension) = request.extensions.get("persistedQuery") else { return Ok(()) };
        let Value::Object(fields) = extension else {
            return Err(Unusable::Invalid("persistedQuery must be an object".into()));
        };
        if fields.get("version") != Some(&Value::from(1)) {
            return Err(Unusable::Invalid("persistedQuery: only version 1 is supported".into()));
        }
        let hash = match fields.get("sha256Hash") {
            Some(Value::String(hash))
                if hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) =>
            {
                hash.to_ascii_lowercase()
            }
            _ => {
                return Err(Unusable::Invalid(
                    "persistedQuery.sha256Hash must be 64 hexadecimal digits".into(),
                ))
            }
        };
        let mut store = self.store.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if request.query.is_empty() {
            let text = store.queries.get(&hash).ok_or(Unusable::NotFound)?;
            request.query = text.to_string();
            return Ok(());
        }
        let digest = Sha256::digest(request.query.as_bytes());
        let actual = hex::encode(digest);
        if actual != hash {
            return Err(Unusable::Invalid(
                "persistedQuery.sha256Hash is not the SHA-256 of the query".into(),
            ));
        }
        if request.query.len() <= MAX_QUERY_BYTES && !store.queries.contains(&hash) {
            store.insert(hash, request.query.as_str().into());
        }
        Ok(())
    }
}

impl Store {
    fn insert(&mut self, hash: String, text: Arc<str>) {
        let size = hash.len() + text.len();
        self.bytes += size;
        self.queries.put(hash, text);
        while self.bytes > self.max_bytes {
            let Some((hash, text)) = self.queries.pop_lru() else { break };
            self.bytes -= hash.len() + text.len();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hashed(query: &str, hash: &str) -> Request {
        let mut request = Request::new(query);
        let extension = serde_json::json!({ "version": 1, "sha256Hash": hash });
        request.extensions.insert("persistedQuery".into(), Value::from_json(extension).unwrap());
        request
    }

    fn sha(text: &str) -> String {
        hex::encode(Sha256::digest(text.as_bytes()))
    }

    #[test]
    fn a_hash_is_unknown_until_sent_with_its_text() {
        let store = PersistedQueries::new(1 << 20);
        let text = "{ editions { year } }";
        assert_eq!(store.resolve(&mut hashed("", &sha(text))), Err(Unusable::NotFound));
        store.resolve(&mut hashed(text, &sha(text))).unwrap();
        let mut request = hashed("", &sha(text));
        store.resolve(&mut request).unwrap();
        assert_eq!(request.query, text);
        assert!(matches!(
            store.resolve(&mut hashed("{ other }", &sha(text))),
            Err(Unusable::Invalid(_))
        ));
        assert!(matches!(store.resolve(&mut hashed("", "abc")), Err(Unusable::Invalid(_))));
    }

    #[test]
    fn the_store_keeps_within_its_bytes_dropping_the_least_recently_used() {
        let store = PersistedQueries::new(3 * (64 + 30));
        let texts: Vec<String> =
            (0..10).map(|i| format!("{{ editions {{ year }} }} # {i:05}")).collect();
        for text in &texts {
            store.resolve(&mut hashed(text, &sha(text))).unwrap();
        }
        let kept = store.store.lock().unwrap();
        assert!(kept.bytes <= 3 * (64 + 30));
        assert_eq!(kept.queries.len(), 3);
        assert!(kept.queries.contains(&sha(&texts[9])));
        assert!(!kept.queries.contains(&sha(&texts[0])));
    }
}
