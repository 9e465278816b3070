//! Narrative texts (country pages, PDF summaries) into clean, attributed, indicator-linked
//! narratives. The reader ([`read()`]) is pure: text and a [`Catalog`] in, a [`Reading`] out,
//! no database. [`store`] is the database's side: the catalogue as the database holds it,
//! the checks of a reading against the stored figures and memberships, and the writes; the
//! workflow ([`crate::workflow::import`]) runs them in one transaction.
mod catalog;
mod detect;
mod link;
mod page;
mod read;
pub mod store;
mod summary;
mod text;
mod vocabulary;

pub use crate::import::report::{CountryReport, NarrativeLine, NarrativeReport};
pub use catalog::{Catalog, CatalogIndicator};
pub use detect::{CountryNames, Mentions};
pub use page::{score_line, Definition, PrintedFigure, ScoreLine};
pub use read::{read, CountryText, ReadNarrative, Reading, MAX_PAGE_PARAGRAPHS, MAX_TEXT_BYTES};
pub use text::Dropped;

use serde::Serialize;

/// The two layouts narrative texts come in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Format {
    /// Text copied from the Index's country pages: figures with definitions, then paragraphs.
    Page,
    /// Text extracted from a country's PDF summary: sections under headings.
    Summary,
}
