//! The indicator tree: pillars, composites and the indicators they average.
use super::ids::GlobalId;
use super::request;
use crate::domain::Pillar;
use crate::error::Result;
use async_graphql::{Context, Object, ID};
use entity::indicator;

/// An indicator of the Index, scored 1 to 10. Composites (criminality, criminal markets,
/// criminal actors, resilience) are means of their children, computed, never entered.
#[derive(Clone, Debug)]
pub struct Indicator(pub indicator::Model);

/// An indicator of the Index, identified by its slug (`synthetic-drug-trade`), scored 1 to
/// 10 per country and edition. The four composites (`criminality`, `criminal-markets`,
/// `criminal-actors`, `resilience`) are means of their children, computed, never entered.
#[Object]
impl Indicator {
    /// Global id (Relay).
    pub(crate) async fn id(&self) -> ID {
        GlobalId::Indicator { slug: self.0.slug.clone() }.to_id()
    }

    /// Stable identifier: the name in lower case, runs of non-letters as `-`.
    async fn slug(&self) -> &str {
        &self.0.slug
    }

    /// The name the Index prints, such as "Synthetic drug trade".
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// What the indicator assesses, where known.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// The pillar the indicator belongs to (for a composite, the one it heads).
    async fn pillar(&self) -> Pillar {
        self.0.pillar
    }

    /// True for means of other indicators.
    async fn is_composite(&self) -> bool {
        self.0.is_composite
    }

    /// The composite this indicator is averaged into; null for criminality and resilience.
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<Indicator>> {
        let Some(parent_id) = self.0.parent_id else { return Ok(None) };
        Ok(Some(Indicator(request(ctx)?.indicator_by_id(parent_id).await?.clone())))
    }

    /// The indicators this composite averages, in tree order (every edition's, together).
    async fn children(&self, ctx: &Context<'_>) -> Result<Vec<Indicator>> {
        let all = request(ctx)?.indicators().await?;
        Ok(all.iter().filter(|i| i.parent_id == Some(self.0.id)).cloned().map(Indicator).collect())
    }
}

#[derive(Default)]
pub struct IndicatorQuery;

#[Object]
impl IndicatorQuery {
    /// Indicators in tree order; with `edition`, only those that edition assesses.
    async fn indicators(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "an edition's year, such as 2021: only the indicators it assesses")]
        edition: Option<i32>,
    ) -> Result<Vec<Indicator>> {
        let rc = request(ctx)?;
        let all = rc.indicators().await?;
        let chosen: Vec<Indicator> = match edition {
            None => all.iter().cloned().map(Indicator).collect(),
            Some(year) => {
                let set = rc.edition_set(rc.edition("edition", Some(year)).await?.id).await?;
                all.iter().filter(|i| set.contains(&i.id)).cloned().map(Indicator).collect()
            }
        };
        Ok(chosen)
    }

    /// One indicator by slug; an unknown slug is refused with `BAD_USER_INPUT`.
    async fn indicator(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "the indicator's slug, such as \"synthetic-drug-trade\"")] slug: String,
    ) -> Result<Indicator> {
        Ok(Indicator(request(ctx)?.indicator("slug", &slug).await?.clone()))
    }
}
