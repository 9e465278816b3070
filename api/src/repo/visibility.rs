//! Reference data as a caller may see it. Indicators and countries that only drafts use (an
//! indicator introduced for the next edition, a new member state) are draft content: callers
//! who cannot see drafts do not see them either.
use super::{catalog, Visibility};
use entity::values::EditionStatus;
use entity::{country, indicator};
use sea_orm::{ConnectionTrait, DbErr, Statement, Value};
use std::collections::HashSet;

/// The indicator tree in presentation order, without draft-only indicators unless `vis`
/// includes drafts.
pub async fn indicators<C: ConnectionTrait>(
    db: &C,
    vis: Visibility,
) -> Result<Vec<indicator::Model>, DbErr> {
    let all = catalog::indicators(db).await?;
    if vis.includes_drafts() {
        return Ok(all);
    }
    let hidden = draft_only(
        db,
        "SELECT ei.indicator_id AS id FROM edition_indicators ei JOIN editions e ON e.id = ei.edition_id
         GROUP BY ei.indicator_id HAVING bool_and(e.status = $1)",
        [EditionStatus::Draft.into()],
    )
    .await?;
    Ok(all.into_iter().filter(|i| !hidden.contains(&i.id)).collect())
}

/// A country by ISO3 code, unless only drafts cover it and `vis` excludes drafts.
pub async fn country_by_iso3<C: ConnectionTrait>(
    db: &C,
    iso3: &str,
    vis: Visibility,
) -> Result<Option<country::Model>, DbErr> {
    let Some(country) = catalog::country_by_iso3(db, iso3).await? else { return Ok(None) };
    if vis.includes_drafts() {
        return Ok(Some(country));
    }
    let hidden = draft_only(
        db,
        "SELECT ce.country_id AS id FROM country_editions ce JOIN editions e ON e.id = ce.edition_id
         WHERE ce.country_id = $1 GROUP BY ce.country_id HAVING bool_and(e.status = $2)",
        [country.id.into(), EditionStatus::Draft.into()],
    )
    .await?;
    Ok((!hidden.contains(&country.id)).then_some(country))
}

/// The ids `sql` selects, its every value bound.
async fn draft_only<C: ConnectionTrait, const N: usize>(
    db: &C,
    sql: &str,
    values: [Value; N],
) -> Result<HashSet<i32>, DbErr> {
    let statement = Statement::from_sql_and_values(db.get_database_backend(), sql, values);
    let rows = db.query_all(statement).await?;
    rows.iter().map(|row| row.try_get::<i32>("", "id")).collect()
}
