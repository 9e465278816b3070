//! Fair-use quotas: every caller's budget of cost points per hour, told in every answer's
//! headers and by `rateLimit`, enforced with a 429 before anything runs, and shared by the
//! servers of a fleet through the development Redis (127.0.0.1:6379). Each test counts under
//! a Redis prefix of its own and removes its keys, whatever the outcome.
use ocindex::config::Settings;
use ocindex_tests::{Content, TestApp, ADMIN_TOKEN};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const REDIS: &str = "redis://127.0.0.1:6379";
/// The quota's own field: 1 for `rateLimit` and 1 for each of its four fields, by the rule
/// that every field counts 1.
const RATE_LIMIT: &str = "{ rateLimit { limit cost remaining resetAt } }";
const RATE_LIMIT_COST: u64 = 5;

/// The quota headers and body of one answer.
struct Answer {
    status: StatusCode,
    limit: Option<u64>,
    remaining: Option<u64>,
    reset: Option<u64>,
    retry_after: Option<u64>,
    body: Value,
}

async fn post(address: &str, query: &str, variables: Value, token: Option<&str>) -> Answer {
    let mut request = reqwest::Client::new()
        .request(Method::POST, format!("{address}/graphql"))
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("the server answers");
    let header = |name: &str| {
        response.headers().get(name).map(|v| v.to_str().unwrap().parse::<u64>().unwrap())
    };
    Answer {
        status: response.status(),
        limit: header("x-ratelimit-limit"),
        remaining: header("x-ratelimit-remaining"),
        reset: header("x-ratelimit-reset"),
        retry_after: header("retry-after"),
        body: response.json().await.expect("a JSON body"),
    }
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// The start of the next clock hour, when every budget is renewed.
fn next_hour() -> u64 {
    (now() / 3600 + 1) * 3600
}

/// Waits out the last seconds of a clock hour, so that no test sees its budget renewed
/// halfway through.
async fn clear_of_the_hour() {
    let left = next_hour() - now();
    if left < 10 {
        tokio::time::sleep(Duration::from_secs(left + 1)).await;
    }
}

/// The Redis keys of one test, removed when it ends (passed or failed).
struct RedisKeys {
    prefix: String,
}

impl RedisKeys {
    fn new() -> Self {
        Self { prefix: format!("ocindex-test:{}:", uuid::Uuid::new_v4().simple()) }
    }

    fn connection() -> redis::Connection {
        redis::Client::open(REDIS).unwrap().get_connection().expect("Redis at 127.0.0.1:6379")
    }

    fn keys(&self) -> Vec<String> {
        redis::cmd("KEYS").arg(format!("{}*", self.prefix)).query(&mut Self::connection()).unwrap()
    }

    fn get(&self, key: &str) -> Option<u64> {
        redis::cmd("GET")
            .arg(format!("{}{key}", self.prefix))
            .query(&mut Self::connection())
            .unwrap()
    }

    fn settings(&self, settings: &mut Settings, anonymous: u64) {
        settings.quotas.anonymous = anonymous;
        settings.quotas.redis_url = Some(REDIS.into());
        settings.quotas.redis_prefix = self.prefix.clone();
    }
}

impl Drop for RedisKeys {
    fn drop(&mut self) {
        let keys = self.keys();
        if !keys.is_empty() {
            let _: u64 = redis::cmd("DEL").arg(&keys).query(&mut Self::connection()).unwrap();
        }
    }
}

#[tokio::test]
async fn every_answer_tells_the_caller_its_quota_and_spending_lowers_it() {
    clear_of_the_hour().await;
    let app = TestApp::spawn_with(Content::Sample, |s| s.quotas.anonymous = 1_000).await.unwrap();
    let first = post(&app.address, RATE_LIMIT, json!({}), None).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.limit, Some(1_000));
    assert_eq!(first.remaining, Some(1_000 - RATE_LIMIT_COST));
    assert_eq!(first.reset, Some(next_hour()));
    // the field says the same as the headers
    let mut field = first.body["data"]["rateLimit"].clone();
    let reset_at = field["resetAt"].take();
    let reset_at = chrono::DateTime::parse_from_rfc3339(reset_at.as_str().unwrap()).unwrap();
    assert_eq!(reset_at.timestamp(), next_hour() as i64);
    assert_eq!(
        field,
        json!({ "limit": 1_000, "cost": RATE_LIMIT_COST, "remaining": 1_000 - RATE_LIMIT_COST,
                "resetAt": null })
    );

    // the field is the caller's own: never served from the answer cache
    let again = post(&app.address, RATE_LIMIT, json!({}), None).await;
    assert_eq!(again.body["data"]["rateLimit"]["remaining"], 1_000 - 2 * RATE_LIMIT_COST);
    assert_eq!(again.remaining, Some(1_000 - 2 * RATE_LIMIT_COST));

    // a public read: its first answer costs what it selects, a cached one costs 1
    let editions = "{ editions { year } }";
    let missed = post(&app.address, editions, json!({}), None).await;
    let spent = 1_000 - 2 * RATE_LIMIT_COST - missed.remaining.unwrap();
    assert!(spent >= 2, "a list and its field cost more than one point: {spent}");
    let hit = post(&app.address, editions, json!({}), None).await;
    assert_eq!(hit.body, missed.body);
    assert_eq!(hit.remaining, Some(missed.remaining.unwrap() - 1));
    assert_eq!(hit.limit, Some(1_000));

    // the bootstrap admin runs the server and is not metered
    let admin = post(&app.address, RATE_LIMIT, json!({}), Some(ADMIN_TOKEN)).await;
    assert_eq!(admin.body["data"]["rateLimit"], Value::Null);
    assert_eq!((admin.limit, admin.remaining), (None, None));
}

#[tokio::test]
async fn a_greedy_client_is_refused_before_its_query_runs_while_others_are_served() {
    clear_of_the_hour().await;
    let app = TestApp::spawn_with(Content::Sample, |s| s.quotas.anonymous = 12).await.unwrap();
    let partner = app
        .ok(
            Some(ADMIN_TOKEN),
            r#"mutation { createApiKey(name: "partner", role: PARTNER, rateLimit: 100) { secret } }"#,
            json!({}),
        )
        .await["createApiKey"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    // two requests of 5 leave 2 points: the third does not fit
    for remaining in [7, 2] {
        let served = post(&app.address, RATE_LIMIT, json!({}), None).await;
        assert_eq!(served.status, StatusCode::OK);
        assert_eq!(served.remaining, Some(remaining));
    }
    let statements = app.statements.load(std::sync::atomic::Ordering::SeqCst);
    // 1 + 3 × (node + name) + totalCount = 8 points, more than are left
    let query = "query($n: Int!) { countries(first: $n) { nodes { name } totalCount } }";
    let refused = post(&app.address, query, json!({ "n": 3 }), None).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    let retry_after = refused.retry_after.expect("a Retry-After header");
    assert!((1..=3600).contains(&retry_after), "{retry_after}");
    assert!(retry_after <= next_hour() - now() + 1);
    assert_eq!(
        (refused.limit, refused.remaining, refused.reset),
        (Some(12), Some(2), Some(next_hour()))
    );
    let error = &refused.body["errors"][0];
    assert_eq!(error["extensions"]["code"], "RATE_LIMITED", "{:#}", refused.body);
    assert!(error["message"].as_str().unwrap().contains("rate limit"), "{error}");
    assert!(refused.body.get("data").is_none(), "nothing ran: {:#}", refused.body);
    // nothing ran: no statement, and nothing was charged
    assert_eq!(app.statements.load(std::sync::atomic::Ordering::SeqCst), statements);
    let still = post(&app.address, RATE_LIMIT, json!({}), None).await;
    assert_eq!(still.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(still.remaining, Some(2));
    // a cached answer costs 1, which still fits
    let cheap = "{ editions { year } }";
    assert_eq!(post(&app.address, cheap, json!({}), Some(&partner)).await.status, StatusCode::OK);
    let hit = post(&app.address, cheap, json!({}), None).await;
    assert_eq!((hit.status, hit.remaining), (StatusCode::OK, Some(1)));

    // another caller (a partner's key) is served meanwhile, from its own budget
    let other = post(&app.address, query, json!({ "n": 3 }), Some(&partner)).await;
    assert_eq!(other.status, StatusCode::OK);
    assert!(!other.body["data"]["countries"]["nodes"].as_array().unwrap().is_empty());
    assert_eq!(other.limit, Some(100));
}

#[tokio::test]
async fn a_key_created_with_a_limit_is_held_to_it() {
    clear_of_the_hour().await;
    let app = TestApp::spawn_with(Content::Sample, |s| s.quotas.key = 1_000_000).await.unwrap();
    let create = "mutation($n: String!, $l: Int) { createApiKey(name: $n, role: PARTNER, rateLimit: $l) { secret key { rateLimit } } }";
    let created = app.ok(Some(ADMIN_TOKEN), create, json!({ "n": "small", "l": 11 })).await;
    assert_eq!(created["createApiKey"]["key"]["rateLimit"], 11);
    let small = created["createApiKey"]["secret"].as_str().unwrap().to_owned();
    let plain = app.ok(Some(ADMIN_TOKEN), create, json!({ "n": "plain", "l": null })).await;
    assert_eq!(plain["createApiKey"]["key"]["rateLimit"], Value::Null);
    let plain = plain["createApiKey"]["secret"].as_str().unwrap().to_owned();

    let first = post(&app.address, RATE_LIMIT, json!({}), Some(&small)).await;
    assert_eq!(first.body["data"]["rateLimit"]["limit"], 11);
    assert_eq!((first.limit, first.remaining), (Some(11), Some(6)));
    let second = post(&app.address, RATE_LIMIT, json!({}), Some(&small)).await;
    assert_eq!((second.status, second.remaining), (StatusCode::OK, Some(1)));
    let third = post(&app.address, RATE_LIMIT, json!({}), Some(&small)).await;
    assert_eq!(third.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(third.body["errors"][0]["extensions"]["code"], "RATE_LIMITED");

    // a key without a limit of its own gets the server's default for keys
    let other = post(&app.address, RATE_LIMIT, json!({}), Some(&plain)).await;
    assert_eq!(other.limit, Some(1_000_000));

    // a negative limit is bad input, and makes no key
    let body = app.graphql(create, json!({ "n": "negative", "l": -1 }), Some(ADMIN_TOKEN)).await;
    let error = &body["errors"][0];
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{body:#}");
    assert_eq!(error["extensions"]["field"], "rateLimit", "{error}");
    assert_eq!(error["extensions"]["value"], "-1", "{error}");
    let keys = app.ok(Some(ADMIN_TOKEN), "{ apiKeys { name } }", json!({})).await;
    assert_eq!(keys["apiKeys"], json!([{ "name": "small" }, { "name": "plain" }]));
}

#[tokio::test]
async fn two_servers_over_one_redis_charge_one_budget() {
    clear_of_the_hour().await;
    let redis = RedisKeys::new();
    let one = TestApp::spawn_with(Content::Sample, |s| redis.settings(s, 100)).await.unwrap();
    let two = one.another_server(|s| redis.settings(s, 100)).await;

    // 5 through the first server, then 5 through the second: one count
    assert_eq!(post(&one.address, RATE_LIMIT, json!({}), None).await.remaining, Some(95));
    let through_two = post(&two.address, RATE_LIMIT, json!({}), None).await;
    assert_eq!(through_two.remaining, Some(90));
    assert_eq!(through_two.body["data"]["rateLimit"]["remaining"], 90);
    let window = now() / 3600;
    assert_eq!(redis.get(&format!("ip:127.0.0.1:{window}")), Some(10));

    // cached answers are counted by each server and reach Redis in the background
    let cheap = "{ editions { year } }";
    let missed = post(&one.address, cheap, json!({}), None).await.remaining.unwrap();
    for _ in 0..3 {
        post(&one.address, cheap, json!({}), None).await;
    }
    tokio::time::sleep(Duration::from_millis(600)).await;
    let last = post(&one.address, cheap, json!({}), None).await;
    assert_eq!(last.remaining, Some(missed - 4));
    let spent = 100 - (missed - 4);
    let started = std::time::Instant::now();
    while redis.get(&format!("ip:127.0.0.1:{window}")) != Some(spent) {
        assert!(started.elapsed() < Duration::from_secs(5), "the hits never reached Redis");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let seen_by_two = post(&two.address, RATE_LIMIT, json!({}), None).await;
    assert_eq!(seen_by_two.remaining, Some(100 - spent - RATE_LIMIT_COST));

    // spend the rest through one server: the other refuses too
    let mut answer = post(&one.address, RATE_LIMIT, json!({}), None).await;
    for _ in 0..30 {
        if answer.status == StatusCode::TOO_MANY_REQUESTS {
            break;
        }
        answer = post(&one.address, RATE_LIMIT, json!({}), None).await;
    }
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
    let refused = post(&two.address, RATE_LIMIT, json!({}), None).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.remaining, answer.remaining);
    assert_eq!(redis.keys().len(), 1, "one counter per caller and hour");
}

#[tokio::test]
async fn an_unreachable_redis_leaves_each_server_counting_alone() {
    clear_of_the_hour().await;
    // nothing listens on port 1
    let app = TestApp::spawn_with(Content::Sample, |s| {
        s.quotas.anonymous = 12;
        s.quotas.redis_url = Some("redis://127.0.0.1:1".into());
    })
    .await
    .unwrap();
    let first = post(&app.address, RATE_LIMIT, json!({}), None).await;
    assert_eq!((first.status, first.remaining), (StatusCode::OK, Some(7)));
    assert_eq!(post(&app.address, RATE_LIMIT, json!({}), None).await.remaining, Some(2));
    let refused = post(&app.address, RATE_LIMIT, json!({}), None).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
}
