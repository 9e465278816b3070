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
//! of an integer, the bytes of a text or a numeric's few base-10000 digits: those are read
//! from the bytes ([`Column`]). A numeric that way costs Postgres less than sending it as an
//! integer of hundredths did (a multiplication and a cast per value), and the driver more
//! than that integer only in a few instructions.
use rust_decimal::Decimal;
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

impl<'r> Column<'r> for Decimal {
    fn from_binary(bytes: Option<&'r [u8]>) -> Option<Result<Self, &'static str>> {
        Some(numeric(bytes?))
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

/// A `numeric` in the binary format: its count of base-10000 digits, the weight of the first
/// (the power of 10000 it stands for), its sign and its scale (decimal places shown), then
/// the digits, each as two big-endian bytes. The driver decodes it through a vector of the
/// digits; a ranking's figures are a few digits each.
fn numeric(bytes: &[u8]) -> Result<Decimal, &'static str> {
    const OUT_OF_RANGE: &str = "a numeric beyond a decimal's range";
    let word = |at: usize| -> Result<u16, &'static str> {
        let pair = bytes.get(at..at + 2).ok_or("not the bytes of a numeric")?;
        Ok(u16::from_be_bytes([pair[0], pair[1]]))
    };
    let (count, weight, sign, scale) = (word(0)?, word(2)? as i16, word(4)?, word(6)?);
    if bytes.len() != 8 + 2 * usize::from(count) {
        return Err("not the bytes of a numeric");
    }
    let negative = match sign {
        0x0000 => false,
        0x4000 => true,
        _ => return Err("a numeric that is not a number (NaN or infinite)"),
    };
    if scale > 28 || count > 9 {
        // more than a decimal's 28 places or 96 bits
        return Err(OUT_OF_RANGE);
    }
    let mut digits: i128 = 0;
    for k in 0..usize::from(count) {
        let digit = word(8 + 2 * k)?;
        if digit >= 10_000 {
            return Err("not the bytes of a numeric");
        }
        digits = digits * 10_000 + i128::from(digit);
    }
    // the digits read stand for digits × 10^exponent; shown with `scale` places, they are
    // mantissa × 10^-scale (the places a digit holds beyond `scale` are zeros)
    let exponent = 4 * (i32::from(weight) - i32::from(count) + 1);
    let shift = exponent + i32::from(scale);
    let ten = |power: i32| 10_i128.checked_pow(power.unsigned_abs()).ok_or(OUT_OF_RANGE);
    let mantissa = if shift >= 0 {
        digits.checked_mul(ten(shift)?).ok_or(OUT_OF_RANGE)?
    } else {
        digits / ten(shift)?
    };
    let signed = if negative { -mantissa } else { mantissa };
    Decimal::try_from_i128_with_scale(signed, u32::from(scale)).map_err(|_| OUT_OF_RANGE)
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

    /// A numeric's binary bytes: digit count, weight, sign, scale, then the digits.
    fn numeric_bytes(weight: i16, sign: u16, scale: u16, digits: &[u16]) -> Vec<u8> {
        let head = [digits.len() as u16, weight as u16, sign, scale];
        head.iter().chain(digits).flat_map(|word| word.to_be_bytes()).collect()
    }

    #[test]
    fn numerics_are_read_from_their_binary_bytes() {
        let read = |weight, sign, scale, digits: &[u16]| {
            numeric(&numeric_bytes(weight, sign, scale, digits)).map(|d| d.to_string())
        };
        // as Postgres sends 4.47, 10.00, -0.25, 0.00, 0.5, 12345.6789 and 20000
        assert_eq!(read(0, 0, 2, &[4, 4700]), Ok("4.47".to_owned()));
        assert_eq!(read(0, 0, 2, &[10]), Ok("10.00".to_owned()));
        assert_eq!(read(-1, 0x4000, 2, &[2500]), Ok("-0.25".to_owned()));
        assert_eq!(read(0, 0, 2, &[]), Ok("0.00".to_owned()));
        assert_eq!(read(-1, 0, 1, &[5000]), Ok("0.5".to_owned()));
        assert_eq!(read(1, 0, 4, &[1, 2345, 6789]), Ok("12345.6789".to_owned()));
        assert_eq!(read(1, 0, 0, &[2]), Ok("20000".to_owned()));
        assert!(read(0, 0xC000, 0, &[]).is_err(), "NaN");
        assert!(read(0, 0, 2, &[10_000]).is_err(), "a digit of base 10000 is below 10000");
        assert!(read(40, 0, 0, &[1]).is_err(), "beyond a decimal's range");
        assert!(numeric(&numeric_bytes(0, 0, 2, &[4, 4700])[..10]).is_err(), "cut short");
        assert_eq!(Decimal::from_binary(None), None, "NULL into a Decimal: the driver's error");
    }
}
