//! Entered scores, in batches: all or nothing, every bad entry named.
use super::scope::Scope;
use super::{find_edition, locked, refuse, run, Actor, Done};
use crate::error::{ApiError, Result};
use crate::methodology::HalfStep;
use crate::repo;
use entity::edition;
use rust_decimal::Decimal;
use sea_orm::{DatabaseConnection, DatabaseTransaction};
use serde::Serialize;
use std::collections::HashMap;
use std::str::FromStr;

/// The largest batch: a whole edition (193 countries × 32 indicators) fits in one.
pub const MAX_BATCH: usize = 10_000;

/// One entered score of a raw indicator.
// also the GraphQL input of upsertScores (the doc comments are the schema's descriptions)
#[derive(async_graphql::InputObject, Debug, Clone)]
#[graphql(name = "ScoreInput")]
pub struct ScoreEntry {
    /// The country's ISO3 code ("KAZ").
    pub country: String,
    /// The raw indicator's slug ("synthetic-drug-trade"); composites are computed, never
    /// entered.
    pub indicator: String,
    /// 1.0 to 10.0 in steps of 0.5, read exactly as written (4.3 is refused, not rounded).
    pub value: f64,
}

/// What a batch did.
#[derive(Debug, Clone)]
pub struct ScoresWritten {
    pub edition: edition::Model,
    /// Scores in the batch.
    pub written: usize,
    /// New scores, changed scores, and scores sent again with the value they had.
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Scores the edition still lacks before it can be published.
    pub missing: usize,
}

/// A bad entry of a batch; `index` is null for a problem of the whole batch.
#[derive(Debug, Clone, Serialize)]
pub struct ScoreProblem {
    pub index: Option<usize>,
    pub country: Option<String>,
    pub indicator: Option<String>,
    pub value: Option<f64>,
    pub reason: String,
}

/// Writes a batch of scores into a draft edition and refreshes its figures.
pub async fn upsert(
    db: &DatabaseConnection,
    actor: &Actor,
    year: i32,
    entries: &[ScoreEntry],
) -> Result<ScoresWritten> {
    run(db, actor, "upsertScores", Some(year), async |txn| write(txn, year, entries).await).await
}

async fn write(
    txn: &DatabaseTransaction,
    year: i32,
    entries: &[ScoreEntry],
) -> Result<Done<ScoresWritten>> {
    if entries.len() > MAX_BATCH {
        return Err(ApiError::bad_input(
            "scores",
            entries.len(),
            format!("a batch holds at most {MAX_BATCH} scores; send the rest in another batch"),
        ));
    }
    let scope = Scope::load(txn, find_edition(txn, year).await?).await?;

    let mut problems = Vec::new();
    if scope.edition.is_published() {
        problems.push(ScoreProblem {
            index: None,
            country: None,
            indicator: None,
            value: None,
            reason: locked(&scope.edition),
        });
    }
    let mut rows = Vec::with_capacity(entries.len());
    let mut first_at: HashMap<(i32, i32), usize> = HashMap::new();
    for (index, entry) in entries.iter().enumerate() {
        let mut reasons = Vec::new();
        let country = scope.member(&entry.country).map_err(|r| reasons.push(r)).ok();
        let indicator = scope.raw_indicator(&entry.indicator).map_err(|r| reasons.push(r)).ok();
        let value = score_value(entry.value).map_err(|r| reasons.push(r)).ok();
        if let (Some(country), Some(indicator)) = (country, indicator) {
            if let Some(first) = first_at.insert((country.id, indicator.id), index) {
                first_at.insert((country.id, indicator.id), first);
                reasons.push(format!("the batch gives this score twice (first at index {first})"));
            }
        }
        match (country, indicator, value) {
            (Some(country), Some(indicator), Some(value)) if reasons.is_empty() => {
                rows.push((country.id, indicator.id, value.to_decimal()));
            }
            _ => problems.push(ScoreProblem {
                index: Some(index),
                country: Some(entry.country.clone()),
                indicator: Some(entry.indicator.clone()),
                value: Some(entry.value),
                reason: reasons.join("; "),
            }),
        }
    }
    if !problems.is_empty() {
        let message = if scope.edition.is_published() {
            format!("{}; nothing was written", locked(&scope.edition))
        } else {
            format!(
                "{} of {} scores are invalid; nothing was written",
                problems.len(),
                entries.len()
            )
        };
        return Err(refuse("scores", message, &problems));
    }

    // what the batch replaces, read at its own keys: the rest of the edition is not needed
    let keys: Vec<(i32, i32)> = rows.iter().map(|r| (r.0, r.1)).collect();
    let existing: HashMap<(i32, i32), Decimal> =
        repo::editions::scores_at(txn, scope.edition.id, &keys)
            .await?
            .into_iter()
            .map(|(country, indicator, value)| ((country, indicator), value))
            .collect();
    let (mut created, mut updated) = (0, 0);
    for (country_id, indicator_id, value) in &rows {
        match existing.get(&(*country_id, *indicator_id)) {
            None => created += 1,
            Some(old) if old != value => updated += 1,
            Some(_) => {}
        }
    }
    repo::editions::upsert_scores(txn, scope.edition.id, &rows).await?;
    // a draft's figures are a preview for its editors: they follow every batch, recomputed
    // only where the batch can have changed them
    let figures = repo::figures::recompute_scores(txn, &scope.edition, &keys).await?.figures;

    let present = repo::editions::score_count(txn, scope.edition.id).await? as usize;
    let expected = scope.members.len() * scope.raw_set().count();
    let written = ScoresWritten {
        edition: scope.edition,
        written: rows.len(),
        created,
        updated,
        unchanged: rows.len() - created - updated,
        missing: expected.saturating_sub(present),
    };
    let counts = vec![
        ("scores", written.written as i64),
        ("created", created as i64),
        ("updated", updated as i64),
        ("missing", written.missing as i64),
        ("figures", figures as i64),
    ];
    Ok(Done::new(written, counts))
}

/// A score sent as a GraphQL Float, checked as the exact decimal the caller wrote. A JSON
/// number arrives as a binary double; its shortest round-tripping text is the decimal that
/// was typed ("4.3" stays 4.3, not 4.29999…), so a value off the half steps is never
/// silently rounded onto one.
pub fn score_value(value: f64) -> Result<HalfStep, String> {
    let out_of_scale = || format!("{value} is outside the scale: scores run from 1.0 to 10.0");
    if !value.is_finite() {
        return Err(out_of_scale());
    }
    let decimal = Decimal::from_str(&value.to_string())
        .or_else(|_| Decimal::from_scientific(&format!("{value:e}")))
        .map_err(|_| out_of_scale())?;
    HalfStep::parse(decimal).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_are_read_as_the_decimal_that_was_written() {
        assert_eq!(score_value(4.5).unwrap().to_string(), "4.5");
        assert_eq!(score_value(10.0).unwrap().to_string(), "10.0");
        assert_eq!(score_value(1.0).unwrap().to_string(), "1.0");
        // 4.3 is not a half step, and must not be mistaken for one by float round-off
        assert!(score_value(4.3).unwrap_err().contains("not a half step"));
        let same_double_as_four_and_a_half: f64 = "4.5000000000000001".parse().unwrap();
        assert!(score_value(same_double_as_four_and_a_half).is_ok());
        assert!(score_value(4.500000000000001).unwrap_err().contains("not a half step"));
        assert!(score_value(10.5).unwrap_err().contains("outside the scale"));
        assert!(score_value(0.5).unwrap_err().contains("outside the scale"));
        assert!(score_value(-3.0).unwrap_err().contains("outside the scale"));
        assert!(score_value(1e30).unwrap_err().contains("outside the scale"));
        assert!(score_value(1e-30).unwrap_err().contains("outside the scale"));
        assert!(score_value(f64::NAN).unwrap_err().contains("outside the scale"));
    }
}
