//! Which indicators each paragraph of a country page covers, from the order of the paragraphs
//! and the words they use.
//!
//! The page discusses the indicators in their order, one or more neighbours per paragraph.
//! Every indicator gets one home paragraph; the homes are chosen together so that the
//! keywords found there weigh most, while a paragraph left without an indicator and a step
//! back in the order cost: order settles what the words leave open, and strong words can
//! overrule order (pages that discuss state-embedded actors before mafia-style groups).
use super::text::folded_words;
use super::vocabulary::Keywords;

const STRONG: i64 = 3;
const WEAK: i64 = 1;
/// Repeating a keyword adds evidence up to this many times.
const CAP: i64 = 3;
/// Cost of leaving a paragraph between two homes without an indicator.
const SKIP: i64 = 4;
/// Cost of an indicator discussed before the previous one, plus one per paragraph back.
const BACK: i64 = 5;

/// A keyword: words to find in a row, the last one possibly a prefix.
struct Pattern {
    words: Vec<String>,
    prefix: bool,
}

impl Pattern {
    fn new(keyword: &str) -> Self {
        let prefix = keyword.ends_with('*');
        Self { words: folded_words(keyword.trim_end_matches('*')), prefix }
    }

    fn count(&self, text: &[String]) -> i64 {
        let n = self.words.len();
        if n == 0 || text.len() < n {
            return 0;
        }
        let found = (0..=text.len() - n)
            .filter(|&at| {
                self.words.iter().enumerate().all(|(k, word)| {
                    let candidate = &text[at + k];
                    if self.prefix && k == n - 1 {
                        candidate.starts_with(word.as_str())
                    } else {
                        candidate == word
                    }
                })
            })
            .count();
        (found as i64).min(CAP)
    }
}

/// An indicator as the linker sees it: its name and keywords.
pub struct Topic {
    patterns: Vec<(Pattern, i64)>,
}

impl Topic {
    pub fn new(name: &str, keywords: Option<&Keywords>) -> Self {
        let mut patterns = vec![(Pattern::new(name), STRONG)];
        if let Some(k) = keywords {
            patterns.extend(k.strong.iter().map(|w| (Pattern::new(w), STRONG)));
            patterns.extend(k.weak.iter().map(|w| (Pattern::new(w), WEAK)));
        }
        Self { patterns }
    }

    fn evidence(&self, words: &[String]) -> i64 {
        self.patterns.iter().map(|(p, weight)| weight * p.count(words)).sum()
    }
}

/// The indicators (indexes into the topics, in order) one paragraph covers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Links {
    pub topics: Vec<usize>,
    /// True when no word of the paragraph names what it was linked to: order alone decided.
    pub by_position: bool,
}

/// Links each of `paragraphs` to the `topics` (in page order) it covers.
pub fn link(paragraphs: &[String], topics: &[Topic]) -> Vec<Links> {
    let n = paragraphs.len();
    let m = topics.len();
    if n == 0 || m == 0 {
        return vec![Links { topics: Vec::new(), by_position: true }; n];
    }
    let words: Vec<Vec<String>> = paragraphs.iter().map(|p| folded_words(p)).collect();
    let evidence: Vec<Vec<i64>> =
        words.iter().map(|w| topics.iter().map(|t| t.evidence(w)).collect()).collect();
    let homes = improve(best_homes(&evidence, n, m), &evidence, n);

    let mut links = vec![Links::default(); n];
    for (topic, &home) in homes.iter().enumerate() {
        links[home].topics.push(topic);
    }
    // a paragraph no indicator chose covers the one of its neighbours' it names most
    for p in 0..n {
        if !links[p].topics.is_empty() {
            continue;
        }
        let before = (0..p).rev().find_map(|q| links[q].topics.last().copied());
        let after = (p + 1..n).find_map(|q| links[q].topics.first().copied());
        let best =
            before.into_iter().chain(after).max_by_key(|&t| (evidence[p][t], std::cmp::Reverse(t)));
        links[p].topics.extend(best);
    }
    for (p, l) in links.iter_mut().enumerate() {
        l.by_position = l.topics.iter().all(|&t| evidence[p][t] == 0);
    }
    links
}

/// What an assignment of homes is worth: the evidence at the homes, less the cost of
/// paragraphs no topic chose and of steps back. [`improve`] keeps it up to date move by move;
/// this whole sum checks it in the tests.
#[cfg(test)]
fn worth(homes: &[usize], evidence: &[Vec<i64>], n: usize) -> i64 {
    let found: i64 = homes.iter().enumerate().map(|(t, &p)| evidence[p][t]).sum();
    let mut covered = vec![false; n];
    homes.iter().for_each(|&p| covered[p] = true);
    let uncovered = covered.iter().filter(|c| !**c).count() as i64;
    let back: i64 = homes.windows(2).map(|w| back_step(w[0], w[1])).sum();
    found - SKIP * uncovered - back
}

/// The cost of going from the home `from` of one topic to the home `to` of the next.
fn back_step(from: usize, to: usize) -> i64 {
    if to < from {
        BACK + (from - to - 1) as i64
    } else {
        0
    }
}

/// Moves an assignment makes at most: each gains something, and a real page needs a few;
/// the bound keeps a crafted one from running long.
const MAX_MOVES: usize = 1_000;

/// Moves single topics while that makes the assignment worth more. The dynamic program
/// charges a skipped paragraph even when a step back covers it later; this settles that.
/// Each candidate move is valued by what it changes (its topic's evidence, the two steps
/// around it, the paragraphs it leaves or covers), so a round costs topics × paragraphs.
fn improve(mut homes: Vec<usize>, evidence: &[Vec<i64>], n: usize) -> Vec<usize> {
    let m = homes.len();
    let mut topics_at = vec![0usize; n];
    homes.iter().for_each(|&p| topics_at[p] += 1);
    let steps = |homes: &[usize], t: usize, at: usize| -> i64 {
        let before = if t > 0 { back_step(homes[t - 1], at) } else { 0 };
        let after = if t + 1 < m { back_step(at, homes[t + 1]) } else { 0 };
        before + after
    };
    for _ in 0..MAX_MOVES {
        // the first of the largest gains, as a search in topic then paragraph order finds it
        let mut best: Option<(usize, usize, i64)> = None;
        for t in 0..m {
            let home = homes[t];
            let (left, steps_from) = (evidence[home][t], steps(&homes, t, home));
            let uncovers = if topics_at[home] == 1 { SKIP } else { 0 };
            for p in (0..n).filter(|&p| p != home) {
                let covers = if topics_at[p] == 0 { SKIP } else { 0 };
                let gain =
                    evidence[p][t] - left + covers - uncovers - (steps(&homes, t, p) - steps_from);
                if gain > 0 && best.is_none_or(|b| gain > b.2) {
                    best = Some((t, p, gain));
                }
            }
        }
        let Some((t, p, _)) = best else { break };
        topics_at[homes[t]] -= 1;
        topics_at[p] += 1;
        homes[t] = p;
    }
    homes
}

/// The home paragraph of each topic that maximises evidence minus the costs of skipping
/// and going back (dynamic programming over topics in order).
fn best_homes(evidence: &[Vec<i64>], n: usize, m: usize) -> Vec<usize> {
    let step = |from: usize, to: usize| -> i64 {
        if to >= from {
            SKIP * (to - from).saturating_sub(1) as i64
        } else {
            BACK + (from - to - 1) as i64
        }
    };
    let mut score = vec![vec![i64::MIN; n]; m];
    let mut came_from = vec![vec![0usize; n]; m];
    for p in 0..n {
        score[0][p] = evidence[p][0] - SKIP * p as i64;
    }
    for t in 1..m {
        for p in 0..n {
            // ties go to the earliest previous home: a topic no word names stays with its neighbour
            let (q, best) = (0..n).map(|q| (q, score[t - 1][q] - step(q, p))).fold(
                (0, i64::MIN),
                |acc, cur| {
                    if cur.1 > acc.1 {
                        cur
                    } else {
                        acc
                    }
                },
            );
            score[t][p] = best + evidence[p][t];
            came_from[t][p] = q;
        }
    }
    let last = (0..n)
        .map(|p| (p, score[m - 1][p] - SKIP * (n - 1 - p) as i64))
        .fold((0, i64::MIN), |acc, cur| if cur.1 > acc.1 { cur } else { acc })
        .0;
    let mut homes = vec![0; m];
    homes[m - 1] = last;
    for t in (1..m).rev() {
        homes[t - 1] = came_from[t][homes[t]];
    }
    homes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topics(names: &[&str]) -> Vec<Topic> {
        names.iter().map(|n| Topic::new(n, None)).collect()
    }

    /// `improve` as first written: every candidate valued by the whole sum.
    fn improve_by_whole_sums(mut homes: Vec<usize>, evidence: &[Vec<i64>], n: usize) -> Vec<usize> {
        let mut current = worth(&homes, evidence, n);
        loop {
            let mut best: Option<(usize, usize, i64)> = None;
            for t in 0..homes.len() {
                let home = homes[t];
                for p in (0..n).filter(|&p| p != home) {
                    homes[t] = p;
                    let value = worth(&homes, evidence, n);
                    if value > current && best.is_none_or(|b| value > b.2) {
                        best = Some((t, p, value));
                    }
                }
                homes[t] = home;
            }
            match best {
                Some((t, p, value)) => {
                    homes[t] = p;
                    current = value;
                }
                None => return homes,
            }
        }
    }

    #[test]
    fn moves_valued_by_their_changes_choose_as_the_whole_sums_did() {
        // a small linear congruential generator: the same matrices on every run
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |below: u64| {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (state >> 33) % below
        };
        for _ in 0..300 {
            let (n, m) = (1 + next(9) as usize, 1 + next(9) as usize);
            let evidence: Vec<Vec<i64>> =
                (0..n).map(|_| (0..m).map(|_| next(12) as i64).collect()).collect();
            let start: Vec<usize> = (0..m).map(|_| next(n as u64) as usize).collect();
            let ours = improve(start.clone(), &evidence, n);
            assert_eq!(ours, improve_by_whole_sums(start.clone(), &evidence, n), "{evidence:?}");
            assert!(worth(&ours, &evidence, n) >= worth(&start, &evidence, n));
        }
    }

    fn linked(paragraphs: &[&str], names: &[&str]) -> Vec<Vec<usize>> {
        let paragraphs: Vec<String> = paragraphs.iter().map(|p| p.to_string()).collect();
        link(&paragraphs, &topics(names)).into_iter().map(|l| l.topics).collect()
    }

    #[test]
    fn paragraphs_cover_neighbours_named_in_them() {
        let names = ["apples", "pears", "plums", "grapes"];
        let paragraphs = [
            "Apples grow here; apples are sold in town.",
            "Pears are scarce. Plums too are scarce.",
            "Grapes ripen late.",
        ];
        assert_eq!(linked(&paragraphs, &names), vec![vec![0], vec![1, 2], vec![3]]);
    }

    #[test]
    fn an_indicator_no_word_names_stays_with_its_neighbour() {
        let names = ["apples", "pears", "plums", "grapes"];
        let paragraphs =
            ["Apples and more apples.", "Not much else is said here.", "Grapes ripen late."];
        let links = link(&paragraphs.map(String::from), &topics(&names));
        assert_eq!(links[0].topics.first(), Some(&0));
        assert_eq!(links[2].topics, vec![3]);
        assert!(!links[1].topics.is_empty(), "every paragraph covers something");
        assert!(links[1].by_position);
        let order: Vec<usize> = links.iter().flat_map(|l| l.topics.iter().copied()).collect();
        assert_eq!(
            order,
            vec![0, 1, 2, 3],
            "pears and plums stay in order between their neighbours"
        );
    }

    #[test]
    fn strong_words_overrule_the_order() {
        let names = ["apples", "pears", "plums", "grapes", "figs"];
        let paragraphs = [
            "Plums first: plums, plums. Grapes as well, grapes and grapes.",
            "Apples now, apples. Pears, pears, pears. Figs: figs.",
        ];
        assert_eq!(linked(&paragraphs, &names), vec![vec![2, 3], vec![0, 1, 4]]);
    }

    #[test]
    fn prefixes_and_phrases_match_whole_words() {
        let p = Pattern::new("poach*");
        assert_eq!(p.count(&folded_words("Poachers poach; a poached egg; no approach")), 3);
        let p = Pattern::new("human trafficking");
        assert_eq!(p.count(&folded_words("human-trafficking and human smuggling")), 1);
    }
}
