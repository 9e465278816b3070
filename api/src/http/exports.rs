//! `GET /exports/{year}.csv|json|xlsx` and `/exports/all.csv|json|xlsx`: the bulk downloads
//! of `crate::exports` over HTTP, with the caller's access (drafts only with an EDITOR or
//! ADMIN token), a strong `ETag` from the file's SHA-256, 304s, `Cache-Control`,
//! `Content-Disposition`, and gzip when the client asks for it.
use super::AppState;
use crate::auth::{self, Principal};
use crate::exports::{Format, Scope};
use crate::repo;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::map_response;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::compression::CompressionLayer;

/// The download routes, compressed when asked (a workbook is a zip already).
pub fn routes() -> Router<AppState> {
    let compressible =
        SizeAbove::new(256).and(NotForContentType::const_new(Format::Xlsx.content_type()));
    Router::new()
        .route("/exports/{file}", get(download))
        .layer(CompressionLayer::new().gzip(true).compress_when(compressible))
        // outside the compression: sees the encoding it chose
        .layer(map_response(tag_encoding))
}

async fn download(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some((scope, format)) = parse(&file) else {
        return not_found(format!(
            "no download {file:?}: ask for /exports/YEAR.csv, .json or .xlsx, or /exports/all.csv"
        ));
    };
    let principal = match auth::authenticate(
        &state.reference,
        &state.db,
        &headers,
        state.admin_token.as_deref(),
    )
    .await
    {
        Ok(principal) => principal,
        Err(_) => {
            return (
                StatusCode::UNAUTHORIZED,
                "unknown or revoked token: send a valid Authorization: Bearer <token>, or none",
            )
                .into_response()
        }
    };
    let visibility = principal.visibility();
    let export = match state.exports.resolve(scope, format, visibility).await {
        Ok(Some(export)) => export,
        Ok(None) => {
            let known = repo::catalog::editions(&state.db, visibility).await.unwrap_or_default();
            let known: Vec<String> = known.iter().map(|e| e.year.to_string()).collect();
            return not_found(format!(
                "there is no edition {}; editions: {}",
                scope.stem(),
                known.join(", ")
            ));
        }
        Err(err) => return internal(err),
    };
    let generation = state.exports.generation();
    let digest = match state.exports.digest(&export).await {
        Ok(digest) => digest,
        Err(err) => return internal(err),
    };
    let cache_control =
        if principal == Principal::Anonymous { "public, max-age=60" } else { "private, no-cache" };
    let mut response_headers = HeaderMap::new();
    let etag = format!("\"{}\"", digest.sha256);
    insert(&mut response_headers, header::ETAG, &etag);
    insert(&mut response_headers, header::CACHE_CONTROL, cache_control);
    insert(&mut response_headers, header::VARY, "Accept-Encoding, Authorization");
    if matches(&headers, &digest.sha256) {
        return (StatusCode::NOT_MODIFIED, response_headers).into_response();
    }
    insert(&mut response_headers, header::CONTENT_TYPE, format.content_type());
    let disposition = format!("attachment; filename=\"{}\"", export.file_name());
    insert(&mut response_headers, header::CONTENT_DISPOSITION, &disposition);
    insert(&mut response_headers, header::CONTENT_LENGTH, &digest.bytes.to_string());
    let body = if format == Format::Xlsx {
        match state.exports.xlsx(&export).await {
            Ok(book) => Body::from(book),
            Err(err) => return internal(err),
        }
    } else {
        Body::from_stream(state.exports.stream(&export, generation))
    };
    (response_headers, body).into_response()
}

/// `2023.csv` → (edition 2023, CSV); `all.json` → (all, JSON).
fn parse(file: &str) -> Option<(Scope, Format)> {
    let (stem, extension) = file.rsplit_once('.')?;
    let format = Format::from_extension(extension)?;
    let scope = match stem {
        "all" => Scope::All,
        year if (1..=4).contains(&year.len()) && year.bytes().all(|b| b.is_ascii_digit()) => {
            Scope::Edition(year.parse().ok()?)
        }
        _ => return None,
    };
    Some((scope, format))
}

/// Whether `If-None-Match` names the current file (in any encoding: `"<sha>-gzip"` too).
fn matches(headers: &HeaderMap, sha256: &str) -> bool {
    let Some(value) = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    value.split(',').map(str::trim).any(|tag| {
        let tag = tag.trim_start_matches("W/").trim_matches('"');
        tag == "*" || tag.split('-').next() == Some(sha256)
    })
}

/// A compressed body is another representation: its strong ETag must differ from the
/// plain one's (RFC 9110), so the encoding is appended to it.
async fn tag_encoding(mut response: Response) -> Response {
    let encoding = response
        .headers()
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if let Some(encoding) = encoding {
        let tagged = response
            .headers()
            .get(header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(|etag| format!("\"{}-{encoding}\"", etag.trim_matches('"')));
        if let Some(tagged) = tagged {
            insert(response.headers_mut(), header::ETAG, &tagged);
        }
    }
    response
}

fn insert(headers: &mut HeaderMap, name: header::HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

fn not_found(message: String) -> Response {
    (StatusCode::NOT_FOUND, message).into_response()
}

fn internal(err: anyhow::Error) -> Response {
    tracing::error!(error = ?err, "a download failed");
    (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_a_year_or_all_and_a_format() {
        assert_eq!(parse("2023.csv"), Some((Scope::Edition(2023), Format::Csv)));
        assert_eq!(parse("all.json"), Some((Scope::All, Format::Json)));
        assert_eq!(parse("2023.xlsx"), Some((Scope::Edition(2023), Format::Xlsx)));
        assert_eq!(parse("2023.pdf"), None);
        assert_eq!(parse("99999999999.csv"), None);
        assert_eq!(parse("-1.csv"), None);
        assert_eq!(parse("csv"), None);
    }

    #[test]
    fn if_none_match_accepts_the_tag_in_any_encoding() {
        let mut headers = HeaderMap::new();
        headers.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"x\", \"abc-gzip\""));
        assert!(matches(&headers, "abc"));
        assert!(!matches(&headers, "abd"));
    }
}
