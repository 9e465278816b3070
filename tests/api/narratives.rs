//! Narratives: the real country pages and PDF summary from ../shared/seeds imported,
//! attributed, cleaned, linked to indicators, checked against the figures, and searched.
use ocindex::auth::Actor;
use ocindex::error::ApiError;
use ocindex::import::narratives::{read, Catalog, NarrativeReport};
use ocindex::repo::narratives::{replace, NewNarrative};
use ocindex_tests::{seeds_dir, Content, TestApp, ADMIN_TOKEN};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::{json, Value};

/// The 2023 country pages of Kazakhstan, then of Kyrgyzstan.
const PAGES: &str = "000_34da6d184f89e517.txt";
/// The 2021 PDF summary of Kyrgyzstan.
const SUMMARY: &str = "001_33f43f449a1ec3ae.txt";

/// What each paragraph of the 2023 page of Kazakhstan covers, read off the text by hand.
const KAZ_2023: &[&[&str]] = &[
    &["human-trafficking"],
    &["human-smuggling", "extortion-and-protection-racketeering"],
    &["arms-trafficking"],
    &["trade-in-counterfeit-goods", "illicit-trade-in-excisable-goods"],
    &["flora-crimes"],
    &["fauna-crimes"],
    &["non-renewable-resource-crimes"],
    &["heroin-trade", "cocaine-trade"],
    &["cannabis-trade"],
    &["synthetic-drug-trade"],
    &["cyber-dependent-crimes"],
    &["financial-crimes"],
    // the page takes state-embedded and foreign actors first, then the groups and networks
    &["state-embedded-actors", "foreign-actors"],
    &["mafia-style-groups", "criminal-networks", "private-sector-actors"],
    &["political-leadership-and-governance", "government-transparency-and-accountability"],
    &["international-cooperation", "national-policies-and-laws"],
    &["judicial-system-and-detention"],
    &["law-enforcement"],
    &["territorial-integrity"],
    &["anti-money-laundering"],
    &["economic-regulatory-capacity"],
    &["victim-and-witness-support"],
    &["prevention"],
    &["non-state-actors"],
];

/// The same for the 2023 page of Kyrgyzstan.
const KGZ_2023: &[&[&str]] = &[
    &["human-trafficking"],
    &["human-smuggling", "extortion-and-protection-racketeering"],
    &["arms-trafficking"],
    &["trade-in-counterfeit-goods", "illicit-trade-in-excisable-goods"],
    &["flora-crimes", "fauna-crimes"],
    &["non-renewable-resource-crimes"],
    &["heroin-trade", "cocaine-trade"],
    &["cannabis-trade"],
    &["synthetic-drug-trade"],
    &["cyber-dependent-crimes"],
    &["financial-crimes"],
    &["state-embedded-actors"],
    &["mafia-style-groups"],
    &["criminal-networks"],
    &["foreign-actors", "private-sector-actors"],
    &["political-leadership-and-governance", "government-transparency-and-accountability"],
    &["international-cooperation", "national-policies-and-laws"],
    &["judicial-system-and-detention"],
    &["law-enforcement"],
    &["territorial-integrity"],
    &["anti-money-laundering"],
    &["economic-regulatory-capacity"],
    &["victim-and-witness-support"],
    &["prevention"],
    &["non-state-actors"],
];

/// The sections of the 2021 summary of Kyrgyzstan: heading, paragraphs, indicators (the
/// 2021 edition's: no extortion, no counterfeits, no private sector actors).
const KGZ_2021: &[(&str, usize, &[&str])] = &[
    ("People", 2, &["human-trafficking", "human-smuggling"]),
    ("Trade", 1, &["arms-trafficking"]),
    ("Environment", 2, &["flora-crimes", "fauna-crimes", "non-renewable-resource-crimes"]),
    ("Drugs", 2, &["heroin-trade", "cocaine-trade", "cannabis-trade", "synthetic-drug-trade"]),
    (
        "Criminal actors",
        2,
        &["mafia-style-groups", "criminal-networks", "state-embedded-actors", "foreign-actors"],
    ),
    (
        "Leadership and governance",
        2,
        &[
            "political-leadership-and-governance",
            "government-transparency-and-accountability",
            "international-cooperation",
            "national-policies-and-laws",
        ],
    ),
    (
        "Criminal justice and security",
        2,
        &["judicial-system-and-detention", "law-enforcement", "territorial-integrity"],
    ),
    (
        "Economic and financial environment",
        2,
        &["anti-money-laundering", "economic-regulatory-capacity"],
    ),
    (
        "Civil society and social protection",
        2,
        &["victim-and-witness-support", "prevention", "non-state-actors"],
    ),
];

fn seed(name: &str) -> Option<String> {
    let dir = seeds_dir()?;
    Some(std::fs::read_to_string(dir.join(name)).expect("seed text readable"))
}

/// Imports as the command line does (`ocindex import-narratives`): through the workflow, as
/// its operator.
async fn import_narratives(
    db: &DatabaseConnection,
    text: &str,
    year: i32,
    country: Option<&str>,
    dry_run: bool,
) -> Result<NarrativeReport, ApiError> {
    let operator = Actor::command_line();
    ocindex::workflow::import::narratives(db, &operator, text, year, country, dry_run).await
}

async fn import(app: &TestApp, text: &str, year: i32, country: Option<&str>) -> NarrativeReport {
    import_narratives(&app.db, text, year, country, false).await.expect("the import runs")
}

async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index(0).unwrap()
}

/// A digest of the narratives, their links and the indicators' descriptions.
async fn digest(db: &DatabaseConnection) -> String {
    let sql = "SELECT concat_ws('|',
        (SELECT md5(coalesce(string_agg(concat_ws(',', id, edition_id, country_id, heading, body, position), ';' ORDER BY id), '')) FROM narratives),
        (SELECT md5(coalesce(string_agg(concat_ws(',', narrative_id, indicator_id, position), ';' ORDER BY narrative_id, indicator_id), '')) FROM narrative_indicators),
        (SELECT md5(coalesce(string_agg(concat_ws(',', id, description), ';' ORDER BY id), '')) FROM indicators))";
    let row = db
        .query_one(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index(0).unwrap()
}

/// The slugs each narrative of a country's edition covers, in order, through the API.
async fn mapping(app: &TestApp, iso3: &str, year: i32) -> Vec<Vec<String>> {
    let data = app
        .query(
            "query($c: String!, $y: Int) { country(iso3: $c) { narratives(edition: $y) { position indicators { slug } } } }",
            json!({ "c": iso3, "y": year }),
        )
        .await;
    let narratives = data["country"]["narratives"].as_array().unwrap();
    for (k, n) in narratives.iter().enumerate() {
        assert_eq!(n["position"], k, "narratives come in order");
    }
    narratives
        .iter()
        .map(|n| {
            n["indicators"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["slug"].as_str().unwrap().to_owned())
                .collect()
        })
        .collect()
}

fn expected(table: &[&[&str]]) -> Vec<Vec<String>> {
    table.iter().map(|row| row.iter().map(|s| s.to_string()).collect()).collect()
}

/// The page text with the score line under the `nth` (0-based) line naming `indicator`
/// replaced by `printed`; returns the text and the 1-based number of the replaced line.
fn with_score_line(text: &str, indicator: &str, nth: usize, printed: &str) -> (String, u32) {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let at = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.trim() == indicator)
        .nth(nth)
        .map(|(i, _)| i + 1)
        .unwrap_or_else(|| panic!("no line names {indicator} {nth} times"));
    lines[at] = printed.to_owned();
    (lines.join("\n"), at as u32 + 1)
}

#[tokio::test]
async fn both_seed_files_import_without_flags_into_linked_narratives() {
    let (Some(pages), Some(summary)) = (seed(PAGES), seed(SUMMARY)) else { return };
    let Some(app) = TestApp::spawn(Content::Official).await else { return };

    let report = import(&app, &pages, 2023, None).await;
    assert!(report.succeeded(), "{report}");
    assert!(report.written);
    let found: Vec<(Option<&str>, bool, usize, usize, usize)> = report
        .countries
        .iter()
        .map(|c| {
            (c.iso3.as_deref(), c.given, c.narratives.len(), c.figures_checked, c.figures_matching)
        })
        .collect();
    assert_eq!(found, [(Some("KAZ"), false, 24, 34, 34), (Some("KGZ"), false, 25, 34, 34)]);
    assert_eq!(mapping(&app, "KAZ", 2023).await, expected(KAZ_2023));
    assert_eq!(mapping(&app, "KGZ", 2023).await, expected(KGZ_2023));

    let report = import(&app, &summary, 2021, None).await;
    assert!(report.succeeded(), "{report}");
    let countries: Vec<Option<&str>> = report.countries.iter().map(|c| c.iso3.as_deref()).collect();
    assert_eq!(countries, [Some("KGZ")]);
    let data = app
        .query(
            r#"{ country(iso3: "KGZ") { narratives(edition: 2021) { heading body indicators { slug } } } }"#,
            json!({}),
        )
        .await;
    let sections = data["country"]["narratives"].as_array().unwrap();
    assert_eq!(sections.len(), KGZ_2021.len());
    for (section, (heading, paragraphs, slugs)) in sections.iter().zip(KGZ_2021) {
        assert_eq!(section["heading"], *heading);
        let body = section["body"].as_str().unwrap();
        assert_eq!(
            body.split("\n\n").count(),
            *paragraphs,
            "{heading}: paragraphs rejoined across page breaks"
        );
        let linked: Vec<&str> = section["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["slug"].as_str().unwrap())
            .collect();
        assert_eq!(linked, *slugs, "{heading}");
    }
    // the 2023 narratives are untouched by the 2021 import
    assert_eq!(mapping(&app, "KGZ", 2023).await.len(), 25);
}

#[tokio::test]
async fn country_narratives_filter_by_indicator_and_pillar() {
    let Some(pages) = seed(PAGES) else { return };
    let Some(app) = TestApp::spawn(Content::Official).await else { return };
    assert!(import(&app, &pages, 2023, None).await.succeeded());
    let data = app
        .query(
            r#"{ country(iso3: "KAZ") {
                  cocaine: narratives(indicator: "cocaine-trade") { position heading indicators { slug } }
                  actors: narratives(edition: 2023, indicator: "criminal-actors") { position heading }
                  all: narratives { position }
                  old: narratives(edition: 2021) { position } } }"#,
            json!({}),
        )
        .await;
    let kaz = &data["country"];
    assert_eq!(
        kaz["cocaine"],
        json!([{ "position": 7, "heading": "Criminal markets",
                 "indicators": [{ "slug": "heroin-trade" }, { "slug": "cocaine-trade" }] }]),
        "cocaine is covered with heroin"
    );
    assert_eq!(
        kaz["actors"],
        json!([{ "position": 12, "heading": "Criminal actors" }, { "position": 13, "heading": "Criminal actors" }])
    );
    assert_eq!(
        kaz["all"].as_array().unwrap().len(),
        24,
        "the default edition is the latest published"
    );
    assert_eq!(kaz["old"], json!([]));
    let err = app
        .query_error(
            r#"{ country(iso3: "KAZ") { narratives(indicator: "cocaine") { position } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(err["extensions"]["code"], "BAD_USER_INPUT");
    assert!(err["message"].as_str().unwrap().contains("cocaine-trade"), "{err}");
}

#[test]
fn each_country_is_told_by_its_own_text_unless_named() {
    let (Some(pages), Some(summary)) = (seed(PAGES), seed(SUMMARY)) else { return };
    let catalog = Catalog::reference(2023);
    let reading = read(&pages, &catalog, None);
    assert!(reading.problems.is_empty(), "{:?}", reading.problems);
    let told: Vec<(Option<&str>, bool)> =
        reading.countries.iter().map(|c| (c.iso3.as_deref(), c.given)).collect();
    assert_eq!(told, [(Some("KAZ"), false), (Some("KGZ"), false)]);
    // each page names its neighbour too, but far less often than itself
    let (kaz, kgz) = (&reading.countries[0].mentions, &reading.countries[1].mentions);
    assert!(kaz.of("KAZ") > 2 * kaz.of("KGZ") && kaz.of("KGZ") > 0, "{kaz:?}");
    assert!(kgz.of("KGZ") > 2 * kgz.of("KAZ") && kgz.of("KAZ") > 0, "{kgz:?}");

    // the second page alone is still Kyrgyzstan's (the first page's name line is glued to a link)
    let (kgz_line, _) =
        pages.lines().enumerate().find(|(_, l)| l.trim() == "Criminal markets").unwrap();
    let second: Vec<&str> = pages.lines().skip(kgz_line).collect();
    let reading = read(&second.join("\n"), &catalog, None);
    let told: Vec<Option<&str>> = reading.countries.iter().map(|c| c.iso3.as_deref()).collect();
    assert_eq!(told, [Some("KGZ")]);

    let catalog = Catalog::reference(2021);
    let reading = read(&summary, &catalog, None);
    let told: Vec<Option<&str>> = reading.countries.iter().map(|c| c.iso3.as_deref()).collect();
    assert_eq!(told, [Some("KGZ")], "Kyrgyz and Kyrgyzstan outnumber every other country");

    // --country overrides the text, with a note when the text disagrees
    let reading = read(&summary, &catalog, Some("kaz"));
    assert!(reading.problems.is_empty());
    assert_eq!(
        (reading.countries[0].iso3.as_deref(), reading.countries[0].given),
        (Some("KAZ"), true)
    );
    assert!(
        reading.notes.iter().any(|n| n.contains("--country names KAZ") && n.contains("Kyrgyzstan")),
        "{:?}",
        reading.notes
    );

    // but it cannot name the one country of a two-country file, nor an unknown one
    let reading = read(&pages, &Catalog::reference(2023), Some("KGZ"));
    assert_eq!(reading.problems.len(), 1);
    assert!(reading.problems[0].reason.contains("2 countries"), "{}", reading.problems[0].reason);
    let reading = read(&summary, &catalog, Some("XKX"));
    assert_eq!(reading.problems[0].column.as_deref(), Some("country"));
}

#[test]
fn the_2021_summary_comes_out_clean() {
    let Some(summary) = seed(SUMMARY) else { return };
    let reading = read(&summary, &Catalog::reference(2021), None);
    assert!(reading.problems.is_empty(), "{:?}", reading.problems);
    let narratives = &reading.countries[0].narratives;
    let headings: Vec<&str> = narratives.iter().map(|n| n.heading.as_deref().unwrap()).collect();
    let wanted: Vec<&str> = KGZ_2021.iter().map(|s| s.0).collect();
    assert_eq!(headings, wanted);

    let paragraphs: Vec<&str> = narratives.iter().flat_map(|n| n.body.split("\n\n")).collect();
    assert_eq!(paragraphs.len(), 17);
    for p in &paragraphs {
        assert!(
            p.starts_with(char::is_uppercase),
            "a paragraph starts mid-sentence: {:?}",
            &p[..40]
        );
        assert!(p.ends_with('.'), "a paragraph ends mid-sentence: {:?}", &p[p.len() - 40..]);
        assert!(!p.contains('\n') && !p.contains("  "), "line breaks and double spaces are gone");
        for furniture in [
            "PAGE",
            "OCINDEX",
            "©",
            "GLOBAL",
            "CRIME INDEX",
            "funded in part",
            "Department of State",
        ] {
            assert!(!p.contains(furniture), "furniture {furniture:?} left in the text");
        }
        // a hyphen before a space only where the text has one: "coal- and gold-mining"
        for (at, _) in p.match_indices("- ") {
            assert!(
                p[at..].starts_with("- and "),
                "a broken hyphenation: {:?}",
                &p[at.saturating_sub(20)..at + 10]
            );
        }
    }
    let text = paragraphs.join(" ");
    for compound in [
        "Mafia-style",
        "Organized-crime",
        "community-based",
        "awareness-raising",
        "anti-money-laundering",
        "Kyrgyz–Tajik",
    ] {
        assert!(text.contains(compound), "the compound {compound} lost its hyphen or dash");
    }
    for cut in ["Mafiastyle", "communitybased", "awarenessraising"] {
        assert!(!text.contains(cut), "{cut}");
    }
    let mut reasons: Vec<&str> = reading.dropped.iter().map(|d| d.reason).collect();
    reasons.sort_unstable();
    reasons.dedup();
    assert_eq!(reasons, ["footer", "funding note", "page number", "running header"]);
}

#[tokio::test]
async fn page_figures_are_verified_and_an_altered_copy_is_refused() {
    let Some(pages) = seed(PAGES) else { return };
    let Some(app) = TestApp::spawn(Content::Official).await else { return };
    let before = digest(&app.db).await;
    // Kazakhstan's heroin score (published 6.50), its criminal actors change (published +0.23:
    // 4.60 − 4.375 rounded half up; binary floating point gives 0.22) and Kyrgyzstan's
    // extortion, new in 2023 (published n/a)
    let (altered, heroin) = with_score_line(&pages, "Heroin trade", 0, "6.000.00");
    let (altered, actors) = with_score_line(&altered, "Criminal actors", 0, "4.600.22");
    let (altered, extortion) =
        with_score_line(&altered, "Extortion and protection racketeering", 1, "3.500.00");
    let report = import(&app, &altered, 2023, None).await;

    let problems: Vec<(Option<u32>, Option<&str>, Option<&str>)> =
        report.problems.iter().map(|p| (p.row, p.column.as_deref(), p.value.as_deref())).collect();
    assert_eq!(
        problems,
        [
            (Some(heroin), Some("Heroin trade"), Some("6.000.00")),
            (Some(actors), Some("Criminal actors"), Some("4.600.22")),
            (Some(extortion), Some("Extortion and protection racketeering"), Some("3.500.00")),
        ],
        "{report}"
    );
    assert!(report.problems[0].reason.contains("6.50"), "{}", report.problems[0].reason);
    assert!(report.problems[1].reason.contains("+0.23"), "{}", report.problems[1].reason);
    assert!(report.problems[2].reason.contains("n/a"), "{}", report.problems[2].reason);
    let checked: Vec<(usize, usize)> =
        report.countries.iter().map(|c| (c.figures_checked, c.figures_matching)).collect();
    assert_eq!(checked, [(34, 32), (34, 33)]);
    assert!(!report.written);
    assert!(report.to_string().contains("nothing written"));
    assert_eq!(digest(&app.db).await, before, "nothing was written");
}

#[tokio::test]
async fn figures_are_checked_against_the_database_not_the_page() {
    let Some(pages) = seed(PAGES) else { return };
    // the bundled sample holds the same published figures for both countries
    let app = TestApp::spawn(Content::Sample).await.unwrap();
    let report = import(&app, &pages, 2023, None).await;
    assert!(report.succeeded(), "{report}");
    // a 2021 import of 2023 pages meets indicators 2021 did not assess and other figures
    let report = import_narratives(&app.db, &pages, 2021, None, true).await.unwrap();
    let unassessed =
        report.problems.iter().filter(|p| p.reason.contains("does not assess")).count();
    assert_eq!(unassessed, 2 * 6, "five markets and one actor type are new in 2023, on both pages");
    assert!(report.problems.len() > unassessed);
    // and an edition that does not exist is named
    let report = import_narratives(&app.db, &pages, 2019, None, true).await.unwrap();
    assert_eq!(report.problems.len(), 1);
    assert!(report.problems[0].reason.contains("no edition 2019"), "{report}");
}

#[tokio::test]
async fn a_dry_run_shows_the_mapping_and_writes_nothing() {
    let Some(pages) = seed(PAGES) else { return };
    let Some(app) = TestApp::spawn(Content::Official).await else { return };
    let before = digest(&app.db).await;
    let report = import_narratives(&app.db, &pages, 2023, None, true).await.unwrap();
    assert!(report.succeeded(), "{report}");
    assert!(!report.written);
    assert_eq!(
        report.descriptions_stored, 34,
        "every printed definition would describe an indicator"
    );
    let shown = report.to_string();
    assert!(shown.contains("human-smuggling, extortion-and-protection-racketeering"), "{shown}");
    assert!(shown.contains("34 printed, 34 equal the database's"), "{shown}");
    assert!(shown.contains("dry run: nothing written"), "{shown}");
    assert_eq!(digest(&app.db).await, before);
}

#[tokio::test]
async fn reimporting_replaces_and_never_duplicates() {
    let (Some(pages), Some(summary)) = (seed(PAGES), seed(SUMMARY)) else { return };
    let Some(app) = TestApp::spawn(Content::Official).await else { return };
    assert!(import(&app, &pages, 2023, None).await.succeeded());
    assert!(import(&app, &summary, 2021, None).await.succeeded());
    let counts = |app: &TestApp| {
        let db = app.db.clone();
        async move {
            (
                count(&db, "SELECT count(*) FROM narratives").await,
                count(&db, "SELECT count(*) FROM narrative_indicators").await,
                count(&db, "SELECT count(*) FROM indicators WHERE description IS NOT NULL").await,
            )
        }
    };
    let once = counts(&app).await;
    assert_eq!(once.0, 24 + 25 + 9);
    assert!(import(&app, &pages, 2023, None).await.succeeded());
    assert!(import(&app, &summary, 2021, Some("KGZ")).await.succeeded());
    assert_eq!(counts(&app).await, once);
    assert_eq!(mapping(&app, "KAZ", 2023).await, expected(KAZ_2023));
}

#[tokio::test]
async fn a_re_import_that_changes_nothing_writes_nothing() {
    let Some(pages) = seed(PAGES) else { return };
    let Some(app) = TestApp::spawn(Content::Official).await else { return };
    let first = import(&app, &pages, 2023, None).await;
    assert!(first.written && first.countries_changed == 2, "{first}");
    let versions = |db: DatabaseConnection| async move {
        let sql = "SELECT concat_ws('|',
            (SELECT string_agg(concat_ws(',', id, xmin::text), ';' ORDER BY id) FROM narratives),
            (SELECT string_agg(xmin::text, ';' ORDER BY narrative_id, indicator_id) FROM narrative_indicators),
            (SELECT string_agg(xmin::text, ';' ORDER BY id) FROM indicators)) AS v";
        let row = db.query_one(Statement::from_string(db.get_database_backend(), sql)).await;
        row.unwrap().unwrap().try_get::<String>("", "v").unwrap()
    };
    let before = (digest(&app.db).await, versions(app.db.clone()).await);
    let dry = import_narratives(&app.db, &pages, 2023, None, true).await.unwrap();
    assert_eq!((dry.countries_changed, dry.descriptions_stored), (0, 0), "{dry}");
    assert!(dry.to_string().contains("dry run: nothing written"), "{dry}");
    let again = import(&app, &pages, 2023, None).await;
    assert!(again.succeeded(), "{again}");
    assert!(!again.written, "{again}");
    assert_eq!((again.countries_changed, again.descriptions_stored), (0, 0));
    assert!(again.to_string().contains("nothing changed"), "{again}");
    assert_eq!((digest(&app.db).await, versions(app.db.clone()).await), before, "no row rewritten");
}

#[tokio::test]
async fn printed_definitions_describe_indicators_that_have_none() {
    let Some(pages) = seed(PAGES) else { return };
    let Some(app) = TestApp::spawn(Content::Official).await else { return };
    let ours = "A description the team wrote before the import.";
    app.db
        .execute(Statement::from_sql_and_values(
            app.db.get_database_backend(),
            "UPDATE indicators SET description = $1 WHERE slug = 'cocaine-trade'",
            [ours.into()],
        ))
        .await
        .unwrap();
    let report = import(&app, &pages, 2023, None).await;
    assert!(report.succeeded(), "{report}");
    assert_eq!(report.definitions_read, 68);
    assert_eq!(report.descriptions_stored, 33);
    assert!(
        report.notes.iter().any(|n| n.contains("Cocaine trade already has a description")),
        "{:?}",
        report.notes
    );
    let data = app
        .query(
            r#"{ trafficking: indicator(slug: "human-trafficking") { description }
                 cocaine: indicator(slug: "cocaine-trade") { description }
                 markets: indicator(slug: "criminal-markets") { description }
                 criminality: indicator(slug: "criminality") { description } }"#,
            json!({}),
        )
        .await;
    let trafficking = data["trafficking"]["description"].as_str().unwrap();
    assert!(trafficking.contains("exploitation") && trafficking.ends_with('.'), "{trafficking}");
    assert_eq!(data["cocaine"]["description"], ours);
    assert!(data["markets"]["description"].as_str().unwrap().contains("prevalence"));
    assert!(
        data["criminality"]["description"].is_null(),
        "the pages print no definition of criminality"
    );
}

const SEARCH: &str = "query($q: String!, $e: Int, $c: String, $i: String, $f: Int, $a: String) {
    searchNarratives(query: $q, edition: $e, country: $c, indicator: $i, first: $f, after: $a) {
        totalCount
        pageInfo { hasNextPage endCursor }
        nodes { rank snippet narrative { id position heading body
                country { iso3 } edition { year } indicators { slug } } } } }";

async fn search(app: &TestApp, variables: Value) -> Value {
    app.query(SEARCH, variables).await["searchNarratives"].clone()
}

fn slugs(hit: &Value) -> Vec<&str> {
    hit["narrative"]["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["slug"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn search_finds_the_right_paragraph_ranked_with_the_matches_marked() {
    let (Some(pages), Some(summary)) = (seed(PAGES), seed(SUMMARY)) else { return };
    let Some(app) = TestApp::spawn(Content::Official).await else { return };
    assert!(import(&app, &pages, 2023, None).await.succeeded());
    assert!(import(&app, &summary, 2021, None).await.succeeded());

    // a distinctive word: Kazakhstan's fauna paragraph names it twice, its prevention one once
    let saiga = search(&app, json!({ "q": "saiga" })).await;
    assert_eq!(saiga["totalCount"], 2);
    let hits = saiga["nodes"].as_array().unwrap();
    assert_eq!(hits[0]["narrative"]["country"]["iso3"], "KAZ");
    assert_eq!(slugs(&hits[0]), ["fauna-crimes"]);
    assert_eq!(slugs(&hits[1]), ["prevention"]);
    assert!(hits[0]["rank"].as_f64().unwrap() > hits[1]["rank"].as_f64().unwrap());
    let snippet = hits[0]["snippet"].as_str().unwrap();
    assert_eq!(snippet.matches("<mark>saiga</mark>").count(), 2, "{snippet}");
    assert_eq!(hits[0]["narrative"]["edition"]["year"], 2023);

    // English stemming: "poachers" finds "poached" and "poaching"
    let poachers = search(&app, json!({ "q": "poachers", "c": "KAZ" })).await;
    let hits = poachers["nodes"].as_array().unwrap();
    assert!(hits.iter().any(|h| slugs(h) == ["fauna-crimes"]));
    assert!(hits[0]["snippet"].as_str().unwrap().contains("<mark>"), "{poachers}");

    // filters: country, indicator (a composite covers its indicators), edition
    let heroin = search(&app, json!({ "q": "heroin" })).await;
    let in_kgz = search(&app, json!({ "q": "heroin", "c": "kgz" })).await;
    let countries = |r: &Value| -> Vec<String> {
        r["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["narrative"]["country"]["iso3"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(
        countries(&heroin).contains(&"KAZ".to_owned())
            && countries(&heroin).contains(&"KGZ".to_owned())
    );
    assert!(!countries(&in_kgz).is_empty() && countries(&in_kgz).iter().all(|c| c == "KGZ"));
    let corruption = search(&app, json!({ "q": "corruption" })).await;
    let policing = search(&app, json!({ "q": "corruption", "i": "law-enforcement" })).await;
    assert!(policing["totalCount"].as_i64().unwrap() >= 2);
    assert!(policing["totalCount"].as_i64() < corruption["totalCount"].as_i64());
    assert!(policing["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .all(|h| slugs(h).contains(&"law-enforcement")));
    let resilience = search(&app, json!({ "q": "corruption", "i": "resilience" })).await;
    assert!(resilience["totalCount"].as_i64() > policing["totalCount"].as_i64());
    assert!(resilience["totalCount"].as_i64() < corruption["totalCount"].as_i64());

    // a name only the 2021 summary has: not in the default (latest) edition
    assert_eq!(search(&app, json!({ "q": "Kolbayev" })).await["totalCount"], 0);
    let old = search(&app, json!({ "q": "Kolbayev", "e": 2021 })).await;
    assert_eq!(old["totalCount"], 1);
    assert_eq!(old["nodes"][0]["narrative"]["heading"], "Criminal actors");
    assert!(old["nodes"][0]["snippet"].as_str().unwrap().contains("<mark>Kolbayev</mark>"));

    // web-search syntax: a quoted phrase, and a word excluded
    let phrase = search(&app, json!({ "q": "\"thieves in law\"" })).await;
    assert_eq!(phrase["totalCount"], 1);
    assert_eq!(
        slugs(&phrase["nodes"][0]),
        ["mafia-style-groups", "criminal-networks", "private-sector-actors"]
    );
    let without = search(&app, json!({ "q": "heroin -cocaine" })).await;
    assert!(without["totalCount"].as_i64() < heroin["totalCount"].as_i64());
    for hit in without["nodes"].as_array().unwrap() {
        assert!(!hit["narrative"]["body"].as_str().unwrap().to_lowercase().contains("cocaine"));
    }

    // pages: the second page continues where the first ended
    let total = corruption["totalCount"].as_i64().unwrap();
    let first = search(&app, json!({ "q": "corruption", "f": 3 })).await;
    assert_eq!(first["nodes"].as_array().unwrap().len(), 3);
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    let next =
        search(&app, json!({ "q": "corruption", "f": 3, "a": first["pageInfo"]["endCursor"] }))
            .await;
    assert_eq!(next["totalCount"], total);
    let ids = |r: &Value| -> Vec<String> {
        r["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["narrative"]["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = search(&app, json!({ "q": "corruption", "f": 6 })).await;
    assert_eq!([ids(&first), ids(&next)].concat(), ids(&all));
}

#[tokio::test]
async fn snippets_are_escaped_so_the_marks_are_the_only_markup() {
    let app = TestApp::spawn(Content::Sample).await.unwrap();
    let sql =
        "SELECT e.id, c.id FROM editions e, countries c WHERE e.year = 2023 AND c.iso3 = 'KAZ'";
    let row = app
        .db
        .query_one(Statement::from_string(app.db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    let (edition, country): (i32, i32) =
        (row.try_get_by_index(0).unwrap(), row.try_get_by_index(1).unwrap());
    let body = "Smugglers move <b>fuel</b> & cigarettes through tunnels under the <script>border</script>.";
    replace(
        &app.db,
        edition,
        country,
        &[NewNarrative { heading: None, body: body.into(), indicator_ids: vec![] }],
    )
    .await
    .unwrap();
    let found = search(&app, json!({ "q": "tunnels" })).await;
    let snippet = found["nodes"][0]["snippet"].as_str().unwrap();
    assert!(snippet.contains("<mark>tunnels</mark>"), "{snippet}");
    assert!(
        snippet.contains("&lt;b&gt;")
            && snippet.contains("&amp;")
            && snippet.contains("&lt;script&gt;"),
        "{snippet}"
    );
    assert!(!snippet.contains("<b>") && !snippet.contains("<script>"), "{snippet}");
    assert_eq!(
        found["nodes"][0]["narrative"]["body"], body,
        "the body itself is returned as stored"
    );
}

#[tokio::test]
async fn any_search_text_is_safe() {
    let app = TestApp::spawn(Content::Sample).await.unwrap();
    let long = "heroin ".repeat(100);
    let refused = [
        "",
        "   ",
        "the",
        "the of and",
        "!!!",
        "&|!():*",
        "\u{0}heroin",
        "heroin\u{7}",
        long.as_str(),
    ];
    for query in refused {
        let err = app.query_error(SEARCH, json!({ "q": query })).await;
        assert_eq!(err["extensions"]["code"], "BAD_USER_INPUT", "{query:?}: {err}");
        assert_eq!(err["extensions"]["field"], "query");
    }
    let odd = [
        "'",
        "\"",
        "\"unclosed",
        "-",
        "--heroin",
        "or",
        "heroin or",
        "(((",
        "a:*",
        "\\",
        "<mark>",
        "🙂 heroin",
        "héroïne",
        "x".repeat(300).as_str(),
        "sample & text | !",
    ]
    .map(str::to_owned);
    for query in odd {
        let body = app.graphql(SEARCH, json!({ "q": query }), None).await;
        match body.get("errors") {
            None => assert!(
                body["data"]["searchNarratives"]["totalCount"].is_i64(),
                "{query:?}: {body}"
            ),
            Some(errors) => {
                assert_eq!(errors[0]["extensions"]["code"], "BAD_USER_INPUT", "{query:?}: {body}")
            }
        }
    }
    let cases = [
        (json!({ "q": "sample", "c": "KZ" }), "country"),
        (json!({ "q": "sample", "c": "XYZ" }), "country"),
        (json!({ "q": "sample", "i": "heroin" }), "indicator"),
        (json!({ "q": "sample", "e": 1999 }), "edition"),
        (json!({ "q": "sample", "f": -1 }), "first"),
        (json!({ "q": "sample", "a": "not a cursor" }), "after"),
    ];
    for (variables, field) in cases {
        let err = app.query_error(SEARCH, variables.clone()).await;
        assert_eq!(err["extensions"]["code"], "BAD_USER_INPUT", "{variables}: {err}");
        assert_eq!(err["extensions"]["field"], field, "{variables}: {err}");
    }
    // and the sample's own words are found
    assert_eq!(search(&app, json!({ "q": "sample" })).await["totalCount"], 4);
}

#[tokio::test]
async fn narratives_of_a_draft_edition_stay_hidden_from_anonymous_callers() {
    let app = TestApp::spawn(Content::Sample).await.unwrap();
    let db = &app.db;
    db.execute_unprepared(
        "INSERT INTO editions (year, title) VALUES (2025, 'Global Organized Crime Index 2025');
         INSERT INTO country_editions (edition_id, country_id, continent, region)
         SELECT e.id, c.id, 'ASIA', 'Central Asia and the Caucasus'
         FROM editions e, countries c WHERE e.year = 2025 AND c.iso3 = 'KAZ';",
    )
    .await
    .unwrap();
    let ids =
        "SELECT e.id, c.id FROM editions e, countries c WHERE e.year = 2025 AND c.iso3 = 'KAZ'";
    let row = db
        .query_one(Statement::from_string(db.get_database_backend(), ids))
        .await
        .unwrap()
        .unwrap();
    let (edition, country): (i32, i32) =
        (row.try_get_by_index(0).unwrap(), row.try_get_by_index(1).unwrap());
    let body = "Draft text: zeppelins carry contraband over the steppe.";
    replace(
        db,
        edition,
        country,
        &[NewNarrative { heading: None, body: body.into(), indicator_ids: vec![] }],
    )
    .await
    .unwrap();

    let err = app.query_error(SEARCH, json!({ "q": "zeppelins", "e": 2025 })).await;
    assert_eq!(err["extensions"]["code"], "BAD_USER_INPUT");
    assert_eq!(search(&app, json!({ "q": "zeppelins" })).await["totalCount"], 0);
    let err = app
        .query_error(
            r#"{ country(iso3: "KAZ") { narratives(edition: 2025) { body } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(err["extensions"]["code"], "BAD_USER_INPUT");

    let admin =
        app.graphql(SEARCH, json!({ "q": "zeppelins", "e": 2025 }), Some(ADMIN_TOKEN)).await;
    assert_eq!(admin["data"]["searchNarratives"]["totalCount"], 1, "{admin}");
    assert_eq!(admin["data"]["searchNarratives"]["nodes"][0]["narrative"]["edition"]["year"], 2025);
}

#[tokio::test]
async fn the_import_narratives_mutation_uploads_a_page_and_is_audited() {
    let Some(text) = seed(PAGES) else { return };
    let Some(app) = TestApp::spawn(Content::Official).await else { return };
    let mutation = "mutation($file: Upload!, $dry: Boolean) {
        importNarratives(file: $file, edition: 2023, dryRun: $dry) {
          dryRun succeeded editions countries problems { reason }
          narratives { format countries { iso3 } } } }";
    let dry = app
        .graphql_upload(
            mutation,
            json!({ "dry": true }),
            text.clone().into_bytes(),
            Some(ADMIN_TOKEN),
        )
        .await;
    assert!(dry.get("errors").is_none(), "{dry}");
    assert_eq!(dry["data"]["importNarratives"]["dryRun"], true);
    assert_eq!(
        count(&app.db, "SELECT count(*) FROM narratives").await,
        0,
        "a dry run writes nothing"
    );

    let real = app
        .graphql_upload(mutation, json!({ "dry": false }), text.into_bytes(), Some(ADMIN_TOKEN))
        .await;
    let report = &real["data"]["importNarratives"];
    assert_eq!(report["succeeded"], true, "{real}");
    assert_eq!(report["narratives"]["format"], "PAGE");
    let found: Vec<&str> = report["narratives"]["countries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["iso3"].as_str().unwrap())
        .collect();
    assert_eq!(found, ["KAZ", "KGZ"]);
    assert!(count(&app.db, "SELECT count(*) FROM narratives").await > 40);
    assert_eq!(
        count(&app.db, "SELECT count(*) FROM audit_log WHERE operation = 'importNarratives'").await,
        1
    );

    // not UTF-8, and without a token
    let garbage =
        app.graphql_upload(mutation, json!({}), vec![0xff, 0xfe, 0x00], Some(ADMIN_TOKEN)).await;
    assert_eq!(garbage["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    let anonymous = app.graphql_upload(mutation, json!({}), b"text".to_vec(), None).await;
    assert_eq!(anonymous["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
}

#[tokio::test]
async fn a_narrative_is_reachable_by_its_global_id() {
    let app = TestApp::spawn(Content::Sample).await.unwrap();
    let data = app
        .query(
            r#"{ country(iso3: "KGZ") { narratives(edition: 2023) { id heading } } }"#,
            json!({}),
        )
        .await;
    let first = &data["country"]["narratives"][0];
    let node = app
        .query("query($id: ID!) { node(id: $id) { id ... on Narrative { heading country { iso3 } } } }", json!({ "id": first["id"] }))
        .await;
    assert_eq!(node["node"]["id"], first["id"]);
    assert_eq!(node["node"]["heading"], first["heading"]);
    assert_eq!(node["node"]["country"]["iso3"], "KGZ");
}
