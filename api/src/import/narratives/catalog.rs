//! What a narrative text is read against: the indicator tree with the edition's set, and the
//! countries' names.
use super::detect::CountryNames;
use entity::indicator;
use reference::INDICATORS;
use std::collections::{HashMap, HashSet};

/// An indicator as the reader needs it.
#[derive(Clone, Debug)]
pub struct CatalogIndicator {
    pub slug: String,
    pub name: String,
    /// Slug of the composite it is averaged into.
    pub parent: Option<String>,
    pub is_composite: bool,
    /// Whether the edition being imported assesses it.
    pub assessed: bool,
}

/// What the text is read against: the indicator tree (and the edition's set) and the
/// countries' names.
pub struct Catalog {
    pub year: i32,
    /// Tree order.
    pub indicators: Vec<CatalogIndicator>,
    pub countries: CountryNames,
}

impl Catalog {
    /// The project's reference data for `year`, without a database: what the seed migrations
    /// write, for reading texts in tests and tools.
    pub fn reference(year: i32) -> Self {
        let indicators = INDICATORS
            .iter()
            .map(|def| CatalogIndicator {
                slug: reference::slugify(def.name),
                name: def.name.to_owned(),
                parent: def.parent.map(str::to_owned),
                is_composite: def.is_composite,
                assessed: def.since <= year,
            })
            .collect();
        Self { year, indicators, countries: CountryNames::reference() }
    }

    pub(super) fn from_models(
        year: i32,
        models: &[indicator::Model],
        assessed: &HashSet<i32>,
        countries: CountryNames,
    ) -> Self {
        let slug_of: HashMap<i32, &str> = models.iter().map(|m| (m.id, m.slug.as_str())).collect();
        let indicators = models
            .iter()
            .map(|m| CatalogIndicator {
                slug: m.slug.clone(),
                name: m.name.clone(),
                parent: m.parent_id.and_then(|p| slug_of.get(&p)).map(|s| (*s).to_owned()),
                is_composite: m.is_composite,
                assessed: assessed.contains(&m.id),
            })
            .collect();
        Self { year, indicators, countries }
    }

    pub(super) fn indicator(&self, slug: &str) -> Option<&CatalogIndicator> {
        self.indicators.iter().find(|i| i.slug == slug)
    }

    /// The raw indicators the edition assesses, in tree order, optionally under one composite.
    pub(super) fn assessed_raw<'a>(
        &'a self,
        under: Option<&'a str>,
    ) -> impl Iterator<Item = &'a CatalogIndicator> {
        self.indicators.iter().filter(move |i| {
            i.assessed && !i.is_composite && under.is_none_or(|u| i.parent.as_deref() == Some(u))
        })
    }
}
