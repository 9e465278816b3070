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
    /// The SQL operator.
    pub fn sql(self) -> &'static str {
        match self {
            Self::Eq => "=",
            Self::Ne => "<>",
            Self::Gt => ">",
            Self::Gte => ">=",
            Self::Lt => "<",
            Self::Lte => "<=",
        }
    }

    fn apply<C: ColumnTrait, V: Into<sea_orm::Value>>(self, column: C, value: V) -> SimpleExpr {
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
