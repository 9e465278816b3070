//! A first run: the bundled sample, health probes, and errors callers meet first.
use ocindex_tests::{Content, TestApp};
use sea_orm::ConnectionTrait;
use serde_json::json;

#[tokio::test]
async fn the_sample_shows_the_published_figures_of_kazakhstan_and_kyrgyzstan() {
    let app = TestApp::spawn(Content::Sample).await.unwrap();
    let data = app
        .query(
            r#"{ editions { year status previous { year } }
                 edition { year }
                 countries { totalCount nodes { iso3 } }
                 kaz: country(iso3: "kaz") { name continent region
                   scores(pillar: CRIMINAL_ACTORS) { indicator { slug } value delta } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        data["editions"],
        json!([
            { "year": 2021, "status": "PUBLISHED", "previous": null },
            { "year": 2023, "status": "PUBLISHED", "previous": { "year": 2021 } }
        ])
    );
    assert_eq!(data["edition"]["year"], 2023, "the default edition is the latest published");
    assert_eq!(
        data["countries"],
        json!({ "totalCount": 2, "nodes": [{ "iso3": "KAZ" }, { "iso3": "KGZ" }] })
    );
    let kaz = &data["kaz"];
    assert_eq!(
        (kaz["name"].as_str(), kaz["continent"].as_str()),
        (Some("Kazakhstan"), Some("ASIA"))
    );
    assert_eq!(kaz["region"], "Central Asia and the Caucasus");
    let actors = kaz["scores"].as_array().unwrap();
    assert_eq!(actors.len(), 6, "the composite and its five actor types");
    assert_eq!(
        actors[0],
        json!({ "indicator": { "slug": "criminal-actors" }, "value": 4.6, "delta": 0.23 })
    );
    assert_eq!(
        actors[5],
        json!({ "indicator": { "slug": "private-sector-actors" }, "value": 4.0, "delta": null })
    );
}

#[tokio::test]
async fn indicators_come_in_tree_order_with_each_editions_set() {
    let app = TestApp::spawn(Content::Sample).await.unwrap();
    let data = app
        .query(
            r#"{ all: indicators { slug }
                 i21: indicators(edition: 2021) { slug }
                 markets: indicator(slug: "criminal-markets") { isComposite pillar parent { slug } children { slug } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(data["all"].as_array().unwrap().len(), 36);
    assert_eq!(data["i21"].as_array().unwrap().len(), 30);
    assert_eq!(data["all"][0]["slug"], "criminality");
    assert_eq!(data["markets"]["parent"]["slug"], "criminality");
    assert_eq!(data["markets"]["pillar"], "CRIMINAL_MARKETS");
    assert_eq!(data["markets"]["children"].as_array().unwrap().len(), 15);
}

#[tokio::test]
async fn unknown_names_get_errors_that_name_them() {
    let app = TestApp::spawn(Content::Sample).await.unwrap();
    let err = app
        .query_error(
            r#"{ country(iso3: "KAZ") { score(indicator: "synthetic-drugs") { value } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(err["extensions"]["code"], "BAD_USER_INPUT");
    assert_eq!(err["extensions"]["value"], "synthetic-drugs");
    assert!(err["message"].as_str().unwrap().contains("synthetic-drug-trade"), "{err}");
    let err = app.query_error("{ countries(edition: 2019) { totalCount } }", json!({})).await;
    assert_eq!(err["extensions"]["code"], "BAD_USER_INPUT");
    assert!(err["message"].as_str().unwrap().contains("2021, 2023"), "{err}");
    let err = app.query_error(r#"{ country(iso3: "KZ") { name } }"#, json!({})).await;
    assert_eq!(err["extensions"]["field"], "iso3");
    let err = app.query_error(r#"{ country(iso3: "KZA") { name } }"#, json!({})).await;
    assert_eq!(
        (err["extensions"]["code"].as_str(), err["extensions"]["value"].as_str()),
        (Some("BAD_USER_INPUT"), Some("KZA"))
    );
    assert!(err["message"].as_str().unwrap().contains("\"KAZ\""), "{err}");
    let err = app.query_error(r#"{ country(iso3: "Kyrgyzstan") { name } }"#, json!({})).await;
    assert!(err["message"].as_str().unwrap().contains("did you mean \"KGZ\""), "{err}");
}

#[tokio::test]
async fn a_wrong_token_is_refused_and_not_served_as_anonymous() {
    let app = TestApp::spawn(Content::Sample).await.unwrap();
    let body = app.graphql("{ editions { year } }", json!({}), Some("not-the-token")).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    assert!(body["data"].is_null());
}

#[tokio::test]
async fn health_probes_and_graphiql_answer() {
    let app = TestApp::spawn(Content::Empty).await.unwrap();
    assert_eq!(app.get("/healthz").await.status(), 200);
    assert_eq!(app.get("/readyz").await.status(), 200);
    let graphiql = app.get("/graphql").await;
    assert_eq!(graphiql.status(), 200);
    assert!(graphiql.text().await.unwrap().contains("graphiql"));
    let over_get = app.get("/graphql?query=%7B%20editions%20%7B%20year%20%7D%20%7D").await;
    assert_eq!(
        over_get.json::<serde_json::Value>().await.unwrap(),
        json!({ "data": { "editions": [] } })
    );
}

#[tokio::test]
async fn an_oversized_request_body_is_refused() {
    let app = TestApp::spawn(Content::Empty).await.unwrap();
    let padding = " ".repeat(ocindex::http::MAX_BODY_BYTES + 1);
    let body = format!(r#"{{"query":"{{ editions {{ year }} }}{padding}"}}"#);
    let response = reqwest::Client::new()
        .post(format!("{}/graphql", app.address))
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
}

/// The database constrains every enumerated column; should a stored value escape its
/// constraint anyway, reading it is an INTERNAL error with an id to find it in the log, the
/// same for every column, never a guess or a null.
#[tokio::test]
async fn a_stored_value_outside_its_enum_is_an_internal_error_with_an_id() {
    let app = TestApp::spawn(Content::Sample).await.unwrap();
    for sql in [
        "ALTER TABLE country_editions DROP CONSTRAINT country_editions_continent_check",
        "UPDATE country_editions SET continent = 'ATLANTIS'",
        "ALTER TABLE indicators DROP CONSTRAINT indicators_pillar_check",
        "UPDATE indicators SET pillar = 'WHIMSY' WHERE slug = 'criminality'",
    ] {
        app.db.execute_unprepared(sql).await.expect(sql);
    }
    for query in [
        r#"{ country(iso3: "KAZ") { continent } }"#,
        r#"{ indicator(slug: "criminality") { pillar } }"#,
    ] {
        let error = app.query_error(query, json!({})).await;
        assert_eq!(error["extensions"]["code"], "INTERNAL", "{query}: {error}");
        assert_eq!(error["message"], "internal error");
        let id = error["extensions"]["errorId"].as_str().unwrap_or_default();
        assert!(!id.is_empty() && id.bytes().all(|b| b.is_ascii_hexdigit()), "{error}");
    }
}
