//! Operators' view of the server: metrics, request ids, the JSON log, trace export, and how
//! it starts and stops.
use crate::process::ServerProcess;
use ocindex::config::Settings;
use ocindex::startup::Application;
use ocindex_tests::{Content, TestApp, TestDatabase};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{json, Value};
use std::time::Duration;

const PROFILE: &str =
    "query MetricsProbe { country(iso3: \"KAZ\") { name scores(edition: 2023) { value } } }";

/// The value of the first sample of `metric` whose labels include every one of `labels`.
fn sample(exposition: &str, metric: &str, labels: &[&str]) -> Option<f64> {
    exposition.lines().find_map(|line| {
        let rest = line.strip_prefix(metric)?;
        let (series, value) = rest.rsplit_once(' ')?;
        let matches = (series.starts_with('{') || series.is_empty())
            && labels.iter().all(|label| series.contains(label));
        matches.then(|| value.parse().ok())?
    })
}

#[tokio::test]
async fn an_operator_graphs_requests_operations_the_cache_and_the_database() {
    let app = TestApp::spawn(Content::Sample).await.expect("sample");
    // the same public query twice: computed once, then answered from the cache
    for _ in 0..2 {
        app.query(PROFILE, json!({})).await;
    }
    let error =
        app.query_error("query MetricsProbe { country(iso3: \"XXX\") { name } }", json!({}));
    assert_eq!(error.await["extensions"]["code"], "BAD_USER_INPUT");

    // a client names any method it likes; labels must not follow it
    let brew = reqwest::Method::from_bytes(b"BREW").unwrap();
    let refused = app.request(brew, "/graphql").send().await;
    assert_eq!(refused.unwrap().status(), 405);

    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = response.text().await.unwrap();
    let at_least = |metric: &str, labels: &[&str], least: f64| {
        let value = sample(&text, metric, labels)
            .unwrap_or_else(|| panic!("no {metric} {labels:?} in\n{text}"));
        assert!(value >= least, "{metric} {labels:?} = {value}, expected at least {least}");
    };
    let post = ["route=\"/graphql\"", "method=\"POST\"", "status=\"200\""];
    at_least("ocindex_http_requests_total", &post, 3.0);
    at_least("ocindex_http_request_duration_seconds_count", &["route=\"/graphql\""], 3.0);
    at_least("ocindex_http_requests_total", &["method=\"other\"", "status=\"405\""], 1.0);
    assert!(!text.contains("BREW"), "a client's method became a label:\n{text}");
    let ok = ["operation=\"MetricsProbe\"", "outcome=\"ok\""];
    at_least("ocindex_graphql_operations_total", &ok, 2.0);
    let bad = ["operation=\"MetricsProbe\"", "outcome=\"BAD_USER_INPUT\""];
    at_least("ocindex_graphql_operations_total", &bad, 1.0);
    at_least("ocindex_graphql_operation_duration_seconds_count", &["MetricsProbe"], 3.0);
    at_least("ocindex_response_cache_hits_total", &[], 1.0);
    at_least("ocindex_response_cache_misses_total", &[], 2.0);
    at_least("ocindex_response_cache_entries", &[], 0.0);
    at_least("ocindex_db_statements_total", &["database=\"primary\""], 1.0);
    at_least("ocindex_db_statement_duration_seconds_count", &["database=\"primary\""], 1.0);
    at_least("ocindex_db_pool_max_connections", &["database=\"primary\""], 1.0);
    at_least("ocindex_db_pool_connections", &["state=\"idle\""], 0.0);
}

#[tokio::test]
async fn every_answer_carries_a_request_id_taken_or_generated() {
    let app = TestApp::spawn(Content::Sample).await.expect("sample");
    let client = reqwest::Client::new();
    let url = format!("{}/healthz", app.address);

    let given = client.get(&url).header("X-Request-Id", "lb-7f3a.2:9").send().await.unwrap();
    assert_eq!(given.headers()["x-request-id"], "lb-7f3a.2:9");

    let generated = client.get(&url).send().await.unwrap();
    let id = generated.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "a UUID is generated: {id}");

    // an id that would forge or flood the log is replaced
    let forged = client.get(&url).header("X-Request-Id", "x".repeat(300)).send().await.unwrap();
    let replaced = forged.headers()["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(replaced).is_ok(), "replaced by a UUID: {replaced}");

    // unknown paths and GraphQL errors get one too
    let missing = client.get(format!("{}/nowhere", app.address)).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.headers().contains_key("x-request-id"));
}

/// Follows requests through the JSON log of a real `ocindex serve`: one line per request
/// with its id, operation, role, status and duration; an internal error's id in the answer
/// and in the log line that holds the cause; no colour codes and no Postgres notices.
#[tokio::test]
async fn the_json_log_follows_a_request_and_an_internal_error_by_their_ids() {
    follow_requests_through_the_json_log(&[]).await;
}

/// The same log when requests have a `tracing` span (a filter that names spans asks for one;
/// so does an OTLP export), which is not how they are logged otherwise.
#[tokio::test]
async fn the_json_log_is_the_same_when_requests_have_spans() {
    follow_requests_through_the_json_log(&[("RUST_LOG", "info,[request]=info")]).await;
}

async fn follow_requests_through_the_json_log(env: &[(&str, &str)]) {
    let database = TestDatabase::create(Content::Sample).await;
    let server = ServerProcess::start(&database.url(), env);
    let client = reqwest::Client::new();
    let post = |id: &'static str, query: &'static str| {
        client
            .post(format!("{}/graphql", server.address))
            .header("X-Request-Id", id)
            .json(&json!({ "query": query }))
            .send()
    };
    let answer: Value = post("req-profile-1", PROFILE).await.unwrap().json().await.unwrap();
    assert!(answer.get("errors").is_none(), "{answer}");

    // break the database under the server: the next read fails inside Postgres
    let db = Database::connect(database.url()).await.unwrap();
    db.execute_unprepared("ALTER TABLE figures RENAME TO figures_moved").await.unwrap();
    // (another query: the first one's answer is cached, and rightly served from the cache)
    let other = "{ country(iso3: \"KGZ\") { scores(edition: 2023) { value } } }";
    let answer: Value = post("req-broken-2", other).await.unwrap().json().await.unwrap();
    let error = &answer["errors"][0];
    assert_eq!(error["extensions"]["code"], "INTERNAL", "{answer}");
    assert_eq!(error["message"], "internal error", "no internals leak: {answer}");
    let error_id = error["extensions"]["errorId"].as_str().expect("an errorId").to_owned();
    assert!(!answer.to_string().contains("figures"), "the cause stays in the log: {answer}");
    db.execute_unprepared("ALTER TABLE figures_moved RENAME TO figures").await.unwrap();
    db.close().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let log = server.log();
    assert!(log.iter().all(|line| !line.contains('\u{1b}')), "no colour codes in a pipe");
    assert!(
        log.iter().all(|line| !line.to_lowercase().contains("notice")),
        "no Postgres notices: {log:#?}"
    );
    let entries = server.log_entries();
    let of_request = |id: &str| -> Vec<&Value> {
        entries.iter().filter(|e| e["span"]["request_id"] == id).collect()
    };
    let finished = of_request("req-profile-1")
        .into_iter()
        .find(|e| e["fields"]["message"] == "request finished")
        .unwrap_or_else(|| panic!("a line for the request: {entries:#?}"));
    assert_eq!(finished["level"], "INFO");
    assert_eq!(finished["fields"]["status"], 200);
    assert!(finished["fields"]["duration_ms"].as_f64().is_some());
    assert_eq!(finished["span"]["operation"], "MetricsProbe");
    assert_eq!(finished["span"]["role"], "anonymous");
    assert_eq!(finished["span"]["route"], "/graphql");

    let cause = of_request("req-broken-2")
        .into_iter()
        .find(|e| e["fields"]["error_id"] == error_id.as_str())
        .unwrap_or_else(|| panic!("the error {error_id} in the log: {entries:#?}"));
    assert_eq!(cause["level"], "ERROR");
    assert!(cause["fields"]["error"].as_str().unwrap().contains("figures"), "{cause}");
    println!("sample JSON log line: {finished}");
}

/// SIGTERM: the server stops accepting at once, finishes the query in flight, then exits 0.
#[tokio::test]
async fn sigterm_finishes_the_query_in_flight_then_exits() {
    let database = TestDatabase::create(Content::Sample).await;
    let mut server = ServerProcess::start(&database.url(), &[]);
    // hold the editions table so that the next query waits inside the server
    let db = Database::connect(database.url()).await.unwrap();
    db.execute_unprepared("BEGIN; LOCK TABLE editions IN ACCESS EXCLUSIVE MODE").await.unwrap();
    let client = reqwest::Client::new();
    let in_flight = tokio::spawn(
        client
            .post(format!("{}/graphql", server.address))
            .json(&json!({ "query": "{ editions { year } }" }))
            .send(),
    );
    // the query reaches the lock before the signal
    tokio::time::sleep(Duration::from_millis(500)).await;
    server.terminate();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(server.wait(Duration::ZERO).is_none(), "still finishing the request in flight");
    let refused = reqwest::Client::new().get(format!("{}/healthz", server.address)).send().await;
    assert!(refused.is_err(), "no new connection is accepted after SIGTERM");

    db.execute_unprepared("COMMIT").await.unwrap();
    let answer = in_flight.await.unwrap().expect("the request in flight is answered");
    assert_eq!(answer.status(), 200);
    let status = server.wait(Duration::from_secs(20)).expect("the server exits");
    assert!(status.success(), "exit status {status}");
    db.close().await.unwrap();
}

/// A busy port fails at once, before the database is touched: nothing is created.
#[tokio::test]
async fn a_busy_port_fails_before_the_database_is_touched() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let name = format!("ocindex_test_never_{}", uuid::Uuid::new_v4().simple());
    let mut settings = Settings::for_database(format!("{}/{name}", ocindex_tests::SERVER_URL));
    settings.bind = taken.local_addr().unwrap();
    let started = std::time::Instant::now();
    let error = Application::build(settings).await.err().expect("the port is busy");
    assert!(format!("{error:#}").contains("binding"), "{error:#}");
    assert!(started.elapsed() < Duration::from_secs(2));
    let server =
        Database::connect(format!("{}/postgres", ocindex_tests::SERVER_URL)).await.unwrap();
    let exists = server
        .query_one(sea_orm::Statement::from_string(
            server.get_database_backend(),
            format!("SELECT 1 FROM pg_database WHERE datname = '{name}'"),
        ))
        .await
        .unwrap();
    assert!(exists.is_none(), "no database was created");
    server.close().await.unwrap();
}

/// `OCINDEX_METRICS_BIND` moves `/metrics` to a port of its own, off the public one.
#[tokio::test]
async fn metrics_can_live_on_a_port_of_their_own() {
    let database = TestDatabase::create(Content::Sample).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let bind = format!("127.0.0.1:{port}");
    let server = ServerProcess::start(&database.url(), &[("OCINDEX_METRICS_BIND", &bind)]);
    let client = reqwest::Client::new();
    let public = client.get(format!("{}/metrics", server.address)).send().await.unwrap();
    assert_eq!(public.status(), 404);
    let private = client.get(format!("http://{bind}/metrics")).send().await.unwrap();
    assert_eq!(private.status(), 200);
    assert!(private.text().await.unwrap().contains("ocindex_db_pool_max_connections"));
}

/// With `OTEL_EXPORTER_OTLP_ENDPOINT`, request spans reach an OTLP/HTTP collector: here a
/// receiver the test runs on a loopback port.
#[tokio::test]
async fn request_spans_are_exported_to_an_otlp_collector() {
    let collector = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", collector.local_addr().unwrap());
    let received = tokio::spawn(async move {
        // one export is enough; bounded in time by the caller
        let (mut stream, _) = collector.accept().await.unwrap();
        read_http_request(&mut stream).await
    });
    let database = TestDatabase::create(Content::Sample).await;
    let mut server =
        ServerProcess::start(&database.url(), &[("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint)]);
    let client = reqwest::Client::new();
    let answer = client
        .post(format!("{}/graphql", server.address))
        .header("X-Request-Id", "traced-request-1")
        .json(&json!({ "query": PROFILE }))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    server.terminate(); // shutting down flushes the batch of spans
    let (head, body) = tokio::time::timeout(Duration::from_secs(30), received)
        .await
        .expect("spans arrive within 30 s")
        .unwrap();
    assert!(head.starts_with("POST /v1/traces "), "{head}");
    assert!(head.to_lowercase().contains("content-type: application/x-protobuf"), "{head}");
    let contains = |needle: &str| body.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(contains("ocindex"), "the service name is exported");
    assert!(contains("request"), "the request span is exported");
    assert!(contains("traced-request-1"), "with its request id");
    assert!(contains("MetricsProbe"), "and its operation");
    assert!(server.wait(Duration::from_secs(20)).is_some_and(|s| s.success()));
}

/// The head and body of one HTTP/1.1 request (with `Content-Length`), answered 200.
async fn read_http_request(stream: &mut tokio::net::TcpStream) -> (String, Vec<u8>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "the request ended early");
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        assert!(buffer.len() < 64 * 1024, "a head of bounded size");
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let length: usize = head
        .lines()
        .find_map(|l| l.to_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned()))
        .and_then(|v| v.parse().ok())
        .expect("a Content-Length");
    assert!(length < 16 * 1024 * 1024);
    while buffer.len() < head_end + length {
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "the body ended early");
        buffer.extend_from_slice(&chunk[..n]);
    }
    stream
        .write_all(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n",
        )
        .await
        .unwrap();
    (head, buffer[head_end..head_end + length].to_vec())
}
