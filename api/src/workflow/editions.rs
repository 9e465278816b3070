//! An edition's life: created as a draft, checked and published, reopened for corrections,
//! deleted while still a draft; and the new indicators a draft may introduce.
use super::scope::Scope;
use super::{find_edition, locked, refuse, run, Actor, Done};
use crate::error::{ApiError, Result};
use crate::repo;
use crate::webhooks::{outbox, WebhookEvent};
use entity::{edition, indicator};
use reference::slugify;
use sea_orm::{DatabaseConnection, DatabaseTransaction};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// Years the database accepts for an edition.
pub const YEARS: std::ops::RangeInclusive<i32> = 1990..=2200;

/// A new draft edition. Give `indicatorsFrom`, `indicators` or both.
// also the GraphQL input: the mutation takes this type, so that its fields are declared once
// (the doc comments are the schema's descriptions)
#[derive(async_graphql::InputObject, Debug, Clone, Default)]
#[graphql(name = "CreateEditionInput")]
pub struct NewEdition {
    /// The edition's year; it identifies the edition everywhere and must be new.
    pub year: i32,
    /// The title, such as "Global Organized Crime Index 2025".
    pub title: String,
    /// An earlier edition whose indicator set the draft copies.
    pub indicators_from: Option<i32>,
    /// Indicator slugs added to the copied set (or forming the set on their own). The
    /// composites above them join the set with them, so the set is always a closed tree.
    pub indicators: Option<Vec<String>>,
    /// The edition whose member countries, with their continent and region, the draft
    /// starts with. Default: `indicatorsFrom`, else the latest published edition.
    pub members_from: Option<i32>,
}

/// A problem with one slug of `indicators`.
#[derive(Debug, Clone, Serialize)]
pub struct IndicatorProblem {
    pub index: Option<usize>,
    pub indicator: String,
    pub reason: String,
}

/// What a country lacks before its edition can be published.
#[derive(Debug, Clone, Serialize)]
pub struct MissingScores {
    pub country: String,
    pub name: String,
    pub indicators: Vec<String>,
}

pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    new: &NewEdition,
) -> Result<edition::Model> {
    run(db, actor, "createEdition", Some(new.year), async |txn| create_draft(txn, new).await).await
}

async fn create_draft(txn: &DatabaseTransaction, new: &NewEdition) -> Result<Done<edition::Model>> {
    if !YEARS.contains(&new.year) {
        return Err(ApiError::bad_input(
            "input.year",
            new.year,
            format!("an edition's year lies in {YEARS:?}"),
        ));
    }
    let title = new.title.trim();
    if title.is_empty() {
        return Err(ApiError::bad_input("input.title", &new.title, "the title is empty"));
    }
    if let Some(existing) =
        repo::catalog::edition_by_year(txn, new.year, repo::Visibility::All).await?
    {
        return Err(ApiError::Conflict(format!(
            "there is already a {} edition ({})",
            existing.year,
            sea_orm::ActiveEnum::to_value(&existing.status)
        )));
    }
    let source = |field: &'static str, year: i32| async move {
        repo::catalog::edition_by_year(txn, year, repo::Visibility::All).await?.ok_or_else(|| {
            ApiError::bad_input(field, year, format!("there is no edition {year} to copy from"))
        })
    };
    let indicators_from = match new.indicators_from {
        Some(year) => Some(source("input.indicatorsFrom", year).await?),
        None => None,
    };
    let slugs = new.indicators.as_deref().unwrap_or_default();
    if indicators_from.is_none() && slugs.is_empty() {
        return Err(ApiError::bad_argument(
            "input",
            "an edition needs indicators: give indicatorsFrom, indicators or both",
        ));
    }
    let members_from = match (new.members_from, &indicators_from) {
        (Some(year), _) => Some(source("input.membersFrom", year).await?),
        (None, Some(from)) => Some(from.clone()),
        (None, None) => repo::catalog::latest_published(txn).await?,
    };

    let tree = repo::catalog::indicators(txn).await?;
    let mut set: HashSet<i32> = match &indicators_from {
        Some(from) => repo::catalog::edition_sets(txn, &[from.id])
            .await?
            .into_iter()
            .map(|(_, i)| i)
            .collect(),
        None => HashSet::new(),
    };
    let mut problems = Vec::new();
    for (index, slug) in slugs.iter().enumerate() {
        match tree.iter().find(|i| &i.slug == slug) {
            Some(indicator) => {
                set.insert(indicator.id);
            }
            None => problems.push(IndicatorProblem {
                index: Some(index),
                indicator: slug.clone(),
                reason: format!("unknown indicator {slug:?}: create it with createIndicator first"),
            }),
        }
    }
    problems.extend(close_tree(&tree, &mut set).into_iter().map(|slug| IndicatorProblem {
        index: None,
        reason: format!("{slug:?} is a composite without any of its indicators in the set: it could not be computed"),
        indicator: slug,
    }));
    if !problems.is_empty() {
        let message =
            format!("{} problems with the indicator set; nothing was written", problems.len());
        return Err(refuse("input.indicators", message, &problems));
    }

    let draft = repo::editions::insert_draft(txn, new.year, title).await?;
    let ids: Vec<i32> = tree.iter().filter(|i| set.contains(&i.id)).map(|i| i.id).collect();
    repo::editions::add_to_set(txn, draft.id, &ids).await?;
    let members = match members_from {
        Some(from) => repo::editions::copy_members(txn, from.id, draft.id).await?,
        None => 0,
    };
    Ok(Done::new(draft, vec![("indicators", ids.len() as i64), ("members", members as i64)]))
}

/// Makes `set` a closed subtree: adds the composites above every member. Returns the slugs
/// of composites left without any child, which could not be computed.
fn close_tree(tree: &[indicator::Model], set: &mut HashSet<i32>) -> Vec<String> {
    let by_id: HashMap<i32, &indicator::Model> = tree.iter().map(|i| (i.id, i)).collect();
    let mut pending: Vec<i32> = set.iter().copied().collect();
    while let Some(id) = pending.pop() {
        if let Some(parent) = by_id.get(&id).and_then(|i| i.parent_id) {
            if set.insert(parent) {
                pending.push(parent);
            }
        }
    }
    tree.iter()
        .filter(|i| i.is_composite && set.contains(&i.id))
        .filter(|c| !tree.iter().any(|i| i.parent_id == Some(c.id) && set.contains(&i.id)))
        .map(|c| c.slug.clone())
        .collect()
}

/// Publishes a complete draft: it becomes visible and the default edition of every query,
/// and every figure is rebuilt (its deltas, and those of the editions after it).
pub async fn publish(db: &DatabaseConnection, actor: &Actor, year: i32) -> Result<edition::Model> {
    crate::telemetry::timed("publish", publish_draft(db, actor, year)).await
}

async fn publish_draft(
    db: &DatabaseConnection,
    actor: &Actor,
    year: i32,
) -> Result<edition::Model> {
    let published = run(db, actor, "publishEdition", Some(year), async |txn| {
        let edition = find_edition(txn, year).await?;
        if edition.is_published() {
            return Err(ApiError::Conflict(format!("the {year} edition is already published")));
        }
        let scope = Scope::load(txn, edition).await?;
        if scope.members.is_empty() {
            return Err(ApiError::bad_input("year", year, "the edition covers no country: add members with upsertCountry"));
        }
        let entered: HashSet<(i32, i32)> =
            repo::editions::scores(txn, scope.edition.id).await?.iter().map(|s| (s.country_id, s.indicator_id)).collect();
        let raw: Vec<&indicator::Model> = scope.raw_set().collect();
        let missing: Vec<MissingScores> = scope
            .members_by_name()
            .into_iter()
            .filter_map(|country| {
                let lacking: Vec<String> =
                    raw.iter().filter(|i| !entered.contains(&(country.id, i.id))).map(|i| i.slug.clone()).collect();
                (!lacking.is_empty()).then(|| MissingScores {
                    country: country.iso3.clone(),
                    name: country.name.clone(),
                    indicators: lacking,
                })
            })
            .collect();
        if !missing.is_empty() {
            let scores: usize = missing.iter().map(|m| m.indicators.len()).sum();
            let message = format!(
                "the {year} edition is incomplete: {} countries lack {scores} scores; nothing was published",
                missing.len()
            );
            return Err(refuse("year", message, &missing));
        }
        repo::editions::set_published(txn, scope.edition.id, true).await?;
        let figures = repo::figures::recompute_edition(txn, scope.edition.id).await?.figures;
        let published = find_edition(txn, year).await?;
        outbox::record(txn, WebhookEvent::EditionPublished, &published).await?;
        let counts = vec![
            ("countries", scope.members.len() as i64),
            ("scores", entered.len() as i64),
            ("figures", figures as i64),
        ];
        Ok(Done::new(published, counts))
    })
    .await?;
    // a published edition is read by everyone from now on: plan its queries on fresh statistics
    if let Err(err) = repo::figures::analyze(db, &repo::figures::published()).await {
        tracing::warn!(error = %err, "could not refresh statistics after publishing");
    }
    Ok(published)
}

/// Takes a published edition back to a draft so that it can be corrected; it disappears
/// from public view (and from the deltas of later editions) until it is published again.
pub async fn reopen(db: &DatabaseConnection, actor: &Actor, year: i32) -> Result<edition::Model> {
    run(db, actor, "reopenEdition", Some(year), async |txn| {
        let edition = find_edition(txn, year).await?;
        if !edition.is_published() {
            return Err(ApiError::Conflict(format!("the {year} edition is a draft already")));
        }
        repo::editions::set_published(txn, edition.id, false).await?;
        let figures = repo::figures::recompute_edition(txn, edition.id).await?.figures;
        let reopened = find_edition(txn, year).await?;
        outbox::record(txn, WebhookEvent::EditionReopened, &reopened).await?;
        Ok(Done::new(reopened, vec![("figures", figures as i64)]))
    })
    .await
}

/// Deletes a draft with everything entered into it.
pub async fn delete(db: &DatabaseConnection, actor: &Actor, year: i32) -> Result<bool> {
    run(db, actor, "deleteEdition", Some(year), async |txn| {
        let edition = find_edition(txn, year).await?;
        if edition.is_published() {
            return Err(ApiError::Conflict(format!(
                "the {year} edition is published: only drafts can be deleted (reopen it first)"
            )));
        }
        let counts = vec![
            ("scores", repo::editions::scores(txn, edition.id).await?.len() as i64),
            ("members", repo::editions::members(txn, edition.id).await?.len() as i64),
            ("narratives", repo::editions::narrative_count(txn, edition.id).await? as i64),
        ];
        // No figure of another edition depends on a draft (deltas compare published
        // editions only), and the draft's own figures and changes go with it by cascade.
        repo::editions::delete(txn, edition.id).await?;
        outbox::record(txn, WebhookEvent::EditionDeleted, &edition).await?;
        Ok(Done::new(true, counts))
    })
    .await
}

/// A new raw indicator, scored 1 to 10 like every other.
// also the GraphQL input (see `NewEdition`)
#[derive(async_graphql::InputObject, Debug, Clone, Default)]
#[graphql(name = "CreateIndicatorInput")]
pub struct NewIndicator {
    /// Its name; the slug is made from it (lower case, runs of non-letters as `-`).
    pub name: String,
    /// The composite it is averaged into: `criminal-markets`, `criminal-actors` or
    /// `resilience`.
    pub parent: String,
    /// What the indicator assesses.
    pub description: Option<String>,
    /// A draft edition that assesses it from now on (its parent must be in that edition).
    pub edition: Option<i32>,
}

pub async fn create_indicator(
    db: &DatabaseConnection,
    actor: &Actor,
    new: &NewIndicator,
) -> Result<indicator::Model> {
    run(db, actor, "createIndicator", new.edition, async |txn| {
        let name = new.name.trim();
        let slug = slugify(name);
        if slug.is_empty() {
            return Err(ApiError::bad_input("input.name", &new.name, "the name needs letters: the slug is made of them"));
        }
        let tree = repo::catalog::indicators(txn).await?;
        if let Some(existing) = tree.iter().find(|i| i.slug == slug) {
            return Err(ApiError::Conflict(format!("there is already an indicator {:?} ({})", existing.slug, existing.name)));
        }
        let parent = tree.iter().find(|i| i.slug == new.parent).ok_or_else(|| {
            ApiError::bad_input("input.parent", &new.parent, format!("unknown indicator {:?}", new.parent))
        })?;
        if !parent.is_composite {
            return Err(ApiError::bad_input(
                "input.parent",
                &new.parent,
                format!("{:?} is not a composite: indicators go under criminal-markets, criminal-actors or resilience", parent.slug),
            ));
        }
        let edition = match new.edition {
            Some(year) => {
                let edition = find_edition(txn, year).await?;
                if edition.is_published() {
                    return Err(ApiError::bad_input("input.edition", year, locked(&edition)));
                }
                let set = repo::catalog::edition_sets(txn, &[edition.id]).await?;
                if !set.iter().any(|(_, i)| *i == parent.id) {
                    return Err(ApiError::bad_input(
                        "input.parent",
                        &new.parent,
                        format!("{:?} is not in the {year} edition's set", parent.slug),
                    ));
                }
                Some(edition)
            }
            None => None,
        };
        let description = new.description.as_deref().map(str::trim).filter(|d| !d.is_empty()).map(str::to_owned);
        let created = repo::indicators::insert(
            txn,
            repo::indicators::NewIndicator { slug, name: name.to_owned(), description, parent: parent.clone() },
        )
        .await?;
        let mut counts = vec![("indicators", 1)];
        if let Some(edition) = edition {
            repo::editions::add_to_set(txn, edition.id, &[created.id]).await?;
            // the composites above it now lack a child everywhere in the draft
            let figures = repo::figures::recompute_edition(txn, edition.id).await?.figures;
            counts.push(("figures", figures as i64));
        }
        Ok(Done::new(created, counts))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: i32, slug: &str, parent: Option<i32>, is_composite: bool) -> indicator::Model {
        indicator::Model {
            id,
            slug: slug.into(),
            name: slug.into(),
            description: None,
            pillar: entity::values::Pillar::Criminality,
            parent_id: parent,
            position: id,
            is_composite,
        }
    }

    fn tree() -> Vec<indicator::Model> {
        vec![
            node(1, "criminality", None, true),
            node(2, "criminal-markets", Some(1), true),
            node(3, "heroin-trade", Some(2), false),
            node(4, "criminal-actors", Some(1), true),
            node(5, "foreign-actors", Some(4), false),
            node(6, "resilience", None, true),
            node(7, "prevention", Some(6), false),
        ]
    }

    #[test]
    fn the_composites_above_an_indicator_join_the_set() {
        let mut set = HashSet::from([3]);
        assert!(close_tree(&tree(), &mut set).is_empty());
        assert_eq!(set, HashSet::from([1, 2, 3]));
    }

    #[test]
    fn a_composite_without_indicators_is_named() {
        let mut set = HashSet::from([3, 6]);
        assert_eq!(close_tree(&tree(), &mut set), vec!["resilience".to_owned()]);
        let mut set = HashSet::from([3, 4]);
        assert_eq!(close_tree(&tree(), &mut set), vec!["criminal-actors".to_owned()]);
    }
}
