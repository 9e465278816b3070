//! Lists over all countries of an edition: rankings, changes between editions, and filtered
//! country lists. Each is one statement, built from the entities' relations and already
//! ordered by the database.
use super::filters::{condition, Cmp, CountryFilter};
use super::row::{rows, Row};
use entity::values::Continent;
use entity::{country, country_edition, figure, figure_change};
use moka::sync::Cache;
use rust_decimal::Decimal;
use sea_orm::sea_query::{Alias, DynIden, Expr, NullOrdering, Order, SeaRc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, DbErr, EntityTrait, IdenStatic, JoinType,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, RelationTrait, Select, Statement,
};
use std::sync::LazyLock;

/// Restricts a list to a continent and/or a region of the edition.
#[derive(Clone, Debug, Default)]
pub struct Area {
    pub continent: Option<Continent>,
    pub region: Option<String>,
}

impl Area {
    /// The condition on the country's membership (`country_editions`) of the listed edition.
    fn condition(&self) -> Condition {
        let mut cond = Condition::all();
        if let Some(continent) = self.continent {
            cond = cond.add(country_edition::Column::Continent.eq(continent));
        }
        if let Some(region) = &self.region {
            cond = cond.add(country_edition::Column::Region.eq(region.as_str()));
        }
        cond
    }

    /// No continent or region asked for: the membership need not be read at all.
    fn is_everywhere(&self) -> bool {
        self.continent.is_none() && self.region.is_none()
    }
}

/// A figure read beside every ranked country, in the ranking's own statement: the country's
/// value of another indicator, or in another edition, that the question also asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Beside {
    pub edition_id: i32,
    pub indicator_id: i32,
}

/// The most figures read beside a ranking: each is one more join of the figures' key. Those
/// asked beyond it are left to the items' loader.
const MAX_BESIDE: usize = 4;

/// One ranked country's figure and, for each figure asked beside, its figure there (`None`
/// where it has none). The country is only named (`figure.country_id`): its name, code and
/// slug are reference data the caller holds in memory, not read again 193 times per ranking.
#[derive(Debug, Clone)]
pub struct RankedRow {
    pub figure: figure::Model,
    pub beside: Vec<Option<figure::Model>>,
}

/// The ranking of an indicator in an edition: highest value first, then by name; with each
/// country, its figures `beside` (the first four, `MAX_BESIDE`), from the same statement.
#[tracing::instrument(skip(db))]
pub async fn ranking<C: ConnectionTrait>(
    db: &C,
    edition_id: i32,
    indicator_id: i32,
    area: &Area,
    beside: &[Beside],
) -> Result<Vec<RankedRow>, DbErr> {
    let beside = &beside[..beside.len().min(MAX_BESIDE)];
    let statement =
        ranking_statement(db.get_database_backend(), edition_id, indicator_id, area, beside);
    let results = db.query_all(statement).await?;
    let ranked = Beside { edition_id, indicator_id };
    // read by position: by name, every column of every row is a hash lookup (and, for a
    // prefixed name, an allocation), a fifth of a 193-row ranking's CPU
    rows(&results, |row| {
        let country_id: i32 = row.get(0)?;
        let figure = figure_at(row, 1, ranked, country_id)?
            .ok_or_else(|| DbErr::Type("a ranked figure without a value".to_owned()))?;
        let beside = beside
            .iter()
            .enumerate()
            .map(|(k, &of)| figure_at(row, 1 + FIGURE_COLUMNS.len() * (k + 1), of, country_id))
            .collect::<Result<_, DbErr>>()?;
        Ok(RankedRow { figure, beside })
    })
}

/// What alone decides a ranking's statement (its SQL and its values).
#[derive(Clone, PartialEq, Eq, Hash)]
struct RankingKey {
    edition_id: i32,
    indicator_id: i32,
    continent: Option<Continent>,
    region: Option<String>,
    beside: Vec<Beside>,
}

/// The ranking's statement, built once per question: sea-query took ~240k instructions to
/// build it (5% of the server's work for an uncached ranking of 193), the same statement every
/// time for the same question. The questions are few (editions × indicators × areas), and the
/// cache is bounded all the same.
fn ranking_statement(
    backend: DbBackend,
    edition_id: i32,
    indicator_id: i32,
    area: &Area,
    beside: &[Beside],
) -> Statement {
    static BUILT: LazyLock<Cache<RankingKey, Statement>> = LazyLock::new(|| Cache::new(4096));
    let build = || ranking_select(edition_id, indicator_id, area, beside).build(backend);
    if backend != DbBackend::Postgres {
        return build();
    }
    let key = RankingKey {
        edition_id,
        indicator_id,
        continent: area.continent,
        region: area.region.clone(),
        beside: beside.to_vec(),
    };
    BUILT.get_with(key, build)
}

/// The ranking's statement: the country's id, the figure's own columns, then each figure
/// beside's, in that order (the rows are read by position). The countries are joined for
/// their names' order alone.
fn ranking_select(
    edition_id: i32,
    indicator_id: i32,
    area: &Area,
    beside: &[Beside],
) -> Select<figure::Entity> {
    let select = figure::Entity::find().select_only().column(figure::Column::CountryId);
    let mut select = figure_columns(select, SeaRc::new(figure::Entity), "");
    if area.is_everywhere() {
        // a figure's country is a member of its edition (a foreign key): the membership is
        // joined for an area's condition alone
        let country = Expr::col((country::Entity, country::Column::Id))
            .equals((figure::Entity, figure::Column::CountryId));
        QueryTrait::query(&mut select).join(JoinType::InnerJoin, country::Entity, country);
    } else {
        select = select
            .join(JoinType::InnerJoin, figure::Relation::Membership.def())
            .join(JoinType::InnerJoin, country_edition::Relation::Country.def());
    }
    let mut select = select
        .filter(figure::Column::EditionId.eq(edition_id))
        .filter(figure::Column::IndicatorId.eq(indicator_id))
        .filter(area.condition())
        .order_by_desc(figure::Column::Value)
        .order_by_asc(country::Column::Name);
    for (k, b) in beside.iter().enumerate() {
        let alias = Alias::new(format!("beside{k}"));
        let on = Condition::all()
            .add(
                Expr::col((alias.clone(), figure::Column::CountryId))
                    .equals((figure::Entity, figure::Column::CountryId)),
            )
            .add(Expr::col((alias.clone(), figure::Column::EditionId)).eq(b.edition_id))
            .add(Expr::col((alias.clone(), figure::Column::IndicatorId)).eq(b.indicator_id));
        QueryTrait::query(&mut select).join_as(
            JoinType::LeftJoin,
            figure::Entity,
            alias.clone(),
            on,
        );
        select = figure_columns(select, SeaRc::new(alias), &format!("beside{k}_"));
    }
    select
}

/// Selects a figure's own columns (`FIGURE_COLUMNS`) from `table`, each named `prefix` and
/// the column's name. Its edition, indicator and country are not selected: the question and
/// the row's country give them.
fn figure_columns<E: EntityTrait>(
    mut select: Select<E>,
    table: DynIden,
    prefix: &str,
) -> Select<E> {
    for column in FIGURE_COLUMNS {
        select = select
            .column_as(Expr::col((table.clone(), column)), format!("{prefix}{}", column.as_str()));
    }
    select
}

/// The columns of a figure a ranking reads, in the order `figure_at` reads them.
const FIGURE_COLUMNS: [figure::Column; 5] = [
    figure::Column::Value,
    figure::Column::Delta,
    figure::Column::Rank,
    figure::Column::RankInContinent,
    figure::Column::RankInRegion,
];

/// The figure `of` (an edition's indicator) of country `country_id`, whose own columns
/// (`FIGURE_COLUMNS`, as `figure_columns` selects them) start at position `at` of `row`;
/// `None` where its value is NULL, a left join's figure that is not there (a figure's value
/// is never NULL).
fn figure_at(
    row: &Row<'_>,
    at: usize,
    of: Beside,
    country_id: i32,
) -> Result<Option<figure::Model>, DbErr> {
    let Some(value) = row.get(at)? else { return Ok(None) };
    Ok(Some(figure::Model {
        edition_id: of.edition_id,
        indicator_id: of.indicator_id,
        country_id,
        value,
        delta: row.get(at + 1)?,
        rank: row.get(at + 2)?,
        rank_in_continent: row.get(at + 3)?,
        rank_in_region: row.get(at + 4)?,
    }))
}

/// The order of a list of changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeOrder {
    ChangeDesc,
    ChangeAsc,
    ToValueDesc,
    ToValueAsc,
    NameAsc,
}

/// How one of a country's figures changed. The country is only named: its name, code and
/// slug are reference data the caller holds in memory.
#[derive(Debug, Clone)]
pub struct ChangeRow {
    pub country_id: i32,
    pub from_value: Decimal,
    pub to_value: Decimal,
    pub change: Decimal,
}

/// How an indicator changed between two editions, for the countries in `area` (as of the
/// later edition) whose change passes every comparison of `change`.
#[tracing::instrument(skip(db))]
pub async fn changes<C: ConnectionTrait>(
    db: &C,
    indicator_id: i32,
    from_edition_id: i32,
    to_edition_id: i32,
    change: &[(Cmp, Decimal)],
    area: &Area,
    order: ChangeOrder,
) -> Result<Vec<ChangeRow>, DbErr> {
    let select = changes_select(indicator_id, from_edition_id, to_edition_id, change, area, order);
    let results = db.query_all(select.build(db.get_database_backend())).await?;
    // read by position, as the ranking is
    rows(&results, |row| {
        Ok(ChangeRow {
            country_id: row.get(0)?,
            from_value: row.get(1)?,
            to_value: row.get(2)?,
            change: row.get(3)?,
        })
    })
}

/// The statement of `changes`: the country's id, then `from_value`, `to_value` and `change`
/// in that order (the rows are read by position). The countries are joined for their names'
/// order alone.
fn changes_select(
    indicator_id: i32,
    from_edition_id: i32,
    to_edition_id: i32,
    change: &[(Cmp, Decimal)],
    area: &Area,
    order: ChangeOrder,
) -> Select<figure_change::Entity> {
    // the view's two values are not columns of the entity, which holds what every change has
    let view_column = |name: &'static str| Expr::col((figure_change::Entity, Alias::new(name)));
    let mut select = figure_change::Entity::find()
        .select_only()
        .column(figure_change::Column::CountryId)
        .column_as(view_column("from_value"), "from_value")
        .column_as(view_column("to_value"), "to_value")
        .column(figure_change::Column::Change)
        .inner_join(country::Entity)
        .filter(figure_change::Column::IndicatorId.eq(indicator_id))
        .filter(figure_change::Column::FromEditionId.eq(from_edition_id))
        .filter(figure_change::Column::ToEditionId.eq(to_edition_id));
    // a change exists only for a member of both editions: the membership is joined for an
    // area's condition alone (joined always, it doubled the statement's cost in Postgres)
    if !area.is_everywhere() {
        select = select
            .join(JoinType::InnerJoin, figure_change::Relation::Membership.def())
            .filter(area.condition());
    }
    for (cmp, value) in change {
        select = select.filter(cmp.apply(figure_change::Column::Change, *value));
    }
    select = match order {
        ChangeOrder::ChangeDesc => select.order_by_desc(figure_change::Column::Change),
        ChangeOrder::ChangeAsc => select.order_by_asc(figure_change::Column::Change),
        ChangeOrder::ToValueDesc => select.order_by(view_column("to_value"), Order::Desc),
        ChangeOrder::ToValueAsc => select.order_by(view_column("to_value"), Order::Asc),
        ChangeOrder::NameAsc => select,
    };
    select.order_by_asc(country::Column::Name)
}

/// What a list of countries can be ordered by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CountryKey {
    Name,
    /// The value of one of the country's figures in the listed edition.
    Value {
        indicator_id: i32,
    },
    /// The rank of one of the country's figures in the listed edition.
    Rank {
        indicator_id: i32,
    },
    /// How one of the country's figures changed since an earlier edition.
    Change {
        indicator_id: i32,
        since_edition_id: i32,
    },
}

/// One key of an ordering; a country without a value for it comes after those with one,
/// whichever the direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CountryOrder {
    pub key: CountryKey,
    pub descending: bool,
}

/// The countries of an edition that pass `filter`, in the order of `order` and then by name:
/// one statement, each key a `LEFT JOIN` (a country without the figure or the change has a
/// null key, placed last).
#[tracing::instrument(skip(db, filter))]
pub async fn countries<C: ConnectionTrait>(
    db: &C,
    edition_id: i32,
    filter: Option<&CountryFilter>,
    order: &[CountryOrder],
) -> Result<Vec<country::Model>, DbErr> {
    countries_select(edition_id, filter, order).all(db).await
}

fn countries_select(
    edition_id: i32,
    filter: Option<&CountryFilter>,
    order: &[CountryOrder],
) -> Select<country::Entity> {
    let members = entity::country_edition::Entity::find()
        .select_only()
        .column(entity::country_edition::Column::CountryId)
        .filter(entity::country_edition::Column::EditionId.eq(edition_id))
        .into_query();
    let mut cond = Condition::all().add(country::Column::Id.in_subquery(members));
    if let Some(filter) = filter {
        cond = cond.add(condition(filter, edition_id));
    }
    let mut select = country::Entity::find().filter(cond);
    let query = QueryTrait::query(&mut select);
    for (i, order) in order.iter().enumerate() {
        let direction = if order.descending { Order::Desc } else { Order::Asc };
        let key = Alias::new(format!("key{i}"));
        let of_country = |country_id: Expr| {
            Condition::all().add(country_id.equals((country::Entity, country::Column::Id)))
        };
        match order.key {
            CountryKey::Name => {
                query.order_by((country::Entity, country::Column::Name), direction);
            }
            CountryKey::Value { indicator_id } | CountryKey::Rank { indicator_id } => {
                let column = Expr::col((key.clone(), figure::Column::CountryId));
                let on = of_country(column)
                    .add(Expr::col((key.clone(), figure::Column::EditionId)).eq(edition_id))
                    .add(Expr::col((key.clone(), figure::Column::IndicatorId)).eq(indicator_id));
                query.join_as(JoinType::LeftJoin, figure::Entity, key.clone(), on);
                let field = match order.key {
                    CountryKey::Rank { .. } => figure::Column::Rank,
                    _ => figure::Column::Value,
                };
                query.order_by_with_nulls((key, field), direction, NullOrdering::Last);
            }
            CountryKey::Change { indicator_id, since_edition_id } => {
                let column = Expr::col((key.clone(), figure_change::Column::CountryId));
                let on = of_country(column)
                    .add(
                        Expr::col((key.clone(), figure_change::Column::IndicatorId))
                            .eq(indicator_id),
                    )
                    .add(
                        Expr::col((key.clone(), figure_change::Column::FromEditionId))
                            .eq(since_edition_id),
                    )
                    .add(
                        Expr::col((key.clone(), figure_change::Column::ToEditionId)).eq(edition_id),
                    );
                query.join_as(JoinType::LeftJoin, figure_change::Entity, key.clone(), on);
                let field = figure_change::Column::Change;
                query.order_by_with_nulls((key, field), direction, NullOrdering::Last);
            }
        }
    }
    select.order_by_asc(country::Column::Name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::DbBackend;

    #[test]
    fn a_rankings_columns_are_where_its_rows_are_read() {
        let beside = [Beside { edition_id: 1, indicator_id: 2 }];
        let sql = ranking_select(1, 1, &Area::default(), &beside).build(DbBackend::Postgres).sql;
        let list = &sql["SELECT ".len()..sql.find(" FROM ").expect("a FROM")];
        let columns: Vec<&str> = list.split(", ").collect();
        let selected = |table: &'static str, prefix: &'static str| {
            ["value", "delta", "rank", "rank_in_continent", "rank_in_region"]
                .map(|c| format!(r#""{table}"."{c}" AS "{prefix}{c}""#))
        };
        let mut expected = vec![r#""figures"."country_id""#.to_owned()];
        expected.extend(selected("figures", ""));
        expected.extend(selected("beside0", "beside0_"));
        assert_eq!(columns, expected, "{sql}");
        assert!(!sql.contains("country_editions"), "no area, no membership joined: {sql}");
        let asia = Area { continent: Some(Continent::Asia), region: None };
        let sql = ranking_select(1, 1, &asia, &beside).build(DbBackend::Postgres).sql;
        assert!(sql.contains(r#"INNER JOIN "country_editions""#), "{sql}");
    }

    #[test]
    fn a_change_lists_columns_are_where_its_rows_are_read() {
        let area = Area { continent: Some(Continent::Asia), region: None };
        let select = changes_select(1, 1, 2, &[], &area, ChangeOrder::ChangeDesc);
        let sql = select.build(DbBackend::Postgres).sql;
        let list = &sql["SELECT ".len()..sql.find(" FROM ").expect("a FROM")];
        let columns: Vec<&str> = list.split(", ").collect();
        assert_eq!(
            columns,
            [
                r#""figure_changes"."country_id""#,
                r#""figure_changes"."from_value" AS "from_value""#,
                r#""figure_changes"."to_value" AS "to_value""#,
                r#""figure_changes"."change""#,
            ],
            "{sql}"
        );
    }

    #[test]
    fn an_ordering_is_one_statement_with_every_value_bound() {
        let order = [
            CountryOrder {
                key: CountryKey::Change { indicator_id: 7, since_edition_id: 1 },
                descending: true,
            },
            CountryOrder { key: CountryKey::Rank { indicator_id: 3 }, descending: false },
            CountryOrder { key: CountryKey::Name, descending: true },
        ];
        let statement = countries_select(2, None, &order).build(DbBackend::Postgres);
        let sql = statement.sql;
        assert_eq!(sql.matches("LEFT JOIN").count(), 2, "{sql}");
        assert_eq!(statement.values.map_or(0, |v| v.0.len()), 1 + 3 + 2, "{sql}");
        assert!(!sql.contains('\''), "a value in the text: {sql}");
        let order_by = &sql[sql.find("ORDER BY").expect("ordered")..];
        assert_eq!(
            order_by,
            r#"ORDER BY "key0"."change" DESC NULLS LAST, "key1"."rank" ASC NULLS LAST, "countries"."name" DESC, "countries"."name" ASC"#
        );
    }
}
