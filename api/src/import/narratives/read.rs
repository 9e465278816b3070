//! The reader: recognises a text's format, splits it by country, cleans it and links every
//! narrative to the indicators it covers. Pure: no database, no clock.
use super::catalog::{Catalog, CatalogIndicator};
use super::detect::Mentions;
use super::link::{self, Topic};
use super::page::{self, Definition, PrintedFigure};
use super::summary;
use super::text::{self, Dropped};
use super::vocabulary::{Covers, KEYWORDS};
use super::Format;
use crate::import::Problem;
use std::collections::HashMap;

/// One country's narratives as read from the text.
#[derive(Clone, Debug)]
pub struct CountryText {
    pub first_line: usize,
    /// The country, named by `--country` or told by the text; `None` when neither.
    pub iso3: Option<String>,
    pub given: bool,
    pub mentions: Mentions,
    pub figures: Vec<PrintedFigure>,
    pub definitions: Vec<Definition>,
    pub narratives: Vec<ReadNarrative>,
}

/// A narrative ready to store: cleaned text and the slugs of the indicators it covers.
#[derive(Clone, Debug)]
pub struct ReadNarrative {
    pub line: usize,
    pub heading: Option<String>,
    pub body: String,
    /// Slugs in tree order.
    pub indicators: Vec<String>,
    pub by_position: bool,
}

/// Everything read from one text, before the database is consulted.
#[derive(Debug)]
pub struct Reading {
    pub format: Option<Format>,
    pub countries: Vec<CountryText>,
    pub dropped: Vec<Dropped>,
    pub notes: Vec<String>,
    pub problems: Vec<Problem>,
}

pub(super) fn problem(
    line: Option<usize>,
    column: Option<&str>,
    value: Option<&str>,
    reason: impl Into<String>,
) -> Problem {
    Problem {
        sheet: None,
        row: line.map(|l| l as u32),
        column: column.map(str::to_owned),
        value: value.map(str::to_owned),
        reason: reason.into(),
    }
}

/// The largest text an import reads: the narratives of a whole edition (193 country pages)
/// are about 2 MB.
pub const MAX_TEXT_BYTES: usize = 4 * 1024 * 1024;
/// Paragraphs of one country's page: a page has one per indicator (about 36), and linking
/// them to the indicators costs their number squared.
pub const MAX_PAGE_PARAGRAPHS: usize = 200;

/// Reads a narrative text: recognises its format, splits it by country, cleans it and links
/// every narrative to the indicators it covers. `country` (ISO3) names the country of a
/// single-country text instead of telling it from the text. Linear in the text's length; a
/// text over [`MAX_TEXT_BYTES`] or holding a NUL character is refused before it is read.
pub fn read(source: &str, catalog: &Catalog, country: Option<&str>) -> Reading {
    let mut reading = Reading {
        format: None,
        countries: Vec::new(),
        dropped: Vec::new(),
        notes: Vec::new(),
        problems: Vec::new(),
    };
    if source.len() > MAX_TEXT_BYTES {
        let reason = format!(
            "the text is {} bytes long; an import reads at most {MAX_TEXT_BYTES}",
            source.len()
        );
        reading.problems.push(problem(None, None, None, reason));
        return reading;
    }
    if let Some(at) = source.find('\0') {
        let line = source[..at].matches('\n').count() + 1;
        let reason = "the text contains a NUL character (U+0000), which cannot be stored";
        reading.problems.push(problem(Some(line), None, None, reason));
        return reading;
    }
    let lines = text::lines(source);
    let given = country.map(|c| c.trim().to_ascii_uppercase());
    if let Some(code) = &given {
        if !catalog.countries.is_known(code) {
            let reason =
                format!("{code:?} is not the ISO3 code of a known country (such as \"KAZ\")");
            reading.problems.push(problem(None, Some("country"), Some(code), reason));
            return reading;
        }
    }
    let mut texts = if page::recognise(&lines, catalog) {
        reading.format = Some(Format::Page);
        read_pages(&lines, catalog, &mut reading)
    } else if summary::recognise(&lines) {
        reading.format = Some(Format::Summary);
        read_summaries(source, &lines, catalog, &mut reading)
    } else {
        reading.problems.push(problem(
            None,
            None,
            None,
            "the text is neither country page text (indicator names, each followed by a score line \
             such as 4.330.18) nor summary text (sections under headings such as PEOPLE or DRUGS)",
        ));
        return reading;
    };
    if texts.is_empty() {
        reading.problems.push(problem(None, None, None, "the text holds no narrative paragraphs"));
    }
    // storing an empty list would delete the country's narratives: that is never meant
    for t in texts.iter().filter(|t| t.narratives.is_empty()) {
        let reason = "a country's text starts here, but no narrative paragraph follows";
        reading.problems.push(problem(Some(t.first_line), None, None, reason));
    }
    attribute(&mut texts, catalog, given.as_deref(), &mut reading);
    reading.countries = texts;
    reading
}

fn read_pages(
    lines: &[text::Line<'_>],
    catalog: &Catalog,
    reading: &mut Reading,
) -> Vec<CountryText> {
    let topics_of: Vec<&CatalogIndicator> = catalog.assessed_raw(None).collect();
    let topics: Vec<Topic> = topics_of
        .iter()
        .map(|i| Topic::new(&i.name, KEYWORDS.iter().find(|k| k.slug == i.slug)))
        .collect();
    let blocks = page::read(lines, catalog, &mut reading.dropped);
    let mut texts = Vec::new();
    for block in blocks {
        for figure in &block.figures {
            if !catalog.indicator(&figure.slug).is_some_and(|i| i.assessed) {
                reading.problems.push(problem(
                    Some(figure.line),
                    Some(&figure.name),
                    Some(&figure.printed),
                    format!("the {} edition does not assess {}", catalog.year, figure.name),
                ));
            }
        }
        let bodies: Vec<String> = block.paragraphs.iter().map(|p| p.text.clone()).collect();
        let links = if bodies.len() > MAX_PAGE_PARAGRAPHS {
            reading.problems.push(problem(
                Some(block.first_line),
                None,
                None,
                format!(
                    "the country page starting here holds {} paragraphs; a page holds at most \
                     {MAX_PAGE_PARAGRAPHS} (is a line break missing between two countries?)",
                    bodies.len()
                ),
            ));
            vec![link::Links::default(); bodies.len()]
        } else {
            link::link(&bodies, &topics)
        };
        let narratives = block
            .paragraphs
            .iter()
            .zip(links)
            .map(|(paragraph, links)| {
                let first = links.topics.first().map(|&t| topics_of[t]);
                // the page groups its paragraphs under the pillars: markets, actors, resilience
                let heading = first
                    .and_then(|i| i.parent.as_deref())
                    .and_then(|p| catalog.indicator(p))
                    .map(|p| p.name.clone());
                ReadNarrative {
                    line: paragraph.line,
                    heading,
                    body: paragraph.text.clone(),
                    indicators: links.topics.iter().map(|&t| topics_of[t].slug.clone()).collect(),
                    by_position: links.by_position,
                }
            })
            .collect();
        texts.push(CountryText {
            first_line: block.first_line,
            iso3: None,
            given: false,
            mentions: Mentions::default(),
            figures: block.figures,
            definitions: block.definitions,
            narratives,
        });
    }
    texts
}

fn read_summaries(
    source: &str,
    lines: &[text::Line<'_>],
    catalog: &Catalog,
    reading: &mut Reading,
) -> Vec<CountryText> {
    let words = text::DocumentWords::of(source);
    let blocks = summary::read(lines, &words, &mut reading.dropped);
    let mut texts = Vec::new();
    for block in blocks {
        let mut narratives = Vec::new();
        for section in block.sections.into_iter().filter(|s| !s.paragraphs.is_empty()) {
            let indicators: Vec<String> = match section.section.covers {
                Covers::Indicators(slugs) => catalog
                    .assessed_raw(None)
                    .filter(|i| slugs.contains(&i.slug.as_str()))
                    .map(|i| i.slug.clone())
                    .collect(),
                Covers::Pillar(pillar) => {
                    catalog.assessed_raw(Some(pillar)).map(|i| i.slug.clone()).collect()
                }
            };
            if indicators.is_empty() {
                reading.notes.push(format!(
                    "line {}: the {} edition assesses none of the indicators of {}; the section is kept unlinked",
                    section.line, catalog.year, section.section.heading
                ));
            }
            let body: Vec<&str> = section.paragraphs.iter().map(|p| p.text.as_str()).collect();
            narratives.push(ReadNarrative {
                line: section.line,
                heading: Some(summary::sentence_case(section.section.heading)),
                body: body.join("\n\n"),
                indicators,
                by_position: false,
            });
        }
        texts.push(CountryText {
            first_line: block.first_line,
            iso3: None,
            given: false,
            mentions: Mentions::default(),
            figures: Vec::new(),
            definitions: Vec::new(),
            narratives,
        });
    }
    texts
}

/// Decides the country of each text: the one `--country` names, or the one the text
/// mentions most without doubt.
fn attribute(
    texts: &mut [CountryText],
    catalog: &Catalog,
    given: Option<&str>,
    reading: &mut Reading,
) {
    if given.is_some() && texts.len() > 1 {
        reading.problems.push(problem(
            None,
            Some("country"),
            given,
            format!(
                "the text holds {} countries' narratives (from lines {}); --country can name only one: \
                 leave it out to tell each country from its text",
                texts.len(),
                texts.iter().map(|t| t.first_line.to_string()).collect::<Vec<_>>().join(", ")
            ),
        ));
        return;
    }
    for t in texts.iter_mut() {
        let all: Vec<&str> = t.narratives.iter().map(|n| n.body.as_str()).collect();
        t.mentions = catalog.countries.mentions(&all.join("\n"));
        match (given, t.mentions.decide()) {
            (Some(code), told) => {
                if let Ok(other) = told.as_deref().map(str::to_owned) {
                    if other != code {
                        reading.notes.push(format!(
                            "--country names {code}, but the text reads as {} ({})",
                            catalog.countries.name(&other),
                            t.mentions.describe(3)
                        ));
                    }
                }
                t.iso3 = Some(code.to_owned());
                t.given = true;
            }
            (None, Ok(code)) => t.iso3 = Some(code.to_owned()),
            (None, Err(reason)) => reading.problems.push(problem(
                Some(t.first_line),
                Some("country"),
                None,
                format!("{reason}: name it with --country"),
            )),
        }
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for t in texts.iter() {
        let Some(code) = t.iso3.as_deref() else { continue };
        if let Some(first) = seen.insert(code, t.first_line) {
            reading.problems.push(problem(
                Some(t.first_line),
                Some("country"),
                Some(code),
                format!(
                    "{} appears twice in the text (also from line {first})",
                    catalog.countries.name(code)
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::narratives::ScoreLine;
    use rust_decimal::Decimal;
    use rust_decimal_macros::dec;

    /// A made-up page in the layout of the website's text, in our own words.
    const PAGE: &str = "\
Menu
See example.orgHuman trafficking
6.000.50
A definition of what the indicator measures.
Heroin trade
4.50 n/a
Another definition.
Law enforcement
3.00-1.00
A third definition.
Mongolia sees people trafficked to work in mines; Mongolian courts rarely convict.
Heroin crosses Mongolia in small amounts, and the heroin market is small.
Police in Mongolia lack resources; law enforcement is patchy across Mongolia.
give us your feedback
";

    #[test]
    fn a_page_is_split_into_figures_definitions_and_linked_paragraphs() {
        let mut catalog = Catalog::reference(2023);
        // a small edition, so that each paragraph has its own indicator
        for i in &mut catalog.indicators {
            i.assessed &=
                ["human-trafficking", "heroin-trade", "law-enforcement"].contains(&i.slug.as_str());
        }
        let reading = read(PAGE, &catalog, None);
        assert!(reading.problems.is_empty(), "{:?}", reading.problems);
        assert_eq!(reading.format, Some(Format::Page));
        let page = &reading.countries[0];
        assert_eq!(page.iso3.as_deref(), Some("MNG"));
        let figures: Vec<(&str, Decimal, Option<Decimal>, usize)> = page
            .figures
            .iter()
            .map(|f| (f.slug.as_str(), f.value.score, f.value.delta, f.line))
            .collect();
        assert_eq!(
            figures,
            [
                ("human-trafficking", dec!(6.00), Some(dec!(0.50)), 3),
                ("heroin-trade", dec!(4.50), None, 6),
                ("law-enforcement", dec!(3.00), Some(dec!(-1.00)), 9)
            ]
        );
        assert_eq!(page.definitions[2].text, "A third definition.");
        let links: Vec<&[String]> =
            page.narratives.iter().map(|n| n.indicators.as_slice()).collect();
        assert_eq!(links, [["human-trafficking"], ["heroin-trade"], ["law-enforcement"]]);
        assert_eq!(page.narratives[2].heading.as_deref(), Some("Resilience"));
        let dropped: Vec<(usize, &str)> =
            reading.dropped.iter().map(|d| (d.line, d.reason)).collect();
        assert_eq!(dropped, [(1, "before the first page"), (2, "link"), (14, "survey prompt")]);
    }

    #[test]
    fn blank_lines_anywhere_and_missing_definitions_change_nothing_but_line_numbers() {
        let catalog = Catalog::reference(2023);
        let summary = |text: &str| {
            let reading = read(text, &catalog, None);
            assert!(reading.problems.is_empty(), "{:?}", reading.problems);
            let page = &reading.countries[0];
            let figures: Vec<(String, ScoreLine)> =
                page.figures.iter().map(|f| (f.slug.clone(), f.value)).collect();
            let definitions: Vec<String> =
                page.definitions.iter().map(|d| d.text.clone()).collect();
            let narratives: Vec<String> = page.narratives.iter().map(|n| n.body.clone()).collect();
            (reading.countries.len(), page.iso3.clone(), figures, definitions, narratives)
        };
        let plain = summary(PAGE);
        let spaced = summary(&PAGE.replace('\n', "\n\n"));
        assert_eq!(spaced, plain);
        let bare: String =
            PAGE.lines().filter(|l| !l.contains("definition")).map(|l| format!("{l}\n")).collect();
        let (countries, iso3, figures, definitions, narratives) = summary(&bare);
        assert_eq!((countries, iso3, figures), (plain.0, plain.1, plain.2));
        assert!(definitions.is_empty());
        assert_eq!(narratives, plain.4, "no paragraph is taken for a definition");
    }

    #[test]
    fn texts_that_cannot_be_imported_say_why() {
        let catalog = Catalog::reference(2023);
        let neither = read("Some words about nothing.\nMore of them.", &catalog, None);
        assert!(neither.problems[0].reason.contains("neither"), "{:?}", neither.problems);
        let bare = read("Heroin trade\n4.50 n/a\nA definition.\n", &catalog, None);
        assert!(
            bare.problems
                .iter()
                .any(|p| p.row == Some(1) && p.reason.contains("no narrative paragraph")),
            "{:?}",
            bare.problems
        );
        let vague = read("DRUGS\nHeroin crosses the region on old roads.\n", &catalog, None);
        assert!(vague.problems[0].reason.contains("names no country"), "{:?}", vague.problems);
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Pieces of both formats and of what goes wrong in them, in any order.
    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("Human trafficking\n".to_owned()),
            Just("Heroin trade\n".to_owned()),
            Just("Criminal markets\n".to_owned()),
            Just("4.330.18\n".to_owned()),
            Just("3.50 n/a\n".to_owned()),
            Just("10.00-1.00\n".to_owned()),
            Just("A definition of what is measured.\n".to_owned()),
            Just("DRUGS\n".to_owned()),
            Just("PEOPLE\n".to_owned()),
            Just("LEADERSHIP AND GOVERNANCE\n".to_owned()),
            Just("Mongolia sees heroin cross it, and Mongolian police seize some.\n".to_owned()),
            Just("Kazakhstan is named; Kazakh courts act in Kazakhstan.\n".to_owned()),
            Just("the organiza-\ntion of it\n".to_owned()),
            Just("PAGE 6 OF 6\n".to_owned()),
            Just("See example.org\n".to_owned()),
            Just("\n".to_owned()),
            Just("\r\n".to_owned()),
            Just("\u{feff}".to_owned()),
            Just("\u{ad}\n".to_owned()),
            Just("\u{0}".to_owned()),
            "[ -~]{0,60}\n",
            any::<String>(),
        ]
    }

    proptest! {
        // a fixed seed: the same cases on every run, so a red CI is a change in the code, not a
        // new draw (try other cases by changing the seed)
        #![proptest_config(ProptestConfig {
            rng_seed: proptest::test_runner::RngSeed::Fixed(0x0C1D_2023),
            ..ProptestConfig::with_cases(256)
        })]

        /// Any text is read, or refused with reasons that point into it; what is read can be
        /// stored (no empty body, no NUL) and is tied to a known indicator.
        #[test]
        fn any_text_is_read_or_refused_with_reasons(
            pieces in proptest::collection::vec(piece(), 0..80),
            country in proptest::option::of(prop_oneof![Just("KAZ"), Just("mng"), Just("XYZ")]),
        ) {
            let text = pieces.concat();
            let catalog = Catalog::reference(2023);
            let reading = read(&text, &catalog, country);
            let lines = text.split('\n').count();
            for problem in &reading.problems {
                prop_assert!(!problem.reason.trim().is_empty());
                if let Some(row) = problem.row {
                    prop_assert!((1..=lines as u32).contains(&row), "{problem:?} of {lines} lines");
                }
            }
            for country in &reading.countries {
                for narrative in &country.narratives {
                    prop_assert!(!narrative.body.trim().is_empty());
                    prop_assert!(!narrative.body.contains('\0'));
                    for slug in &narrative.indicators {
                        prop_assert!(catalog.indicator(slug).is_some(), "{slug}");
                    }
                }
            }
        }
    }

    /// Found by the property above: a line of only a soft hyphen made an empty narrative.
    #[test]
    fn a_line_of_soft_hyphens_makes_no_narrative() {
        let text =
            "DRUGS\n\u{ad}\nDRUGS\nOpium crosses Kazakhstan; Kazakhstan and Kazakh police act.\n";
        let reading = read(text, &Catalog::reference(2023), Some("KAZ"));
        let bodies: Vec<&str> =
            reading.countries.iter().flat_map(|c| &c.narratives).map(|n| n.body.as_str()).collect();
        assert_eq!(bodies, ["Opium crosses Kazakhstan; Kazakhstan and Kazakh police act."]);
    }

    /// A page of one country with 10,000 paragraphs (about 1 MB): linking was quadratic in
    /// them (minutes); it is refused, and the reading ends in moments.
    #[test]
    fn an_endless_page_is_refused_quickly() {
        let mut text = String::from("Heroin trade\n4.50 n/a\nA definition.\n");
        for i in 0..10_000 {
            text.push_str(&format!("Paragraph {i} says that heroin crosses Mongolia again.\n"));
        }
        assert!(text.len() > 500_000);
        let started = std::time::Instant::now();
        let reading = read(&text, &Catalog::reference(2023), None);
        let elapsed = started.elapsed();
        let refused = reading.problems.iter().any(|p| p.reason.contains("10000 paragraphs"));
        assert!(refused, "{:?}", reading.problems);
        // generous for a debug build on a shared machine; it was minutes
        assert!(elapsed < std::time::Duration::from_secs(30), "{elapsed:?}");
    }
}
