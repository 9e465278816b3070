//! Country filters of `countries(where:)`, resolved to ids, and their translation to SQL.
use entity::values::Continent;
use entity::{country, country_edition, figure, figure_change};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QuerySelect, QueryTrait};

/// A comparison of a filter (`gt: 0`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    Ne,
    Gt,
    Gte,
    Lt,
    Lte,
}

impl Cmp {
    /// `column` compared with `value`, the value bound: the one translation of a comparison
    /// to SQL, for filters and lists alike.
    pub(super) fn apply<C: ColumnTrait, V: Into<sea_orm::Value>>(
        self,
        column: C,
        value: V,
    ) -> SimpleExpr {
        match self {
            Self::Eq => column.eq(value),
            Self::Ne => column.ne(value),
            Self::Gt => column.gt(value),
            Self::Gte => column.gte(value),
            Self::Lt => column.lt(value),
            Self::Lte => column.lte(value),
        }
    }
}

/// A condition on a country in one edition.
#[derive(Clone, Debug)]
pub enum CountryFilter {
    All(Vec<CountryFilter>),
    Any(Vec<CountryFilter>),
    Not(Box<CountryFilter>),
    Continent(Continent),
    Region(String),
    Iso3(Vec<String>),
    Score(ScoreFilter),
}

/// A condition on one of the country's figures; every comparison must hold.
#[derive(Clone, Debug, Default)]
pub struct ScoreFilter {
    pub indicator_id: i32,
    pub value: Vec<(Cmp, Decimal)>,
    pub rank: Vec<(Cmp, i32)>,
    /// Comparisons of the change since `since_edition_id`; a country whose indicator did not
    /// exist then has no change and does not match.
    pub change: Vec<(Cmp, Decimal)>,
    pub since_edition_id: Option<i32>,
}

/// The SQL condition on `countries` for `filter` in the edition `edition_id`.
pub fn condition(filter: &CountryFilter, edition_id: i32) -> Condition {
    let member_where = |cond: SimpleExpr| {
        let members = country_edition::Entity::find()
            .select_only()
            .column(country_edition::Column::CountryId)
            .filter(country_edition::Column::EditionId.eq(edition_id))
            .filter(cond)
            .into_query();
        Condition::all().add(country::Column::Id.in_subquery(members))
    };
    match filter {
        CountryFilter::All(parts) => {
            parts.iter().fold(Condition::all(), |c, p| c.add(condition(p, edition_id)))
        }
        CountryFilter::Any(parts) => {
            parts.iter().fold(Condition::any(), |c, p| c.add(condition(p, edition_id)))
        }
        CountryFilter::Not(inner) => condition(inner, edition_id).not(),
        CountryFilter::Continent(continent) => {
            member_where(country_edition::Column::Continent.eq(*continent))
        }
        CountryFilter::Region(region) => {
            member_where(country_edition::Column::Region.eq(region.as_str()))
        }
        CountryFilter::Iso3(codes) => {
            Condition::all().add(country::Column::Iso3.is_in(codes.iter().map(String::as_str)))
        }
        CountryFilter::Score(score) => {
            let mut figures = figure::Entity::find()
                .select_only()
                .column(figure::Column::CountryId)
                .filter(figure::Column::EditionId.eq(edition_id))
                .filter(figure::Column::IndicatorId.eq(score.indicator_id));
            for (cmp, value) in &score.value {
                figures = figures.filter(cmp.apply(figure::Column::Value, *value));
            }
            for (cmp, rank) in &score.rank {
                figures = figures.filter(cmp.apply(figure::Column::Rank, *rank));
            }
            let mut cond =
                Condition::all().add(country::Column::Id.in_subquery(figures.into_query()));
            if let (false, Some(since)) = (score.change.is_empty(), score.since_edition_id) {
                let mut changes = figure_change::Entity::find()
                    .select_only()
                    .column(figure_change::Column::CountryId)
                    .filter(figure_change::Column::ToEditionId.eq(edition_id))
                    .filter(figure_change::Column::FromEditionId.eq(since))
                    .filter(figure_change::Column::IndicatorId.eq(score.indicator_id));
                for (cmp, change) in &score.change {
                    changes = changes.filter(cmp.apply(figure_change::Column::Change, *change));
                }
                cond = cond.add(country::Column::Id.in_subquery(changes.into_query()));
            } else if !score.change.is_empty() {
                // no earlier edition to compare with: nothing has a change
                cond = cond.add(Expr::value(false));
            }
            cond
        }
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;
    use sea_orm::{DbBackend, QueryTrait};

    fn comparisons<T: std::fmt::Debug + Clone>(
        value: impl Strategy<Value = T> + Clone,
    ) -> impl Strategy<Value = Vec<(Cmp, T)>> {
        let cmp = prop_oneof![
            Just(Cmp::Eq),
            Just(Cmp::Ne),
            Just(Cmp::Gt),
            Just(Cmp::Gte),
            Just(Cmp::Lt),
            Just(Cmp::Lte)
        ];
        proptest::collection::vec((cmp, value), 0..4)
    }

    fn decimal() -> impl Strategy<Value = Decimal> + Clone {
        (-100_000i64..100_000, 0u32..6).prop_map(|(n, scale)| Decimal::new(n, scale))
    }

    /// Filter trees of every shape the parser can build, up to 8 levels and 200 nodes.
    fn filter() -> impl Strategy<Value = CountryFilter> {
        let continent = prop_oneof![
            Just(Continent::Africa),
            Just(Continent::Americas),
            Just(Continent::Asia),
            Just(Continent::Europe),
            Just(Continent::Oceania)
        ];
        let score = (
            1..60i32,
            comparisons(decimal()),
            comparisons(1..200i32),
            comparisons(decimal()),
            proptest::option::of(1..20i32),
        )
            .prop_map(|(indicator_id, value, rank, change, since_edition_id)| {
                ScoreFilter { indicator_id, value, rank, change, since_edition_id }
            });
        let leaf = prop_oneof![
            continent.prop_map(CountryFilter::Continent),
            // quotes, backslashes and SQL in region names are values like any other
            "[A-Za-z '\\\\;$-]{0,24}".prop_map(CountryFilter::Region),
            proptest::collection::vec("[A-Z]{3}", 0..12).prop_map(CountryFilter::Iso3),
            score.prop_map(CountryFilter::Score),
        ];
        leaf.prop_recursive(8, 200, 8, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..8).prop_map(CountryFilter::All),
                proptest::collection::vec(inner.clone(), 0..8).prop_map(CountryFilter::Any),
                inner.prop_map(|f| CountryFilter::Not(Box::new(f))),
            ]
        })
    }

    /// The highest `$n` placeholder of a Postgres statement.
    fn placeholders(sql: &str) -> usize {
        sql.split('$')
            .skip(1)
            .filter_map(|rest| {
                let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                digits.parse::<usize>().ok()
            })
            .max()
            .unwrap_or(0)
    }

    proptest! {
        // a fixed seed: the same cases on every run, so a red CI is a change in the code, not a
        // new draw (try other cases by changing the seed)
        #![proptest_config(ProptestConfig {
            rng_seed: proptest::test_runner::RngSeed::Fixed(0x0C1D_2023),
            ..ProptestConfig::with_cases(200)
        })]

        /// Every filter becomes one statement whose every value is bound: the text holds no
        /// value, and each placeholder has its value.
        #[test]
        fn every_filter_becomes_one_statement_with_every_value_bound(
            filter in filter(),
            edition in 1..50i32,
        ) {
            let statement = country::Entity::find()
                .filter(condition(&filter, edition))
                .build(DbBackend::Postgres);
            let values = statement.values.map(|v| v.0.len()).unwrap_or_default();
            prop_assert_eq!(placeholders(&statement.sql), values, "{}", statement.sql);
            prop_assert!(!statement.sql.contains('\''), "a value in the text: {}", statement.sql);
        }
    }

    #[test]
    fn the_deepest_filter_allowed_translates() {
        // 32 levels, as `graphql::filters` lets through
        let mut filter = CountryFilter::Iso3(vec!["KAZ".into()]);
        for _ in 0..31 {
            filter = CountryFilter::Not(Box::new(filter));
        }
        let statement = country::Entity::find()
            .filter(condition(&filter, 1))
            .build(sea_orm::DbBackend::Postgres);
        // negations of negations cancel: 31 of them are one
        assert_eq!(statement.sql.matches("NOT").count(), 1, "{}", statement.sql);
        assert!(
            statement.sql.ends_with(r#"WHERE NOT "countries"."iso3" IN ($1)"#),
            "{}",
            statement.sql
        );
    }
}
