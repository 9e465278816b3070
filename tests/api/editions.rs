//! The editions workflow through GraphQL alone: a 2025 edition taken from nothing to published,
//! every kind of bad batch refused without a trace, and the published figures checked against
//! arithmetic done here, from the uploaded scores.
use ocindex_tests::{Content, TestApp, ADMIN_TOKEN};
use rust_decimal::{Decimal, RoundingStrategy};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::str::FromStr;
use std::time::Instant;

const ADMIN: Option<&str> = Some(ADMIN_TOKEN);

/// A digest of everything the workflow writes (all but the audit log, which records refused
/// attempts too), to prove that a refused request changed nothing.
pub async fn digest(db: &DatabaseConnection) -> String {
    let tables = [
        ("editions", "concat_ws(',', year, title, status, published_at)", "year"),
        ("edition_indicators", "concat_ws(',', edition_id, indicator_id)", "edition_id, indicator_id"),
        ("country_editions", "concat_ws(',', edition_id, country_id, continent, region)", "edition_id, country_id"),
        ("scores", "concat_ws(',', edition_id, country_id, indicator_id, value)", "edition_id, country_id, indicator_id"),
        (
            "figures",
            "concat_ws(',', edition_id, country_id, indicator_id, value, delta, rank, rank_in_continent, rank_in_region)",
            "edition_id, country_id, indicator_id",
        ),
        (
            "figure_changes",
            "concat_ws(',', indicator_id, from_edition_id, to_edition_id, country_id, change)",
            "indicator_id, from_edition_id, to_edition_id, country_id",
        ),
        ("narratives", "concat_ws(',', edition_id, country_id, position, heading, body)", "edition_id, country_id, position"),
        ("countries", "concat_ws(',', iso3, name, slug)", "iso3"),
        ("country_aliases", "concat_ws(',', alias_key, alias, country_id)", "alias_key"),
        ("indicators", "concat_ws(',', slug, name, parent_id, position)", "slug"),
        ("api_keys", "concat_ws(',', name, role, revoked_at)", "name"),
    ];
    let parts: Vec<String> = tables
        .iter()
        .map(|(table, row, order)| {
            format!(
                "(SELECT coalesce(md5(string_agg({row}, ';' ORDER BY {order})), '-') FROM {table})"
            )
        })
        .collect();
    let sql = format!("SELECT concat_ws('|', {}) AS digest", parts.join(", "));
    let row = db
        .query_one(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "digest").unwrap()
}

/// An exact figure: an integer fraction, divided once, at the edge.
#[derive(Clone, Copy, Debug)]
struct Frac {
    num: i128,
    den: i128,
}

fn gcd(a: i128, b: i128) -> i128 {
    if b == 0 {
        a.abs()
    } else {
        gcd(b, a % b)
    }
}

impl Frac {
    fn new(num: i128, den: i128) -> Self {
        let g = gcd(num, den).max(1);
        Self { num: num / g, den: den / g }
    }

    fn half_steps(twice: i128) -> Self {
        Self::new(twice, 2)
    }

    fn mean(parts: &[Frac]) -> Self {
        let sum = parts.iter().fold(Frac::new(0, 1), |acc, p| {
            Frac::new(acc.num * p.den + p.num * acc.den, acc.den * p.den)
        });
        Frac::new(sum.num, sum.den * parts.len() as i128)
    }

    fn minus(self, other: Frac) -> Self {
        Frac::new(self.num * other.den - other.num * self.den, self.den * other.den)
    }

    /// Rounded half away from zero to 2 decimals. The single division is exact to 28 digits,
    /// which cannot carry a value across a rounding boundary; a value on a boundary is a
    /// terminating decimal, which the division gives exactly.
    fn published(self) -> Decimal {
        (Decimal::from_i128_with_scale(self.num, 0) / Decimal::from_i128_with_scale(self.den, 0))
            .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
    }
}

fn decimal(value: &Value) -> Decimal {
    Decimal::from_str(&value.to_string()).unwrap_or_else(|_| panic!("{value} is a number"))
}

/// An indicator of an edition's set as the API lists it.
struct Node {
    slug: String,
    is_composite: bool,
    parent: Option<String>,
}

/// Every figure of one country, composites as means of their children in the set, from the
/// entered values (slug -> twice the score).
fn evaluate(set: &[Node], entered: &HashMap<String, i128>) -> HashMap<String, Frac> {
    fn value(slug: &str, set: &[Node], entered: &HashMap<String, i128>) -> Frac {
        let node = set.iter().find(|n| n.slug == slug).unwrap();
        if !node.is_composite {
            return Frac::half_steps(entered[slug]);
        }
        let children: Vec<Frac> = set
            .iter()
            .filter(|n| n.parent.as_deref() == Some(slug))
            .map(|n| value(&n.slug, set, entered))
            .collect();
        Frac::mean(&children)
    }
    set.iter().map(|n| (n.slug.clone(), value(&n.slug, set, entered))).collect()
}

/// Competition rank, highest first: one more than the number of strictly higher values.
fn rank(value: Decimal, group: &[Decimal]) -> i64 {
    1 + group.iter().filter(|v| **v > value).count() as i64
}

/// Twice the generated score of country `c` for raw indicator `k`: varied, deterministic, on
/// the half steps from 1.0 to 10.0.
fn generated(c: usize, k: usize) -> i128 {
    (2 + (c * 7 + k * 13 + (c * k) % 11) % 19) as i128
}

struct Member {
    iso3: String,
    name: String,
    continent: String,
    region: String,
    /// Entered 2023 scores, twice the value, by slug.
    scores_2023: HashMap<String, i128>,
}

async fn members_2023(app: &TestApp) -> Vec<Member> {
    let data = app
        .query(
            "{ countries(edition: 2023, first: 500) { nodes { iso3 name continent(edition: 2023) region(edition: 2023)
                 scores(edition: 2023) { indicator { slug isComposite } value } } } }",
            json!({}),
        )
        .await;
    let mut members: Vec<Member> = data["countries"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| Member {
            iso3: c["iso3"].as_str().unwrap().to_owned(),
            name: c["name"].as_str().unwrap().to_owned(),
            continent: c["continent"].as_str().unwrap().to_owned(),
            region: c["region"].as_str().unwrap().to_owned(),
            scores_2023: c["scores"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|s| s["indicator"]["isComposite"] == false)
                .map(|s| {
                    let twice = decimal(&s["value"]) * Decimal::TWO;
                    assert!(twice.fract().is_zero(), "entered scores are half steps");
                    (
                        s["indicator"]["slug"].as_str().unwrap().to_owned(),
                        i128::try_from(twice).unwrap(),
                    )
                })
                .collect(),
        })
        .collect();
    members.sort_by(|a, b| a.iso3.cmp(&b.iso3));
    members
}

async fn indicator_set(app: &TestApp, year: i32) -> Vec<Node> {
    let data = app
        .query(
            "query($y: Int) { indicators(edition: $y) { slug isComposite parent { slug } } }",
            json!({ "y": year }),
        )
        .await;
    data["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| Node {
            slug: i["slug"].as_str().unwrap().to_owned(),
            is_composite: i["isComposite"].as_bool().unwrap(),
            parent: i["parent"]["slug"].as_str().map(str::to_owned),
        })
        .collect()
}

const UPSERT: &str = "mutation($e: Int!, $s: [ScoreInput!]!) {
    upsertScores(edition: $e, scores: $s) { written created updated unchanged missing edition { year status } } }";

async fn create_key(app: &TestApp, name: &str, role: &str) -> String {
    let data = app
        .ok(
            ADMIN,
            "mutation($n: String!, $r: Role!) { createApiKey(name: $n, role: $r) { secret key { name role revokedAt } } }",
            json!({ "n": name, "r": role }),
        )
        .await;
    assert_eq!(
        data["createApiKey"]["key"],
        json!({ "name": name, "role": role, "revokedAt": null })
    );
    data["createApiKey"]["secret"].as_str().unwrap().to_owned()
}

/// How many times each table was analyzed other than by autovacuum.
async fn analyze_counts(db: &DatabaseConnection) -> HashMap<String, i64> {
    let sql = "SELECT relname::text AS name, analyze_count FROM pg_stat_user_tables";
    let rows = db.query_all(Statement::from_string(db.get_database_backend(), sql)).await;
    rows.expect("reading the statistics' counters")
        .iter()
        .map(|row| {
            let name: String = row.try_get("", "name").expect("a table's name");
            (name, row.try_get("", "analyze_count").expect("its count"))
        })
        .collect()
}

fn problems(err: &Value) -> &Vec<Value> {
    assert_eq!(err["extensions"]["code"], "BAD_USER_INPUT", "{err:#}");
    err["extensions"]["problems"].as_array().unwrap_or_else(|| panic!("problems listed: {err:#}"))
}

#[tokio::test]
async fn an_editor_takes_the_2025_edition_from_nothing_to_published() {
    let Some(app) = TestApp::spawn(Content::Official).await else { return };
    let editor_secret = create_key(&app, "editor-ana", "EDITOR").await;
    let editor = Some(editor_secret.as_str());

    // The editor opens a 2025 draft with 2023's indicators and members.
    let created = app
        .ok(
            editor,
            r#"mutation { createEdition(input: { year: 2025, title: "Global Organized Crime Index 2025",
                 indicatorsFrom: 2023 }) { year title status publishedAt previous { year } indicators { slug } } }"#,
            json!({}),
        )
        .await;
    let draft = &created["createEdition"];
    assert_eq!((draft["year"].as_i64(), draft["status"].as_str()), (Some(2025), Some("DRAFT")));
    assert_eq!(draft["publishedAt"], Value::Null);
    assert_eq!(draft["previous"]["year"], 2023);
    assert_eq!(draft["indicators"].as_array().unwrap().len(), 36);
    for year in [2025, 2023] {
        let err = app
            .refused(
                editor,
                "mutation($y: Int!) { createEdition(input: { year: $y, title: \"Again\", indicatorsFrom: 2023 }) { year } }",
                json!({ "y": year }),
            )
            .await;
        assert_eq!(err["extensions"]["code"], "CONFLICT", "{err:#}");
    }
    // the public still sees 2023 as the latest edition, and no trace of the draft
    let public = app
        .query(
            "{ editions { year } edition { year } draft: edition(year: 2025) { year } }",
            json!({}),
        )
        .await;
    assert_eq!(
        public,
        json!({ "editions": [{ "year": 2021 }, { "year": 2023 }], "edition": { "year": 2023 }, "draft": null })
    );

    // An indicator the 2025 edition does not assess (yet), for one of the bad batches.
    let new = app
        .ok(
            editor,
            r#"mutation { createIndicator(input: { name: "Environmental crimes", parent: "criminal-markets" }) { slug pillar isComposite } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        new["createIndicator"],
        json!({ "slug": "environmental-crimes", "pillar": "CRIMINAL_MARKETS", "isComposite": false })
    );

    // 193 × 32 generated scores, in batches of about 50 countries.
    let members = members_2023(&app).await;
    assert_eq!(members.len(), 193);
    let set = indicator_set(&app, 2023).await;
    let raw: Vec<&str> = set.iter().filter(|n| !n.is_composite).map(|n| n.slug.as_str()).collect();
    assert_eq!(raw.len(), 32);
    let entry = |c: usize, k: usize| json!({ "country": members[c].iso3, "indicator": raw[k], "value": generated(c, k) as f64 / 2.0 });
    let mut batches: Vec<Vec<Value>> = (0..193)
        .collect::<Vec<_>>()
        .chunks(50)
        .map(|countries| {
            countries
                .iter()
                .flat_map(|&c| (0..32).map(move |k| (c, k)))
                .map(|(c, k)| entry(c, k))
                .collect()
        })
        .collect();
    assert_eq!(batches.iter().map(Vec::len).sum::<usize>(), 193 * 32);
    // three scores held back, to try publishing an incomplete edition
    let held_keys = [(160, 0), (160, 5), (190, 31)];
    let held: Vec<Value> = held_keys.iter().map(|&(c, k)| entry(c, k)).collect();
    batches.last_mut().unwrap().retain(|e| !held.contains(e));

    // Every kind of bad entry refuses the whole batch, names the entry, and writes nothing.
    let before = digest(&app.db).await;
    let first = &batches[0];
    let duplicate =
        json!({ "country": first[0]["country"], "indicator": first[0]["indicator"], "value": 7.0 });
    let kinds: Vec<(usize, Value, &str)> = vec![
        (3, json!({ "value": 11.0 }), "outside the scale"),
        (4, json!({ "value": 0.5 }), "outside the scale"),
        (5, json!({ "value": 4.3 }), "not a half step"),
        (6, json!({ "value": 4.25 }), "not a half step"),
        (7, json!({ "country": "XXX" }), "unknown country"),
        (8, json!({ "country": "KZ" }), "not an ISO 3166-1 alpha-3 code"),
        (9, json!({ "indicator": "synthetic-drugs" }), "did you mean \"synthetic-drug-trade\""),
        (10, json!({ "indicator": "criminal-markets" }), "is a composite"),
        (11, json!({ "indicator": "environmental-crimes" }), "not assessed by the 2025 edition"),
        (12, duplicate, "twice (first at index 0)"),
    ];
    let corrupt = |batch: &mut Vec<Value>, index: usize, change: &Value| {
        for (field, value) in change.as_object().unwrap() {
            batch[index][field] = value.clone();
        }
    };
    for (index, change, reason) in &kinds {
        let mut batch = first.clone();
        corrupt(&mut batch, *index, change);
        let err = app.refused(editor, UPSERT, json!({ "e": 2025, "s": batch })).await;
        assert_eq!(err["extensions"]["field"], "scores");
        let listed = problems(&err);
        assert_eq!(listed.len(), 1, "{change}: {err:#}");
        let problem = &listed[0];
        assert_eq!(problem["index"], *index);
        for field in ["country", "indicator", "value"] {
            assert_eq!(
                problem[field], batch[*index][field],
                "{change}: the problem repeats what was sent"
            );
        }
        assert!(problem["reason"].as_str().unwrap().contains(reason), "{change}: {problem}");
        assert!(err["message"].as_str().unwrap().contains("nothing was written"), "{err:#}");
        assert_eq!(digest(&app.db).await, before, "{change}: nothing written");
    }
    // all of them at once: every bad entry is listed, in order
    let mut batch = first.clone();
    for (index, change, _) in &kinds {
        corrupt(&mut batch, *index, change);
    }
    let err = app.refused(editor, UPSERT, json!({ "e": 2025, "s": batch })).await;
    let indices: Vec<i64> = problems(&err).iter().map(|p| p["index"].as_i64().unwrap()).collect();
    assert_eq!(indices, kinds.iter().map(|k| k.0 as i64).collect::<Vec<_>>());
    // a published edition is locked; an unknown one is not found
    let valid = json!([{ "country": "KAZ", "indicator": "heroin-trade", "value": 5 }]);
    let err = app.refused(editor, UPSERT, json!({ "e": 2023, "s": valid })).await;
    assert_eq!(problems(&err)[0]["index"], Value::Null);
    assert!(
        problems(&err)[0]["reason"].as_str().unwrap().contains("published and locked"),
        "{err:#}"
    );
    let err = app.refused(editor, UPSERT, json!({ "e": 2031, "s": valid })).await;
    assert_eq!(err["extensions"]["code"], "NOT_FOUND");
    assert_eq!(digest(&app.db).await, before, "nothing written by any refused batch");

    // The real upload.
    let started = Instant::now();
    let mut stored = 0;
    for batch in &batches {
        let data = app.ok(editor, UPSERT, json!({ "e": 2025, "s": batch })).await;
        let payload = &data["upsertScores"];
        stored += batch.len() as i64;
        assert_eq!(payload["written"], batch.len());
        assert_eq!(payload["created"], batch.len());
        assert_eq!(payload["missing"], 193 * 32 - stored);
        assert_eq!(payload["edition"], json!({ "year": 2025, "status": "DRAFT" }));
    }
    let mut upload_time = started.elapsed();

    // Publishing needs ADMIN, and a complete edition: what is missing is listed by country.
    let before_publishing = digest(&app.db).await;
    let publish = "mutation($y: Int!) { publishEdition(year: $y) { year status publishedAt } }";
    let err = app.refused(editor, publish, json!({ "y": 2025 })).await;
    assert_eq!(err["extensions"]["code"], "FORBIDDEN");
    let err = app.refused(ADMIN, publish, json!({ "y": 2025 })).await;
    let missing: BTreeMap<String, (String, Vec<String>)> = problems(&err)
        .iter()
        .map(|p| {
            let slugs = p["indicators"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_owned())
                .collect();
            (
                p["country"].as_str().unwrap().to_owned(),
                (p["name"].as_str().unwrap().to_owned(), slugs),
            )
        })
        .collect();
    let lacking = |c: usize, ks: &[usize]| {
        let slugs = ks.iter().map(|&k| raw[k].to_owned()).collect();
        (members[c].iso3.clone(), (members[c].name.clone(), slugs))
    };
    let expected = BTreeMap::from([lacking(160, &[0, 5]), lacking(190, &[31])]);
    assert_eq!(missing, expected);
    assert_eq!(digest(&app.db).await, before_publishing, "a refused publication writes nothing");
    let status = app.ok(ADMIN, "{ edition(year: 2025) { status } }", json!({})).await;
    assert_eq!(status["edition"]["status"], "DRAFT");

    let started = Instant::now();
    let data = app.ok(editor, UPSERT, json!({ "e": 2025, "s": held })).await;
    assert_eq!(
        (data["upsertScores"]["created"].as_i64(), data["upsertScores"]["missing"].as_i64()),
        (Some(3), Some(0))
    );
    upload_time += started.elapsed();
    let analyzed_before = analyze_counts(&app.db).await;
    let started = Instant::now();
    let published = app.ok(ADMIN, publish, json!({ "y": 2025 })).await;
    let publish_time = started.elapsed();
    // fresh statistics for what publishing wrote, and only for that
    let analyzed = analyze_counts(&app.db).await;
    for (table, more) in [("figures", 1), ("editions", 1), ("scores", 0), ("narratives", 0)] {
        assert_eq!(analyzed[table] - analyzed_before[table], more, "ANALYZE of {table}");
    }
    eprintln!(
        "TIMING 193 countries x 32 scores: upload {:.2} s in {} batches, publish {:.2} s, total {:.2} s",
        upload_time.as_secs_f64(),
        batches.len() + 1,
        publish_time.as_secs_f64(),
        (upload_time + publish_time).as_secs_f64()
    );
    assert_eq!(published["publishEdition"]["status"], "PUBLISHED");
    assert!(published["publishEdition"]["publishedAt"].is_string());
    // the same request again may not publish twice
    let err = app.refused(ADMIN, publish, json!({ "y": 2025 })).await;
    assert_eq!(err["extensions"]["code"], "CONFLICT");

    // The public now sees 2025 by default, with deltas against 2023.
    let public = app
        .query("{ editions { year status } edition { year previous { year } } }", json!({}))
        .await;
    assert_eq!(public["edition"], json!({ "year": 2025, "previous": { "year": 2023 } }));
    assert_eq!(public["editions"][2], json!({ "year": 2025, "status": "PUBLISHED" }));

    // Every figure, computed here from the uploaded scores.
    let data = app
        .query(
            "{ countries(first: 500) { totalCount nodes { iso3 continent region
                 scores { indicator { slug } value delta rank rankInContinent rankInRegion } } } }",
            json!({}),
        )
        .await;
    assert_eq!(data["countries"]["totalCount"], 193);
    let mut expected: HashMap<(String, String), (Decimal, Decimal)> = HashMap::new();
    for (c, member) in members.iter().enumerate() {
        let entered: HashMap<String, i128> =
            raw.iter().enumerate().map(|(k, slug)| (slug.to_string(), generated(c, k))).collect();
        let now = evaluate(&set, &entered);
        let before = evaluate(&set, &member.scores_2023);
        for node in &set {
            let (v25, v23) = (now[&node.slug], before[&node.slug]);
            expected.insert(
                (member.iso3.clone(), node.slug.clone()),
                (v25.published(), v25.minus(v23).published()),
            );
        }
    }
    let by_iso3: HashMap<&str, &Member> = members.iter().map(|m| (m.iso3.as_str(), m)).collect();
    let mut compared = 0;
    for country in data["countries"]["nodes"].as_array().unwrap() {
        let iso3 = country["iso3"].as_str().unwrap();
        let member = by_iso3[iso3];
        // members were copied from 2023, continent and region included
        assert_eq!(
            (country["continent"].as_str().unwrap(), country["region"].as_str().unwrap()),
            (member.continent.as_str(), member.region.as_str())
        );
        let scores = country["scores"].as_array().unwrap();
        assert_eq!(scores.len(), 36, "{iso3}: every indicator and composite");
        for score in scores {
            let slug = score["indicator"]["slug"].as_str().unwrap();
            let (value, delta) = expected[&(iso3.to_owned(), slug.to_owned())];
            assert_eq!(decimal(&score["value"]), value, "{iso3} {slug} value");
            assert_eq!(decimal(&score["delta"]), delta, "{iso3} {slug} delta against 2023");
            let group = |same: &dyn Fn(&Member) -> bool| -> Vec<Decimal> {
                members
                    .iter()
                    .filter(|m| same(m))
                    .map(|m| expected[&(m.iso3.clone(), slug.to_owned())].0)
                    .collect()
            };
            assert_eq!(score["rank"], rank(value, &group(&|_| true)), "{iso3} {slug} rank");
            assert_eq!(
                score["rankInContinent"],
                rank(value, &group(&|m| m.continent == member.continent)),
                "{iso3} {slug}"
            );
            assert_eq!(
                score["rankInRegion"],
                rank(value, &group(&|m| m.region == member.region)),
                "{iso3} {slug}"
            );
            compared += 1;
        }
    }
    assert_eq!(compared, 193 * 36);

    // A published edition is locked until an admin reopens it; reopening hides it again.
    let before = digest(&app.db).await;
    let err = app.refused(editor, UPSERT, json!({ "e": 2025, "s": [entry(0, 0)] })).await;
    assert!(err["message"].as_str().unwrap().contains("reopen"), "{err:#}");
    let reopen = "mutation { reopenEdition(year: 2025) { year status publishedAt } }";
    assert_eq!(app.refused(editor, reopen, json!({})).await["extensions"]["code"], "FORBIDDEN");
    assert_eq!(digest(&app.db).await, before);
    let reopened = app.ok(ADMIN, reopen, json!({})).await;
    assert_eq!(
        reopened["reopenEdition"],
        json!({ "year": 2025, "status": "DRAFT", "publishedAt": null })
    );
    assert_eq!(app.query("{ edition { year } }", json!({})).await["edition"]["year"], 2023);
    app.ok(ADMIN, publish, json!({ "y": 2025 })).await;
    assert_eq!(
        digest(&app.db).await.split('|').nth(3),
        before.split('|').nth(3),
        "the same scores"
    );

    // The audit log tells who did what.
    let log = app
        .ok(
            ADMIN,
            "{ auditLog(first: 500) { totalCount edges { node { actor role operation edition outcome code
                 counts { name value } } } } }",
            json!({}),
        )
        .await;
    let entries: Vec<&Value> =
        log["auditLog"]["edges"].as_array().unwrap().iter().map(|e| &e["node"]).collect();
    assert_eq!(log["auditLog"]["totalCount"], entries.len());
    let count = |e: &Value, name: &str| {
        e["counts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .map(|c| c["value"].clone())
    };
    let find = |operation: &str, outcome: &str, actor: &str| -> Vec<&Value> {
        entries
            .iter()
            .copied()
            .filter(|e| {
                e["operation"] == operation && e["outcome"] == outcome && e["actor"] == actor
            })
            .collect()
    };
    assert_eq!(entries[0]["operation"], "publishEdition", "newest first");
    let created = find("createEdition", "OK", "editor-ana");
    assert_eq!(created.len(), 1);
    assert_eq!(
        (created[0]["edition"].as_i64(), created[0]["role"].as_str()),
        (Some(2025), Some("EDITOR"))
    );
    assert_eq!(
        (count(created[0], "indicators"), count(created[0], "members")),
        (Some(json!(36)), Some(json!(193)))
    );
    assert_eq!(find("createEdition", "REFUSED", "editor-ana").len(), 2);
    assert_eq!(find("upsertScores", "OK", "editor-ana").len(), batches.len() + 1);
    let refused = find("upsertScores", "REFUSED", "editor-ana");
    assert_eq!(refused.len(), kinds.len() + 4);
    assert!(refused.iter().any(|e| count(e, "problems") == Some(json!(kinds.len()))));
    let forbidden = find("publishEdition", "REFUSED", "editor-ana");
    assert_eq!(
        (forbidden.len(), forbidden[0]["code"].as_str(), forbidden[0]["edition"].as_i64()),
        (1, Some("FORBIDDEN"), Some(2025))
    );
    let incomplete = find("publishEdition", "REFUSED", "bootstrap admin");
    assert!(incomplete
        .iter()
        .any(|e| e["code"] == "BAD_USER_INPUT" && count(e, "problems") == Some(json!(2))));
    let published = find("publishEdition", "OK", "bootstrap admin");
    assert_eq!(published.len(), 2);
    assert_eq!(
        (count(published[0], "countries"), count(published[0], "scores")),
        (Some(json!(193)), Some(json!(6176)))
    );
    assert_eq!(find("reopenEdition", "OK", "bootstrap admin").len(), 1);
    assert_eq!(find("reopenEdition", "REFUSED", "editor-ana").len(), 1);
}

/// Drafts, the indicators they introduce and the countries they add are invisible to anyone
/// who cannot see drafts, in every query that could show them.
#[tokio::test]
async fn drafts_stay_private() {
    let app = TestApp::spawn(Content::Sample).await.unwrap();
    let partner_secret = create_key(&app, "partner-unodc", "PARTNER").await;
    let editor_secret = create_key(&app, "editor-ben", "EDITOR").await;
    app.ok(ADMIN, r#"mutation { createEdition(input: { year: 2025, title: "Draft", indicatorsFrom: 2023 }) { year } }"#, json!({}))
        .await;
    app.ok(
        ADMIN,
        r#"mutation { createIndicator(input: { name: "Environmental crimes", parent: "criminal-markets", edition: 2025 }) { slug } }"#,
        json!({}),
    )
    .await;
    app.ok(
        ADMIN,
        r#"mutation { upsertCountry(input: { iso3: "XKX", name: "Kosovo", edition: 2025, continent: EUROPE,
             region: "Western Balkans" }) { iso3 slug } }"#,
        json!({}),
    )
    .await;
    let set = indicator_set_as(&app, ADMIN, 2025).await;
    assert_eq!(set.len(), 33, "2023's 32 raw indicators and the new one");
    assert_eq!(set[15], "environmental-crimes", "after the last market");
    let scores: Vec<Value> = ["KAZ", "KGZ", "XKX"]
        .iter()
        .enumerate()
        .flat_map(|(c, iso3)| set.iter().enumerate().map(move |(k, slug)| json!({ "country": iso3, "indicator": slug, "value": generated(c, k) as f64 / 2.0 })))
        .collect();
    let data = app.ok(ADMIN, UPSERT, json!({ "e": 2025, "s": scores })).await;
    assert_eq!(data["upsertScores"]["missing"], 0);

    // editors see the draft with its figures (a preview until published)
    for token in [ADMIN, Some(editor_secret.as_str())] {
        let data = app
            .ok(
                token,
                r#"{ editions { year status } kosovo: country(iso3: "XKX") { name region(edition: 2025) }
                     kaz: country(iso3: "KAZ") { score(indicator: "criminal-markets", edition: 2025) { value } }
                     indicator(slug: "environmental-crimes") { slug } }"#,
                json!({}),
            )
            .await;
        assert_eq!(data["editions"][2], json!({ "year": 2025, "status": "DRAFT" }));
        assert_eq!(data["kosovo"], json!({ "name": "Kosovo", "region": "Western Balkans" }));
        // markets are the mean of KAZ's 16 generated market scores (c = 0, k = 0..=15)
        let twice: i128 = (0..=15).map(|k| generated(0, k)).sum();
        assert_eq!(decimal(&data["kaz"]["score"]["value"]), Frac::new(twice, 32).published());
        assert_eq!(data["indicator"]["slug"], "environmental-crimes");
    }

    // the public and partners see nothing of it; asking for it reads as asking for an
    // edition that does not exist
    for token in [None, Some(partner_secret.as_str())] {
        let data = app
            .ok(
                token,
                r#"{ editions { year } edition { year } draft: edition(year: 2025) { year }
                     indicators { slug }
                     kaz: country(iso3: "KAZ") { history(indicator: "criminality") { edition { year } }
                       scores { edition { year } } } }"#,
                json!({}),
            )
            .await;
        assert_eq!(data["editions"], json!([{ "year": 2021 }, { "year": 2023 }]));
        assert_eq!((&data["edition"]["year"], &data["draft"]), (&json!(2023), &Value::Null));
        // a country only the draft covers is refused like a code that names nothing
        let kosovo = app.refused(token, r#"{ country(iso3: "XKX") { name } }"#, json!({})).await;
        let nothing = app.refused(token, r#"{ country(iso3: "XKQ") { name } }"#, json!({})).await;
        for err in [&kosovo, &nothing] {
            assert_eq!(err["extensions"]["code"], "BAD_USER_INPUT");
            assert!(err["message"].as_str().unwrap().starts_with("unknown country code"), "{err}");
        }
        assert!(!data["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["slug"] == "environmental-crimes"));
        assert_eq!(data["kaz"]["history"].as_array().unwrap().len(), 2, "2021 and 2023 only");
        assert!(data["kaz"]["scores"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["edition"]["year"] == 2023));
        let queries = [
            "query($y: Int) { indicators(edition: $y) { slug } }",
            "query($y: Int) { countries(edition: $y) { totalCount } }",
            r#"query($y: Int) { country(iso3: "KAZ") { scores(edition: $y) { value } } }"#,
            r#"query($y: Int) { country(iso3: "KAZ") { score(indicator: "criminality", edition: $y) { value } } }"#,
            r#"query($y: Int) { country(iso3: "KAZ") { region(edition: $y) } }"#,
        ];
        for query in queries {
            let draft = app.refused(token, query, json!({ "y": 2025 })).await;
            let absent = app.refused(token, query, json!({ "y": 2031 })).await;
            assert_eq!(draft["extensions"]["code"], "BAD_USER_INPUT", "{query}: {draft:#}");
            let draft_text = draft.to_string().replace("2025", "YEAR");
            assert_eq!(
                draft_text,
                absent.to_string().replace("2031", "YEAR"),
                "{query}: no oracle for drafts"
            );
        }
        let since = r#"query($y: Int!) { country(iso3: "KAZ") { score(indicator: "criminality") { change(since: $y) } } }"#;
        let draft = app
            .graphql(since, json!({ "y": 2025 }), token)
            .await
            .to_string()
            .replace("2025", "YEAR");
        let absent = app
            .graphql(since, json!({ "y": 2031 }), token)
            .await
            .to_string()
            .replace("2031", "YEAR");
        assert!(draft.contains("BAD_USER_INPUT"), "{draft}");
        assert_eq!(draft, absent, "changes since a draft read as changes since nothing");
    }
}

async fn indicator_set_as(app: &TestApp, token: Option<&str>, year: i32) -> Vec<String> {
    let data = app
        .ok(
            token,
            "query($y: Int) { indicators(edition: $y) { slug isComposite } }",
            json!({ "y": year }),
        )
        .await;
    data["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["isComposite"] == false)
        .map(|i| i["slug"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn an_indicator_set_given_by_slugs_is_completed_into_a_tree_and_checked() {
    let app = TestApp::spawn(Content::Sample).await.unwrap();
    let create = "mutation($i: CreateEditionInput!) { createEdition(input: $i) { year status indicators { slug } } }";
    let data = app.ok(ADMIN, create, json!({ "i": { "year": 2019, "title": "Pilot", "indicators": ["prevention", "heroin-trade"] } })).await;
    let slugs: Vec<&str> = data["createEdition"]["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["slug"].as_str().unwrap())
        .collect();
    assert_eq!(
        slugs,
        ["criminality", "criminal-markets", "heroin-trade", "resilience", "prevention"],
        "tree order, composites added"
    );
    // members default to the latest published edition's
    let members = app.ok(ADMIN, "{ countries(edition: 2019) { totalCount } }", json!({})).await;
    assert_eq!(members["countries"]["totalCount"], 2);

    let before = digest(&app.db).await;
    let err = app
        .refused(ADMIN, create, json!({ "i": { "year": 2027, "title": "Bad", "indicators": ["heroin-trad", "criminal-actors"] } }))
        .await;
    let listed = problems(&err);
    assert_eq!(listed.len(), 2, "{err:#}");
    assert_eq!(
        (listed[0]["index"].as_i64(), listed[0]["indicator"].as_str()),
        (Some(0), Some("heroin-trad"))
    );
    assert!(
        listed[1]["reason"].as_str().unwrap().contains("composite without any of its indicators"),
        "{err:#}"
    );
    let bad_inputs = [
        json!({ "year": 2027, "title": "Bad", "indicatorsFrom": 2031 }),
        json!({ "year": 1800, "title": "Bad", "indicatorsFrom": 2023 }),
        json!({ "year": 2027, "title": "  ", "indicatorsFrom": 2023 }),
        json!({ "year": 2027, "title": "Bad" }),
    ];
    for input in bad_inputs {
        let err = app.refused(ADMIN, create, json!({ "i": input })).await;
        assert_eq!(err["extensions"]["code"], "BAD_USER_INPUT", "{input}: {err:#}");
    }
    assert_eq!(digest(&app.db).await, before);

    // a draft can be deleted with everything in it; a published edition cannot
    let delete = "mutation($y: Int!) { deleteEdition(year: $y) }";
    assert_eq!(
        app.refused(ADMIN, delete, json!({ "y": 2023 })).await["extensions"]["code"],
        "CONFLICT"
    );
    assert_eq!(
        app.refused(ADMIN, delete, json!({ "y": 2031 })).await["extensions"]["code"],
        "NOT_FOUND"
    );
    assert_eq!(app.ok(ADMIN, delete, json!({ "y": 2019 })).await["deleteEdition"], true);
    let editions = app.ok(ADMIN, "{ editions { year } }", json!({})).await;
    assert_eq!(editions["editions"], json!([{ "year": 2021 }, { "year": 2023 }]));
}

#[tokio::test]
async fn countries_join_drafts_and_renames_keep_the_old_spelling() {
    let app = TestApp::spawn(Content::Sample).await.unwrap();
    let editor_secret = create_key(&app, "editor-cy", "EDITOR").await;
    let editor = Some(editor_secret.as_str());
    app.ok(editor, r#"mutation { createEdition(input: { year: 2025, title: "Draft", indicatorsFrom: 2023 }) { year } }"#, json!({})).await;
    let upsert = "mutation($i: CountryInput!) { upsertCountry(input: $i) { iso3 name slug region(edition: 2025) continent(edition: 2025) } }";

    // a region changes in the draft only
    let data = app
        .ok(
            editor,
            upsert,
            json!({ "i": { "iso3": "KGZ", "edition": 2025, "region": "Central Asia" } }),
        )
        .await;
    assert_eq!(data["upsertCountry"]["region"], "Central Asia");
    assert_eq!(data["upsertCountry"]["continent"], "ASIA");
    let public = app.query(r#"{ country(iso3: "KGZ") { region } }"#, json!({})).await;
    assert_eq!(public["country"]["region"], "Central Asia and the Caucasus");

    // a rename is for admins; the old name stays a spelling that imports recognise
    let before = digest(&app.db).await;
    let rename = json!({ "i": { "iso3": "KGZ", "name": "Kyrgyz Republic" } });
    assert_eq!(
        app.refused(editor, upsert, rename.clone()).await["extensions"]["code"],
        "FORBIDDEN"
    );
    let refusals = [
        (json!({ "iso3": "KGZ", "aliases": ["Kazakhstan"] }), "already a spelling of KAZ"),
        (json!({ "iso3": "KGZ", "edition": 2023, "region": "Asia" }), "published and locked"),
        (json!({ "iso3": "KGZ", "region": "Asia" }), "belong to an edition"),
        (json!({ "iso3": "XKX", "name": "Kosovo" }), "new country"),
        (json!({ "iso3": "K1", "name": "Nowhere" }), "not an ISO 3166-1 alpha-3 code"),
    ];
    for (input, reason) in refusals {
        let err = app.refused(ADMIN, upsert, json!({ "i": input })).await;
        assert_eq!(err["extensions"]["code"], "BAD_USER_INPUT", "{input}: {err:#}");
        assert!(err["message"].as_str().unwrap().contains(reason), "{input}: {err:#}");
    }
    assert_eq!(digest(&app.db).await, before, "refused changes write nothing");
    let data = app.ok(ADMIN, upsert, rename).await;
    assert_eq!(
        (data["upsertCountry"]["name"].as_str(), data["upsertCountry"]["slug"].as_str()),
        (Some("Kyrgyz Republic"), Some("kyrgyzstan"))
    );
    let spellings = app
        .db
        .query_all(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT a.alias FROM country_aliases a JOIN countries c ON c.id = a.country_id WHERE c.iso3 = 'KGZ' ORDER BY a.alias",
        ))
        .await
        .unwrap();
    let spellings: BTreeSet<String> =
        spellings.iter().map(|r| r.try_get("", "alias").unwrap()).collect();
    assert!(
        spellings.contains("Kyrgyzstan") && spellings.contains("Kyrgyz Republic"),
        "{spellings:?}"
    );

    // a new member state joins the draft
    let data = app
        .ok(editor, upsert, json!({ "i": { "iso3": "xkx", "name": "Kosovo", "edition": 2025, "continent": "EUROPE", "region": "Western Balkans" } }))
        .await;
    assert_eq!(
        data["upsertCountry"],
        json!({ "iso3": "XKX", "name": "Kosovo", "slug": "kosovo", "region": "Western Balkans", "continent": "EUROPE" })
    );
    let members =
        app.ok(editor, "{ countries(edition: 2025) { nodes { iso3 } } }", json!({})).await;
    assert_eq!(
        members["countries"]["nodes"],
        json!([{ "iso3": "KAZ" }, { "iso3": "XKX" }, { "iso3": "KGZ" }])
    );
}

#[tokio::test]
async fn narratives_are_written_per_country_and_checked_entry_by_entry() {
    let app = TestApp::spawn(Content::Sample).await.unwrap();
    app.ok(ADMIN, r#"mutation { createEdition(input: { year: 2025, title: "Draft", indicatorsFrom: 2023 }) { year } }"#, json!({})).await;
    let upsert = "mutation($e: Int!, $n: [NarrativeInput!]!) { upsertNarratives(edition: $e, narratives: $n) { countries narratives edition { year } } }";
    let narratives = json!([
        { "country": "KAZ", "heading": "Markets", "body": "Our own summary of the markets.", "indicators": ["criminal-markets"] },
        { "country": "KAZ", "body": "Our own note on two markets.", "indicators": ["human-trafficking", "human-smuggling"] },
        { "country": "KGZ", "body": "Our own note on resilience." },
    ]);
    let data = app.ok(ADMIN, upsert, json!({ "e": 2025, "n": narratives })).await;
    assert_eq!(
        data["upsertNarratives"],
        json!({ "countries": 2, "narratives": 3, "edition": { "year": 2025 } })
    );
    let stored = |sql: &str| {
        let db = app.db.clone();
        let sql = sql.to_owned();
        async move {
            let rows =
                db.query_all(Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
            rows.iter().map(|r| r.try_get::<String>("", "line").unwrap()).collect::<Vec<_>>()
        }
    };
    let lines = stored(
        "SELECT concat_ws(' ', c.iso3, n.position, coalesce(n.heading, '-'),
                (SELECT string_agg(i.slug, ',' ORDER BY ni.position) FROM narrative_indicators ni
                 JOIN indicators i ON i.id = ni.indicator_id WHERE ni.narrative_id = n.id)) AS line
         FROM narratives n JOIN countries c ON c.id = n.country_id JOIN editions e ON e.id = n.edition_id
         WHERE e.year = 2025 ORDER BY c.iso3, n.position",
    )
    .await;
    assert_eq!(
        lines,
        ["KAZ 0 Markets criminal-markets", "KAZ 1 - human-trafficking,human-smuggling", "KGZ 0 -"]
    );

    let before = digest(&app.db).await;
    let bad = json!([
        { "country": "KAZ", "body": "Fine." },
        { "country": "XXX", "body": "Unknown country." },
        { "country": "KGZ", "body": "   " },
        { "country": "KGZ", "body": "Unknown indicator.", "indicators": ["heroin"] },
    ]);
    let err = app.refused(ADMIN, upsert, json!({ "e": 2025, "n": bad })).await;
    let indices: Vec<i64> = problems(&err).iter().map(|p| p["index"].as_i64().unwrap()).collect();
    assert_eq!(indices, [1, 2, 3]);
    assert_eq!(problems(&err)[2]["indicator"], "heroin");
    let err = app
        .refused(ADMIN, upsert, json!({ "e": 2023, "n": [{ "country": "KAZ", "body": "Late." }] }))
        .await;
    assert!(err["message"].as_str().unwrap().contains("published and locked"), "{err:#}");
    assert_eq!(digest(&app.db).await, before);
}

#[tokio::test]
async fn the_official_dataset_uploads_through_graphql_with_the_cli_engine() {
    let Some(path) = ocindex_tests::dataset_path() else { return };
    let bytes = std::fs::read(path).unwrap();
    let app = TestApp::spawn(Content::Empty).await.unwrap();
    let import = "mutation($file: Upload!, $dry: Boolean) { importDataset(file: $file, dryRun: $dry) {
        dryRun succeeded editions countries scoresWritten compositesChecked compositesReproduced figuresStored
        problems { sheet row column value reason } } }";

    let before = digest(&app.db).await;
    let body = app.graphql_upload(import, json!({ "dry": true }), bytes.clone(), ADMIN).await;
    assert!(body.get("errors").is_none(), "{body:#}");
    let report = &body["data"]["importDataset"];
    assert_eq!(report["dryRun"], true);
    assert_eq!(report["succeeded"], true);
    assert_eq!(report["editions"], json!([2023, 2021]));
    assert_eq!(
        (report["countries"].as_i64(), report["scoresWritten"].as_i64()),
        (Some(386), Some(193 * 26 + 193 * 32))
    );
    assert_eq!(
        (report["compositesChecked"].as_i64(), report["compositesReproduced"].as_i64()),
        (Some(1544), Some(1544))
    );
    assert_eq!(digest(&app.db).await, before, "a dry run writes nothing");

    let body = app.graphql_upload(import, json!({}), bytes, ADMIN).await;
    assert!(body.get("errors").is_none(), "{body:#}");
    assert_eq!(body["data"]["importDataset"]["figuresStored"], 12_738);
    let kaz = app.query(r#"{ edition { year } country(iso3: "KAZ") { score(indicator: "criminality") { value } } }"#, json!({})).await;
    assert_eq!(
        kaz,
        json!({ "edition": { "year": 2023 }, "country": { "score": { "value": 4.47 } } })
    );

    // a file that is not a workbook is reported, not imported
    let after = digest(&app.db).await;
    let body = app.graphql_upload(import, json!({}), b"not a workbook".to_vec(), ADMIN).await;
    let report = &body["data"]["importDataset"];
    assert_eq!(report["succeeded"], false);
    assert!(
        report["problems"][0]["reason"].as_str().unwrap().contains("not a readable .xlsx"),
        "{body:#}"
    );
    assert_eq!(digest(&app.db).await, after);

    let log = app
        .ok(
            ADMIN,
            "{ auditLog(first: 3) { nodes { operation outcome code counts { name value } } } }",
            json!({}),
        )
        .await;
    let operations: Vec<(&str, &str)> = log["auditLog"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["operation"].as_str().unwrap(), e["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(
        operations,
        [("importDataset", "REFUSED"), ("importDataset", "OK"), ("importDataset (dry run)", "OK")]
    );
}
