//! Aggregate statistics over groups of countries (global, continents, regions) and a
//! country's figures next to its groups' means. The arithmetic is `methodology::aggregate`;
//! the unrounded values come from `repo::statistics`, once per edition and request.
use super::indicator::Indicator;
use super::loaders::{Batch, BatchError, Loaders};
use super::request;
use super::score::published;
use crate::domain::Continent;
use crate::error::{ApiError, Result};
use crate::methodology::{aggregate, mean, round_half_up, Aggregate, Exact};
use crate::repo;
use crate::repo::statistics::MemberValues;
use async_graphql::dataloader::Loader;
use async_graphql::{Context, Enum, Object};
use entity::{country, edition, indicator};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Which groups of countries `statistics` aggregates over.
#[derive(Enum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StatisticsGroup {
    /// Every member country of the edition, as one group named "Global".
    #[default]
    Global,
    /// One group per continent, as the countries stood in that edition.
    Continent,
    /// One group per region, as the countries stood in that edition (regions change between
    /// editions: 2023 merged the Caribbean and Central America).
    Region,
}

impl StatisticsGroup {
    /// The name of the group a member belongs to.
    fn name_of(self, member: &MemberValues) -> String {
        match self {
            Self::Global => "Global".to_owned(),
            Self::Continent => member.continent.name().to_owned(),
            Self::Region => member.region.clone(),
        }
    }
}

/// The unrounded values of one edition's members (a per-request loader key).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ValuesOf {
    pub edition_id: i32,
}

impl Loader<ValuesOf> for Batch {
    type Value = Arc<Vec<MemberValues>>;
    type Error = BatchError;

    async fn load(
        &self,
        keys: &[ValuesOf],
    ) -> std::result::Result<HashMap<ValuesOf, Self::Value>, Self::Error> {
        let mut out = HashMap::new();
        for key in keys {
            let values = repo::statistics::edition_values(&self.db, key.edition_id).await?;
            out.insert(*key, Arc::new(values));
        }
        Ok(out)
    }
}

async fn values_of(ctx: &Context<'_>, edition_id: i32) -> Result<Arc<Vec<MemberValues>>> {
    let values = ctx.data_unchecked::<Loaders>().load_one(ValuesOf { edition_id }).await?;
    Ok(values.unwrap_or_default())
}

/// Members' unrounded values of one indicator, by group name (groups in name order).
fn grouped(
    members: &[MemberValues],
    indicator_id: i32,
    by: StatisticsGroup,
) -> BTreeMap<String, Vec<Exact>> {
    let mut groups: BTreeMap<String, Vec<Exact>> = BTreeMap::new();
    for member in members {
        if let Some(value) = member.values.get(&indicator_id) {
            groups.entry(by.name_of(member)).or_default().push(*value);
        }
    }
    groups
}

pub struct GroupStatistics {
    name: String,
    by: StatisticsGroup,
    edition: edition::Model,
    indicator_id: i32,
    aggregate: Aggregate,
}

/// Aggregate figures of one group of countries for one indicator in one edition, on the
/// 1 to 10 scale of the figures. Means and standard deviations are of the members' unrounded
/// values, medians and extremes of their published values; each is rounded half up to 2
/// decimals once.
#[Object]
impl GroupStatistics {
    /// "Global", or the continent's or region's name as the edition spells it.
    async fn name(&self) -> &str {
        &self.name
    }

    /// How many member countries the group has (those with a value for the indicator).
    async fn count(&self) -> i32 {
        i32::try_from(self.aggregate.count).unwrap_or(i32::MAX)
    }

    /// Arithmetic mean of the members' unrounded values, rounded half up once.
    async fn mean(&self) -> f64 {
        published(self.aggregate.mean)
    }

    /// Median of the members' published (2-decimal) values; with an even count, the mean of
    /// the middle two, rounded half up.
    async fn median(&self) -> f64 {
        published(self.aggregate.median)
    }

    /// Lowest published value in the group.
    async fn min(&self) -> f64 {
        published(self.aggregate.min)
    }

    /// Highest published value in the group.
    async fn max(&self) -> f64 {
        published(self.aggregate.max)
    }

    /// Population standard deviation (divided by the count: the group is the whole
    /// membership, not a sample) of the unrounded values, its square root settled exactly
    /// and rounded half up once.
    async fn standard_deviation(&self) -> f64 {
        published(self.aggregate.standard_deviation)
    }

    /// This mean minus the same group's mean in the earlier edition `since`, from the two
    /// unrounded means, rounded once. Null where the indicator was not assessed then, or the
    /// group did not exist then (a region created later).
    async fn mean_change(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "the earlier edition's year, such as 2021; must precede this one")]
        since: i32,
    ) -> Result<Option<f64>> {
        let rc = request(ctx)?;
        let from = rc.edition("since", Some(since)).await?;
        if from.year >= self.edition.year {
            return Err(ApiError::bad_input(
                "since",
                since,
                format!("since must name an edition before {}", self.edition.year),
            ));
        }
        if !rc.edition_set(from.id).await?.contains(&self.indicator_id) {
            return Ok(None);
        }
        let members = values_of(ctx, from.id).await?;
        let before = grouped(&members, self.indicator_id, self.by)
            .remove(&self.name)
            .and_then(|values| mean(&values));
        Ok(before.map(|before| published(round_half_up(self.aggregate.exact_mean - before))))
    }
}

#[derive(Default)]
pub struct StatisticsQuery;

#[Object]
impl StatisticsQuery {
    /// Aggregates of one indicator (composites too) over the whole edition, each continent
    /// or each region: what the Index's reports print as global, continental and regional
    /// averages. Groups come in name order.
    async fn statistics(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "An indicator's slug, such as \"criminality\" or \"heroin-trade\".")]
        indicator: String,
        #[graphql(desc = "The edition's year; the latest published edition when omitted.")]
        edition: Option<i32>,
        #[graphql(
            desc = "Which groups to aggregate over: GLOBAL (the default), CONTINENT or REGION.",
            default_with = "Some(StatisticsGroup::Global)"
        )]
        group_by: Option<StatisticsGroup>,
    ) -> Result<Vec<GroupStatistics>> {
        let group_by = group_by.unwrap_or_default();
        let rc = request(ctx)?;
        let edition = rc.edition("edition", edition).await?.clone();
        let indicator = rc.indicator("indicator", &indicator).await?;
        if !rc.edition_set(edition.id).await?.contains(&indicator.id) {
            return Err(ApiError::bad_input(
                "indicator",
                &indicator.slug,
                format!("{:?} is not assessed in the {} edition", indicator.slug, edition.year),
            ));
        }
        let members = values_of(ctx, edition.id).await?;
        Ok(grouped(&members, indicator.id, group_by)
            .into_iter()
            .filter_map(|(name, values)| {
                Some(GroupStatistics {
                    name,
                    by: group_by,
                    edition: edition.clone(),
                    indicator_id: indicator.id,
                    aggregate: aggregate(&values)?,
                })
            })
            .collect())
    }
}

pub struct IndicatorComparison {
    indicator: indicator::Model,
    value: Decimal,
    continent: Continent,
    continent_mean: Decimal,
    region: String,
    region_mean: Decimal,
    global_mean: Decimal,
}

/// A country's figure for one indicator next to the means of its continent, its region and
/// the whole edition (the "this country vs. its region" view of a profile page); all on the
/// 1 to 10 scale with 2 decimals.
#[Object]
impl IndicatorComparison {
    /// The indicator compared.
    async fn indicator(&self) -> Indicator {
        Indicator(self.indicator.clone())
    }

    /// The country's published value.
    async fn value(&self) -> f64 {
        published(self.value)
    }

    /// The country's continent in this edition.
    async fn continent(&self) -> Continent {
        self.continent
    }

    /// Mean of the continent's members (from unrounded values, rounded half up once).
    async fn continent_mean(&self) -> f64 {
        published(self.continent_mean)
    }

    /// The country's region in this edition.
    async fn region(&self) -> &str {
        &self.region
    }

    /// Mean of the region's members (from unrounded values, rounded half up once).
    async fn region_mean(&self) -> f64 {
        published(self.region_mean)
    }

    /// Mean of every member of the edition (from unrounded values, rounded half up once).
    async fn global_mean(&self) -> f64 {
        published(self.global_mean)
    }
}

/// The comparison rows of `country` in the edition `year` (the latest published when
/// omitted), in tree order.
pub async fn comparison(
    ctx: &Context<'_>,
    country: &country::Model,
    year: Option<i32>,
) -> Result<Vec<IndicatorComparison>> {
    let rc = request(ctx)?;
    let edition = rc.edition("edition", year).await?;
    let members = values_of(ctx, edition.id).await?;
    let Some(member) = members.iter().find(|m| m.country_id == country.id) else {
        return Err(ApiError::NotFound(format!(
            "{} is not covered by the {} edition",
            country.iso3, edition.year
        )));
    };
    let continent = member.continent;
    let mean_of = |keep: &dyn Fn(&MemberValues) -> bool, indicator_id: i32| -> Option<Decimal> {
        let values: Vec<Exact> = members
            .iter()
            .filter(|m| keep(m))
            .filter_map(|m| m.values.get(&indicator_id).copied())
            .collect();
        mean(&values).map(round_half_up)
    };
    let mut rows = Vec::new();
    for indicator in rc.indicators().await? {
        let Some(value) = member.values.get(&indicator.id) else { continue };
        let (Some(continent_mean), Some(region_mean), Some(global_mean)) = (
            mean_of(&|m| m.continent == member.continent, indicator.id),
            mean_of(&|m| m.region == member.region, indicator.id),
            mean_of(&|_| true, indicator.id),
        ) else {
            continue;
        };
        rows.push(IndicatorComparison {
            indicator: indicator.clone(),
            value: round_half_up(*value),
            continent,
            continent_mean,
            region: member.region.clone(),
            region_mean,
            global_mean,
        });
    }
    Ok(rows)
}
