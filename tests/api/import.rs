//! Importing the official dataset: dry runs, idempotence, and bad files that change nothing;
//! each import one transaction with its audit entry.
use calamine::{Data, Reader, Xlsx};
use ocindex::auth::Actor;
use ocindex::import::{ImportReport, Problem};
use ocindex::workflow;
use ocindex_tests::{dataset_path, Content, TestApp, TestDatabase, SERVER_URL};
use rust_xlsxwriter::Workbook;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

/// Imports `bytes` as the command line does (`ocindex import`): through the workflow, as
/// its operator.
async fn import_dataset(db: &DatabaseConnection, bytes: &[u8], dry_run: bool) -> ImportReport {
    workflow::import::dataset(db, &Actor::command_line(), bytes, dry_run)
        .await
        .expect("the import runs")
}

/// A digest of everything an import writes, to prove that nothing changed.
async fn fingerprint(db: &DatabaseConnection) -> String {
    let sql = "SELECT concat_ws('|',
        (SELECT md5(string_agg(concat_ws(',', edition_id, country_id, indicator_id, value), ';'
            ORDER BY edition_id, country_id, indicator_id)) FROM scores),
        (SELECT md5(string_agg(concat_ws(',', edition_id, country_id, indicator_id, value, delta, rank,
            rank_in_continent, rank_in_region), ';' ORDER BY edition_id, country_id, indicator_id)) FROM figures),
        (SELECT md5(string_agg(concat_ws(',', year, status, published_at), ';' ORDER BY year)) FROM editions),
        (SELECT md5(string_agg(concat_ws(',', edition_id, country_id, continent, region), ';'
            ORDER BY edition_id, country_id)) FROM country_editions),
        (SELECT count(*) FROM figure_changes)) AS digest";
    let row = db
        .query_one(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "digest").unwrap()
}

fn official_bytes() -> Option<Vec<u8>> {
    Some(std::fs::read(dataset_path()?).expect("dataset readable"))
}

/// A copy of the official workbook with `edit` applied to each sheet's cells
/// (sheet name, row, column, cell) -> Some(new cell) or None to drop the cell.
fn altered_copy(edit: impl Fn(&str, usize, usize, &Data) -> Option<Data>) -> Vec<u8> {
    let mut source: Xlsx<_> = calamine::open_workbook(dataset_path().unwrap()).unwrap();
    let mut copy = Workbook::new();
    for name in source.sheet_names() {
        let range = source.worksheet_range(&name).unwrap();
        let sheet = copy.add_worksheet();
        sheet.set_name(&name).unwrap();
        for (r, row) in range.rows().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r16, c16) = (r as u32, c as u16);
                match edit(&name, r, c, cell) {
                    Some(Data::Float(f)) => drop(sheet.write_number(r16, c16, f)),
                    Some(Data::String(s)) => drop(sheet.write_string(r16, c16, &s)),
                    Some(other) if other != Data::Empty => {
                        drop(sheet.write_string(r16, c16, other.to_string()))
                    }
                    _ => {}
                }
            }
        }
    }
    copy.save_to_buffer().unwrap()
}

#[tokio::test]
async fn a_dry_run_checks_everything_and_writes_nothing() {
    let Some(bytes) = official_bytes() else { return };
    let app = TestApp::spawn(Content::Empty).await.unwrap();
    let before = fingerprint(&app.db).await;
    let report = import_dataset(&app.db, &bytes, true).await;
    assert!(report.succeeded(), "{report}");
    assert_eq!((report.composites_reproduced, report.composites_checked), (1544, 1544));
    assert_eq!(report.editions, vec![2023, 2021]);
    assert_eq!(report.countries, 386);
    assert_eq!(report.scores_written, 193 * 26 + 193 * 32);
    assert_eq!(fingerprint(&app.db).await, before);
}

#[tokio::test]
async fn importing_the_same_file_twice_writes_nothing_and_says_so() {
    let Some(bytes) = official_bytes() else { return };
    let app = TestApp::spawn(Content::Official).await.unwrap();
    let before = (fingerprint(&app.db).await, row_versions(&app.db).await);
    let last = last_audit_id(&app.db).await;
    let report = import_dataset(&app.db, &bytes, false).await;
    assert!(report.succeeded(), "{report}");
    assert_eq!(report.scores_read, 193 * 26 + 193 * 32);
    assert_eq!((report.scores_written, report.rows_changed, report.figures_stored), (0, 0, 0));
    assert!(!report.written());
    assert!(report.to_string().contains("nothing changed"), "{report}");
    assert!(report.to_string().contains("11194 read, 0 written"), "{report}");
    // not a row rewritten: every row keeps the transaction id that wrote it
    assert_eq!((fingerprint(&app.db).await, row_versions(&app.db).await), before);
    // and the attempt is in the audit log, as one successful import that wrote nothing
    assert_eq!(
        audit_since(&app.db, last).await,
        [(
            "importDataset".to_owned(),
            "OK".to_owned(),
            "cli".to_owned(),
            r#"{"rows": 0, "scores": 0, "figures": 0, "editions": 2, "countries": 386}"#.to_owned(),
        )]
    );
    // a dry run of it says the same
    let dry = import_dataset(&app.db, &bytes, true).await;
    assert_eq!((dry.scores_written, dry.rows_changed), (0, 0));
    assert!(dry.to_string().contains("dry run: nothing written"), "{dry}");
}

#[tokio::test]
async fn changed_scores_are_the_only_rows_an_import_rewrites() {
    let Some(bytes) = official_bytes() else { return };
    let app = TestApp::spawn(Content::Official).await.unwrap();
    // two criminal markets of one country, one half a step up and the other down: their
    // composites' means stay, so the file is still sound and differs by two scores
    let sheet = "2023_dataset";
    let (first, second) =
        (column(&bytes, sheet, "Human trafficking"), column(&bytes, sheet, "Arms trafficking"));
    let (row, up, down) = (1..200)
        .find_map(|row| {
            let (a, b) = (cell(&bytes, sheet, row, first), cell(&bytes, sheet, row, second));
            if a < 10.0 && b > 1.0 {
                Some((row, (first, a + 0.5), (second, b - 0.5)))
            } else if a > 1.0 && b < 10.0 {
                Some((row, (first, a - 0.5), (second, b + 0.5)))
            } else {
                None
            }
        })
        .expect("a country whose two scores can move");
    let copy = altered_copy(|name, r, c, cell| match (name == sheet && r == row, c) {
        (true, c) if c == up.0 => Some(Data::Float(up.1)),
        (true, c) if c == down.0 => Some(Data::Float(down.1)),
        _ => Some(cell.clone()),
    });
    let dry = import_dataset(&app.db, &copy, true).await;
    assert!(dry.succeeded(), "{dry}");
    assert_eq!((dry.scores_written, dry.rows_changed), (2, 2), "{dry}");
    assert!(dry.to_string().contains("11194 read, 2 would be written"), "{dry}");
    let versions = score_versions(&app.db).await;
    let report = import_dataset(&app.db, &copy, false).await;
    assert_eq!((report.scores_written, report.rows_changed), (2, 2), "{report}");
    assert_eq!(report.figures_stored, 12_738, "the figures are rebuilt after a change");
    let now = score_versions(&app.db).await;
    assert_eq!(now.len(), versions.len());
    let rewritten = now.iter().zip(&versions).filter(|(a, b)| a != b).count();
    assert_eq!(rewritten, 2, "two score rows rewritten, the other 11192 untouched");
}

#[tokio::test]
async fn a_file_with_problems_is_audited_as_refused_with_its_problem_count() {
    let app = TestApp::spawn(Content::Sample).await.unwrap();
    let before = fingerprint(&app.db).await;
    let last = last_audit_id(&app.db).await;
    let report = import_dataset(&app.db, b"not a workbook", false).await;
    assert_eq!(report.problems.len(), 1);
    assert_eq!(fingerprint(&app.db).await, before);
    assert_eq!(
        audit_since(&app.db, last).await,
        [(
            "importDataset".to_owned(),
            "REFUSED".to_owned(),
            "cli".to_owned(),
            r#"{"problems": 1}"#.to_owned(),
        )]
    );
}

#[tokio::test]
async fn an_import_whose_audit_entry_cannot_be_written_writes_nothing() {
    let Some(bytes) = official_bytes() else { return };
    let app = TestApp::spawn(Content::Empty).await.unwrap();
    let before = fingerprint(&app.db).await;
    // the audit log refuses every entry: the import's writes share its transaction
    app.db
        .execute_unprepared(
            "CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN RAISE EXCEPTION 'the audit log is closed'; END $$;
             CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log
             FOR EACH ROW EXECUTE FUNCTION refuse_audit();",
        )
        .await
        .unwrap();
    let result = workflow::import::dataset(&app.db, &Actor::command_line(), &bytes, false).await;
    let error = result.expect_err("an import that cannot be audited fails");
    assert_eq!(error.code(), "INTERNAL");
    assert_eq!(fingerprint(&app.db).await, before, "no edition, score or figure was written");
}

/// The transaction ids that last wrote every row an import can write, in key order.
async fn row_versions(db: &DatabaseConnection) -> String {
    let sql = "SELECT md5(concat_ws('|',
        (SELECT string_agg(xmin::text, ',' ORDER BY edition_id, country_id, indicator_id) FROM scores),
        (SELECT string_agg(xmin::text, ',' ORDER BY edition_id, country_id, indicator_id) FROM figures),
        (SELECT string_agg(xmin::text, ',' ORDER BY year) FROM editions),
        (SELECT string_agg(xmin::text, ',' ORDER BY edition_id, country_id) FROM country_editions),
        (SELECT string_agg(xmin::text, ',' ORDER BY edition_id, indicator_id) FROM edition_indicators)
        )) AS versions";
    let row = db.query_one(Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
    row.unwrap().try_get("", "versions").unwrap()
}

async fn score_versions(db: &DatabaseConnection) -> Vec<String> {
    let sql = "SELECT xmin::text AS v FROM scores ORDER BY edition_id, country_id, indicator_id";
    let rows = db.query_all(Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
    rows.into_iter().map(|r| r.try_get("", "v").unwrap()).collect()
}

async fn last_audit_id(db: &DatabaseConnection) -> i64 {
    let sql = "SELECT coalesce(max(id), 0)::bigint AS id FROM audit_log";
    let row = db.query_one(Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
    row.unwrap().try_get("", "id").unwrap()
}

/// (operation, outcome, actor, counts) of the audit entries after `id`, oldest first.
async fn audit_since(db: &DatabaseConnection, id: i64) -> Vec<(String, String, String, String)> {
    let sql = format!(
        "SELECT operation, outcome, actor, counts::text AS counts FROM audit_log
         WHERE id > {id} ORDER BY id"
    );
    let rows = db.query_all(Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
    rows.into_iter()
        .map(|r| {
            let text = |c: &str| r.try_get::<String>("", c).unwrap();
            (text("operation"), text("outcome"), text("actor"), text("counts"))
        })
        .collect()
}

/// The zero-based column of `header` in the first row of `sheet`.
fn column(bytes: &[u8], sheet: &str, header: &str) -> usize {
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let range = book.worksheet_range(sheet).unwrap();
    let first = range.rows().next().expect("a header row");
    first.iter().position(|c| c.to_string().trim() == header).expect("the header is there")
}

/// A numeric cell of the official workbook (zero-based row and column).
fn cell(bytes: &[u8], sheet: &str, row: usize, column: usize) -> f64 {
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let range = book.worksheet_range(sheet).unwrap();
    match range.rows().nth(row).and_then(|r| r.get(column)) {
        Some(Data::Float(f)) => *f,
        Some(Data::Int(i)) => *i as f64,
        other => panic!("not a number: {other:?}"),
    }
}

#[tokio::test]
async fn a_corrupted_file_names_every_problem_and_changes_nothing() {
    if dataset_path().is_none() {
        return;
    }
    let app = TestApp::spawn(Content::Official).await.unwrap();
    let before = fingerprint(&app.db).await;
    let corrupted = altered_copy(|sheet, row, column, cell| match (sheet, row, column) {
        // spreadsheet rows 2, 3 and 4 are the first countries; column F is human trafficking
        ("2023_dataset", 1, 5) => Some(Data::Float(11.0)),
        ("2023_dataset", 2, 7) => Some(Data::Float(4.3)),
        ("2023_dataset", 3, 2) => Some(Data::String("Atlantis".into())),
        // 2021's column L is heroin trade: drop the whole column
        ("2021_dataset", _, 11) => None,
        _ => Some(cell.clone()),
    });
    let report = import_dataset(&app.db, &corrupted, false).await;
    let find = |sheet: &str, row: Option<u32>, column: &str| -> &Problem {
        report
            .problems
            .iter()
            .find(|p| {
                p.sheet.as_deref() == Some(sheet)
                    && p.row == row
                    && p.column.as_deref() == Some(column)
            })
            .unwrap_or_else(|| {
                panic!("no problem reported at {sheet} row {row:?} {column}:\n{report}")
            })
    };
    let eleven = find("2023_dataset", Some(2), "Human trafficking");
    assert_eq!(eleven.value.as_deref(), Some("11"));
    assert!(eleven.reason.contains("outside the scale"), "{}", eleven.reason);
    let off_step = find("2023_dataset", Some(3), "Arms trafficking");
    assert_eq!(off_step.value.as_deref(), Some("4.3"));
    assert!(off_step.reason.contains("half step"), "{}", off_step.reason);
    let unknown = find("2023_dataset", Some(4), "Country");
    assert_eq!(unknown.value.as_deref(), Some("Atlantis"));
    assert!(unknown.reason.contains("unknown country"));
    let missing = find("2021_dataset", Some(1), "Heroin trade");
    assert!(missing.reason.contains("missing"), "{}", missing.reason);
    assert_eq!(report.problems.len(), 4, "exactly the four problems:\n{report}");
    assert_eq!(fingerprint(&app.db).await, before, "nothing was written");
    // and the report says so
    assert!(report.to_string().contains("nothing written"));
}

#[tokio::test]
async fn a_file_that_is_not_a_workbook_is_refused_plainly() {
    let app = TestApp::spawn(Content::Empty).await.unwrap();
    let report = import_dataset(&app.db, b"Country,Score\nKazakhstan,4.47\n", false).await;
    assert_eq!(report.problems.len(), 1);
    assert!(report.problems[0].reason.contains("not a readable .xlsx workbook"));
}

/// `ocindex ARGS…`, run as the operator runs it.
fn ocindex(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_ocindex-server"))
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
        .output()
        .expect("ocindex runs")
}

async fn server() -> DatabaseConnection {
    sea_orm::Database::connect(format!("{SERVER_URL}/postgres")).await.unwrap()
}

async fn scalar(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db.query_one(Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
    row.unwrap().try_get_by_index(0).unwrap()
}

#[tokio::test]
async fn a_command_line_dry_run_creates_and_migrates_nothing() {
    let name = format!("ocindex_test_{}", uuid::Uuid::new_v4().simple());
    let url = format!("{SERVER_URL}/{name}");
    let file = std::env::temp_dir().join(format!("{name}.xlsx"));
    std::fs::write(&file, b"not a workbook").unwrap();
    let file = file.to_str().unwrap();
    let exists = format!("SELECT count(*) FROM pg_database WHERE datname = '{name}'");

    // no database: said so, and none is created
    let out = ocindex(&["import", "--dry-run", file, "--database-url", &url]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("does not exist") && stderr.contains("ocindex migrate"), "{stderr}");
    let server = server().await;
    assert_eq!(scalar(&server, &exists).await, 0, "no database was created");
    let out = ocindex(&[
        "import-narratives",
        "--dry-run",
        file,
        "--edition",
        "2023",
        "--database-url",
        &url,
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
    assert_eq!(scalar(&server, &exists).await, 0, "no database was created");

    // an empty database: said to be unmigrated, and left empty
    server.execute_unprepared(&format!("CREATE DATABASE {name}")).await.unwrap();
    let _dropped_at_the_end = TestDatabase { name: name.clone() };
    let out = ocindex(&["import", "--dry-run", file, "--database-url", &url]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("not migrated") && stderr.contains("ocindex migrate"), "{stderr}");
    let db = sea_orm::Database::connect(&url).await.unwrap();
    let tables = "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'";
    assert_eq!(scalar(&db, tables).await, 0, "no table was created");
    db.close().await.unwrap();
    server.close().await.unwrap();
    std::fs::remove_file(file).unwrap();
}

#[tokio::test]
async fn a_command_line_dry_run_says_what_it_would_write_and_writes_nothing() {
    let Some(path) = dataset_path() else { return };
    let app = TestApp::spawn(Content::Empty).await.unwrap();
    let before = (fingerprint(&app.db).await, last_audit_id(&app.db).await);
    let url = app.database.url();
    let out = ocindex(&["import", "--dry-run", path.to_str().unwrap(), "--database-url", &url]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("11194 read, 11194 would be written"), "{stdout}");
    assert!(stdout.contains("dry run: nothing written"), "{stdout}");
    // not even an audit entry: the dry run's transaction was read only
    assert_eq!((fingerprint(&app.db).await, last_audit_id(&app.db).await), before);
}
