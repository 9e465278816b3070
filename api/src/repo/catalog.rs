//! Reads of the reference tables: editions, indicators, countries and memberships.
use super::Visibility;
use entity::values::EditionStatus;
use entity::{country, country_alias, country_edition, edition, edition_indicator, indicator};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait,
};
use std::collections::HashMap;

fn visible(vis: Visibility) -> sea_orm::Condition {
    let mut cond = sea_orm::Condition::all();
    if !vis.includes_drafts() {
        cond = cond.add(edition::Column::Status.eq(EditionStatus::Published));
    }
    cond
}

/// Editions the caller may see, oldest first.
pub async fn editions<C: ConnectionTrait>(
    db: &C,
    vis: Visibility,
) -> Result<Vec<edition::Model>, DbErr> {
    edition::Entity::find().filter(visible(vis)).order_by_asc(edition::Column::Year).all(db).await
}

pub async fn edition_by_year<C: ConnectionTrait>(
    db: &C,
    year: i32,
    vis: Visibility,
) -> Result<Option<edition::Model>, DbErr> {
    edition::Entity::find()
        .filter(visible(vis))
        .filter(edition::Column::Year.eq(year))
        .one(db)
        .await
}

/// The latest published edition: the default of every `edition` argument.
pub async fn latest_published<C: ConnectionTrait>(db: &C) -> Result<Option<edition::Model>, DbErr> {
    edition::Entity::find()
        .filter(visible(Visibility::Published))
        .order_by_desc(edition::Column::Year)
        .one(db)
        .await
}

/// The whole indicator tree in presentation order.
pub async fn indicators<C: ConnectionTrait>(db: &C) -> Result<Vec<indicator::Model>, DbErr> {
    indicator::Entity::find().order_by_asc(indicator::Column::Position).all(db).await
}

/// Indicator ids of each of the given editions' sets.
pub async fn edition_sets<C: ConnectionTrait>(
    db: &C,
    edition_ids: &[i32],
) -> Result<Vec<(i32, i32)>, DbErr> {
    edition_indicator::Entity::find()
        .select_only()
        .column(edition_indicator::Column::EditionId)
        .column(edition_indicator::Column::IndicatorId)
        .filter(edition_indicator::Column::EditionId.is_in(edition_ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await
}

pub async fn country_by_iso3<C: ConnectionTrait>(
    db: &C,
    iso3: &str,
) -> Result<Option<country::Model>, DbErr> {
    country::Entity::find().filter(country::Column::Iso3.eq(iso3)).one(db).await
}

pub async fn countries_by_ids<C: ConnectionTrait>(
    db: &C,
    ids: &[i32],
) -> Result<Vec<country::Model>, DbErr> {
    country::Entity::find().filter(country::Column::Id.is_in(ids.iter().copied())).all(db).await
}

/// Countries covered by an edition, by name; every known country when `edition_id` is `None`.
pub async fn countries<C: ConnectionTrait>(
    db: &C,
    edition_id: Option<i32>,
) -> Result<Vec<country::Model>, DbErr> {
    let mut query = country::Entity::find().order_by_asc(country::Column::Name);
    if let Some(edition_id) = edition_id {
        let members = country_edition::Entity::find()
            .select_only()
            .column(country_edition::Column::CountryId)
            .filter(country_edition::Column::EditionId.eq(edition_id))
            .into_query();
        query = query.filter(country::Column::Id.in_subquery(members));
    }
    query.all(db).await
}

/// Continent and region of (country, edition) pairs.
pub async fn memberships<C: ConnectionTrait>(
    db: &C,
    keys: &[(i32, i32)],
) -> Result<Vec<country_edition::Model>, DbErr> {
    let rows = country_edition::Entity::find()
        .filter(country_edition::Column::CountryId.is_in(keys.iter().map(|k| k.0)))
        .filter(country_edition::Column::EditionId.is_in(keys.iter().map(|k| k.1)))
        .all(db)
        .await?;
    let wanted: std::collections::HashSet<_> = keys.iter().copied().collect();
    Ok(rows.into_iter().filter(|m| wanted.contains(&(m.country_id, m.edition_id))).collect())
}

/// Every known spelling of every country's name, by folded key.
pub async fn alias_index<C: ConnectionTrait>(db: &C) -> Result<HashMap<String, i32>, DbErr> {
    let aliases = country_alias::Entity::find().all(db).await?;
    Ok(aliases.into_iter().map(|a| (a.alias_key, a.country_id)).collect())
}

/// The regions of an edition, by name.
pub async fn regions<C: ConnectionTrait>(db: &C, edition_id: i32) -> Result<Vec<String>, DbErr> {
    country_edition::Entity::find()
        .select_only()
        .column(country_edition::Column::Region)
        .distinct()
        .filter(country_edition::Column::EditionId.eq(edition_id))
        .order_by_asc(country_edition::Column::Region)
        .into_tuple()
        .all(db)
        .await
}

/// The countries covered by any of the given editions, for suggestions when a code is unknown.
pub async fn countries_in<C: ConnectionTrait>(
    db: &C,
    edition_ids: &[i32],
) -> Result<Vec<country::Model>, DbErr> {
    let members = country_edition::Entity::find()
        .select_only()
        .column(country_edition::Column::CountryId)
        .filter(country_edition::Column::EditionId.is_in(edition_ids.iter().copied()))
        .into_query();
    country::Entity::find()
        .filter(country::Column::Id.in_subquery(members))
        .order_by_asc(country::Column::Iso3)
        .all(db)
        .await
}
