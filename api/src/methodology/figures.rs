//! Composite figures: each composite is the mean of its children in that edition's indicator
//! set, computed from the children's unrounded values.
use super::Exact;
use std::collections::{HashMap, HashSet};

/// One indicator of an edition's set, as the tree places it.
#[derive(Clone, Copy, Debug)]
pub struct Node {
    pub id: i32,
    pub parent: Option<i32>,
    pub is_composite: bool,
}

/// Exact values of every indicator in `set` that can be computed from `entered` (one
/// country's entered scores, by indicator id). A composite with any child missing is
/// itself missing: a half-filled draft shows no composite rather than a wrong one.
pub fn evaluate(set: &[Node], entered: &HashMap<i32, Exact>) -> HashMap<i32, Exact> {
    let mut values: HashMap<i32, Exact> = set
        .iter()
        .filter(|node| !node.is_composite)
        .filter_map(|node| entered.get(&node.id).map(|value| (node.id, *value)))
        .collect();
    // Composites nest (criminality over markets and actors): settle the deepest first.
    let mut composites: Vec<&Node> = set.iter().filter(|node| node.is_composite).collect();
    composites.sort_by_key(|node| std::cmp::Reverse(depth(set, node.id)));
    for composite in composites {
        let children: Vec<&Node> = set.iter().filter(|n| n.parent == Some(composite.id)).collect();
        if children.is_empty() {
            continue;
        }
        let known: Option<Vec<Exact>> =
            children.iter().map(|c| values.get(&c.id).copied()).collect();
        if let Some(known) = known {
            let sum: Exact = known.iter().sum();
            values.insert(composite.id, sum / Exact::from_integer(known.len() as i128));
        }
    }
    values
}

/// The indicators whose values a change to the entered scores of `written` can change: those
/// indicators and every composite above them in the set. Nothing else of a country moves.
pub fn affected(set: &[Node], written: impl IntoIterator<Item = i32>) -> HashSet<i32> {
    let parents: HashMap<i32, Option<i32>> = set.iter().map(|n| (n.id, n.parent)).collect();
    let mut out = HashSet::new();
    for id in written {
        let mut at = Some(id);
        // the set is a tree: each step climbs, and a node already seen has had its climb
        while let Some(id) = at.filter(|id| parents.contains_key(id)) {
            if !out.insert(id) {
                break;
            }
            at = parents[&id];
        }
    }
    out
}

fn depth(set: &[Node], id: i32) -> usize {
    let parent = set.iter().find(|n| n.id == id).and_then(|n| n.parent);
    parent.map_or(0, |p| 1 + depth(set, p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::methodology::round_half_up;
    use rust_decimal::Decimal;
    use rust_decimal_macros::dec;

    const CRIMINALITY: i32 = 1;
    const MARKETS: i32 = 2;
    const ACTORS: i32 = 3;

    /// A tree with `markets` raw markets (ids 100..) and `actors` raw actor types (ids 200..).
    fn tree(markets: i32, actors: i32) -> Vec<Node> {
        let composite = |id, parent| Node { id, parent, is_composite: true };
        let raw = |id, parent| Node { id, parent: Some(parent), is_composite: false };
        let mut set = vec![
            composite(CRIMINALITY, None),
            composite(MARKETS, Some(CRIMINALITY)),
            composite(ACTORS, Some(CRIMINALITY)),
        ];
        set.extend((0..markets).map(|i| raw(100 + i, MARKETS)));
        set.extend((0..actors).map(|i| raw(200 + i, ACTORS)));
        set
    }

    fn entered(markets: &[Decimal], actors: &[Decimal]) -> HashMap<i32, Exact> {
        let half = |d: &Decimal| Exact::new((d * dec!(2)).trunc().try_into().unwrap(), 2);
        let m = markets.iter().enumerate().map(|(i, d)| (100 + i as i32, half(d)));
        let a = actors.iter().enumerate().map(|(i, d)| (200 + i as i32, half(d)));
        m.chain(a).collect()
    }

    /// Kazakhstan 2023: markets 65/15 and actors 23/5; criminality from the unrounded means.
    #[test]
    fn kazakhstan_2023_criminality_comes_from_unrounded_means() {
        let markets = [
            dec!(6),
            dec!(4.5),
            dec!(3.5),
            dec!(3),
            dec!(4),
            dec!(4),
            dec!(2),
            dec!(5),
            dec!(5.5),
            dec!(6.5),
            dec!(2.5),
            dec!(5),
            dec!(6),
            dec!(2.5),
            dec!(5),
        ];
        let values = evaluate(
            &tree(15, 5),
            &entered(&markets, &[dec!(4), dec!(5.5), dec!(6), dec!(3.5), dec!(4)]),
        );
        assert_eq!(values[&MARKETS], Exact::new(65, 15));
        assert_eq!(round_half_up(values[&MARKETS]), dec!(4.33));
        assert_eq!(round_half_up(values[&ACTORS]), dec!(4.60));
        assert_eq!(round_half_up(values[&CRIMINALITY]), dec!(4.47));
        // rounding the parts first would publish 4.47 here too, but not in 115 other cases:
        // the exact mean of the parts is what the Index uses
        assert_eq!(values[&CRIMINALITY], (Exact::new(65, 15) + Exact::new(23, 5)) / 2);
    }

    /// Kyrgyzstan: markets 69.5/15 in 2023 against 44/10 in 2021 changed by 0.23.
    #[test]
    fn a_composite_change_compares_each_editions_own_indicator_set() {
        let set21 = tree(10, 4);
        let set23 = tree(15, 5);
        let markets21 =
            [dec!(4.5); 8].iter().chain(&[dec!(4), dec!(4)]).copied().collect::<Vec<_>>();
        let mut markets23 = vec![dec!(4.5); 14];
        markets23.push(dec!(6.5)); // 14 × 4.5 + 6.5 = 69.5
        let v21 = evaluate(&set21, &entered(&markets21, &[dec!(6); 4]));
        let v23 = evaluate(&set23, &entered(&markets23, &[dec!(6); 5]));
        assert_eq!(v21[&MARKETS], Exact::new(44, 10));
        assert_eq!(v23[&MARKETS], Exact::new(695, 150));
        assert_eq!(round_half_up(v23[&MARKETS] - v21[&MARKETS]), dec!(0.23));
    }

    /// Kazakhstan criminal actors: 4.60 − 4.375 = 0.225, published as +0.23 (floats say 0.22).
    #[test]
    fn the_actors_change_of_kazakhstan_rounds_half_up() {
        let v21 =
            evaluate(&tree(1, 4), &entered(&[dec!(5)], &[dec!(4), dec!(5), dec!(5.5), dec!(3)]));
        let v23 = evaluate(
            &tree(1, 5),
            &entered(&[dec!(5)], &[dec!(4), dec!(5.5), dec!(6), dec!(3.5), dec!(4)]),
        );
        assert_eq!(v21[&ACTORS], Exact::new(4375, 1000));
        assert_eq!(round_half_up(v21[&ACTORS]), dec!(4.38));
        assert_eq!(round_half_up(v23[&ACTORS] - v21[&ACTORS]), dec!(0.23));
        assert_eq!(round_half_up(v21[&ACTORS] - v23[&ACTORS]), dec!(-0.23));
    }

    #[test]
    fn a_composite_with_a_missing_child_is_missing() {
        let mut partial = entered(&[dec!(5), dec!(6)], &[dec!(4)]);
        partial.remove(&101);
        let values = evaluate(&tree(2, 1), &partial);
        assert!(!values.contains_key(&MARKETS));
        assert!(!values.contains_key(&CRIMINALITY));
        assert_eq!(values[&ACTORS], Exact::from_integer(4));
    }

    #[test]
    fn a_write_affects_its_indicators_and_the_composites_above_them() {
        let set = tree(3, 2);
        assert_eq!(affected(&set, [100]), HashSet::from([100, MARKETS, CRIMINALITY]));
        assert_eq!(
            affected(&set, [101, 200, 102]),
            HashSet::from([101, 102, 200, MARKETS, ACTORS, CRIMINALITY])
        );
        // an indicator outside the set changes nothing of it
        assert!(affected(&set, [999]).is_empty());
    }
}
