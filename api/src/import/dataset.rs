//! Reader of the official dataset workbook: one sheet per edition named `YEAR_dataset`, one
//! row per country, a column per indicator (composites spelled "Criminality" in 2021 and
//! "Criminality avg," in 2023). Every problem is collected, with its sheet, row and column.
use super::{workbook, Problem};
use crate::domain::Continent;
use crate::input;
use crate::methodology::{evaluate, round_half_up, Exact, HalfStep, Node};
use crate::repo::dataset::{CountryRow, EditionData};
use calamine::{Data, Reader, Xlsx};
use entity::indicator;
use reference::{alias_key, slugify, INDICATORS};
use rust_decimal::Decimal;
use std::collections::{HashMap, HashSet};
use std::io::Cursor;
use std::str::FromStr;

/// What the reader resolves names against: the database's indicators and country aliases.
pub struct Catalog {
    pub indicators: Vec<indicator::Model>,
    pub aliases: HashMap<String, i32>,
}

/// The result of reading a workbook: editions ready to write when `problems` is empty.
#[derive(Debug, Default)]
pub struct Reading {
    pub editions: Vec<EditionData>,
    pub countries: usize,
    pub composites_checked: usize,
    pub composites_reproduced: usize,
    pub problems: Vec<Problem>,
}

/// Reads the workbook `bytes`; a workbook larger than an Index workbook can be
/// ([`workbook`](super::workbook)) is refused before anything is unpacked.
pub fn read(bytes: &[u8], catalog: &Catalog) -> Reading {
    let mut reading = Reading::default();
    if let Err(reason) = workbook::check_archive(bytes) {
        reading.problems.push(Problem::in_file(reason));
        return reading;
    }
    let mut workbook = match Xlsx::new(Cursor::new(bytes)) {
        Ok(workbook) => workbook,
        Err(err) => {
            reading
                .problems
                .push(Problem::in_file(format!("not a readable .xlsx workbook: {err}")));
            return reading;
        }
    };
    let sheets: Vec<(String, i32)> = workbook
        .sheet_names()
        .into_iter()
        .filter_map(|name| {
            let year = name.strip_suffix("_dataset")?.parse().ok()?;
            Some((name, year))
        })
        .collect();
    if sheets.is_empty() {
        reading.problems.push(Problem::in_file(
            "no sheet named YEAR_dataset (such as 2023_dataset): is this the official dataset?",
        ));
    }
    for (name, year) in sheets {
        match workbook::sheet(&mut workbook, &name) {
            Ok(range) => read_sheet(&name, year, &range, catalog, &mut reading),
            Err(err) => reading.problems.push(Problem {
                sheet: Some(name.clone()),
                ..Problem::in_file(format!("the sheet cannot be read: {err}"))
            }),
        }
    }
    reading
}

/// Where each needed column is, once the header row has been read.
struct Columns {
    country: usize,
    continent: usize,
    region: usize,
    /// (column index, header text, indicator) for every indicator column.
    indicators: Vec<(usize, String, indicator::Model)>,
}

fn read_sheet(
    sheet: &str,
    year: i32,
    range: &calamine::Range<Data>,
    catalog: &Catalog,
    out: &mut Reading,
) {
    let problem =
        |row: Option<u32>, column: Option<&str>, value: Option<String>, reason: String| Problem {
            sheet: Some(sheet.to_owned()),
            row,
            column: column.map(str::to_owned),
            value,
            reason,
        };
    let first_row = range.start().map_or(0, |(r, _)| r) + 1;
    let mut rows = range.rows();
    let Some(header) = rows.next() else {
        out.problems.push(problem(None, None, None, "the sheet is empty".into()));
        return;
    };
    let (columns, complete) = match read_header(year, header, catalog, first_row) {
        Ok(found) => found,
        Err(problems) => {
            out.problems
                .extend(problems.into_iter().map(|p| Problem { sheet: Some(sheet.into()), ..p }));
            return;
        }
    };
    let missing: Vec<Problem> = complete
        .iter()
        .map(|name| {
            let reason = format!(
                "the column of the indicator {name:?} is missing: the {year} edition assesses it"
            );
            problem(Some(first_row), Some(name), None, reason)
        })
        .collect();
    let can_check_composites = missing.is_empty();
    out.problems.extend(missing);

    let set: Vec<Node> = columns
        .indicators
        .iter()
        .map(|(_, _, i)| Node { id: i.id, parent: i.parent_id, is_composite: i.is_composite })
        .collect();
    let mut edition = EditionData {
        year,
        title: format!("Global Organized Crime Index {year}"),
        indicator_ids: set.iter().map(|n| n.id).collect(),
        rows: Vec::new(),
    };
    let mut seen: HashMap<i32, u32> = HashMap::new();

    for (offset, cells) in rows.enumerate() {
        let row = first_row + 1 + offset as u32;
        if cells.iter().all(|c| matches!(c, Data::Empty)) {
            continue;
        }
        let before = out.problems.len();
        let text = |i: usize| cells.get(i).map(cell_text).unwrap_or_default();

        let name = text(columns.country);
        let country_id = catalog.aliases.get(&alias_key(&name)).copied();
        match country_id {
            None => out.problems.push(problem(
                Some(row),
                Some("Country"),
                Some(name.clone()),
                "unknown country: neither a UN member state nor a known spelling of one".into(),
            )),
            Some(id) => {
                if let Some(first) = seen.insert(id, row) {
                    out.problems.push(problem(
                        Some(row),
                        Some("Country"),
                        Some(name.clone()),
                        format!("the country appears twice in the sheet (first in row {first})"),
                    ));
                }
            }
        }
        let continent_text = text(columns.continent);
        let continent = Continent::from_name(&continent_text);
        if continent.is_none() {
            out.problems.push(problem(
                Some(row),
                Some("Continent"),
                Some(continent_text),
                "unknown continent: expected Africa, Americas, Asia, Europe or Oceania".into(),
            ));
        }
        let region = text(columns.region).trim().to_owned();
        if region.is_empty() {
            out.problems.push(problem(
                Some(row),
                Some("Region"),
                None,
                "the region is empty".into(),
            ));
        } else if let Err(refused) = input::text("Region", &region, input::MAX_NAME_CHARS) {
            // stored as it is: what the database cannot hold is refused here
            let value = input::shown(&region);
            out.problems.push(problem(Some(row), Some("Region"), Some(value), refused.message()));
        }

        let mut scores = Vec::new();
        let mut published = Vec::new();
        for (index, header, indicator) in &columns.indicators {
            let cell = cells.get(*index).unwrap_or(&Data::Empty);
            let value = match cell_decimal(cell) {
                Ok(value) => value,
                Err(reason) => {
                    out.problems.push(problem(
                        Some(row),
                        Some(header),
                        Some(cell_text(cell)),
                        reason,
                    ));
                    continue;
                }
            };
            if indicator.is_composite {
                published.push((header, indicator.id, value));
                continue;
            }
            match HalfStep::parse(value) {
                Ok(score) => scores.push((indicator.id, score)),
                Err(err) => out.problems.push(problem(
                    Some(row),
                    Some(header),
                    Some(value.normalize().to_string()),
                    err.to_string(),
                )),
            }
        }
        if out.problems.len() > before {
            continue;
        }
        if can_check_composites {
            let entered: HashMap<i32, Exact> =
                scores.iter().map(|(id, s)| (*id, s.exact())).collect();
            let computed = evaluate(&set, &entered);
            for (header, indicator_id, value) in published {
                out.composites_checked += 1;
                let ours = computed.get(&indicator_id).map(|exact| round_half_up(*exact));
                if ours == Some(value) {
                    out.composites_reproduced += 1;
                } else {
                    let ours = ours.map_or("nothing".to_owned(), |v| v.to_string());
                    out.problems.push(problem(
                        Some(row),
                        Some(header),
                        Some(value.normalize().to_string()),
                        format!("the file publishes {value} but the mean of its components rounds to {ours}"),
                    ));
                }
            }
        }
        if let (Some(country_id), Some(continent)) = (country_id, continent) {
            edition.rows.push(CountryRow { country_id, continent, region, scores });
        }
    }
    out.countries += edition.rows.len();
    out.editions.push(edition);
}

/// Maps the header row to columns. Returns the columns and the names of indicators the
/// edition assesses that have no column; or, when the header cannot be used, its problems.
fn read_header(
    year: i32,
    header: &[Data],
    catalog: &Catalog,
    row: u32,
) -> Result<(Columns, Vec<String>), Vec<Problem>> {
    let by_slug: HashMap<&str, &indicator::Model> =
        catalog.indicators.iter().map(|i| (i.slug.as_str(), i)).collect();
    let mut problems = Vec::new();
    let mut place = HashMap::new();
    let mut indicators = Vec::new();
    let mut taken = HashSet::new();
    let mut taken_slugs = HashSet::new();
    for (index, cell) in header.iter().enumerate() {
        let text = cell_text(cell).trim().to_owned();
        if text.is_empty() {
            continue;
        }
        let slug = slugify(&text);
        let column_problem = |reason: String| Problem {
            row: Some(row),
            column: Some(text.clone()),
            ..Problem::in_file(reason)
        };
        if matches!(slug.as_str(), "country" | "continent" | "region") {
            place.insert(slug, index);
            continue;
        }
        // 2023 spells composite headers "Criminality avg,"
        let slug = slug.strip_suffix("-avg").map(str::to_owned).unwrap_or(slug);
        match by_slug.get(slug.as_str()) {
            Some(indicator) if !taken.insert(indicator.id) => {
                problems.push(column_problem("the indicator has two columns".into()))
            }
            Some(indicator) => {
                taken_slugs.insert(slug.clone());
                indicators.push((index, text, (*indicator).clone()))
            }
            None => problems
                .push(column_problem("unknown column: not an indicator of the Index".into())),
        }
    }
    for needed in ["country", "continent", "region"] {
        if !place.contains_key(needed) {
            problems.push(Problem {
                row: Some(row),
                column: Some(needed.to_owned()),
                ..Problem::in_file(format!("the {needed} column is missing"))
            });
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let missing = INDICATORS
        .iter()
        .filter(|def| def.since <= year && !taken_slugs.contains(&slugify(def.name)))
        .map(|def| def.name.to_owned())
        .collect();
    let columns = Columns {
        country: place["country"],
        continent: place["continent"],
        region: place["region"],
        indicators,
    };
    Ok((columns, missing))
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A numeric cell as an exact decimal. Workbooks store numbers as binary doubles; the
/// shortest text that reads back as the same double is the decimal the author typed
/// ("4.33", never "4.3300000000000001"), and from there on all arithmetic is exact.
fn cell_decimal(cell: &Data) -> Result<Decimal, String> {
    match cell {
        Data::Int(i) => Ok(Decimal::from(*i)),
        Data::Float(f) => Decimal::from_str(&f.to_string())
            .or_else(|_| Decimal::from_scientific(&format!("{f:e}")))
            .map_err(|_| "not a number".to_owned()),
        Data::String(s) if !s.trim().is_empty() => {
            Decimal::from_str(s.trim()).map_err(|_| "not a number".to_owned())
        }
        Data::Empty => Err("the score is missing".to_owned()),
        Data::String(_) => Err("the score is missing".to_owned()),
        _ => Err("not a number".to_owned()),
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use entity::values::Pillar;
    use proptest::prelude::*;
    use std::io::{Read, Write};
    use std::sync::OnceLock;

    /// The reference indicators and countries, with ids as a database would give them.
    fn catalog() -> &'static Catalog {
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        CATALOG.get_or_init(|| {
            let slugs: Vec<String> = INDICATORS.iter().map(|d| slugify(d.name)).collect();
            let id_of = |slug: &str| slugs.iter().position(|s| s == slug).map(|i| i as i32 + 1);
            let indicators = INDICATORS
                .iter()
                .enumerate()
                .map(|(i, def)| indicator::Model {
                    id: i as i32 + 1,
                    slug: slugs[i].clone(),
                    name: def.name.to_owned(),
                    description: None,
                    pillar: Pillar::Criminality,
                    parent_id: def.parent.and_then(id_of),
                    position: i as i32,
                    is_composite: def.is_composite,
                })
                .collect();
            let aliases = reference::COUNTRIES
                .iter()
                .enumerate()
                .map(|(i, c)| (alias_key(c.name), i as i32 + 1))
                .collect();
            Catalog { indicators, aliases }
        })
    }

    /// A workbook the reader takes without a problem: the 2023 header and two countries
    /// scored 5 everywhere (every composite's mean is then 5 too), its parts stored
    /// uncompressed so that a changed byte lands in the XML rather than in a deflate stream.
    fn valid_workbook() -> &'static [u8] {
        static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
        BYTES.get_or_init(|| {
            let mut book = rust_xlsxwriter::Workbook::new();
            let sheet = book.add_worksheet();
            sheet.set_name("2023_dataset").unwrap();
            let mut headers = vec!["Country".to_owned(), "Continent".into(), "Region".into()];
            headers.extend(INDICATORS.iter().filter(|d| d.since <= 2023).map(|d| d.name.into()));
            for (c, header) in headers.iter().enumerate() {
                sheet.write_string(0, c as u16, header).unwrap();
            }
            for (r, country) in ["Kazakhstan", "Kyrgyzstan"].iter().enumerate() {
                let r = r as u32 + 1;
                sheet.write_string(r, 0, *country).unwrap();
                sheet.write_string(r, 1, "Asia").unwrap();
                sheet.write_string(r, 2, "Central Asia").unwrap();
                for c in 3..headers.len() {
                    sheet.write_number(r, c as u16, 5.0).unwrap();
                }
            }
            let deflated = book.save_to_buffer().unwrap();
            let mut source = zip::ZipArchive::new(Cursor::new(deflated)).unwrap();
            let mut stored = zip::ZipWriter::new(Cursor::new(Vec::new()));
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Stored);
            for i in 0..source.len() {
                let mut part = source.by_index(i).unwrap();
                let mut content = Vec::new();
                part.read_to_end(&mut content).unwrap();
                stored.start_file(part.name().unwrap().into_owned(), options).unwrap();
                stored.write_all(&content).unwrap();
            }
            stored.finish().unwrap().into_inner()
        })
    }

    #[test]
    fn the_valid_workbook_reads_cleanly() {
        let reading = read(valid_workbook(), catalog());
        assert!(reading.problems.is_empty(), "{:?}", reading.problems);
        assert_eq!(reading.countries, 2);
        assert!(reading.composites_checked > 0);
        assert_eq!(reading.composites_checked, reading.composites_reproduced);
    }

    proptest! {
        // a fixed seed: the same cases on every run, so a red CI is a change in the code, not a
        // new draw (try other cases by changing the seed)
        #![proptest_config(ProptestConfig {
            rng_seed: proptest::test_runner::RngSeed::Fixed(0x0C1D_2023),
            ..ProptestConfig::with_cases(96)
        })]

        #[test]
        fn arbitrary_bytes_are_refused_with_a_reason(
            bytes in proptest::collection::vec(any::<u8>(), 0..2048),
        ) {
            let reading = read(&bytes, catalog());
            prop_assert!(!reading.problems.is_empty());
            prop_assert!(reading.problems.iter().all(|p| !p.reason.trim().is_empty()));
            prop_assert!(reading.editions.is_empty());
        }

        /// Bytes changed anywhere in a valid workbook: read cleanly or refused with reasons,
        /// never a panic, and never more countries than the workbook holds.
        #[test]
        fn a_changed_workbook_is_read_or_refused(
            changes in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..12),
        ) {
            let mut bytes = valid_workbook().to_vec();
            for (at, byte) in changes {
                let i = at.index(bytes.len());
                bytes[i] = byte;
            }
            let reading = read(&bytes, catalog());
            prop_assert!(reading.problems.iter().all(|p| !p.reason.trim().is_empty()));
            prop_assert!(reading.countries <= 2);
        }
    }
}
