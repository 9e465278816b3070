//! Everything the API publishes, derived from entered scores: 2-decimal values, deltas against
//! the previous published edition, changes between every pair of editions, and ranks.
use super::{competition_ranks, evaluate, round_half_up, Exact, Node};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};

/// One edition's entered data.
pub struct EditionInput {
    pub edition_id: i32,
    pub year: i32,
    pub published: bool,
    /// The edition's indicator set.
    pub indicators: Vec<Node>,
    /// Member countries with their continent and region in this edition.
    pub members: Vec<Member>,
    /// Entered scores by (country, indicator).
    pub entered: HashMap<(i32, i32), Exact>,
}

pub struct Member {
    pub country_id: i32,
    pub continent: String,
    pub region: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FigureRow {
    pub edition_id: i32,
    pub country_id: i32,
    pub indicator_id: i32,
    pub value: Decimal,
    /// The unrounded value, kept so that changes between any two editions can be computed
    /// exactly later, from the two figures alone.
    pub exact: Exact,
    pub delta: Option<Decimal>,
    pub rank: i32,
    pub rank_in_continent: i32,
    pub rank_in_region: i32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeRow {
    pub indicator_id: i32,
    pub from_edition_id: i32,
    pub to_edition_id: i32,
    pub country_id: i32,
    pub change: Decimal,
}

#[derive(Debug, Default)]
pub struct Derived {
    pub figures: Vec<FigureRow>,
    pub changes: Vec<ChangeRow>,
}

/// Derives every published figure of every edition. Changes are kept for each pair of
/// editions, earlier to later, where the country has the indicator in both; a delta is the
/// change against the latest earlier *published* edition.
pub fn derive(editions: &[EditionInput]) -> Derived {
    let mut by_year: Vec<&EditionInput> = editions.iter().collect();
    by_year.sort_by_key(|e| e.year);

    let exact: Vec<HashMap<(i32, i32), Exact>> = by_year.iter().map(|e| exact_values(e)).collect();
    let mut derived = Derived::default();

    for (i, edition) in by_year.iter().enumerate() {
        let previous = (0..i).rev().find(|&j| by_year[j].published);
        let values = &exact[i];
        let mut rows = ranked_rows(edition, values);
        for row in &mut rows {
            row.delta = previous.and_then(|j| {
                let before = exact[j].get(&(row.country_id, row.indicator_id))?;
                Some(round_half_up(values[&(row.country_id, row.indicator_id)] - before))
            });
        }
        derived.figures.extend(rows);

        for (j, earlier) in by_year[..i].iter().enumerate() {
            for (&(country_id, indicator_id), now) in values {
                if let Some(before) = exact[j].get(&(country_id, indicator_id)) {
                    derived.changes.push(ChangeRow {
                        indicator_id,
                        from_edition_id: earlier.edition_id,
                        to_edition_id: edition.edition_id,
                        country_id,
                        change: round_half_up(now - before),
                    });
                }
            }
        }
    }
    derived
}

/// The figures of one edition, with deltas against the exact values of the previous published
/// edition when there is one: what a write to that edition recomputes, whatever the number of
/// other editions.
pub fn derive_edition(
    edition: &EditionInput,
    previous: Option<&HashMap<(i32, i32), Exact>>,
) -> Vec<FigureRow> {
    let values = exact_values(edition);
    let mut rows = ranked_rows(edition, &values);
    if let Some(before) = previous {
        for row in &mut rows {
            row.delta = before
                .get(&(row.country_id, row.indicator_id))
                .map(|before| round_half_up(row.exact - before));
        }
    }
    rows
}

fn exact_values(edition: &EditionInput) -> HashMap<(i32, i32), Exact> {
    let mut out = HashMap::new();
    for member in &edition.members {
        let entered: HashMap<i32, Exact> = edition
            .indicators
            .iter()
            .filter_map(|n| edition.entered.get(&(member.country_id, n.id)).map(|v| (n.id, *v)))
            .collect();
        for (indicator_id, value) in evaluate(&edition.indicators, &entered) {
            out.insert((member.country_id, indicator_id), value);
        }
    }
    out
}

/// Published values of one edition with their ranks: global, within the continent and within
/// the region, each on the 2-decimal value.
fn ranked_rows(edition: &EditionInput, values: &HashMap<(i32, i32), Exact>) -> Vec<FigureRow> {
    let members: HashMap<i32, &Member> =
        edition.members.iter().map(|m| (m.country_id, m)).collect();
    let mut by_indicator: BTreeMap<i32, Vec<(i32, Decimal)>> = BTreeMap::new();
    for (&(country_id, indicator_id), value) in values {
        by_indicator.entry(indicator_id).or_default().push((country_id, round_half_up(*value)));
    }
    let mut rows = Vec::with_capacity(values.len());
    for (indicator_id, mut entries) in by_indicator {
        entries.sort_by_key(|(country_id, _)| *country_id);
        let global = competition_ranks(&entries.iter().map(|e| e.1).collect::<Vec<_>>());
        let within = |group: &dyn Fn(&Member) -> &str| -> Vec<i32> {
            let mut ranks = vec![0; entries.len()];
            let mut groups: HashMap<&str, Vec<usize>> = HashMap::new();
            for (k, (country_id, _)) in entries.iter().enumerate() {
                groups.entry(group(members[country_id])).or_default().push(k);
            }
            for indices in groups.values() {
                let group_values: Vec<Decimal> = indices.iter().map(|&k| entries[k].1).collect();
                for (&k, rank) in indices.iter().zip(competition_ranks(&group_values)) {
                    ranks[k] = rank;
                }
            }
            ranks
        };
        let continent = within(&|m| m.continent.as_str());
        let region = within(&|m| m.region.as_str());
        for (k, (country_id, value)) in entries.into_iter().enumerate() {
            rows.push(FigureRow {
                edition_id: edition.edition_id,
                country_id,
                indicator_id,
                value,
                exact: values[&(country_id, indicator_id)],
                delta: None,
                rank: global[k],
                rank_in_continent: continent[k],
                rank_in_region: region[k],
            });
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    const MARKETS: i32 = 1;
    const OLD: i32 = 10;
    const NEW: i32 = 11;

    fn edition(
        id: i32,
        year: i32,
        published: bool,
        with_new: bool,
        scores: &[(i32, i32, i128)],
    ) -> EditionInput {
        let mut indicators = vec![
            Node { id: MARKETS, parent: None, is_composite: true },
            Node { id: OLD, parent: Some(MARKETS), is_composite: false },
        ];
        if with_new {
            indicators.push(Node { id: NEW, parent: Some(MARKETS), is_composite: false });
        }
        let member = |country_id, continent: &str, region: &str| Member {
            country_id,
            continent: continent.into(),
            region: region.into(),
        };
        EditionInput {
            edition_id: id,
            year,
            published,
            indicators,
            members: vec![
                member(1, "ASIA", "A1"),
                member(2, "ASIA", "A2"),
                member(3, "EUROPE", "E1"),
            ],
            entered: scores.iter().map(|&(c, i, twice)| ((c, i), Exact::new(twice, 2))).collect(),
        }
    }

    fn figure(d: &Derived, edition: i32, country: i32, indicator: i32) -> &FigureRow {
        d.figures
            .iter()
            .find(|f| (f.edition_id, f.country_id, f.indicator_id) == (edition, country, indicator))
            .expect("figure derived")
    }

    fn sample() -> Vec<EditionInput> {
        vec![
            edition(21, 2021, true, false, &[(1, OLD, 8), (2, OLD, 10), (3, OLD, 10)]),
            edition(
                23,
                2023,
                true,
                true,
                &[(1, OLD, 9), (1, NEW, 6), (2, OLD, 10), (2, NEW, 7), (3, OLD, 12), (3, NEW, 5)],
            ),
        ]
    }

    #[test]
    fn an_indicator_new_in_the_later_edition_has_no_delta_and_no_change() {
        let d = derive(&sample());
        assert_eq!(figure(&d, 23, 1, NEW).delta, None);
        assert_eq!(figure(&d, 23, 1, OLD).delta, Some(dec!(0.50)));
        assert!(!d.changes.iter().any(|c| c.indicator_id == NEW));
        assert_eq!(figure(&d, 21, 1, OLD).delta, None, "the first edition has nothing to compare");
    }

    #[test]
    fn composite_deltas_compare_each_editions_own_set() {
        let d = derive(&sample());
        // country 1: 2021 markets = 4.0; 2023 markets = (4.5 + 3.0) / 2 = 3.75
        assert_eq!(figure(&d, 23, 1, MARKETS).value, dec!(3.75));
        assert_eq!(figure(&d, 23, 1, MARKETS).delta, Some(dec!(-0.25)));
    }

    #[test]
    fn ranks_are_shared_on_ties_and_computed_within_groups() {
        let d = derive(&sample());
        // 2021 OLD: 4.0, 5.0, 5.0 → ranks 3, 1, 1; in Asia 2, 1; each region alone is 1
        assert_eq!(figure(&d, 21, 1, OLD).rank, 3);
        assert_eq!(figure(&d, 21, 2, OLD).rank, 1);
        assert_eq!(figure(&d, 21, 3, OLD).rank, 1);
        assert_eq!(figure(&d, 21, 1, OLD).rank_in_continent, 2);
        assert_eq!(figure(&d, 21, 1, OLD).rank_in_region, 1);
    }

    #[test]
    fn a_draft_is_never_the_base_of_a_delta() {
        let mut editions = sample();
        editions[1].published = false;
        editions.push(edition(25, 2025, true, true, &[(1, OLD, 20), (1, NEW, 20)]));
        let d = derive(&editions);
        // 2025 against 2021 (the draft 2023 is skipped): 10.0 − 4.0
        assert_eq!(figure(&d, 25, 1, OLD).delta, Some(dec!(6.00)));
        // but the change against the draft is still kept for its editors
        assert!(d.changes.iter().any(|c| (c.from_edition_id, c.to_edition_id) == (23, 25)));
    }
}
