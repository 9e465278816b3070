//! What a batch is checked against: one edition's indicator set and members, and every known
//! country and indicator, read once per batch inside its transaction.
use crate::domain::CountryCode;
use crate::error::Result;
use crate::repo;
use crate::suggest::{closest, did_you_mean};
use entity::{country, country_edition, edition, indicator};
use sea_orm::DatabaseTransaction;
use std::collections::{HashMap, HashSet};

pub struct Scope {
    pub edition: edition::Model,
    /// The whole tree in presentation order.
    pub indicators: Vec<indicator::Model>,
    pub set: HashSet<i32>,
    pub members: HashMap<i32, country_edition::Model>,
    countries: HashMap<String, country::Model>,
}

impl Scope {
    pub async fn load(txn: &DatabaseTransaction, edition: edition::Model) -> Result<Self> {
        let indicators = repo::catalog::indicators(txn).await?;
        let set = repo::catalog::edition_sets(txn, &[edition.id])
            .await?
            .into_iter()
            .map(|(_, i)| i)
            .collect();
        let members = repo::editions::members(txn, edition.id)
            .await?
            .into_iter()
            .map(|m| (m.country_id, m))
            .collect();
        let countries = repo::catalog::countries(txn, None)
            .await?
            .into_iter()
            .map(|c| (c.iso3.clone(), c))
            .collect();
        Ok(Self { edition, indicators, set, members, countries })
    }

    /// A known country by ISO3 code, member of the edition or not.
    pub fn country(&self, input: &str) -> Result<&country::Model, String> {
        let code = CountryCode::parse("country", input).map_err(|e| e.message())?;
        self.countries.get(code.as_str()).ok_or_else(|| {
            format!("unknown country {:?}: not the ISO3 code of a known country (add one with upsertCountry)", code.as_str())
        })
    }

    /// A country that the edition covers.
    pub fn member(&self, input: &str) -> Result<&country::Model, String> {
        let country = self.country(input)?;
        if self.members.contains_key(&country.id) {
            Ok(country)
        } else {
            Err(format!(
                "{} is not covered by the {} edition: place it there with upsertCountry first",
                country.iso3, self.edition.year
            ))
        }
    }

    /// An indicator of the edition's set, composite or raw.
    pub fn indicator(&self, slug: &str) -> Result<&indicator::Model, String> {
        let Some(indicator) = self.indicators.iter().find(|i| i.slug == slug) else {
            let nearest = closest(slug, self.indicators.iter().map(|i| i.slug.as_str()));
            return Err(format!("unknown indicator {slug:?}{}", did_you_mean(&nearest)));
        };
        if self.set.contains(&indicator.id) {
            Ok(indicator)
        } else {
            Err(format!(
                "{slug:?} is not assessed by the {} edition (see its indicators)",
                self.edition.year
            ))
        }
    }

    /// An indicator of the edition's set that takes entered scores.
    pub fn raw_indicator(&self, slug: &str) -> Result<&indicator::Model, String> {
        let indicator = self.indicator(slug)?;
        if indicator.is_composite {
            Err(format!(
                "{slug:?} is a composite: it is computed from its indicators, never entered"
            ))
        } else {
            Ok(indicator)
        }
    }

    /// The raw indicators of the edition's set, in tree order.
    pub fn raw_set(&self) -> impl Iterator<Item = &indicator::Model> {
        self.indicators.iter().filter(|i| !i.is_composite && self.set.contains(&i.id))
    }

    /// The edition's members, by name.
    pub fn members_by_name(&self) -> Vec<&country::Model> {
        let mut members: Vec<&country::Model> =
            self.countries.values().filter(|c| self.members.contains_key(&c.id)).collect();
        members.sort_by(|a, b| a.name.cmp(&b.name));
        members
    }
}
