//! Change notifications, as a partner meets them: a webhook receiver started here on
//! 127.0.0.1 gets signed, retried, at-least-once deliveries of publications, even across a
//! server crash; live pages subscribed over WebSocket hear of them on any server of a fleet.
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use futures_util::{SinkExt, StreamExt};
use hmac::{Hmac, Mac};
use ocindex_tests::{Content, TestApp, ADMIN_TOKEN};
use serde_json::{json, Value};
use sha2::Sha256;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

const ADMIN: Option<&str> = Some(ADMIN_TOKEN);
/// How long anything asynchronous may take before a test gives up on it.
const PATIENCE: Duration = Duration::from_secs(15);

const CREATE: &str = "mutation($url: String!, $events: [WebhookEvent!]!) {
    createWebhook(input: { url: $url, events: $events }) { secret webhook { id url events } } }";
const DELIVERIES: &str = "query($id: ID!) { webhookDeliveries(webhook: $id, first: 10) {
    totalCount nodes { eventId event status attemptCount attempts { statusCode durationMs error } } } }";

/// One request a receiver got.
struct Received {
    headers: HeaderMap,
    body: Bytes,
    at: Instant,
}

/// A webhook endpoint on 127.0.0.1 that answers 500 to its first `failures` requests and 200
/// after; every request it gets comes out of the channel.
async fn receiver(
    listener: tokio::net::TcpListener,
    failures: usize,
) -> (String, mpsc::UnboundedReceiver<Received>) {
    let (sender, received) = mpsc::unbounded_channel();
    let state = Arc::new((AtomicUsize::new(0), sender));
    let app = axum::Router::new()
        .route(
            "/hook",
            axum::routing::post(
                move |State(state): State<Arc<(AtomicUsize, mpsc::UnboundedSender<Received>)>>,
                      headers: HeaderMap,
                      body: Bytes| async move {
                    let n = state.0.fetch_add(1, Ordering::SeqCst);
                    let _ = state.1.send(Received { headers, body, at: Instant::now() });
                    if n < failures {
                        StatusCode::INTERNAL_SERVER_ERROR
                    } else {
                        StatusCode::OK
                    }
                },
            ),
        )
        .with_state(state);
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, received)
}

async fn loopback() -> tokio::net::TcpListener {
    tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap()
}

async fn next(received: &mut mpsc::UnboundedReceiver<Received>) -> Received {
    tokio::time::timeout(PATIENCE, received.recv())
        .await
        .expect("a delivery in time")
        .expect("the receiver runs")
}

fn header<'a>(r: &'a Received, name: &str) -> &'a str {
    r.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
}

/// The signature a partner computes to check a delivery: HMAC-SHA256 of the raw body.
fn expected_signature(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// Polls the deliveries of a webhook until `done` holds of them.
async fn deliveries_until(app: &TestApp, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    let started = Instant::now();
    loop {
        let data = app.ok(ADMIN, DELIVERIES, json!({ "id": id })).await;
        let deliveries = data["webhookDeliveries"].clone();
        if done(&deliveries) {
            return deliveries;
        }
        assert!(started.elapsed() < PATIENCE, "deliveries never got there: {deliveries:#}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn allow_private_fast_retries(settings: &mut ocindex::config::Settings) {
    settings.webhook_allow_private = true;
    settings.webhook_retry_base_ms = 200;
}

#[tokio::test]
async fn a_partner_gets_signed_events_retried_until_taken() {
    let app = TestApp::spawn_with(Content::Sample, allow_private_fast_retries).await.unwrap();
    let (url, mut received) = receiver(loopback().await, 1).await;
    let events = json!(["EDITION_PUBLISHED", "EDITION_REOPENED"]);
    let created = app.ok(ADMIN, CREATE, json!({ "url": url, "events": events })).await;
    let secret = created["createWebhook"]["secret"].as_str().unwrap().to_owned();
    let id = created["createWebhook"]["webhook"]["id"].as_str().unwrap().to_owned();
    assert_eq!(created["createWebhook"]["webhook"]["events"], events);

    // a correction of 2023: reopened (the receiver fails the first delivery), then published
    app.ok(ADMIN, "mutation { reopenEdition(year: 2023) { status } }", json!({})).await;
    let reopened_first = next(&mut received).await;
    let publishing = Instant::now();
    app.ok(ADMIN, "mutation { publishEdition(year: 2023) { status } }", json!({})).await;
    // deleting a draft is an event this webhook did not ask for
    app.ok(ADMIN, "mutation { createEdition(input: { year: 2031, title: \"Test\", indicatorsFrom: 2023 }) { year } }", json!({})).await;
    app.ok(ADMIN, "mutation { deleteEdition(year: 2031) }", json!({})).await;

    let mut requests = vec![reopened_first, next(&mut received).await, next(&mut received).await];
    let published = requests
        .iter()
        .find(|r| header(r, "x-ocindex-event") == "EDITION_PUBLISHED")
        .expect("the publication was delivered");
    eprintln!("publishEdition to webhook delivery: {:?}", published.at - publishing);

    for request in &requests {
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        assert_eq!(header(request, "content-type"), "application/json");
        assert_eq!(header(request, "x-ocindex-event"), body["event"]);
        assert_eq!(header(request, "x-ocindex-delivery"), body["id"]);
        assert_eq!(
            header(request, "x-ocindex-signature"),
            expected_signature(&secret, &request.body)
        );
        assert_eq!(body["edition"]["year"], 2023);
        let published = body["event"] == "EDITION_PUBLISHED";
        assert_eq!(body["edition"]["status"], if published { "PUBLISHED" } else { "DRAFT" });
        assert_eq!(body["edition"]["publishedAt"].is_string(), published, "{body}");
        assert!(body["occurredAt"].is_string());
    }
    // the failed delivery came again, byte for byte, under the same id
    requests.retain(|r| header(r, "x-ocindex-event") == "EDITION_REOPENED");
    assert_eq!(requests.len(), 2);
    assert_eq!(
        header(&requests[0], "x-ocindex-delivery"),
        header(&requests[1], "x-ocindex-delivery")
    );
    assert_eq!(requests[0].body, requests[1].body);
    assert!(requests[1].at - requests[0].at >= Duration::from_millis(200), "backoff");

    // every attempt is on record, newest delivery first; the deleted draft sent nothing
    let deliveries = deliveries_until(&app, &id, |d| {
        d["nodes"].as_array().is_some_and(|n| n.iter().all(|n| n["status"] == "DELIVERED"))
    })
    .await;
    assert_eq!(deliveries["totalCount"], 2);
    let nodes = deliveries["nodes"].as_array().unwrap();
    assert_eq!(nodes[0]["event"], "EDITION_PUBLISHED");
    assert_eq!(nodes[0]["attempts"].as_array().unwrap().len(), 1);
    assert_eq!(nodes[1]["event"], "EDITION_REOPENED");
    assert_eq!(nodes[1]["attemptCount"], 2);
    let attempts = nodes[1]["attempts"].as_array().unwrap();
    assert_eq!(attempts[0]["statusCode"], 500);
    assert!(attempts[0]["error"].as_str().unwrap().contains("500"));
    assert_eq!(attempts[1]["statusCode"], 200);
    assert!(attempts[1]["error"].is_null());
    assert_eq!(nodes[1]["eventId"], header(&requests[0], "x-ocindex-delivery"));

    // a deleted webhook hears nothing more
    let deleted =
        app.ok(ADMIN, "mutation($id: ID!) { deleteWebhook(id: $id) }", json!({ "id": id })).await;
    assert_eq!(deleted["deleteWebhook"], true);
    let listed = app.ok(ADMIN, "{ webhooks { id } }", json!({})).await;
    assert_eq!(listed["webhooks"], json!([]));
}

#[tokio::test]
async fn webhooks_cannot_reach_the_servers_own_network() {
    let app = TestApp::spawn(Content::Sample).await.unwrap();
    for url in [
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://10.0.0.1/",
        "http://[::1]:8080/",
        "ftp://127.0.0.1/",
    ] {
        let events = json!(["EDITION_PUBLISHED"]);
        let error = app.refused(ADMIN, CREATE, json!({ "url": url, "events": events })).await;
        assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{url}: {error}");
        assert_eq!(error["extensions"]["field"], "input.url", "{url}");
    }
    let error = app
        .refused(
            None,
            CREATE,
            json!({ "url": "http://example.org/", "events": ["EDITION_PUBLISHED"] }),
        )
        .await;
    assert_eq!(error["extensions"]["code"], "UNAUTHENTICATED");
    let listed = app.ok(ADMIN, "{ webhooks { id } }", json!({})).await;
    assert_eq!(listed["webhooks"], json!([]), "nothing was written");
}

#[tokio::test]
async fn a_delivery_survives_a_server_crash() {
    // attempts of one second: the claim of an attempt cut short by a crash runs out after
    // `LEASE`, and another server takes the delivery over
    const LEASE: Duration = Duration::from_secs(1 + 10);
    let settings = |settings: &mut ocindex::config::Settings| {
        allow_private_fast_retries(settings);
        settings.webhook_timeout = 1;
    };
    let app = TestApp::spawn_with(Content::Sample, settings).await.unwrap();
    // the partner's endpoint takes connections and never answers them
    let hanging = loopback().await;
    let address = hanging.local_addr().unwrap();
    let (accepted_tx, mut accepted) = mpsc::unbounded_channel();
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((connection, _)) = hanging.accept().await {
            held.push(connection);
            let _ = accepted_tx.send(());
        }
    });
    let url = format!("http://{address}/hook");
    let created =
        app.ok(ADMIN, CREATE, json!({ "url": url, "events": ["EDITION_REOPENED"] })).await;
    let id = created["createWebhook"]["webhook"]["id"].as_str().unwrap().to_owned();
    app.ok(ADMIN, "mutation { reopenEdition(year: 2023) { status } }", json!({})).await;

    // the server dies in the middle of an attempt, claimed and not yet recorded
    tokio::time::timeout(PATIENCE, accepted.recv()).await.expect("an attempt in time");
    let in_flight = app.ok(ADMIN, DELIVERIES, json!({ "id": id })).await;
    let delivery = &in_flight["webhookDeliveries"]["nodes"][0];
    let event_id = delivery["eventId"].as_str().unwrap().to_owned();
    app.kill();

    // the endpoint comes back on the same address; another server starts over the database
    holder.abort();
    let _ = holder.await;
    let listener = tokio::net::TcpListener::bind(address).await.unwrap();
    let (_, mut received) = receiver(listener, 0).await;
    let _restarted = app.another_server(settings).await;
    let delivered = tokio::time::timeout(LEASE + PATIENCE, received.recv())
        .await
        .expect("the delivery, once the crashed claim ran out")
        .expect("the receiver runs");
    assert_eq!(header(&delivered, "x-ocindex-delivery"), event_id);
    assert_eq!(header(&delivered, "x-ocindex-event"), "EDITION_REOPENED");
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A `graphql-transport-ws` client subscribed to edition events, acknowledged by the server.
async fn subscriber(address: &str, token: Option<&str>) -> Socket {
    let mut request =
        format!("{}/graphql", address.replace("http://", "ws://")).into_client_request().unwrap();
    request.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
    let (mut socket, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(response.headers()["sec-websocket-protocol"], "graphql-transport-ws");
    let payload = match token {
        Some(token) => json!({ "Authorization": format!("Bearer {token}") }),
        None => json!({}),
    };
    send(&mut socket, json!({ "type": "connection_init", "payload": payload })).await;
    assert_eq!(receive(&mut socket).await["type"], "connection_ack");
    let query = "subscription { editionEvents { event edition { year status } } }";
    send(&mut socket, json!({ "type": "subscribe", "id": "1", "payload": { "query": query } }))
        .await;
    // the protocol does not acknowledge a subscription: give the server a moment to set it up
    tokio::time::sleep(Duration::from_millis(300)).await;
    socket
}

async fn send(socket: &mut Socket, message: Value) {
    socket.send(Message::text(message.to_string())).await.unwrap();
}

/// The next protocol message, answering pings on the way.
async fn receive(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(PATIENCE, socket.next())
            .await
            .expect("a message in time")
            .expect("the socket is open")
            .unwrap();
        let Message::Text(text) = message else { continue };
        let value: Value = serde_json::from_str(text.as_str()).unwrap();
        if value["type"] == "ping" {
            send(socket, json!({ "type": "pong" })).await;
            continue;
        }
        return value;
    }
}

#[tokio::test]
async fn subscribers_on_every_server_hear_of_a_publication() {
    let app = TestApp::spawn(Content::Sample).await.unwrap();
    let other = app.another_server(|_| {}).await;
    let mut public = subscriber(&other.address, None).await;
    let mut admin = subscriber(&app.address, ADMIN).await;

    // drafts come and go unseen by the public; an admin hears of them
    app.ok(ADMIN, "mutation { createEdition(input: { year: 2031, title: \"Test\", indicatorsFrom: 2023 }) { year } }", json!({})).await;
    app.ok(ADMIN, "mutation { deleteEdition(year: 2031) }", json!({})).await;
    app.ok(ADMIN, "mutation { reopenEdition(year: 2023) { status } }", json!({})).await;
    let event = |message: &Value| {
        assert_eq!(message["type"], "next", "{message}");
        assert_eq!(message["id"], "1");
        message["payload"]["data"]["editionEvents"].clone()
    };
    let deleted = event(&receive(&mut admin).await);
    assert_eq!(
        deleted,
        json!({ "event": "EDITION_DELETED", "edition": { "year": 2031, "status": "DRAFT" } })
    );
    for socket in [&mut public, &mut admin] {
        let reopened = event(&receive(socket).await);
        assert_eq!(
            reopened,
            json!({ "event": "EDITION_REOPENED", "edition": { "year": 2023, "status": "DRAFT" } })
        );
    }
    // the publication, heard while the mutation is still answering (it analyses after commit)
    let publishing = Instant::now();
    let (_, published) = tokio::join!(
        app.ok(ADMIN, "mutation { publishEdition(year: 2023) { status } }", json!({})),
        async {
            let message = receive(&mut public).await;
            eprintln!("publishEdition to subscription message: {:?}", publishing.elapsed());
            message
        }
    );
    let expected =
        json!({ "event": "EDITION_PUBLISHED", "edition": { "year": 2023, "status": "PUBLISHED" } });
    assert_eq!(event(&published), expected);
    assert_eq!(event(&receive(&mut admin).await), expected);
}

/// A subscription's document is parsed by the executor itself, not by the HTTP handler's
/// limits: its nesting is checked before that all the same (a few thousand levels overflow
/// the parser's stack and abort the process).
#[tokio::test]
async fn a_subscription_nested_past_the_parsers_stack_is_refused_unparsed() {
    let app = TestApp::spawn(Content::Sample).await.unwrap();
    let mut socket = subscriber(&app.address, None).await;
    let deep = format!(
        "subscription {{ editionEvents(year: {}1{}) {{ event }} }}",
        "[".repeat(3_000),
        "]".repeat(3_000)
    );
    let subscribe = json!({ "type": "subscribe", "id": "2", "payload": { "query": deep } });
    send(&mut socket, subscribe).await;
    let refused = receive(&mut socket).await;
    assert_eq!((&refused["type"], &refused["id"]), (&json!("next"), &json!("2")), "{refused}");
    let error = &refused["payload"]["errors"][0]["extensions"];
    assert_eq!(error["code"], "QUERY_TOO_COMPLEX", "{refused}");
    assert_eq!((&error["limit"], &error["measured"]), (&json!("nesting"), &json!(3_002)));
    assert_eq!(receive(&mut socket).await, json!({ "type": "complete", "id": "2" }));
    // the connection and its first subscription live on
    app.ok(ADMIN, "mutation { reopenEdition(year: 2023) { status } }", json!({})).await;
    let heard = receive(&mut socket).await;
    assert_eq!(heard["payload"]["data"]["editionEvents"]["event"], "EDITION_REOPENED", "{heard}");
}

/// With nothing in the outbox the worker must sleep its full poll interval: the query that
/// tells it when the next delivery is due answered 0 s instead of "none", and an idle server
/// polled Postgres 45 times a second.
#[tokio::test]
async fn an_empty_outbox_has_nothing_due() {
    let app = TestApp::spawn(Content::Sample).await.expect("sample");
    let due = ocindex::repo::webhooks::next_due_in(&app.db).await.expect("the outbox reads");
    assert_eq!(due, None, "nothing is pending, so nothing is due");
}
