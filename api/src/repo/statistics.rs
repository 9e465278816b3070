//! The unrounded values behind aggregates: one edition's entered scores with the composites
//! computed again from them. The stored figures are rounded, and a mean of rounded figures
//! is not the Index's mean, so aggregates start from here.
use crate::methodology::{evaluate, Exact, HalfStep, Node};
use entity::values::Continent;
use entity::{country_edition, edition_indicator, indicator, score};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, JoinType, QueryFilter, QuerySelect,
};
use std::collections::HashMap;

/// A member country of an edition with its unrounded value of every indicator it has.
#[derive(Clone, Debug)]
pub struct MemberValues {
    pub country_id: i32,
    /// As stored ("ASIA").
    pub continent: Continent,
    pub region: String,
    pub values: HashMap<i32, Exact>,
}

/// Every member of `edition_id` with its exact values (composites from unrounded means).
#[tracing::instrument(skip(db))]
pub async fn edition_values<C: ConnectionTrait>(
    db: &C,
    edition_id: i32,
) -> Result<Vec<MemberValues>, DbErr> {
    let set: Vec<(i32, Option<i32>, bool)> = edition_indicator::Entity::find()
        .select_only()
        .column(indicator::Column::Id)
        .column(indicator::Column::ParentId)
        .column(indicator::Column::IsComposite)
        .join(JoinType::InnerJoin, indicator_to_edition_indicator())
        .filter(edition_indicator::Column::EditionId.eq(edition_id))
        .into_tuple()
        .all(db)
        .await?;
    let set: Vec<Node> = set
        .into_iter()
        .map(|(id, parent, is_composite)| Node { id, parent, is_composite })
        .collect();
    let members = country_edition::Entity::find()
        .filter(country_edition::Column::EditionId.eq(edition_id))
        .all(db)
        .await?;
    let scores: Vec<(i32, i32, rust_decimal::Decimal)> = score::Entity::find()
        .select_only()
        .column(score::Column::CountryId)
        .column(score::Column::IndicatorId)
        .column(score::Column::Value)
        .filter(score::Column::EditionId.eq(edition_id))
        .into_tuple()
        .all(db)
        .await?;
    let mut entered: HashMap<i32, HashMap<i32, Exact>> = HashMap::new();
    for (country_id, indicator_id, value) in scores {
        // the table's constraint admits only half steps from 1 to 10
        let value =
            HalfStep::parse(value).map_err(|e| DbErr::Custom(format!("stored score: {e}")))?;
        entered.entry(country_id).or_default().insert(indicator_id, value.exact());
    }
    Ok(members
        .into_iter()
        .map(|m| {
            let values = entered.get(&m.country_id).map(|e| evaluate(&set, e)).unwrap_or_default();
            MemberValues {
                country_id: m.country_id,
                continent: m.continent,
                region: m.region,
                values,
            }
        })
        .collect())
}

fn indicator_to_edition_indicator() -> sea_orm::RelationDef {
    edition_indicator::Entity::belongs_to(indicator::Entity)
        .from(edition_indicator::Column::IndicatorId)
        .to(indicator::Column::Id)
        .into()
}
