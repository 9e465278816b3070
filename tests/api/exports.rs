//! Bulk downloads: an analyst gets the Index with one URL, as CSV, JSON or the official
//! workbook layout, which imports back into the same figures.
use ocindex::auth::Actor;
use ocindex::workflow::import;
use ocindex_tests::{Content, TestApp, ADMIN_TOKEN};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::io::Read;

async fn fetch(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(format!("{}{path}", app.address));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.expect("the server answers")
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
}

/// The CSV row of one country and indicator, split on commas (these rows quote nothing).
fn csv_row<'a>(text: &'a str, prefix: &str) -> Vec<&'a str> {
    let line = text.split("\r\n").find(|l| l.starts_with(prefix)).expect(prefix);
    line.split(',').collect()
}

#[tokio::test]
async fn one_url_gives_every_figure_of_an_edition_as_published() {
    let Some(app) = TestApp::spawn(Content::Official).await else { return };
    let response = fetch(&app, "/exports/2023.csv", &[]).await;
    assert_eq!(response.status(), 200);
    assert!(header(&response, "content-type").starts_with("text/csv"));
    assert_eq!(
        header(&response, "content-disposition"),
        "attachment; filename=\"ocindex-2023.csv\""
    );
    let text = response.text().await.unwrap();
    assert!(text.ends_with("\r\n") && !text.replace("\r\n", "").contains('\n'), "CRLF lines");
    let lines: Vec<&str> = text.trim_end().split("\r\n").collect();
    assert_eq!(
        lines[0],
        "edition,iso3,country,continent,region,indicator,indicator_name,pillar,is_composite,\
         value,delta,rank,rank_in_continent,rank_in_region"
    );
    // 193 countries, 36 indicators in 2023 (4 composites, 15 markets, 5 actors, 12 resilience)
    assert_eq!(lines.len(), 1 + 193 * 36);

    // the reference figures of the Kazakhstan 2023 page (methodology.md)
    let row = csv_row(&text, "2023,KAZ,Kazakhstan,Asia,Central Asia and the Caucasus,criminality,");
    assert_eq!((row[8], row[9]), ("true", "4.47"));
    let row =
        csv_row(&text, "2023,KAZ,Kazakhstan,Asia,Central Asia and the Caucasus,criminal-markets,");
    assert_eq!((row[9], row[10]), ("4.33", "0.18"));
    let row =
        csv_row(&text, "2023,KAZ,Kazakhstan,Asia,Central Asia and the Caucasus,criminal-actors,");
    assert_eq!((row[9], row[10]), ("4.60", "0.23"));
    let row =
        csv_row(&text, "2023,KGZ,Kyrgyzstan,Asia,Central Asia and the Caucasus,criminal-actors,");
    assert_eq!((row[9], row[10]), ("6.00", "-0.25"));
    let row = csv_row(
        &text,
        "2023,KAZ,Kazakhstan,Asia,Central Asia and the Caucasus,synthetic-drug-trade,",
    );
    assert_eq!((row[8], row[10]), ("false", "1.00"));
    // an indicator new in 2023 has no delta: the pages' n/a is an empty field
    let row =
        csv_row(&text, "2023,KAZ,Kazakhstan,Asia,Central Asia and the Caucasus,financial-crimes,");
    assert_eq!(row[10], "");
    // names with commas are quoted (RFC 4180)
    assert!(text.contains("\r\n2023,PRK,\"Korea, DPR\",Asia,"), "quoted: {}", &text[..300]);

    // all editions in one file: every stored figure
    let all = fetch(&app, "/exports/all.csv", &[]).await.text().await.unwrap();
    assert_eq!(all.trim_end().split("\r\n").count(), 1 + 12_738);

    // the same rows as JSON
    let rows: Value = fetch(&app, "/exports/2023.json", &[]).await.json().await.unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 193 * 36);
    let kaz =
        rows.iter().find(|r| r["iso3"] == "KAZ" && r["indicator"] == "criminal-actors").unwrap();
    assert_eq!(kaz["value"].as_f64(), Some(4.6));
    assert_eq!(kaz["delta"].as_f64(), Some(0.23));
    assert_eq!(kaz["edition"], 2023);
    assert_eq!(kaz["is_composite"], true);
}

#[tokio::test]
async fn downloads_revalidate_compress_and_are_listed_on_the_edition() {
    let Some(app) = TestApp::spawn(Content::Sample).await else { return };
    let plain = fetch(&app, "/exports/2023.csv", &[]).await;
    let etag = header(&plain, "etag").to_owned();
    assert!(etag.starts_with('"') && etag.len() == 66, "a strong ETag: {etag}");
    assert_eq!(header(&plain, "cache-control"), "public, max-age=60");
    let body = plain.bytes().await.unwrap();
    let sha: String = Sha256::digest(&body).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(etag, format!("\"{sha}\""));

    let again = fetch(&app, "/exports/2023.csv", &[("if-none-match", &etag)]).await;
    assert_eq!(again.status(), 304);
    assert!(again.bytes().await.unwrap().is_empty());

    let gzip = fetch(&app, "/exports/2023.csv", &[("accept-encoding", "gzip")]).await;
    assert_eq!(header(&gzip, "content-encoding"), "gzip");
    let gzip_etag = header(&gzip, "etag").to_owned();
    assert_ne!(gzip_etag, etag, "another representation, another strong tag");
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&gzip.bytes().await.unwrap()[..])
        .read_to_end(&mut unzipped)
        .unwrap();
    assert_eq!(unzipped, body);
    let again = fetch(&app, "/exports/2023.csv", &[("if-none-match", &gzip_etag)]).await;
    assert_eq!(again.status(), 304);

    let data = app
        .query("{ edition(year: 2023) { downloads { format url bytes sha256 } } }", json!({}))
        .await;
    let downloads = data["edition"]["downloads"].as_array().unwrap();
    let formats: Vec<&str> = downloads.iter().map(|d| d["format"].as_str().unwrap()).collect();
    assert_eq!(formats, ["CSV", "JSON", "XLSX"]);
    assert_eq!(downloads[0]["url"], "/exports/2023.csv");
    assert_eq!(downloads[0]["bytes"], json!(body.len()));
    assert_eq!(downloads[0]["sha256"], sha);
    for download in downloads {
        let file = fetch(&app, download["url"].as_str().unwrap(), &[]).await;
        let bytes = file.bytes().await.unwrap();
        assert_eq!(download["bytes"], json!(bytes.len()));
        let sha: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(download["sha256"], sha);
    }

    let unknown = fetch(&app, "/exports/1999.csv", &[]).await;
    assert_eq!(unknown.status(), 404);
    assert_eq!(unknown.text().await.unwrap(), "there is no edition 1999; editions: 2021, 2023");
    assert_eq!(fetch(&app, "/exports/2023.pdf", &[]).await.status(), 404);
    let bad_token = fetch(&app, "/exports/2023.csv", &[("authorization", "Bearer nope")]).await;
    assert_eq!(bad_token.status(), 401);
}

#[tokio::test]
async fn drafts_are_downloaded_only_with_an_editor_or_admin_token() {
    let Some(app) = TestApp::spawn(Content::Sample).await else { return };
    let before = header(&fetch(&app, "/exports/all.csv", &[]).await, "etag").to_owned();
    app.ok(Some(ADMIN_TOKEN), "mutation { reopenEdition(year: 2023) { status } }", json!({})).await;
    // the change notification empties the kept digests; give it a moment to arrive
    let mut after = before.clone();
    for _ in 0..50 {
        after = header(&fetch(&app, "/exports/all.csv", &[]).await, "etag").to_owned();
        if after != before {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_ne!(after, before, "the public file no longer holds the draft");
    let public = fetch(&app, "/exports/all.csv", &[]).await.text().await.unwrap();
    assert!(!public.contains("\r\n2023,"));
    assert_eq!(fetch(&app, "/exports/2023.csv", &[]).await.status(), 404);

    let bearer = format!("Bearer {ADMIN_TOKEN}");
    let admin = fetch(&app, "/exports/2023.csv", &[("authorization", &bearer)]).await;
    assert_eq!(admin.status(), 200);
    assert_eq!(header(&admin, "cache-control"), "private, no-cache");
    assert!(admin.text().await.unwrap().contains("\r\n2023,KAZ,"));
    let all = fetch(&app, "/exports/all.csv", &[("authorization", &bearer)]).await;
    assert!(all.text().await.unwrap().contains("\r\n2023,KAZ,"));
}

/// Everything an import writes, by natural keys (ids differ between databases).
async fn content(db: &DatabaseConnection) -> String {
    let sql = "SELECT concat_ws('|',
        (SELECT md5(string_agg(concat_ws(',', e.year, c.iso3, i.slug, s.value), ';'
            ORDER BY e.year, c.iso3, i.slug)) FROM scores s JOIN editions e ON e.id = s.edition_id
            JOIN countries c ON c.id = s.country_id JOIN indicators i ON i.id = s.indicator_id),
        (SELECT md5(string_agg(concat_ws(',', e.year, c.iso3, i.slug, f.value, f.delta, f.rank,
            f.rank_in_continent, f.rank_in_region), ';' ORDER BY e.year, c.iso3, i.slug))
            FROM figures f JOIN editions e ON e.id = f.edition_id
            JOIN countries c ON c.id = f.country_id JOIN indicators i ON i.id = f.indicator_id),
        (SELECT md5(string_agg(concat_ws(',', e.year, c.iso3, ce.continent, ce.region), ';'
            ORDER BY e.year, c.iso3)) FROM country_editions ce JOIN editions e ON e.id = ce.edition_id
            JOIN countries c ON c.id = ce.country_id),
        (SELECT md5(string_agg(concat_ws(',', e.year, i.slug), ';' ORDER BY e.year, i.slug))
            FROM edition_indicators ei JOIN editions e ON e.id = ei.edition_id
            JOIN indicators i ON i.id = ei.indicator_id),
        (SELECT string_agg(concat_ws(',', year, status), ';' ORDER BY year) FROM editions),
        (SELECT count(*) FROM figure_changes)) AS digest";
    let row = db
        .query_one(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "digest").unwrap()
}

#[tokio::test]
async fn a_downloaded_workbook_imports_back_into_the_same_figures() {
    let Some(official) = TestApp::spawn(Content::Official).await else { return };
    let copy = TestApp::spawn(Content::Empty).await.unwrap();
    for year in [2021, 2023] {
        let response = fetch(&official, &format!("/exports/{year}.xlsx"), &[]).await;
        assert_eq!(response.status(), 200);
        assert_eq!(
            header(&response, "content-disposition"),
            format!("attachment; filename=\"ocindex-{year}.xlsx\"")
        );
        let book = response.bytes().await.unwrap().to_vec();
        let report = import::dataset(&copy.db, &Actor::command_line(), &book, false).await.unwrap();
        assert!(report.succeeded(), "{report}");
        assert_eq!(report.editions, vec![year]);
        assert_eq!(report.countries, 193);
        // every composite column of the download is reproduced from its scores
        assert_eq!(report.composites_reproduced, report.composites_checked);
        assert_eq!(report.composites_checked, 193 * 4);
    }
    assert_eq!(content(&copy.db).await, content(&official.db).await);
}
