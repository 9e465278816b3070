//! Faults between the server and Postgres: a cut network never leaves the server serving
//! answers older than a write it missed, and a statement whose client gave up stops in
//! Postgres instead of running on.
use crate::process::ServerProcess;
use ocindex_tests::proxy::Proxy;
use ocindex_tests::{Content, TestApp, TestDatabase};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const EDITIONS: &str = "{ editions { year } }";

/// The years a server answers, or `None` while it answers with an error.
async fn years(client: &reqwest::Client, address: &str) -> Option<Vec<i64>> {
    let answer = client
        .post(format!("{address}/graphql"))
        .json(&json!({ "query": EDITIONS }))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .ok()?;
    let body: Value = answer.json().await.ok()?;
    let editions = body["data"]["editions"].as_array()?;
    Some(editions.iter().filter_map(|e| e["year"].as_i64()).collect())
}

async fn readiness(client: &reqwest::Client, address: &str) -> (u16, Value) {
    let answer = client
        .get(format!("{address}/readyz"))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .expect("readyz answers");
    let status = answer.status().as_u16();
    (status, answer.json().await.expect("readyz answers JSON"))
}

/// Polls until `done` holds for the readiness answer, at most `limit`.
async fn wait_for_readiness(
    client: &reqwest::Client,
    address: &str,
    limit: Duration,
    done: impl Fn(u16, &Value) -> bool,
) -> (u16, Value) {
    let started = Instant::now();
    loop {
        let (status, body) = readiness(client, address).await;
        if done(status, &body) {
            return (status, body);
        }
        assert!(started.elapsed() < limit, "still {status} {body} after {limit:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The server's connection to Postgres is cut while another writer changes the data: the
/// server says it is not ready while it cannot hear changes, logs the gap once it hears them
/// again, and then answers the data as written, not the answer it had cached before the cut.
// the proxy runs on the test's runtime while the test thread waits for the server to start
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_cut_connection_the_answers_are_fresh() {
    let database = TestDatabase::create(Content::Sample).await;
    let proxy = Proxy::start("127.0.0.1:5432".parse().unwrap()).await;
    let server = ServerProcess::start(&proxy.url(&database.url()), &[]);
    let client = reqwest::Client::new();
    // cached: the second answer comes from the server's answer cache
    assert_eq!(years(&client, &server.address).await, Some(vec![2021, 2023]));
    assert_eq!(years(&client, &server.address).await, Some(vec![2021, 2023]));
    let (status, body) = readiness(&client, &server.address).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["changes"]["listening"], true, "{body}");

    proxy.cut();
    // not ready while the change notifications cannot be heard
    let (status, body) =
        wait_for_readiness(&client, &server.address, Duration::from_secs(5), |status, body| {
            status == 503 && body["changes"]["listening"] == false
        })
        .await;
    assert_eq!(body["ready"], false, "{status} {body}");

    // another writer takes 2023 back to a draft while this server hears nothing
    let writer = Database::connect(database.url()).await.unwrap();
    writer
        .execute_unprepared(
            "UPDATE editions SET status = 'DRAFT', published_at = NULL WHERE year = 2023",
        )
        .await
        .unwrap();
    writer.close().await.unwrap();

    proxy.restore();
    wait_for_readiness(&client, &server.address, Duration::from_secs(20), |status, body| {
        status == 200 && body["changes"]["listening"] == true
    })
    .await;
    // connections of the pool cut meanwhile may fail one statement each: the first answers
    // may be errors, never the stale years
    let started = Instant::now();
    let fresh = loop {
        match years(&client, &server.address).await {
            Some(years) => break years,
            None => assert!(started.elapsed() < Duration::from_secs(10), "no answer"),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(fresh, [2021], "the answer cached before the cut is not served");
    assert_eq!(years(&client, &server.address).await, Some(vec![2021]));

    let entries = server.log_entries();
    let gap = entries
        .iter()
        .find(|e| {
            e["fields"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("listening again to the change notifications"))
        })
        .unwrap_or_else(|| panic!("the gap is logged: {entries:#?}"));
    assert_eq!(gap["level"], "WARN");
    assert!(gap["fields"]["gap_ms"].as_u64().is_some(), "{gap}");
}

/// Whether no statement containing `marker` runs in this test's database any more, within a
/// second (a backend reports itself idle a moment after its client got the error).
async fn stopped(db: &DatabaseConnection, marker: &str) -> bool {
    let started = Instant::now();
    loop {
        let row = db
            .query_one(Statement::from_string(
                db.get_database_backend(),
                format!(
                    "SELECT count(*) AS n FROM pg_stat_activity
                     WHERE state = 'active' AND query LIKE '%{marker}%'
                       AND pid <> pg_backend_pid() AND datname = current_database()"
                ),
            ))
            .await
            .unwrap()
            .unwrap();
        if row.try_get::<i64>("", "n").unwrap() == 0 {
            return true;
        }
        if started.elapsed() > Duration::from_secs(1) {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every connection of the server's pools carries the statement timeout: a slow statement is
/// stopped by Postgres at the timeout, with an error that says so.
#[tokio::test]
async fn statements_stop_at_the_statement_timeout() {
    let app =
        TestApp::spawn_with(Content::Empty, |s| s.statement_timeout_ms = 300).await.expect("empty");
    let started = Instant::now();
    // more connections than one: every connection of the pool carries it
    let sleeps = (0..4).map(|_| app.db.execute_unprepared("SELECT pg_sleep(20) -- slow-primary"));
    for outcome in futures_util::future::join_all(sleeps).await {
        let error = outcome.expect_err("the statement is stopped").to_string();
        assert!(error.contains("statement timeout"), "{error}");
    }
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    assert!(stopped(&app.db, "slow-primary").await, "Postgres stopped it");

    // a replica's pool too (the primary stands in for one here)
    let replica =
        ocindex::database::connect_replica(&app.database.url(), Some(Duration::from_millis(300)))
            .await
            .unwrap();
    let started = Instant::now();
    let error = replica.execute_unprepared("SELECT pg_sleep(20)").await.unwrap_err();
    assert!(error.to_string().contains("statement timeout"), "{error}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

/// A request stuck behind a lock gets an error at the statement timeout, not a hang, and its
/// statement no longer runs in Postgres.
#[tokio::test]
async fn a_stuck_query_is_answered_with_an_error_and_stops_in_postgres() {
    let app = TestApp::spawn_with(Content::Sample, |s| s.statement_timeout_ms = 500)
        .await
        .expect("sample");
    // one session: the lock and its release must be on the same connection
    let holder = Database::connect(
        sea_orm::ConnectOptions::new(app.database.url()).max_connections(1).to_owned(),
    )
    .await
    .unwrap();
    holder.execute_unprepared("BEGIN; LOCK TABLE editions IN ACCESS EXCLUSIVE MODE").await.unwrap();
    let started = Instant::now();
    let answer = app
        .request(reqwest::Method::POST, "/graphql")
        .json(&json!({ "query": EDITIONS }))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .expect("an answer, not a hang");
    let elapsed = started.elapsed();
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "INTERNAL", "{body}");
    assert!(body["errors"][0]["extensions"]["errorId"].is_string(), "{body}");
    assert!(elapsed < Duration::from_secs(3), "answered after {elapsed:?}");
    // nothing of it waits on the lock any more
    assert!(stopped(&holder, "editions").await, "the statement stopped");
    holder.execute_unprepared("COMMIT").await.unwrap();
    // and the server answers once the lock is gone
    assert_eq!(app.query(EDITIONS, json!({})).await["editions"].as_array().unwrap().len(), 2);
    holder.close().await.unwrap();
}
