//! The Index's questions over the official dataset: rankings, changes, filters, paging.
use calamine::{Data, Reader, Xlsx};
use ocindex_tests::{dataset_path, Content, TestApp};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};
use std::str::FromStr;
use std::sync::atomic::Ordering;

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn decimal(value: &Value) -> Decimal {
    Decimal::from_str(&value.to_string()).unwrap_or_else(|_| panic!("{value} is a number"))
}

/// One sheet of the file as (continent, country name, header -> value) rows.
fn sheet(year: i32) -> Vec<(String, String, HashMap<String, Decimal>)> {
    let mut workbook: Xlsx<_> = calamine::open_workbook(dataset_path().unwrap()).unwrap();
    let range = workbook.worksheet_range(&format!("{year}_dataset")).unwrap();
    let mut rows = range.rows();
    let header: Vec<String> =
        rows.next().unwrap().iter().map(|c| c.to_string().trim().to_owned()).collect();
    rows.map(|row| {
        let values = row
            .iter()
            .enumerate()
            .skip(3)
            .map(|(i, cell)| match cell {
                Data::Float(f) => (header[i].clone(), Decimal::from_str(&f.to_string()).unwrap()),
                other => panic!("{other:?}"),
            })
            .collect();
        (row[0].to_string(), row[2].to_string(), values)
    })
    .collect()
}

#[tokio::test]
async fn synthetic_drug_trade_rose_in_100_countries_with_ukraine_first() {
    let Some(app) = TestApp::spawn(Content::Official).await else { return };
    let query = r#"query($change: FloatFilter, $order: ScoreChangeOrder) {
        scoreChanges(indicator: "synthetic-drug-trade", from: 2021, to: 2023, change: $change,
                     orderBy: $order, first: 200) {
          totalCount nodes { country { iso3 name } fromValue toValue change } } }"#;
    let rose = app.query(query, json!({ "change": { "gt": 0 }, "order": "CHANGE_DESC" })).await;
    assert_eq!(rose["scoreChanges"]["totalCount"], 100);
    let first = &rose["scoreChanges"]["nodes"][0];
    assert_eq!(first["country"]["name"], "Ukraine");
    assert_eq!(decimal(&first["change"]), dec("4.50"));
    let fell = app.query(query, json!({ "change": { "lt": 0 } })).await;
    assert_eq!(fell["scoreChanges"]["totalCount"], 12);
    let level = app.query(query, json!({ "change": { "eq": 0 } })).await;
    assert_eq!(level["scoreChanges"]["totalCount"], 81);
    // the defaults: the latest published edition against the one before it
    let defaults = app
        .query(r#"{ scoreChanges(indicator: "synthetic-drug-trade", change: { gt: 0 }) { totalCount nodes { from { year } to { year } } } }"#, json!({}))
        .await;
    assert_eq!(defaults["scoreChanges"]["totalCount"], 100);
    assert_eq!(defaults["scoreChanges"]["nodes"][0]["from"]["year"], 2021);
    assert_eq!(defaults["scoreChanges"]["nodes"][0]["to"]["year"], 2023);
    // an indicator new in 2023 has no change against 2021: an empty list, not zeros
    let new = app.query(r#"{ scoreChanges(indicator: "financial-crimes", from: 2021, to: 2023) { totalCount } }"#, json!({})).await;
    assert_eq!(new["scoreChanges"]["totalCount"], 0);
}

/// Competition ranks computed here from the file's published 2-decimal criminality figures.
#[tokio::test]
async fn the_2023_criminality_ranking_shares_ranks_on_ties() {
    let Some(app) = TestApp::spawn(Content::Official).await else { return };
    let mut published: Vec<Decimal> =
        sheet(2023).iter().map(|(_, _, v)| v["Criminality avg,"]).collect();
    published.sort_by(|a, b| b.cmp(a));
    let expected_rank =
        |value: Decimal| 1 + published.iter().filter(|v| **v > value).count() as i64;

    let data = app
        .query(
            r#"{ ranking(indicator: "criminality", edition: 2023, first: 500) { totalCount
              nodes { rank value country { name } } } }"#,
            json!({}),
        )
        .await;
    let nodes = data["ranking"]["nodes"].as_array().unwrap();
    assert_eq!(data["ranking"]["totalCount"], 193);
    assert_eq!(nodes.len(), 193);
    let mut tied_groups = HashMap::new();
    for (position, node) in nodes.iter().enumerate() {
        let value = decimal(&node["value"]);
        assert_eq!(value, published[position], "ordered by value, highest first");
        assert_eq!(
            node["rank"].as_i64().unwrap(),
            expected_rank(value),
            "rank of {}",
            node["country"]["name"]
        );
        *tied_groups.entry(node["rank"].as_i64().unwrap()).or_insert(0) += 1;
    }
    let ties = tied_groups.values().filter(|&&n| n > 1).count();
    assert_eq!(ties, 44, "methodology.md counts 44 tied groups in the 2023 criminality scores");
    // ties are listed by name
    for pair in nodes.windows(2) {
        if pair[0]["rank"] == pair[1]["rank"] {
            assert!(pair[0]["country"]["name"].as_str() < pair[1]["country"]["name"].as_str());
        }
    }
}

#[tokio::test]
async fn paging_a_ranking_by_50_gives_the_unpaged_order_both_ways() {
    let Some(app) = TestApp::spawn(Content::Official).await else { return };
    let all = app
        .query(
            r#"{ ranking(indicator: "resilience", first: 500) { nodes { country { iso3 } } } }"#,
            json!({}),
        )
        .await;
    let all: Vec<Value> = all["ranking"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["country"]["iso3"].clone())
        .collect();

    let query = r#"query($after: String) { ranking(indicator: "resilience", first: 50, after: $after) {
        pageInfo { hasNextPage hasPreviousPage endCursor startCursor } nodes { country { iso3 } } } }"#;
    let (mut paged, mut after, mut pages) = (Vec::new(), Value::Null, 0);
    loop {
        let page = app.query(query, json!({ "after": after })).await;
        let page = &page["ranking"];
        paged
            .extend(page["nodes"].as_array().unwrap().iter().map(|n| n["country"]["iso3"].clone()));
        assert_eq!(page["pageInfo"]["hasPreviousPage"], pages > 0);
        pages += 1;
        if page["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(pages, 4);
    assert_eq!(paged, all);

    // backwards from the end
    let query = r#"query($before: String) { ranking(indicator: "resilience", last: 50, before: $before) {
        pageInfo { hasPreviousPage startCursor } nodes { country { iso3 } } } }"#;
    let tail = app.query(r#"{ ranking(indicator: "resilience", last: 50) { nodes { country { iso3 } } pageInfo { startCursor } } }"#, json!({})).await;
    let tail_nodes: Vec<Value> = tail["ranking"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["country"]["iso3"].clone())
        .collect();
    assert_eq!(tail_nodes, all[193 - 50..].to_vec());
    let before =
        app.query(query, json!({ "before": tail["ranking"]["pageInfo"]["startCursor"] })).await;
    let before: Vec<Value> = before["ranking"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["country"]["iso3"].clone())
        .collect();
    assert_eq!(before, all[193 - 100..193 - 50].to_vec());
}

/// "Asian countries whose synthetic drug trade rose while resilience fell", and more, checked
/// against sets computed here from the file.
#[tokio::test]
async fn compound_filters_match_sets_computed_from_the_file() {
    let Some(app) = TestApp::spawn(Content::Official).await else { return };
    let before: HashMap<String, HashMap<String, Decimal>> =
        sheet(2021).into_iter().map(|(_, n, v)| (n, v)).collect();
    let fold = |n: &str| {
        n.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect::<String>()
    };
    let before: HashMap<String, HashMap<String, Decimal>> =
        before.into_iter().map(|(n, v)| (fold(&n), v)).collect();
    let mut expected = BTreeSet::new();
    for (continent, name, now) in sheet(2023) {
        let then = &before[&fold(&name)];
        let drugs = now["Synthetic drug trade"] - then["Synthetic drug trade"];
        // resilience compared from the file's rounded figures is safe here: the set is checked
        // for sign only and no country's resilience changed by less than 0.005
        let resilience = now["Resilience avg,"] - then["Resilience"];
        if continent == "Asia" && drugs > Decimal::ZERO && resilience < Decimal::ZERO {
            expected.insert(fold(&name));
        }
    }
    assert!(expected.len() > 3, "a meaningful set: {expected:?}");
    let data = app
        .query(
            r#"{ countries(edition: 2023, where: { and: [
              { continent: ASIA },
              { score: { indicator: "synthetic-drug-trade", change: { gt: 0 }, since: 2021 } },
              { score: { indicator: "resilience", change: { lt: 0 }, since: 2021 } } ] }) {
            totalCount nodes { iso3 name } } }"#,
            json!({}),
        )
        .await;
    let got: BTreeSet<String> = data["countries"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| fold(n["name"].as_str().unwrap()))
        .collect();
    assert_eq!(got, expected);
    assert_eq!(data["countries"]["totalCount"], expected.len());

    // or / not / iso3 / rank / value, ordered by value
    let data = app
        .query(r#"{ countries(edition: 2023,
              where: { or: [ { iso3: ["KAZ", "kgz"] },
                             { score: { indicator: "criminality", rank: { lte: 3 } } } ],
                       not: { region: "Central Asia and the Caucasus", score: { indicator: "criminality", value: { lt: 5 } } } },
              orderBy: [{ indicator: "criminality", by: VALUE, direction: DESC }]) {
            nodes { iso3 score(indicator: "criminality") { value rank } } } }"#, json!({}))
        .await;
    let nodes = data["countries"]["nodes"].as_array().unwrap();
    let codes: Vec<&str> = nodes.iter().map(|n| n["iso3"].as_str().unwrap()).collect();
    // KAZ (4.47, Central Asia) is excluded by the not; KGZ (5.32) stays; the top 3 by criminality
    assert!(!codes.contains(&"KAZ") && codes.contains(&"KGZ"), "{codes:?}");
    assert_eq!(codes.len(), 4, "{codes:?}");
    let values: Vec<Decimal> = nodes.iter().map(|n| decimal(&n["score"]["value"])).collect();
    assert!(values.windows(2).all(|w| w[0] >= w[1]), "ordered by value: {values:?}");
    assert_eq!(codes.last(), Some(&"KGZ"));
}

/// Every kind of `countries(orderBy:)` key against the order this test makes itself from the
/// values the API reports for each country: each key deciding in turn, a country without a
/// value for a key after those with one whichever the direction, then the name.
#[tokio::test]
async fn countries_order_by_values_ranks_changes_and_names() {
    let Some(app) = TestApp::spawn(Content::Official).await else { return };
    let query = r#"query($order: [CountryOrder!]) { countries(edition: 2023, orderBy: $order) {
        totalCount nodes { name
          drugs: score(indicator: "synthetic-drug-trade") { value change(since: 2021) }
          crime: score(indicator: "criminality") { rank }
          financial: score(indicator: "financial-crimes") { change(since: 2021) } } } }"#;
    // a key of a node: the number at `path`, or None for null
    let key = |node: &Value, path: [&str; 2]| -> Option<Decimal> {
        let value = &node[path[0]][path[1]];
        (!value.is_null()).then(|| decimal(value))
    };
    type Key = ([&'static str; 2], bool);
    let cases: [(Value, Vec<Option<Key>>); 3] = [
        (
            json!([{ "indicator": "synthetic-drug-trade", "by": "CHANGE", "since": 2021 },
                   { "indicator": "criminality", "by": "RANK", "direction": "ASC" }]),
            vec![Some((["drugs", "change"], true)), Some((["crime", "rank"], false))],
        ),
        (
            // new in 2023: no country has a change, so the name decides, backwards
            json!([{ "indicator": "financial-crimes", "by": "CHANGE", "since": 2021 },
                   { "direction": "DESC" }]),
            vec![Some((["financial", "change"], true)), None],
        ),
        (
            json!([{ "indicator": "synthetic-drug-trade", "direction": "ASC" }]),
            vec![Some((["drugs", "value"], false))],
        ),
    ];
    for (order, keys) in cases {
        let data = app.query(query, json!({ "order": order })).await;
        let nodes = data["countries"]["nodes"].as_array().unwrap().clone();
        assert_eq!(nodes.len(), 193, "{order}");
        let mut expected = nodes.clone();
        expected.sort_by(|a, b| {
            let name = |n: &Value| n["name"].as_str().unwrap().to_owned();
            for k in &keys {
                let ordering = match k {
                    None => name(b).cmp(&name(a)),
                    Some((path, descending)) => match (key(a, *path), key(b, *path)) {
                        (Some(x), Some(y)) if *descending => y.cmp(&x),
                        (Some(x), Some(y)) => x.cmp(&y),
                        (Some(_), None) => std::cmp::Ordering::Less,
                        (None, Some(_)) => std::cmp::Ordering::Greater,
                        (None, None) => std::cmp::Ordering::Equal,
                    },
                };
                if ordering.is_ne() {
                    return ordering;
                }
            }
            name(a).cmp(&name(b))
        });
        let names = |list: &[Value]| -> Vec<String> {
            list.iter().map(|n| n["name"].as_str().unwrap().to_owned()).collect()
        };
        assert_eq!(names(&nodes), names(&expected), "{order}");
    }
}

#[tokio::test]
async fn changes_since_an_edition_are_exact_on_composites_and_null_for_new_indicators() {
    let Some(app) = TestApp::spawn(Content::Official).await else { return };
    // Kyrgyzstan markets: 69.5/15 − 44/10 = 0.2333… → 0.23 (not 4.63 − 4.40 on rounded values
    // by luck: the rounded difference is 0.23 too); Kazakhstan actors 0.225 → 0.23
    let data = app
        .query(r#"{ kgz: country(iso3: "KGZ") { markets: score(indicator: "criminal-markets") { change(since: 2021) }
                                               cyber: score(indicator: "cyber-dependent-crimes") { change(since: 2021) delta } }
                   kaz: country(iso3: "KAZ") { actors: score(indicator: "criminal-actors") { change(since: 2021) } } }"#, json!({}))
        .await;
    assert_eq!(decimal(&data["kgz"]["markets"]["change"]), dec("0.23"));
    assert_eq!(decimal(&data["kaz"]["actors"]["change"]), dec("0.23"));
    assert!(data["kgz"]["cyber"]["change"].is_null() && data["kgz"]["cyber"]["delta"].is_null());

    // every criminality change of 2023 against 2021 equals the half-up value of the exact
    // difference of means computed here from the file's entered scores
    let mean = |values: &[Decimal]| values.iter().sum::<Decimal>() / Decimal::from(values.len());
    let exact = |row: &HashMap<String, Decimal>, markets: &[&str], actors: &[&str]| {
        let m: Vec<Decimal> = markets.iter().map(|k| row[*k]).collect();
        let a: Vec<Decimal> = actors.iter().map(|k| row[*k]).collect();
        // 28-digit decimals: exact enough for a sign/rounding check away from .xx5 boundaries,
        // and the boundaries that occur are terminating decimals, which Decimal holds exactly
        (mean(&m) + mean(&a)) / Decimal::TWO
    };
    let markets21 = [
        "Human trafficking",
        "Human smuggling",
        "Arms trafficking",
        "Flora crimes",
        "Fauna crimes",
        "Non-renewable resource crimes",
        "Heroin trade",
        "Cocaine trade",
        "Cannabis trade",
        "Synthetic drug trade",
    ];
    let mut markets23 = markets21.to_vec();
    markets23.extend([
        "Cyber-dependent crimes",
        "Financial crimes",
        "Trade in counterfeit goods",
        "Illicit trade in excisable goods",
        "Extortion and protection racketeering",
    ]);
    let actors21 =
        ["Mafia-style groups", "Criminal networks", "State-embedded actors", "Foreign actors"];
    let mut actors23 = actors21.to_vec();
    actors23.push("Private sector actors");
    let fold = |n: &str| {
        n.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect::<String>()
    };
    let then: HashMap<String, HashMap<String, Decimal>> =
        sheet(2021).into_iter().map(|(_, n, v)| (fold(&n), v)).collect();
    let changes = app
        .query(r#"{ scoreChanges(indicator: "criminality", from: 2021, to: 2023, first: 500) { nodes { country { name iso3 } change } } }"#, json!({}))
        .await;
    let nodes = changes["scoreChanges"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 193);
    let by_name: HashMap<String, Decimal> = nodes
        .iter()
        .map(|n| {
            let name = if n["country"]["iso3"] == "TUR" {
                "turkey".into()
            } else {
                fold(n["country"]["name"].as_str().unwrap())
            };
            (name, decimal(&n["change"]))
        })
        .collect();
    let mut differs_from_rounded = 0;
    for (_, name, now) in sheet(2023) {
        let before = &then[&fold(&name)];
        let change = exact(&now, &markets23, &actors23) - exact(before, &markets21, &actors21);
        let expected =
            change.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
        assert_eq!(by_name[&fold(&name)], expected, "{name}");
        if expected != now["Criminality avg,"] - before["Criminality"] {
            differs_from_rounded += 1;
        }
    }
    assert!(differs_from_rounded > 0, "some changes differ from the difference of rounded figures");
}

#[tokio::test]
async fn ranking_within_a_continent_and_a_region() {
    let Some(app) = TestApp::spawn(Content::Official).await else { return };
    let data = app
        .query(r#"{ asia: ranking(indicator: "criminality", continent: ASIA, first: 500) { totalCount nodes { rankInContinent country { iso3 } } }
                   central: ranking(indicator: "criminality", region: "Central Asia and the Caucasus") { nodes { rankInRegion country { iso3 } } } }"#, json!({}))
        .await;
    let asia = data["asia"]["nodes"].as_array().unwrap();
    assert_eq!(data["asia"]["totalCount"], 46);
    assert_eq!(asia[0]["rankInContinent"], 1);
    let central: Vec<(&str, i64)> = data["central"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["country"]["iso3"].as_str().unwrap(), n["rankInRegion"].as_i64().unwrap()))
        .collect();
    let kgz = central.iter().position(|c| c.0 == "KGZ").unwrap();
    let kaz = central.iter().position(|c| c.0 == "KAZ").unwrap();
    assert!(kgz < kaz, "Kyrgyzstan (5.32) ranks above Kazakhstan (4.47): {central:?}");
    // an unknown region is named, with suggestions
    let err = app.query_error(r#"{ ranking(indicator: "criminality", edition: 2023, region: "Caribbean") { totalCount } }"#, json!({})).await;
    assert_eq!(err["extensions"]["code"], "BAD_USER_INPUT");
    assert!(err["message"].as_str().unwrap().contains("Caribbean & Central"), "{err}");
}

#[tokio::test]
async fn all_countries_with_all_scores_take_a_constant_number_of_statements() {
    let Some(app) = TestApp::spawn(Content::Official).await else { return };
    let query = r#"query($first: Int) { countries(edition: 2023, first: $first) { nodes { iso3 name continent region
        scores { indicator { slug name pillar parent { slug } } value delta rank rankInContinent rankInRegion
                 change(since: 2021) } } } }"#;
    // reference data (editions, indicators, countries) is loaded into memory once, not per request
    app.ok(Some(ocindex_tests::ADMIN_TOKEN), "{ editions { year } }", json!({})).await;
    let mut counts = Vec::new();
    for first in [5, 193] {
        let before = app.statements.load(Ordering::SeqCst);
        // a token bypasses the response cache, so every statement is really run
        let body =
            app.graphql(query, json!({ "first": first }), Some(ocindex_tests::ADMIN_TOKEN)).await;
        assert!(body.get("errors").is_none(), "{body}");
        assert_eq!(body["data"]["countries"]["nodes"].as_array().unwrap().len(), first as usize);
        counts.push(app.statements.load(Ordering::SeqCst) - before);
    }
    assert_eq!(counts[0], counts[1], "statements for 5 and for 193 countries: {counts:?}");
    assert!(counts[1] <= 10, "a small constant: {counts:?}");
}

#[tokio::test]
async fn every_object_is_reachable_by_its_global_id() {
    let Some(app) = TestApp::spawn(Content::Official).await else { return };
    let data = app
        .query(
            r#"{ country(iso3: "KAZ") { id score(indicator: "criminality") { id value } }
                   edition(year: 2021) { id } indicators { id } }"#,
            json!({}),
        )
        .await;
    let score_id = data["country"]["score"]["id"].clone();
    let node = app
        .query("query($id: ID!) { node(id: $id) { id ... on Score { value country { iso3 } edition { year } } } }", json!({ "id": score_id }))
        .await;
    assert_eq!(node["node"]["country"]["iso3"], "KAZ");
    assert_eq!(node["node"]["edition"]["year"], 2023);
    assert_eq!(decimal(&node["node"]["value"]), dec("4.47"));
    for id in [&data["country"]["id"], &data["edition"]["id"], &data["indicators"][3]["id"]] {
        let node = app.query("query($id: ID!) { node(id: $id) { id } }", json!({ "id": id })).await;
        assert_eq!(&node["node"]["id"], id);
    }
    let err = app.query_error(r#"{ node(id: "bm9wZQ") { id } }"#, json!({})).await;
    assert_eq!(err["extensions"]["code"], "BAD_USER_INPUT");
}

#[tokio::test]
async fn bad_arguments_are_named_with_suggestions() {
    let Some(app) = TestApp::spawn(Content::Official).await else { return };
    let err =
        app.query_error(r#"{ ranking(indicator: "criminalty") { totalCount } }"#, json!({})).await;
    assert_eq!(err["extensions"]["code"], "BAD_USER_INPUT");
    assert_eq!(err["extensions"]["field"], "indicator");
    assert!(err["message"].as_str().unwrap().contains("\"criminality\""), "{err}");
    let err = app
        .query_error(r#"{ countries(where: { iso3: ["Kazakhstan"] }) { totalCount } }"#, json!({}))
        .await;
    assert_eq!(err["extensions"]["field"], "where.iso3");
    assert!(err["message"].as_str().unwrap().contains("KAZ"), "{err}");
    let err = app
        .query_error(
            r#"{ countries(where: { and: [{ score: { indicator: "heroin" } }] }) { totalCount } }"#,
            json!({}),
        )
        .await;
    assert_eq!(err["extensions"]["field"], "where.and[0].score.indicator");
    let err = app
        .query_error(
            r#"{ scoreChanges(indicator: "criminality", from: 2023, to: 2021) { totalCount } }"#,
            json!({}),
        )
        .await;
    assert_eq!(err["extensions"]["field"], "from");
    let err = app
        .query_error(
            r#"{ ranking(indicator: "criminality", first: 501) { totalCount } }"#,
            json!({}),
        )
        .await;
    assert_eq!(err["extensions"]["field"], "first");
    let err =
        app.query_error(r#"{ countries { nodes { name } } editions { nope } }"#, json!({})).await;
    assert_eq!(err["extensions"]["code"], "BAD_USER_INPUT");
}

#[tokio::test]
async fn deep_or_expensive_queries_are_refused_as_too_complex() {
    let Some(app) = TestApp::spawn(Content::Official).await else { return };
    let deep = format!("{{ indicators {} slug {} }}", "{ parent ".repeat(20), "}".repeat(20));
    let err = app.query_error(&deep, json!({})).await;
    assert_eq!(err["extensions"]["code"], "QUERY_TOO_COMPLEX", "{err}");
    let wide = r#"{ a: countries(first: 500) { nodes { scores { indicator { slug name description } value delta rank rankInContinent rankInRegion } } }
                   b: countries(first: 500) { nodes { scores { indicator { slug name description } value delta rank rankInContinent rankInRegion } } }
                   c: countries(first: 500) { nodes { scores { indicator { slug name description } value delta rank rankInContinent rankInRegion } } }
                   d: countries(first: 500) { nodes { scores { indicator { slug name description } value delta rank rankInContinent rankInRegion } } }
                   e: countries(first: 500) { nodes { scores { indicator { slug name description } value delta rank rankInContinent rankInRegion } } } }"#;
    let err = app.query_error(wide, json!({})).await;
    assert_eq!(err["extensions"]["code"], "QUERY_TOO_COMPLEX", "{err}");
}

#[tokio::test]
async fn cached_public_answers_follow_a_change_of_the_data() {
    let Some(app) = TestApp::spawn(Content::Official).await else { return };
    let query =
        r#"{ country(iso3: "KAZ") { score(indicator: "heroin-trade", edition: 2023) { value } } }"#;
    assert_eq!(
        decimal(&app.query(query, json!({})).await["country"]["score"]["value"]),
        dec("6.5")
    );
    let served = app.statements.load(Ordering::SeqCst);
    assert_eq!(
        decimal(&app.query(query, json!({})).await["country"]["score"]["value"]),
        dec("6.5")
    );
    assert_eq!(
        app.statements.load(Ordering::SeqCst),
        served,
        "the repeat is served from the cache"
    );
    // a write by another client (here: plain SQL) must reach the public answer
    use sea_orm::ConnectionTrait;
    app.db
        .execute_unprepared("UPDATE figures SET value = 7.00 FROM countries c, indicators i, editions e
             WHERE c.id = figures.country_id AND i.id = figures.indicator_id AND e.id = figures.edition_id
               AND c.iso3 = 'KAZ' AND i.slug = 'heroin-trade' AND e.year = 2023")
        .await
        .unwrap();
    let mut seen = Decimal::ZERO;
    for _ in 0..50 {
        seen = decimal(&app.query(query, json!({})).await["country"]["score"]["value"]);
        if seen == dec("7") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(seen, dec("7"), "the change notification emptied the cache");
}
