//! The country page format: per indicator a name line, a score-and-delta line and a
//! definition, then one narrative paragraph per line; countries back to back.
use super::text::{self, Dropped, Line};
use super::Catalog;
use rust_decimal::Decimal;
use std::str::FromStr;

/// A score line as the page prints it: the score and its delta glued together.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScoreLine {
    pub score: Decimal,
    /// `None` where the page prints `n/a` (the indicator is new in this edition).
    pub delta: Option<Decimal>,
}

/// Reads "4.330.18" (4.33, +0.18), "4.00-0.50" (4.00, −0.50), "10.000.00" and "3.50 n/a".
/// Scores run from 1.00 to 10.00 and both numbers have exactly two decimals, which is what
/// makes the glued form unambiguous.
pub fn score_line(line: &str) -> Option<ScoreLine> {
    let line = line.trim();
    let width = if line.starts_with("10.") { 5 } else { 4 };
    let score_text = line.get(..width)?;
    let rest = line.get(width..)?.trim_start();
    if !two_decimals(score_text) {
        return None;
    }
    let score = Decimal::from_str(score_text).ok()?;
    if score < Decimal::ONE || score > Decimal::TEN {
        return None;
    }
    if rest.eq_ignore_ascii_case("n/a") {
        return Some(ScoreLine { score, delta: None });
    }
    let (negative, magnitude) = match rest.chars().next()? {
        '-' | '−' | '–' => (true, &rest[rest.chars().next()?.len_utf8()..]),
        '+' => (false, &rest[1..]),
        _ => (false, rest),
    };
    if !two_decimals(magnitude) || magnitude.len() > 4 {
        return None;
    }
    let magnitude = Decimal::from_str(magnitude).ok()?;
    Some(ScoreLine { score, delta: Some(if negative { -magnitude } else { magnitude }) })
}

/// "4.33", "0.18": digits, a point, two digits.
fn two_decimals(text: &str) -> bool {
    match text.split_once('.') {
        Some((whole, cents)) => {
            !whole.is_empty()
                && whole.bytes().all(|b| b.is_ascii_digit())
                && cents.len() == 2
                && cents.bytes().all(|b| b.is_ascii_digit())
        }
        None => false,
    }
}

/// The site's definitions are a sentence or two; anything longer is narrative.
const MAX_DEFINITION_CHARS: usize = 300;

/// A figure the page prints, to be checked against the database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrintedFigure {
    pub line: usize,
    pub slug: String,
    pub name: String,
    /// The score line as printed.
    pub printed: String,
    pub value: ScoreLine,
}

/// An indicator definition the page prints under the figure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Definition {
    pub line: usize,
    pub slug: String,
    pub text: String,
}

/// A narrative paragraph, cleaned, with the line it starts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Paragraph {
    pub line: usize,
    pub text: String,
}

/// One country's page: its figures and definitions, then its paragraphs.
#[derive(Clone, Debug, Default)]
pub struct PageBlock {
    pub first_line: usize,
    pub figures: Vec<PrintedFigure>,
    pub definitions: Vec<Definition>,
    pub paragraphs: Vec<Paragraph>,
}

/// The indicator a name line names, and the furniture glued before the name, if any.
fn named_indicator<'c, 'l>(
    line: &'l str,
    catalog: &'c Catalog,
) -> Option<(&'c super::CatalogIndicator, &'l str)> {
    catalog
        .indicators
        .iter()
        .filter_map(|i| {
            let cut = line.len().checked_sub(i.name.len())?;
            let tail = line.get(cut..)?;
            tail.eq_ignore_ascii_case(&i.name).then(|| (i, &line[..cut]))
        })
        .max_by_key(|(i, _)| i.name.len())
}

/// A figure as printed: the indicator named, furniture glued before the name, the index
/// of the score line and what it says.
struct FigureAt<'c, 'l> {
    indicator: &'c super::CatalogIndicator,
    glued: &'l str,
    score_at: usize,
    value: ScoreLine,
}

/// For each line, the index of the first line from there on that is not blank
/// (`lines.len()` when none is): found once, so that no line is looked past twice.
fn next_text(lines: &[Line<'_>]) -> Vec<usize> {
    let mut next = vec![lines.len(); lines.len() + 1];
    for at in (0..lines.len()).rev() {
        next[at] = if lines[at].text().is_empty() { next[at + 1] } else { at };
    }
    next
}

/// Where a figure starts: a line naming an indicator, then (after any blank lines) a score line.
fn figure_at<'c, 'l>(
    lines: &[Line<'l>],
    next: &[usize],
    at: usize,
    catalog: &'c Catalog,
) -> Option<FigureAt<'c, 'l>> {
    let score_at = next[at + 1];
    let value = score_line(lines.get(score_at)?.text())?;
    let (indicator, glued) = named_indicator(lines[at].raw.trim(), catalog)?;
    Some(FigureAt { indicator, glued, score_at, value })
}

/// Whether the text holds at least one printed figure: the mark of the page format.
pub fn recognise(lines: &[Line<'_>], catalog: &Catalog) -> bool {
    let next = next_text(lines);
    (0..lines.len()).any(|at| figure_at(lines, &next, at, catalog).is_some())
}

/// Splits the page text into country blocks; a new block starts where figures follow
/// narrative paragraphs. Everything that is not a figure, a definition or a narrative
/// paragraph goes to `dropped`.
pub fn read(lines: &[Line<'_>], catalog: &Catalog, dropped: &mut Vec<Dropped>) -> Vec<PageBlock> {
    let mut blocks: Vec<PageBlock> = Vec::new();
    let mut texts: Vec<Vec<Line<'_>>> = Vec::new();
    // whether the last text holds prose (a line that is not furniture), kept as lines come
    let mut prose = false;
    let next = next_text(lines);
    let mut at = 0;
    while at < lines.len() {
        let line = lines[at];
        if let Some(FigureAt { indicator, glued, score_at, value }) =
            figure_at(lines, &next, at, catalog)
        {
            // figures after prose start the next country's page; blank lines and furniture
            // between figures do not
            let continuing = !texts.is_empty() && !prose;
            if !continuing {
                blocks.push(PageBlock { first_line: line.number, ..PageBlock::default() });
                texts.push(Vec::new());
                prose = false;
            }
            if !glued.trim().is_empty() {
                dropped.push(Dropped::new(
                    line.number,
                    glued,
                    text::furniture(glued).unwrap_or("before an indicator name"),
                ));
            }
            let block = blocks.last_mut().expect("pushed above");
            let score = lines[score_at];
            block.figures.push(PrintedFigure {
                line: score.number,
                slug: indicator.slug.clone(),
                name: indicator.name.clone(),
                printed: score.text().to_owned(),
                value,
            });
            at = score_at + 1;
            // the definition: the next line of text, unless it starts another figure or reads
            // as narrative (a page copied without definitions goes on with prose): long, or
            // naming a country, which the site's generic definitions never do
            let definition = Some(next[at]).filter(|&k| k < lines.len()).filter(|&k| {
                let text = lines[k].text();
                text.chars().count() <= MAX_DEFINITION_CHARS
                    && figure_at(lines, &next, k, catalog).is_none()
                    && catalog.countries.mentions(text).0.is_empty()
            });
            if let Some(k) = definition {
                block.definitions.push(Definition {
                    line: lines[k].number,
                    slug: indicator.slug.clone(),
                    text: lines[k].text().split_whitespace().collect::<Vec<_>>().join(" "),
                });
                at = k + 1;
            }
            continue;
        }
        match texts.last_mut() {
            Some(text) => {
                prose = prose || furniture(line.text()).is_none();
                text.push(line)
            }
            None if !line.text().is_empty() => {
                dropped.push(Dropped::new(line.number, line.text(), "before the first page"))
            }
            None => {}
        }
        at += 1;
    }
    for (block, text) in blocks.iter_mut().zip(texts) {
        block.paragraphs = paragraphs(&text, dropped);
    }
    blocks
}

/// Why a non-empty line of a page is not narrative, if it is not: page furniture, or a menu
/// entry or button (a few words, no sentence).
fn furniture(text: &str) -> Option<&'static str> {
    if text.is_empty() {
        return Some("blank");
    }
    text::furniture(text).or_else(|| {
        (text.split_whitespace().count() < 6 && !text::ends_sentence(text))
            .then_some("not a sentence")
    })
}

/// The narrative paragraphs of one page: one per line, furniture left out, and a line cut
/// mid-sentence joined with the next.
fn paragraphs(lines: &[Line<'_>], dropped: &mut Vec<Dropped>) -> Vec<Paragraph> {
    let mut out: Vec<Paragraph> = Vec::new();
    let mut open = false;
    for line in lines {
        let text = line.text();
        if text.is_empty() {
            continue;
        }
        if let Some(reason) = furniture(text) {
            dropped.push(Dropped::new(line.number, text, reason));
            continue;
        }
        let clean = text.split_whitespace().collect::<Vec<_>>().join(" ");
        match out.last_mut() {
            Some(last) if open => {
                last.text.push(' ');
                last.text.push_str(&clean);
            }
            _ => out.push(Paragraph { line: line.number, text: clean }),
        }
        open = !text::ends_sentence(text);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn read(line: &str) -> Option<(Decimal, Option<Decimal>)> {
        score_line(line).map(|s| (s.score, s.delta))
    }

    #[test]
    fn glued_scores_and_deltas_are_split_exactly() {
        assert_eq!(read("4.330.18"), Some((dec!(4.33), Some(dec!(0.18)))));
        assert_eq!(read("4.00-0.50"), Some((dec!(4.00), Some(dec!(-0.50)))));
        assert_eq!(read("3.50 n/a"), Some((dec!(3.50), None)));
        assert_eq!(read("10.001.50"), Some((dec!(10.00), Some(dec!(1.50)))));
        assert_eq!(read("1.00-9.00"), Some((dec!(1.00), Some(dec!(-9.00)))));
        assert_eq!(read("6.00+1.00"), Some((dec!(6.00), Some(dec!(1.00)))));
        assert_eq!(read(" 5.00−0.25 "), Some((dec!(5.00), Some(dec!(-0.25)))));
    }

    #[test]
    fn other_lines_are_not_score_lines() {
        for line in [
            "4.3",
            "4.33",
            "4.330.1",
            "4.330.185",
            "0.500.00",
            "11.000.00",
            "2021",
            "4.33 points",
            "Prevention",
            "",
            "4.33n/a2",
        ] {
            assert_eq!(read(line), None, "{line:?}");
        }
    }
}
