//! The bundled sample: the published 2021 and 2023 scores of Kazakhstan and Kyrgyzstan, so
//! that a first run shows real figures, and a few narratives in the project's own words.
use crate::domain::Continent;
use crate::methodology::HalfStep;
use crate::repo::dataset::{CountryRow, EditionData};
use entity::{country, indicator};
use reference::INDICATORS;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::str::FromStr;

const SCORES: &str = include_str!("../../sample/scores.csv");
const NARRATIVES: &str = include_str!("../../sample/narratives.json");

#[derive(Debug, Deserialize)]
pub struct SampleNarrative {
    pub year: i32,
    pub iso3: String,
    pub position: i32,
    pub heading: Option<String>,
    pub indicators: Vec<String>,
    pub body: String,
}

/// The sample's editions, resolved against the database's countries and indicators.
/// The sample ships with the binary, so a malformed line is a build defect: it panics.
pub fn editions(countries: &[country::Model], indicators: &[indicator::Model]) -> Vec<EditionData> {
    let country_id = |iso3: &str| countries.iter().find(|c| c.iso3 == iso3).map(|c| c.id);
    let indicator_id = |slug: &str| indicators.iter().find(|i| i.slug == slug).map(|i| i.id);
    let mut rows: BTreeMap<(i32, String), CountryRow> = BTreeMap::new();
    for line in SCORES.lines().skip_while(|l| l.starts_with('#')).skip(1) {
        let fields: Vec<&str> = line.split(',').collect();
        let [year, iso3, continent, region, slug, value] = fields[..] else {
            panic!("sample line {line:?} has not 6 fields");
        };
        let year: i32 = year.parse().expect("sample year");
        let value =
            HalfStep::parse(Decimal::from_str(value).expect("sample value")).expect("sample score");
        let row = rows.entry((year, iso3.to_owned())).or_insert_with(|| CountryRow {
            country_id: country_id(iso3).expect("sample country is seeded"),
            continent: Continent::from_name(continent).expect("sample continent"),
            region: region.to_owned(),
            scores: Vec::new(),
        });
        row.scores.push((indicator_id(slug).expect("sample indicator is seeded"), value));
    }
    [2021, 2023]
        .into_iter()
        .map(|year| EditionData {
            year,
            title: format!("Global Organized Crime Index {year}"),
            indicator_ids: INDICATORS
                .iter()
                .filter(|def| def.since <= year)
                .filter_map(|def| indicator_id(&reference::slugify(def.name)))
                .collect(),
            rows: rows
                .iter()
                .filter(|((y, _), _)| *y == year)
                .map(|(_, row)| row.clone())
                .collect(),
        })
        .collect()
}

pub fn narratives() -> Vec<SampleNarrative> {
    serde_json::from_str(NARRATIVES).expect("the bundled sample narratives are valid JSON")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_parses() {
        assert_eq!(SCORES.lines().filter(|l| l.starts_with("2021,")).count(), 2 * 26);
        assert_eq!(SCORES.lines().filter(|l| l.starts_with("2023,")).count(), 2 * 32);
        assert_eq!(narratives().len(), 4);
    }
}
