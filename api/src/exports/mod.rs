//! Bulk downloads: one edition (or all of them) as CSV, JSON or an xlsx workbook in the
//! official dataset's layout. CSV and JSON are streamed a page of rows at a time from
//! `repo::exports`, never built whole in memory; a workbook (a zip) is built on a blocking
//! thread, a bounded number at once, and kept per data version like the digests.
//!
//! Size and SHA-256 of every file are kept per data version in the response cache, which
//! the database's change notifications empty (`cache.rs`): they give downloads a strong
//! `ETag` and `Edition.downloads` its figures without recomputing them per request.
pub mod encode;
mod xlsx;

use crate::cache::ResponseCache;
use crate::repo::exports::{After, ExportRow};
use crate::repo::{self, Visibility};
use anyhow::Context as _;
use axum::body::Bytes;
use entity::edition;
use futures_util::{Stream, StreamExt, TryStreamExt};
use sea_orm::DatabaseConnection;
use sha2::{Digest as _, Sha256};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Rows fetched per query while streaming (about 100 countries' worth of figures).
pub const PAGE_ROWS: u64 = 4_000;

/// Workbooks built at once; more requests wait (each build takes a core for a moment).
pub const MAX_XLSX_BUILDS: usize = 2;

/// A download's file format.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[graphql(name = "DownloadFormat")]
pub enum Format {
    /// Comma-separated values (RFC 4180, UTF-8, CRLF line ends), one row per country,
    /// edition and indicator.
    Csv,
    /// A JSON array of objects with the CSV's columns as keys.
    Json,
    /// An Excel workbook in the official dataset's layout, one sheet per edition, which
    /// `ocindex import` reads back.
    Xlsx,
}

impl Format {
    pub const ALL: [Format; 3] = [Self::Csv, Self::Json, Self::Xlsx];

    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Json => "json",
            Self::Xlsx => "xlsx",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8; header=present",
            Self::Json => "application/json",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }

    pub fn from_extension(extension: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.extension() == extension)
    }
}

/// Which editions a download holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Edition(i32),
    /// Every edition the caller may see.
    All,
}

impl Scope {
    /// The path segment before the extension: the year, or `all`.
    pub fn stem(self) -> String {
        match self {
            Self::Edition(year) => year.to_string(),
            Self::All => "all".to_owned(),
        }
    }
}

/// A download resolved against the database: the editions it holds.
#[derive(Clone, Debug)]
pub struct Export {
    pub scope: Scope,
    pub format: Format,
    pub edition_ids: Vec<i32>,
    /// Who may see drafts changes what `all` holds, not what one edition's file holds.
    visibility: Visibility,
}

impl Export {
    /// The download of one edition (its content is the same for every caller who sees it).
    pub fn of_edition(edition: &edition::Model, format: Format) -> Self {
        Self {
            scope: Scope::Edition(edition.year),
            format,
            edition_ids: vec![edition.id],
            visibility: Visibility::Published,
        }
    }

    /// The path it is served at.
    pub fn url(&self) -> String {
        format!("/exports/{}.{}", self.scope.stem(), self.format.extension())
    }

    /// The name a browser saves it under.
    pub fn file_name(&self) -> String {
        format!("ocindex-{}.{}", self.scope.stem(), self.format.extension())
    }

    fn cache_key(&self, what: &str) -> Vec<u8> {
        let audience = match (self.scope, self.visibility) {
            (Scope::All, Visibility::All) => " with drafts",
            _ => "",
        };
        format!("export {what} {}{audience}", self.url()).into_bytes()
    }
}

/// Size and SHA-256 of a download's bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Digest {
    pub bytes: u64,
    /// Lower-case hex.
    pub sha256: String,
}

/// The downloads service, shared by the HTTP handlers and the GraphQL schema.
#[derive(Clone)]
pub struct Exports {
    db: DatabaseConnection,
    cache: Arc<ResponseCache>,
    xlsx_builds: Arc<Semaphore>,
}

impl Exports {
    pub fn new(db: DatabaseConnection, cache: Arc<ResponseCache>) -> Self {
        Self { db, cache, xlsx_builds: Arc::new(Semaphore::new(MAX_XLSX_BUILDS)) }
    }

    /// The data version: a stream started under one fails rather than mix in another.
    pub fn generation(&self) -> u64 {
        self.cache.generation()
    }

    /// The download `scope` names for a caller who sees `visibility`, or `None` when that
    /// caller sees no such edition.
    pub async fn resolve(
        &self,
        scope: Scope,
        format: Format,
        visibility: Visibility,
    ) -> anyhow::Result<Option<Export>> {
        let edition_ids = match scope {
            Scope::Edition(year) => {
                let edition = repo::catalog::edition_by_year(&self.db, year, visibility).await?;
                match edition {
                    Some(edition) => vec![edition.id],
                    None => return Ok(None),
                }
            }
            Scope::All => {
                repo::catalog::editions(&self.db, visibility).await?.iter().map(|e| e.id).collect()
            }
        };
        Ok(Some(Export { scope, format, edition_ids, visibility }))
    }

    /// Size and SHA-256 of a download, computed once per data version by streaming it
    /// through the hash (a workbook: from its kept bytes).
    pub async fn digest(&self, export: &Export) -> anyhow::Result<Digest> {
        let key = export.cache_key("digest");
        if let Some(kept) = self.cache.get(&key) {
            if let Some(digest) = parse_digest(kept.body()) {
                return Ok(digest);
            }
        }
        let generation = self.cache.generation();
        let mut hasher = Sha256::new();
        let mut bytes = 0u64;
        if export.format == Format::Xlsx {
            let book = self.xlsx(export).await?;
            hasher.update(&book);
            bytes = book.len() as u64;
        } else {
            let mut chunks = std::pin::pin!(self.stream(export, generation));
            while let Some(chunk) = chunks.next().await {
                let chunk = chunk?;
                hasher.update(&chunk);
                bytes += chunk.len() as u64;
            }
        }
        let sha256 = hex::encode(hasher.finalize());
        let digest = Digest { bytes, sha256 };
        let text = format!("{} {}", digest.bytes, digest.sha256);
        let kept = Arc::new(crate::http::PublicAnswer::new(Bytes::from(text)));
        self.cache.insert(&key, kept, generation);
        Ok(digest)
    }

    /// A CSV or JSON download as a stream of chunks, a page of rows each. It fails (and the
    /// client sees a broken transfer, never a mixed file) if the data changes meanwhile.
    pub fn stream(
        &self,
        export: &Export,
        generation: u64,
    ) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
        let state = Paging {
            db: self.db.clone(),
            cache: self.cache.clone(),
            edition_ids: export.edition_ids.clone(),
            format: export.format,
            generation,
            after: None,
            stage: Stage::Header,
        };
        futures_util::stream::try_unfold(state, next_chunk).map_err(std::io::Error::other)
    }

    /// A workbook download, built once per data version.
    pub async fn xlsx(&self, export: &Export) -> anyhow::Result<Bytes> {
        let key = export.cache_key("xlsx");
        if let Some(kept) = self.cache.get(&key) {
            return Ok(kept.body().clone());
        }
        let generation = self.cache.generation();
        let _permit = self.xlsx_builds.acquire().await.context("workbook builds closed")?;
        let mut rows: Vec<ExportRow> = Vec::new();
        loop {
            let after = rows.last().map(After::from);
            let page =
                repo::exports::page(&self.db, &export.edition_ids, after.as_ref(), PAGE_ROWS)
                    .await?;
            if page.is_empty() {
                break;
            }
            rows.extend(page);
        }
        let book = tokio::task::spawn_blocking(move || xlsx::workbook(&rows))
            .await
            .context("building the workbook")??;
        let book = Bytes::from(book);
        let kept = Arc::new(crate::http::PublicAnswer::new(book.clone()));
        self.cache.insert(&key, kept, generation);
        Ok(book)
    }
}

fn parse_digest(kept: &[u8]) -> Option<Digest> {
    let text = std::str::from_utf8(kept).ok()?;
    let (bytes, sha256) = text.split_once(' ')?;
    Some(Digest { bytes: bytes.parse().ok()?, sha256: sha256.to_owned() })
}

enum Stage {
    Header,
    Rows,
    Done,
}

struct Paging {
    db: DatabaseConnection,
    cache: Arc<ResponseCache>,
    edition_ids: Vec<i32>,
    format: Format,
    generation: u64,
    after: Option<After>,
    stage: Stage,
}

async fn next_chunk(mut state: Paging) -> anyhow::Result<Option<(Bytes, Paging)>> {
    match state.stage {
        Stage::Header => {
            state.stage = Stage::Rows;
            let header = match state.format {
                Format::Json => b"[\n".to_vec(),
                _ => encode::csv_header(),
            };
            Ok(Some((Bytes::from(header), state)))
        }
        Stage::Rows => {
            let page =
                repo::exports::page(&state.db, &state.edition_ids, state.after.as_ref(), PAGE_ROWS)
                    .await?;
            anyhow::ensure!(
                state.cache.generation() == state.generation,
                "the data changed during the download: start it again"
            );
            let first = state.after.is_none();
            let Some(last) = page.last() else {
                state.stage = Stage::Done;
                let end: &[u8] = if state.format == Format::Json { b"\n]\n" } else { b"" };
                return Ok(Some((Bytes::from_static(end), state)));
            };
            state.after = Some(After::from(last));
            let chunk = match state.format {
                Format::Json => encode::json_rows(&page, first),
                _ => encode::csv_rows(&page),
            };
            Ok(Some((Bytes::from(chunk), state)))
        }
        Stage::Done => Ok(None),
    }
}
