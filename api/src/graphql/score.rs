//! Scores: a country's published figure for one indicator in one edition.
use super::country::Country;
use super::eager::Eager;
use super::edition::Edition;
use super::ids::GlobalId;
use super::indicator::Indicator;
use super::loaders::{ChangeOf, ChangesBetween, Loaders};
use super::request;
use crate::error::{ApiError, Result};
use async_graphql::{Context, Object, ID};
use entity::{country, figure};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use std::sync::Arc;

/// A country's figure for one indicator in one edition, as the Index publishes it.
#[derive(Clone, Debug)]
pub struct Score {
    pub country: Arc<country::Model>,
    pub figure: figure::Model,
    /// One of all the country's figures of its edition (`scores`): its change is read with
    /// theirs, the country's changes at once. A figure asked for alone reads only its own.
    pub in_profile: bool,
}

impl Score {
    pub fn new(country: Arc<country::Model>, figure: figure::Model) -> Self {
        Self { country, figure, in_profile: false }
    }

    /// A figure listed with all the country's others of its edition.
    pub fn in_profile(country: Arc<country::Model>, figure: figure::Model) -> Self {
        Self { country, figure, in_profile: true }
    }
}

/// The published 2-decimal figures travel as JSON numbers; 2 decimals print exactly.
pub fn published(value: Decimal) -> f64 {
    value.to_f64().unwrap_or(f64::NAN)
}

/// A country's figure for one indicator in one edition, as the Index publishes it: a value
/// from 1.00 to 10.00 (raw indicators in steps of 0.5, composites as 2-decimal means), its
/// change since earlier editions and its ranks. Higher criminality is worse, higher
/// resilience is better.
#[Object]
impl Score {
    /// Global id (Relay).
    pub(crate) async fn id(&self, ctx: &Context<'_>) -> Result<ID> {
        let rc = request(ctx)?;
        let edition = rc.edition_by_id(self.figure.edition_id).await?.map_or(0, |e| e.year);
        let indicator = rc.indicator_by_id(self.figure.indicator_id).await?;
        let (iso3, slug) = (self.country.iso3.clone(), indicator.slug.clone());
        Ok(GlobalId::Score { iso3, year: edition, slug }.to_id())
    }

    /// The country scored.
    async fn country(&self) -> Eager<Country> {
        Eager(Country(self.country.clone()))
    }

    /// The edition the figure belongs to.
    async fn edition(&self, ctx: &Context<'_>) -> Result<Edition> {
        let edition = request(ctx)?.edition_by_id(self.figure.edition_id).await?;
        edition
            .cloned()
            .map(Edition)
            .ok_or_else(|| ApiError::NotFound("edition not visible".into()))
    }

    /// The indicator (or composite) scored.
    async fn indicator(&self, ctx: &Context<'_>) -> Result<Eager<Indicator>> {
        let indicator = request(ctx)?.indicator_by_id(self.figure.indicator_id).await?;
        Ok(Eager(Indicator(indicator.clone())))
    }

    /// The figure as published, from 1.00 to 10.00 with 2 decimals (e.g. 4.47): raw
    /// indicators in steps of 0.5; composites are exact means rounded half up once.
    async fn value(&self) -> f64 {
        published(self.figure.value)
    }

    /// Change against the previous published edition, from unrounded values, rounded half
    /// up to 2 decimals (e.g. 0.23; negative when the value fell); null where the indicator
    /// did not exist then (the Index prints `n/a`) or there is no earlier edition.
    async fn delta(&self) -> Option<f64> {
        self.figure.delta.map(published)
    }

    /// Change against any earlier edition, from unrounded values; null where the indicator
    /// did not exist in that edition.
    async fn change(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "the earlier edition's year, such as 2021; must precede this one")]
        since: i32,
    ) -> Result<Option<f64>> {
        let rc = request(ctx)?;
        let from = rc.edition("since", Some(since)).await?;
        let to = rc.edition_by_id(self.figure.edition_id).await?.map_or(0, |e| e.year);
        if from.year >= to {
            return Err(ApiError::bad_input(
                "since",
                since,
                format!("since must name an edition before {to}"),
            ));
        }
        let loaders = ctx.data_unchecked::<Loaders>();
        let change = if self.in_profile {
            // the country's changes between exactly these two editions, for all its scores
            let key = ChangesBetween {
                country_id: self.figure.country_id,
                from_edition_id: from.id,
                to_edition_id: self.figure.edition_id,
            };
            let changes = loaders.load_one(key).await?.unwrap_or_default();
            changes.get(&self.figure.indicator_id).copied()
        } else {
            let key = ChangeOf {
                country_id: self.figure.country_id,
                from_edition_id: from.id,
                to_edition_id: self.figure.edition_id,
                indicator_id: self.figure.indicator_id,
            };
            loaders.load_one(key).await?
        };
        Ok(change.map(published))
    }

    /// Rank among all countries of the edition (193 in 2023): 1 is the highest value (the
    /// most criminality, or the most resilience). Ties share a rank and the next rank
    /// skips (1, 2, 2, 4).
    async fn rank(&self) -> i32 {
        self.figure.rank
    }

    /// Rank within the country's continent in this edition, counted like `rank` (1 = the
    /// highest value in the continent).
    async fn rank_in_continent(&self) -> i32 {
        self.figure.rank_in_continent
    }

    /// Rank within the country's region in this edition, counted like `rank` (1 = the
    /// highest value in the region).
    async fn rank_in_region(&self) -> i32 {
        self.figure.rank_in_region
    }
}
