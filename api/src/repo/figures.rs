//! Derived figures: recomputed and stored whenever entered scores change, read by index.
use crate::methodology::{self, EditionInput, HalfStep, Member, Node};
use entity::{
    country_edition, edition, edition_indicator, figure, figure_change, indicator, score,
};
use rust_decimal::Decimal;
use sea_orm::sea_query::ArrayType;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, JoinType, QuerySelect, Statement, Value};
use std::collections::HashMap;

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
    crate::telemetry::timed("recompute", rebuild(db)).await
}

async fn rebuild<C: ConnectionTrait>(db: &C) -> Result<Recomputed, DbErr> {
    let inputs = load_inputs(db).await?;
    let derived = methodology::derive(&inputs);

    figure_change::Entity::delete_many().exec(db).await?;
    figure::Entity::delete_many().exec(db).await?;
    let figures = &derived.figures;
    db.execute(Statement::from_sql_and_values(
        db.get_database_backend(),
        // the driver binds no NULL inside an array: deltas travel with a mask of which exist
        "INSERT INTO figures (edition_id, country_id, indicator_id, value, delta, rank, rank_in_continent, rank_in_region)
         SELECT e, c, i, v, CASE WHEN has_delta THEN d END, r, rc, rr
         FROM UNNEST($1::int[], $2::int[], $3::int[], $4::numeric[], $5::numeric[], $6::bool[], $7::int[], $8::int[], $9::int[])
              AS t(e, c, i, v, d, has_delta, r, rc, rr)",
        [
            ints(figures.iter().map(|f| f.edition_id)),
            ints(figures.iter().map(|f| f.country_id)),
            ints(figures.iter().map(|f| f.indicator_id)),
            decimals(figures.iter().map(|f| f.value)),
            decimals(figures.iter().map(|f| f.delta.unwrap_or_default())),
            Value::Array(
                ArrayType::Bool,
                Some(Box::new(figures.iter().map(|f| Value::Bool(Some(f.delta.is_some()))).collect())),
            ),
            ints(figures.iter().map(|f| f.rank)),
            ints(figures.iter().map(|f| f.rank_in_continent)),
            ints(figures.iter().map(|f| f.rank_in_region)),
        ],
    ))
    .await?;
    let changes = &derived.changes;
    db.execute(Statement::from_sql_and_values(
        db.get_database_backend(),
        "INSERT INTO figure_changes (indicator_id, from_edition_id, to_edition_id, country_id, change)
         SELECT * FROM UNNEST($1::int[], $2::int[], $3::int[], $4::int[], $5::numeric[])",
        [
            ints(changes.iter().map(|c| c.indicator_id)),
            ints(changes.iter().map(|c| c.from_edition_id)),
            ints(changes.iter().map(|c| c.to_edition_id)),
            ints(changes.iter().map(|c| c.country_id)),
            decimals(changes.iter().map(|c| c.change)),
        ],
    ))
    .await?;
    Ok(Recomputed { figures: derived.figures.len(), changes: derived.changes.len() })
}

/// Refreshes the planner's statistics after a bulk write: on fresh tables it assumes one row
/// everywhere and plans the ranking joins badly until autovacuum comes by. The whole
/// database, because the small lookup tables (editions, indicators) steer the join order
/// too; all of it takes a few tens of milliseconds.
pub async fn analyze<C: ConnectionTrait>(db: &C) -> Result<(), DbErr> {
    db.execute_unprepared("ANALYZE").await.map(|_| ())
}

/// A column of whole numbers for `UNNEST`: one array parameter instead of a parameter per
/// row, so that the whole Index is written in one statement per table.
pub(crate) fn ints(values: impl Iterator<Item = i32>) -> Value {
    Value::Array(ArrayType::Int, Some(Box::new(values.map(|v| Value::Int(Some(v))).collect())))
}

/// A column of decimals for `UNNEST`.
pub(crate) fn decimals(values: impl Iterator<Item = Decimal>) -> Value {
    let values = values.map(|v| Value::Decimal(Some(Box::new(v)))).collect();
    Value::Array(ArrayType::Decimal, Some(Box::new(values)))
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
            input.members.push(Member {
                country_id: m.country_id,
                continent: m.continent,
                region: m.region,
            });
        }
    }
    for s in scores {
        // the table's constraint admits only half steps from 1 to 10
        let value =
            HalfStep::parse(s.value).map_err(|e| DbErr::Custom(format!("stored score: {e}")))?;
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

/// Every figure of several (country, edition) pairs: a country's profile. The keys travel as
/// arrays joined in SQL, so the statement is the same whatever their number (planned once) and
/// reads exactly the rows asked for, never other editions'.
#[tracing::instrument(skip(db, keys), fields(keys = keys.len()))]
pub async fn for_countries<C: ConnectionTrait>(
    db: &C,
    keys: &[(i32, i32)],
) -> Result<Vec<figure::Model>, DbErr> {
    figure::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT f.* FROM UNNEST($1::int[], $2::int[]) AS k(country_id, edition_id)
             JOIN figures f ON f.country_id = k.country_id AND f.edition_id = k.edition_id",
            [ints(keys.iter().map(|k| k.0)), ints(keys.iter().map(|k| k.1))],
        ))
        .all(db)
        .await
}

/// One figure for each of several (country, edition, indicator) keys: what `score(indicator:)`
/// and `history(indicator:)` ask for, without the rest of each country's figures.
#[tracing::instrument(skip(db, keys), fields(keys = keys.len()))]
pub async fn for_indicators<C: ConnectionTrait>(
    db: &C,
    keys: &[(i32, i32, i32)],
) -> Result<Vec<figure::Model>, DbErr> {
    figure::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT f.* FROM UNNEST($1::int[], $2::int[], $3::int[]) AS k(country_id, edition_id, indicator_id)
             JOIN figures f ON f.edition_id = k.edition_id AND f.indicator_id = k.indicator_id
                           AND f.country_id = k.country_id",
            [
                ints(keys.iter().map(|k| k.0)),
                ints(keys.iter().map(|k| k.1)),
                ints(keys.iter().map(|k| k.2)),
            ],
        ))
        .all(db)
        .await
}

/// The changes of several countries between two given editions: keys are (country, from
/// edition, to edition), so only the editions asked about are read.
#[tracing::instrument(skip(db, keys), fields(keys = keys.len()))]
pub async fn changes_between<C: ConnectionTrait>(
    db: &C,
    keys: &[(i32, i32, i32)],
) -> Result<Vec<figure_change::Model>, DbErr> {
    figure_change::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT fc.* FROM UNNEST($1::int[], $2::int[], $3::int[]) AS k(country_id, from_edition_id, to_edition_id)
             JOIN figure_changes fc ON fc.country_id = k.country_id
                                   AND fc.from_edition_id = k.from_edition_id
                                   AND fc.to_edition_id = k.to_edition_id",
            [
                ints(keys.iter().map(|k| k.0)),
                ints(keys.iter().map(|k| k.1)),
                ints(keys.iter().map(|k| k.2)),
            ],
        ))
        .all(db)
        .await
}
