//! Compression: gzip, br and zstd, negotiated from `Accept-Encoding`, for answers of about a
//! kilobyte or more. Public answers are compressed once per encoding and kept with the cached
//! answer (see `cache_headers`); everything else (authenticated answers, the IDE, the SDL) goes
//! through tower-http's layer, which leaves an answer that is already encoded alone.
use axum::body::Bytes;
use axum::http::{header, HeaderMap, HeaderValue};
use std::io::Write as _;
use tower_http::compression::predicate::{DefaultPredicate, Predicate, SizeAbove};
use tower_http::compression::CompressionLayer;

/// Smaller answers gain less than the encoding's own overhead and the client's time.
pub const MIN_BYTES: usize = 1024;

/// An encoding both sides speak.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Br,
    Zstd,
    Gzip,
}

impl Encoding {
    /// The encoding to answer with: the client's best-rated, br before zstd before gzip at
    /// equal rating (br is smallest on JSON); none when the client accepts none of them.
    pub fn negotiate(headers: &HeaderMap) -> Option<Self> {
        let accepted = headers.get(header::ACCEPT_ENCODING)?.to_str().ok()?;
        let mut best: Option<(f32, Self)> = None;
        for item in accepted.split(',') {
            let mut parts = item.split(';');
            let name = parts.next().unwrap_or_default().trim();
            let quality = parts
                .find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.trim().parse().ok()))
                .unwrap_or(1.0_f32);
            let encoding = match name.to_ascii_lowercase().as_str() {
                "br" => Self::Br,
                "zstd" => Self::Zstd,
                "gzip" => Self::Gzip,
                _ => continue,
            };
            let better = match best {
                None => true,
                Some((q, e)) => quality > q || (quality == q && encoding.rank() < e.rank()),
            };
            if quality > 0.0 && better {
                best = Some((quality, encoding));
            }
        }
        best.map(|(_, encoding)| encoding)
    }

    fn rank(self) -> u8 {
        self as u8
    }

    pub fn header_value(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Self::Br => "br",
            Self::Zstd => "zstd",
            Self::Gzip => "gzip",
        })
    }

    /// `bytes` encoded; levels chosen for answers compressed once and sent many times.
    pub fn compress(self, bytes: &[u8]) -> Bytes {
        let encoded = match self {
            Self::Br => {
                let mut writer = brotli::CompressorWriter::new(Vec::new(), 64 * 1024, 9, 22);
                writer.write_all(bytes).map(|()| writer.into_inner())
            }
            Self::Zstd => zstd::bulk::compress(bytes, 9),
            Self::Gzip => {
                let mut encoder =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(9));
                encoder.write_all(bytes).and_then(|()| encoder.finish())
            }
        };
        // writing to memory cannot fail
        Bytes::from(encoded.unwrap_or_default())
    }
}

/// The layer for answers that are not cached: compressed per response, above [`MIN_BYTES`].
pub fn layer() -> CompressionLayer<impl Predicate> {
    CompressionLayer::new()
        .compress_when(DefaultPredicate::new().and(SizeAbove::new(MIN_BYTES as u16)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read as _;

    fn negotiate(value: &str) -> Option<Encoding> {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(value).unwrap());
        Encoding::negotiate(&headers)
    }

    #[test]
    fn the_best_rated_encoding_wins_and_br_breaks_ties() {
        assert_eq!(negotiate("gzip, deflate, br, zstd"), Some(Encoding::Br));
        assert_eq!(negotiate("gzip, zstd"), Some(Encoding::Zstd));
        assert_eq!(negotiate("br;q=0.5, gzip"), Some(Encoding::Gzip));
        assert_eq!(negotiate("gzip;q=0, identity"), None);
        assert_eq!(Encoding::negotiate(&HeaderMap::new()), None);
    }

    #[test]
    fn every_encoding_gives_back_the_bytes() {
        let json = br#"{"data":{"ranking":{"nodes":[{"rank":1,"value":7.75}]}}}"#.repeat(100);
        let mut gzip = Vec::new();
        flate2::read::GzDecoder::new(&Encoding::Gzip.compress(&json)[..])
            .read_to_end(&mut gzip)
            .unwrap();
        assert_eq!(gzip, json);
        let zstd = zstd::bulk::decompress(&Encoding::Zstd.compress(&json), json.len()).unwrap();
        assert_eq!(zstd, json);
        let mut br = Vec::new();
        brotli::Decompressor::new(&Encoding::Br.compress(&json)[..], 4096)
            .read_to_end(&mut br)
            .unwrap();
        assert_eq!(br, json);
        assert!(Encoding::Br.compress(&json).len() < json.len() / 10);
    }
}
