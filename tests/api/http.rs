//! GraphQL over HTTP as browsers and standard clients speak it: CORS preflights, the answer
//! types and status codes of the graphql-over-http spec, mutations only over POST, bounded
//! batches, the SDL at /schema.graphql and introspection that operators can turn off.
use ocindex_tests::{Content, TestApp, ADMIN_TOKEN};
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};

const PAGE_ORIGIN: &str = "http://localhost:3000";

async fn editions(app: &TestApp) -> usize {
    let data = app.ok(Some(ADMIN_TOKEN), "{ editions { year } }", json!({})).await;
    data["editions"].as_array().unwrap().len()
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

#[tokio::test]
async fn a_page_on_another_origin_passes_the_preflight_and_reads_the_answer() {
    let app = TestApp::spawn(Content::Sample).await.unwrap();
    let preflight = app
        .request(Method::OPTIONS, "/graphql")
        .header("Origin", PAGE_ORIGIN)
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "content-type,authorization,apollo-require-preflight",
        )
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "preflight answered {}", preflight.status());
    let headers = preflight.headers();
    assert_eq!(header(headers, "access-control-allow-origin"), "*");
    let allowed = header(headers, "access-control-allow-headers").to_ascii_lowercase();
    for needed in ["content-type", "authorization", "apollo-require-preflight"] {
        assert!(allowed.contains(needed), "{needed} allowed: {allowed}");
    }
    assert!(header(headers, "access-control-allow-methods").contains("POST"));
    assert!(header(headers, "access-control-max-age").parse::<u32>().unwrap() >= 600);
    assert!(headers.get("access-control-allow-credentials").is_none(), "tokens, not cookies");

    let answer = app
        .request(Method::POST, "/graphql")
        .header("Origin", PAGE_ORIGIN)
        .json(&json!({ "query": r#"{ country(iso3: "KAZ") { name } }"# }))
        .send()
        .await
        .unwrap();
    assert_eq!(header(answer.headers(), "access-control-allow-origin"), "*");
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["data"]["country"]["name"], "Kazakhstan");
}

#[tokio::test]
async fn only_the_listed_origins_may_call_when_a_list_is_set() {
    let app = TestApp::spawn_with(Content::Sample, |s| {
        s.http.cors_origins = vec!["https://ocindex.net".into()];
    })
    .await
    .unwrap();
    let preflight = |origin: &'static str| {
        app.request(Method::OPTIONS, "/graphql")
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .send()
    };
    let listed = preflight("https://ocindex.net").await.unwrap();
    assert_eq!(header(listed.headers(), "access-control-allow-origin"), "https://ocindex.net");
    let other = preflight("https://evil.example").await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn get_never_runs_a_mutation_even_for_an_admin() {
    let app = TestApp::spawn(Content::Sample).await.unwrap();
    let before = editions(&app).await;
    let mutation = r#"mutation { createEdition(input: { year: 2025, title: "T", indicatorsFrom: 2023 }) { year } }"#;
    let answer = app
        .request(Method::GET, "/graphql")
        .query(&[("query", mutation)])
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(header(answer.headers(), "allow"), "POST");
    let body: Value = answer.json().await.unwrap();
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("POST"), "{body}");
    // a named mutation picked among several operations is refused too
    let named = format!(
        "query Q {{ editions {{ year }} }} {}",
        mutation.replacen("mutation", "mutation M", 1)
    );
    let answer = app
        .request(Method::GET, "/graphql")
        .query(&[("query", named.as_str()), ("operationName", "M")])
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(editions(&app).await, before, "nothing was created");
    // while a query over GET runs
    let answer = app.get("/graphql?query=%7B%20editions%20%7B%20year%20%7D%20%7D").await;
    assert_eq!(answer.status(), StatusCode::OK);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["data"]["editions"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_post_without_a_json_content_type_gets_a_clear_415() {
    let app = TestApp::spawn(Content::Sample).await.unwrap();
    let body = r#"{"query": "{ editions { year } }"}"#;
    for content_type in [None, Some("text/plain"), Some("application/x-www-form-urlencoded")] {
        let mut request = app.request(Method::POST, "/graphql").body(body);
        if let Some(content_type) = content_type {
            request = request.header("Content-Type", content_type);
        }
        let answer = request.send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "{content_type:?}");
        let body: Value = answer.json().await.unwrap();
        let error = &body["errors"][0];
        assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT");
        assert_eq!(error["extensions"]["field"], "Content-Type");
        assert!(error["message"].as_str().unwrap().contains("application/json"), "{error}");
    }
    // JSON with a charset is JSON
    let answer = app
        .request(Method::POST, "/graphql")
        .header("Content-Type", "application/json; charset=utf-8")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    // a body that is not JSON is a 400
    let answer = app
        .request(Method::POST, "/graphql")
        .header("Content-Type", "application/json")
        .body("{ editions { year } }")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
}

async fn post_accepting(app: &TestApp, accept: &str, query: &str) -> (StatusCode, String, Value) {
    let answer = app
        .request(Method::POST, "/graphql")
        .header("Accept", accept)
        .json(&json!({ "query": query }))
        .send()
        .await
        .unwrap();
    let content_type = header(answer.headers(), "content-type").to_owned();
    (answer.status(), content_type, answer.json().await.unwrap())
}

#[tokio::test]
async fn graphql_response_json_gets_its_type_and_400_for_documents_that_cannot_run() {
    let app = TestApp::spawn(Content::Sample).await.unwrap();
    let gql = "application/graphql-response+json";
    let (status, content_type, body) = post_accepting(&app, gql, "{ editions { year } }").await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with(gql), "{content_type}");
    assert_eq!(body["data"]["editions"].as_array().unwrap().len(), 2);

    for broken in ["{ editions { year }", "{ editions { colour } }"] {
        let (status, content_type, body) = post_accepting(&app, gql, broken).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{broken}: {body}");
        assert!(content_type.starts_with(gql));
        assert!(body.get("data").is_none(), "no data entry when nothing ran: {body}");
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
        // the legacy type keeps 200, as the spec asks
        let (status, content_type, _) = post_accepting(&app, "application/json", broken).await;
        assert_eq!(status, StatusCode::OK);
        assert!(content_type.starts_with("application/json"));
    }
    // a field error is not a request error: the data entry is there, status 200
    let (status, _, body) =
        post_accepting(&app, gql, r#"{ editions { year } edition(year: 1999) { year } }"#).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["editions"].as_array().unwrap().len(), 2);
    // a client that takes neither type is told so
    let (status, _, _) = post_accepting(&app, "text/html", "{ editions { year } }").await;
    assert_eq!(status, StatusCode::NOT_ACCEPTABLE);
}

#[tokio::test]
async fn batches_hold_at_most_the_configured_number_of_operations() {
    let app = TestApp::spawn_with(Content::Sample, |s| s.http.max_batch = 3).await.unwrap();
    let batch = |n: usize| vec![json!({ "query": "{ editions { year } }" }); n];
    let answer = app.request(Method::POST, "/graphql").json(&batch(3)).send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body.as_array().unwrap().len(), 3);
    let answer = app.request(Method::POST, "/graphql").json(&batch(4)).send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["field"], "batch");
    assert_eq!(body["errors"][0]["extensions"]["value"], "4");
}

#[tokio::test]
async fn the_sdl_is_served_and_the_roots_have_their_conventional_names() {
    let app = TestApp::spawn(Content::Sample).await.unwrap();
    let answer = app.get("/schema.graphql").await;
    assert_eq!(answer.status(), StatusCode::OK);
    let served = answer.text().await.unwrap();
    let committed = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema.graphql"),
    )
    .unwrap();
    assert_eq!(served, committed);
    assert!(served.contains("\ntype Query {"), "root named Query");
    assert!(served.contains("\ntype Mutation {"), "root named Mutation");
    let data =
        app.query("{ __schema { queryType { name } mutationType { name } } }", json!({})).await;
    assert_eq!(data["__schema"]["queryType"]["name"], "Query");
    assert_eq!(data["__schema"]["mutationType"]["name"], "Mutation");
}

#[tokio::test]
async fn operators_can_turn_introspection_off() {
    let app = TestApp::spawn_with(Content::Sample, |s| s.http.introspection = false).await.unwrap();
    for query in [
        "{ __schema { queryType { name } } }",
        "{ ...F } fragment F on Query { __type(name: \"Country\") { name } }",
    ] {
        let error = app.query_error(query, json!({})).await;
        assert!(error["message"].as_str().unwrap().contains("introspection"), "refused: {error}");
    }
    assert_eq!(app.get("/schema.graphql").await.status(), StatusCode::NOT_FOUND);
    // while queries still run
    let data = app.query(r#"{ country(iso3: "KAZ") { name } }"#, json!({})).await;
    assert_eq!(data["country"]["name"], "Kazakhstan");
}

#[tokio::test]
async fn a_browser_asking_for_graphql_without_parameters_gets_the_ide() {
    let app = TestApp::spawn(Content::Sample).await.unwrap();
    let answer = app.get("/graphql").await;
    assert_eq!(answer.status(), StatusCode::OK);
    assert!(header(answer.headers(), "content-type").starts_with("text/html"));
    let _ = HeaderValue::from_static("");
}

async fn get_with(app: &TestApp, query: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = app.request(Method::GET, "/graphql").query(&[("query", query)]);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

const PROFILE: &str = r#"{ country(iso3: "KAZ") { name scores(edition: 2023) { indicator { slug name } value delta rank } } }"#;

#[tokio::test]
async fn public_answers_are_cacheable_and_revalidate_with_304_until_the_data_changes() {
    let app = TestApp::spawn(Content::Sample).await.unwrap();
    let first = get_with(&app, PROFILE, &[]).await;
    assert_eq!(first.status(), StatusCode::OK);
    let headers = first.headers().clone();
    let etag = header(&headers, "etag").to_owned();
    assert!(etag.starts_with('"') && etag.len() == 34, "a strong tag: {etag}");
    assert_eq!(header(&headers, "cache-control"), "public, max-age=60, stale-while-revalidate=600");
    let vary = header(&headers, "vary").to_ascii_lowercase();
    for varies in ["accept", "accept-encoding", "authorization"] {
        assert!(vary.contains(varies), "Vary names {varies}: {vary}");
    }
    let body = first.bytes().await.unwrap();
    // the same answer again, from the cache, has the same tag
    let again = get_with(&app, PROFILE, &[]).await;
    assert_eq!(header(again.headers(), "etag"), etag);
    assert_eq!(again.bytes().await.unwrap(), body);
    // a cache revalidating gets 304 and no body
    let revalidated = get_with(&app, PROFILE, &[("If-None-Match", &etag)]).await;
    assert_eq!(revalidated.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(header(revalidated.headers(), "etag"), etag);
    assert!(revalidated.bytes().await.unwrap().is_empty());

    // another process renames the country: the tag changes and the old one no longer matches
    app.db
        .execute_unprepared("UPDATE countries SET name = 'Qazaqstan' WHERE iso3 = 'KAZ'")
        .await
        .unwrap();
    let mut changed = None;
    for _ in 0..50 {
        let answer = get_with(&app, PROFILE, &[("If-None-Match", &etag)]).await;
        if answer.status() == StatusCode::OK {
            changed = Some(answer);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let changed = changed.expect("the answer changes within 5 s of the write");
    assert_ne!(header(changed.headers(), "etag"), etag);
    let body: Value = changed.json().await.unwrap();
    assert_eq!(body["data"]["country"]["name"], "Qazaqstan");
}

#[tokio::test]
async fn authenticated_and_failed_answers_are_never_kept_by_shared_caches() {
    let app = TestApp::spawn(Content::Sample).await.unwrap();
    let private =
        get_with(&app, PROFILE, &[("Authorization", &format!("Bearer {ADMIN_TOKEN}"))]).await;
    assert_eq!(private.status(), StatusCode::OK);
    assert_eq!(header(private.headers(), "cache-control"), "private, no-store");
    assert!(private.headers().get("etag").is_none());
    let failed = get_with(&app, r#"{ country(iso3: "XXX") { name } }"#, &[]).await;
    assert_eq!(header(failed.headers(), "cache-control"), "no-store");
}

fn decode(encoding: &str, bytes: &[u8]) -> Vec<u8> {
    use std::io::Read as _;
    let mut plain = Vec::new();
    match encoding {
        "gzip" => flate2::read::GzDecoder::new(bytes).read_to_end(&mut plain).unwrap(),
        "br" => brotli::Decompressor::new(bytes, 4096).read_to_end(&mut plain).unwrap(),
        "zstd" => zstd::stream::read::Decoder::new(bytes).unwrap().read_to_end(&mut plain).unwrap(),
        other => panic!("unexpected encoding {other}"),
    };
    plain
}

#[tokio::test]
async fn answers_over_a_kilobyte_come_compressed_as_negotiated_public_or_not() {
    let app = TestApp::spawn(Content::Sample).await.unwrap();
    let plain = get_with(&app, PROFILE, &[]).await.bytes().await.unwrap();
    assert!(plain.len() > 1024, "the profile is {} bytes", plain.len());
    let bearer = format!("Bearer {ADMIN_TOKEN}");
    for token in [None, Some(bearer.as_str())] {
        for encoding in ["gzip", "br", "zstd"] {
            // twice: the second public one comes from the cache, compressed once before
            for _ in 0..2 {
                let mut headers = vec![("Accept-Encoding", encoding)];
                if let Some(token) = token {
                    headers.push(("Authorization", token));
                }
                let answer = get_with(&app, PROFILE, &headers).await;
                assert_eq!(header(answer.headers(), "content-encoding"), encoding);
                let bytes = answer.bytes().await.unwrap();
                assert!(bytes.len() * 3 < plain.len(), "{encoding}: {} bytes", bytes.len());
                assert_eq!(decode(encoding, &bytes), plain, "{encoding}, token {token:?}");
            }
        }
    }
    // small answers are sent as they are
    let small = get_with(&app, "{ editions { year } }", &[("Accept-Encoding", "gzip")]).await;
    assert!(small.headers().get("content-encoding").is_none());
}

fn sha256_hex(text: &str) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn apollo_persisted_queries_work_over_post_and_get_as_the_link_expects() {
    let app = TestApp::spawn(Content::Sample).await.unwrap();
    let query = r#"{ country(iso3: "KAZ") { name } }"#;
    let extensions = json!({ "persistedQuery": { "version": 1, "sha256Hash": sha256_hex(query) } });
    // 1. the link first sends the hash alone, over GET: unknown yet
    let hashed_get = || {
        app.request(Method::GET, "/graphql")
            .query(&[("extensions", extensions.to_string().as_str())])
            .send()
    };
    let answer = hashed_get().await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(header(answer.headers(), "cache-control"), "no-store");
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["errors"][0]["message"], "PersistedQueryNotFound");
    assert_eq!(body["errors"][0]["extensions"]["code"], "PERSISTED_QUERY_NOT_FOUND");
    // 2. then the text with the hash, over POST
    let answer = app
        .request(Method::POST, "/graphql")
        .json(&json!({ "query": query, "extensions": extensions }))
        .send()
        .await
        .unwrap();
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["data"]["country"]["name"], "Kazakhstan");
    // 3. from now on the hash alone works, over GET (cacheable) and POST
    let answer = hashed_get().await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    assert!(header(answer.headers(), "cache-control").starts_with("public"));
    assert!(answer.headers().get("etag").is_some());
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["data"]["country"]["name"], "Kazakhstan");
    let answer = app
        .request(Method::POST, "/graphql")
        .json(&json!({ "extensions": extensions }))
        .send()
        .await
        .unwrap();
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["data"]["country"]["name"], "Kazakhstan");
    // a text that does not hash to the hash sent is refused, and not kept
    let wrong = json!({ "query": "{ editions { year } }", "extensions": extensions });
    let answer = app.request(Method::POST, "/graphql").json(&wrong).send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
}

#[tokio::test]
async fn a_persisted_mutation_is_refused_over_get() {
    let app = TestApp::spawn(Content::Sample).await.unwrap();
    let mutation = r#"mutation { createEdition(input: { year: 2025, title: "T", indicatorsFrom: 2023 }) { year } }"#;
    let extensions =
        json!({ "persistedQuery": { "version": 1, "sha256Hash": sha256_hex(mutation) } });
    // registered by a POST that fails (no token): the text is kept, nothing is written
    app.request(Method::POST, "/graphql")
        .json(&json!({ "query": mutation, "extensions": extensions }))
        .send()
        .await
        .unwrap();
    let answer = app
        .request(Method::GET, "/graphql")
        .query(&[("extensions", extensions.to_string().as_str())])
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(editions(&app).await, 2);
}

#[tokio::test]
async fn a_body_without_a_document_is_a_bad_request_that_says_so() {
    let app = TestApp::spawn(Content::Empty).await.unwrap();
    // a misspelt `query` key, as the graphql-http audit sends it, then an empty document
    for body in [json!({ "qeury": "{ __typename }" }), json!({ "query": "  " })] {
        let answer = app
            .request(Method::POST, "/graphql")
            .header("content-type", "application/json")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST, "{body}");
        let error = &answer.json::<Value>().await.unwrap()["errors"][0];
        assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT");
        assert_eq!(error["extensions"]["field"], "query");
        assert!(error["message"].as_str().unwrap().contains("no GraphQL document"), "{error}");
    }
}
