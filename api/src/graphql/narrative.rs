//! Narratives: the experts' texts behind the scores, the indicators each covers, and
//! full-text search over them.
use super::connection::{page_at, Page, PageArgs};
use super::country::Country;
use super::edition::Edition;
use super::ids::GlobalId;
use super::indicator::Indicator;
use super::loaders::{Batch, BatchError, Loaders};
use super::{request, RequestContext};
use crate::domain::CountryCode;
use crate::error::{ApiError, Result};
use crate::import::narratives::{CountryReport, NarrativeLine, NarrativeReport};
use crate::repo;
use async_graphql::dataloader::Loader;
use async_graphql::{Context, Object, SimpleObject, ID};
use entity::{country, narrative};
use std::collections::{HashMap, HashSet};

/// The longest search text accepted.
const MAX_QUERY_CHARS: usize = 500;

/// A stored narrative, as the API shows it.
#[derive(Clone, Debug)]
pub struct Narrative(pub narrative::Model);

/// An expert narrative: a passage of a country's page or summary in one edition, linked to
/// the indicators it discusses.
#[Object]
impl Narrative {
    /// Global id (Relay).
    pub(crate) async fn id(&self) -> ID {
        GlobalId::Narrative { id: self.0.id }.to_id()
    }

    /// The country the narrative is about.
    async fn country(&self, ctx: &Context<'_>) -> Result<Country> {
        let found = request(ctx)?.snapshot().await?.country_by_id(self.0.country_id).cloned();
        found.map(Country).ok_or_else(|| {
            ApiError::internal(anyhow::anyhow!("country {} vanished", self.0.country_id))
        })
    }

    /// The edition the narrative belongs to.
    async fn edition(&self, ctx: &Context<'_>) -> Result<Edition> {
        let edition = request(ctx)?.edition_by_id(self.0.edition_id).await?;
        edition
            .cloned()
            .map(Edition)
            .ok_or_else(|| ApiError::NotFound("edition not visible".into()))
    }

    /// The indicators the text covers, in tree order.
    async fn indicators(&self, ctx: &Context<'_>) -> Result<Vec<Indicator>> {
        let rc = request(ctx)?;
        let ids = ctx
            .data_unchecked::<Loaders>()
            .load_one(IndicatorsOf(self.0.id))
            .await?
            .unwrap_or_default();
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(Indicator(rc.indicator_by_id(id).await?.clone()));
        }
        Ok(out)
    }

    /// The heading printed over the text (a summary's section), or the pillar a page
    /// paragraph belongs to; null where there is none.
    async fn heading(&self) -> Option<&str> {
        self.0.heading.as_deref()
    }

    /// The text: paragraphs separated by a blank line.
    async fn body(&self) -> &str {
        &self.0.body
    }

    /// Order among the country's narratives in the edition, from 0.
    async fn position(&self) -> i32 {
        self.0.position
    }
}

/// A narrative that matches a search.
#[derive(SimpleObject, Clone, Debug)]
pub struct NarrativeHit {
    /// The matching narrative.
    pub narrative: Narrative,
    /// The passages that match, as HTML: the text escaped, each match in `<mark>…</mark>`,
    /// passages joined by " … ".
    pub snippet: String,
    /// Relevance (Postgres `ts_rank`): higher is better; hits come best first.
    pub rank: f64,
}

#[derive(Default)]
pub struct NarrativeQuery;

#[Object]
impl NarrativeQuery {
    /// Full-text search over the narratives of one edition (default: the latest published),
    /// best match first. The query uses web-search syntax with English stemming: words
    /// (all must match; "traffickers" finds "trafficking"), "quoted phrases", `or`, and
    /// `-word` to exclude.
    #[allow(clippy::too_many_arguments)]
    async fn search_narratives(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "what to look for, in web-search syntax (at most 500 characters)")] query: String,
        #[graphql(desc = "the edition's year; default: the latest published")] edition: Option<i32>,
        #[graphql(desc = "only this country's narratives (ISO3)")] country: Option<String>,
        #[graphql(
            desc = "only narratives covering this indicator (slug); for a composite, any of its indicators"
        )]
        indicator: Option<String>,
        #[graphql(desc = "page size, at most 500")] first: Option<i32>,
        #[graphql(desc = "the cursor after which the page starts")] after: Option<String>,
    ) -> Result<Page<NarrativeHit>> {
        let rc = request(ctx)?;
        let text = search_text(&query)?;
        let edition = rc.edition("edition", edition).await?;
        let country_id = match country {
            Some(iso3) => Some(country_id(rc, &iso3).await?),
            None => None,
        };
        let indicator_ids = match indicator {
            Some(slug) => covered_by(rc, &slug).await?,
            None => Vec::new(),
        };
        let search = repo::narratives::Search {
            query: text,
            edition_id: edition.id,
            country_id,
            indicator_ids,
        };
        let total = repo::narratives::search_count(&rc.db, &search).await?.ok_or_else(|| {
            ApiError::bad_input(
                "query",
                &query,
                "the query has no word to search for: only punctuation or common words such as \"the\"",
            )
        })?;
        let (start, end) = PageArgs::forward(first, after).window(total)?;
        let hits = if end > start {
            repo::narratives::search_page(&rc.db, &search, start, end - start).await?
        } else {
            Vec::new()
        };
        Ok(page_at(
            total,
            start,
            hits.into_iter().map(|hit| NarrativeHit {
                narrative: Narrative(hit.narrative),
                snippet: hit.snippet,
                rank: f64::from(hit.rank),
            }),
        ))
    }
}

/// `Country.narratives`: a country's narratives in an edition, in order, optionally only
/// those covering an indicator (or, for a composite, any indicator it averages).
pub(super) async fn of_country(
    ctx: &Context<'_>,
    country: &country::Model,
    edition: Option<i32>,
    indicator: Option<&str>,
) -> Result<Vec<Narrative>> {
    let rc = request(ctx)?;
    let edition = rc.edition("edition", edition).await?;
    let wanted: Option<HashSet<i32>> = match indicator {
        Some(slug) => Some(covered_by(rc, slug).await?.into_iter().collect()),
        None => None,
    };
    let loaders = ctx.data_unchecked::<Loaders>();
    let key = NarrativesOf { country_id: country.id, edition_id: edition.id };
    let mut narratives = loaders.load_one(key).await?.unwrap_or_default();
    if let Some(wanted) = wanted {
        let links = loaders.load_many(narratives.iter().map(|n| IndicatorsOf(n.id))).await?;
        narratives.retain(|n| {
            links.get(&IndicatorsOf(n.id)).is_some_and(|ids| ids.iter().any(|i| wanted.contains(i)))
        });
    }
    Ok(narratives.into_iter().map(Narrative).collect())
}

/// A search text that Postgres can take: trimmed, not empty, not too long, no control
/// characters (a NUL byte would fail in the database, not here).
fn search_text(query: &str) -> Result<String> {
    let text = query.trim();
    if text.is_empty() {
        return Err(ApiError::bad_input(
            "query",
            query,
            "the query is empty: give a word to search for",
        ));
    }
    if text.chars().count() > MAX_QUERY_CHARS {
        return Err(ApiError::bad_input(
            "query",
            format!("{}…", text.chars().take(40).collect::<String>()),
            format!("the query is longer than {MAX_QUERY_CHARS} characters"),
        ));
    }
    if text.chars().any(|c| c.is_control() && !c.is_whitespace()) {
        return Err(ApiError::bad_input(
            "query",
            query.escape_default(),
            "the query holds control characters",
        ));
    }
    Ok(text.to_owned())
}

async fn country_id(rc: &RequestContext, iso3: &str) -> Result<i32> {
    let code = CountryCode::parse("country", iso3)?;
    let found = rc.snapshot().await?.country_by_iso3(code.as_str(), repo::Visibility::All);
    found.map(|c| c.id).ok_or_else(|| {
        ApiError::bad_input(
            "country",
            iso3,
            format!("no country has the ISO3 code {:?}", code.as_str()),
        )
    })
}

/// The indicator a slug names and, for a composite, every indicator below it.
async fn covered_by(rc: &RequestContext, slug: &str) -> Result<Vec<i32>> {
    let root = rc.indicator("indicator", slug).await?.id;
    let all = rc.indicators().await?;
    let mut covered = vec![root];
    // the tree is in presentation order, parents first: one pass collects every descendant
    for i in all {
        if i.parent_id.is_some_and(|p| covered.contains(&p)) {
            covered.push(i.id);
        }
    }
    Ok(covered)
}

/// The narratives of a country in an edition, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NarrativesOf {
    pub country_id: i32,
    pub edition_id: i32,
}

impl Loader<NarrativesOf> for Batch {
    type Value = Vec<narrative::Model>;
    type Error = BatchError;

    async fn load(
        &self,
        keys: &[NarrativesOf],
    ) -> Result<HashMap<NarrativesOf, Self::Value>, Self::Error> {
        let pairs: Vec<(i32, i32)> = keys.iter().map(|k| (k.country_id, k.edition_id)).collect();
        let mut out: HashMap<NarrativesOf, Self::Value> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        for n in repo::narratives::for_countries(&self.db, &pairs).await? {
            out.entry(NarrativesOf { country_id: n.country_id, edition_id: n.edition_id })
                .or_default()
                .push(n);
        }
        Ok(out)
    }
}

/// The indicator ids a narrative covers, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IndicatorsOf(pub i32);

impl Loader<IndicatorsOf> for Batch {
    type Value = Vec<i32>;
    type Error = BatchError;

    async fn load(
        &self,
        keys: &[IndicatorsOf],
    ) -> Result<HashMap<IndicatorsOf, Self::Value>, Self::Error> {
        let ids: Vec<i32> = keys.iter().map(|k| k.0).collect();
        let mut out: HashMap<IndicatorsOf, Self::Value> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        for link in repo::narratives::indicators_of(&self.db, &ids).await? {
            out.entry(IndicatorsOf(link.narrative_id)).or_default().push(link.indicator_id);
        }
        Ok(out)
    }
}

/// What a narrative import found and did, beyond the common import report: for the
/// `importNarratives` mutation.
#[derive(SimpleObject, Clone, Debug)]
pub struct NarrativeImportDetails {
    /// `PAGE` (country page text) or `SUMMARY` (PDF summary text); null when neither.
    pub format: Option<String>,
    /// Each country's text in the file, in file order.
    pub countries: Vec<NarrativeImportCountry>,
    /// Indicator definitions the pages print.
    pub definitions_read: i32,
    /// Definitions stored as descriptions of indicators that had none (or to be, in a dry run).
    pub descriptions_stored: i32,
    /// Text left out: page furniture and what precedes the first page or heading.
    pub dropped: Vec<DroppedText>,
    /// Remarks that do not stop the import.
    pub notes: Vec<String>,
}

/// One country's narratives as an import read them.
#[derive(SimpleObject, Clone, Debug)]
pub struct NarrativeImportCountry {
    /// The country's ISO3 code; null when the text did not tell it.
    pub iso3: Option<String>,
    /// The line of the file where the country's text starts.
    pub first_line: i32,
    /// True when the `country` argument named the country; false when its text told it.
    pub given: bool,
    /// The countries the text mentions most, with counts ("KAZ 51, RUS 16, CHN 6").
    pub mentions: String,
    /// Printed figures checked against the database.
    pub figures_checked: i32,
    /// Printed figures equal to the database's.
    pub figures_matching: i32,
    /// The narratives, in order, with the indicators each was linked to.
    pub narratives: Vec<NarrativeImportItem>,
}

/// One narrative as an import linked it.
#[derive(SimpleObject, Clone, Debug)]
pub struct NarrativeImportItem {
    /// Order among the country's narratives, from 0.
    pub position: i32,
    /// The line of the file where the narrative starts.
    pub line: i32,
    /// The heading it will be stored with.
    pub heading: Option<String>,
    /// Slugs of the indicators it covers.
    pub indicators: Vec<String>,
    /// True when only the order of the paragraphs linked it: no word named the indicators.
    pub by_position: bool,
    /// The first words of the text.
    pub opening: String,
}

/// Text an import left out.
#[derive(SimpleObject, Clone, Debug)]
pub struct DroppedText {
    /// The line of the file.
    pub line: i32,
    /// The start of the text.
    pub text: String,
    /// Why it was left out ("footer", "survey prompt", …).
    pub reason: String,
}

impl From<&NarrativeReport> for NarrativeImportDetails {
    fn from(report: &NarrativeReport) -> Self {
        let item = |n: &NarrativeLine| NarrativeImportItem {
            position: n.position as i32,
            line: n.line as i32,
            heading: n.heading.clone(),
            indicators: n.indicators.clone(),
            by_position: n.by_position,
            opening: n.opening.clone(),
        };
        let country = |c: &CountryReport| NarrativeImportCountry {
            iso3: c.iso3.clone(),
            first_line: c.first_line as i32,
            given: c.given,
            mentions: c.mentions.clone(),
            figures_checked: c.figures_checked as i32,
            figures_matching: c.figures_matching as i32,
            narratives: c.narratives.iter().map(item).collect(),
        };
        Self {
            format: report.format.map(|f| format!("{f:?}").to_uppercase()),
            countries: report.countries.iter().map(country).collect(),
            definitions_read: report.definitions_read as i32,
            descriptions_stored: report.descriptions_stored as i32,
            dropped: report
                .dropped
                .iter()
                .map(|d| DroppedText {
                    line: d.line as i32,
                    text: d.text.clone(),
                    reason: d.reason.to_owned(),
                })
                .collect(),
            notes: report.notes.clone(),
        }
    }
}
