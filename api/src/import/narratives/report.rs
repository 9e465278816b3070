//! What a narrative import found and did: countries, the indicator mapping of every
//! narrative, the verification of the printed figures, dropped furniture and problems.
use super::text::Dropped;
use super::Format;
use crate::import::{ImportReport, Problem};
use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, Serialize)]
pub struct NarrativeReport {
    pub dry_run: bool,
    pub edition: i32,
    /// The format recognised; `None` when the text is in neither.
    pub format: Option<Format>,
    pub countries: Vec<CountryReport>,
    /// Printed indicator definitions, and how many became descriptions of indicators that
    /// had none (or would, in a dry run).
    pub definitions_read: usize,
    pub descriptions_stored: usize,
    pub dropped: Vec<Dropped>,
    /// Things worth knowing that do not stop the import.
    pub notes: Vec<String>,
    pub problems: Vec<Problem>,
    /// Whether the narratives were written.
    pub written: bool,
}

/// One country's text in the file.
#[derive(Debug, Clone, Serialize)]
pub struct CountryReport {
    /// `None` when the country could not be told.
    pub iso3: Option<String>,
    pub name: Option<String>,
    pub first_line: usize,
    /// True when `--country` named it; false when the text did.
    pub given: bool,
    /// The countries the text mentions most ("KAZ 61, RUS 14, KGZ 3").
    pub mentions: String,
    pub narratives: Vec<NarrativeLine>,
    /// Figures the page prints, and how many equal the database's.
    pub figures_checked: usize,
    pub figures_matching: usize,
}

/// One narrative and the indicators it was linked to.
#[derive(Debug, Clone, Serialize)]
pub struct NarrativeLine {
    pub position: usize,
    pub line: usize,
    pub heading: Option<String>,
    pub indicators: Vec<String>,
    /// True when order alone linked it: no word of the text named the indicators.
    pub by_position: bool,
    pub words: usize,
    pub opening: String,
}

impl NarrativeReport {
    pub fn succeeded(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The report in the shape the GraphQL `ImportReport` has, shared with the dataset import.
impl From<&NarrativeReport> for ImportReport {
    fn from(report: &NarrativeReport) -> Self {
        ImportReport {
            dry_run: report.dry_run,
            editions: vec![report.edition],
            countries: report.countries.len(),
            problems: report.problems.clone(),
            ..ImportReport::default()
        }
    }
}

impl fmt::Display for NarrativeReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let format = match self.format {
            Some(Format::Page) => "country page text",
            Some(Format::Summary) => "country summary text (PDF)",
            None => "not recognised",
        };
        writeln!(f, "format:       {format}")?;
        writeln!(f, "edition:      {}", self.edition)?;
        writeln!(f, "countries:    {}", self.countries.len())?;
        for country in &self.countries {
            let who = match (&country.iso3, &country.name) {
                (Some(iso3), Some(name)) => format!("{iso3} {name}"),
                _ => "unknown country".to_owned(),
            };
            let how = if country.given { "named with --country" } else { "told by the text" };
            writeln!(
                f,
                "{who}, from line {}: {how} (mentions: {})",
                country.first_line, country.mentions
            )?;
            if country.figures_checked > 0 {
                writeln!(
                    f,
                    "  figures:    {} printed, {} equal the database's",
                    country.figures_checked, country.figures_matching
                )?;
            }
            writeln!(f, "  narratives: {}", country.narratives.len())?;
            for n in &country.narratives {
                let heading = n.heading.as_deref().map(|h| format!("{h}: ")).unwrap_or_default();
                let how = if n.by_position { " (by position only)" } else { "" };
                writeln!(
                    f,
                    "   {:>3}  line {:<4} {heading}{}{how}",
                    n.position,
                    n.line,
                    n.indicators.join(", ")
                )?;
                writeln!(f, "              {} words: {}", n.words, n.opening)?;
            }
        }
        let verb = if self.written { "stored" } else { "to store" };
        writeln!(
            f,
            "definitions:  {} printed, {} {verb} as descriptions of indicators that had none",
            self.definitions_read, self.descriptions_stored
        )?;
        writeln!(
            f,
            "dropped:      {} pieces of page furniture and other text",
            self.dropped.len()
        )?;
        for d in &self.dropped {
            writeln!(f, "  line {:<4} {} ({})", d.line, d.text, d.reason)?;
        }
        for note in &self.notes {
            writeln!(f, "note:         {note}")?;
        }
        if self.succeeded() {
            let outcome = if self.written { "imported" } else { "dry run: nothing written" };
            writeln!(f, "result:       {outcome}")
        } else {
            writeln!(f, "problems:     {} (nothing written)", self.problems.len())?;
            for p in &self.problems {
                let mut place = Vec::new();
                if let Some(line) = p.row {
                    place.push(format!("line {line}"));
                }
                if let Some(column) = &p.column {
                    place.push(column.clone());
                }
                if let Some(value) = &p.value {
                    place.push(format!("{value:?}"));
                }
                if place.is_empty() {
                    writeln!(f, "  - {}", p.reason)?;
                } else {
                    writeln!(f, "  - {}: {}", place.join(", "), p.reason)?;
                }
            }
            Ok(())
        }
    }
}
