//! Relay object identification: any object by its global id.
use super::country::Country;
use super::edition::Edition;
use super::indicator::Indicator;
use super::loaders::{FigureOf, Loaders};
use super::narrative::Narrative;
use super::score::Score;
use super::{ids, request};
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
        let (kind, key) = ids::decode(&id).ok_or_else(not_ours)?;
        let node = match kind.as_str() {
            "Country" => rc.country(&key).await?.cloned().map(|c| Node::Country(Country(c))),
            "Edition" => {
                let year: i32 = key.parse().map_err(|_| not_ours())?;
                rc.editions()
                    .await?
                    .iter()
                    .find(|e| e.year == year)
                    .cloned()
                    .map(|e| Node::Edition(Edition(e)))
            }
            "Indicator" => rc
                .indicators()
                .await?
                .iter()
                .find(|i| i.slug == key)
                .cloned()
                .map(|i| Node::Indicator(Indicator(i))),
            "Score" => {
                let mut parts = key.splitn(3, ':');
                let (Some(iso3), Some(year), Some(slug)) =
                    (parts.next(), parts.next(), parts.next())
                else {
                    return Err(not_ours());
                };
                let year: i32 = year.parse().map_err(|_| not_ours())?;
                let country = rc.country(iso3).await?.cloned();
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
                let figure = ctx.data_unchecked::<Loaders>().load_one(key).await?;
                figure.map(|figure| Node::Score(Score::new(country, figure)))
            }
            "Narrative" => {
                let id: i32 = key.parse().map_err(|_| not_ours())?;
                let found = repo::narratives::by_id(&rc.db, id).await?;
                // visible only with its edition
                match found {
                    Some(n) if rc.edition_by_id(n.edition_id).await?.is_some() => {
                        Some(Node::Narrative(Narrative(n)))
                    }
                    _ => None,
                }
            }
            _ => return Err(not_ours()),
        };
        Ok(node)
    }
}
