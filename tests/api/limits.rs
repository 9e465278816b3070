//! Every request is measured before it runs: one anonymous request cannot make the server
//! build an answer of millions of objects (issue 12, item 1).
use ocindex::graphql::limits::STANDARD_INTROSPECTION;
use ocindex_tests::{Content, TestApp};
use serde_json::{json, Value};

/// `{ country(iso3: "KAZ") { scores { country { scores … { value } } } } }`, `levels` lists of
/// scores deep.
fn scores_of_scores(levels: usize) -> String {
    let mut query = String::from(r#"{ country(iso3: "KAZ") { "#);
    for _ in 1..levels {
        query.push_str("scores { country { ");
    }
    query.push_str("scores { value }");
    query.push_str(&" } }".repeat(levels - 1));
    query.push_str(" } }");
    query
}

async fn post(app: &TestApp, body: Value) -> Value {
    let response = reqwest::Client::new()
        .post(format!("{}/graphql", app.address))
        .json(&body)
        .send()
        .await
        .expect("the server answers");
    response.json().await.expect("a JSON body")
}

#[tokio::test]
async fn nested_unpaged_lists_are_refused_before_they_run() {
    let app = TestApp::spawn(Content::Sample).await.unwrap();
    // Two levels are an ordinary question: every score of every country KAZ's scores name.
    let data = app.query(&scores_of_scores(2), json!({})).await;
    let scores = data["country"]["scores"].as_array().unwrap();
    assert_eq!(scores.len(), 36);
    assert_eq!(scores[0]["country"]["scores"].as_array().unwrap().len(), 36);
    // Five levels asked for 36^5 = 60 million scores (the server grew to 6 GiB and died).
    let before = app.statements.load(std::sync::atomic::Ordering::Relaxed);
    let error = app.query_error(&scores_of_scores(5), json!({})).await;
    assert_eq!(error["extensions"]["code"], "QUERY_TOO_COMPLEX", "{error:#}");
    assert_eq!(error["extensions"]["limit"], "cost");
    assert_eq!(error["extensions"]["max"], 100_000);
    assert!(error["extensions"]["measured"].as_u64().unwrap() > 36u64.pow(5), "{error:#}");
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("cost") && message.contains("100000"), "{message}");
    let after = app.statements.load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(before, after, "a refused request runs no SQL");
    // and the server is still there
    let data = app.query(r#"{ country(iso3: "KAZ") { name } }"#, json!({})).await;
    assert_eq!(data["country"]["name"], "Kazakhstan");
}

#[tokio::test]
async fn aliases_count_each_time() {
    let app = TestApp::spawn(Content::Sample).await.unwrap();
    // Two levels cost 1 + 36 × (score 1 + country 1 + 36 × (score 1 + value 1)) = 2,665;
    // forty aliases of it cost 106,600, over the limit of 100,000.
    let two = scores_of_scores(2);
    let inner = &two[1..two.len() - 1];
    let aliased: String =
        (0..40).map(|i| format!("a{i}: {}", inner.trim())).collect::<Vec<_>>().join("\n");
    let error = app.query_error(&format!("{{ {aliased} }}"), json!({})).await;
    assert_eq!(error["extensions"]["code"], "QUERY_TOO_COMPLEX", "{error:#}");
    assert_eq!(error["extensions"]["measured"], 40 * 2_665);
}

#[tokio::test]
async fn a_batch_is_measured_as_one_request() {
    let app = TestApp::spawn(Content::Sample).await.unwrap();
    // 1 + 200 × (1 + 36 × 5) = 36,201: one passes, three together do not.
    let query = "{ countries { nodes { scores { value rank indicator { slug } } } } }";
    let one = post(&app, json!([{ "query": query }])).await;
    assert!(one[0].get("errors").is_none(), "{one:#}");
    assert_eq!(one[0]["data"]["countries"]["nodes"].as_array().unwrap().len(), 2);
    let two = post(&app, json!([{ "query": query }, { "query": query }])).await;
    assert!(two[1].get("errors").is_none(), "{two:#}");
    let three =
        post(&app, json!([{ "query": query }, { "query": query }, { "query": query }])).await;
    assert_eq!(three.as_array().unwrap().len(), 3);
    for answer in three.as_array().unwrap() {
        let error = &answer["errors"][0];
        assert_eq!(error["extensions"]["code"], "QUERY_TOO_COMPLEX", "{three:#}");
        assert_eq!(error["extensions"]["measured"], 3 * 36_201);
    }
}

#[tokio::test]
async fn the_standard_introspection_query_passes_and_deeper_introspection_does_not() {
    let app = TestApp::spawn(Content::Sample).await.unwrap();
    let data = app.query(STANDARD_INTROSPECTION, json!({})).await;
    let types = data["__schema"]["types"].as_array().unwrap();
    let country = types.iter().find(|t| t["name"] == "Country").expect("Country is described");
    assert!(country["fields"].as_array().unwrap().iter().any(|f| f["name"] == "scores"));
    // Fifteen levels deep: the type of an argument of a field, through nine wrappers.
    assert_eq!(data["__schema"]["queryType"]["name"], "Query");
    // A field's type's fields' types' fields … is refused, as is introspection 22 deep.
    let mut nested = String::from("{ __schema { types { ");
    nested.push_str(&"fields { type { ".repeat(4));
    nested.push_str("name");
    nested.push_str(&" } }".repeat(4));
    nested.push_str(" } } }");
    let error = app.query_error(&nested, json!({})).await;
    assert_eq!(error["extensions"]["code"], "QUERY_TOO_COMPLEX", "{error:#}");
    assert_eq!(error["extensions"]["limit"], "introspectionCost");
    let deep = format!(
        "{{ __schema {{ types {{ {}name{} }} }} }}",
        "ofType { ".repeat(19),
        " }".repeat(19)
    );
    let error = app.query_error(&deep, json!({})).await;
    assert_eq!(error["extensions"]["limit"], "introspectionDepth", "{error:#}");
    assert_eq!(error["extensions"]["measured"], 22);
}

#[tokio::test]
async fn depth_is_limited_and_the_limits_are_settings() {
    let app = TestApp::spawn_with(Content::Sample, |settings| {
        settings.max_depth = 3;
        settings.max_cost = 100;
    })
    .await
    .unwrap();
    // country › scores › indicator › slug: 4 levels
    let query = r#"{ country(iso3: "KAZ") { scores { indicator { slug } } } }"#;
    let error = app.query_error(query, json!({})).await;
    assert_eq!(error["extensions"]["code"], "QUERY_TOO_COMPLEX", "{error:#}");
    assert_eq!(
        (&error["extensions"]["limit"], &error["extensions"]["measured"]),
        (&json!("depth"), &json!(4))
    );
    // 1 + 36 × 2 = 73 passes; 2 × 73 does not
    app.query(r#"{ country(iso3: "KAZ") { scores { value } } }"#, json!({})).await;
    let error = app
        .query_error(r#"{ a: country(iso3: "KAZ") { scores { value } } b: country(iso3: "KGZ") { scores { value } } }"#, json!({}))
        .await;
    assert_eq!(
        (&error["extensions"]["limit"], &error["extensions"]["measured"]),
        (&json!("cost"), &json!(146))
    );
}
