//! Aggregates: global, continental and regional statistics and a country next to its groups.
//! Expected figures are computed here, independently, from the official workbook itself:
//! sums of its raw scores in integers, divided once and rounded half up.
use calamine::{Data, Reader, Xlsx};
use ocindex_tests::{dataset_path, Content, TestApp};
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::str::FromStr;

/// One country row of a dataset sheet, reduced to what the checks need.
struct Row {
    continent: String,
    region: String,
    country: String,
    /// Doubled sums of the raw scores of each pillar ("markets", "actors", "resilience")
    /// with how many indicators were summed: scores are half steps, so these are integers.
    sums: BTreeMap<&'static str, (i128, i128)>,
    /// The workbook's own composite columns ("criminality", "markets", "actors",
    /// "resilience"), as printed.
    published: BTreeMap<&'static str, Decimal>,
}

fn pillar_of(header: &str) -> Option<&'static str> {
    let h = header.trim().trim_end_matches("avg,").trim();
    match h {
        "Criminality" => Some("criminality"),
        "Criminal markets" => Some("markets"),
        "Criminal actors" => Some("actors"),
        "Resilience" => Some("resilience"),
        _ => None,
    }
}

fn decimal(cell: &Data) -> Decimal {
    match cell {
        Data::Float(f) => Decimal::from_str(&f.to_string()).unwrap(),
        Data::Int(i) => Decimal::from(*i),
        other => panic!("not a number: {other:?}"),
    }
}

fn text(cell: &Data) -> String {
    cell.to_string().trim().to_owned()
}

fn sheet(year: i32) -> Vec<Row> {
    let mut book: Xlsx<_> = calamine::open_workbook(dataset_path().unwrap()).unwrap();
    let range = book.worksheet_range(&format!("{year}_dataset")).unwrap();
    let mut rows = range.rows();
    let header: Vec<String> = rows.next().unwrap().iter().map(text).collect();
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (continent, region, country) = (at("Continent"), at("Region"), at("Country"));
    let mut out = Vec::new();
    for cells in rows {
        if cells.iter().all(|c| matches!(c, Data::Empty)) {
            continue;
        }
        let mut row = Row {
            continent: text(&cells[continent]),
            region: text(&cells[region]),
            country: text(&cells[country]),
            sums: BTreeMap::new(),
            published: BTreeMap::new(),
        };
        // raw indicators follow the composite column of their pillar
        let mut section = None;
        for (i, h) in header.iter().enumerate().skip(country + 1) {
            if let Some(pillar) = pillar_of(h) {
                row.published.insert(pillar, decimal(&cells[i]));
                section = Some(pillar);
                continue;
            }
            let doubled = (decimal(&cells[i]) * Decimal::TWO).normalize();
            assert_eq!(doubled.scale(), 0, "{h}: a half step");
            let entry = row.sums.entry(section.unwrap()).or_default();
            entry.0 += doubled.mantissa();
            entry.1 += 1;
        }
        out.push(row);
    }
    out
}

fn half_up(numerator: i128, denominator: i128) -> f64 {
    let value = Decimal::from_i128_with_scale(numerator, 0) / Decimal::from(denominator);
    let rounded = value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    rounded.to_string().parse().unwrap()
}

fn median(mut values: Vec<Decimal>) -> f64 {
    values.sort();
    let n = values.len();
    let m =
        if n % 2 == 1 { values[n / 2] } else { (values[n / 2 - 1] + values[n / 2]) / Decimal::TWO };
    m.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero).to_string().parse().unwrap()
}

/// Criminality of a row as an exact fraction `(numerator, denominator)`: the mean of the
/// markets mean and the actors mean, from the doubled sums.
fn criminality(row: &Row) -> (i128, i128) {
    let (m, mc) = row.sums["markets"];
    let (a, ac) = row.sums["actors"];
    // (m / 2mc + a / 2ac) / 2 = (m·ac + a·mc) / (4·mc·ac)
    (m * ac + a * mc, 4 * mc * ac)
}

const STATS: &str =
    "query($indicator: String!, $edition: Int, $groupBy: StatisticsGroup, $since: Int!) {
  statistics(indicator: $indicator, edition: $edition, groupBy: $groupBy) {
    name count mean median min max standardDeviation meanChange(since: $since) } }";

#[tokio::test]
async fn continental_resilience_averages_are_means_of_unrounded_values() {
    let Some(app) = TestApp::spawn(Content::Official).await else { return };
    let rows = sheet(2023);
    let data = app
        .query(
            STATS,
            json!({ "indicator": "resilience", "edition": 2023, "groupBy": "CONTINENT", "since": 2021 }),
        )
        .await;
    let groups = data["statistics"].as_array().unwrap();
    let names: Vec<&str> = groups.iter().map(|g| g["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Africa", "Americas", "Asia", "Europe", "Oceania"]);
    for group in groups {
        let name = group["name"].as_str().unwrap();
        let members: Vec<&Row> = rows.iter().filter(|r| r.continent == name).collect();
        let n = members.len() as i128;
        // resilience = s / (2·12) for a doubled sum s; the group mean is Σs / (24·n)
        let sums: Vec<i128> = members.iter().map(|r| r.sums["resilience"].0).collect();
        assert!(members.iter().all(|r| r.sums["resilience"].1 == 12));
        let total: i128 = sums.iter().sum();
        assert_eq!(group["count"], json!(n), "{name}");
        assert_eq!(group["mean"].as_f64().unwrap(), half_up(total, 24 * n), "{name}");
        let published: Vec<Decimal> = members.iter().map(|r| r.published["resilience"]).collect();
        assert_eq!(group["median"].as_f64().unwrap(), median(published.clone()), "{name}");
        let min = published.iter().min().unwrap().to_string().parse::<f64>().unwrap();
        let max = published.iter().max().unwrap().to_string().parse::<f64>().unwrap();
        assert_eq!(group["min"].as_f64().unwrap(), min, "{name}");
        assert_eq!(group["max"].as_f64().unwrap(), max, "{name}");
        // population standard deviation, checked in floating point to within rounding
        let xs: Vec<f64> = sums.iter().map(|&s| s as f64 / 24.0).collect();
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let sd = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / xs.len() as f64).sqrt();
        let got = group["standardDeviation"].as_f64().unwrap();
        assert!((got - sd).abs() <= 0.005 + 1e-9, "{name}: {got} vs {sd}");
    }
}

#[tokio::test]
async fn the_global_criminality_average_and_its_change_since_2021() {
    let Some(app) = TestApp::spawn(Content::Official).await else { return };
    let (now, before) = (sheet(2023), sheet(2021));
    // Σ of fractions with one denominator per edition (the same indicator counts everywhere)
    let total = |rows: &[Row]| -> (i128, i128) {
        let d = criminality(&rows[0]).1;
        (rows.iter().map(|r| criminality(r).0).sum(), d * rows.len() as i128)
    };
    let ((n1, d1), (n0, d0)) = (total(&now), total(&before));
    let data = app
        .query(STATS, json!({ "indicator": "criminality", "edition": 2023, "since": 2021 }))
        .await;
    let global = &data["statistics"][0];
    assert_eq!(global["name"], "Global");
    assert_eq!(global["count"], 193);
    assert_eq!(global["mean"].as_f64().unwrap(), half_up(n1, d1));
    // the change of the unrounded means, rounded once
    assert_eq!(global["meanChange"].as_f64().unwrap(), half_up(n1 * d0 - n0 * d1, d1 * d0));

    // the merged region of 2023 has no counterpart in 2021; an indicator new in 2023 neither
    let data = app
        .query(
            STATS,
            json!({ "indicator": "criminality", "edition": 2023, "groupBy": "REGION", "since": 2021 }),
        )
        .await;
    let caribbean = data["statistics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "Caribbean & Central")
        .expect("the merged region");
    assert_eq!(caribbean["meanChange"], Value::Null);
    let data = app.query(STATS, json!({ "indicator": "financial-crimes", "since": 2021 })).await;
    assert_eq!(data["statistics"][0]["meanChange"], Value::Null);
    assert_eq!(data["statistics"][0]["count"], 193);
}

#[tokio::test]
async fn a_country_next_to_its_continent_and_region() {
    let Some(app) = TestApp::spawn(Content::Official).await else { return };
    let rows = sheet(2023);
    let data = app
        .query(
            r#"{ country(iso3: "KAZ") { comparison(edition: 2023) {
                indicator { slug } value continent continentMean region regionMean globalMean } } }"#,
            json!({}),
        )
        .await;
    let comparison = data["country"]["comparison"].as_array().unwrap();
    assert_eq!(comparison.len(), 1 + 1 + 15 + 1 + 5 + 1 + 12, "every indicator of 2023");
    let row = comparison.iter().find(|r| r["indicator"]["slug"] == "criminality").unwrap();
    assert_eq!(row["value"].as_f64().unwrap(), 4.47, "as published");
    assert_eq!(row["continent"], "ASIA");
    let kaz = rows.iter().find(|r| r.country == "Kazakhstan").unwrap();
    assert_eq!(row["region"].as_str().unwrap(), kaz.region);
    let mean_of = |keep: &dyn Fn(&Row) -> bool| {
        let members: Vec<&Row> = rows.iter().filter(|r| keep(r)).collect();
        let d = criminality(members[0]).1;
        half_up(members.iter().map(|r| criminality(r).0).sum(), d * members.len() as i128)
    };
    assert_eq!(row["regionMean"].as_f64().unwrap(), mean_of(&|r| r.region == kaz.region));
    assert_eq!(row["continentMean"].as_f64().unwrap(), mean_of(&|r| r.continent == "Asia"));
    assert_eq!(row["globalMean"].as_f64().unwrap(), mean_of(&|_| true));
}

#[tokio::test]
async fn bad_arguments_name_their_field() {
    let Some(app) = TestApp::spawn(Content::Sample).await else { return };
    let ask = |indicator: &str, edition: i64| json!({ "indicator": indicator, "edition": edition, "since": 2021 });
    let error = app.query_error(STATS, ask("synthetic-drugs", 2023)).await;
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT");
    assert_eq!(error["extensions"]["field"], "indicator");
    assert!(error["message"].as_str().unwrap().contains("synthetic-drug-trade"), "{error}");
    let error = app.query_error(STATS, ask("criminality", 1999)).await;
    assert_eq!(error["extensions"]["field"], "edition");
    assert_eq!(error["extensions"]["value"], "1999");
    // an indicator the 2021 edition did not assess
    let error = app.query_error(STATS, ask("financial-crimes", 2021)).await;
    assert_eq!(error["extensions"]["field"], "indicator");
    // meanChange must look back
    let error = app.query_error(STATS, ask("criminality", 2021)).await;
    assert_eq!(error["extensions"]["field"], "since");
}
