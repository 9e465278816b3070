//! Parsed documents, kept by their text. A page or a partner's pipeline sends the same few
//! query texts again and again, with other variables, and when the answer cache cannot help
//! (a token, a new combination of variables) parsing the text is a large share of the answer:
//! async-graphql's parser spent about 510,000 instructions on the 193-row ranking's
//! 200-character text, a twentieth of its whole cost. A kept document is cloned instead.
//!
//! Bounded: a text longer than [`MAX_TEXT`] is never kept, and the documents held weigh at
//! most [`MAX_WEIGHT`] (estimated from their texts); moka's TinyLFU admits a text seen once
//! only when it beats what it would push out, so a flood of one-off texts (a threshold
//! written into the text) leaves the repeated ones in place. A kept document was checked for
//! nesting when it was first parsed: the same text passes the same check.
use async_graphql::parser::types::ExecutableDocument;

/// The longest text kept (bytes); longer documents are parsed every time.
pub const MAX_TEXT: usize = 16 * 1024;

/// The most the kept documents weigh together, in estimated bytes of memory.
pub const MAX_WEIGHT: u64 = 16 * 1024 * 1024;

/// A parsed document takes a few times the memory of its text: every name, argument and
/// selection is a node of its own.
const WEIGHT_PER_BYTE: usize = 8;
const ENTRY_OVERHEAD: usize = 256;

#[derive(Clone)]
pub struct Documents {
    entries: moka::sync::Cache<Box<str>, ExecutableDocument>,
}

impl std::fmt::Debug for Documents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Documents").field("entries", &self.entries.entry_count()).finish()
    }
}

impl Default for Documents {
    fn default() -> Self {
        Self::new(MAX_WEIGHT)
    }
}

impl Documents {
    #[allow(clippy::borrowed_box)]
    pub fn new(max_weight: u64) -> Self {
        // moka hands the key as its own type, a box
        let entries = moka::sync::Cache::builder()
            .max_capacity(max_weight)
            .weigher(|text: &Box<str>, _: &ExecutableDocument| {
                let weight = text.len() * (1 + WEIGHT_PER_BYTE) + ENTRY_OVERHEAD;
                u32::try_from(weight).unwrap_or(u32::MAX)
            })
            .build();
        Self { entries }
    }

    /// The document of `text`, when it was parsed before.
    pub fn get(&self, text: &str) -> Option<ExecutableDocument> {
        self.entries.get(text)
    }

    /// Keeps the document parsed from `text` for the next request that sends it.
    pub fn keep(&self, text: &str, document: &ExecutableDocument) {
        if text.len() <= MAX_TEXT {
            self.entries.insert(text.into(), document.clone());
        }
    }

    #[cfg(test)]
    fn len(&self) -> u64 {
        self.entries.run_pending_tasks();
        self.entries.entry_count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> ExecutableDocument {
        async_graphql::parser::parse_query(text).expect("a document")
    }

    #[test]
    fn a_text_parsed_once_is_found_again_as_it_was_parsed() {
        let documents = Documents::default();
        let text = r#"query Ranking($year: Int) { ranking(indicator: "criminality", edition: $year) { nodes { rank } } }"#;
        assert!(documents.get(text).is_none());
        documents.keep(text, &parse(text));
        let kept = documents.get(text).expect("kept");
        assert_eq!(format!("{kept:?}"), format!("{:?}", parse(text)));
        assert!(documents.get(&text.replace("rank }", "value }")).is_none(), "another text");
    }

    #[test]
    fn long_texts_are_not_kept_and_the_weight_is_bounded() {
        let documents = Documents::new(64 * 1024);
        let long = format!("{{ {} }}", "editions { year } ".repeat(MAX_TEXT / 16));
        assert!(long.len() > MAX_TEXT);
        documents.keep(&long, &parse(&long));
        assert!(documents.get(&long).is_none());
        for n in 0..1_000 {
            let text = format!("{{ country(iso3: \"K{n:02}\") {{ name }} }}");
            documents.keep(&text, &parse(&text));
        }
        // 64 KiB at about 300 bytes of weight a text
        assert!(documents.len() <= 64 * 1024 / 300 + 1, "{} kept", documents.len());
        assert!(documents.len() > 0);
    }
}
