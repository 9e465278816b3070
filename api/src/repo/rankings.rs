//! Lists over all countries of an edition: rankings, changes between editions, and filtered
//! country lists. Each is one statement, already ordered by the database.
use super::filters::{condition, Cmp, CountryFilter};
use entity::values::Continent;
use entity::{country, figure, figure_change};
use rust_decimal::Decimal;
use sea_orm::ActiveEnum;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Statement,
};

/// Restricts a list to a continent and/or a region of the edition.
#[derive(Clone, Debug, Default)]
pub struct Area {
    pub continent: Option<Continent>,
    pub region: Option<String>,
}

/// A country with one of its figures: one row of the join, read into both entities.
#[derive(Debug, Clone, FromQueryResult)]
pub struct Ranked {
    #[sea_orm(nested)]
    pub country: country::Model,
    #[sea_orm(nested)]
    pub figure: figure::Model,
}

/// The ranking of an indicator in an edition: highest value first, then by name.
#[tracing::instrument(skip(db))]
pub async fn ranking<C: ConnectionTrait>(
    db: &C,
    edition_id: i32,
    indicator_id: i32,
    area: &Area,
) -> Result<Vec<Ranked>, DbErr> {
    let sql = "SELECT c.id, c.iso3, c.name, c.slug, f.edition_id, f.indicator_id, f.country_id, f.value,
                      f.delta, f.rank, f.rank_in_continent, f.rank_in_region
               FROM figures f
               JOIN countries c ON c.id = f.country_id
               JOIN country_editions m ON m.edition_id = f.edition_id AND m.country_id = f.country_id
               WHERE f.edition_id = $1 AND f.indicator_id = $2
                 AND ($3::text IS NULL OR m.continent = $3) AND ($4::text IS NULL OR m.region = $4)
               ORDER BY f.value DESC, c.name";
    let values = [
        edition_id.into(),
        indicator_id.into(),
        area.continent.map(|c| c.to_value()).into(),
        area.region.clone().into(),
    ];
    Ranked::find_by_statement(Statement::from_sql_and_values(
        db.get_database_backend(),
        sql,
        values,
    ))
    .all(db)
    .await
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
#[derive(Debug, Clone, FromQueryResult)]
pub struct ChangeRow {
    #[sea_orm(nested)]
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
    let mut sql = String::from(
        "SELECT c.id, c.iso3, c.name, c.slug, fc.from_value, fc.to_value, fc.change
         FROM figure_changes fc
         JOIN countries c ON c.id = fc.country_id
         JOIN country_editions m ON (m.edition_id, m.country_id) = (fc.to_edition_id, fc.country_id)
         WHERE fc.indicator_id = $1 AND fc.from_edition_id = $2 AND fc.to_edition_id = $3
           AND ($4::text IS NULL OR m.continent = $4) AND ($5::text IS NULL OR m.region = $5)",
    );
    let mut values: Vec<sea_orm::Value> = vec![
        indicator_id.into(),
        from_edition_id.into(),
        to_edition_id.into(),
        area.continent.map(|c| c.to_value()).into(),
        area.region.clone().into(),
    ];
    for (cmp, value) in change {
        values.push((*value).into());
        sql.push_str(&format!(" AND fc.change {} ${}", cmp.sql(), values.len()));
    }
    sql.push_str(match order {
        ChangeOrder::ChangeDesc => " ORDER BY fc.change DESC, c.name",
        ChangeOrder::ChangeAsc => " ORDER BY fc.change ASC, c.name",
        ChangeOrder::ToValueDesc => " ORDER BY fc.to_value DESC, c.name",
        ChangeOrder::ToValueAsc => " ORDER BY fc.to_value ASC, c.name",
        ChangeOrder::NameAsc => " ORDER BY c.name",
    });
    ChangeRow::find_by_statement(Statement::from_sql_and_values(
        db.get_database_backend(),
        sql,
        values,
    ))
    .all(db)
    .await
}

/// The countries of an edition that pass `filter`, by name.
#[tracing::instrument(skip(db, filter))]
pub async fn countries<C: ConnectionTrait>(
    db: &C,
    edition_id: i32,
    filter: Option<&CountryFilter>,
) -> Result<Vec<country::Model>, DbErr> {
    let members = entity::country_edition::Entity::find()
        .select_only()
        .column(entity::country_edition::Column::CountryId)
        .filter(entity::country_edition::Column::EditionId.eq(edition_id))
        .into_query();
    let mut cond = Condition::all().add(country::Column::Id.in_subquery(members));
    if let Some(filter) = filter {
        cond = cond.add(condition(filter, edition_id));
    }
    country::Entity::find().filter(cond).order_by_asc(country::Column::Name).all(db).await
}

/// Every figure of one indicator in an edition, for ordering lists by it.
pub async fn figures_of<C: ConnectionTrait>(
    db: &C,
    edition_id: i32,
    indicator_id: i32,
) -> Result<Vec<figure::Model>, DbErr> {
    figure::Entity::find()
        .filter(figure::Column::EditionId.eq(edition_id))
        .filter(figure::Column::IndicatorId.eq(indicator_id))
        .all(db)
        .await
}

/// Every change of one indicator between two editions, for ordering lists by it.
pub async fn changes_of<C: ConnectionTrait>(
    db: &C,
    indicator_id: i32,
    from_edition_id: i32,
    to_edition_id: i32,
) -> Result<Vec<figure_change::Model>, DbErr> {
    figure_change::Entity::find()
        .filter(figure_change::Column::IndicatorId.eq(indicator_id))
        .filter(figure_change::Column::FromEditionId.eq(from_edition_id))
        .filter(figure_change::Column::ToEditionId.eq(to_edition_id))
        .all(db)
        .await
}
