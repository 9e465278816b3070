//! Derived figures: recomputed and stored whenever entered scores change, read by index.
use crate::methodology::{self, EditionInput, Exact, FigureRow, HalfStep, Member, Node};
use entity::{
    country, country_edition, edition, edition_indicator, figure, figure_change, indicator, score,
};
use rust_decimal::Decimal;
use sea_orm::sea_query::{ArrayType, Expr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IdenStatic, JoinType, QueryFilter,
    QueryOrder, QuerySelect, Statement, Value,
};
use std::collections::HashMap;

/// Counts of what a recomputation stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Recomputed {
    pub figures: usize,
}

/// Rebuilds every derived figure of every edition from the entered scores, in the caller's
/// transaction: for imports, which replace whole editions, and to fill the exact values of
/// figures stored before they were kept. Writes recompute one edition with
/// [`recompute_edition`].
#[tracing::instrument(skip(db))]
pub async fn recompute<C: ConnectionTrait>(db: &C) -> Result<Recomputed, DbErr> {
    crate::telemetry::timed("recompute", rebuild(db)).await
}

async fn rebuild<C: ConnectionTrait>(db: &C) -> Result<Recomputed, DbErr> {
    let inputs = load_inputs(db, None).await?;
    let derived = methodology::derive(&inputs);
    figure::Entity::delete_many().exec(db).await?;
    // changes between editions are no longer stored: `figure_changes` computes them on read
    write_figures(db, None, &derived.figures).await?;
    Ok(Recomputed { figures: derived.figures.len() })
}

/// Recomputes the figures of one edition after a write to it, and the deltas of the editions
/// after it that compare with it (or with what it replaced): the cost depends on the size of
/// an edition, never on how many editions came before. Only rows whose value, delta or rank
/// changed are written.
#[tracing::instrument(skip(db))]
pub async fn recompute_edition<C: ConnectionTrait>(
    db: &C,
    edition_id: i32,
) -> Result<Recomputed, DbErr> {
    crate::telemetry::timed("recompute", rebuild_edition(db, edition_id)).await
}

async fn rebuild_edition<C: ConnectionTrait>(db: &C, edition_id: i32) -> Result<Recomputed, DbErr> {
    let editions = edition::Entity::find().order_by_asc(edition::Column::Year).all(db).await?;
    let Some(at) = editions.iter().position(|e| e.id == edition_id) else {
        return Ok(Recomputed::default());
    };
    let Some(input) = load_inputs(db, Some(edition_id)).await?.pop() else {
        return Ok(Recomputed::default());
    };
    let previous = editions[..at].iter().rev().find(|e| e.is_published());
    let before = match previous {
        Some(p) => Some(exact_values_of(db, p.id).await?),
        None => None,
    };
    let rows = methodology::derive_edition(&input, before.as_ref());
    write_figures(db, Some(edition_id), &rows).await?;

    // the deltas of the following editions up to the next published one compare with the
    // latest published edition before each of them, which may be this one
    for (k, later) in editions.iter().enumerate().skip(at + 1) {
        let base = editions[..k].iter().rev().find(|e| e.is_published());
        refresh_deltas(db, later.id, base.map(|e| e.id)).await?;
        if later.is_published() {
            break;
        }
    }
    Ok(Recomputed { figures: rows.len() })
}

/// Recomputes what a batch of entered scores changed in a draft, and nothing else: the
/// written values and the composites above them for the countries of the batch (their deltas
/// against the previous published edition included), and the global, continental and
/// regional ranks of those indicators across the edition, in one statement. The figures are
/// exactly those [`recompute_edition`] would store (the same exact arithmetic, rounded once;
/// SQL's `rank()` is the competition rank on the 2-decimal value), at a cost set by the
/// batch and the size of one edition's ranking, never by the number of editions.
///
/// `written` holds the (country, indicator) keys of the batch. A draft is no edition's base
/// of deltas, so no other edition changes; a published edition (which takes no scores
/// through the workflow) falls back to [`recompute_edition`]. Returns the number of figures
/// stored anew.
#[tracing::instrument(skip(db, edition, written), fields(edition = edition.year, written = written.len()))]
pub async fn recompute_scores<C: ConnectionTrait>(
    db: &C,
    edition: &edition::Model,
    written: &[(i32, i32)],
) -> Result<Recomputed, DbErr> {
    crate::telemetry::timed("recompute", rebuild_scores(db, edition, written)).await
}

async fn rebuild_scores<C: ConnectionTrait>(
    db: &C,
    edition: &edition::Model,
    written: &[(i32, i32)],
) -> Result<Recomputed, DbErr> {
    if edition.is_published() {
        return rebuild_edition(db, edition.id).await;
    }
    let edition_id = edition.id;
    let set = indicator_set(db, edition_id).await?;
    let mut countries: Vec<i32> = written.iter().map(|w| w.0).collect();
    countries.sort_unstable();
    countries.dedup();
    let mut indicators: Vec<i32> =
        methodology::affected(&set, written.iter().map(|w| w.1)).into_iter().collect();
    indicators.sort_unstable();
    if countries.is_empty() || indicators.is_empty() {
        return Ok(Recomputed::default());
    }

    // every entered score of the batch's countries: a composite needs all of its children
    let mut entered: HashMap<i32, HashMap<i32, Exact>> = HashMap::new();
    for (country, indicator, value) in scores_of(db, edition_id, &countries).await? {
        entered.entry(country).or_default().insert(indicator, value);
    }
    let before = previous_exact_values(db, edition, &countries).await?;
    let mut rows = Vec::new();
    for &country in &countries {
        let values = methodology::evaluate(&set, entered.get(&country).unwrap_or(&HashMap::new()));
        for &indicator in &indicators {
            let Some(&exact) = values.get(&indicator) else { continue };
            let delta =
                before.get(&(country, indicator)).map(|b| methodology::round_half_up(exact - b));
            rows.push(ScopedRow { country, indicator, exact, delta });
        }
    }
    let stored = write_scoped(db, edition_id, &countries, &indicators, &rows).await?;
    Ok(Recomputed { figures: stored })
}

/// One recomputed figure of [`recompute_scores`]; its ranks are computed in SQL.
struct ScopedRow {
    country: i32,
    indicator: i32,
    exact: Exact,
    delta: Option<Decimal>,
}

/// An edition's indicator set, as the tree places it.
async fn indicator_set<C: ConnectionTrait>(db: &C, edition_id: i32) -> Result<Vec<Node>, DbErr> {
    let rows: Vec<(i32, Option<i32>, bool)> = edition_indicator::Entity::find()
        .select_only()
        .column(indicator::Column::Id)
        .column(indicator::Column::ParentId)
        .column(indicator::Column::IsComposite)
        .join(JoinType::InnerJoin, edition_indicator_to_indicator())
        .filter(edition_indicator::Column::EditionId.eq(edition_id))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, parent, is_composite)| Node { id, parent, is_composite })
        .collect())
}

/// The entered scores of some countries in an edition, as exact values.
async fn scores_of<C: ConnectionTrait>(
    db: &C,
    edition_id: i32,
    countries: &[i32],
) -> Result<Vec<(i32, i32, Exact)>, DbErr> {
    let rows: Vec<(i32, i32, Decimal)> = score::Entity::find()
        .select_only()
        .column(score::Column::CountryId)
        .column(score::Column::IndicatorId)
        .column(score::Column::Value)
        .filter(score::Column::EditionId.eq(edition_id))
        .filter(Expr::cust_with_values("country_id = ANY($1)", [ints(countries.iter().copied())]))
        .into_tuple()
        .all(db)
        .await?;
    rows.into_iter()
        .map(|(country, indicator, value)| {
            // the table's constraint admits only half steps from 1 to 10
            let value =
                HalfStep::parse(value).map_err(|e| DbErr::Custom(format!("stored score: {e}")))?;
            Ok((country, indicator, value.exact()))
        })
        .collect()
}

/// The exact values of some countries' figures in the latest published edition before
/// `edition`, the base of its deltas (none when no published edition comes before it).
async fn previous_exact_values<C: ConnectionTrait>(
    db: &C,
    edition: &edition::Model,
    countries: &[i32],
) -> Result<HashMap<(i32, i32), Exact>, DbErr> {
    let rows = db
        .query_all(Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT f.country_id, f.indicator_id, f.exact_num, f.exact_den
               FROM figures f
              WHERE f.edition_id = (SELECT p.id FROM editions p
                                     WHERE p.year < $1 AND p.status = 'PUBLISHED'
                                     ORDER BY p.year DESC LIMIT 1)
                AND f.country_id = ANY($2::int[])",
            [edition.year.into(), ints(countries.iter().copied())],
        ))
        .await?;
    rows.into_iter()
        .map(|row| {
            let key =
                (row.try_get::<i32>("", "country_id")?, row.try_get::<i32>("", "indicator_id")?);
            let num: Option<i64> = row.try_get("", "exact_num")?;
            let den: Option<i64> = row.try_get("", "exact_den")?;
            match (num, den) {
                (Some(num), Some(den)) => Ok((key, Exact::new(i128::from(num), i128::from(den)))),
                _ => Err(DbErr::Custom(format!(
                    "a figure before {} has no exact value",
                    edition.year
                ))),
            }
        })
        .collect()
}

/// The numerators and denominators of exact values, as arrays for the figures' BIGINT columns.
fn exact_columns<'a>(
    exacts: impl Iterator<Item = &'a Exact> + Clone,
) -> Result<(Value, Value), DbErr> {
    let column = |part: fn(&Exact) -> &i128| {
        let values = exacts
            .clone()
            .map(|e| {
                i64::try_from(*part(e))
                    .map(|v| Value::BigInt(Some(v)))
                    .map_err(|_| DbErr::Custom(format!("exact value {e} out of range")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok::<_, DbErr>(Value::Array(ArrayType::BigInt, Some(Box::new(values))))
    };
    Ok((column(Exact::numer)?, column(Exact::denom)?))
}

/// Stores the figures of `countries` × `indicators` (`rows`; a pair without a row has no
/// value any more and is deleted) and ranks those indicators anew across the edition, in one
/// statement that writes only the rows whose value, delta or rank changed.
async fn write_scoped<C: ConnectionTrait>(
    db: &C,
    edition_id: i32,
    countries: &[i32],
    indicators: &[i32],
    rows: &[ScopedRow],
) -> Result<usize, DbErr> {
    let (nums, dens) = exact_columns(rows.iter().map(|r| &r.exact))?;
    let values = vec![
        Value::Int(Some(edition_id)),
        ints(countries.iter().copied()),
        ints(indicators.iter().copied()),
        ints(rows.iter().map(|r| r.country)),
        ints(rows.iter().map(|r| r.indicator)),
        decimals(rows.iter().map(|r| methodology::round_half_up(r.exact))),
        decimals(rows.iter().map(|r| r.delta.unwrap_or_default())),
        Value::Array(
            ArrayType::Bool,
            Some(Box::new(rows.iter().map(|r| Value::Bool(Some(r.delta.is_some()))).collect())),
        ),
        nums,
        dens,
    ];
    let result = db
        .execute(Statement::from_sql_and_values(
            db.get_database_backend(),
            // `present` is every figure of the touched indicators as it will stand: the
            // recomputed rows of the batch's countries (with what is stored for them) and the
            // stored rows of the other countries, whose values stay. Ranked there with the
            // full rebuild's competition ranks, only rows whose value, delta or rank differ
            // from what is stored are written.
            "WITH new AS (
                 SELECT c, i, v, CASE WHEN has_delta THEN d END AS d, n, dn
                 FROM UNNEST($4::int[], $5::int[], $6::numeric[], $7::numeric[], $8::bool[],
                             $9::bigint[], $10::bigint[]) AS t(c, i, v, d, has_delta, n, dn)
             ), gone AS (
                 DELETE FROM figures f
                  WHERE f.edition_id = $1 AND f.country_id = ANY($2::int[])
                    AND f.indicator_id = ANY($3::int[])
                    AND (f.country_id, f.indicator_id) NOT IN (SELECT c, i FROM new)
             ), present AS (
                 SELECT n.c, n.i, n.v, n.d, n.n, n.dn,
                        (o.value, o.delta, o.exact_num, o.exact_den)
                            IS NOT DISTINCT FROM (n.v, n.d, n.n, n.dn) AS same,
                        o.rank AS r0, o.rank_in_continent AS rc0, o.rank_in_region AS rr0
                   FROM new n
                   LEFT JOIN figures o
                     ON o.edition_id = $1 AND o.indicator_id = n.i AND o.country_id = n.c
                 UNION ALL
                 SELECT f.country_id, f.indicator_id, f.value, f.delta, f.exact_num, f.exact_den,
                        true, f.rank, f.rank_in_continent, f.rank_in_region
                   FROM figures f
                  WHERE f.edition_id = $1 AND f.indicator_id = ANY($3::int[])
                    AND f.country_id <> ALL($2::int[])
             ), ranked AS (
                 SELECT p.*,
                        rank() OVER (PARTITION BY p.i ORDER BY p.v DESC)::int AS r,
                        rank() OVER (PARTITION BY p.i, m.continent ORDER BY p.v DESC)::int AS rc,
                        rank() OVER (PARTITION BY p.i, m.region ORDER BY p.v DESC)::int AS rr
                   FROM present p
                   JOIN country_editions m ON m.edition_id = $1 AND m.country_id = p.c
             )
             INSERT INTO figures AS f (edition_id, country_id, indicator_id, value, delta, rank,
                                       rank_in_continent, rank_in_region, exact_num, exact_den)
             SELECT $1, c, i, v, d, r, rc, rr, n, dn
               FROM ranked
              WHERE NOT same OR (r0, rc0, rr0) IS DISTINCT FROM (r, rc, rr)
             ON CONFLICT (edition_id, indicator_id, country_id) DO UPDATE
                SET value = EXCLUDED.value, delta = EXCLUDED.delta, rank = EXCLUDED.rank,
                    rank_in_continent = EXCLUDED.rank_in_continent,
                    rank_in_region = EXCLUDED.rank_in_region,
                    exact_num = EXCLUDED.exact_num, exact_den = EXCLUDED.exact_den",
            values,
        ))
        .await?;
    Ok(result.rows_affected() as usize)
}

/// Writes derived figures in one statement: all of them (`edition` None, into an empty
/// table), or one edition's, where rows that did not change are left alone and rows the
/// edition no longer has are deleted.
async fn write_figures<C: ConnectionTrait>(
    db: &C,
    edition: Option<i32>,
    figures: &[FigureRow],
) -> Result<(), DbErr> {
    let (nums, dens) = exact_columns(figures.iter().map(|f| &f.exact))?;
    let values = vec![
        edition.map_or(Value::Int(None), |e| Value::Int(Some(e))),
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
        nums,
        dens,
    ];
    db.execute(Statement::from_sql_and_values(
        db.get_database_backend(),
        // the driver binds no NULL inside an array: deltas travel with a mask of which exist
        "WITH new AS (
             SELECT e, c, i, v, CASE WHEN has_delta THEN d END AS d, r, rc, rr, n, dn
             FROM UNNEST($2::int[], $3::int[], $4::int[], $5::numeric[], $6::numeric[], $7::bool[],
                         $8::int[], $9::int[], $10::int[], $11::bigint[], $12::bigint[])
                  AS t(e, c, i, v, d, has_delta, r, rc, rr, n, dn)
         ), gone AS (
             -- NOT IN over the new rows is a hashed subplan whatever the estimates; NOT EXISTS
             -- became a nested loop over the CTE when the edition's figures had just been
             -- written (stale statistics): 14 s for an edition of 6,948 figures
             DELETE FROM figures f WHERE f.edition_id = $1::int
                AND (f.country_id, f.indicator_id) NOT IN (SELECT c, i FROM new)
         )
         INSERT INTO figures AS f (edition_id, country_id, indicator_id, value, delta, rank,
                                   rank_in_continent, rank_in_region, exact_num, exact_den)
         SELECT * FROM new
         ON CONFLICT (edition_id, indicator_id, country_id) DO UPDATE
            SET value = EXCLUDED.value, delta = EXCLUDED.delta, rank = EXCLUDED.rank,
                rank_in_continent = EXCLUDED.rank_in_continent,
                rank_in_region = EXCLUDED.rank_in_region,
                exact_num = EXCLUDED.exact_num, exact_den = EXCLUDED.exact_den
          WHERE (f.value, f.delta, f.rank, f.rank_in_continent, f.rank_in_region, f.exact_num, f.exact_den)
                IS DISTINCT FROM
                (EXCLUDED.value, EXCLUDED.delta, EXCLUDED.rank, EXCLUDED.rank_in_continent,
                 EXCLUDED.rank_in_region, EXCLUDED.exact_num, EXCLUDED.exact_den)",
        values,
    ))
    .await?;
    Ok(())
}

/// The exact values of an edition's figures, by (country, indicator).
async fn exact_values_of<C: ConnectionTrait>(
    db: &C,
    edition_id: i32,
) -> Result<HashMap<(i32, i32), Exact>, DbErr> {
    let rows: Vec<(i32, i32, Option<i64>, Option<i64>)> = figure::Entity::find()
        .select_only()
        .column(figure::Column::CountryId)
        .column(figure::Column::IndicatorId)
        .column_as(Expr::cust("exact_num"), "exact_num")
        .column_as(Expr::cust("exact_den"), "exact_den")
        .filter(figure::Column::EditionId.eq(edition_id))
        .into_tuple()
        .all(db)
        .await?;
    rows.into_iter()
        .map(|(country, indicator, num, den)| match (num, den) {
            (Some(num), Some(den)) => {
                Ok(((country, indicator), Exact::new(i128::from(num), i128::from(den))))
            }
            _ => Err(DbErr::Custom(format!("figure of edition {edition_id} has no exact value"))),
        })
        .collect()
}

/// Sets the deltas of an edition's figures against the exact values of `base` (none: no
/// delta), in one statement.
async fn refresh_deltas<C: ConnectionTrait>(
    db: &C,
    edition_id: i32,
    base: Option<i32>,
) -> Result<(), DbErr> {
    db.execute(Statement::from_sql_and_values(
        db.get_database_backend(),
        "UPDATE figures t SET delta = (
             SELECT round((t.exact_num::numeric * p.exact_den - p.exact_num::numeric * t.exact_den)
                          / (t.exact_den::numeric * p.exact_den), 2)
             FROM figures p
             WHERE p.edition_id = $2::int AND p.indicator_id = t.indicator_id
               AND p.country_id = t.country_id)
         WHERE t.edition_id = $1",
        [edition_id.into(), base.map_or(Value::Int(None), |b| Value::Int(Some(b)))],
    ))
    .await?;
    Ok(())
}

/// Fills the exact values of figures stored before they were kept (a database migrated
/// from an earlier version) with one full recomputation; nothing to do otherwise.
pub async fn ensure_exact_values(db: &sea_orm::DatabaseConnection) -> Result<bool, DbErr> {
    use sea_orm::TransactionTrait;
    let missing = db
        .query_one(Statement::from_string(
            db.get_database_backend(),
            "SELECT EXISTS (SELECT 1 FROM figures WHERE exact_den IS NULL) AS missing",
        ))
        .await?
        .map(|row| row.try_get::<bool>("", "missing"))
        .transpose()?
        .unwrap_or(false);
    if missing {
        let txn = db.begin().await?;
        recompute(&txn).await?;
        txn.commit().await?;
    }
    Ok(missing)
}

/// The tables a bulk write changes whose statistics steer the plans of the Index's reads:
/// what an import writes.
pub fn imported() -> [&'static str; 7] {
    [
        country::Entity.as_str(),
        country_edition::Entity.as_str(),
        edition::Entity.as_str(),
        indicator::Entity.as_str(),
        edition_indicator::Entity.as_str(),
        score::Entity.as_str(),
        figure::Entity.as_str(),
    ]
}

/// What publishing an edition writes: its status and its figures.
pub fn published() -> [&'static str; 2] {
    [edition::Entity.as_str(), figure::Entity.as_str()]
}

/// Refreshes the planner's statistics of `tables` after a bulk write: on fresh tables it
/// assumes one row everywhere and plans the ranking joins badly until autovacuum comes by;
/// the small lookup tables (editions, indicators) steer the join order too. Only the tables
/// written: a plain `ANALYZE` also sampled every system catalog and every table the write
/// left as it was, the larger part of a publish (150-170 ms of ~320 with 2 editions, 255-340
/// ms with 10; the figures' share is bounded by their statistics target, see the migrations).
pub async fn analyze<C: ConnectionTrait>(db: &C, tables: &[&str]) -> Result<(), DbErr> {
    db.execute_unprepared(&format!("ANALYZE {}", tables.join(", "))).await.map(|_| ())
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

/// The inputs of every edition, or of one.
async fn load_inputs<C: ConnectionTrait>(
    db: &C,
    only: Option<i32>,
) -> Result<Vec<EditionInput>, DbErr> {
    let mut editions = edition::Entity::find();
    let mut sets = edition_indicator::Entity::find()
        .select_only()
        .column(edition_indicator::Column::EditionId)
        .column(indicator::Column::Id)
        .column(indicator::Column::ParentId)
        .column(indicator::Column::IsComposite)
        .join(JoinType::InnerJoin, edition_indicator_to_indicator());
    let mut members = country_edition::Entity::find();
    let mut scores = score::Entity::find();
    if let Some(id) = only {
        editions = editions.filter(edition::Column::Id.eq(id));
        sets = sets.filter(edition_indicator::Column::EditionId.eq(id));
        members = members.filter(country_edition::Column::EditionId.eq(id));
        scores = scores.filter(score::Column::EditionId.eq(id));
    }
    let editions = editions.all(db).await?;
    let sets: Vec<(i32, i32, Option<i32>, bool)> = sets.into_tuple().all(db).await?;
    let members = members.all(db).await?;
    let scores = scores.all(db).await?;

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
                continent: sea_orm::ActiveEnum::to_value(&m.continent),
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

/// The loaders' statements, public for the test that reads their plans.
///
/// The server's sessions plan each statement once, without its parameters (see `database`):
/// such a plan cannot know how many keys an array holds, and for a join with the figures it
/// chose to read every figure of every edition into a hash. So each statement reads its keys'
/// rows in a `LATERAL` subquery that `OFFSET 0` keeps apart: an index lookup per key,
/// whatever the plan believes of their number.
pub mod statements {
    /// [`super::for_countries`]: (country, edition) keys.
    pub const FOR_COUNTRIES: &str = "
        SELECT f.* FROM UNNEST($1::int[], $2::int[]) AS k(country_id, edition_id)
        CROSS JOIN LATERAL (
            SELECT * FROM figures f
            WHERE f.country_id = k.country_id AND f.edition_id = k.edition_id OFFSET 0
        ) f";

    /// [`super::for_indicators`]: (country, edition, indicator) keys.
    pub const FOR_INDICATORS: &str = "
        SELECT f.* FROM UNNEST($1::int[], $2::int[], $3::int[])
            AS k(country_id, edition_id, indicator_id)
        CROSS JOIN LATERAL (
            SELECT * FROM figures f
            WHERE f.edition_id = k.edition_id AND f.indicator_id = k.indicator_id
              AND f.country_id = k.country_id OFFSET 0
        ) f";

    /// [`super::changes_between`]: (country, from edition, to edition) keys.
    pub const CHANGES_BETWEEN: &str = "
        SELECT fc.* FROM UNNEST($1::int[], $2::int[], $3::int[])
            AS k(country_id, from_edition_id, to_edition_id)
        CROSS JOIN LATERAL (
            SELECT * FROM figure_changes fc
            WHERE fc.country_id = k.country_id AND fc.from_edition_id = k.from_edition_id
              AND fc.to_edition_id = k.to_edition_id OFFSET 0
        ) fc";

    /// [`super::changes_of`]: (country, from edition, to edition, indicator) keys.
    pub const CHANGES_OF: &str = "
        SELECT fc.* FROM UNNEST($1::int[], $2::int[], $3::int[], $4::int[])
            AS k(country_id, from_edition_id, to_edition_id, indicator_id)
        CROSS JOIN LATERAL (
            SELECT * FROM figure_changes fc
            WHERE fc.country_id = k.country_id AND fc.from_edition_id = k.from_edition_id
              AND fc.to_edition_id = k.to_edition_id AND fc.indicator_id = k.indicator_id
            OFFSET 0
        ) fc";
}
use statements::{CHANGES_BETWEEN, CHANGES_OF, FOR_COUNTRIES, FOR_INDICATORS};

/// The rows of `E` that a loader's `statement` reads for its keys, given as one array per
/// key column.
async fn by_keys<E: EntityTrait, C: ConnectionTrait>(
    db: &C,
    statement: &str,
    columns: impl IntoIterator<Item = Value>,
) -> Result<Vec<E::Model>, DbErr> {
    let statement = Statement::from_sql_and_values(db.get_database_backend(), statement, columns);
    E::find().from_raw_sql(statement).all(db).await
}

/// Every figure of several (country, edition) pairs: a country's profile. The keys travel as
/// arrays joined in SQL, so the statement is the same whatever their number (planned once) and
/// reads exactly the rows asked for, never other editions'.
#[tracing::instrument(skip(db, keys), fields(keys = keys.len()))]
pub async fn for_countries<C: ConnectionTrait>(
    db: &C,
    keys: &[(i32, i32)],
) -> Result<Vec<figure::Model>, DbErr> {
    let columns = [ints(keys.iter().map(|k| k.0)), ints(keys.iter().map(|k| k.1))];
    by_keys::<figure::Entity, _>(db, FOR_COUNTRIES, columns).await
}

/// One figure for each of several (country, edition, indicator) keys: what `score(indicator:)`
/// and `history(indicator:)` ask for, without the rest of each country's figures.
#[tracing::instrument(skip(db, keys), fields(keys = keys.len()))]
pub async fn for_indicators<C: ConnectionTrait>(
    db: &C,
    keys: &[(i32, i32, i32)],
) -> Result<Vec<figure::Model>, DbErr> {
    let columns = [
        ints(keys.iter().map(|k| k.0)),
        ints(keys.iter().map(|k| k.1)),
        ints(keys.iter().map(|k| k.2)),
    ];
    by_keys::<figure::Entity, _>(db, FOR_INDICATORS, columns).await
}

/// The changes of several countries between two given editions: keys are (country, from
/// edition, to edition), so only the editions asked about are read.
#[tracing::instrument(skip(db, keys), fields(keys = keys.len()))]
pub async fn changes_between<C: ConnectionTrait>(
    db: &C,
    keys: &[(i32, i32, i32)],
) -> Result<Vec<figure_change::Model>, DbErr> {
    let columns = [
        ints(keys.iter().map(|k| k.0)),
        ints(keys.iter().map(|k| k.1)),
        ints(keys.iter().map(|k| k.2)),
    ];
    by_keys::<figure_change::Entity, _>(db, CHANGES_BETWEEN, columns).await
}

/// One change for each of several (country, from edition, to edition, indicator) keys: what
/// `score(indicator:) { change(since:) }` asks for, without the country's other changes
/// (each a computation on exact values: reading all 36 to keep one cost a list of 193
/// countries 14 ms of Postgres time).
#[tracing::instrument(skip(db, keys), fields(keys = keys.len()))]
pub async fn changes_of<C: ConnectionTrait>(
    db: &C,
    keys: &[(i32, i32, i32, i32)],
) -> Result<Vec<figure_change::Model>, DbErr> {
    let columns = [
        ints(keys.iter().map(|k| k.0)),
        ints(keys.iter().map(|k| k.1)),
        ints(keys.iter().map(|k| k.2)),
        ints(keys.iter().map(|k| k.3)),
    ];
    by_keys::<figure_change::Entity, _>(db, CHANGES_OF, columns).await
}
