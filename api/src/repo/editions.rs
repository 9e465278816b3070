//! Writes of the editions workflow: drafts, their indicator sets, members and entered scores,
//! publication. Callers pass a transaction that holds [`lock_for_writing`].
use super::figures::ints;
use entity::values::{Continent, EditionStatus};
use entity::{country_edition, edition, edition_indicator, narrative, score};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, Set, Statement,
};

/// Serialises writers of entered data: each of them rebuilds the derived figures, which two
/// concurrent transactions cannot both do. Held until the transaction ends.
///
/// The transaction's statements may also take up to [`WRITE_STATEMENT_TIMEOUT_MS`]: the
/// server's statement timeout is sized for reads, while rebuilding the figures of a whole
/// edition takes seconds (more under load), and writers are few, authenticated and one at a
/// time. A session without a timeout (the command-line tools) keeps none.
pub async fn lock_for_writing<C: ConnectionTrait>(db: &C) -> Result<(), DbErr> {
    db.execute_unprepared(&format!(
        "SELECT set_config('statement_timeout', '{WRITE_STATEMENT_TIMEOUT_MS}', true)
           FROM pg_settings
          WHERE name = 'statement_timeout'
            AND setting::bigint BETWEEN 1 AND {WRITE_STATEMENT_TIMEOUT_MS} - 1;
         SELECT pg_advisory_xact_lock(1329809752)"
    ))
    .await
    // the lock's key is an arbitrary constant of this application: "OCIX" in ASCII
    .map(|_| ())
}

/// How long one statement of a write transaction may run, in milliseconds (5 minutes).
pub const WRITE_STATEMENT_TIMEOUT_MS: u64 = 300_000;

#[tracing::instrument(skip(db))]
pub async fn insert_draft<C: ConnectionTrait>(
    db: &C,
    year: i32,
    title: &str,
) -> Result<edition::Model, DbErr> {
    edition::ActiveModel {
        year: Set(year),
        title: Set(title.to_owned()),
        status: Set(EditionStatus::Draft),
        published_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// Adds indicators to an edition's set; those already in it stay.
#[tracing::instrument(skip(db, indicator_ids), fields(count = indicator_ids.len()))]
pub async fn add_to_set<C: ConnectionTrait>(
    db: &C,
    edition_id: i32,
    indicator_ids: &[i32],
) -> Result<(), DbErr> {
    if indicator_ids.is_empty() {
        return Ok(());
    }
    edition_indicator::Entity::insert_many(indicator_ids.iter().map(|&indicator_id| {
        edition_indicator::ActiveModel {
            edition_id: Set(edition_id),
            indicator_id: Set(indicator_id),
        }
    }))
    .on_conflict(OnConflict::new().do_nothing().to_owned())
    .do_nothing()
    .exec_without_returning(db)
    .await
    .map(|_| ())
}

/// Makes the members of edition `from` (with their continent and region) members of `to`.
#[tracing::instrument(skip(db))]
pub async fn copy_members<C: ConnectionTrait>(db: &C, from: i32, to: i32) -> Result<u64, DbErr> {
    let result = db
        .execute(Statement::from_sql_and_values(
            db.get_database_backend(),
            "INSERT INTO country_editions (edition_id, country_id, continent, region)
             SELECT $1, country_id, continent, region FROM country_editions WHERE edition_id = $2
             ON CONFLICT DO NOTHING",
            [to.into(), from.into()],
        ))
        .await?;
    Ok(result.rows_affected())
}

/// Publishes an edition now, or takes it back to a draft.
#[tracing::instrument(skip(db))]
pub async fn set_published<C: ConnectionTrait>(
    db: &C,
    edition_id: i32,
    published: bool,
) -> Result<(), DbErr> {
    let (status, published_at) = if published {
        (EditionStatus::Published, Expr::cust("now()"))
    } else {
        (EditionStatus::Draft, Expr::cust("NULL"))
    };
    edition::Entity::update_many()
        .col_expr(edition::Column::Status, Expr::value(status))
        .col_expr(edition::Column::PublishedAt, published_at)
        .filter(edition::Column::Id.eq(edition_id))
        .exec(db)
        .await
        .map(|_| ())
}

/// Deletes an edition with everything that hangs off it (set, members, scores, figures,
/// narratives), by the schema's cascades.
#[tracing::instrument(skip(db))]
pub async fn delete<C: ConnectionTrait>(db: &C, edition_id: i32) -> Result<(), DbErr> {
    edition::Entity::delete_by_id(edition_id).exec(db).await.map(|_| ())
}

pub async fn members<C: ConnectionTrait>(
    db: &C,
    edition_id: i32,
) -> Result<Vec<country_edition::Model>, DbErr> {
    country_edition::Entity::find()
        .filter(country_edition::Column::EditionId.eq(edition_id))
        .all(db)
        .await
}

/// Entered scores of an edition.
pub async fn scores<C: ConnectionTrait>(
    db: &C,
    edition_id: i32,
) -> Result<Vec<score::Model>, DbErr> {
    score::Entity::find().filter(score::Column::EditionId.eq(edition_id)).all(db).await
}

/// The entered scores of an edition at some (country, indicator) keys, with their values:
/// what a batch replaces, without reading the rest of the edition.
pub async fn scores_at<C: ConnectionTrait>(
    db: &C,
    edition_id: i32,
    keys: &[(i32, i32)],
) -> Result<Vec<(i32, i32, Decimal)>, DbErr> {
    let rows = db
        .query_all(Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT s.country_id, s.indicator_id, s.value
               FROM UNNEST($2::int[], $3::int[]) AS k(country_id, indicator_id)
               JOIN scores s ON s.edition_id = $1 AND s.country_id = k.country_id
                            AND s.indicator_id = k.indicator_id",
            [edition_id.into(), ints(keys.iter().map(|k| k.0)), ints(keys.iter().map(|k| k.1))],
        ))
        .await?;
    rows.into_iter()
        .map(|row| {
            Ok((
                row.try_get("", "country_id")?,
                row.try_get("", "indicator_id")?,
                row.try_get("", "value")?,
            ))
        })
        .collect()
}

/// How many scores an edition holds.
pub async fn score_count<C: ConnectionTrait>(db: &C, edition_id: i32) -> Result<u64, DbErr> {
    score::Entity::find().filter(score::Column::EditionId.eq(edition_id)).count(db).await
}

pub async fn narrative_count<C: ConnectionTrait>(db: &C, edition_id: i32) -> Result<u64, DbErr> {
    narrative::Entity::find().filter(narrative::Column::EditionId.eq(edition_id)).count(db).await
}

/// Writes entered scores `(country id, indicator id, value)`, replacing earlier values of the
/// same (country, indicator). Each key may appear once.
#[tracing::instrument(skip(db, rows), fields(count = rows.len()))]
pub async fn upsert_scores<C: ConnectionTrait>(
    db: &C,
    edition_id: i32,
    rows: &[(i32, i32, Decimal)],
) -> Result<(), DbErr> {
    // 5 columns × 10,000 rows stays under Postgres' 65,535 bind parameters
    for chunk in rows.chunks(10_000) {
        score::Entity::insert_many(chunk.iter().map(|&(country_id, indicator_id, value)| {
            score::ActiveModel {
                edition_id: Set(edition_id),
                country_id: Set(country_id),
                indicator_id: Set(indicator_id),
                is_composite: Set(false),
                value: Set(value),
            }
        }))
        .on_conflict(
            OnConflict::columns([
                score::Column::EditionId,
                score::Column::CountryId,
                score::Column::IndicatorId,
            ])
            .update_column(score::Column::Value)
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

/// Places a country in an edition, or moves it to another continent or region there.
#[tracing::instrument(skip(db))]
pub async fn upsert_member<C: ConnectionTrait>(
    db: &C,
    edition_id: i32,
    country_id: i32,
    continent: Continent,
    region: &str,
) -> Result<(), DbErr> {
    country_edition::Entity::insert(country_edition::ActiveModel {
        edition_id: Set(edition_id),
        country_id: Set(country_id),
        continent: Set(continent),
        region: Set(region.to_owned()),
    })
    .on_conflict(
        OnConflict::columns([
            country_edition::Column::EditionId,
            country_edition::Column::CountryId,
        ])
        .update_columns([country_edition::Column::Continent, country_edition::Column::Region])
        .to_owned(),
    )
    .exec_without_returning(db)
    .await
    .map(|_| ())
}
