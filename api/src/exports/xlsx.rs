//! The workbook download, in the official dataset's layout: one sheet per edition named
//! `YEAR_dataset`, a row per country with Continent, Region and Country, then every
//! indicator of the edition in tree order under the Index's own headers (composites spelled
//! "Criminality avg," from 2023 on, "Criminality" before). `ocindex import` reads it back
//! into the same figures. Building is CPU work: callers run it off the async workers.
use super::encode::value_text;
use crate::repo::exports::ExportRow;
use rust_xlsxwriter::{Workbook, XlsxError};
use std::collections::BTreeMap;

/// The first edition whose workbook spells composite headers with " avg,".
const AVG_HEADERS_SINCE: i32 = 2023;

/// A workbook with one sheet per edition of `rows` (rows in download order).
pub fn workbook(rows: &[ExportRow]) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let mut editions: BTreeMap<i32, Vec<&ExportRow>> = BTreeMap::new();
    for row in rows {
        editions.entry(row.year).or_default().push(row);
    }
    // newest first, as the official workbook has them
    for (year, rows) in editions.into_iter().rev() {
        let sheet = book.add_worksheet();
        sheet.set_name(format!("{year}_dataset"))?;
        // the edition's indicators in tree order
        let mut columns: BTreeMap<i32, (&str, &str, bool)> = BTreeMap::new();
        for row in &rows {
            columns.insert(row.position, (&row.indicator, &row.indicator_name, row.is_composite));
        }
        let place: BTreeMap<&str, u16> =
            columns.values().enumerate().map(|(i, (slug, _, _))| (*slug, 3 + i as u16)).collect();
        for (c, title) in ["Continent", "Region", "Country"].into_iter().enumerate() {
            sheet.write_string(0, c as u16, title)?;
        }
        for (slug, name, is_composite) in columns.values() {
            let header = if *is_composite && year >= AVG_HEADERS_SINCE {
                format!("{name} avg,")
            } else {
                (*name).to_owned()
            };
            sheet.write_string(0, place[slug], header)?;
        }
        let mut line = 0u32;
        let mut current: Option<&str> = None;
        for row in rows {
            if current != Some(row.iso3.as_str()) {
                current = Some(row.iso3.as_str());
                line += 1;
                sheet.write_string(line, 0, row.continent.name())?;
                sheet.write_string(line, 1, &row.region)?;
                sheet.write_string(line, 2, &row.country)?;
            }
            // the shortest decimal of the published figure: a reader gets "4.33" back
            let number: f64 = value_text(row.value, row.is_composite).parse().unwrap_or(f64::NAN);
            sheet.write_number(line, place[row.indicator.as_str()], number)?;
        }
    }
    book.save_to_buffer()
}
