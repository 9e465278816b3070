//! Input that tries to hurt the server (issue 12, items 2, 3, 7 and 8): filters too deep or
//! too wide, documents nested past the parser's stack, text the database would refuse,
//! workbooks that unpack to gigabytes, and imports into published editions. Each is refused
//! plainly, writes nothing, and leaves the server answering.
use ocindex_tests::{Content, TestApp, ADMIN_TOKEN};
use rust_xlsxwriter::Workbook;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::sync::atomic::Ordering;

const COUNTRIES: &str =
    "query($w: CountryWhere) { countries(where: $w) { totalCount nodes { iso3 } } }";

/// The server still answers an ordinary question.
async fn alive(app: &TestApp) {
    let data = app.query(r#"{ country(iso3: "KAZ") { name } }"#, json!({})).await;
    assert_eq!(data["country"]["name"], "Kazakhstan");
}

fn iso3s(data: &Value) -> Vec<String> {
    data["countries"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["iso3"].as_str().unwrap().to_owned())
        .collect()
}

/// `{ not: { not: … inner … } }`, `nots` times.
fn nested_not(nots: usize, inner: Value) -> Value {
    (0..nots).fold(inner, |inside, _| json!({ "not": inside }))
}

#[tokio::test]
async fn sixteen_thousand_or_branches_are_refused_before_any_sql() {
    let app = TestApp::spawn(Content::Sample).await.unwrap();
    let branches: Vec<Value> = (0..16_000).map(|_| json!({ "iso3": ["KAZ"] })).collect();
    let before = app.statements.load(Ordering::Relaxed);
    let error = app.query_error(COUNTRIES, json!({ "w": { "or": branches } })).await;
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{error:#}");
    assert_eq!(error["extensions"]["field"], "where");
    // the root, 16,000 branches and their 16,000 codes
    assert_eq!(error["extensions"]["value"], "32001");
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("32001 conditions") && message.contains("at most 1000"), "{message}");
    assert_eq!(app.statements.load(Ordering::Relaxed), before, "no SQL ran");

    // the same in the document itself, which the parser reads
    let inline = format!(
        "{{ countries(where: {{or: [{}]}}) {{ totalCount }} }}",
        vec![r#"{iso3: ["KAZ"]}"#; 16_000].join(",")
    );
    let error = app.query_error(&inline, json!({})).await;
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{error:#}");
    assert_eq!(error["extensions"]["value"], "32001");

    // a thousand conditions are allowed: 499 branches of one code each, and the root
    let branches: Vec<Value> = (0..499).map(|_| json!({ "iso3": ["KGZ"] })).collect();
    let data = app.query(COUNTRIES, json!({ "w": { "or": branches } })).await;
    assert_eq!(iso3s(&data), ["KGZ"]);
    alive(&app).await;
}

#[tokio::test]
async fn filters_nest_at_most_thirty_two_levels() {
    let app = TestApp::spawn(Content::Sample).await.unwrap();
    // 32 levels: the root, 30 more `not`s and the innermost condition; 31 negations of
    // "is KAZ" leave the other country of the sample
    let deepest = nested_not(31, json!({ "iso3": ["KAZ"] }));
    let data = app.query(COUNTRIES, json!({ "w": deepest })).await;
    assert_eq!(iso3s(&data), ["KGZ"]);

    let before = app.statements.load(Ordering::Relaxed);
    for (nots, levels) in [(32, 33), (39, 40), (120, 121)] {
        let deep = nested_not(nots, json!({ "iso3": ["KAZ"] }));
        let error = app.query_error(COUNTRIES, json!({ "w": deep })).await;
        assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{error:#}");
        assert_eq!(error["extensions"]["field"], "where");
        assert_eq!(error["extensions"]["value"], levels.to_string());
        let message = error["message"].as_str().unwrap();
        assert!(message.contains("at most 32 levels"), "{message}");
    }
    // 40 levels of `and` lists, written in the document
    let inline = format!(
        "{{ countries(where: {}{{continent: ASIA}}{}) {{ totalCount }} }}",
        "{and: [".repeat(39),
        "]}".repeat(39)
    );
    let error = app.query_error(&inline, json!({})).await;
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{error:#}");
    assert_eq!(error["extensions"]["value"], "40");
    assert_eq!(app.statements.load(Ordering::Relaxed), before, "no SQL ran");
    alive(&app).await;
}

#[tokio::test]
async fn a_document_nested_past_the_parsers_stack_is_refused_unparsed() {
    let app = TestApp::spawn(Content::Sample).await.unwrap();
    // 3,000 levels in 18 kB: the parser's recursion overflowed the stack and aborted the
    // process (so did 1,000); 100,000 levels, which the grammar itself gives up on, too
    for levels in [3_000usize, 100_000] {
        let deep = format!(
            "{{ countries(where: {}{{continent: ASIA}}{}) {{ totalCount }} }}",
            "{not: ".repeat(levels),
            "}".repeat(levels)
        );
        let error = app.query_error(&deep, json!({})).await;
        assert_eq!(error["extensions"]["code"], "QUERY_TOO_COMPLEX", "{error:#}");
        assert_eq!(error["extensions"]["limit"], "nesting");
        assert_eq!(error["extensions"]["measured"], levels + 3);
        assert_eq!(error["extensions"]["max"], 128);
    }
    let deep = format!(
        "{{ countries(where: {}{{continent: ASIA}}{}) {{ totalCount }} }}",
        "{not: ".repeat(3_000),
        "}".repeat(3_000)
    );
    // over GET too, where a mutation check reads the document first (2,000 levels: the
    // whole document rides in the URL)
    let over_get = format!(
        "{{ countries(where: {}{{continent: ASIA}}{}) {{ totalCount }} }}",
        "{not: ".repeat(2_000),
        "}".repeat(2_000)
    );
    let response = app
        .request(reqwest::Method::GET, "/graphql")
        .query(&[("query", over_get.as_str())])
        .send()
        .await
        .expect("the server answers");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["measured"], 2_003, "{body:#}");
    // and in a batch
    let response = app
        .request(reqwest::Method::POST, "/graphql")
        .json(&json!([{ "query": "{ editions { year } }" }, { "query": deep }]))
        .send()
        .await
        .expect("the server answers");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body[1]["errors"][0]["extensions"]["limit"], "nesting", "{body:#}");
    alive(&app).await;
}

#[tokio::test]
async fn code_lists_stay_far_below_the_bind_limit() {
    let app = TestApp::spawn(Content::Sample).await.unwrap();
    // 70,000 codes exceeded Postgres' 65,535 parameters (INTERNAL)
    let codes: Vec<&str> = vec!["KAZ"; 70_000];
    let error = app.query_error(COUNTRIES, json!({ "w": { "iso3": codes } })).await;
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{error:#}");
    assert_eq!(error["extensions"]["value"], "70001");
    // 999 codes and the root pass
    let codes: Vec<&str> = vec!["KAZ"; 999];
    let data = app.query(COUNTRIES, json!({ "w": { "iso3": codes } })).await;
    assert_eq!(iso3s(&data), ["KAZ"]);
    // orderings: each key is a lookup
    let keys: Vec<Value> = (0..11).map(|_| json!({ "direction": "ASC" })).collect();
    let error = app
        .query_error(
            "query($o: [CountryOrder!]) { countries(orderBy: $o) { totalCount } }",
            json!({ "o": keys }),
        )
        .await;
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{error:#}");
    assert_eq!(error["extensions"]["field"], "orderBy");
    alive(&app).await;
}

/// A digest of what the admin mutations below could write.
async fn written(app: &TestApp) -> Value {
    let data = app
        .ok(
            Some(ADMIN_TOKEN),
            r#"{ editions { year title } indicators { slug name description }
                 apiKeys { name } country(iso3: "KAZ") { name } }"#,
            json!({}),
        )
        .await;
    let narratives: i64 = {
        use sea_orm::{ConnectionTrait, Statement};
        let sql = "SELECT count(*) AS n FROM narratives";
        let row = app
            .db
            .query_one(Statement::from_string(app.db.get_database_backend(), sql))
            .await
            .unwrap()
            .unwrap();
        row.try_get("", "n").unwrap()
    };
    json!({ "data": data, "narratives": narratives })
}

#[tokio::test]
async fn text_the_database_would_refuse_is_refused_at_the_edge() {
    let app = TestApp::spawn(Content::Sample).await.unwrap();
    // a draft to write narratives into
    app.ok(
        Some(ADMIN_TOKEN),
        r#"mutation { createEdition(input: { year: 2025, title: "Draft", indicatorsFrom: 2023 }) { year } }"#,
        json!({}),
    )
    .await;
    let before = written(&app).await;
    let nul = "before\u{0}after";
    let mega = "x".repeat(1_000_000);
    let body_5mb = "A sentence about nothing at all. ".repeat(160_000);
    let narrative = |heading: &str, body: &str| json!([{ "country": "KAZ", "heading": heading, "body": body, "indicators": [] }]);
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "mutation($v: String!) { createEdition(input: { year: 2027, title: $v }) { year } }",
            json!({ "v": nul }),
            "input.title",
        ),
        (
            "mutation($v: String!) { createEdition(input: { year: 2027, title: $v }) { year } }",
            json!({ "v": mega }),
            "input.title",
        ),
        (
            r#"mutation($v: String!) { createIndicator(input: { name: $v, parent: "resilience" }) { slug } }"#,
            json!({ "v": nul }),
            "input.name",
        ),
        (
            r#"mutation($v: String!) { createIndicator(input: { name: "Sane", parent: "resilience", description: $v }) { slug } }"#,
            json!({ "v": nul }),
            "input.description",
        ),
        (
            "mutation($n: [NarrativeInput!]!) { upsertNarratives(edition: 2025, narratives: $n) { narratives } }",
            json!({ "n": narrative("Drugs", nul) }),
            "narratives[0].body",
        ),
        (
            "mutation($n: [NarrativeInput!]!) { upsertNarratives(edition: 2025, narratives: $n) { narratives } }",
            json!({ "n": narrative(nul, "A body.") }),
            "narratives[0].heading",
        ),
        (
            "mutation($n: [NarrativeInput!]!) { upsertNarratives(edition: 2025, narratives: $n) { narratives } }",
            json!({ "n": narrative("Drugs", &body_5mb) }),
            "narratives[0].body",
        ),
        (
            r#"mutation($v: String!) { upsertCountry(input: { iso3: "KAZ", name: $v }) { name } }"#,
            json!({ "v": nul }),
            "input.name",
        ),
        (
            r#"mutation($v: String!) { upsertCountry(input: { iso3: "KAZ", aliases: ["Qazaqstan", $v] }) { name } }"#,
            json!({ "v": nul }),
            "input.aliases[1]",
        ),
        (
            r#"mutation($v: String!) { upsertCountry(input: { iso3: "KAZ", edition: 2025, continent: ASIA, region: $v }) { name } }"#,
            json!({ "v": nul }),
            "input.region",
        ),
        (
            "mutation($v: String!) { createApiKey(name: $v, role: EDITOR) { secret } }",
            json!({ "v": nul }),
            "name",
        ),
        (
            "mutation($v: String!) { revokeApiKey(name: $v) { name } }",
            json!({ "v": nul }),
            "name",
        ),
        (
            r#"mutation($v: String!) { upsertScores(edition: 2025, scores: [{ country: $v, indicator: "human-trafficking", value: 5 }]) { written } }"#,
            json!({ "v": nul }),
            "scores[0].country",
        ),
        (
            "mutation($v: String!) { createWebhook(input: { url: $v, events: [EDITION_PUBLISHED] }) { secret } }",
            json!({ "v": format!("https://example.org/{nul}") }),
            "input.url",
        ),
    ];
    for (query, variables, field) in cases {
        let error = app.refused(Some(ADMIN_TOKEN), query, variables).await;
        assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{field}: {error:#}");
        assert_eq!(error["extensions"]["field"], field, "{error:#}");
        let message = error["message"].as_str().unwrap();
        assert!(message.contains("NUL") || message.contains("at most"), "{field}: {message}");
        // what is repeated of a long value is its start
        assert!(error["extensions"]["value"].as_str().unwrap().len() < 200, "{field}");
    }
    assert_eq!(written(&app).await, before, "nothing was written");
    // every refusal is in the audit log, like any other
    let audit = app
        .ok(Some(ADMIN_TOKEN), "{ auditLog(first: 20) { nodes { operation outcome } } }", json!({}))
        .await;
    let refused = audit["auditLog"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["outcome"] == "REFUSED")
        .count();
    assert_eq!(refused, 14, "{audit:#}");
    alive(&app).await;
}

/// A made-up summary text, in the layout of the PDF summaries, about Kazakhstan.
const SUMMARY: &str = "\
DRUGS
Opium from afar crosses Kazakhstan on long roads, and Kazakhstan's police watch the
border posts. Traders in Kazakhstan sell small amounts in the towns.
";

const IMPORT_NARRATIVES: &str = "mutation($file: Upload!, $e: Int!, $dry: Boolean) {
    importNarratives(file: $file, edition: $e, dryRun: $dry) {
      succeeded problems { reason } narratives { countries { iso3 } } } }";

async fn editor_key(app: &TestApp) -> String {
    let data = app
        .ok(
            Some(ADMIN_TOKEN),
            "mutation { createApiKey(name: \"editor\", role: EDITOR) { secret } }",
            json!({}),
        )
        .await;
    data["createApiKey"]["secret"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn an_editor_cannot_import_narratives_into_a_published_edition() {
    let app = TestApp::spawn(Content::Sample).await.unwrap();
    let editor = editor_key(&app).await;
    let before = written(&app).await;
    for dry in [false, true] {
        let body = app
            .graphql_upload(
                IMPORT_NARRATIVES,
                json!({ "e": 2023, "dry": dry }),
                SUMMARY.as_bytes().to_vec(),
                Some(&editor),
            )
            .await;
        let error = &body["errors"][0];
        assert_eq!(error["extensions"]["code"], "FORBIDDEN", "{body:#}");
        let message = error["message"].as_str().unwrap();
        assert!(message.contains("published") && message.contains("ADMIN"), "{message}");
    }
    assert_eq!(written(&app).await, before, "the published narratives are unchanged");
    let audit = app
        .ok(
            Some(ADMIN_TOKEN),
            "{ auditLog(first: 5) { nodes { operation outcome code actor } } }",
            json!({}),
        )
        .await;
    let last = &audit["auditLog"]["nodes"][1];
    assert_eq!(last["operation"], "importNarratives", "{audit:#}");
    assert_eq!(
        (last["outcome"].as_str(), last["code"].as_str()),
        (Some("REFUSED"), Some("FORBIDDEN"))
    );
    assert_eq!(last["actor"], "editor");

    // an ADMIN may correct a published edition, audited
    let body = app
        .graphql_upload(
            IMPORT_NARRATIVES,
            json!({ "e": 2023, "dry": false }),
            SUMMARY.as_bytes().to_vec(),
            Some(ADMIN_TOKEN),
        )
        .await;
    let report = &body["data"]["importNarratives"];
    assert_eq!(report["succeeded"], true, "{body:#}");
    assert_eq!(report["narratives"]["countries"][0]["iso3"], "KAZ");
    let data = app
        .query(r#"{ country(iso3: "KAZ") { narratives(edition: 2023) { heading } } }"#, json!({}))
        .await;
    assert_eq!(data["country"]["narratives"], json!([{ "heading": "Drugs" }]));
}

#[tokio::test]
async fn narrative_texts_are_bounded_and_nul_free() {
    let app = TestApp::spawn(Content::Sample).await.unwrap();
    let before = written(&app).await;
    let with_nul = SUMMARY.replace("long roads", "long\u{0} roads").into_bytes();
    let body = app
        .graphql_upload(IMPORT_NARRATIVES, json!({ "e": 2023 }), with_nul, Some(ADMIN_TOKEN))
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{body:#}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "file");
    let huge = SUMMARY.repeat(5 * 1024 * 1024 / SUMMARY.len()).into_bytes();
    assert!(huge.len() > 4 * 1024 * 1024);
    let body =
        app.graphql_upload(IMPORT_NARRATIVES, json!({ "e": 2023 }), huge, Some(ADMIN_TOKEN)).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{body:#}");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("at most 4194304"), "{message}");
    assert_eq!(written(&app).await, before);
}

/// A workbook with one `2023_dataset` sheet: a header, one row, and `extra` cells.
fn workbook(extra: &[(u32, u16, &str)]) -> Vec<u8> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("2023_dataset").unwrap();
    for (c, header) in ["Country", "Continent", "Region"].iter().enumerate() {
        sheet.write_string(0, c as u16, *header).unwrap();
    }
    for (c, value) in ["Kazakhstan", "Asia", "Central Asia"].iter().enumerate() {
        sheet.write_string(1, c as u16, *value).unwrap();
    }
    for &(r, c, text) in extra {
        sheet.write_string(r, c, text).unwrap();
    }
    book.save_to_buffer().unwrap()
}

/// `bytes` with each part passed through `edit` (part name, content) and `added` parts.
fn rezip(
    bytes: &[u8],
    edit: impl Fn(&str, Vec<u8>) -> Vec<u8>,
    added: &[(&str, &[u8])],
) -> Vec<u8> {
    let mut source = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for i in 0..source.len() {
        let mut part = source.by_index(i).unwrap();
        let name = part.name().unwrap().into_owned();
        let mut content = Vec::new();
        part.read_to_end(&mut content).unwrap();
        out.start_file(name.as_str(), options).unwrap();
        out.write_all(&edit(&name, content)).unwrap();
    }
    for (name, content) in added {
        out.start_file(*name, options).unwrap();
        out.write_all(content).unwrap();
    }
    out.finish().unwrap().into_inner()
}

const IMPORT_DATASET: &str = "mutation($file: Upload!) {
    importDataset(file: $file, dryRun: true) { succeeded problems { sheet reason } } }";

/// The problems an `importDataset` dry run reports for `bytes`.
async fn dataset_problems(app: &TestApp, bytes: Vec<u8>) -> Vec<String> {
    let body = app.graphql_upload(IMPORT_DATASET, json!({}), bytes, Some(ADMIN_TOKEN)).await;
    let report = &body["data"]["importDataset"];
    assert_eq!(report["succeeded"], false, "{body:#}");
    report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["reason"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_workbook_naming_the_last_cell_of_a_sheet_is_refused_before_allocating() {
    let app = TestApp::spawn(Content::Sample).await.unwrap();
    // one cell at XFD1048576: the reader sized the sheet by it and asked for 549 GB
    let declared = workbook(&[(1_048_575, 16_383, "far")]);
    let problems = dataset_problems(&app, declared).await;
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("declares a cell at XFD1048576"), "{problems:?}");
    assert!(problems[0].contains("1000 rows × 200 columns"), "{problems:?}");

    // the same cell in a sheet that declares a small extent: found as it is read
    let hidden = rezip(
        &workbook(&[(1_048_575, 16_383, "far")]),
        |name, content| {
            if !name.starts_with("xl/worksheets/") {
                return content;
            }
            let text = String::from_utf8(content).unwrap();
            text.replace(r#"<dimension ref="A1:XFD1048576"/>"#, r#"<dimension ref="A1:C2"/>"#)
                .into_bytes()
        },
        &[],
    );
    let problems = dataset_problems(&app, hidden).await;
    assert!(problems[0].contains("holds a cell at XFD1048576"), "{problems:?}");

    // a shared string of 30,000 characters, which every cell naming it would copy
    let long = "y".repeat(30_000);
    let problems = dataset_problems(&app, workbook(&[(2, 0, &long)])).await;
    assert!(problems[0].contains("holds 30000 characters"), "{problems:?}");
    alive(&app).await;
}

#[tokio::test]
async fn a_small_upload_that_unpacks_to_gigabytes_is_refused_unopened() {
    let app = TestApp::spawn(Content::Sample).await.unwrap();
    // 40 MiB of spaces in a part zips to about 40 kB
    let padding = vec![b' '; 40 * 1024 * 1024];
    let bomb = rezip(&workbook(&[]), |_, content| content, &[("xl/padding.xml", &padding)]);
    assert!(bomb.len() < 1024 * 1024, "{} bytes", bomb.len());
    let problems = dataset_problems(&app, bomb).await;
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].contains("xl/padding.xml") && problems[0].contains("unpacks to 41943040 bytes"),
        "{problems:?}"
    );
    // parts that each pass but together are too many bytes
    let parts: Vec<(String, Vec<u8>)> =
        (0..5).map(|i| (format!("xl/pad{i}.xml"), vec![b' '; 30 * 1024 * 1024])).collect();
    let added: Vec<(&str, &[u8])> = parts.iter().map(|(n, c)| (n.as_str(), c.as_slice())).collect();
    let bombs = rezip(&workbook(&[]), |_, content| content, &added);
    let problems = dataset_problems(&app, bombs).await;
    assert!(problems[0].contains("the workbook unpacks to"), "{problems:?}");
    alive(&app).await;
}
