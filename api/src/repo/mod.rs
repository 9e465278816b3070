//! Every database query lives here: reads for the GraphQL layer, and the writes that keep
//! derived figures in step with entered scores inside the caller's transaction.
pub mod audit;
pub mod catalog;
pub mod countries;
pub mod dataset;
pub mod editions;
pub mod exports;
pub mod figures;
pub mod filters;
pub mod indicators;
pub mod keys;
pub mod narratives;
pub mod rankings;
mod row;
pub mod statistics;
pub mod visibility;
pub mod webhooks;

/// What a caller may see: the public reads published editions only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Visibility {
    Published,
    All,
}

impl Visibility {
    pub fn includes_drafts(self) -> bool {
        self == Self::All
    }
}
