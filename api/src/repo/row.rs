//! Rows read by position straight from the Postgres driver, for the statements that return
//! many rows of the same few columns (a ranking, a list of changes).
//!
//! sea-orm's typed getter wraps the driver's in its own conversions and error mapping: under
//! callgrind an integer column cost ~280 instructions that way, and a 193-row ranking with a
//! figure beside reads 3,500 of them (15% of the server's instructions for the question). The
//! driver's getter costs a fraction of that, and half of what remains is its check that the
//! column's type is the one asked for, the same for every row of a result: [`rows`] checks
//! the first row and reads the others without it. What still remained, ~240 instructions a
//! column, was the driver's generic decoding (a value reference made, a boxed error possible
//! at every step) of what is, in the binary format the driver asks Postgres for, four bytes
//! of an integer or the bytes of a text: those are read from the bytes ([`Column`]).
use sea_orm::sqlx::postgres::{PgRow, PgValueFormat, Postgres};
use sea_orm::sqlx::{Decode, Row as _, Type, ValueRef as _};
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
    pub fn get<T: Column<'r>>(&self, at: usize) -> Result<T, DbErr> {
        if !self.checked {
            if let Ok(value) = self.row.try_get_raw(at) {
                if value.format() == PgValueFormat::Binary {
                    let bytes = if value.is_null() { None } else { value.as_bytes().ok() };
                    if let Some(read) = T::from_binary(bytes) {
                        return read.map_err(|err| DbErr::Type(format!("column {at}: {err}")));
                    }
                }
            }
        }
        let value =
            if self.checked { self.row.try_get(at) } else { self.row.try_get_unchecked(at) };
        value.map_err(|err| DbErr::Type(format!("column {at}: {err}")))
    }
}

/// A type a column is read as: any the driver decodes, some of them from their bytes in the
/// binary format directly (once the column's type was checked on the first row).
pub trait Column<'r>: Decode<'r, Postgres> + Type<Postgres> + Sized {
    /// The value of a column whose bytes are `bytes` (`None`: NULL), or `None` when this type
    /// leaves the bytes to the driver.
    fn from_binary(_bytes: Option<&'r [u8]>) -> Option<Result<Self, &'static str>> {
        None
    }
}

impl<'r> Column<'r> for i32 {
    fn from_binary(bytes: Option<&'r [u8]>) -> Option<Result<Self, &'static str>> {
        Some(int4(bytes?))
    }
}

impl<'r> Column<'r> for String {
    fn from_binary(bytes: Option<&'r [u8]>) -> Option<Result<Self, &'static str>> {
        Some(text(bytes?))
    }
}

/// NULL, or the value as `T` reads it (the driver's, when `T` leaves its bytes to it).
impl<'r, T: Column<'r>> Column<'r> for Option<T> {
    fn from_binary(bytes: Option<&'r [u8]>) -> Option<Result<Self, &'static str>> {
        match bytes {
            None => Some(Ok(None)),
            Some(bytes) => T::from_binary(Some(bytes)).map(|read| read.map(Some)),
        }
    }
}

/// An `int4` in the binary format: four bytes, big-endian.
fn int4(bytes: &[u8]) -> Result<i32, &'static str> {
    let bytes: [u8; 4] = bytes.try_into().map_err(|_| "not the 4 bytes of an int4")?;
    Ok(i32::from_be_bytes(bytes))
}

/// A `text` (or `varchar`, `char`) in the binary format: its UTF-8 bytes.
fn text(bytes: &[u8]) -> Result<String, &'static str> {
    std::str::from_utf8(bytes).map(str::to_owned).map_err(|_| "text that is not UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_and_texts_are_read_from_their_binary_bytes() {
        assert_eq!(int4(&[0, 0, 0x01, 0x02]), Ok(258));
        assert_eq!(int4(&[0xff, 0xff, 0xff, 0xfe]), Ok(-2));
        assert!(int4(&[0, 1]).is_err());
        assert_eq!(<Option<i32>>::from_binary(None), Some(Ok(None)));
        assert_eq!(i32::from_binary(None), None, "NULL into an i32: the driver's error");
        assert_eq!(text("Côte d'Ivoire".as_bytes()), Ok("Côte d'Ivoire".to_owned()));
        assert!(text(&[0xc3]).is_err());
    }
}
