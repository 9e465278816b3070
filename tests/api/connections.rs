//! Connection patterns that used to hold the server: idle sockets past the connection limit,
//! a slowloris dribbling its headers, kept-alive connections never closed, a panicking
//! handler, and an enormous unknown code fuzzy-matched on the runtime's workers.
use axum::routing::get;
use axum::Router;
use ocindex::serve::{serve, ConnectionLimits};
use ocindex_tests::{Content, TestApp};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const HEADER_TIMEOUT_MS: u64 = 1_000;
const IDLE_TIMEOUT_MS: u64 = 2_000;

async fn small_server(max_connections: u32) -> TestApp {
    TestApp::spawn_with(Content::Empty, |s| {
        s.connections.header_timeout_ms = HEADER_TIMEOUT_MS;
        s.connections.idle_timeout_ms = IDLE_TIMEOUT_MS;
        s.connections.max_connections = max_connections;
    })
    .await
    .expect("empty")
}

fn socket_address(app: &TestApp) -> String {
    app.address.trim_start_matches("http://").to_owned()
}

/// Whether the server closed `socket` within `limit` (a read gives EOF or an error).
async fn closed_within(socket: &mut TcpStream, limit: Duration) -> bool {
    let mut buffer = [0u8; 1024];
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, socket.read(&mut buffer)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            // an answer (e.g. 408) before closing
            Ok(Ok(_)) => continue,
        }
    }
}

async fn healthz_time(address: &str) -> Duration {
    let started = Instant::now();
    let answer = reqwest::Client::new()
        .get(format!("{address}/healthz"))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .expect("/healthz answers");
    assert_eq!(answer.status(), 200);
    started.elapsed()
}

/// Hundreds of idle sockets beyond a limit of 20: /healthz is still answered at once (the
/// idlest connections make room), and the idle sockets are closed after the header timeout.
#[tokio::test]
async fn idle_sockets_beyond_the_limit_do_not_keep_clients_out() {
    let app = small_server(20).await;
    let address = socket_address(&app);
    let mut idle = Vec::new();
    for _ in 0..300 {
        idle.push(TcpStream::connect(&address).await.expect("the kernel accepts"));
    }
    let waited = healthz_time(&app.address).await;
    assert!(waited < Duration::from_secs(1), "/healthz waited {waited:?}");
    // none of them sent a request: every one is closed within the header timeout (and a
    // little scheduling), whichever was evicted first
    let started = Instant::now();
    for socket in &mut idle {
        let limit = Duration::from_millis(HEADER_TIMEOUT_MS * 3).saturating_sub(started.elapsed());
        assert!(closed_within(socket, limit).await, "an idle socket stays open");
    }
    let waited = healthz_time(&app.address).await;
    assert!(waited < Duration::from_secs(1), "/healthz waited {waited:?}");
}

/// A client that sends its headers a line at a time, never finishing, is cut at the header
/// timeout although it keeps sending.
#[tokio::test]
async fn a_slowloris_is_cut_at_the_header_timeout() {
    let app = small_server(100).await;
    let mut socket = TcpStream::connect(socket_address(&app)).await.unwrap();
    socket.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n").await.unwrap();
    let started = Instant::now();
    let cut = loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if socket.write_all(b"X-Dribble: a\r\n").await.is_err() {
            break started.elapsed();
        }
        let mut buffer = [0u8; 256];
        match tokio::time::timeout(Duration::from_millis(1), socket.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break started.elapsed(),
            _ => {}
        }
        assert!(started.elapsed() < Duration::from_secs(5), "the slowloris is never cut");
    };
    assert!(cut >= Duration::from_millis(HEADER_TIMEOUT_MS - 100), "cut early: {cut:?}");
    assert!(cut < Duration::from_millis(HEADER_TIMEOUT_MS * 2), "cut late: {cut:?}");
    // others are served meanwhile and after
    assert!(healthz_time(&app.address).await < Duration::from_secs(1));
}

/// A kept-alive connection serves requests as long as it is used, and is closed once idle
/// past the idle timeout.
#[tokio::test]
async fn kept_alive_connections_close_when_idle() {
    let app = small_server(100).await;
    let mut socket = TcpStream::connect(socket_address(&app)).await.unwrap();
    let request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    for round in 0..3 {
        if round > 0 {
            // used again well within the idle timeout, and past the header timeout: waiting
            // between requests is idleness, not a slow header
            tokio::time::sleep(Duration::from_millis(HEADER_TIMEOUT_MS + 200)).await;
        }
        socket.write_all(request).await.unwrap();
        let mut buffer = [0u8; 1024];
        let n = tokio::time::timeout(Duration::from_secs(2), socket.read(&mut buffer))
            .await
            .expect("an answer")
            .unwrap();
        let answer = String::from_utf8_lossy(&buffer[..n]);
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    }
    let idle_since = Instant::now();
    assert!(closed_within(&mut socket, Duration::from_millis(IDLE_TIMEOUT_MS * 2)).await);
    let waited = idle_since.elapsed();
    assert!(waited >= Duration::from_millis(IDLE_TIMEOUT_MS - 100), "closed early: {waited:?}");
}

/// A handler that panics: the request is answered INTERNAL with an error id, and the server
/// goes on serving. (No input of the API is known to panic: the route here is the test's own,
/// served with the API's panic layer and connection loop.)
#[tokio::test]
async fn a_panicking_request_is_answered_internal_and_the_server_lives_on() {
    let router = Router::new()
        .route("/panic", get(panics))
        .route("/fine", get(|| async { "fine" }))
        .layer(ocindex::http::panics::layer());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let limits = ConnectionLimits {
        header_timeout: Duration::from_secs(5),
        idle_timeout: Duration::from_secs(5),
        max_connections: 10,
    };
    let server = tokio::spawn(serve(listener, router, limits, std::future::pending::<()>()));
    let client = reqwest::Client::new();
    for _ in 0..3 {
        let answer = client.get(format!("{address}/panic")).send().await.expect("an answer");
        assert_eq!(answer.status(), 500);
        let body: Value = answer.json().await.expect("JSON");
        assert_eq!(body["errors"][0]["extensions"]["code"], "INTERNAL", "{body}");
        let id = body["errors"][0]["extensions"]["errorId"].as_str().expect("an error id");
        assert_eq!(id.len(), 32, "{id}");
        assert!(!body.to_string().contains("a bug"), "the panic stays in the log: {body}");
        let fine = client.get(format!("{address}/fine")).send().await.expect("still serving");
        assert_eq!(fine.text().await.unwrap(), "fine");
    }
    server.abort();
}

async fn panics() -> &'static str {
    panic!("a bug")
}

/// An unknown country code or indicator slug of 8 MiB is refused as BAD_USER_INPUT without
/// stalling anyone: /healthz is answered at once meanwhile. (The edit distance of an 8 MiB
/// slug to every indicator's took a runtime worker for seconds.)
#[tokio::test]
async fn huge_unknown_codes_do_not_stall_the_server() {
    let app = TestApp::spawn(Content::Sample).await.expect("sample");
    let huge = "Q".repeat(8 << 20);
    for query in [
        "query ($code: String!) { country(iso3: $code) { name } }",
        "query ($code: String!) { indicator(slug: $code) { name } }",
    ] {
        let request = app
            .request(reqwest::Method::POST, "/graphql")
            .json(&json!({ "query": query, "variables": { "code": huge } }))
            .timeout(Duration::from_secs(120))
            .send();
        let refused = tokio::spawn(request);
        let started = Instant::now();
        let mut slowest = Duration::ZERO;
        while !refused.is_finished() && started.elapsed() < Duration::from_secs(100) {
            slowest = slowest.max(healthz_time(&app.address).await);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let answer = refused.await.unwrap().expect("an answer");
        let body: Value = answer.json().await.unwrap();
        let text = body.to_string();
        assert!(text.len() < 10_000, "the code is not echoed whole: {} bytes", text.len());
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{text}");
        assert!(slowest < Duration::from_secs(1), "{query}: /healthz waited {slowest:?}");
        let took = started.elapsed();
        println!("{query}: refused in {took:?}; /healthz waited at most {slowest:?}");
    }
}
