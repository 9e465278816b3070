//! The scores and deltas printed on the 2023 country pages equal what the API returns.
use ocindex_tests::{seeds_dir, Content, TestApp};
use rust_decimal::Decimal;
use serde_json::json;
use std::str::FromStr;

/// (indicator name, score, delta) in page order, read from the page text: a name line, then
/// the score and delta glued together ("4.330.18", "4.00-0.50", "3.50 n/a").
fn page_figures(text: &str, names: &[String]) -> Vec<(String, Decimal, Option<Decimal>)> {
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let mut out = Vec::new();
    for pair in lines.windows(2) {
        let Some(score) = split_score(pair[1]) else { continue };
        // the name can be glued to page furniture before it: take the longest name it ends with
        let name = names.iter().filter(|n| pair[0].ends_with(n.as_str())).max_by_key(|n| n.len());
        if let Some(name) = name {
            out.push((name.clone(), score.0, score.1));
        }
    }
    out
}

fn split_score(line: &str) -> Option<(Decimal, Option<Decimal>)> {
    let dot = line.find('.')?;
    let (score, rest) = (line.get(..dot + 3)?, line.get(dot + 3..)?);
    let score = Decimal::from_str(score).ok()?;
    let rest = rest.trim();
    if rest == "n/a" {
        return Some((score, None));
    }
    let delta = Decimal::from_str(rest).ok()?;
    (rest.len() >= 4 && rest.contains('.')).then_some((score, Some(delta)))
}

#[tokio::test]
async fn the_2023_pages_of_kazakhstan_and_kyrgyzstan_match_the_api() {
    let Some(seeds) = seeds_dir() else { return };
    let Some(app) = TestApp::spawn(Content::Official).await else { return };
    let text = std::fs::read_to_string(seeds.join("000_34da6d184f89e517.txt")).expect("seed page");
    let indicators = app.query("{ indicators(edition: 2023) { slug name } }", json!({})).await;
    let indicators = indicators["indicators"].as_array().unwrap().clone();
    let names: Vec<String> =
        indicators.iter().map(|i| i["name"].as_str().unwrap().to_owned()).collect();
    let printed = page_figures(&text, &names);
    assert_eq!(
        printed.len(),
        2 * 34,
        "each page prints 34 scores: composites but criminality, and indicators"
    );

    for (page, iso3) in printed.chunks(34).zip(["KAZ", "KGZ"]) {
        let data = app
            .query("query($c: String!) { country(iso3: $c) { scores(edition: 2023) { indicator { name } value delta } } }", json!({ "c": iso3 }))
            .await;
        let scores = data["country"]["scores"].as_array().unwrap();
        for (name, score, delta) in page {
            let ours = scores
                .iter()
                .find(|s| s["indicator"]["name"] == name.as_str())
                .expect("indicator scored");
            assert_eq!(
                Decimal::from_str(&ours["value"].to_string()).unwrap(),
                *score,
                "{iso3} {name} score"
            );
            let our_delta = (!ours["delta"].is_null())
                .then(|| Decimal::from_str(&ours["delta"].to_string()).unwrap());
            assert_eq!(our_delta, *delta, "{iso3} {name} delta");
        }
    }
}
