//! The README's example operations as a typed client uses them. Each ```graphql block of the
//! README is one file of `tests/client/queries`, which `graphql_client` compiles against the
//! committed `schema.graphql`: an example that names a field, argument or enum value the
//! schema lacks fails the build, so the documented operations cannot rot. The operations then
//! run against a server with the bundled sample, and their typed answers are checked against
//! the figures the Index publishes.
use graphql_client::{GraphQLQuery, Response};
use ocindex_tests::{Content, TestApp, ADMIN_TOKEN};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The schema's `DateTime` scalar: RFC 3339 text.
type DateTime = String;

// rustfmt re-indents attributes inside macro_rules! at every run: it is kept as written
#[rustfmt::skip]
macro_rules! operation {
    ($name:ident, $file:tt) => {
        #[derive(GraphQLQuery)]
        #[graphql(
            schema_path = "../schema.graphql",
            query_path = $file,
            response_derives = "Debug",
            variables_derives = "Debug"
        )]
        struct $name;
    };
}

operation!(CountryProfile, "client/queries/country_profile.graphql");
operation!(CountriesWithComposites, "client/queries/countries_with_composites.graphql");
operation!(SyntheticDrugRises, "client/queries/synthetic_drug_rises.graphql");
operation!(AsiaDrugsUpResilienceDown, "client/queries/asia_drugs_up_resilience_down.graphql");
operation!(AsiaCriminalityRanking, "client/queries/asia_criminality_ranking.graphql");
operation!(NarrativesAndSearch, "client/queries/narratives_and_search.graphql");
operation!(EditionsAndIndicators, "client/queries/editions_and_indicators.graphql");
operation!(StatisticsAndComparison, "client/queries/statistics_and_comparison.graphql");
operation!(CreateDraft, "client/queries/create_draft.graphql");
operation!(CreateIndicator, "client/queries/draft_to_publication.graphql");
operation!(MoveCountry, "client/queries/draft_to_publication.graphql");
operation!(UpsertScores, "client/queries/draft_to_publication.graphql");
operation!(UpsertNarratives, "client/queries/draft_to_publication.graphql");
operation!(PublishDraft, "client/queries/draft_to_publication.graphql");
operation!(AuditLog, "client/queries/audit_log.graphql");
// compiled against the schema only: a webhook needs a public address, and a subscription a
// WebSocket (tests/api/webhooks.rs runs both)
operation!(CreateWebhook, "client/queries/create_webhook.graphql");
operation!(EditionEvents, "client/queries/edition_events.graphql");

fn queries_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("client/queries")
}

/// The query files by name, and the README's ```graphql blocks.
fn documented_and_compiled() -> (BTreeMap<String, String>, Vec<String>) {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(queries_dir()).expect("tests/client/queries exists") {
        let path = entry.expect("a directory entry").path();
        if path.extension().is_some_and(|ext| ext == "graphql") {
            let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
            files.insert(name, std::fs::read_to_string(&path).expect("a query file"));
        }
    }
    let readme = Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    let readme = std::fs::read_to_string(readme).expect("README.md");
    let mut blocks = Vec::new();
    let mut rest = readme.as_str();
    while let Some(start) = rest.find("```graphql\n") {
        let body = &rest[start + "```graphql\n".len()..];
        let end = body.find("```").expect("a closed ```graphql block");
        blocks.push(body[..end].to_owned());
        rest = &body[end + 3..];
    }
    (files, blocks)
}

#[test]
fn every_readme_example_is_a_compiled_query_file_and_back() {
    let (files, blocks) = documented_and_compiled();
    assert!(blocks.len() >= 10, "the README's examples were found ({})", blocks.len());
    for block in &blocks {
        assert!(
            files.values().any(|file| file == block),
            "this README example is not, character for character, a file of \
             tests/client/queries (so no typed client compiles it):\n{block}"
        );
    }
    for (name, file) in &files {
        assert!(
            blocks.contains(file),
            "tests/client/queries/{name} is no longer shown in the README: remove it or show it"
        );
    }
    // the operations only compiled here are sent by their names, as the README shows them
    let webhook = CreateWebhook::build_query(create_webhook::Variables);
    let events = EditionEvents::build_query(edition_events::Variables);
    assert_eq!((webhook.operation_name, events.operation_name), ("CreateWebhook", "EditionEvents"));
}

/// Runs a typed operation; `token` authenticates it.
async fn run<Q: GraphQLQuery>(
    app: &TestApp,
    variables: Q::Variables,
    token: Option<&str>,
) -> Response<Q::ResponseData> {
    let mut request = app.request(reqwest::Method::POST, "/graphql");
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.json(&Q::build_query(variables)).send().await.expect("an answer");
    response.json().await.expect("a GraphQL response the typed client reads")
}

/// The operation's data, failing on any error.
fn data<T>(response: Response<T>) -> T {
    assert!(response.errors.is_none(), "unexpected errors: {:?}", response.errors);
    response.data.expect("data")
}

#[tokio::test]
async fn the_readme_queries_answer_the_published_figures() {
    let app = TestApp::spawn(Content::Sample).await.unwrap();

    let profile = data(run::<CountryProfile>(&app, country_profile::Variables, None).await);
    let kaz = profile.country.expect("Kazakhstan");
    assert_eq!(kaz.name, "Kazakhstan");
    assert_eq!(kaz.region, "Central Asia and the Caucasus");
    let actors = &kaz.scores[0];
    assert_eq!(actors.indicator.slug, "criminal-actors");
    // published: 4.60, and +0.23 against 2021 (4.375 before rounding)
    assert_eq!((actors.value, actors.delta, actors.change), (4.6, Some(0.23), Some(0.23)));
    // Kyrgyzstan's actors (6.00) rank above
    assert_eq!((actors.rank, actors.rank_in_continent, actors.rank_in_region), (2, 2, 2));
    let history: Vec<(i64, f64)> = kaz.history.iter().map(|s| (s.edition.year, s.value)).collect();
    assert_eq!(history, [(2021, 4.26), (2023, 4.47)]);

    let countries = data(
        run::<CountriesWithComposites>(&app, countries_with_composites::Variables, None).await,
    )
    .countries;
    assert_eq!(countries.total_count, 2);
    assert!(!countries.page_info.has_next_page);
    let criminality: Vec<(&str, f64, i64)> = countries
        .nodes
        .iter()
        .map(|c| (c.iso3.as_str(), c.scores[0].value, c.scores[0].rank))
        .collect();
    assert_eq!(criminality, [("KAZ", 4.47, 2), ("KGZ", 5.32, 1)]);

    // synthetic drug trade: Kazakhstan +1.00, Kyrgyzstan +0.50 on the 2023 pages
    let rises = data(run::<SyntheticDrugRises>(&app, synthetic_drug_rises::Variables, None).await)
        .score_changes;
    let rises: Vec<(&str, f64)> =
        rises.nodes.iter().map(|c| (c.country.iso3.as_str(), c.change)).collect();
    assert_eq!(rises, [("KAZ", 1.0), ("KGZ", 0.5)]);

    // both rose in synthetic drugs and fell in resilience; criminality orders them
    let asia = data(
        run::<AsiaDrugsUpResilienceDown>(&app, asia_drugs_up_resilience_down::Variables, None)
            .await,
    )
    .countries;
    let asia: Vec<&str> = asia.nodes.iter().map(|c| c.iso3.as_str()).collect();
    assert_eq!(asia, ["KGZ", "KAZ"]);

    let ranking =
        data(run::<AsiaCriminalityRanking>(&app, asia_criminality_ranking::Variables, None).await)
            .ranking;
    let ranked: Vec<(i64, f64, &str)> =
        ranking.nodes.iter().map(|s| (s.rank, s.value, s.country.name.as_str())).collect();
    assert_eq!(ranked, [(1, 5.32, "Kyrgyzstan"), (2, 4.47, "Kazakhstan")]);

    // the sample's own narratives mention neither cocaine nor saiga antelopes
    let narratives =
        data(run::<NarrativesAndSearch>(&app, narratives_and_search::Variables, None).await);
    assert!(narratives.country.expect("Kazakhstan").narratives.is_empty());
    assert_eq!(narratives.search_narratives.total_count, 0);

    let editions =
        data(run::<EditionsAndIndicators>(&app, editions_and_indicators::Variables, None).await);
    let years: Vec<(i64, Option<i64>)> =
        editions.editions.iter().map(|e| (e.year, e.previous.as_ref().map(|p| p.year))).collect();
    assert_eq!(years, [(2021, None), (2023, Some(2021))]);
    assert!(editions.editions.iter().all(|e| e.published_at.is_some()));
    // 2021: 4 composites, 10 markets, 4 actor types, 12 resilience indicators
    assert_eq!(editions.indicators.len(), 30);
    assert_eq!(editions.indicators[0].slug, "criminality");
    assert!(editions.indicators[0].is_composite && editions.indicators[0].parent.is_none());

    let statistics = data(
        run::<StatisticsAndComparison>(&app, statistics_and_comparison::Variables, None).await,
    );
    let asia = &statistics.statistics[0];
    assert_eq!((asia.name.as_str(), asia.count), ("Asia", 2));
    // resilience 2023: Kazakhstan 4.54, Kyrgyzstan 3.83; the median of two published values
    // is their mean, rounded half up: 4.185 -> 4.19
    assert_eq!((asia.min, asia.max, asia.median), (3.83, 4.54, 4.19));
    let criminality = &statistics.country.expect("Kazakhstan").comparison[0];
    assert_eq!(criminality.indicator.slug, "criminality");
    // the mean of the unrounded criminality of both: (65/15 + 23/5) / 2 and
    // (69.5/15 + 6) / 2 average to 4.8916…
    assert_eq!((criminality.value, criminality.global_mean), (4.47, 4.89));
}

#[tokio::test]
async fn the_readme_mutations_take_a_draft_to_its_publication_check() {
    let app = TestApp::spawn(Content::Sample).await.unwrap();
    let admin = Some(ADMIN_TOKEN);

    let draft = data(run::<CreateDraft>(&app, create_draft::Variables, admin).await);
    assert_eq!(draft.create_edition.year, 2025);
    assert!(matches!(draft.create_edition.status, create_draft::EditionStatus::DRAFT));

    let indicator = data(run::<CreateIndicator>(&app, create_indicator::Variables, admin).await);
    assert_eq!(indicator.create_indicator.slug, "environmental-crimes");

    let moved = data(run::<MoveCountry>(&app, move_country::Variables, admin).await);
    assert_eq!(moved.upsert_country.iso3, "KGZ");

    let scores = data(run::<UpsertScores>(&app, upsert_scores::Variables, admin).await);
    let written = &scores.upsert_scores;
    assert_eq!((written.written, written.created, written.updated), (2, 2, 0));

    let texts = data(run::<UpsertNarratives>(&app, upsert_narratives::Variables, admin).await);
    assert_eq!((texts.upsert_narratives.countries, texts.upsert_narratives.narratives), (1, 1));

    // two scores of a whole edition: publishing is refused, naming what is missing
    let publish = run::<PublishDraft>(&app, publish_draft::Variables, admin).await;
    let errors = publish.errors.expect("an incomplete edition is not published");
    assert!(errors[0].message.contains("incomplete"), "{errors:?}");

    let log = data(run::<AuditLog>(&app, audit_log::Variables, admin).await).audit_log;
    let operations: Vec<&str> = log.nodes.iter().map(|n| n.operation.as_str()).collect();
    assert_eq!(
        operations,
        [
            "publishEdition",
            "upsertNarratives",
            "upsertScores",
            "upsertCountry",
            "createIndicator",
            "createEdition",
            // the server's first start filled the empty database with the sample, audited
            "loadSample"
        ]
    );
    assert!(matches!(log.nodes[0].outcome, audit_log::AuditOutcome::REFUSED));
    assert_eq!(log.nodes[0].edition, Some(2025));
}
