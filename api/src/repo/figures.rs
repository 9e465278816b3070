//! Derived figures: recomputed and stored whenever entered scores change, read by index.
use crate::methodology::{self, EditionInput, HalfStep, Member, Node};
use entity::{country_edition, edition, edition_indicator, figure, figure_change, indicator, score};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, JoinType, QueryFilter, QuerySelect, Set,
};
use std::collections::{HashMap, HashSet};

/// Counts of what a recomputation stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Recomputed {
    pub figures: usize,
    pub changes: usize,
}

/// Rebuilds every derived figure from the entered scores, in the caller's transaction.
///
/// Everything is rebuilt, not only the edition that changed: an edition's scores feed the
/// deltas of the next published edition and the changes against every other edition, and a
/// full rebuild of the whole Index is a few hundred milliseconds.
#[tracing::instrument(skip(db))]
pub async fn recompute<C: ConnectionTrait>(db: &C) -> Result<Recomputed, DbErr> {
    let inputs = load_inputs(db).await?;
    let derived = methodology::derive(&inputs);

    figure_change::Entity::delete_many().exec(db).await?;
    figure::Entity::delete_many().exec(db).await?;
    // 8 columns × 4,000 rows stays under Postgres' 65,535 bind parameters
    for chunk in derived.figures.chunks(4000) {
        figure::Entity::insert_many(chunk.iter().map(|f| figure::ActiveModel {
            edition_id: Set(f.edition_id),
            indicator_id: Set(f.indicator_id),
            country_id: Set(f.country_id),
            value: Set(f.value),
            delta: Set(f.delta),
            rank: Set(f.rank),
            rank_in_continent: Set(f.rank_in_continent),
            rank_in_region: Set(f.rank_in_region),
        }))
        .exec_without_returning(db)
        .await?;
    }
    for chunk in derived.changes.chunks(8000) {
        figure_change::Entity::insert_many(chunk.iter().map(|c| figure_change::ActiveModel {
            indicator_id: Set(c.indicator_id),
            from_edition_id: Set(c.from_edition_id),
            to_edition_id: Set(c.to_edition_id),
            country_id: Set(c.country_id),
            change: Set(c.change),
        }))
        .exec_without_returning(db)
        .await?;
    }
    Ok(Recomputed { figures: derived.figures.len(), changes: derived.changes.len() })
}

/// Refreshes the planner's statistics after a bulk write: on fresh tables it assumes one row
/// everywhere and plans the ranking joins badly until autovacuum comes by. The whole
/// database, because the small lookup tables (editions, indicators) steer the join order
/// too; all of it takes a few tens of milliseconds.
pub async fn analyze<C: ConnectionTrait>(db: &C) -> Result<(), DbErr> {
    db.execute_unprepared("ANALYZE").await.map(|_| ())
}

async fn load_inputs<C: ConnectionTrait>(db: &C) -> Result<Vec<EditionInput>, DbErr> {
    let editions = edition::Entity::find().all(db).await?;
    let sets: Vec<(i32, i32, Option<i32>, bool)> = edition_indicator::Entity::find()
        .select_only()
        .column(edition_indicator::Column::EditionId)
        .column(indicator::Column::Id)
        .column(indicator::Column::ParentId)
        .column(indicator::Column::IsComposite)
        .join(JoinType::InnerJoin, edition_indicator_to_indicator())
        .into_tuple()
        .all(db)
        .await?;
    let members = country_edition::Entity::find().all(db).await?;
    let scores = score::Entity::find().all(db).await?;

    let mut inputs: HashMap<i32, EditionInput> = editions
        .into_iter()
        .map(|e| {
            let input = EditionInput {
                edition_id: e.id,
                year: e.year,
                published: e.is_published(),
                indicators: Vec::new(),
                members: Vec::new(),
                entered: HashMap::new(),
            };
            (e.id, input)
        })
        .collect();
    for (edition_id, id, parent, is_composite) in sets {
        if let Some(input) = inputs.get_mut(&edition_id) {
            input.indicators.push(Node { id, parent, is_composite });
        }
    }
    for m in members {
        if let Some(input) = inputs.get_mut(&m.edition_id) {
            input.members.push(Member { country_id: m.country_id, continent: m.continent, region: m.region });
        }
    }
    for s in scores {
        // the table's constraint admits only half steps from 1 to 10
        let value = HalfStep::parse(s.value).map_err(|e| DbErr::Custom(format!("stored score: {e}")))?;
        if let Some(input) = inputs.get_mut(&s.edition_id) {
            input.entered.insert((s.country_id, s.indicator_id), value.exact());
        }
    }
    Ok(inputs.into_values().collect())
}

fn edition_indicator_to_indicator() -> sea_orm::RelationDef {
    edition_indicator::Entity::belongs_to(indicator::Entity)
        .from(edition_indicator::Column::IndicatorId)
        .to(indicator::Column::Id)
        .into()
}

/// Published figures of several (country, edition) pairs, for the per-request loaders.
#[tracing::instrument(skip(db, keys), fields(keys = keys.len()))]
pub async fn for_countries<C: ConnectionTrait>(
    db: &C,
    keys: &[(i32, i32)],
) -> Result<Vec<figure::Model>, DbErr> {
    let countries: Vec<i32> = keys.iter().map(|k| k.0).collect();
    let editions: Vec<i32> = keys.iter().map(|k| k.1).collect();
    let rows = figure::Entity::find()
        .filter(figure::Column::CountryId.is_in(countries))
        .filter(figure::Column::EditionId.is_in(editions))
        .all(db)
        .await?;
    let wanted: HashSet<_> = keys.iter().copied().collect();
    Ok(rows.into_iter().filter(|f| wanted.contains(&(f.country_id, f.edition_id))).collect())
}

/// Every change of the given countries into the given editions, from any earlier edition:
/// keys are (country, to edition).
#[tracing::instrument(skip(db, keys), fields(keys = keys.len()))]
pub async fn changes_into<C: ConnectionTrait>(
    db: &C,
    keys: &[(i32, i32)],
) -> Result<Vec<figure_change::Model>, DbErr> {
    let rows = figure_change::Entity::find()
        .filter(figure_change::Column::CountryId.is_in(keys.iter().map(|k| k.0)))
        .filter(figure_change::Column::ToEditionId.is_in(keys.iter().map(|k| k.1)))
        .all(db)
        .await?;
    let wanted: HashSet<_> = keys.iter().copied().collect();
    Ok(rows.into_iter().filter(|c| wanted.contains(&(c.country_id, c.to_edition_id))).collect())
}
