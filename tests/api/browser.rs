//! A real browser, as a frontend meets the API: headless Chromium (Debian's `chromium`),
//! driven over the DevTools protocol. A page on another origin reads the data with `fetch()`,
//! anonymously and with a token, under the browser's own CORS rules; and the IDE loads and
//! works with every name but 127.0.0.1 unresolvable, so nothing outside this server can
//! serve it. Everything stays on 127.0.0.1, and each wait is bounded.
use futures_util::{SinkExt, StreamExt};
use ocindex_tests::{Content, TestApp, ADMIN_TOKEN};
use serde_json::{json, Value};
use std::io::BufRead;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

/// How long the browser may take for any one step.
const STEP: Duration = Duration::from_secs(30);

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A headless Chromium with a fresh profile and one page, ended when dropped.
struct Browser {
    child: Child,
    socket: Socket,
    session: String,
    next_id: u64,
    profile: PathBuf,
}

/// The browser, or `None` (after saying so) on a machine without one; CI must have it.
fn chromium() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths).map(|dir| dir.join("chromium")).find(|path| path.exists())
    });
    if found.is_none() {
        assert!(std::env::var_os("CI").is_none(), "CI installs chromium (.ci/run)");
        eprintln!("SKIPPED: no chromium on this machine (apt-get install chromium)");
    }
    found
}

impl Browser {
    async fn launch(binary: PathBuf) -> Self {
        let profile =
            std::env::temp_dir().join(format!("ocindex-chromium-{}", uuid::Uuid::new_v4()));
        let mut child = Command::new(binary)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                // the network is cut off: no name resolves but the loopback address
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("chromium starts");
        // chromium names its DevTools endpoint on stderr; the rest of what it says is read
        // and dropped, so that it never blocks on a full pipe
        let stderr = child.stderr.take().expect("chromium's stderr");
        let (found, endpoint) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            let mut found = Some(found);
            for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("DevTools listening on ") {
                    if let Some(found) = found.take() {
                        let _ = found.send(url.trim().to_owned());
                    }
                }
            }
        });
        let endpoint = tokio::time::timeout(STEP, endpoint)
            .await
            .expect("chromium opens its DevTools endpoint in time")
            .expect("chromium names its DevTools endpoint");
        let (socket, _) = tokio_tungstenite::connect_async(endpoint.as_str()).await.unwrap();
        let mut browser =
            Self { child, socket, session: String::new(), next_id: 0, profile: profile.clone() };
        let target =
            browser.command(None, "Target.createTarget", json!({ "url": "about:blank" })).await;
        let target_id = target["targetId"].clone();
        let attached = browser
            .command(
                None,
                "Target.attachToTarget",
                json!({ "targetId": target_id, "flatten": true }),
            )
            .await;
        browser.session = attached["sessionId"].as_str().expect("a session").to_owned();
        browser
    }

    /// Sends a DevTools command (to the page when `session` is given) and returns its result.
    async fn command(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({ "id": id, "method": method, "params": params });
        if let Some(session) = session {
            message["sessionId"] = json!(session);
        }
        self.socket.send(Message::text(message.to_string())).await.expect("sent to chromium");
        let answer = tokio::time::timeout(STEP, async {
            while let Some(Ok(frame)) = self.socket.next().await {
                let Message::Text(text) = frame else { continue };
                let answer: Value = serde_json::from_str(&text).expect("DevTools speaks JSON");
                if answer["id"] == id {
                    return answer;
                }
            }
            panic!("chromium closed its DevTools connection");
        })
        .await
        .unwrap_or_else(|_| panic!("chromium answers {method} in time"));
        assert!(answer.get("error").is_none(), "{method} failed: {answer}");
        answer["result"].clone()
    }

    async fn navigate(&mut self, url: &str) {
        let session = self.session.clone();
        let navigated = self.command(Some(&session), "Page.navigate", json!({ "url": url })).await;
        assert!(navigated.get("errorText").is_none(), "{url} did not load: {navigated}");
    }

    /// Evaluates `expression` in the page (awaiting a promise) and returns its value.
    async fn evaluate(&mut self, expression: &str) -> Value {
        let session = self.session.clone();
        let params =
            json!({ "expression": expression, "awaitPromise": true, "returnByValue": true });
        let result = self.command(Some(&session), "Runtime.evaluate", params).await;
        assert!(result.get("exceptionDetails").is_none(), "the page threw: {result}");
        result["result"]["value"].clone()
    }

    /// Evaluates `expression` until it gives something other than null or false.
    async fn wait_for(&mut self, what: &str, expression: &str) -> Value {
        let deadline = tokio::time::Instant::now() + STEP;
        loop {
            let value = self.evaluate(expression).await;
            if !value.is_null() && value != json!(false) {
                return value;
            }
            assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// A partner's page: any page of another origin (another port of 127.0.0.1).
async fn partner_site() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let page = axum::Router::new().route(
        "/",
        axum::routing::get(|| async {
            axum::response::Html("<!DOCTYPE html><title>partner</title><p>A partner's page")
        }),
    );
    tokio::spawn(async move { axum::serve(listener, page).await });
    address
}

#[tokio::test]
async fn a_page_of_another_origin_reads_the_data_with_fetch() {
    let Some(binary) = chromium() else { return };
    let app = TestApp::spawn(Content::Sample).await.unwrap();
    let site = partner_site().await;
    let mut browser = Browser::launch(binary).await;
    browser.navigate(&format!("{site}/")).await;
    let origin = browser
        .wait_for("the partner's page", "document.title === 'partner' && location.origin")
        .await;
    assert_eq!(origin, json!(site));

    let script = format!(
        r#"(async () => {{
          const ask = async (query, token) => {{
            const headers = {{ "content-type": "application/json" }};
            if (token) headers.authorization = "Bearer " + token;
            const response = await fetch("{api}/graphql", {{
              method: "POST", headers, body: JSON.stringify({{ query }}) }});
            return {{ status: response.status, cacheControl: response.headers.get("cache-control"),
                     body: await response.json() }};
          }};
          const ranking = '{{ ranking(indicator: "criminality", edition: 2023) {{ nodes {{ rank value country {{ iso3 }} }} }} }}';
          const profile = '{{ country(iso3: "KAZ") {{ name scores(edition: 2023, pillar: CRIMINALITY) {{ value }} }} }}';
          return {{
            ranking: await ask(ranking), profile: await ask(profile),
            rankingWithToken: await ask(ranking, "{token}"),
            profileWithToken: await ask(profile, "{token}"),
          }};
        }})()"#,
        api = app.address,
        token = ADMIN_TOKEN,
    );
    let answers = browser.evaluate(&script).await;

    let ranking = json!({ "data": { "ranking": { "nodes": [
        { "rank": 1, "value": 5.32, "country": { "iso3": "KGZ" } },
        { "rank": 2, "value": 4.47, "country": { "iso3": "KAZ" } } ] } } });
    let profile =
        json!({ "data": { "country": { "name": "Kazakhstan", "scores": [{ "value": 4.47 }] } } });
    for (name, expected) in [("ranking", &ranking), ("profile", &profile)] {
        let anonymous = &answers[name];
        assert_eq!(anonymous["status"], 200, "{name}: {anonymous}");
        assert_eq!(&anonymous["body"], expected, "{name}");
        assert!(anonymous["cacheControl"].as_str().is_some_and(|c| c.starts_with("public")));
        // the token travels in a header: the browser asks first (a preflight), then sends it
        let authenticated = &answers[format!("{name}WithToken")];
        assert_eq!(authenticated["status"], 200, "{name} with a token: {authenticated}");
        assert_eq!(&authenticated["body"], expected, "{name} with a token");
        assert_eq!(authenticated["cacheControl"], "private, no-store");
    }
}

#[tokio::test]
async fn the_ide_works_with_the_network_cut_off() {
    let Some(binary) = chromium() else { return };
    let app = TestApp::spawn(Content::Sample).await.unwrap();
    let mut browser = Browser::launch(binary).await;
    browser.navigate(&format!("{}/graphql", app.address)).await;
    browser
        .wait_for("the IDE", "document.querySelector('.graphiql-execute-button') !== null")
        .await;
    // every file the page loaded came from this server
    let loaded =
        browser.evaluate("performance.getEntriesByType('resource').map(entry => entry.name)").await;
    let loaded: Vec<&str> = loaded.as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(loaded.len() >= 4, "the IDE's assets: {loaded:?}");
    assert!(loaded.iter().all(|url| url.starts_with(&app.address)), "{loaded:?}");

    // the docs pane lists the schema, read by introspection
    browser
        .evaluate("document.querySelector('[aria-label=\"Show Documentation Explorer\"]').click()")
        .await;
    let docs = browser
        .wait_for(
            "the docs pane",
            "(() => { const d = document.querySelector('.graphiql-doc-explorer');
                     return d && d.innerText.includes('Query') ? d.innerText : null })()",
        )
        .await;
    assert!(docs.as_str().unwrap().contains("Mutation"), "{docs}");

    // the first query runs and shows its answer
    browser.evaluate("document.querySelector('.graphiql-execute-button').click()").await;
    let answer = browser
        .wait_for(
            "the answer",
            "(() => { const r = document.querySelector('.graphiql-response');
                     return r && r.innerText.includes('Kazakhstan') ? r.innerText : null })()",
        )
        .await;
    assert!(answer.as_str().unwrap().contains("4.47"), "{answer}");
}
