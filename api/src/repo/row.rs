//! Rows read by position straight from the Postgres driver, for the statements that return
//! many rows of the same few columns (a ranking, a list of changes).
//!
//! sea-orm's typed getter wraps the driver's in its own conversions and error mapping: under
//! callgrind an integer column cost ~280 instructions that way, and a 193-row ranking with a
//! figure beside reads 3,500 of them (15% of the server's instructions for the question). The
//! driver's getter costs a fraction of that, and half of what remains is its check that the
//! column's type is the one asked for, the same for every row of a result: [`rows`] checks
//! the first row and reads the others without it.
use sea_orm::sqlx::postgres::{PgRow, Postgres};
use sea_orm::sqlx::{Decode, Row as _, Type};
use sea_orm::{DbErr, QueryResult};

/// One row of a Postgres result.
pub struct Row<'r> {
    row: &'r PgRow,
    /// Whether each column's type is checked against the type it is read as.
    checked: bool,
}

/// The rows of a Postgres result, each read as `read` reads it; the first with every column's
/// type checked, which checks them for all the rows (a result's columns have one type each).
pub fn rows<T>(
    results: &[QueryResult],
    mut read: impl FnMut(&Row<'_>) -> Result<T, DbErr>,
) -> Result<Vec<T>, DbErr> {
    results
        .iter()
        .enumerate()
        .map(|(index, result)| {
            let row = result
                .try_as_pg_row()
                .ok_or_else(|| DbErr::Type("a row that is not from Postgres".to_owned()))?;
            read(&Row { row, checked: index == 0 })
        })
        .collect()
}

impl<'r> Row<'r> {
    /// The column at position `at` (from 0), as `T`: refused when its type is not `T`'s (on the
    /// first row), or it is NULL and `T` is not an `Option`.
    pub fn get<T>(&self, at: usize) -> Result<T, DbErr>
    where
        T: Decode<'r, Postgres> + Type<Postgres>,
    {
        let value =
            if self.checked { self.row.try_get(at) } else { self.row.try_get_unchecked(at) };
        value.map_err(|err| DbErr::Type(format!("column {at}: {err}")))
    }
}
