//! Countries and their figures.
use super::connection::{page, Page, PageArgs};
use super::context::RequestContext;
use super::eager::{Eager, EagerList};
use super::filters::{
    check_bounds, CountryOrder, CountryWhere, Direction, FilterParser, ScoreField, MAX_ORDER_KEYS,
};
use super::ids::GlobalId;
use super::loaders::{prime, FigureOf, FiguresOf, Loaders, Wants};
use super::request;
use super::score::Score;
use crate::domain::{Continent, CountryCode, Pillar};
use crate::error::{ApiError, Result};
use crate::repo;
use crate::repo::rankings::CountryKey;
use async_graphql::{Context, Object, ID};
use entity::{country, figure};
use std::sync::Arc;

/// A UN member state assessed by the Index. Shared: a list's countries are the reference
/// data's own, and each of their scores names its country again.
#[derive(Clone, Debug)]
pub struct Country(pub Arc<country::Model>);

impl From<country::Model> for Country {
    fn from(country: country::Model) -> Self {
        Self(Arc::new(country))
    }
}

impl Country {
    async fn membership<'a>(
        &self,
        ctx: &Context<'a>,
        edition: Option<i32>,
    ) -> Result<&'a entity::country_edition::Model> {
        let rc = request(ctx)?;
        let edition = rc.edition("edition", edition).await?;
        rc.membership(self.0.id, edition.id).await?.ok_or_else(|| {
            ApiError::NotFound(format!(
                "{} is not covered by the {} edition",
                self.0.iso3, edition.year
            ))
        })
    }

    /// The country's figures in an edition, in tree order.
    async fn figures(&self, ctx: &Context<'_>, edition_id: i32) -> Result<Vec<figure::Model>> {
        let key = FiguresOf { country_id: self.0.id, edition_id };
        let mut figures = ctx.data_unchecked::<Loaders>().load_one(key).await?.unwrap_or_default();
        let indicators = request(ctx)?.indicators().await?;
        let position = |id: i32| indicators.iter().position(|i| i.id == id);
        figures.sort_by_key(|f| position(f.indicator_id));
        Ok(figures)
    }

    fn score_of(&self, figure: figure::Model) -> Score {
        Score::new(self.0.clone(), figure)
    }
}

/// A UN member state assessed by the Index, identified by its ISO3 code (`KAZ`). Where it
/// belongs (continent, region) and its figures are per edition: fields that depend on one
/// take an `edition` year and default to the latest published edition.
#[Object]
impl Country {
    /// Global id (Relay).
    pub(crate) async fn id(&self) -> ID {
        GlobalId::Country { iso3: self.0.iso3.clone() }.to_id()
    }

    /// ISO 3166-1 alpha-3 code, which identifies the country in every argument.
    async fn iso3(&self) -> &str {
        &self.0.iso3
    }

    /// The name the Index uses.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The name in lower case with runs of other characters as `-`, for URLs
    /// (`kazakhstan`); fixed when the country is created, it survives renames.
    async fn slug(&self) -> &str {
        &self.0.slug
    }

    /// The continent in an edition (default: the latest published). Refused with
    /// `NOT_FOUND` when the edition does not cover the country.
    async fn continent(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "the edition's year, such as 2023; default: the latest published")]
        edition: Option<i32>,
    ) -> Result<Continent> {
        Ok(self.membership(ctx, edition).await?.continent)
    }

    /// The region in an edition (default: the latest published); regions change between
    /// editions ("Caribbean" in 2021, "Caribbean & Central" in 2023).
    async fn region(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "the edition's year, such as 2023; default: the latest published")]
        edition: Option<i32>,
    ) -> Result<String> {
        Ok(self.membership(ctx, edition).await?.region.clone())
    }

    /// Every figure of the country in an edition (default: the latest published), composites
    /// included, in tree order; optionally one pillar's.
    async fn scores(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "the edition's year, such as 2023; default: the latest published")]
        edition: Option<i32>,
        #[graphql(desc = "only this pillar's figures (its composite included); default: all")]
        pillar: Option<Pillar>,
    ) -> Result<EagerList<Eager<Score>>> {
        let rc = request(ctx)?;
        let edition = rc.edition("edition", edition).await?;
        let figures = self.figures(ctx, edition.id).await?;
        let mut scores = Vec::new();
        for figure in figures {
            let indicator = rc.indicator_by_id(figure.indicator_id).await?;
            if pillar.is_none_or(|p| p == indicator.pillar) {
                scores.push(Eager(Score::in_profile(self.0.clone(), figure)));
            }
        }
        Ok(EagerList(scores))
    }

    /// One figure by indicator slug in an edition (default: the latest published); null
    /// where the edition does not assess the indicator.
    async fn score(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "an indicator slug, such as \"criminality\" or \"synthetic-drug-trade\"")]
        indicator: String,
        #[graphql(desc = "the edition's year, such as 2023; default: the latest published")]
        edition: Option<i32>,
    ) -> Result<Option<Eager<Score>>> {
        let rc = request(ctx)?;
        let indicator = rc.indicator("indicator", &indicator).await?;
        let edition = rc.edition("edition", edition).await?;
        let key =
            FigureOf { country_id: self.0.id, edition_id: edition.id, indicator_id: indicator.id };
        let figure = ctx.data_unchecked::<Loaders>().figure(key).await?;
        Ok(figure.map(|f| Eager(self.score_of(f))))
    }

    /// The indicator's figure in each edition that assessed it, oldest first.
    async fn history(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "an indicator slug, such as \"criminality\" or \"synthetic-drug-trade\"")]
        indicator: String,
    ) -> Result<EagerList<Eager<Score>>> {
        let rc = request(ctx)?;
        let indicator = rc.indicator("indicator", &indicator).await?;
        // only this indicator's figures, one per edition: never the rest of each edition
        let key =
            |edition_id| FigureOf { country_id: self.0.id, edition_id, indicator_id: indicator.id };
        let keys = rc.editions().await?.iter().map(|e| key(e.id));
        let by_edition = ctx.data_unchecked::<Loaders>().load_many(keys).await?;
        let mut scores = Vec::new();
        for edition in rc.editions().await? {
            scores
                .extend(by_edition.get(&key(edition.id)).cloned().map(|f| Eager(self.score_of(f))));
        }
        Ok(EagerList(scores))
    }

    /// The experts' narratives in an edition (default: the latest published), in order;
    /// with `indicator`, only those covering it (for a composite, any of its indicators).
    async fn narratives(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "the edition's year; default: the latest published")] edition: Option<i32>,
        #[graphql(desc = "an indicator slug: only the narratives covering it")] indicator: Option<
            String,
        >,
    ) -> Result<Vec<super::narrative::Narrative>> {
        super::narrative::of_country(ctx, &self.0, edition, indicator.as_deref()).await
    }

    /// The country's figure for every indicator of an edition next to the means of its
    /// continent, its region and the whole edition (each from unrounded values, rounded half
    /// up once), in tree order.
    async fn comparison(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "the edition's year; default: the latest published")] edition: Option<i32>,
    ) -> Result<Vec<super::statistics::IndicatorComparison>> {
        super::statistics::comparison(ctx, &self.0, edition).await
    }
}

#[derive(Default)]
pub struct CountryQuery;

#[Object]
impl CountryQuery {
    /// One country by ISO3 code ("KAZ"); an unknown code is refused with `BAD_USER_INPUT`
    /// suggesting the closest codes.
    async fn country(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "ISO 3166-1 alpha-3 code, such as \"KAZ\" (lower case is accepted)")]
        iso3: String,
    ) -> Result<Option<Country>> {
        let rc = request(ctx)?;
        let Ok(code) = CountryCode::parse("iso3", &iso3) else {
            return Err(rc.unknown_country("iso3", &iso3).await);
        };
        match rc.country(code.as_str()).await? {
            Some(country) => Ok(Some(Country(country.clone()))),
            None => Err(rc.unknown_country("iso3", &iso3).await),
        }
    }

    /// The countries an edition covers (default: the latest published) that pass `where`,
    /// by name unless `orderBy` says otherwise.
    #[allow(clippy::too_many_arguments)]
    async fn countries(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "the edition's year, such as 2023; default: the latest published")]
        edition: Option<i32>,
        #[graphql(name = "where", desc = "conditions on continent, region, codes and scores")]
        filter: Option<CountryWhere>,
        #[graphql(desc = "ordering keys, the first deciding first; ties fall back to the name")]
        order_by: Option<Vec<CountryOrder>>,
        #[graphql(desc = "page size, at most 500")] first: Option<i32>,
        #[graphql(desc = "the endCursor of the previous page: the page starts after it")]
        after: Option<String>,
        #[graphql(desc = "the last this many items (before `before`), at most 500")] last: Option<
            i32,
        >,
        #[graphql(desc = "a cursor: the page ends before it (with `last`, paging backwards)")]
        before: Option<String>,
    ) -> Result<Page<Country>> {
        // the size of the question first, before anything is looked up for it
        if let Some(filter) = &filter {
            check_bounds(filter, "where")?;
        }
        let keys = order_by.as_ref().map_or(0, Vec::len);
        if keys > MAX_ORDER_KEYS {
            let message = format!("orderBy holds {keys} keys; at most {MAX_ORDER_KEYS}");
            return Err(ApiError::bad_input("orderBy", keys, message));
        }
        let rc = request(ctx)?;
        let edition = rc.edition("edition", edition).await?;
        let parser = FilterParser::new(rc, edition);
        let filter = match &filter {
            Some(filter) => Some(parser.parse(filter, "where").await?),
            None => None,
        };
        let order = order_keys(rc, &parser, order_by.as_deref().unwrap_or_default()).await?;
        let countries =
            repo::rankings::countries(&rc.db, edition.id, filter.as_ref(), &order).await?;
        let page = page(
            countries.into_iter().map(Country::from).collect(),
            &PageArgs { first, after, last, before },
        )?;
        let ids: Vec<i32> = page.edges.iter().map(|e| e.node.0.id).collect();
        prime(ctx, rc, &ids, edition, Wants::of(ctx, None)).await?;
        Ok(page)
    }
}

/// The keys of `orders` for the repository: indicators and earlier editions resolved (a
/// change since no earlier edition orders nothing and is left out).
async fn order_keys(
    rc: &RequestContext,
    parser: &FilterParser<'_>,
    orders: &[CountryOrder],
) -> Result<Vec<repo::rankings::CountryOrder>> {
    let mut keys = Vec::with_capacity(orders.len());
    for (i, order) in orders.iter().enumerate() {
        let key = match &order.indicator {
            None => CountryKey::Name,
            Some(slug) => {
                let indicator_id = rc.indicator(&format!("orderBy[{i}].indicator"), slug).await?.id;
                match order.by {
                    ScoreField::Value => CountryKey::Value { indicator_id },
                    ScoreField::Rank => CountryKey::Rank { indicator_id },
                    ScoreField::Change => {
                        match parser.since(&format!("orderBy[{i}].since"), order.since).await? {
                            Some(since) => {
                                CountryKey::Change { indicator_id, since_edition_id: since.id }
                            }
                            None => continue,
                        }
                    }
                }
            }
        };
        keys.push(repo::rankings::CountryOrder {
            key,
            descending: order.direction == Direction::Desc,
        });
    }
    Ok(keys)
}
