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
}
