//! Several servers on one database: a write through one is seen through every other once it
//! commits, never served stale from another's cache; the container health check probes
//! readiness for real.
use crate::process::ServerProcess;
use ocindex::config::Settings;
use ocindex::startup::Application;
use ocindex_tests::{Content, TestApp, TestDatabase, ADMIN_TOKEN};
use serde_json::json;
use std::process::Command;
use std::time::{Duration, Instant};

const EDITIONS: &str = "{ editions { year } }";

#[tokio::test]
async fn a_write_through_one_server_is_read_fresh_through_another() {
    let one = TestApp::spawn(Content::Sample).await.expect("sample");
    // a second server over the same database, as a fleet behind a load balancer runs it
    let mut settings = Settings::for_database(one.database.url());
    settings.admin_token = Some(ADMIN_TOKEN.into());
    let second = Application::build(settings).await.expect("the second server builds");
    let other = format!("http://127.0.0.1:{}/graphql", second.port());
    tokio::spawn(second.run_until_stopped());
    let client = reqwest::Client::new();
    let read = || async {
        let body: serde_json::Value = client
            .post(&other)
            .json(&json!({ "query": EDITIONS }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body["data"]["editions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["year"].as_i64().unwrap())
            .collect::<Vec<_>>()
    };
    // both servers have the public answer cached
    assert_eq!(read().await, [2021, 2023]);
    assert_eq!(read().await, [2021, 2023]);
    assert_eq!(one.query(EDITIONS, json!({})).await["editions"].as_array().unwrap().len(), 2);

    // an admin takes 2023 back to a draft through the first server
    let written = Instant::now();
    one.ok(Some(ADMIN_TOKEN), "mutation { reopenEdition(year: 2023) { status } }", json!({})).await;
    let committed = written.elapsed();
    let mut polls = 0;
    let delay = loop {
        polls += 1;
        if read().await == [2021] {
            break written.elapsed();
        }
        assert!(written.elapsed() < Duration::from_secs(5), "the other server stays stale");
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    // once fresh, it stays fresh (its cache was emptied, not refilled with the old answer)
    for _ in 0..20 {
        assert_eq!(read().await, [2021]);
    }
    println!(
        "fleet coherence: mutation answered after {:.1} ms; the other server fresh {:.1} ms after the write was sent ({polls} polls)",
        committed.as_secs_f64() * 1000.0,
        delay.as_secs_f64() * 1000.0
    );
}

/// `ocindex healthcheck` (the compose file's health check) passes while the server is ready
/// and fails when it is gone.
#[tokio::test]
async fn the_healthcheck_command_fails_when_the_server_does() {
    let database = TestDatabase::create(Content::Sample).await;
    let mut server = ServerProcess::start(&database.url(), &[]);
    let bind = server.address.trim_start_matches("http://").to_owned();
    let probe = |bind: &str| {
        Command::new(env!("CARGO_BIN_EXE_ocindex-server"))
            .args(["healthcheck", "--bind", bind])
            .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
            .output()
            .expect("the probe runs")
    };
    let ready = probe(&bind);
    assert!(ready.status.success(), "{}", String::from_utf8_lossy(&ready.stderr));
    let body: serde_json::Value = serde_json::from_str(
        String::from_utf8_lossy(&ready.stdout).split_once(": ").unwrap().1.trim(),
    )
    .expect("readyz answers JSON");
    assert_eq!(body["ready"], true);
    assert_eq!(body["databases"][0]["name"], "primary");
    assert_eq!(body["databases"][0]["reachable"], true);

    server.terminate();
    assert!(server.wait(Duration::from_secs(20)).is_some(), "the server stops");
    let down = probe(&bind);
    assert!(!down.status.success(), "the probe fails once the server is down");
    assert!(String::from_utf8_lossy(&down.stderr).contains("unhealthy"));
}
