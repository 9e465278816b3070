//! HTTP caching of public answers, so that browsers and CDNs can keep figures that change a
//! few times a year: a strong `ETag` (a digest of the answer's bytes, so it changes whenever
//! the data changes, whichever process changed it, and every server computes the same one),
//! `Cache-Control: public, max-age, stale-while-revalidate`, `Vary` on what changes the
//! answer, and 304 for an `If-None-Match` that still matches. Authenticated answers are
//! `private, no-store`. A public answer is kept with its compressed forms, each made once.
use super::compression::{Encoding, MIN_BYTES};
use super::media::AnswerType;
use super::metrics::OperationMetrics;
use crate::config::HttpSettings;
use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// What makes two requests for the same URL and body get different answers: the answer's
/// media type, its encoding, and who asks.
const VARY: HeaderValue = HeaderValue::from_static("Accept, Accept-Encoding, Authorization");
const PRIVATE: HeaderValue = HeaderValue::from_static("private, no-store");
const NO_STORE: HeaderValue = HeaderValue::from_static("no-store");

/// A successful public answer, as served from the cache.
pub struct PublicAnswer {
    body: Bytes,
    etag: HeaderValue,
    br: OnceLock<Bytes>,
    zstd: OnceLock<Bytes>,
    gzip: OnceLock<Bytes>,
    /// The operation a hit counts as, resolved when the answer was made, so that serving it
    /// again parses nothing.
    operation: Option<OperationMetrics>,
}

impl PublicAnswer {
    pub fn new(body: Bytes) -> Self {
        Self {
            etag: etag(&body),
            body,
            br: OnceLock::new(),
            zstd: OnceLock::new(),
            gzip: OnceLock::new(),
            operation: None,
        }
    }

    /// The answer of a GraphQL operation, whose later hits count as that operation.
    pub fn of_operation(body: Bytes, operation: OperationMetrics) -> Self {
        Self { operation: Some(operation), ..Self::new(body) }
    }

    /// What a hit on this answer counts as.
    pub fn operation(&self) -> Option<&OperationMetrics> {
        self.operation.as_ref()
    }

    /// The bytes this answer holds in memory: its body, tag and the compressed forms made so
    /// far (the answer cache weighs entries by it).
    pub fn weight(&self) -> usize {
        let forms = [&self.br, &self.zstd, &self.gzip];
        let compressed: usize = forms.iter().filter_map(|f| f.get()).map(Bytes::len).sum();
        std::mem::size_of::<Self>() + self.body.len() + self.etag.len() + compressed
    }

    /// The answer's bytes, as computed (uncompressed).
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The answer to `request` (its headers): 304 when its `If-None-Match` holds this
    /// answer's tag, else the body in the best encoding the client accepts.
    pub fn respond(
        &self,
        request: &HeaderMap,
        answer_type: AnswerType,
        cache_control: &HeaderValue,
    ) -> Response {
        let mut headers = HeaderMap::with_capacity(6);
        headers.insert(header::ETAG, self.etag.clone());
        headers.insert(header::CACHE_CONTROL, cache_control.clone());
        headers.insert(header::VARY, VARY);
        if matches_etag(request, &self.etag) {
            return (StatusCode::NOT_MODIFIED, headers).into_response();
        }
        headers.insert(header::CONTENT_TYPE, answer_type.content_type());
        let encoding = Encoding::negotiate(request).filter(|_| self.body.len() >= MIN_BYTES);
        let body = match encoding {
            None => self.body.clone(),
            Some(encoding) => {
                headers.insert(header::CONTENT_ENCODING, encoding.header_value());
                let slot = match encoding {
                    Encoding::Br => &self.br,
                    Encoding::Zstd => &self.zstd,
                    Encoding::Gzip => &self.gzip,
                };
                slot.get_or_init(|| encoding.compress(&self.body)).clone()
            }
        };
        (headers, Body::from(body)).into_response()
    }
}

/// A strong tag: the first 128 bits of the SHA-256 of the bytes, in hex, quoted.
fn etag(body: &[u8]) -> HeaderValue {
    let tag = format!("\"{}\"", hex::encode(&Sha256::digest(body)[..16]));
    HeaderValue::from_str(&tag).expect("hex digits are a valid header value")
}

/// Whether `If-None-Match` lists `etag` (or is `*`). Weak tags compare weakly, as RFC 9110
/// asks of `If-None-Match`.
fn matches_etag(request: &HeaderMap, etag: &HeaderValue) -> bool {
    let etag = etag.as_bytes();
    request.get_all(header::IF_NONE_MATCH).iter().any(|value| {
        value.as_bytes().split(|&b| b == b',').any(|candidate| {
            let candidate = candidate.trim_ascii();
            candidate == b"*" || candidate.strip_prefix(b"W/").unwrap_or(candidate) == etag
        })
    })
}

/// `Cache-Control` of public answers, made once per server.
pub fn public_cache_control(settings: &HttpSettings) -> HeaderValue {
    let value = format!(
        "public, max-age={}, stale-while-revalidate={}",
        settings.cache_max_age, settings.cache_stale_while_revalidate
    );
    HeaderValue::from_str(&value).expect("digits are a valid header value")
}

/// Marks an answer that only its caller may keep: authenticated answers (drafts, keys). It has
/// no tag to revalidate: nothing keeps it.
pub fn private(mut response: Response) -> Response {
    response.headers_mut().remove(header::ETAG);
    response.headers_mut().insert(header::CACHE_CONTROL, PRIVATE);
    response.headers_mut().insert(header::VARY, VARY);
    response
}

/// Marks a public answer that no cache should keep: errors (limits, unknown codes, outages).
pub fn uncacheable(mut response: Response) -> Response {
    response.headers_mut().insert(header::CACHE_CONTROL, NO_STORE);
    response.headers_mut().insert(header::VARY, VARY);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(if_none_match: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::IF_NONE_MATCH, HeaderValue::from_str(if_none_match).unwrap());
        headers
    }

    #[test]
    fn an_answer_weighs_its_body_tag_and_every_compressed_form_it_holds() {
        let body: Vec<u8> =
            (0..20_000u32).flat_map(|i| format!("{{\"n\":{i}}},").into_bytes()).collect();
        let answer = PublicAnswer::new(Bytes::from(body.clone()));
        let bare = answer.weight();
        assert!(bare >= body.len() + 34, "{bare}");
        let mut accepts = HeaderMap::new();
        accepts.insert(header::ACCEPT_ENCODING, HeaderValue::from_static("gzip"));
        let _ = answer.respond(
            &accepts,
            AnswerType::Json,
            &public_cache_control(&HttpSettings::default()),
        );
        let gzip = answer.gzip.get().expect("made on the first gzip answer").len();
        assert!(gzip > 0 && gzip < body.len());
        assert_eq!(answer.weight(), bare + gzip);
    }

    #[test]
    fn the_tag_follows_the_bytes_and_revalidation_matches_it() {
        let answer = PublicAnswer::new(Bytes::from_static(br#"{"data":{"a":1}}"#));
        let other = PublicAnswer::new(Bytes::from_static(br#"{"data":{"a":2}}"#));
        assert_ne!(answer.etag, other.etag);
        assert_eq!(answer.etag, PublicAnswer::new(answer.body.clone()).etag);
        let settings = public_cache_control(&HttpSettings::default());
        let tag = answer.etag.to_str().unwrap().to_owned();
        for matching in [tag.clone(), format!("W/{tag}"), format!("\"x\", {tag}"), "*".into()] {
            let response = answer.respond(&request(&matching), AnswerType::Json, &settings);
            assert_eq!(response.status(), StatusCode::NOT_MODIFIED, "{matching}");
        }
        let stale = other.etag.to_str().unwrap().to_owned();
        let response = answer.respond(&request(&stale), AnswerType::Json, &settings);
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()[header::CACHE_CONTROL],
            "public, max-age=60, stale-while-revalidate=600"
        );
    }
}
