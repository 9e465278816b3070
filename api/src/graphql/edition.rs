//! Editions of the Index.
use super::ids::GlobalId;
use super::indicator::Indicator;
use super::request;
use crate::error::{ApiError, Result};
use crate::exports::{Digest, Export, Exports, Format};
use async_graphql::{Context, Object, ID};
use chrono::{DateTime, Utc};
use entity::edition;

pub use entity::edition::EditionStatus;

/// One edition of the Index (2021, 2023, …): a full assessment of every country.
#[derive(Clone, Debug)]
pub struct Edition(pub edition::Model);

/// One edition of the Index, identified by its year (2021, 2023, …): a full assessment of
/// every country it covers. The public sees published editions; drafts are for editors and
/// admins.
#[Object]
impl Edition {
    /// Global id (Relay).
    pub(crate) async fn id(&self) -> ID {
        GlobalId::Edition { year: self.0.year }.to_id()
    }

    /// The year of the edition, which identifies it in every argument.
    async fn year(&self) -> i32 {
        self.0.year
    }

    /// The edition's title, such as "Global Organized Crime Index 2023".
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// `PUBLISHED` for what the public sees; `DRAFT` while it is prepared.
    async fn status(&self) -> EditionStatus {
        self.0.status
    }

    /// When the edition was published; null for a draft.
    async fn published_at(&self) -> Option<DateTime<Utc>> {
        self.0.published_at.map(|t| t.with_timezone(&Utc))
    }

    /// The latest published edition before this one: the one deltas are taken against.
    async fn previous(&self, ctx: &Context<'_>) -> Result<Option<Edition>> {
        Ok(request(ctx)?.previous(&self.0).await?.cloned().map(Edition))
    }

    /// The edition's bulk downloads (CSV, JSON and the xlsx workbook), with their size and
    /// SHA-256 as served now.
    async fn downloads(&self, ctx: &Context<'_>) -> Result<Vec<Download>> {
        let exports = ctx
            .data::<Exports>()
            .map_err(|_| ApiError::internal(anyhow::anyhow!("no downloads service")))?;
        let mut downloads = Vec::new();
        for format in Format::ALL {
            let export = Export::of_edition(&self.0, format);
            let digest = exports.digest(&export).await.map_err(ApiError::internal)?;
            downloads.push(Download { format, url: export.url(), digest });
        }
        Ok(downloads)
    }

    /// The indicators this edition assesses, composites included, in tree order.
    async fn indicators(&self, ctx: &Context<'_>) -> Result<Vec<Indicator>> {
        let rc = request(ctx)?;
        let set = rc.edition_set(self.0.id).await?;
        Ok(rc
            .indicators()
            .await?
            .iter()
            .filter(|i| set.contains(&i.id))
            .cloned()
            .map(Indicator)
            .collect())
    }
}

/// A bulk download of an edition.
pub struct Download {
    format: Format,
    url: String,
    digest: Digest,
}

/// A bulk download of an edition: a file on this server with every figure of the edition.
#[Object]
impl Download {
    /// The file's format: CSV, JSON or XLSX.
    async fn format(&self) -> Format {
        self.format
    }

    /// Path of the file on this server, such as `/exports/2023.csv` (public for published
    /// editions; drafts need an EDITOR or ADMIN token).
    async fn url(&self) -> &str {
        &self.url
    }

    /// Size of the file in bytes (uncompressed).
    async fn bytes(&self) -> i64 {
        i64::try_from(self.digest.bytes).unwrap_or(i64::MAX)
    }

    /// SHA-256 of the file, lower-case hex; also its `ETag`.
    async fn sha256(&self) -> &str {
        &self.digest.sha256
    }
}

#[derive(Default)]
pub struct EditionQuery;

#[Object]
impl EditionQuery {
    /// Published editions, oldest first; admins also see drafts.
    async fn editions(&self, ctx: &Context<'_>) -> Result<Vec<Edition>> {
        Ok(request(ctx)?.editions().await?.iter().cloned().map(Edition).collect())
    }

    /// One edition by year; without a year, the latest published edition.
    async fn edition(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "the edition's year, such as 2023; null when no such edition is visible")]
        year: Option<i32>,
    ) -> Result<Option<Edition>> {
        let rc = request(ctx)?;
        let editions = rc.editions().await?;
        let found = match year {
            Some(year) => editions.iter().find(|e| e.year == year),
            None => editions.iter().rev().find(|e| e.is_published()),
        };
        Ok(found.cloned().map(Edition))
    }
}
