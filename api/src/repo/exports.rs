//! Reads for bulk downloads: published figures joined with everything a row of a download
//! names, a page at a time in a stable order (edition year, ISO3 code, tree position), so
//! that a download streams without holding the Index in memory.
use super::figures::ints;
use entity::values::{Continent, Pillar};
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, Statement, Value};

/// One row of a download: a country's published figure for one indicator in one edition.
#[derive(Clone, Debug, FromQueryResult)]
pub struct ExportRow {
    pub year: i32,
    pub iso3: String,
    pub country: String,
    pub continent: Continent,
    pub region: String,
    pub indicator: String,
    pub indicator_name: String,
    pub pillar: Pillar,
    pub is_composite: bool,
    pub value: Decimal,
    pub delta: Option<Decimal>,
    pub rank: i32,
    pub rank_in_continent: i32,
    pub rank_in_region: i32,
    /// The indicator's place in the tree: the last part of the paging key.
    pub position: i32,
}

/// Where the next page starts: after (year, ISO3, position).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct After {
    pub year: i32,
    pub iso3: String,
    pub position: i32,
}

impl From<&ExportRow> for After {
    fn from(row: &ExportRow) -> Self {
        Self { year: row.year, iso3: row.iso3.clone(), position: row.position }
    }
}

/// Up to `limit` rows of the given editions after `after`, in download order.
#[tracing::instrument(skip(db))]
pub async fn page<C: ConnectionTrait>(
    db: &C,
    edition_ids: &[i32],
    after: Option<&After>,
    limit: u64,
) -> Result<Vec<ExportRow>, DbErr> {
    let (year, iso3, position) =
        after.map_or((i32::MIN, String::new(), i32::MIN), |a| (a.year, a.iso3.clone(), a.position));
    let statement = Statement::from_sql_and_values(
        db.get_database_backend(),
        "SELECT e.year, c.iso3, c.name AS country, ce.continent, ce.region,
                i.slug AS indicator, i.name AS indicator_name, i.pillar, i.is_composite,
                f.value, f.delta, f.rank, f.rank_in_continent, f.rank_in_region, i.position
         FROM figures f
         JOIN editions e ON e.id = f.edition_id
         JOIN countries c ON c.id = f.country_id
         JOIN indicators i ON i.id = f.indicator_id
         JOIN country_editions ce ON ce.edition_id = f.edition_id AND ce.country_id = f.country_id
         WHERE f.edition_id = ANY($1) AND (e.year, c.iso3, i.position) > ($2, $3, $4)
         ORDER BY e.year, c.iso3, i.position
         LIMIT $5",
        [
            ints(edition_ids.iter().copied()),
            year.into(),
            iso3.into(),
            position.into(),
            Value::BigInt(Some(i64::try_from(limit).unwrap_or(i64::MAX))),
        ],
    );
    ExportRow::find_by_statement(statement).all(db).await
}
