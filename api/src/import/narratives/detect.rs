//! Which country a narrative text is about, from the names and demonyms it mentions.
use super::text::folded_words;
use reference::alias_key;
use std::collections::HashMap;

const COUNTRY_WORDS: &str = include_str!("country_words.csv");

/// A text must name its country this often, and at least twice as often as any other.
const MIN_MENTIONS: usize = 3;

/// Every way a text names a country: the spellings of its name and the words for its people.
pub struct CountryNames {
    /// Folded key (words run together) -> the country it names; `None` for a key that names
    /// no country or several.
    keys: HashMap<String, Option<String>>,
    /// The most words any key runs together.
    longest: usize,
    /// Country names by ISO3, for reports.
    names: HashMap<String, String>,
}

/// How often a text mentions each country, most mentioned first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mentions(pub Vec<(String, usize)>);

impl CountryNames {
    /// From the countries (ISO3, name) and every spelling of their names (ISO3, spelling).
    pub fn new(countries: &[(String, String)], spellings: &[(String, String)]) -> Self {
        let mut names = Self { keys: HashMap::new(), longest: 1, names: HashMap::new() };
        for (iso3, name) in countries {
            names.names.insert(iso3.clone(), name.clone());
            names.add(name, Some(iso3));
        }
        for (iso3, spelling) in spellings {
            names.add(spelling, Some(iso3));
        }
        for line in COUNTRY_WORDS.lines().filter(|l| !l.starts_with('#')).skip(1) {
            let Some((iso3, words)) = line.split_once(',') else { continue };
            for word in words.split(';') {
                names.add(word, (iso3 != "-").then_some(iso3));
            }
        }
        names
    }

    /// From the project's reference data, as the seed migration writes it.
    pub fn reference() -> Self {
        let countries: Vec<(String, String)> =
            reference::COUNTRIES.iter().map(|c| (c.iso3.to_owned(), c.name.to_owned())).collect();
        let spellings: Vec<(String, String)> = reference::COUNTRIES
            .iter()
            .flat_map(|c| c.aliases.iter().map(|a| (c.iso3.to_owned(), (*a).to_owned())))
            .collect();
        Self::new(&countries, &spellings)
    }

    fn add(&mut self, spelling: &str, iso3: Option<&str>) {
        let words = folded_words(spelling);
        let key = words.concat();
        if key.is_empty() {
            return;
        }
        self.longest = self.longest.max(words.len());
        let iso3 = iso3.map(str::to_owned);
        self.keys
            .entry(key)
            .and_modify(|known| {
                if *known != iso3 {
                    *known = None;
                }
            })
            .or_insert(iso3);
    }

    pub fn is_known(&self, iso3: &str) -> bool {
        self.names.contains_key(iso3)
    }

    pub fn name<'a>(&'a self, iso3: &'a str) -> &'a str {
        self.names.get(iso3).map_or(iso3, String::as_str)
    }

    /// Counts the mentions of each country in `text`, longest spelling first ("Kyrgyz
    /// Republic" is one mention of Kyrgyzstan, not a demonym and a word).
    pub fn mentions(&self, text: &str) -> Mentions {
        let words: Vec<(&str, String)> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(|w| (w, alias_key(w)))
            .collect();
        let mut counts: HashMap<&str, usize> = HashMap::new();
        let mut at = 0;
        while at < words.len() {
            // names and demonyms are capitalised: "chad" and "polish" are not countries
            let capitalised = words[at].0.chars().next().is_some_and(char::is_uppercase);
            let found = capitalised
                .then(|| {
                    (1..=self.longest.min(words.len() - at)).rev().find_map(|n| {
                        let key: String = words[at..at + n].iter().map(|w| w.1.as_str()).collect();
                        self.keys.get(&key).map(|iso3| (n, iso3))
                    })
                })
                .flatten();
            match found {
                Some((n, iso3)) => {
                    if let Some(iso3) = iso3 {
                        *counts.entry(iso3.as_str()).or_default() += 1;
                    }
                    at += n;
                }
                None => at += 1,
            }
        }
        let mut ranked: Vec<(String, usize)> =
            counts.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Mentions(ranked)
    }
}

impl Mentions {
    pub fn of(&self, iso3: &str) -> usize {
        self.0.iter().find(|(c, _)| c == iso3).map_or(0, |(_, n)| *n)
    }

    /// The country the text is about, when its mentions leave no doubt.
    pub fn decide(&self) -> Result<&str, String> {
        match &self.0[..] {
            [] => Err("the text names no country".into()),
            [(top, n), rest @ ..] => {
                let second = rest.first().map_or(0, |(_, m)| *m);
                if *n >= MIN_MENTIONS && *n >= 2 * second {
                    Ok(top)
                } else {
                    Err(format!(
                        "the text does not tell which country it is about ({})",
                        self.describe(3)
                    ))
                }
            }
        }
    }

    /// "KAZ 61, RUS 14, KGZ 3".
    pub fn describe(&self, top: usize) -> String {
        let shown: Vec<String> = self.0.iter().take(top).map(|(c, n)| format!("{c} {n}")).collect();
        if shown.is_empty() {
            "no country named".into()
        } else {
            shown.join(", ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_member_state_has_words_for_its_people() {
        let mut listed: Vec<&str> = COUNTRY_WORDS
            .lines()
            .filter(|l| !l.starts_with('#'))
            .skip(1)
            .filter_map(|l| l.split_once(',').map(|(iso3, _)| iso3))
            .filter(|iso3| *iso3 != "-")
            .collect();
        listed.sort_unstable();
        let mut known: Vec<&str> = reference::COUNTRIES.iter().map(|c| c.iso3).collect();
        known.sort_unstable();
        assert_eq!(listed, known);
    }

    #[test]
    fn names_and_demonyms_count_and_the_longest_spelling_wins() {
        let names = CountryNames::reference();
        let text = "Uzbek traders cross into the Kyrgyz Republic; Kyrgyz and Uzbekistan officials \
                    met in Türkiye. Latin American cartels and Congolese groups were not seen. \
                    Some polish the chad.";
        let mentions = names.mentions(text);
        assert_eq!(mentions.of("UZB"), 2);
        assert_eq!(mentions.of("KGZ"), 2);
        assert_eq!(mentions.of("TUR"), 1);
        assert_eq!(mentions.of("USA"), 0, "Latin American names no country");
        assert_eq!(mentions.of("COD") + mentions.of("COG"), 0, "Congolese is ambiguous");
        assert_eq!(mentions.of("POL") + mentions.of("TCD"), 0, "lower-case words are not names");
    }

    #[test]
    fn a_country_is_decided_only_without_doubt() {
        let clear = Mentions(vec![("KAZ".into(), 9), ("RUS".into(), 4)]);
        assert_eq!(clear.decide(), Ok("KAZ"));
        let close = Mentions(vec![("KAZ".into(), 5), ("KGZ".into(), 4)]);
        assert!(close.decide().unwrap_err().contains("KAZ 5, KGZ 4"));
        assert!(Mentions(vec![("KAZ".into(), 2)]).decide().is_err());
        assert!(Mentions::default().decide().is_err());
    }
}
