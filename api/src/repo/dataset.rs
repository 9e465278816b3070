//! Writes of whole editions: the edition, its indicator set, its members and their scores.
//! Callers pass a transaction; derived figures are rebuilt by [`super::figures::recompute`].
//!
//! What is stored is first compared with what is there ([`changes`]), and only the difference
//! is written ([`apply`]): storing the same data twice runs no statement on the data tables,
//! so no row is rewritten and no change notification (which empties every server's cache) is
//! sent.
use crate::methodology::HalfStep;
use entity::values::{Continent, EditionStatus};
use entity::{country_edition, edition, edition_indicator, score};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};
use std::collections::{BTreeMap, BTreeSet};

/// One edition as a source gives it (the official workbook, the bundled sample), resolved
/// against the database's countries and indicators.
#[derive(Debug, Clone)]
pub struct EditionData {
    pub year: i32,
    pub title: String,
    /// The edition's indicator set (composites included), by indicator id.
    pub indicator_ids: Vec<i32>,
    pub rows: Vec<CountryRow>,
}

#[derive(Debug, Clone)]
pub struct CountryRow {
    pub country_id: i32,
    pub continent: Continent,
    pub region: String,
    /// Entered scores of raw indicators, by indicator id.
    pub scores: Vec<(i32, HalfStep)>,
}

impl EditionData {
    pub fn score_count(&self) -> usize {
        self.rows.iter().map(|r| r.scores.len()).sum()
    }
}

/// What storing an [`EditionData`] as the complete content of its edition changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EditionChanges {
    /// The edition's id, `None` when it is new.
    pub edition_id: Option<i32>,
    /// The edition is new, or exists but is not published yet.
    pub publish: bool,
    pub set_removed: Vec<i32>,
    pub set_added: Vec<i32>,
    /// Members that leave the edition, by country id.
    pub members_removed: Vec<i32>,
    /// Members that join it or move to another continent or region.
    pub members_written: Vec<(i32, Continent, String)>,
    /// Scores that go, as (country id, indicator id).
    pub scores_removed: Vec<(i32, i32)>,
    /// Scores that are new or change, as (country id, indicator id, value).
    pub scores_written: Vec<(i32, i32, Decimal)>,
}

impl EditionChanges {
    /// Rows inserted, updated or deleted.
    pub fn rows(&self) -> usize {
        usize::from(self.publish)
            + self.set_removed.len()
            + self.set_added.len()
            + self.members_removed.len()
            + self.members_written.len()
            + self.scores_removed.len()
            + self.scores_written.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows() == 0
    }
}

/// Compares `data` with what the database holds of its edition. Reads only.
#[tracing::instrument(skip(db, data), fields(year = data.year))]
pub async fn changes<C: ConnectionTrait>(
    db: &C,
    data: &EditionData,
) -> Result<EditionChanges, DbErr> {
    let stored =
        edition::Entity::find().filter(edition::Column::Year.eq(data.year)).one(db).await?;
    let Some(stored) = stored else {
        // a new edition: everything is written
        return Ok(EditionChanges {
            edition_id: None,
            publish: true,
            set_added: data.indicator_ids.clone(),
            members_written: data
                .rows
                .iter()
                .map(|r| (r.country_id, r.continent, r.region.clone()))
                .collect(),
            scores_written: new_scores(data).map(|((c, i), v)| (c, i, v)).collect(),
            ..EditionChanges::default()
        });
    };
    let id = stored.id;
    let set: BTreeSet<i32> = edition_indicator::Entity::find()
        .filter(edition_indicator::Column::EditionId.eq(id))
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.indicator_id)
        .collect();
    let members: BTreeMap<i32, (Continent, String)> = country_edition::Entity::find()
        .filter(country_edition::Column::EditionId.eq(id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.country_id, (m.continent, m.region)))
        .collect();
    // a score's `is_composite` is its indicator's (a foreign key says so): the value is all
    // that can differ
    let scores: BTreeMap<(i32, i32), Decimal> = score::Entity::find()
        .filter(score::Column::EditionId.eq(id))
        .all(db)
        .await?
        .into_iter()
        .map(|s| ((s.country_id, s.indicator_id), s.value))
        .collect();

    let new_set: BTreeSet<i32> = data.indicator_ids.iter().copied().collect();
    let new_members: BTreeMap<i32, &CountryRow> =
        data.rows.iter().map(|r| (r.country_id, r)).collect();
    let new_scores: BTreeMap<(i32, i32), Decimal> = new_scores(data).collect();
    Ok(EditionChanges {
        edition_id: Some(id),
        publish: stored.status != EditionStatus::Published || stored.published_at.is_none(),
        set_removed: set.difference(&new_set).copied().collect(),
        set_added: new_set.difference(&set).copied().collect(),
        members_removed: members.keys().filter(|c| !new_members.contains_key(c)).copied().collect(),
        members_written: new_members
            .values()
            .filter(|r| {
                // equal when the continent and the region are: the region's text exactly
                members.get(&r.country_id).is_none_or(|(continent, region)| {
                    *continent != r.continent || *region != r.region
                })
            })
            .map(|r| (r.country_id, r.continent, r.region.clone()))
            .collect(),
        scores_removed: scores.keys().filter(|k| !new_scores.contains_key(k)).copied().collect(),
        scores_written: new_scores
            .iter()
            // Decimal equality is numeric: 4.5 and 4.50 are the same score
            .filter(|(k, v)| scores.get(k) != Some(v))
            .map(|(&(c, i), &v)| (c, i, v))
            .collect(),
    })
}

fn new_scores(data: &EditionData) -> impl Iterator<Item = ((i32, i32), Decimal)> + '_ {
    data.rows.iter().flat_map(|row| {
        row.scores
            .iter()
            .map(move |(indicator_id, value)| ((row.country_id, *indicator_id), value.to_decimal()))
    })
}

/// Writes `changes` (from [`changes`] on the same transaction, under the write lock) and
/// returns the edition's id. An empty change set runs no statement but the edition's lookup.
#[tracing::instrument(skip(db, data, changes), fields(year = data.year, rows = changes.rows()))]
pub async fn apply<C: ConnectionTrait>(
    db: &C,
    data: &EditionData,
    changes: &EditionChanges,
) -> Result<i32, DbErr> {
    let edition_id = match changes.edition_id {
        Some(id) => {
            if changes.publish {
                edition::Entity::update_many()
                    .col_expr(edition::Column::Status, Expr::value(EditionStatus::Published))
                    .col_expr(
                        edition::Column::PublishedAt,
                        Expr::cust("COALESCE(published_at, now())"),
                    )
                    .filter(edition::Column::Id.eq(id))
                    .exec(db)
                    .await?;
            }
            id
        }
        None => {
            edition::Entity::insert(edition::ActiveModel {
                year: Set(data.year),
                title: Set(data.title.clone()),
                status: Set(EditionStatus::Published),
                published_at: Set(Some(chrono::Utc::now().into())),
                ..Default::default()
            })
            .exec(db)
            .await?
            .last_insert_id
        }
    };

    // Scores hang off the set and the memberships: those that go leave first.
    for chunk in changes.scores_removed.chunks(1_000) {
        let keys = chunk.iter().fold(Condition::any(), |any, &(country_id, indicator_id)| {
            any.add(
                Condition::all()
                    .add(score::Column::CountryId.eq(country_id))
                    .add(score::Column::IndicatorId.eq(indicator_id)),
            )
        });
        score::Entity::delete_many()
            .filter(score::Column::EditionId.eq(edition_id))
            .filter(keys)
            .exec(db)
            .await?;
    }
    if !changes.members_removed.is_empty() {
        country_edition::Entity::delete_many()
            .filter(country_edition::Column::EditionId.eq(edition_id))
            .filter(country_edition::Column::CountryId.is_in(changes.members_removed.clone()))
            .exec(db)
            .await?;
    }
    if !changes.set_removed.is_empty() {
        edition_indicator::Entity::delete_many()
            .filter(edition_indicator::Column::EditionId.eq(edition_id))
            .filter(edition_indicator::Column::IndicatorId.is_in(changes.set_removed.clone()))
            .exec(db)
            .await?;
    }
    super::editions::add_to_set(db, edition_id, &changes.set_added).await?;
    if !changes.members_written.is_empty() {
        country_edition::Entity::insert_many(changes.members_written.iter().map(
            |(country_id, continent, region)| country_edition::ActiveModel {
                edition_id: Set(edition_id),
                country_id: Set(*country_id),
                continent: Set(*continent),
                region: Set(region.clone()),
            },
        ))
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
    super::editions::upsert_scores(db, edition_id, &changes.scores_written).await?;
    Ok(edition_id)
}

/// Stores `data` as the complete content of its edition, creating the edition as published
/// if it is new; returns what changed. Writing the same data twice writes nothing the second
/// time.
pub async fn replace_published_edition<C: ConnectionTrait>(
    db: &C,
    data: &EditionData,
) -> Result<EditionChanges, DbErr> {
    let changes = changes(db, data).await?;
    apply(db, data, &changes).await?;
    Ok(changes)
}
