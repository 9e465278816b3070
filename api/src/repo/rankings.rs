//! Lists over all countries of an edition: rankings, changes between editions, and filtered
//! country lists. Each is one statement, built from the entities' relations and already
//! ordered by the database.
use super::filters::{condition, Cmp, CountryFilter};
use super::row::{rows, Row};
use entity::values::Continent;
use entity::{country, country_edition, figure, figure_change};
use moka::sync::Cache;
use rust_decimal::Decimal;
use sea_orm::sea_query::{Alias, DynIden, Expr, NullOrdering, Order, SeaRc, SimpleExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, DbErr, EntityTrait, IdenStatic, Iterable,
    JoinType, QueryFilter, QueryOrder, QuerySelect, QueryTrait, RelationTrait, Select, Statement,
};
use std::sync::LazyLock;

/// Restricts a list to a continent and/or a region of the edition.
#[derive(Clone, Debug, Default)]
pub struct Area {
    pub continent: Option<Continent>,
    pub region: Option<String>,
}

/// A country with one of its figures: one row of the join, read into both entities.
#[derive(Debug, Clone)]
pub struct Ranked {
    pub country: country::Model,
    pub figure: figure::Model,
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

/// One ranked country and, for each figure asked beside, its figure there (`None` where it
/// has none).
#[derive(Debug, Clone)]
pub struct RankedRow {
    pub ranked: Ranked,
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
    // read by position: by name, every column of every row is a hash lookup (and, for a
    // prefixed name, an allocation), a fifth of a 193-row ranking's CPU
    rows(&results, |row| {
        let figure = figure_at(row, 0)?;
        let country = country_at(row, FIGURE_COLUMNS)?;
        let beside = (0..beside.len())
            .map(|k| {
                let at = FIGURE_COLUMNS + COUNTRY_COLUMNS + k * FIGURE_COLUMNS;
                let found: Option<i32> = row.get(at)?;
                found.map(|_| figure_at(row, at)).transpose()
            })
            .collect::<Result<_, DbErr>>()?;
        Ok(RankedRow { ranked: Ranked { country, figure }, beside })
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

/// The ranking's statement: the figure's columns, the country's, then each figure beside's,
/// in that order (the rows are read by position).
fn ranking_select(
    edition_id: i32,
    indicator_id: i32,
    area: &Area,
    beside: &[Beside],
) -> Select<figure::Entity> {
    let mut select = figure::Entity::find().select_only();
    select = figure_columns(select, SeaRc::new(figure::Entity), "");
    let mut select = select
        .columns([country::Column::Id, country::Column::Iso3])
        .columns([country::Column::Name, country::Column::Slug])
        .join(JoinType::InnerJoin, figure::Relation::Membership.def())
        .join(JoinType::InnerJoin, country_edition::Relation::Country.def())
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

/// Selects a figure's columns from `table`, in `figure::Column` order, each named `prefix`
/// and the column's name; the value and the delta as whole hundredths, which `figure_at`
/// makes decimals again. A NUMERIC travels as base-10000 digits that the driver decodes
/// through an allocation: in a 193-row ranking that was a twelfth of the server's work.
fn figure_columns<E: EntityTrait>(
    mut select: Select<E>,
    table: DynIden,
    prefix: &str,
) -> Select<E> {
    for column in figure::Column::iter() {
        let name = format!("{prefix}{}", column.as_str());
        let value = Expr::col((table.clone(), column));
        select = match column {
            figure::Column::Value | figure::Column::Delta => {
                select.column_as(hundredths(value), name)
            }
            _ => select.column_as(value, name),
        };
    }
    select
}

/// A 2-decimal NUMERIC as a whole number of hundredths (exact: the scale is 2).
fn hundredths(value: impl Into<SimpleExpr>) -> SimpleExpr {
    Expr::cust_with_exprs("CAST($1 * 100 AS integer)", [value.into()])
}

/// A whole number of hundredths as the decimal it stands for.
fn from_hundredths(hundredths: i32) -> Decimal {
    Decimal::new(i64::from(hundredths), 2)
}

/// The columns of a figure, as `figure::Entity` selects them (in `figure::Column` order).
const FIGURE_COLUMNS: usize = 8;

/// The columns of a country: id, iso3, name, slug.
const COUNTRY_COLUMNS: usize = 4;

/// The country whose columns (id, iso3, name, slug) start at position `at` of `row`.
fn country_at(row: &Row<'_>, at: usize) -> Result<country::Model, DbErr> {
    Ok(country::Model {
        id: row.get(at)?,
        iso3: row.get(at + 1)?,
        name: row.get(at + 2)?,
        slug: row.get(at + 3)?,
    })
}

/// The figure whose columns, in `figure::Column` order as `figure_columns` selects them,
/// start at position `at` of `row`.
fn figure_at(row: &Row<'_>, at: usize) -> Result<figure::Model, DbErr> {
    Ok(figure::Model {
        edition_id: row.get(at)?,
        indicator_id: row.get(at + 1)?,
        country_id: row.get(at + 2)?,
        value: from_hundredths(row.get(at + 3)?),
        delta: row.get::<Option<i32>>(at + 4)?.map(from_hundredths),
        rank: row.get(at + 5)?,
        rank_in_continent: row.get(at + 6)?,
        rank_in_region: row.get(at + 7)?,
    })
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

/// A country with how one of its figures changed.
#[derive(Debug, Clone)]
pub struct ChangeRow {
    pub country: country::Model,
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
            country: country_at(row, 0)?,
            from_value: from_hundredths(row.get(COUNTRY_COLUMNS)?),
            to_value: from_hundredths(row.get(COUNTRY_COLUMNS + 1)?),
            change: from_hundredths(row.get(COUNTRY_COLUMNS + 2)?),
        })
    })
}

/// The statement of `changes`: the country's columns, then `from_value`, `to_value` and
/// `change` in hundredths, in that order (the rows are read by position).
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
        .columns([country::Column::Id, country::Column::Iso3])
        .columns([country::Column::Name, country::Column::Slug])
        .column_as(hundredths(view_column("from_value")), "from_value")
        .column_as(hundredths(view_column("to_value")), "to_value")
        .column_as(
            hundredths(Expr::col((figure_change::Entity, figure_change::Column::Change))),
            "change",
        )
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
        let figure = figure::Column::iter().map(|c| c.as_str().to_owned()).collect::<Vec<_>>();
        assert_eq!(figure.len(), FIGURE_COLUMNS);
        let selected = |table: &'static str, prefix: &'static str| {
            figure.iter().map(move |c| match c.as_str() {
                "value" | "delta" => {
                    format!(r#"CAST("{table}"."{c}" * 100 AS integer) AS "{prefix}{c}""#)
                }
                _ => format!(r#""{table}"."{c}" AS "{prefix}{c}""#),
            })
        };
        let mut expected: Vec<String> = selected("figures", "").collect();
        expected.extend(["id", "iso3", "name", "slug"].map(|c| format!(r#""countries"."{c}""#)));
        expected.extend(selected("beside0", "beside0_"));
        assert_eq!(columns, expected, "{sql}");
        // and `figure_at` reads the figure's fields in that order
        assert_eq!(
            figure,
            [
                "edition_id",
                "indicator_id",
                "country_id",
                "value",
                "delta",
                "rank",
                "rank_in_continent",
                "rank_in_region"
            ]
        );
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
                r#""countries"."id""#,
                r#""countries"."iso3""#,
                r#""countries"."name""#,
                r#""countries"."slug""#,
                r#"CAST("figure_changes"."from_value" * 100 AS integer) AS "from_value""#,
                r#"CAST("figure_changes"."to_value" * 100 AS integer) AS "to_value""#,
                r#"CAST("figure_changes"."change" * 100 AS integer) AS "change""#,
            ],
            "{sql}"
        );
        let country = country::Column::iter().map(|c| c.as_str().to_owned()).collect::<Vec<_>>();
        assert_eq!(country, ["id", "iso3", "name", "slug"], "as `country_at` reads them");
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
