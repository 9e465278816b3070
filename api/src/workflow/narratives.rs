//! Narratives of a draft edition, in batches: each country named in a batch gets exactly the
//! batch's narratives for it, in the batch's order.
use super::scope::Scope;
use super::{find_edition, locked, refuse, run, Actor, Done};
use crate::error::Result;
use crate::repo;
use crate::repo::narratives::NewNarrative;
use entity::edition;
use sea_orm::DatabaseConnection;
use serde::Serialize;
use std::collections::BTreeMap;

/// One narrative of a country in an edition.
// also the GraphQL input: the mutation takes this type, so that its fields are declared once
// (the doc comments are the schema's descriptions)
#[derive(async_graphql::InputObject, Debug, Clone, Default)]
#[graphql(name = "NarrativeInput")]
pub struct NarrativeEntry {
    /// The country's ISO3 code.
    pub country: String,
    /// An optional heading ("DRUGS", "Criminal markets").
    pub heading: Option<String>,
    /// The text.
    pub body: String,
    /// Slugs of the indicators the text covers, in order.
    #[graphql(default)]
    pub indicators: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct NarrativesWritten {
    pub edition: edition::Model,
    pub countries: usize,
    pub narratives: usize,
}

/// A bad entry of a batch; `index` is null for a problem of the whole batch.
#[derive(Debug, Clone, Serialize)]
pub struct NarrativeProblem {
    pub index: Option<usize>,
    pub country: Option<String>,
    pub indicator: Option<String>,
    pub reason: String,
}

pub async fn upsert(
    db: &DatabaseConnection,
    actor: &Actor,
    year: i32,
    entries: &[NarrativeEntry],
) -> Result<NarrativesWritten> {
    run(db, actor, "upsertNarratives", Some(year), async |txn| {
        let scope = Scope::load(txn, find_edition(txn, year).await?).await?;
        let mut problems = Vec::new();
        if scope.edition.is_published() {
            problems.push(NarrativeProblem {
                index: None,
                country: None,
                indicator: None,
                reason: locked(&scope.edition),
            });
        }
        let mut by_country: BTreeMap<i32, Vec<NewNarrative>> = BTreeMap::new();
        for (index, entry) in entries.iter().enumerate() {
            let problem = |indicator: Option<&str>, reason: String| NarrativeProblem {
                index: Some(index),
                country: Some(entry.country.clone()),
                indicator: indicator.map(str::to_owned),
                reason,
            };
            let before = problems.len();
            let country =
                scope.member(&entry.country).map_err(|r| problems.push(problem(None, r))).ok();
            let body = entry.body.trim();
            if body.is_empty() {
                problems.push(problem(None, "the body is empty".into()));
            }
            let mut indicator_ids = Vec::new();
            for slug in &entry.indicators {
                match scope.indicator(slug) {
                    Ok(i) if indicator_ids.contains(&i.id) => problems.push(problem(
                        Some(slug),
                        "the narrative names this indicator twice".into(),
                    )),
                    Ok(i) => indicator_ids.push(i.id),
                    Err(reason) => problems.push(problem(Some(slug), reason)),
                }
            }
            if let (Some(country), true) = (country, problems.len() == before) {
                let heading = entry
                    .heading
                    .as_deref()
                    .map(str::trim)
                    .filter(|h| !h.is_empty())
                    .map(str::to_owned);
                by_country.entry(country.id).or_default().push(NewNarrative {
                    heading,
                    body: body.to_owned(),
                    indicator_ids,
                });
            }
        }
        if !problems.is_empty() {
            let message = if scope.edition.is_published() {
                format!("{}; nothing was written", locked(&scope.edition))
            } else {
                format!(
                    "{} problems in {} narratives; nothing was written",
                    problems.len(),
                    entries.len()
                )
            };
            return Err(refuse("narratives", message, &problems));
        }
        for (country_id, narratives) in &by_country {
            repo::narratives::replace(txn, scope.edition.id, *country_id, narratives).await?;
        }
        let written = NarrativesWritten {
            edition: scope.edition,
            countries: by_country.len(),
            narratives: entries.len(),
        };
        let counts = vec![
            ("countries", written.countries as i64),
            ("narratives", written.narratives as i64),
        ];
        Ok(Done::new(written, counts))
    })
    .await
}
