//! Rankings and changes between editions: the Index's lists over all countries.
use super::connection::{page, Page, PageArgs};
use super::country::Country;
use super::eager::Eager;
use super::edition::Edition;
use super::filters::{FilterParser, FloatFilter};
use super::indicator::Indicator;
use super::loaders::{prime, Loaders, Wants};
use super::request;
use super::score::{published, Score};
use crate::domain::Continent;
use crate::error::{ApiError, Result};
use crate::repo::rankings::{self, ChangeOrder, ChangeRow};
use async_graphql::{Context, Enum, Object};
use entity::{country, edition, indicator};
use std::sync::Arc;

/// How an indicator changed for one country between two editions.
pub struct ScoreChange {
    country: Arc<country::Model>,
    row: ChangeRow,
    indicator: indicator::Model,
    from: edition::Model,
    to: edition::Model,
}

/// How one country's figure for an indicator changed between two editions (`from` to `to`),
/// as `scoreChanges` lists them.
#[Object]
impl ScoreChange {
    /// The country whose figure changed.
    async fn country(&self) -> Eager<Country> {
        Eager(Country(self.country.clone()))
    }

    /// The indicator compared.
    async fn indicator(&self) -> Eager<Indicator> {
        Eager(Indicator(self.indicator.clone()))
    }

    /// The earlier edition.
    async fn from(&self) -> Edition {
        Edition(self.from.clone())
    }

    /// The later edition.
    async fn to(&self) -> Edition {
        Edition(self.to.clone())
    }

    /// The published value in the earlier edition (1.00 to 10.00, 2 decimals).
    async fn from_value(&self) -> f64 {
        published(self.row.from_value)
    }

    /// The published value in the later edition (1.00 to 10.00, 2 decimals).
    async fn to_value(&self) -> f64 {
        published(self.row.to_value)
    }

    /// `toValue − fromValue` from unrounded values, rounded half up to 2 decimals (so it can
    /// differ by 0.01 from the difference of the rounded values, as the Index publishes it):
    /// positive for a rise (e.g. 0.23), negative for a fall, 0 when level.
    async fn change(&self) -> f64 {
        published(self.row.change)
    }
}

/// The order of a list of changes; ties are broken by country name.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ScoreChangeOrder {
    /// Largest rise first.
    #[default]
    ChangeDesc,
    /// Largest fall first.
    ChangeAsc,
    /// Highest later value first.
    ToValueDesc,
    /// Lowest later value first.
    ToValueAsc,
    /// By country name.
    NameAsc,
}

impl From<ScoreChangeOrder> for ChangeOrder {
    fn from(order: ScoreChangeOrder) -> Self {
        match order {
            ScoreChangeOrder::ChangeDesc => Self::ChangeDesc,
            ScoreChangeOrder::ChangeAsc => Self::ChangeAsc,
            ScoreChangeOrder::ToValueDesc => Self::ToValueDesc,
            ScoreChangeOrder::ToValueAsc => Self::ToValueAsc,
            ScoreChangeOrder::NameAsc => Self::NameAsc,
        }
    }
}

#[derive(Default)]
pub struct RankingQuery;

#[Object]
impl RankingQuery {
    /// Countries ranked by an indicator in an edition (default: the latest published),
    /// highest value first; ties share a rank (1, 2, 2, 4) and are listed by name. With a
    /// continent or region, only its countries are listed: read `rankInContinent` or
    /// `rankInRegion` for their rank within it.
    #[allow(clippy::too_many_arguments)]
    async fn ranking(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "indicator slug, e.g. \"criminality\"")] indicator: String,
        #[graphql(desc = "the edition's year, such as 2023; default: the latest published")]
        edition: Option<i32>,
        #[graphql(desc = "only countries of this continent (in the edition listed)")]
        continent: Option<Continent>,
        #[graphql(
            desc = "only countries of this region (in the edition listed), such as \"Central Asia and the Caucasus\""
        )]
        region: Option<String>,
        #[graphql(desc = "page size, at most 500")] first: Option<i32>,
        #[graphql(desc = "the endCursor of the previous page: the page starts after it")]
        after: Option<String>,
        #[graphql(desc = "the last this many items (before `before`), at most 500")] last: Option<
            i32,
        >,
        #[graphql(desc = "a cursor: the page ends before it (with `last`, paging backwards)")]
        before: Option<String>,
    ) -> Result<Page<Score>> {
        let rc = request(ctx)?;
        let indicator = rc.indicator("indicator", &indicator).await?;
        let edition = rc.edition("edition", edition).await?;
        let area = FilterParser::new(rc, edition).area(continent, region.as_deref()).await?;
        let wants = Wants::of(ctx, Some("country"));
        // the figures the items' `score` fields ask for come with the ranking, in its statement
        let beside: Vec<rankings::Beside> = wants
            .figure_sources(rc, edition)
            .await?
            .into_iter()
            .map(|(edition_id, indicator_id)| rankings::Beside { edition_id, indicator_id })
            .collect();
        let rows = rankings::ranking(&rc.db, edition.id, indicator.id, &area, &beside).await?;
        let loaders = ctx.data_unchecked::<Loaders>();
        loaders.feed_figures(rows.iter().flat_map(|row| row.beside.iter().flatten()).cloned());
        let ids: Vec<i32> = rows.iter().map(|row| row.figure.country_id).collect();
        let countries = rc.countries_by_id(&ids).await?;
        let scores = countries
            .into_iter()
            .zip(rows)
            .map(|(country, row)| Score::new(country, row.figure))
            .collect();
        let page = page(scores, &PageArgs { first, after, last, before })?;
        let ids: Vec<i32> = page.edges.iter().map(|e| e.node.country.id).collect();
        // what was fed is not read again: only what some country lacks
        prime(ctx, rc, &ids, edition, wants).await?;
        Ok(page)
    }

    /// How an indicator changed between two editions (default: the latest published edition
    /// against the one before it), from unrounded values. Countries whose indicator did not
    /// exist in the earlier edition have no change and are not listed.
    #[allow(clippy::too_many_arguments)]
    async fn score_changes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "indicator slug, e.g. \"synthetic-drug-trade\"")] indicator: String,
        #[graphql(desc = "the earlier edition; default: the published edition before `to`")]
        from: Option<i32>,
        #[graphql(desc = "the later edition; default: the latest published")] to: Option<i32>,
        #[graphql(desc = "comparisons the change must pass, e.g. { gt: 0 }")] change: Option<
            FloatFilter,
        >,
        #[graphql(desc = "only countries of this continent (in the edition listed)")]
        continent: Option<Continent>,
        #[graphql(
            desc = "only countries of this region (in the edition listed), such as \"Central Asia and the Caucasus\""
        )]
        region: Option<String>,
        #[graphql(desc = "the list's order; default: CHANGE_DESC (largest rise first)")]
        order_by: Option<ScoreChangeOrder>,
        #[graphql(desc = "page size, at most 500")] first: Option<i32>,
        #[graphql(desc = "the endCursor of the previous page: the page starts after it")]
        after: Option<String>,
        #[graphql(desc = "the last this many items (before `before`), at most 500")] last: Option<
            i32,
        >,
        #[graphql(desc = "a cursor: the page ends before it (with `last`, paging backwards)")]
        before: Option<String>,
    ) -> Result<Page<ScoreChange>> {
        let rc = request(ctx)?;
        let indicator = rc.indicator("indicator", &indicator).await?;
        let to = rc.edition("to", to).await?;
        let parser = FilterParser::new(rc, to);
        let from = parser.since("from", from).await?.ok_or_else(|| {
            ApiError::bad_input("to", to.year, format!("no published edition precedes {}", to.year))
        })?;
        let comparisons = change.map(|c| c.parse("change")).transpose()?.unwrap_or_default();
        let area = parser.area(continent, region.as_deref()).await?;
        let rows = rankings::changes(
            &rc.db,
            indicator.id,
            from.id,
            to.id,
            &comparisons,
            &area,
            order_by.unwrap_or_default().into(),
        )
        .await?;
        let ids: Vec<i32> = rows.iter().map(|row| row.country_id).collect();
        let countries = rc.countries_by_id(&ids).await?;
        let changes = countries
            .into_iter()
            .zip(rows)
            .map(|(country, row)| ScoreChange {
                country,
                row,
                indicator: indicator.clone(),
                from: from.clone(),
                to: to.clone(),
            })
            .collect();
        let page = page(changes, &PageArgs { first, after, last, before })?;
        let ids: Vec<i32> = page.edges.iter().map(|e| e.node.country.id).collect();
        let wants = Wants { changes_since: Vec::new(), ..Wants::of(ctx, Some("country")) };
        prime(ctx, rc, &ids, to, wants).await?;
        Ok(page)
    }
}
