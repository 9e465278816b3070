//! Filter and order inputs, parsed at the boundary into the repository's filter model.
use super::context::RequestContext;
use crate::domain::{Continent, CountryCode};
use crate::error::{ApiError, Result};
use crate::repo;
use crate::repo::filters::{Cmp, CountryFilter, ScoreFilter};
use crate::repo::rankings::Area;
use crate::suggest::{closest, did_you_mean};
use async_graphql::{Enum, InputObject};
use entity::edition;
use rust_decimal::Decimal;
use std::str::FromStr;
use tokio::sync::OnceCell;

/// Comparisons on a decimal figure; every one given must hold.
#[derive(InputObject, Clone, Debug, Default)]
pub struct FloatFilter {
    /// Equal to.
    pub eq: Option<f64>,
    /// Not equal to.
    pub ne: Option<f64>,
    /// Greater than.
    pub gt: Option<f64>,
    /// Greater than or equal to.
    pub gte: Option<f64>,
    /// Less than.
    pub lt: Option<f64>,
    /// Less than or equal to.
    pub lte: Option<f64>,
}

/// Comparisons on a whole number; every one given must hold.
#[derive(InputObject, Clone, Debug, Default)]
pub struct IntFilter {
    /// Equal to.
    pub eq: Option<i32>,
    /// Not equal to.
    pub ne: Option<i32>,
    /// Greater than.
    pub gt: Option<i32>,
    /// Greater than or equal to.
    pub gte: Option<i32>,
    /// Less than.
    pub lt: Option<i32>,
    /// Less than or equal to.
    pub lte: Option<i32>,
}

fn comparisons<T: Copy>(
    eq: Option<T>,
    ne: Option<T>,
    gt: Option<T>,
    gte: Option<T>,
    lt: Option<T>,
    lte: Option<T>,
) -> Vec<(Cmp, T)> {
    [(Cmp::Eq, eq), (Cmp::Ne, ne), (Cmp::Gt, gt), (Cmp::Gte, gte), (Cmp::Lt, lt), (Cmp::Lte, lte)]
        .into_iter()
        .filter_map(|(cmp, v)| v.map(|v| (cmp, v)))
        .collect()
}

impl FloatFilter {
    /// The comparisons as exact decimals: a JSON number's shortest form is the decimal the
    /// caller wrote (0.1 stays 0.1), so no binary rounding reaches the comparison.
    pub fn parse(&self, field: &str) -> Result<Vec<(Cmp, Decimal)>> {
        comparisons(self.eq, self.ne, self.gt, self.gte, self.lt, self.lte)
            .into_iter()
            .map(|(cmp, v)| Ok((cmp, decimal_input(field, v)?)))
            .collect()
    }
}

impl IntFilter {
    pub fn parse(&self) -> Vec<(Cmp, i32)> {
        comparisons(self.eq, self.ne, self.gt, self.gte, self.lt, self.lte)
    }
}

/// A float argument as an exact decimal.
pub fn decimal_input(field: &str, value: f64) -> Result<Decimal> {
    if !value.is_finite() {
        return Err(ApiError::bad_input(field, value, "not a finite number"));
    }
    Decimal::from_str(&value.to_string())
        .or_else(|_| Decimal::from_scientific(&format!("{value:e}")))
        .map_err(|_| ApiError::bad_input(field, value, "out of the range of scores"))
}

/// Which countries to keep. Fields given together must all hold; `and`, `or` and `not`
/// combine conditions.
#[derive(InputObject, Clone, Debug, Default)]
pub struct CountryWhere {
    /// Every condition holds.
    pub and: Option<Vec<CountryWhere>>,
    /// At least one condition holds.
    pub or: Option<Vec<CountryWhere>>,
    /// The condition does not hold.
    pub not: Option<Box<CountryWhere>>,
    /// In this continent (in the edition queried).
    pub continent: Option<Continent>,
    /// In this region (in the edition queried), e.g. "Central Asia and the Caucasus".
    pub region: Option<String>,
    /// One of these ISO3 codes.
    pub iso3: Option<Vec<String>>,
    /// A condition on one of the country's scores.
    pub score: Option<ScoreCondition>,
}

/// A condition on a country's score for one indicator in the edition queried.
#[derive(InputObject, Clone, Debug)]
pub struct ScoreCondition {
    /// Indicator slug, e.g. "synthetic-drug-trade" or "criminality".
    pub indicator: String,
    /// Comparisons on the published value.
    pub value: Option<FloatFilter>,
    /// Comparisons on the change since `since`; countries without a change there (the
    /// indicator is new) do not match.
    pub change: Option<FloatFilter>,
    /// The earlier edition `change` compares with; default: the previous published edition.
    pub since: Option<i32>,
    /// Comparisons on the rank among all countries.
    pub rank: Option<IntFilter>,
}

/// What a score ordering compares.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ScoreField {
    /// The published value.
    #[default]
    Value,
    /// The change since `since` (default: the previous published edition).
    Change,
    /// The rank among all countries.
    Rank,
}

/// Which way an ordering runs.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Direction {
    /// Smallest first (for `RANK`: rank 1 first; for names: A to Z).
    Asc,
    /// Largest first (for `RANK`: the last rank first; for names: Z to A).
    #[default]
    Desc,
}

/// One key of a country ordering; without an indicator, countries are ordered by name.
/// Countries with no value for the key come last.
#[derive(InputObject, Clone, Debug)]
pub struct CountryOrder {
    /// Indicator slug to order by; omit it to order by name.
    pub indicator: Option<String>,
    /// What to compare: the value (default), the change or the rank.
    #[graphql(default)]
    pub by: ScoreField,
    /// With `by: CHANGE`: the earlier edition (default: the previous published edition).
    pub since: Option<i32>,
    /// `DESC` (default) puts the largest value first, `ASC` the smallest; countries with no
    /// value for the key come last either way.
    #[graphql(default)]
    pub direction: Direction,
}

/// Levels of `and`, `or` and `not` a `where` may nest (the outermost object is level 1).
pub const MAX_WHERE_DEPTH: usize = 32;
/// Conditions a `where` may hold in all: every object of its tree, and every code of its
/// `iso3` lists. Each becomes a bound parameter or a subquery of one SQL statement, so this
/// keeps a statement far below Postgres' 65,535 parameters and its expression depth.
pub const MAX_WHERE_CONDITIONS: usize = 1_000;
/// Keys of an ordering: each is one more lookup.
pub const MAX_ORDER_KEYS: usize = 10;

/// The deepest nesting and the number of conditions of a filter tree, walked without
/// recursion: the tree may be as deep as its input allows.
pub fn measure(input: &CountryWhere) -> (usize, usize) {
    let (mut deepest, mut conditions) = (0, 0);
    let mut stack = vec![(input, 1usize)];
    while let Some((node, depth)) = stack.pop() {
        deepest = deepest.max(depth);
        conditions += 1 + node.iso3.as_ref().map_or(0, Vec::len);
        let children = node.and.iter().chain(&node.or).flatten();
        stack.extend(children.chain(node.not.as_deref()).map(|child| (child, depth + 1)));
    }
    (deepest, conditions)
}

/// Refuses a filter deeper than [`MAX_WHERE_DEPTH`] or with more than
/// [`MAX_WHERE_CONDITIONS`] conditions, before anything is looked up or built from it.
pub fn check_bounds(input: &CountryWhere, field: &str) -> Result<()> {
    let (depth, conditions) = measure(input);
    if depth > MAX_WHERE_DEPTH {
        return Err(ApiError::bad_input(
            field,
            depth,
            format!(
                "{field} nests and/or/not {depth} levels deep; at most {MAX_WHERE_DEPTH} levels \
                 are allowed"
            ),
        ));
    }
    if conditions > MAX_WHERE_CONDITIONS {
        return Err(ApiError::bad_input(
            field,
            conditions,
            format!(
                "{field} holds {conditions} conditions (objects and iso3 codes together); at \
                 most {MAX_WHERE_CONDITIONS} are allowed"
            ),
        ));
    }
    Ok(())
}

/// Resolves a filter tree against this request's catalogue; errors name the offending path.
pub struct FilterParser<'a> {
    rc: &'a RequestContext,
    edition: &'a edition::Model,
    regions: OnceCell<Vec<String>>,
}

impl<'a> FilterParser<'a> {
    pub fn new(rc: &'a RequestContext, edition: &'a edition::Model) -> Self {
        Self { rc, edition, regions: OnceCell::new() }
    }

    /// The filter tree of `input`, refused whole when it is larger than the bounds allow
    /// ([`check_bounds`]) before any part of it is resolved.
    pub async fn parse(&self, input: &CountryWhere, path: &str) -> Result<CountryFilter> {
        check_bounds(input, path)?;
        self.parse_tree(input, path).await
    }

    /// Recursive, but only over trees [`check_bounds`] let through.
    async fn parse_tree(&self, input: &CountryWhere, path: &str) -> Result<CountryFilter> {
        let mut parts = Vec::new();
        if let Some(and) = &input.and {
            let mut all = Vec::new();
            for (i, part) in and.iter().enumerate() {
                all.push(Box::pin(self.parse_tree(part, &format!("{path}.and[{i}]"))).await?);
            }
            parts.push(CountryFilter::All(all));
        }
        if let Some(or) = &input.or {
            let mut any = Vec::new();
            for (i, part) in or.iter().enumerate() {
                any.push(Box::pin(self.parse_tree(part, &format!("{path}.or[{i}]"))).await?);
            }
            parts.push(CountryFilter::Any(any));
        }
        if let Some(not) = &input.not {
            parts.push(CountryFilter::Not(Box::new(
                Box::pin(self.parse_tree(not, &format!("{path}.not"))).await?,
            )));
        }
        if let Some(continent) = input.continent {
            parts.push(CountryFilter::Continent(continent));
        }
        if let Some(region) = &input.region {
            parts
                .push(CountryFilter::Region(self.region(&format!("{path}.region"), region).await?));
        }
        if let Some(codes) = &input.iso3 {
            let field = format!("{path}.iso3");
            let mut known = Vec::new();
            for code in codes {
                known.push(self.iso3(&field, code).await?);
            }
            parts.push(CountryFilter::Iso3(known));
        }
        if let Some(score) = &input.score {
            parts.push(CountryFilter::Score(self.score(score, &format!("{path}.score")).await?));
        }
        Ok(CountryFilter::All(parts))
    }

    async fn score(&self, input: &ScoreCondition, path: &str) -> Result<ScoreFilter> {
        let indicator = self.rc.indicator(&format!("{path}.indicator"), &input.indicator).await?;
        let change = match &input.change {
            Some(filter) => filter.parse(&format!("{path}.change"))?,
            None => Vec::new(),
        };
        let since = self.since(&format!("{path}.since"), input.since).await?;
        Ok(ScoreFilter {
            indicator_id: indicator.id,
            value: input
                .value
                .as_ref()
                .map(|f| f.parse(&format!("{path}.value")))
                .transpose()?
                .unwrap_or_default(),
            rank: input.rank.as_ref().map(IntFilter::parse).unwrap_or_default(),
            change,
            since_edition_id: since.map(|e| e.id),
        })
    }

    /// The edition a `since` names (it must precede the edition queried), or by default the
    /// previous published edition.
    pub async fn since(&self, field: &str, since: Option<i32>) -> Result<Option<&edition::Model>> {
        match since {
            None => self.rc.previous(self.edition).await,
            Some(year) => {
                let from = self.rc.edition(field, Some(year)).await?;
                if from.year >= self.edition.year {
                    return Err(ApiError::bad_input(
                        field,
                        year,
                        format!("{field} must name an edition before {}", self.edition.year),
                    ));
                }
                Ok(Some(from))
            }
        }
    }

    pub async fn region(&self, field: &str, region: &str) -> Result<String> {
        let regions = self
            .regions
            .get_or_try_init(|| repo::catalog::regions(&self.rc.db, self.edition.id))
            .await?;
        let wanted = region.trim();
        regions.iter().find(|r| r.eq_ignore_ascii_case(wanted)).cloned().ok_or_else(|| {
            ApiError::bad_input(
                field,
                region,
                format!(
                    "no region {region:?} in the {} edition{}",
                    self.edition.year,
                    did_you_mean(&closest(wanted, regions.iter().map(String::as_str)))
                ),
            )
        })
    }

    pub async fn iso3(&self, field: &str, code: &str) -> Result<String> {
        if let Ok(parsed) = CountryCode::parse(field, code) {
            if self.rc.visible_countries().await?.iter().any(|c| c.iso3 == parsed.as_str()) {
                return Ok(parsed.as_str().to_owned());
            }
        }
        Err(self.rc.unknown_country(field, code).await)
    }

    pub async fn area(&self, continent: Option<Continent>, region: Option<&str>) -> Result<Area> {
        let region = match region {
            Some(r) => Some(self.region("region", r).await?),
            None => None,
        };
        Ok(Area { continent, region })
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    /// `where` trees as callers may send them, up to 48 levels deep.
    fn tree() -> impl Strategy<Value = CountryWhere> {
        let leaf = prop_oneof![
            Just(CountryWhere { continent: Some(Continent::Asia), ..CountryWhere::default() }),
            proptest::collection::vec("[A-Z]{3}", 0..40)
                .prop_map(|codes| CountryWhere { iso3: Some(codes), ..CountryWhere::default() }),
            "[a-z ]{0,12}".prop_map(|region| CountryWhere {
                region: Some(region),
                ..CountryWhere::default()
            }),
        ];
        leaf.prop_recursive(48, 1_500, 40, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..40)
                    .prop_map(|and| CountryWhere { and: Some(and), ..CountryWhere::default() }),
                proptest::collection::vec(inner.clone(), 0..40)
                    .prop_map(|or| CountryWhere { or: Some(or), ..CountryWhere::default() }),
                inner.prop_map(|not| CountryWhere {
                    not: Some(Box::new(not)),
                    ..CountryWhere::default()
                }),
            ]
        })
    }

    /// Depth and conditions counted the obvious, recursive way (the trees here are shallow
    /// enough for it).
    fn counted(input: &CountryWhere) -> (usize, usize) {
        let children = input.and.iter().chain(&input.or).flatten().chain(input.not.as_deref());
        let (mut depth, mut conditions) = (0, 1 + input.iso3.as_ref().map_or(0, Vec::len));
        for child in children {
            let (d, c) = counted(child);
            depth = depth.max(d);
            conditions += c;
        }
        (depth + 1, conditions)
    }

    proptest! {
        // a fixed seed: the same cases on every run, so a red CI is a change in the code, not a
        // new draw (try other cases by changing the seed)
        #![proptest_config(ProptestConfig {
            rng_seed: proptest::test_runner::RngSeed::Fixed(0x0C1D_2023),
            ..ProptestConfig::with_cases(256)
        })]

        #[test]
        fn bounds_are_measured_without_recursion_as_recursion_would(input in tree()) {
            let (depth, conditions) = measure(&input);
            prop_assert_eq!((depth, conditions), counted(&input));
            let allowed = depth <= MAX_WHERE_DEPTH && conditions <= MAX_WHERE_CONDITIONS;
            match check_bounds(&input, "where") {
                Ok(()) => prop_assert!(allowed),
                Err(ApiError::BadUserInput(bad)) => {
                    prop_assert!(!allowed);
                    prop_assert_eq!(bad.field.as_deref(), Some("where"));
                    let shown = if depth > MAX_WHERE_DEPTH { depth } else { conditions };
                    prop_assert_eq!(bad.value, Some(shown.to_string()));
                }
                Err(other) => prop_assert!(false, "{other:?}"),
            }
        }
    }

    #[test]
    fn a_tree_deeper_than_any_stack_is_measured() {
        let mut input = CountryWhere { continent: Some(Continent::Asia), ..Default::default() };
        for _ in 0..200_000 {
            input = CountryWhere { not: Some(Box::new(input)), ..Default::default() };
        }
        assert_eq!(measure(&input), (200_001, 200_001));
        assert!(check_bounds(&input, "where").is_err());
        // dropping it recursively would be the next overflow: take it apart level by level
        let mut next = input.not.take();
        while let Some(mut inner) = next {
            next = inner.not.take();
        }
    }
}
