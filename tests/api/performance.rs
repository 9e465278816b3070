//! The fast paths: partners served from the public answer cache, reference data and key
//! digests held in memory, and both kept fresh when another process changes the data.
use ocindex_tests::{Content, TestApp, ADMIN_TOKEN};
use sea_orm::ConnectionTrait;
use serde_json::json;
use std::sync::atomic::Ordering;
use std::time::Duration;

const ADMIN: Option<&str> = Some(ADMIN_TOKEN);

async fn partner_key(app: &TestApp, name: &str) -> String {
    let data = app
        .ok(
            ADMIN,
            "mutation($n: String!) { createApiKey(name: $n, role: PARTNER) { secret } }",
            json!({ "n": name }),
        )
        .await;
    data["createApiKey"]["secret"].as_str().unwrap().to_owned()
}

/// Repeats `check` (a few times, 20 ms apart) until it holds: notifications are asynchronous.
async fn eventually(mut check: impl AsyncFnMut() -> bool) -> bool {
    for _ in 0..100 {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

#[tokio::test]
async fn a_partner_reads_from_the_public_cache_without_a_statement() {
    let Some(app) = TestApp::spawn(Content::Sample).await else { return };
    let partner = partner_key(&app, "newsroom").await;
    let query = r#"{ country(iso3: "KAZ") { name score(indicator: "criminality", edition: 2023) { value } } }"#;
    let public = app.query(query, json!({})).await;
    assert_eq!(public["country"]["name"], "Kazakhstan");

    // the partner's key is checked from memory and the public answer is served as it is (once
    // the notification of the key's creation has come and gone)
    assert!(
        eventually(async || {
            let before = app.statements.load(Ordering::SeqCst);
            let body = app.graphql(query, json!({}), Some(&partner)).await;
            assert_eq!(body["data"], public);
            app.statements.load(Ordering::SeqCst) == before
        })
        .await,
        "no statement for a cached read"
    );

    // what a partner computes first serves the public too
    let other = r#"{ country(iso3: "KGZ") { name region(edition: 2021) } }"#;
    let by_partner = app.graphql(other, json!({}), Some(&partner)).await;
    assert_eq!(by_partner["data"]["country"]["name"], "Kyrgyzstan");
    let before = app.statements.load(Ordering::SeqCst);
    assert_eq!(app.query(other, json!({})).await, by_partner["data"]);
    assert_eq!(app.statements.load(Ordering::SeqCst), before);

    // a partner still sees no draft and may not read the admin's lists
    let err = app.refused(Some(&partner), "{ apiKeys { name } }", json!({})).await;
    assert_eq!(err["extensions"]["code"], "FORBIDDEN");
    app.ok(ADMIN, r#"mutation { createEdition(input: { year: 2025, title: "Draft", indicatorsFrom: 2023 }) { year } }"#, json!({})).await;
    let years = app.ok(Some(&partner), "{ editions { year } }", json!({})).await;
    assert_eq!(years, json!({ "editions": [{ "year": 2021 }, { "year": 2023 }] }));
    let years = app.ok(ADMIN, "{ editions { year } }", json!({})).await;
    assert_eq!(
        years["editions"].as_array().unwrap().len(),
        3,
        "the writer reads its write at once"
    );
}

#[tokio::test]
async fn reference_data_is_read_once_and_follows_writes_by_other_processes() {
    let Some(app) = TestApp::spawn(Content::Sample).await else { return };
    let partner = partner_key(&app, "newsroom").await;
    let query = "{ editions { year title } }";
    let first = app.ok(ADMIN, query, json!({})).await;
    assert_eq!(first["editions"][1]["year"], 2023);
    // an uncached read of reference data alone needs no statement once it is in memory (the
    // key created above is heard of again when its notification arrives: wait for it)
    let reference = r#"{ editions { year } indicators(edition: 2021) { slug }
                        country(iso3: "KAZ") { name continent region } }"#;
    assert!(
        eventually(async || {
            let before = app.statements.load(Ordering::SeqCst);
            app.ok(ADMIN, reference, json!({})).await;
            app.statements.load(Ordering::SeqCst) == before
        })
        .await,
        "editions, indicators and countries are in memory"
    );

    // another process renames the edition and revokes the partner's key with plain SQL
    app.db
        .execute_unprepared("UPDATE editions SET title = 'Renamed by psql' WHERE year = 2023")
        .await
        .unwrap();
    assert!(
        eventually(async || {
            app.ok(ADMIN, query, json!({})).await["editions"][1]["title"] == "Renamed by psql"
        })
        .await,
        "the notification refreshed the editions"
    );
    assert_eq!(app.query(query, json!({})).await["editions"][1]["title"], "Renamed by psql");
    app.db
        .execute_unprepared("UPDATE api_keys SET revoked_at = now() WHERE name = 'newsroom'")
        .await
        .unwrap();
    assert!(
        eventually(async || {
            let body = app.graphql(query, json!({}), Some(&partner)).await;
            body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        })
        .await,
        "a key revoked by another process is refused"
    );
}

#[tokio::test]
async fn lists_fetch_only_the_figures_they_ask_for_in_a_constant_number_of_statements() {
    let Some(app) = TestApp::spawn(Content::Official).await else { return };
    let ranking = r#"{ ranking(indicator: "criminality", edition: 2023, first: 200) {
        nodes { rank value country { iso3 name continent score(indicator: "resilience") { value }
                                     scores(pillar: RESILIENCE) { value change(since: 2021) } } } } }"#;
    app.ok(ADMIN, "{ editions { year } }", json!({})).await; // reference data in memory
    let before = app.statements.load(Ordering::SeqCst);
    // a token bypasses the response cache, so every statement is really run
    let data = app.ok(ADMIN, ranking, json!({})).await;
    let statements = app.statements.load(Ordering::SeqCst) - before;
    let nodes = data["ranking"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 193);
    // ranking, resilience figures, profiles, changes: one statement each, whatever the count
    assert!(statements <= 4, "{statements} statements");

    // each country's batched answer is the one it gives alone
    for node in nodes.iter().step_by(37) {
        let iso3 = node["country"]["iso3"].as_str().unwrap();
        let alone = app
            .query(
                r#"query($c: String!) { country(iso3: $c) { continent
                     score(indicator: "resilience", edition: 2023) { value }
                     scores(edition: 2023, pillar: RESILIENCE) { value change(since: 2021) } } }"#,
                json!({ "c": iso3 }),
            )
            .await;
        assert_eq!(node["country"]["continent"], alone["country"]["continent"], "{iso3}");
        assert_eq!(node["country"]["score"], alone["country"]["score"], "{iso3}");
        assert_eq!(node["country"]["scores"], alone["country"]["scores"], "{iso3}");
    }

    // the benchmarks' ranking: the figures its items ask for come in the ranking's statement
    let question = r#"{ ranking(indicator: "criminality", edition: 2023, first: 200) {
        nodes { country { iso3 score(indicator: "resilience", edition: 2023) { value } } } } }"#;
    let before = app.statements.load(Ordering::SeqCst);
    let data = app.ok(ADMIN, question, json!({})).await;
    assert_eq!(app.statements.load(Ordering::SeqCst) - before, 1, "one statement");
    // each is the country's own resilience figure, as the resilience ranking lists it
    let resilience = app
        .ok(
            ADMIN,
            r#"{ ranking(indicator: "resilience", edition: 2023, first: 200) {
                          nodes { value country { iso3 } } } }"#,
            json!({}),
        )
        .await;
    let expected: std::collections::HashMap<&str, &serde_json::Value> = resilience["ranking"]
        ["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["country"]["iso3"].as_str().unwrap(), &n["value"]))
        .collect();
    let nodes = data["ranking"]["nodes"].as_array().unwrap();
    assert_eq!((nodes.len(), expected.len()), (193, 193));
    for node in nodes {
        let iso3 = node["country"]["iso3"].as_str().unwrap();
        assert_eq!(&node["country"]["score"]["value"], expected[iso3], "{iso3}");
    }
}

/// A list asking for one indicator's change (read per figure, not with the country's other
/// changes) reads them in one batch, and each is the figure's delta (2021 is the edition
/// before 2023), which the write computed apart.
#[tokio::test]
async fn a_list_of_one_indicators_changes_reads_them_in_one_batch_as_published() {
    let Some(app) = TestApp::spawn(Content::Official).await else { return };
    app.ok(ADMIN, "{ editions { year } }", json!({})).await; // reference data in memory
    let question = r#"{ countries(edition: 2023, first: 200) { nodes { iso3
        score(indicator: "synthetic-drug-trade") { delta change(since: 2021) } } } }"#;
    let before = app.statements.load(Ordering::SeqCst);
    let data = app.ok(ADMIN, question, json!({})).await;
    let statements = app.statements.load(Ordering::SeqCst) - before;
    // the countries, their figures, their changes
    assert!(statements <= 3, "{statements} statements");
    let nodes = data["countries"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 193);
    let mut changed = 0;
    for node in nodes {
        let score = &node["score"];
        assert_eq!(score["change"], score["delta"], "{}", node["iso3"]);
        changed += usize::from(score["change"].as_f64().is_some_and(|c| c != 0.0));
    }
    // the synthetic drug trade moved in most countries between the two editions
    assert!(changed > 100, "{changed} changes");
    // and as the country's profile gives it
    let ukraine = nodes.iter().find(|n| n["iso3"] == "UKR").unwrap();
    let alone = app
        .query(
            r#"{ country(iso3: "UKR") { scores(edition: 2023) { indicator { slug } change(since: 2021) } } }"#,
            json!({}),
        )
        .await;
    let profile = alone["country"]["scores"].as_array().unwrap();
    let drugs = profile.iter().find(|s| s["indicator"]["slug"] == "synthetic-drug-trade").unwrap();
    assert_eq!(ukraine["score"]["change"], drugs["change"]);
    assert_eq!(drugs["change"], json!(4.5), "the README's flagship rise");
}

/// Every stored figure (exact values included) and every change the view computes.
pub(crate) async fn derived(db: &sea_orm::DatabaseConnection) -> String {
    let sql =
        "SELECT (SELECT string_agg(concat_ws(',', edition_id, country_id, indicator_id, value,
                          delta, rank, rank_in_continent, rank_in_region, exact_num, exact_den), ';'
                          ORDER BY edition_id, country_id, indicator_id) FROM figures)
               || '|' || (SELECT string_agg(concat_ws(',', indicator_id, from_edition_id,
                          to_edition_id, country_id, change), ';'
                          ORDER BY indicator_id, from_edition_id, to_edition_id, country_id)
                          FROM figure_changes) AS d";
    let row = db
        .query_one(sea_orm::Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "d").unwrap()
}

/// What a rebuild of every edition from the entered scores stores, rolled back.
pub(crate) async fn rebuilt(db: &sea_orm::DatabaseConnection) -> String {
    use sea_orm::TransactionTrait;
    let txn = db.begin().await.unwrap();
    ocindex::repo::figures::recompute(&txn).await.unwrap();
    let sql = "SELECT string_agg(concat_ws(',', edition_id, country_id, indicator_id, value,
                   delta, rank, rank_in_continent, rank_in_region, exact_num, exact_den), ';'
                   ORDER BY edition_id, country_id, indicator_id) AS d FROM figures";
    let row = txn
        .query_one(sea_orm::Statement::from_string(txn.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    let figures: String = row.try_get("", "d").unwrap();
    txn.rollback().await.unwrap();
    figures
}

#[tokio::test]
async fn writes_recompute_one_edition_exactly_as_a_full_rebuild_would() {
    let Some(app) = TestApp::spawn(Content::Sample).await else { return };
    let figures_only = |d: String| d.split('|').next().unwrap().to_owned();
    app.ok(ADMIN, r#"mutation { createEdition(input: { year: 2025, title: "Next", indicatorsFrom: 2023 }) { year } }"#, json!({})).await;
    app.ok(
        ADMIN,
        r#"mutation { upsertScores(edition: 2025, scores: [
        { country: "KAZ", indicator: "heroin-trade", value: 8.5 },
        { country: "KAZ", indicator: "synthetic-drug-trade", value: 2 },
        { country: "KGZ", indicator: "heroin-trade", value: 3 } ]) { written } }"#,
        json!({}),
    )
    .await;
    assert_eq!(figures_only(derived(&app.db).await), rebuilt(&app.db).await, "after a batch");

    // reopening 2023 makes 2021 the base of the draft's deltas; publishing it again restores it
    let with_2023 = derived(&app.db).await;
    app.ok(ADMIN, "mutation { reopenEdition(year: 2023) { year } }", json!({})).await;
    assert_eq!(figures_only(derived(&app.db).await), rebuilt(&app.db).await, "after reopening");
    app.ok(ADMIN, "mutation { publishEdition(year: 2023) { year } }", json!({})).await;
    assert_eq!(derived(&app.db).await, with_2023, "published again, as before");

    // changes are computed from exact values: Kazakhstan's criminal actors, 4.375 to 4.60
    let data = app
        .query(
            r#"{ country(iso3: "KAZ") { score(indicator: "criminal-actors", edition: 2023) {
                   value delta change(since: 2021) } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(data["country"]["score"], json!({ "value": 4.6, "delta": 0.23, "change": 0.23 }));
}

/// The server's sessions keep one plan per prepared statement: by default Postgres planned the
/// change list anew at every execution once ten editions were stored (bench/history.sh).
#[tokio::test]
async fn the_servers_sessions_plan_each_statement_once() {
    let app = TestApp::spawn(Content::Empty).await.unwrap();
    for _ in 0..3 {
        // whichever connection of the pool answers
        let show =
            sea_orm::Statement::from_string(sea_orm::DbBackend::Postgres, "SHOW plan_cache_mode");
        let row = app.db.query_one(show).await.unwrap().expect("a row");
        let mode: String = row.try_get("", "plan_cache_mode").unwrap();
        assert_eq!(mode, "force_generic_plan");
    }
}

/// The loaders' statements, planned without their parameters as the server's sessions plan
/// them, read the figures by key: such a plan cannot know how many keys an array holds, and a
/// plain join of the keys with the figures read every figure of every edition into a hash.
#[tokio::test]
async fn the_loaders_generic_plans_read_figures_by_key() {
    use ocindex::repo::figures::statements::{
        CHANGES_BETWEEN, CHANGES_OF, FOR_COUNTRIES, FOR_INDICATORS,
    };
    use sea_orm::{DbBackend, Statement, TransactionTrait};
    let Some(app) = TestApp::spawn(Content::Official).await else { return };
    // one session for the PREPARE and its EXPLAIN, with the server's settings
    let session = app.db.begin().await.unwrap();
    let mode = session
        .query_one(Statement::from_string(DbBackend::Postgres, "SHOW plan_cache_mode"))
        .await
        .unwrap()
        .expect("a row");
    assert_eq!(mode.try_get::<String>("", "plan_cache_mode").unwrap(), "force_generic_plan");
    for (name, sql, arguments) in [
        ("figures_of", FOR_COUNTRIES, "('{1}', '{1}')"),
        ("figure_of", FOR_INDICATORS, "('{1}', '{1}', '{1}')"),
        ("changes_between", CHANGES_BETWEEN, "('{1}', '{1}', '{2}')"),
        ("changes_of", CHANGES_OF, "('{1}', '{1}', '{2}', '{1}')"),
    ] {
        session.execute_unprepared(&format!("PREPARE {name} AS {sql}")).await.unwrap();
        let explain = format!("EXPLAIN EXECUTE {name}{arguments}");
        let rows =
            session.query_all(Statement::from_string(DbBackend::Postgres, explain)).await.unwrap();
        let plan: Vec<String> =
            rows.iter().map(|row| row.try_get::<String>("", "QUERY PLAN").unwrap()).collect();
        let plan = plan.join("\n");
        assert!(!plan.contains("Seq Scan on figures"), "{name} reads every figure:\n{plan}");
        assert!(plan.contains("Index"), "{name} reads no index:\n{plan}");
    }
    session.rollback().await.unwrap();
}

/// Lists resolved in one pass (`graphql::eager`) answer exactly as async-graphql's executor
/// does: the same question with every selection behind a fragment (which the one-pass path
/// leaves to the executor) gives the same data.
#[tokio::test]
async fn a_ranking_resolved_in_one_pass_is_the_executors_answer() {
    let Some(app) = TestApp::spawn(Content::Official).await else { return };
    let one_pass = r#"{ ranking(indicator: "criminality", edition: 2023, first: 200) {
        totalCount nodes { __typename rank value country { name continent
        resilience: score(indicator: "resilience", edition: 2023) { value } } }
        edges { cursor node { rank } } } }"#;
    let executor = r#"{ ranking(indicator: "criminality", edition: 2023, first: 200) {
        totalCount nodes { ... on Score { __typename rank value country { ... on Country { name
        continent resilience: score(indicator: "resilience", edition: 2023) {
        ... on Score { value } } } } } }
        edges { ... on ScoreEdge { cursor node { ... on Score { rank } } } } } }"#;
    let eager = app.ok(ADMIN, one_pass, json!({})).await;
    let slow = app.ok(ADMIN, executor, json!({})).await;
    assert_eq!(eager, slow);
    let nodes = eager["ranking"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 193);
    assert_eq!(eager["ranking"]["edges"].as_array().unwrap().len(), 193);
    // the 2023 Index's most criminal country, with its published figures
    assert_eq!(nodes[0]["__typename"], "Score");
    assert_eq!(nodes[0]["rank"], 1);
    assert_eq!(nodes[0]["value"], json!(8.15));
    assert_eq!(nodes[0]["country"]["name"], "Myanmar");
    assert_eq!(nodes[0]["country"]["continent"], "ASIA");
    assert_eq!(nodes[0]["country"]["resilience"]["value"], json!(1.63));
}

/// A field that fails in an item of a list resolved in one pass is reported once per item,
/// at its path, as the executor reports it: the attempt's own errors are taken back before
/// the executor runs.
#[tokio::test]
async fn an_error_inside_a_list_resolved_in_one_pass_is_reported_once_per_item() {
    let Some(app) = TestApp::spawn(Content::Official).await else { return };
    let query = r#"{ ranking(indicator: "criminality", edition: 2023, first: 3) { nodes { rank
        country { name score(indicator: "criminality", edition: 1999) { value } } } } }"#;
    let body = app.graphql(query, json!({}), ADMIN).await;
    let nodes = body["data"]["ranking"]["nodes"].as_array().unwrap();
    let names: Vec<_> = nodes.iter().map(|n| n["country"]["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Myanmar", "Colombia", "Mexico"]);
    let errors = body["errors"].as_array().unwrap();
    let paths: Vec<_> = errors.iter().map(|e| e["path"].clone()).collect();
    let expected: Vec<_> =
        (0..3).map(|i| json!(["ranking", "nodes", i, "country", "score"])).collect();
    assert_eq!(paths, expected);
    for error in errors {
        assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT");
        assert_eq!(error["extensions"]["field"], "edition");
        assert_eq!(error["extensions"]["value"], "1999");
    }
}
