//! Pins every slug and lookup key the reference data produces, as computed by the code that
//! preceded `deunicode` folding (`pins.tsv` was generated from it, not from this crate), so a
//! change of folding that moves any stored slug or alias key fails here, before a migration
//! or an import could disagree with rows already in a database.

use reference::{alias_key, slugify, COUNTRIES, INDICATORS};

const PINS: &str = include_str!("pins.tsv");

/// One expected line per indicator and per spelling (name or alias) of each country.
fn current() -> Vec<String> {
    let indicators =
        INDICATORS.iter().map(|i| format!("indicator\t{}\t{}", i.name, slugify(i.name)));
    let countries = COUNTRIES.iter().flat_map(|c| {
        std::iter::once(&c.name)
            .chain(c.aliases)
            .map(move |n| format!("country\t{}\t{}\t{}\t{}", c.iso3, n, slugify(n), alias_key(n)))
    });
    indicators.chain(countries).collect()
}

#[test]
fn slugs_and_keys_of_every_indicator_and_country_are_unchanged() {
    let pinned: Vec<&str> = PINS.lines().collect();
    let now = current();
    assert_eq!(now.len(), pinned.len(), "the reference data gained or lost entries");
    for (now, pinned) in now.iter().zip(&pinned) {
        assert_eq!(now, *pinned);
    }
    // the fixture covers the whole tree and all 193 member states
    assert_eq!(pinned_count(&pinned, "indicator"), INDICATORS.len());
    assert_eq!(
        pinned_count(&pinned, "country"),
        COUNTRIES.iter().map(|c| 1 + c.aliases.len()).sum()
    );
}

fn pinned_count(pinned: &[&str], kind: &str) -> usize {
    pinned.iter().filter(|l| l.split('\t').next() == Some(kind)).count()
}
