//! What an import found and did, for the CLI and for the GraphQL mutation alike.
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

#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    pub dry_run: bool,
    /// Editions found in the source, by year.
    pub editions: Vec<i32>,
    /// Country rows read, over all editions.
    pub countries: usize,
    /// Entered scores written (or that would be written, in a dry run).
    pub scores_written: usize,
    /// Composite figures the source publishes, and how many of them the methodology reproduced.
    pub composites_checked: usize,
    pub composites_reproduced: usize,
    /// Derived figures stored after the import (values with deltas and ranks).
    pub figures_stored: usize,
    pub problems: Vec<Problem>,
}

impl ImportReport {
    pub fn succeeded(&self) -> bool {
        self.problems.is_empty()
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
        let verb = if self.dry_run { "to write" } else { "written" };
        writeln!(f, "scores:     {} {verb}", self.scores_written)?;
        writeln!(
            f,
            "composites: published composites reproduced {} of {}",
            self.composites_reproduced, self.composites_checked
        )?;
        if !self.dry_run && self.succeeded() {
            writeln!(f, "figures:    {} stored with deltas and ranks", self.figures_stored)?;
        }
        if self.succeeded() {
            let outcome = if self.dry_run { "dry run: nothing written" } else { "imported" };
            writeln!(f, "result:     {outcome}")
        } else {
            writeln!(f, "problems:   {} (nothing written)", self.problems.len())?;
            for problem in &self.problems {
                writeln!(f, "  - {problem}")?;
            }
            Ok(())
        }
    }
}
