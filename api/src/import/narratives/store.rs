//! The database's side of a narrative import: the catalogue a text is read against, the
//! checks of a reading against what is stored (memberships, the printed figures), and the
//! writes. The caller (the workflow) runs the checks and the writes in one transaction that
//! holds the write lock.
use super::catalog::Catalog;
use super::detect::CountryNames;
use super::page::{Definition, PrintedFigure};
use super::read::{problem, CountryText, Reading};
use super::text;
use crate::import::{CountryReport, NarrativeLine, NarrativeReport, Problem};
use crate::repo::{self, Visibility};
use entity::{country, edition, indicator};
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DbErr};
use std::collections::{HashMap, HashSet};

/// What a text is read against and its narratives resolved with, as the database holds it.
pub struct Stored {
    pub edition: edition::Model,
    pub catalog: Catalog,
    pub indicators: Vec<indicator::Model>,
    pub countries: Vec<country::Model>,
}

/// Loads the catalogue of the edition of `year`; the problem to report when there is no such
/// edition. Reads only.
#[tracing::instrument(skip(db))]
pub async fn load<C: ConnectionTrait>(db: &C, year: i32) -> Result<Result<Stored, Problem>, DbErr> {
    let Some(edition) = repo::catalog::edition_by_year(db, year, Visibility::All).await? else {
        let known: Vec<String> = repo::catalog::editions(db, Visibility::All)
            .await?
            .iter()
            .map(|e| e.year.to_string())
            .collect();
        let known = if known.is_empty() { "none yet".to_owned() } else { known.join(", ") };
        return Ok(Err(missing_edition(
            year,
            format!("there is no edition {year} (editions: {known})"),
        )));
    };
    let indicators = repo::catalog::indicators(db).await?;
    let assessed: HashSet<i32> =
        repo::catalog::edition_sets(db, &[edition.id]).await?.into_iter().map(|(_, i)| i).collect();
    let countries = repo::catalog::countries(db, None).await?;
    let spellings = repo::narratives::country_spellings(db).await?;
    let names = CountryNames::new(
        &countries.iter().map(|c| (c.iso3.clone(), c.name.clone())).collect::<Vec<_>>(),
        &spellings,
    );
    let catalog = Catalog::from_models(year, &indicators, &assessed, names);
    Ok(Ok(Stored { edition, catalog, indicators, countries }))
}

/// The problem of an import whose edition does not exist (or no longer does).
pub fn missing_edition(year: i32, reason: String) -> Problem {
    problem(None, Some("edition"), Some(&year.to_string()), reason)
}

/// An empty report of an import into the edition of `year`.
pub fn report(year: i32, dry_run: bool) -> NarrativeReport {
    NarrativeReport {
        dry_run,
        edition: year,
        format: None,
        countries: Vec::new(),
        definitions_read: 0,
        descriptions_stored: 0,
        dropped: Vec::new(),
        notes: Vec::new(),
        problems: Vec::new(),
        countries_changed: 0,
        written: false,
    }
}

/// What a checked reading stores: each country's narratives, and descriptions for the
/// indicators that have none.
#[derive(Default)]
pub struct Writes {
    pub narratives: Vec<(i32, Vec<repo::narratives::NewNarrative>)>,
    pub descriptions: Vec<(i32, String)>,
}

/// Checks `reading` against the database: every country is a member of the edition and every
/// printed figure equals the stored one. Fills `report` in (its problems included) and
/// returns what the import would store. Reads only.
#[tracing::instrument(skip_all)]
pub async fn check<C: ConnectionTrait>(
    db: &C,
    stored: &Stored,
    reading: Reading,
    report: &mut NarrativeReport,
) -> Result<Writes, DbErr> {
    let year = stored.edition.year;
    report.format = reading.format;
    report.dropped = reading.dropped;
    report.notes = reading.notes;
    report.problems = reading.problems;
    let id_of_country: HashMap<&str, i32> =
        stored.countries.iter().map(|c| (c.iso3.as_str(), c.id)).collect();
    let id_of_indicator: HashMap<&str, i32> =
        stored.indicators.iter().map(|m| (m.slug.as_str(), m.id)).collect();
    let keys: Vec<(i32, i32)> = reading
        .countries
        .iter()
        .filter_map(|t| {
            t.iso3.as_deref().and_then(|c| id_of_country.get(c)).map(|&id| (id, stored.edition.id))
        })
        .collect();
    let members: HashSet<i32> =
        repo::catalog::memberships(db, &keys).await?.into_iter().map(|m| m.country_id).collect();
    let mut figures: HashMap<(i32, i32), (Decimal, Option<Decimal>)> = HashMap::new();
    for f in repo::figures::for_countries(db, &keys).await? {
        figures.insert((f.country_id, f.indicator_id), (f.value, f.delta));
    }

    let mut writes = Writes::default();
    let names = &stored.catalog.countries;
    for t in &reading.countries {
        let country_id = t.iso3.as_deref().and_then(|c| id_of_country.get(c).copied());
        let mut outcome = outline(t, names);
        if let Some(country_id) = country_id {
            let name = names.name(t.iso3.as_deref().unwrap_or_default()).to_owned();
            if !members.contains(&country_id) {
                report.problems.push(problem(
                    Some(t.first_line),
                    Some("country"),
                    t.iso3.as_deref(),
                    format!("{name} is not covered by the {year} edition: import its scores first"),
                ));
            }
            for printed in &t.figures {
                outcome.figures_checked += 1;
                let Some(&indicator_id) = id_of_indicator.get(printed.slug.as_str()) else {
                    continue;
                };
                match check_figure(printed, figures.get(&(country_id, indicator_id)), &name, year) {
                    None => outcome.figures_matching += 1,
                    Some(p) => report.problems.push(p),
                }
            }
            let new = t
                .narratives
                .iter()
                .map(|n| repo::narratives::NewNarrative {
                    heading: n.heading.clone(),
                    body: n.body.clone(),
                    indicator_ids: n
                        .indicators
                        .iter()
                        .filter_map(|s| id_of_indicator.get(s.as_str()).copied())
                        .collect(),
                })
                .collect();
            writes.narratives.push((country_id, new));
        }
        report.definitions_read += t.definitions.len();
        describe(&t.definitions, &stored.indicators, &mut writes.descriptions, &mut report.notes);
        report.countries.push(outcome);
    }
    report.descriptions_stored = writes.descriptions.len();
    Ok(writes)
}

/// Stores `writes` in the edition `edition_id`, leaving alone the countries whose stored
/// narratives are already the same; in a dry run only compares. Records in `report` how many
/// countries change and how many descriptions are stored, and whether anything was written.
#[tracing::instrument(skip_all, fields(countries = writes.narratives.len()))]
pub async fn write<C: ConnectionTrait>(
    db: &C,
    edition_id: i32,
    writes: &Writes,
    dry_run: bool,
    report: &mut NarrativeReport,
) -> Result<(), DbErr> {
    let mut changed = 0;
    for (country_id, narratives) in &writes.narratives {
        if repo::narratives::stored_as(db, edition_id, *country_id, narratives).await? {
            continue;
        }
        changed += 1;
        if !dry_run {
            repo::narratives::replace(db, edition_id, *country_id, narratives).await?;
        }
    }
    report.countries_changed = changed;
    if !dry_run && !writes.descriptions.is_empty() {
        report.descriptions_stored =
            repo::narratives::describe_indicators(db, &writes.descriptions).await?;
    }
    report.written = !dry_run && (changed > 0 || report.descriptions_stored > 0);
    Ok(())
}

/// The report of one country's text before its checks: who, and the narratives' mapping.
fn outline(t: &CountryText, names: &CountryNames) -> CountryReport {
    CountryReport {
        iso3: t.iso3.clone(),
        name: t.iso3.as_deref().map(|c| names.name(c).to_owned()),
        first_line: t.first_line,
        given: t.given,
        mentions: t.mentions.describe(3),
        narratives: t
            .narratives
            .iter()
            .enumerate()
            .map(|(position, n)| NarrativeLine {
                position,
                line: n.line,
                heading: n.heading.clone(),
                indicators: n.indicators.clone(),
                by_position: n.by_position,
                words: n.body.split_whitespace().count(),
                opening: text::shorten(&n.body, 50),
            })
            .collect(),
        figures_checked: 0,
        figures_matching: 0,
    }
}

/// Adds to `descriptions` the printed definitions of indicators that have no description;
/// a stored description is kept, and so is the first of two different printed ones.
fn describe(
    definitions: &[Definition],
    models: &[indicator::Model],
    descriptions: &mut Vec<(i32, String)>,
    notes: &mut Vec<String>,
) {
    for d in definitions {
        let Some(model) = models.iter().find(|m| m.slug == d.slug) else { continue };
        match (&model.description, descriptions.iter().find(|(id, _)| *id == model.id)) {
            (None, None) => descriptions.push((model.id, d.text.clone())),
            (None, Some((_, first))) if *first != d.text => notes.push(format!(
                "line {}: the definition of {} differs from the one printed before; the first is kept",
                d.line, model.name
            )),
            (Some(stored), _) if *stored != d.text => {
                notes.push(format!("line {}: {} already has a description, which is kept", d.line, model.name))
            }
            _ => {}
        }
    }
}

/// A mismatch between a printed figure and the database's, if there is one.
fn check_figure(
    printed: &PrintedFigure,
    stored: Option<&(Decimal, Option<Decimal>)>,
    country: &str,
    year: i32,
) -> Option<Problem> {
    let at = |reason: String| {
        Some(problem(Some(printed.line), Some(&printed.name), Some(&printed.printed), reason))
    };
    let Some(&(value, delta)) = stored else {
        return at(format!(
            "the database has no {year} figure of {country} for {} to check against",
            printed.name
        ));
    };
    let shown = |d: Option<Decimal>| d.map_or_else(|| "n/a".to_owned(), |d| format!("{d:+.2}"));
    if printed.value.score != value {
        return at(format!(
            "the page prints a score of {:.2}; the database has {value:.2}",
            printed.value.score
        ));
    }
    if printed.value.delta != delta {
        return at(format!(
            "the page prints a change of {}; the database has {}",
            shown(printed.value.delta),
            shown(delta)
        ));
    }
    None
}
