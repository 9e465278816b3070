//! Writes of countries: new member states, renames, and the spellings (aliases) that the
//! importers resolve names by.
use entity::{country, country_alias};
use reference::alias_key;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};

#[tracing::instrument(skip(db))]
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    iso3: &str,
    name: &str,
    slug: &str,
) -> Result<country::Model, DbErr> {
    country::ActiveModel {
        iso3: Set(iso3.to_owned()),
        name: Set(name.to_owned()),
        slug: Set(slug.to_owned()),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// Gives a country a new name; its slug stays, so that links to it keep working.
#[tracing::instrument(skip(db))]
pub async fn rename<C: ConnectionTrait>(db: &C, country_id: i32, name: &str) -> Result<(), DbErr> {
    country::Entity::update_many()
        .col_expr(country::Column::Name, name.into())
        .filter(country::Column::Id.eq(country_id))
        .exec(db)
        .await
        .map(|_| ())
}

pub async fn by_slug<C: ConnectionTrait>(
    db: &C,
    slug: &str,
) -> Result<Option<country::Model>, DbErr> {
    country::Entity::find().filter(country::Column::Slug.eq(slug)).one(db).await
}

/// The country a spelling already belongs to.
pub async fn alias_owner<C: ConnectionTrait>(db: &C, spelling: &str) -> Result<Option<i32>, DbErr> {
    let alias = country_alias::Entity::find_by_id(alias_key(spelling)).one(db).await?;
    Ok(alias.map(|a| a.country_id))
}

/// Records a spelling of a country's name; a spelling it already has is kept as it was.
#[tracing::instrument(skip(db))]
pub async fn add_alias<C: ConnectionTrait>(
    db: &C,
    country_id: i32,
    spelling: &str,
) -> Result<(), DbErr> {
    country_alias::Entity::insert(country_alias::ActiveModel {
        alias_key: Set(alias_key(spelling)),
        alias: Set(spelling.to_owned()),
        country_id: Set(country_id),
    })
    .on_conflict(OnConflict::column(country_alias::Column::AliasKey).do_nothing().to_owned())
    .do_nothing()
    .exec_without_returning(db)
    .await
    .map(|_| ())
}
