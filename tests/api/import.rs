//! Importing the official dataset: dry runs, idempotence, and bad files that change nothing.
use calamine::{Data, Reader, Xlsx};
use ocindex::import::{import_dataset, Problem};
use ocindex_tests::{dataset_path, Content, TestApp};
use rust_xlsxwriter::Workbook;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

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
    let report = import_dataset(&app.db, &bytes, true).await.unwrap();
    assert!(report.succeeded(), "{report}");
    assert_eq!((report.composites_reproduced, report.composites_checked), (1544, 1544));
    assert_eq!(report.editions, vec![2023, 2021]);
    assert_eq!(report.countries, 386);
    assert_eq!(report.scores_written, 193 * 26 + 193 * 32);
    assert_eq!(fingerprint(&app.db).await, before);
}

#[tokio::test]
async fn importing_the_same_file_twice_changes_nothing() {
    let Some(bytes) = official_bytes() else { return };
    let app = TestApp::spawn(Content::Official).await.unwrap();
    let before = fingerprint(&app.db).await;
    let report = import_dataset(&app.db, &bytes, false).await.unwrap();
    assert!(report.succeeded(), "{report}");
    assert_eq!(report.figures_stored, 12_738);
    assert_eq!(fingerprint(&app.db).await, before);
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
    let report = import_dataset(&app.db, &corrupted, false).await.unwrap();
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
    let report = import_dataset(&app.db, b"Country,Score\nKazakhstan,4.47\n", false).await.unwrap();
    assert_eq!(report.problems.len(), 1);
    assert!(report.problems[0].reason.contains("not a readable .xlsx workbook"));
}
