//! Importers: readers that turn a source (the official xlsx, narrative texts, the bundled
//! sample) into validated data, and the reports of what they found. The readers touch no
//! database; an import is written by the workflow ([`crate::workflow::import`]), in one
//! transaction with its audit entry.
pub mod dataset;
pub mod narratives;
mod report;
pub mod sample;
pub mod workbook;

pub use report::{CountryReport, ImportReport, NarrativeLine, NarrativeReport, Problem};
