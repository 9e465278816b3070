//! Writes of whole editions: the edition, its indicator set, its members and their scores.
//! Callers pass a transaction; derived figures are rebuilt by [`super::figures::recompute`].
use crate::import::EditionData;
use entity::values::EditionStatus;
use entity::{country_edition, edition, edition_indicator, score};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};

/// Stores `data` as the complete content of its edition, creating the edition as published
/// if it is new. Writing the same data twice leaves the database as it was.
#[tracing::instrument(skip(db, data), fields(year = data.year))]
pub async fn replace_published_edition<C: ConnectionTrait>(
    db: &C,
    data: &EditionData,
) -> Result<i32, DbErr> {
    edition::Entity::insert(edition::ActiveModel {
        year: Set(data.year),
        title: Set(data.title.clone()),
        status: Set(EditionStatus::Published),
        published_at: Set(Some(chrono::Utc::now().into())),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(edition::Column::Year)
            .update_column(edition::Column::Status)
            .value(
                edition::Column::PublishedAt,
                Expr::cust("COALESCE(editions.published_at, EXCLUDED.published_at)"),
            )
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    let edition = edition::Entity::find()
        .filter(edition::Column::Year.eq(data.year))
        .one(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("edition {}", data.year)))?;

    // Scores hang off the set and the memberships: clear them first, then rebuild all three.
    score::Entity::delete_many().filter(score::Column::EditionId.eq(edition.id)).exec(db).await?;
    country_edition::Entity::delete_many()
        .filter(country_edition::Column::EditionId.eq(edition.id))
        .filter(
            country_edition::Column::CountryId.is_not_in(data.rows.iter().map(|r| r.country_id)),
        )
        .exec(db)
        .await?;
    edition_indicator::Entity::delete_many()
        .filter(edition_indicator::Column::EditionId.eq(edition.id))
        .filter(
            edition_indicator::Column::IndicatorId.is_not_in(data.indicator_ids.iter().copied()),
        )
        .exec(db)
        .await?;
    edition_indicator::Entity::insert_many(data.indicator_ids.iter().map(|&indicator_id| {
        edition_indicator::ActiveModel {
            edition_id: Set(edition.id),
            indicator_id: Set(indicator_id),
        }
    }))
    .on_conflict(OnConflict::new().do_nothing().to_owned())
    .do_nothing()
    .exec_without_returning(db)
    .await?;

    if !data.rows.is_empty() {
        country_edition::Entity::insert_many(data.rows.iter().map(|row| {
            country_edition::ActiveModel {
                edition_id: Set(edition.id),
                country_id: Set(row.country_id),
                continent: Set(row.continent),
                region: Set(row.region.clone()),
            }
        }))
        .on_conflict(
            OnConflict::columns([
                country_edition::Column::EditionId,
                country_edition::Column::CountryId,
            ])
            .update_columns([country_edition::Column::Continent, country_edition::Column::Region])
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    }

    let scores: Vec<score::ActiveModel> = data
        .rows
        .iter()
        .flat_map(|row| {
            row.scores.iter().map(move |(indicator_id, value)| score::ActiveModel {
                edition_id: Set(edition.id),
                country_id: Set(row.country_id),
                indicator_id: Set(*indicator_id),
                is_composite: Set(false),
                value: Set(value.to_decimal()),
            })
        })
        .collect();
    // 5 columns × 10,000 rows stays under Postgres' 65,535 bind parameters
    let mut scores = scores.into_iter().peekable();
    while scores.peek().is_some() {
        let chunk: Vec<_> = scores.by_ref().take(10_000).collect();
        score::Entity::insert_many(chunk).exec_without_returning(db).await?;
    }
    Ok(edition.id)
}
