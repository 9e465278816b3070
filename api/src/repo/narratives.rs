//! Narratives: replaced per country and edition, never duplicated.
use entity::{narrative, narrative_indicator};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};

/// A narrative to store, with the indicators it covers in order.
pub struct NewNarrative {
    pub heading: Option<String>,
    pub body: String,
    pub indicator_ids: Vec<i32>,
}

/// Replaces the narratives of a country in an edition by `narratives`, in their order.
#[tracing::instrument(skip(db, narratives), fields(count = narratives.len()))]
pub async fn replace<C: ConnectionTrait>(
    db: &C,
    edition_id: i32,
    country_id: i32,
    narratives: &[NewNarrative],
) -> Result<(), DbErr> {
    narrative::Entity::delete_many()
        .filter(narrative::Column::EditionId.eq(edition_id))
        .filter(narrative::Column::CountryId.eq(country_id))
        .exec(db)
        .await?;
    for (position, new) in narratives.iter().enumerate() {
        let stored = narrative::Entity::insert(narrative::ActiveModel {
            edition_id: Set(edition_id),
            country_id: Set(country_id),
            heading: Set(new.heading.clone()),
            body: Set(new.body.clone()),
            position: Set(position as i32),
            ..Default::default()
        })
        .exec(db)
        .await?;
        if new.indicator_ids.is_empty() {
            continue;
        }
        narrative_indicator::Entity::insert_many(new.indicator_ids.iter().enumerate().map(|(k, &indicator_id)| {
            narrative_indicator::ActiveModel {
                narrative_id: Set(stored.last_insert_id),
                indicator_id: Set(indicator_id),
                position: Set(k as i32),
            }
        }))
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}
