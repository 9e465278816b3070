//! "Did you mean" suggestions: the one way an input that names nothing (an indicator slug, a
//! country code, a region) is answered with the nearest names that exist.

/// The longest input for which suggestions are computed: the edit distance costs the product
/// of the lengths (an 8 MiB code against every country took seconds of a runtime worker), and
/// no code, slug or name is anywhere near that long.
pub const SUGGESTIBLE_BYTES: usize = 256;

/// The (at most two) candidates nearest to `input`, quoted: those that contain it first
/// ("Caribbean" suggests "Caribbean & Central"), then by edit distance. Inputs longer than
/// [`SUGGESTIBLE_BYTES`] get none.
pub fn closest<'a>(input: &str, candidates: impl Iterator<Item = &'a str>) -> Vec<String> {
    if input.len() > SUGGESTIBLE_BYTES {
        return Vec::new();
    }
    let needle = input.to_lowercase();
    let mut scored: Vec<(bool, usize, &str)> = candidates
        .map(|c| (!c.to_lowercase().contains(&needle), strsim::levenshtein(input, c), c))
        .collect();
    scored.sort();
    scored.into_iter().take(2).map(|(_, _, c)| format!("{c:?}")).collect()
}

/// The end of a message that suggests `suggestions` ("; did you mean \"KAZ\" or \"KGZ\"?"),
/// or nothing when there are none.
pub fn did_you_mean(suggestions: &[String]) -> String {
    if suggestions.is_empty() {
        String::new()
    } else {
        format!("; did you mean {}?", suggestions.join(" or "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_input_gets_no_suggestion_at_once() {
        let huge = "Q".repeat(8 << 20);
        let started = std::time::Instant::now();
        assert!(closest(&huge, ["KAZ", "KGZ"].into_iter()).is_empty());
        assert!(started.elapsed() < std::time::Duration::from_millis(100));
        assert_eq!(did_you_mean(&[]), "");
    }

    #[test]
    fn suggestions_are_the_nearest_names() {
        let slugs = ["synthetic-drug-trade", "cannabis-trade", "heroin-trade", "criminality"];
        let nearest = closest("synthetic-drugs", slugs.into_iter());
        assert_eq!(nearest[0], "\"synthetic-drug-trade\"");
        let regions = ["Caribbean & Central America", "Central Asia", "East Africa"];
        let nearest = closest("Caribbean", regions.into_iter());
        assert_eq!(did_you_mean(&nearest[..1]), "; did you mean \"Caribbean & Central America\"?");
    }
}
