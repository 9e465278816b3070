//! The PDF summary format: narrative sections under printed headings (PEOPLE, DRUGS, …),
//! with running headers, footers and page numbers mixed in and paragraphs cut by page and
//! column breaks.
use super::page::Paragraph;
use super::text::{self, DocumentWords, Dropped, Line};
use super::vocabulary::{Section, SECTIONS};

/// The text under one heading.
#[derive(Debug)]
pub struct SectionText {
    pub line: usize,
    pub section: &'static Section,
    pub paragraphs: Vec<Paragraph>,
}

/// One country's summary.
#[derive(Debug, Default)]
pub struct SummaryBlock {
    pub first_line: usize,
    pub sections: Vec<SectionText>,
}

/// The section a line heads, with its place in the order of the summaries.
fn heading(line: &str) -> Option<(usize, &'static Section)> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let line = words.join(" ");
    SECTIONS.iter().enumerate().find(|(_, s)| s.heading == line)
}

/// Whether the text has a summary heading: the mark of the summary format.
pub fn recognise(lines: &[Line<'_>]) -> bool {
    lines.iter().any(|l| heading(l.text()).is_some())
}

/// Furniture that fills whole lines of the PDF text: footers, page numbers, running headers.
fn line_furniture(text: &str) -> Option<&'static str> {
    match text::furniture(text) {
        Some(reason @ ("footer" | "link" | "page number")) => Some(reason),
        _ if text::is_capitals(text) => Some("running header"),
        _ => None,
    }
}

/// Splits the text into country summaries and their sections. A heading that does not come
/// after the previous one in the summaries' order starts another country.
pub fn read(
    lines: &[Line<'_>],
    words: &DocumentWords,
    dropped: &mut Vec<Dropped>,
) -> Vec<SummaryBlock> {
    let mut blocks: Vec<SummaryBlock> = Vec::new();
    let mut last_heading: Option<usize> = None;
    let mut paragraph: Vec<Line<'_>> = Vec::new();
    let mut after_break = false;
    for line in lines {
        let text = line.text();
        if let Some((order, section)) = heading(text) {
            close(&mut paragraph, &mut blocks, words, dropped);
            if last_heading.is_none_or(|last| order <= last) {
                blocks.push(SummaryBlock { first_line: line.number, sections: Vec::new() });
            }
            let block = blocks.last_mut().expect("pushed above");
            block.sections.push(SectionText { line: line.number, section, paragraphs: Vec::new() });
            last_heading = Some(order);
            continue;
        }
        if text.is_empty() {
            after_break = true;
            continue;
        }
        if let Some(reason) = line_furniture(text) {
            dropped.push(Dropped::new(line.number, text, reason));
            after_break = true;
            continue;
        }
        if blocks.is_empty() {
            dropped.push(Dropped::new(line.number, text, "before the first heading"));
            continue;
        }
        // a break after a finished sentence ends the paragraph; after a cut one
        // (a page or column break) the paragraph goes on
        let finished = paragraph.last().is_some_and(|l| text::ends_sentence(l.raw));
        if after_break && finished {
            close(&mut paragraph, &mut blocks, words, dropped);
        }
        after_break = false;
        paragraph.push(*line);
    }
    close(&mut paragraph, &mut blocks, words, dropped);
    blocks
}

fn close(
    paragraph: &mut Vec<Line<'_>>,
    blocks: &mut [SummaryBlock],
    words: &DocumentWords,
    dropped: &mut Vec<Dropped>,
) {
    let Some(first) = paragraph.first().copied() else { return };
    let raw: Vec<&str> = paragraph.iter().map(|l| l.raw).collect();
    let text = text::join_lines(&raw, words);
    paragraph.clear();
    // lines of nothing but soft hyphens join to nothing: no paragraph to keep
    if text.is_empty() {
        return;
    }
    if let Some(reason) = text::furniture(&text) {
        dropped.push(Dropped::new(first.number, &text, reason));
        return;
    }
    if let Some(section) = blocks.last_mut().and_then(|b| b.sections.last_mut()) {
        section.paragraphs.push(Paragraph { line: first.number, text });
    }
}

/// "LEADERSHIP AND GOVERNANCE" as a heading reads: "Leadership and governance".
pub fn sentence_case(heading: &str) -> String {
    let lower = heading.to_lowercase();
    let mut chars = lower.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A made-up two-country summary in the layout of the PDF text.
    const TWO_SUMMARIES: &str = "\
NOWHERE
 PEOPLE
Trafficking is rare in the country and the
authorities are watchful.

A second paragraph of the section says
little.
DRUGS
Heroin passes through the east of the country, where the
mountain roads are long and

©2021  OCINDEX.NET/COUNTRY/NOWHERE

PAGE 2 OF 6

GLOBAL
ORGANIZED
CRIME INDEX

poorly guarded by the state.

The booklet was funded in part by a donor. Views are
the writers' own.
PEOPLE
The neighbour has a different story to tell about
its people.
";

    #[test]
    fn sections_are_split_by_country_and_cut_paragraphs_mended() {
        let lines = text::lines(TWO_SUMMARIES);
        let words = DocumentWords::of(TWO_SUMMARIES);
        let mut dropped = Vec::new();
        let blocks = read(&lines, &words, &mut dropped);
        assert_eq!(blocks.len(), 2, "PEOPLE after DRUGS starts another country");
        let first = &blocks[0];
        let headings: Vec<&str> = first.sections.iter().map(|s| s.section.heading).collect();
        assert_eq!(headings, ["PEOPLE", "DRUGS"]);
        assert_eq!(first.sections[0].paragraphs.len(), 2);
        let drugs = &first.sections[1].paragraphs;
        assert_eq!(drugs.len(), 1, "the page break does not end the paragraph: {drugs:?}");
        assert!(
            drugs[0].text.ends_with("long and poorly guarded by the state."),
            "{}",
            drugs[0].text
        );
        let reasons: Vec<&str> = dropped.iter().map(|d| d.reason).collect();
        assert_eq!(
            reasons,
            [
                "running header",
                "footer",
                "page number",
                "running header",
                "running header",
                "running header",
                "funding note"
            ]
        );
        assert_eq!(blocks[1].sections[0].paragraphs.len(), 1);
    }

    #[test]
    fn headings_read_in_sentence_case() {
        assert_eq!(
            sentence_case("CIVIL SOCIETY AND SOCIAL PROTECTION"),
            "Civil society and social protection"
        );
    }
}
