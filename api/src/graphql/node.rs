//! Relay object identification: any object by its global id.
use super::country::Country;
use super::edition::Edition;
use super::ids::GlobalId;
use super::indicator::Indicator;
use super::loaders::{FigureOf, Loaders};
use super::narrative::Narrative;
use super::request;
use super::score::Score;
use crate::error::{ApiError, Result};
use crate::repo;
use async_graphql::{Context, Interface, Object, ID};

/// An object with a global id.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Global id (Relay)."))]
pub enum Node {
    Country(Country),
    Edition(Edition),
    Indicator(Indicator),
    Narrative(Narrative),
    Score(Score),
}

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Any object by its global id; null when it no longer exists or is not visible to the
    /// caller.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "a global `id` this API returned, such as a Country's or a Score's")]
        id: ID,
    ) -> Result<Option<Node>> {
        let rc = request(ctx)?;
        let not_ours = || {
            ApiError::bad_input(
                "id",
                id.as_str(),
                format!("{:?} is not an id of this API", id.as_str()),
            )
        };
        let node = match GlobalId::parse(&id).ok_or_else(not_ours)? {
            GlobalId::Country { iso3 } => {
                rc.country(&iso3).await?.cloned().map(|c| Node::Country(Country(c)))
            }
            GlobalId::Edition { year } => rc
                .editions()
                .await?
                .iter()
                .find(|e| e.year == year)
                .cloned()
                .map(|e| Node::Edition(Edition(e))),
            GlobalId::Indicator { slug } => rc
                .indicators()
                .await?
                .iter()
                .find(|i| i.slug == slug)
                .cloned()
                .map(|i| Node::Indicator(Indicator(i))),
            GlobalId::Score { iso3, year, slug } => {
                let country = rc.country(&iso3).await?.cloned();
                let edition = rc.editions().await?.iter().find(|e| e.year == year);
                let indicator = rc.indicators().await?.iter().find(|i| i.slug == slug);
                let (Some(country), Some(edition), Some(indicator)) = (country, edition, indicator)
                else {
                    return Ok(None);
                };
                let key = FigureOf {
                    country_id: country.id,
                    edition_id: edition.id,
                    indicator_id: indicator.id,
                };
                let figure = ctx.data_unchecked::<Loaders>().figure(key).await?;
                figure.map(|figure| Node::Score(Score::new(country, figure)))
            }
            GlobalId::Narrative { id } => {
                let found = repo::narratives::by_id(&rc.db, id).await?;
                // visible only with its edition
                match found {
                    Some(n) if rc.edition_by_id(n.edition_id).await?.is_some() => {
                        Some(Node::Narrative(Narrative(n)))
                    }
                    _ => None,
                }
            }
            // ids of the admin's objects, which are no nodes
            GlobalId::ApiKey { .. } | GlobalId::AuditEntry { .. } | GlobalId::Webhook { .. } => {
                return Err(not_ours())
            }
        };
        Ok(node)
    }
}
