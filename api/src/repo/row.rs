//! Rows read by position straight from the Postgres driver, for the statements that return
//! many rows of the same few columns (a ranking, a list of changes).
//!
//! sea-orm's typed getter wraps the driver's in its own conversions and error mapping: under
//! callgrind an integer column cost ~280 instructions that way, and a 193-row ranking with a
//! figure beside reads 3,500 of them (15% of the server's instructions for the question). The
//! driver's own getter keeps what matters, the check that the column's type is the one asked
//! for, and costs a fraction.
use sea_orm::sqlx::postgres::{PgRow, Postgres};
use sea_orm::sqlx::{Decode, Row as _, Type};
use sea_orm::{DbErr, QueryResult};

/// One row of a Postgres result.
pub struct Row<'r>(&'r PgRow);

impl<'r> Row<'r> {
    /// The row, which must come from Postgres (the only database the server runs on).
    pub fn of(result: &'r QueryResult) -> Result<Self, DbErr> {
        result
            .try_as_pg_row()
            .map(Self)
            .ok_or_else(|| DbErr::Type("a row that is not from Postgres".to_owned()))
    }

    /// The column at position `at` (from 0), as `T`: refused when its type is not `T`'s, or it
    /// is NULL and `T` is not an `Option`.
    pub fn get<T>(&self, at: usize) -> Result<T, DbErr>
    where
        T: Decode<'r, Postgres> + Type<Postgres>,
    {
        self.0.try_get(at).map_err(|err| DbErr::Type(format!("column {at}: {err}")))
    }
}
