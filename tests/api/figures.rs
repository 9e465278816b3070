//! Every figure of the official dataset, returned exactly through GraphQL.
use calamine::{Data, Reader, Xlsx};
use ocindex_tests::{dataset_path, Content, TestApp};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::str::FromStr;

/// The contract's slug rule, written here independently of the server's code.
fn slug(header: &str) -> String {
    let mut out = String::new();
    for c in header.trim().chars() {
        if c.is_ascii_alphabetic() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-');
    out.strip_suffix("-avg").unwrap_or(out).to_owned()
}

/// Names compared without punctuation or case ("Korea, Rep," is "Korea, Rep.").
fn fold(name: &str) -> String {
    name.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

fn decimal(value: &Value) -> Decimal {
    Decimal::from_str(&value.to_string()).unwrap_or_else(|_| panic!("{value} is a number"))
}

/// (year, folded country name, slug) -> the file's figure, for every figure of the file.
fn figures_of_the_file() -> HashMap<(i64, String, String), Decimal> {
    let mut workbook: Xlsx<_> =
        calamine::open_workbook(dataset_path().expect("dataset")).expect("xlsx");
    let mut out = HashMap::new();
    for year in [2021, 2023] {
        let range = workbook.worksheet_range(&format!("{year}_dataset")).expect("sheet");
        let mut rows = range.rows();
        let header: Vec<String> =
            rows.next().expect("header").iter().map(|c| c.to_string()).collect();
        for row in rows {
            let country = fold(&row[2].to_string());
            for (index, cell) in row.iter().enumerate().skip(3) {
                let Data::Float(value) = cell else {
                    panic!("{year} {country} column {index}: {cell:?}")
                };
                let value = Decimal::from_str(&value.to_string()).unwrap();
                out.insert((year, country.clone(), slug(&header[index])), value);
            }
        }
    }
    out
}

#[tokio::test]
async fn every_figure_of_the_official_file_is_returned_exactly() {
    let Some(app) = TestApp::spawn(Content::Official).await else { return };
    let expected = figures_of_the_file();
    assert_eq!(expected.len(), 12_738, "the file holds 12,738 figures");

    let mut compared = 0;
    for year in [2021, 2023] {
        let data = app
            .query(
                "query($y: Int) { countries(edition: $y, first: 500) { totalCount
                   nodes { iso3 name scores(edition: $y) { indicator { slug } value } } } }",
                json!({ "y": year }),
            )
            .await;
        assert_eq!(data["countries"]["totalCount"], 193);
        for country in data["countries"]["nodes"].as_array().unwrap() {
            let name = match country["iso3"].as_str().unwrap() {
                "TUR" => "turkey".to_owned(),
                _ => fold(country["name"].as_str().unwrap()),
            };
            let scores = country["scores"].as_array().unwrap();
            let per_edition = if year == 2021 { 30 } else { 36 };
            assert_eq!(scores.len(), per_edition, "{name} {year}: every indicator and composite");
            for score in scores {
                let key =
                    (year, name.clone(), score["indicator"]["slug"].as_str().unwrap().to_owned());
                let published =
                    expected.get(&key).unwrap_or_else(|| panic!("{key:?} is in the file"));
                assert_eq!(decimal(&score["value"]), *published, "{key:?}");
                compared += 1;
            }
        }
    }
    assert_eq!(compared, 12_738);
}

#[tokio::test]
async fn composites_and_deltas_match_the_published_reference_figures() {
    let Some(app) = TestApp::spawn(Content::Official).await else { return };
    let query = "query($c: String!, $y: Int) { country(iso3: $c) { name
        scores(edition: $y) { indicator { slug } value delta } } }";
    // methodology.md's reference table: criminality, markets, actors, resilience
    let reference = [
        ("KAZ", 2021, ["4.26", "4.15", "4.38", "4.71"]),
        ("KAZ", 2023, ["4.47", "4.33", "4.60", "4.54"]),
        ("KGZ", 2021, ["5.33", "4.40", "6.25", "4.17"]),
        ("KGZ", 2023, ["5.32", "4.63", "6.00", "3.83"]),
    ];
    for (iso3, year, figures) in reference {
        let data = app.query(query, json!({ "c": iso3, "y": year })).await;
        let scores = data["country"]["scores"].as_array().unwrap();
        let value = |slug: &str| {
            let score = scores.iter().find(|s| s["indicator"]["slug"] == slug).expect(slug);
            decimal(&score["value"])
        };
        let composites = ["criminality", "criminal-markets", "criminal-actors", "resilience"];
        for (slug, published) in composites.iter().zip(figures) {
            assert_eq!(value(slug), Decimal::from_str(published).unwrap(), "{iso3} {year} {slug}");
        }
    }
    // the deltas the 2023 pages print
    let delta = |data: &Value, slug: &str| -> Option<Decimal> {
        let scores = data["country"]["scores"].as_array().unwrap();
        let score = scores.iter().find(|s| s["indicator"]["slug"] == slug).expect(slug);
        (!score["delta"].is_null()).then(|| decimal(&score["delta"]))
    };
    let kaz = app.query(query, json!({ "c": "KAZ", "y": 2023 })).await;
    let kgz = app.query(query, json!({ "c": "KGZ", "y": 2023 })).await;
    let d = |s: &str| Some(Decimal::from_str(s).unwrap());
    assert_eq!(delta(&kaz, "criminal-markets"), d("0.18"));
    assert_eq!(
        delta(&kaz, "criminal-actors"),
        d("0.23"),
        "0.225 rounds half up, not to the float 0.22"
    );
    assert_eq!(delta(&kgz, "criminal-markets"), d("0.23"));
    assert_eq!(delta(&kgz, "criminal-actors"), d("-0.25"));
    assert_eq!(delta(&kaz, "synthetic-drug-trade"), d("1.00"));
    assert_eq!(delta(&kgz, "synthetic-drug-trade"), d("0.50"));
    assert_eq!(delta(&kaz, "financial-crimes"), None, "new in 2023: n/a, never 0");
    // the first edition has nothing to compare against
    let kaz21 = app.query(query, json!({ "c": "KAZ", "y": 2021 })).await;
    assert_eq!(delta(&kaz21, "criminality"), None);
}

#[tokio::test]
async fn changes_since_an_edition_are_exact_and_null_for_new_indicators() {
    let Some(app) = TestApp::spawn(Content::Official).await else { return };
    let data = app
        .query(
            r#"{ country(iso3: "KAZ") {
                actors: score(indicator: "criminal-actors") { change(since: 2021) }
                cyber: score(indicator: "cyber-dependent-crimes") { change(since: 2021) }
                history(indicator: "criminality") { edition { year } value } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(decimal(&data["country"]["actors"]["change"]), Decimal::from_str("0.23").unwrap());
    assert!(data["country"]["cyber"]["change"].is_null());
    let history = data["country"]["history"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0]["edition"]["year"], 2021);
    assert_eq!(decimal(&history[1]["value"]), Decimal::from_str("4.47").unwrap());
}

#[tokio::test]
async fn regions_belong_to_the_edition() {
    let Some(app) = TestApp::spawn(Content::Official).await else { return };
    let data = app
        .query(
            r#"{ country(iso3: "JAM") { r21: region(edition: 2021) r23: region(edition: 2023) continent } }"#,
            json!({}),
        )
        .await;
    assert_eq!(data["country"]["r21"], "Caribbean");
    assert_eq!(data["country"]["r23"], "Caribbean & Central");
    assert_eq!(data["country"]["continent"], "AMERICAS");
}
