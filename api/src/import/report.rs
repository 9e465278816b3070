//! What an import found and did, for the CLI and for the GraphQL mutations alike: the
//! problems of a source, the dataset import's report and the narrative import's.
use super::narratives::{Dropped, Format};
use serde::Serialize;
use std::fmt;

/// One thing wrong with the source, located as precisely as the source allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub sheet: Option<String>,
    /// 1-based row as a spreadsheet shows it.
    pub row: Option<u32>,
    pub column: Option<String>,
    pub value: Option<String>,
    pub reason: String,
}

impl Problem {
    pub fn in_file(reason: impl Into<String>) -> Self {
        Self { sheet: None, row: None, column: None, value: None, reason: reason.into() }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut place = Vec::new();
        if let Some(sheet) = &self.sheet {
            place.push(format!("sheet {sheet}"));
        }
        if let Some(row) = self.row {
            place.push(format!("row {row}"));
        }
        if let Some(column) = &self.column {
            place.push(format!("column {column:?}"));
        }
        if let Some(value) = &self.value {
            place.push(format!("value {value:?}"));
        }
        if place.is_empty() {
            write!(f, "{}", self.reason)
        } else {
            write!(f, "{}: {}", place.join(", "), self.reason)
        }
    }
}

/// What a dataset import found and did (the narrative import's report is turned into one for
/// the GraphQL answer).
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    pub dry_run: bool,
    /// Editions found in the source, by year.
    pub editions: Vec<i32>,
    /// Country rows read, over all editions.
    pub countries: usize,
    /// Entered scores the source holds.
    pub scores_read: usize,
    /// Entered scores written because they are new or changed (in a dry run: that a real run
    /// would write); 0 when the database holds them already.
    pub scores_written: usize,
    /// Rows of editions, sets, members and scores inserted, updated or deleted (in a dry
    /// run: that would be); 0 when the file changes nothing.
    pub rows_changed: usize,
    /// Composite figures the source publishes, and how many of them the methodology reproduced.
    pub composites_checked: usize,
    pub composites_reproduced: usize,
    /// Derived figures stored after the import (values with deltas and ranks): 0 in a dry
    /// run, and when the import changed nothing (the figures are then as they were).
    pub figures_stored: usize,
    pub problems: Vec<Problem>,
}

impl ImportReport {
    pub fn succeeded(&self) -> bool {
        self.problems.is_empty()
    }

    /// Whether the import wrote anything.
    pub fn written(&self) -> bool {
        !self.dry_run && self.succeeded() && self.rows_changed > 0
    }
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let years: Vec<String> = self.editions.iter().map(i32::to_string).collect();
        writeln!(
            f,
            "editions:   {}",
            if years.is_empty() { "none".into() } else { years.join(", ") }
        )?;
        writeln!(f, "countries:  {} country rows", self.countries)?;
        let verb = if self.dry_run { "would be written" } else { "written" };
        writeln!(
            f,
            "scores:     {} read, {} {verb} (new or changed)",
            self.scores_read, self.scores_written
        )?;
        writeln!(
            f,
            "composites: published composites reproduced {} of {}",
            self.composites_reproduced, self.composites_checked
        )?;
        if self.written() {
            writeln!(f, "figures:    {} stored with deltas and ranks", self.figures_stored)?;
        }
        if !self.succeeded() {
            writeln!(f, "problems:   {} (nothing written)", self.problems.len())?;
            for problem in &self.problems {
                writeln!(f, "  - {problem}")?;
            }
            return Ok(());
        }
        let rows = self.rows_changed;
        let outcome = match (self.dry_run, rows) {
            (true, 0) => "dry run: nothing written; the database holds this file already".into(),
            (true, _) => format!("dry run: nothing written; a real run would write {rows} rows"),
            (false, 0) => {
                "nothing changed: the database holds this file already; nothing written".into()
            }
            (false, _) => format!("imported: {rows} rows written"),
        };
        writeln!(f, "result:     {outcome}")
    }
}

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
    /// Countries whose stored narratives the text changes (in a dry run: would change); a
    /// country whose narratives are stored as the text has them is left as it is.
    pub countries_changed: usize,
    /// Whether anything was written: false in a dry run, with a problem, and when the text
    /// changes nothing.
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
        let verb = if self.dry_run { "would be stored" } else { "stored" };
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
            let changed = self.countries_changed;
            let outcome = match (self.dry_run, self.written) {
                (true, _) if changed == 0 && self.descriptions_stored == 0 => {
                    "dry run: nothing written; the database holds these narratives already".into()
                }
                (true, _) => format!(
                    "dry run: nothing written; a real run would write the narratives of {changed} \
                     countries"
                ),
                (false, true) => format!("imported: the narratives of {changed} countries written"),
                (false, false) => {
                    "nothing changed: the database holds these narratives already; nothing written"
                        .into()
                }
            };
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
