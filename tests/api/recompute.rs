//! A batch of scores recomputes only what it touches (its countries' values and the
//! composites above them, the ranks of those indicators, their deltas): on the official data,
//! after every kind of batch the stored figures are exactly those a full rebuild stores.
use crate::performance::{derived, rebuilt};
use ocindex_tests::{Content, TestApp, ADMIN_TOKEN};
use serde_json::{json, Value};
use std::collections::HashMap;

const ADMIN: Option<&str> = Some(ADMIN_TOKEN);

const UPSERT: &str = "mutation($e: Int!, $s: [ScoreInput!]!) {
    upsertScores(edition: $e, scores: $s) { written created updated unchanged } }";

/// The stored figures (exact values included), without the changes the view computes.
async fn figures(app: &TestApp) -> String {
    derived(&app.db).await.split('|').next().unwrap().to_owned()
}

/// Sends a batch and checks that the figures it left are those of a full rebuild and that it
/// changed some; returns the stored figures.
async fn batch(app: &TestApp, year: i32, scores: Vec<Value>, before: &str, step: &str) -> String {
    let written = scores.len();
    let data = app.ok(ADMIN, UPSERT, json!({ "e": year, "s": scores })).await;
    assert_eq!(data["upsertScores"]["written"], written, "{step}");
    let after = figures(app).await;
    assert_ne!(after, before, "{step}: the batch changed figures");
    assert_eq!(after, rebuilt(&app.db).await, "{step}: as a full rebuild");
    after
}

fn score(country: &str, indicator: &str, value: f64) -> Value {
    json!({ "country": country, "indicator": indicator, "value": value })
}

/// An entered score: indicator, the composite it is averaged into, value.
type Entered = (String, String, f64);

/// The entered 2023 scores (raw indicators) by country, in the order the API lists them.
async fn scores_2023(app: &TestApp) -> Vec<(String, Vec<Entered>)> {
    let data = app
        .query(
            "{ countries(edition: 2023, first: 500) { nodes { iso3
                 scores(edition: 2023) { indicator { slug isComposite parent { slug } } value } } } }",
            json!({}),
        )
        .await;
    data["countries"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let raw = c["scores"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|s| s["indicator"]["isComposite"] == false)
                .map(|s| {
                    let indicator = &s["indicator"];
                    let slug = indicator["slug"].as_str().unwrap().to_owned();
                    let parent = indicator["parent"]["slug"].as_str().unwrap().to_owned();
                    (slug, parent, s["value"].as_f64().unwrap())
                })
                .collect();
            (c["iso3"].as_str().unwrap().to_owned(), raw)
        })
        .collect()
}

/// Rank and value of each country in an edition's ranking of `indicator`.
async fn ranking(app: &TestApp, indicator: &str, year: i32) -> HashMap<String, (i64, f64)> {
    let data = app
        .ok(
            ADMIN,
            "query($i: String!, $y: Int) { ranking(indicator: $i, edition: $y, first: 500) {
                 nodes { rank value country { iso3 } } } }",
            json!({ "i": indicator, "y": year }),
        )
        .await;
    data["ranking"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            let iso3 = n["country"]["iso3"].as_str().unwrap().to_owned();
            (iso3, (n["rank"].as_i64().unwrap(), n["value"].as_f64().unwrap()))
        })
        .collect()
}

async fn mutate(app: &TestApp, mutation: &str) {
    app.ok(ADMIN, mutation, json!({})).await;
}

#[tokio::test]
async fn scoped_batches_store_exactly_what_a_full_rebuild_stores() {
    let Some(app) = TestApp::spawn(Content::Official).await else { return };
    let official = scores_2023(&app).await;
    assert_eq!(official.len(), 193);
    let of = |iso3: &str| &official.iter().find(|(c, _)| c == iso3).unwrap().1;
    let copy = |iso3: &str| -> Vec<Value> {
        of(iso3).iter().map(|(slug, _, value)| score(iso3, slug, *value)).collect()
    };
    mutate(&app, r#"mutation { createEdition(input: { year: 2025, title: "Next", indicatorsFrom: 2023 }) { year } }"#).await;
    let mut stored = figures(&app).await;

    // A half-filled draft: values without the composites above them, which lack children.
    stored = batch(
        &app,
        2025,
        vec![
            score("KAZ", "heroin-trade", 8.5),
            score("KAZ", "prevention", 2.0),
            score("KGZ", "heroin-trade", 3.0),
            score("MEX", "mafia-style-groups", 10.0),
        ],
        &stored,
        "a few scores of a new draft",
    )
    .await;

    // The whole of 2023 in one batch: every composite appears, every rank is set.
    let everything: Vec<Value> = official.iter().flat_map(|(iso3, _)| copy(iso3)).collect();
    assert_eq!(everything.len(), 193 * 32);
    stored = batch(&app, 2025, everything, &stored, "a whole edition").await;
    let criminality = ranking(&app, "criminality", 2025).await;
    assert_eq!(criminality, ranking(&app, "criminality", 2023).await, "2025 is a copy of 2023");

    // A batch that reorders criminality: a country below another one overtakes it, through
    // markets and actors raised to the top of the scale.
    let (low, high) = ("KAZ", "KGZ");
    assert!(criminality[low].0 > criminality[high].0, "{low} ranks below {high} in 2023");
    let raised: Vec<Value> = of(low)
        .iter()
        .filter(|(_, parent, _)| parent != "resilience")
        .map(|(slug, _, _)| score(low, slug, 10.0))
        .collect();
    stored = batch(&app, 2025, raised, &stored, "a batch that reorders criminality").await;
    let reordered = ranking(&app, "criminality", 2025).await;
    assert!(reordered[low].0 < reordered[high].0, "{low} now ranks above {high}");
    assert_eq!(reordered[low].0, 1, "criminality 10.00 is the highest");

    // Several countries and pillars at once, one score sent again with the value it has.
    let official_value = |iso3: &str, slug: &str| of(iso3).iter().find(|e| e.0 == slug).unwrap().2;
    let moved = |iso3: &str, slug: &str, by: f64| {
        let value = official_value(iso3, slug);
        let value = if (1.0..=10.0).contains(&(value + by)) { value + by } else { value - by };
        score(iso3, slug, value)
    };
    let various = vec![
        moved("BRA", "cocaine-trade", 0.5),
        moved("BRA", "judicial-system-and-detention", -1.0),
        moved("NGA", "human-trafficking", -0.5),
        moved("FRA", "criminal-networks", 1.5),
        moved("JAM", "arms-trafficking", 0.5),
        moved("JPN", "financial-crimes", -0.5),
        moved("NZL", "prevention", 0.5),
        score("DEU", "heroin-trade", official_value("DEU", "heroin-trade")),
    ];
    stored = batch(&app, 2025, various, &stored, "various countries and indicators").await;

    // A draft after a published edition: 2025 published, 2027 compares with it.
    mutate(&app, "mutation { publishEdition(year: 2025) { year } }").await;
    assert_eq!(figures(&app).await, rebuilt(&app.db).await, "after publishing 2025");
    mutate(&app, r#"mutation { createEdition(input: { year: 2027, title: "After", indicatorsFrom: 2025 }) { year } }"#).await;
    let mut next: Vec<Value> = copy("KAZ");
    next.extend(copy("PER").into_iter().take(20));
    next.push(score("KGZ", "heroin-trade", 1.0));
    batch(&app, 2027, next, &stored, "a draft after a published edition").await;
    let kaz = app
        .ok(
            ADMIN,
            r#"{ country(iso3: "KAZ") { score(indicator: "criminality", edition: 2027) { value delta } } }"#,
            json!({}),
        )
        .await;
    // 2023's Kazakhstan again (4.4666… publishes as 4.47), against 2025's 10.00: 4.4666… − 10
    assert_eq!(kaz["country"]["score"], json!({ "value": 4.47, "delta": -5.53 }), "{kaz}");

    // A draft between published editions: reopened, 2023 is no base of 2025's deltas any
    // more, and a batch into it changes no other edition.
    mutate(&app, "mutation { reopenEdition(year: 2023) { year } }").await;
    stored = figures(&app).await;
    assert_eq!(stored, rebuilt(&app.db).await, "after reopening 2023");
    let corrections = vec![
        moved("KAZ", "heroin-trade", 1.0),
        moved("CHL", "cocaine-trade", -0.5),
        moved("CHL", "prevention", 0.5),
    ];
    batch(&app, 2023, corrections, &stored, "a reopened edition between published ones").await;
    mutate(&app, "mutation { publishEdition(year: 2023) { year } }").await;
    assert_eq!(figures(&app).await, rebuilt(&app.db).await, "2023 published again");
}
