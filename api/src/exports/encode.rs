//! The text formats of a download: CSV (RFC 4180, UTF-8, CRLF) and a JSON array with the
//! same fields. Values are written as the Index publishes them: composites with 2 decimals,
//! entered scores as half steps with one ("4.5"), deltas with 2, null as empty (CSV) or
//! `null` (JSON).
use crate::repo::exports::ExportRow;
use rust_decimal::Decimal;
use sea_orm::ActiveEnum;

/// The columns of every row, in order (the CSV header and the JSON keys).
pub const COLUMNS: [&str; 14] = [
    "edition",
    "iso3",
    "country",
    "continent",
    "region",
    "indicator",
    "indicator_name",
    "pillar",
    "is_composite",
    "value",
    "delta",
    "rank",
    "rank_in_continent",
    "rank_in_region",
];

/// A row's fields as text, in [`COLUMNS`] order; `None` for null. The second element says
/// whether the field is a string (JSON quotes it) or a number or boolean (written bare).
fn fields(row: &ExportRow) -> [(Option<String>, bool); 14] {
    [
        (Some(row.year.to_string()), false),
        (Some(row.iso3.clone()), true),
        (Some(row.country.clone()), true),
        (Some(row.continent.name().to_owned()), true),
        (Some(row.region.clone()), true),
        (Some(row.indicator.clone()), true),
        (Some(row.indicator_name.clone()), true),
        (Some(row.pillar.to_value()), true),
        (Some(row.is_composite.to_string()), false),
        (Some(value_text(row.value, row.is_composite)), false),
        (row.delta.map(|d| fixed(d, 2)), false),
        (Some(row.rank.to_string()), false),
        (Some(row.rank_in_continent.to_string()), false),
        (Some(row.rank_in_region.to_string()), false),
    ]
}

/// A figure as published: composites with 2 decimals, entered half steps with 1.
pub fn value_text(value: Decimal, is_composite: bool) -> String {
    fixed(value, if is_composite { 2 } else { 1 })
}

fn fixed(value: Decimal, decimals: u32) -> String {
    let mut value = value;
    // stored figures have 2 decimals already; a half step loses only a trailing zero
    value.rescale(decimals);
    value.to_string()
}

/// The CSV header line.
pub fn csv_header() -> Vec<u8> {
    csv_lines(std::iter::once(COLUMNS.map(|c| Some(c.to_owned()))))
}

/// CSV lines of `rows`.
pub fn csv_rows(rows: &[ExportRow]) -> Vec<u8> {
    csv_lines(rows.iter().map(|row| fields(row).map(|(text, _)| text)))
}

fn csv_lines(records: impl Iterator<Item = [Option<String>; 14]>) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .has_headers(false)
        .from_writer(Vec::new());
    for record in records {
        let record = record.map(Option::unwrap_or_default);
        // writing into memory cannot fail
        writer.write_record(&record).expect("a CSV record written to memory");
    }
    writer.into_inner().unwrap_or_default()
}

/// JSON objects of `rows`, each preceded by a comma unless it opens the array.
pub fn json_rows(rows: &[ExportRow], first: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(rows.len() * 320);
    for (i, row) in rows.iter().enumerate() {
        if !(first && i == 0) {
            out.extend_from_slice(b",\n");
        }
        out.push(b'{');
        for (k, (name, (text, quoted))) in COLUMNS.iter().zip(fields(row)).enumerate() {
            if k > 0 {
                out.push(b',');
            }
            out.extend_from_slice(format!("{name:?}:").as_bytes());
            match text {
                None => out.extend_from_slice(b"null"),
                // serde_json escapes strings exactly as JSON wants them
                Some(text) if quoted => out
                    .extend_from_slice(serde_json::to_string(&text).unwrap_or_default().as_bytes()),
                // numbers print exactly as published ("4.50"), never through a binary float
                Some(text) => out.extend_from_slice(text.as_bytes()),
            }
        }
        out.push(b'}');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn row() -> ExportRow {
        ExportRow {
            year: 2023,
            iso3: "CIV".into(),
            country: "Côte d'Ivoire, \"the\" Ivory Coast".into(),
            continent: entity::values::Continent::Africa,
            region: "West Africa".into(),
            indicator: "criminal-actors".into(),
            indicator_name: "Criminal actors".into(),
            pillar: entity::values::Pillar::CriminalActors,
            is_composite: true,
            value: dec!(4.60),
            delta: None,
            rank: 3,
            rank_in_continent: 2,
            rank_in_region: 1,
            position: 20,
        }
    }

    #[test]
    fn csv_quotes_what_needs_quoting_and_leaves_null_empty() {
        let text = String::from_utf8(csv_rows(&[row()])).unwrap();
        assert_eq!(
            text,
            "2023,CIV,\"Côte d'Ivoire, \"\"the\"\" Ivory Coast\",Africa,West Africa,criminal-actors,\
             Criminal actors,CRIMINAL_ACTORS,true,4.60,,3,2,1\r\n"
        );
        assert!(String::from_utf8(csv_header()).unwrap().starts_with("edition,iso3,country,"));
    }

    #[test]
    fn json_rows_are_objects_with_published_numbers() {
        let mut raw = row();
        raw.is_composite = false;
        raw.value = dec!(4.50);
        raw.delta = Some(dec!(-0.5));
        let text = String::from_utf8(json_rows(&[row(), raw], true)).unwrap();
        let parsed: serde_json::Value = serde_json::from_str(&format!("[{text}]")).unwrap();
        assert_eq!(parsed[0]["country"], "Côte d'Ivoire, \"the\" Ivory Coast");
        assert_eq!(parsed[0]["delta"], serde_json::Value::Null);
        assert!(text.contains("\"value\":4.60"), "{text}");
        assert!(text.contains("\"value\":4.5,\"delta\":-0.50"), "{text}");
    }
}
