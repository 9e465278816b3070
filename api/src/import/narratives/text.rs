//! Text cleaning: page furniture, paragraphs broken by page and column breaks, line-end hyphens.
use serde::Serialize;
use std::collections::HashSet;

/// A line of the source with its 1-based number, as an editor shows it.
#[derive(Clone, Copy, Debug)]
pub struct Line<'a> {
    pub number: usize,
    /// The line without its line break; leading and trailing spaces kept (a space after a
    /// line-end hyphen matters).
    pub raw: &'a str,
}

impl Line<'_> {
    pub fn text(&self) -> &str {
        self.raw.trim()
    }
}

pub fn lines(source: &str) -> Vec<Line<'_>> {
    let source = source.strip_prefix('\u{feff}').unwrap_or(source);
    source
        .split('\n')
        .enumerate()
        .map(|(i, raw)| Line { number: i + 1, raw: raw.strip_suffix('\r').unwrap_or(raw) })
        .collect()
}

/// Text the importer left out, with where it was and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Dropped {
    pub line: usize,
    /// The start of the dropped text.
    pub text: String,
    pub reason: &'static str,
}

impl Dropped {
    pub fn new(line: usize, text: &str, reason: &'static str) -> Self {
        Self { line, text: shorten(text, 60), reason }
    }
}

/// The first `max` characters of `text`, with an ellipsis when cut.
pub fn shorten(text: &str, max: usize) -> String {
    let text = text.trim();
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", text[..cut].trim_end()),
        None => text.to_owned(),
    }
}

/// Phrases that only occur in what the website and the PDFs print around the narratives.
const FURNITURE: &[(&str, &str)] = &[
    ("rotate your device", "display prompt"),
    ("give us your feedback", "survey prompt"),
    ("this survey", "survey prompt"),
    ("read more on", "link"),
    ("discussion papers", "publication notice"),
    ("represented by the pyramid", "chart legend"),
    ("panel height", "chart legend"),
    ("funded in part by", "funding note"),
    ("do not necessarily reflect", "funding note"),
    ("all rights reserved", "footer"),
    ("©", "footer"),
];

const TOP_LEVEL_DOMAINS: &[&str] = &[".net", ".org", ".com", ".int", ".gov", ".edu", ".info"];

/// Why a line (or a paragraph) is page furniture rather than narrative, if it is.
pub fn furniture(text: &str) -> Option<&'static str> {
    let lower = text.to_lowercase();
    if let Some((_, reason)) = FURNITURE.iter().find(|(phrase, _)| lower.contains(phrase)) {
        return Some(reason);
    }
    if has_web_address(text) {
        return Some("link");
    }
    let trimmed = text.trim();
    if is_page_number(trimmed) {
        return Some("page number");
    }
    None
}

fn has_web_address(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    if lower.contains("http://") || lower.contains("https://") || lower.contains("www.") {
        return true;
    }
    TOP_LEVEL_DOMAINS.iter().any(|tld| {
        lower.match_indices(tld).any(|(at, _)| {
            let before = text[..at].chars().next_back();
            // "globalinitiative.netCriminal": the page glues the next text on, in upper case
            let after = text[at + tld.len()..].chars().next();
            before.is_some_and(char::is_alphanumeric)
                && !after.is_some_and(|c| c.is_ascii_lowercase())
        })
    })
}

/// "12", "PAGE 6 OF 6", "Page 3".
fn is_page_number(text: &str) -> bool {
    let words: Vec<&str> = text.split_whitespace().collect();
    let number = |w: &str| !w.is_empty() && w.len() <= 4 && w.bytes().all(|b| b.is_ascii_digit());
    match words[..] {
        [n] => number(n),
        [page, n] => page.eq_ignore_ascii_case("page") && number(n),
        [page, n, of, m] => {
            page.eq_ignore_ascii_case("page")
                && number(n)
                && of.eq_ignore_ascii_case("of")
                && number(m)
        }
        _ => false,
    }
}

/// A line in capitals only, like the running headers of the PDFs ("GLOBAL", "CRIME INDEX").
pub fn is_capitals(text: &str) -> bool {
    text.chars().any(char::is_alphabetic) && !text.chars().any(char::is_lowercase)
}

/// Whether `text` ends a sentence: a paragraph that does not was cut by a page or column break.
pub fn ends_sentence(text: &str) -> bool {
    let text = text.trim_end().trim_end_matches(['”', '’', '"', '\'', ')', ']']);
    text.ends_with(['.', '!', '?', '…'])
}

/// Fragments that end a word and are not words themselves: "organiza-" + "tion" was one
/// word cut by the line end, while "Mafia-" + "style" is a compound that keeps its hyphen.
const WORD_ENDINGS: &[&str] = &[
    "tion", "tions", "sion", "sions", "ment", "ments", "ness", "ity", "ities", "ing", "ings", "ed",
    "ly", "ally", "ance", "ances", "ence", "ences", "ous", "ive", "ives", "al", "ated", "ation",
    "ations", "ised", "ized", "ise", "ize", "ises", "izes", "ism", "isms", "ist", "ists", "ful",
    "less", "able", "ible", "ure", "ures", "ency", "ancy", "ship", "ial", "ian", "ians", "ics",
    "ity", "ties", "ry", "ries", "tive", "tives", "ter", "ters", "ger", "gers", "ble", "bly",
    "nal", "tal", "cal", "cally",
];

/// The words a document uses, hyphenated compounds whole: they decide whether a hyphen at
/// a line end belongs to the word.
pub struct DocumentWords(HashSet<String>);

impl DocumentWords {
    pub fn of(source: &str) -> Self {
        let words = source
            .split(|c: char| !(c.is_alphanumeric() || c == '-'))
            .map(|w| w.trim_matches('-').to_lowercase())
            .filter(|w| !w.is_empty())
            .collect();
        Self(words)
    }

    /// Whether "left-" at a line end and "right" on the next line make one unhyphenated word.
    fn rejoins(&self, left: &str, right: &str) -> bool {
        let starts_upper = right.chars().next().is_some_and(char::is_uppercase);
        if left.is_empty() || right.is_empty() || starts_upper {
            return false;
        }
        let (left, right) = (left.to_lowercase(), right.to_lowercase());
        if self.0.contains(&format!("{left}-{right}")) {
            return false;
        }
        self.0.contains(&format!("{left}{right}")) || WORD_ENDINGS.contains(&right.as_str())
    }
}

/// Joins the printed lines of one paragraph into running text.
pub fn join_lines(lines: &[&str], words: &DocumentWords) -> String {
    let mut text = String::new();
    let mut separator = "";
    for raw in lines {
        let line = raw.trim_start();
        let content = line.trim_end();
        if content.is_empty() {
            continue;
        }
        if text.is_empty() {
            text.push_str(content);
        } else if separator == "-" {
            // the previous line ended in a hyphen glued to its word
            let left = last_word(&text);
            let right: String = content.chars().take_while(|c| c.is_alphabetic()).collect();
            if words.rejoins(left, &right) {
                text.pop();
            }
            text.push_str(content);
        } else {
            text.push_str(separator);
            text.push_str(content);
        }
        let spaced = line.len() > content.len();
        separator = line_end_separator(content, spaced);
        if separator == "soft" {
            text.pop();
            separator = "";
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What goes between a line ending in `content` and the next line.
fn line_end_separator(content: &str, spaced: bool) -> &'static str {
    let mut chars = content.chars().rev();
    let last = chars.next();
    let before = chars.next();
    let glued = !spaced && before.is_some_and(|c| !c.is_whitespace());
    match last {
        Some('\u{ad}') => "soft",
        // "Mafia-" then "style": decided with the next line's word
        Some('-' | '\u{2010}') if glued => "-",
        // "Kyrgyz–" then "Tajik" is one compound; "Russia –" then "the" is a dash between words
        Some('–' | '—') if glued => "",
        _ => " ",
    }
}

/// Longer runs of letters are no word a hyphen could mend; looking no further back keeps
/// joining lines linear however the text is made.
const LONGEST_WORD: usize = 64;

/// The last word of `text` before its final hyphen: "anti-money-" gives "money".
fn last_word(text: &str) -> &str {
    let body = text.strip_suffix(['-', '\u{2010}']).unwrap_or(text);
    let tail = body.char_indices().rev().nth(LONGEST_WORD).map_or(0, |(i, _)| i);
    let body = &body[tail..];
    let start = body
        .rfind(|c: char| !c.is_alphabetic())
        .map_or(0, |i| i + body[i..].chars().next().map_or(1, char::len_utf8));
    &body[start..]
}

/// Words of `text`, folded the way country names and keywords are compared.
pub fn folded_words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(reference::alias_key)
        .filter(|w| !w.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn join(text: &str) -> String {
        let lines: Vec<&str> = text.split('\n').collect();
        join_lines(&lines, &DocumentWords::of(text))
    }

    #[test]
    fn furniture_is_recognised_and_prose_is_not() {
        assert_eq!(furniture("PAGE 6 OF 6"), Some("page number"));
        assert_eq!(furniture("14"), Some("page number"));
        assert_eq!(furniture("©2021  OCINDEX.NET/COUNTRY/NOWHERE"), Some("footer"));
        assert_eq!(furniture("See example.orgThe next heading"), Some("link"));
        assert_eq!(
            furniture("Please take a minute for this survey about the site."),
            Some("survey prompt")
        );
        assert_eq!(furniture("Customs officers seized 14 tonnes of resin in the port."), None);
        assert_eq!(furniture("The e.g. abbreviation is not a net.work address."), None);
        assert!(is_capitals("CRIME INDEX"));
        assert!(!is_capitals("Crime Index"));
    }

    #[test]
    fn sentences_end_with_their_punctuation() {
        assert!(ends_sentence("It grew."));
        assert!(ends_sentence("He called it “the route.”"));
        assert!(!ends_sentence("the market also involves an"));
        assert!(!ends_sentence("as follows:"));
    }

    #[test]
    fn hyphens_at_line_ends_keep_compounds_and_mend_split_words() {
        assert_eq!(join("the organiza-\ntion of the market"), "the organization of the market");
        assert_eq!(join("Mafia-\nstyle groups"), "Mafia-style groups");
        assert_eq!(
            join("a state-embedded network and a state-\nembedded one"),
            "a state-embedded network and a state-embedded one"
        );
        assert_eq!(join("both coal- \nand gold-mining"), "both coal- and gold-mining");
        assert_eq!(join("the north–\nsouth route"), "the north–south route");
        assert_eq!(join("the route –\nwhich is long"), "the route – which is long");
        assert_eq!(join("the East-\nWest corridor"), "the East-West corridor");
        // the word appears whole elsewhere, so the hyphen was the line's
        assert_eq!(
            join("a cross-\nborder route; crossborder trade"),
            "a crossborder route; crossborder trade"
        );
        assert_eq!(join("two\n  spaced   lines "), "two spaced lines");
    }

    #[test]
    fn folded_words_match_country_keys() {
        assert_eq!(
            folded_words("Türkiye’s port, Kyrgyz–Tajik"),
            ["turkiye", "s", "port", "kyrgyz", "tajik"]
        );
    }
}
