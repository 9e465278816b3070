//! Who may do what: every mutation refused without a token, with a wrong or revoked token and
//! with too small a role, changing nothing; keys whose secrets are shown once, never stored.
use super::editions::digest;
use ocindex_tests::{Content, TestApp, ADMIN_TOKEN};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{json, Value};

const ADMIN: Option<&str> = Some(ADMIN_TOKEN);

/// Every mutation, with arguments that would change something, and the least role it needs.
const MUTATIONS: &[(&str, &str, &str)] = &[
    (
        "createEdition",
        r#"mutation { createEdition(input: { year: 2025, title: "T", indicatorsFrom: 2023 }) { year } }"#,
        "EDITOR",
    ),
    (
        "createIndicator",
        r#"mutation { createIndicator(input: { name: "Environmental crimes", parent: "criminal-markets" }) { slug } }"#,
        "EDITOR",
    ),
    (
        "upsertScores",
        r#"mutation { upsertScores(edition: 2023, scores: [{ country: "KAZ", indicator: "heroin-trade", value: 9 }]) { written } }"#,
        "EDITOR",
    ),
    (
        "upsertNarratives",
        r#"mutation { upsertNarratives(edition: 2023, narratives: [{ country: "KAZ", body: "Text." }]) { narratives } }"#,
        "EDITOR",
    ),
    (
        "upsertCountry",
        r#"mutation { upsertCountry(input: { iso3: "KAZ", aliases: ["Qazaqstan"] }) { iso3 } }"#,
        "EDITOR",
    ),
    ("publishEdition", "mutation { publishEdition(year: 2023) { year } }", "ADMIN"),
    ("reopenEdition", "mutation { reopenEdition(year: 2023) { year } }", "ADMIN"),
    ("deleteEdition", "mutation { deleteEdition(year: 2023) }", "ADMIN"),
    (
        "createApiKey",
        r#"mutation { createApiKey(name: "sneaky", role: ADMIN) { secret } }"#,
        "ADMIN",
    ),
    ("revokeApiKey", r#"mutation { revokeApiKey(name: "editor") { name } }"#, "ADMIN"),
];
const IMPORT: &str = "mutation($file: Upload!) { importDataset(file: $file) { succeeded } }";
const QUERIES: &[&str] = &["{ auditLog { totalCount } }", "{ apiKeys { name } }"];

async fn key(app: &TestApp, name: &str, role: &str) -> String {
    let data = app
        .ok(
            ADMIN,
            "mutation($n: String!, $r: Role!) { createApiKey(name: $n, role: $r) { secret } }",
            json!({ "n": name, "r": role }),
        )
        .await;
    data["createApiKey"]["secret"].as_str().unwrap().to_owned()
}

async fn code(app: &TestApp, field: &str, query: &str, token: Option<&str>) -> String {
    let body = if query == IMPORT {
        app.graphql_upload(query, json!({}), b"PK".to_vec(), token).await
    } else {
        app.graphql(query, json!({}), token).await
    };
    assert!(
        body["data"].is_null() || body["data"][field].is_null(),
        "{field} refused with no data: {body:#}"
    );
    body["errors"][0]["extensions"]["code"].as_str().unwrap_or("none").to_owned()
}

#[tokio::test]
async fn every_mutation_refuses_callers_without_the_right_role_and_changes_nothing() {
    let app = TestApp::spawn(Content::Sample).await.unwrap();
    let editor = key(&app, "editor", "EDITOR").await;
    let partner = key(&app, "partner", "PARTNER").await;
    let revoked = key(&app, "revoked-admin", "ADMIN").await;
    app.ok(ADMIN, r#"mutation { revokeApiKey(name: "revoked-admin") { revokedAt } }"#, json!({}))
        .await;
    let before = digest(&app.db).await;

    let mut fields: Vec<(&str, &str, &str)> = MUTATIONS.to_vec();
    fields.push(("importDataset", IMPORT, "ADMIN"));
    fields.extend(
        QUERIES
            .iter()
            .map(|q| (if q.contains("auditLog") { "auditLog" } else { "apiKeys" }, *q, "ADMIN")),
    );
    for &(field, query, needs) in &fields {
        assert_eq!(
            code(&app, field, query, None).await,
            "UNAUTHENTICATED",
            "{field} without a token"
        );
        assert_eq!(
            code(&app, field, query, Some("ocx_not-a-key")).await,
            "UNAUTHENTICATED",
            "{field} with a wrong token"
        );
        assert_eq!(
            code(&app, field, query, Some(&revoked)).await,
            "UNAUTHENTICATED",
            "{field} with a revoked key"
        );
        assert_eq!(
            code(&app, field, query, Some(&partner)).await,
            "FORBIDDEN",
            "{field} with a PARTNER key"
        );
        if needs == "ADMIN" {
            assert_eq!(
                code(&app, field, query, Some(&editor)).await,
                "FORBIDDEN",
                "{field} with an EDITOR key"
            );
        }
    }
    assert_eq!(digest(&app.db).await, before, "no refused call changed anything");

    // what EDITOR may do, it may do: these calls pass the guard (and fail or succeed on their own)
    for &(field, query, needs) in MUTATIONS {
        if needs == "EDITOR" {
            let code = code_or_ok(&app, query, &editor).await;
            assert!(
                code != "FORBIDDEN" && code != "UNAUTHENTICATED",
                "{field} with an EDITOR key: {code}"
            );
        }
    }

    // refusals of known callers are in the audit log, with the operation they attempted
    let log =
        app.ok(ADMIN, "{ auditLog { nodes { actor operation outcome code } } }", json!({})).await;
    let partner_refusals: Vec<&str> = log["auditLog"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["actor"] == "partner")
        .inspect(|e| {
            assert_eq!(
                (e["outcome"].as_str(), e["code"].as_str()),
                (Some("REFUSED"), Some("FORBIDDEN"))
            )
        })
        .map(|e| e["operation"].as_str().unwrap())
        .collect();
    let mut attempted: Vec<&str> = fields.iter().map(|f| f.0).collect();
    attempted.reverse();
    assert_eq!(partner_refusals, attempted);
}

async fn code_or_ok(app: &TestApp, query: &str, token: &str) -> String {
    let body = app.graphql(query, json!({}), Some(token)).await;
    body["errors"][0]["extensions"]["code"].as_str().unwrap_or("OK").to_owned()
}

#[tokio::test]
async fn a_key_secret_is_shown_once_stored_as_a_digest_and_revocable() {
    let app = TestApp::spawn(Content::Sample).await.unwrap();
    let data = app
        .ok(ADMIN, r#"mutation { createApiKey(name: "ops", role: ADMIN) { secret key { name role createdBy revokedAt } } }"#, json!({}))
        .await;
    let secret = data["createApiKey"]["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("ocx_") && secret.len() > 40, "{secret}");
    assert_eq!(
        data["createApiKey"]["key"],
        json!({ "name": "ops", "role": "ADMIN", "createdBy": "bootstrap admin", "revokedAt": null })
    );

    // nothing stored holds the secret
    for table in ["api_keys", "audit_log"] {
        let sql = format!("SELECT count(*) AS n FROM {table} t WHERE position($1 in t::text) > 0");
        let row = app
            .db
            .query_one(Statement::from_sql_and_values(
                app.db.get_database_backend(),
                &sql,
                [secret.clone().into()],
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.try_get::<i64>("", "n").unwrap(), 0, "{table} holds no secret");
    }

    // the key works, and keys it makes are credited to it
    let ops = Some(secret.as_str());
    let data = app.ok(ops, r#"mutation { createApiKey(name: "reader", role: PARTNER) { key { createdBy } secret } }"#, json!({})).await;
    assert_eq!(data["createApiKey"]["key"]["createdBy"], "ops");
    let reader = data["createApiKey"]["secret"].as_str().unwrap().to_owned();
    assert_eq!(
        app.ok(Some(&reader), "{ editions { year } }", json!({})).await["editions"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let keys = app.ok(ops, "{ apiKeys { name role } }", json!({})).await;
    assert_eq!(
        keys["apiKeys"],
        json!([{ "name": "ops", "role": "ADMIN" }, { "name": "reader", "role": "PARTNER" }])
    );

    let create = "mutation($n: String!) { createApiKey(name: $n, role: EDITOR) { secret } }";
    assert_eq!(
        app.refused(ADMIN, create, json!({ "n": "ops" })).await["extensions"]["code"],
        "CONFLICT"
    );
    assert_eq!(
        app.refused(ADMIN, create, json!({ "n": "  " })).await["extensions"]["code"],
        "BAD_USER_INPUT"
    );
    assert_eq!(
        app.refused(ADMIN, create, json!({ "n": "Bootstrap Admin" })).await["extensions"]["code"],
        "BAD_USER_INPUT"
    );

    // revoked, the secret stops working at once, for reads too
    let revoke = "mutation($n: String!) { revokeApiKey(name: $n) { name revokedAt } }";
    let revoked = app.ok(ops, revoke, json!({ "n": "reader" })).await;
    let at = revoked["revokeApiKey"]["revokedAt"].clone();
    assert!(at.is_string());
    let err = app.refused(Some(&reader), "{ editions { year } }", json!({})).await;
    assert_eq!(err["extensions"]["code"], "UNAUTHENTICATED");
    assert_eq!(
        app.ok(ops, revoke, json!({ "n": "reader" })).await["revokeApiKey"]["revokedAt"],
        at,
        "revoking twice changes nothing"
    );
    assert_eq!(
        app.refused(ops, revoke, json!({ "n": "nobody" })).await["extensions"]["code"],
        "NOT_FOUND"
    );
    let _: Value = app.ok(ops, revoke, json!({ "n": "ops" })).await;
    assert_eq!(
        app.refused(ops, "{ editions { year } }", json!({})).await["extensions"]["code"],
        "UNAUTHENTICATED",
        "a key can revoke itself"
    );
}
