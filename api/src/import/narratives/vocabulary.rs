//! The words by which a narrative paragraph shows which indicators it discusses, and the
//! sections of the PDF summaries with the indicators each one covers.
//!
//! Keywords are matched on whole words of the folded text ("cyber-dependent" reads as
//! "cyber dependent"); a trailing `*` matches any word that starts so ("poach*" finds
//! "poaching" and "poachers"). The indicator's own name always counts as a strong keyword.

/// Keywords of one raw indicator: strong ones name its subject, weak ones hint at it.
pub struct Keywords {
    pub slug: &'static str,
    pub strong: &'static [&'static str],
    pub weak: &'static [&'static str],
}

const fn kw(
    slug: &'static str,
    strong: &'static [&'static str],
    weak: &'static [&'static str],
) -> Keywords {
    Keywords { slug, strong, weak }
}

/// Every raw indicator of the tree, in tree order.
pub const KEYWORDS: &[Keywords] = &[
    kw(
        "human-trafficking",
        &["human trafficking", "trafficking in persons", "trafficking victims", "sex trafficking"],
        &[
            "forced labour",
            "forced labor",
            "sexual exploitation",
            "domestic servitude",
            "forced begging",
            "debt bondage",
            "traffickers",
        ],
    ),
    kw(
        "human-smuggling",
        &[
            "human smuggling",
            "migrant smuggling",
            "people smuggling",
            "smuggling of migrants",
            "smuggled migrants",
        ],
        &[
            "irregular migra*",
            "migrants",
            "smugglers",
            "travel documents",
            "visa*",
            "migration documents",
        ],
    ),
    kw(
        "extortion-and-protection-racketeering",
        &["extortion", "protection racketeering", "racketeering"],
        &["racket*", "extort*"],
    ),
    kw(
        "arms-trafficking",
        &["arms trafficking", "arms trade", "illegal arms", "illicit arms", "firearms", "weapons"],
        &["arms", "ammunition", "guns"],
    ),
    kw(
        "trade-in-counterfeit-goods",
        &["counterfeit*", "counterfeiting"],
        &["fake", "pirated", "intellectual property"],
    ),
    kw(
        "illicit-trade-in-excisable-goods",
        &["excis*", "tobacco", "cigarette*", "alcohol"],
        &["smuggling of goods", "consumer goods", "contraband"],
    ),
    kw(
        "flora-crimes",
        &["flora", "logging", "timber"],
        &["forest*", "trees", "plants", "firewood", "harvest*"],
    ),
    kw(
        "fauna-crimes",
        &["fauna", "wildlife", "poach*", "iuu fishing"],
        &["species", "animals", "hunting", "trophy", "ivory", "falcon*", "horn*", "antelope"],
    ),
    kw(
        "non-renewable-resource-crimes",
        &[
            "non renewable",
            "illegal mining",
            "illicit mining",
            "fuel smuggling",
            "natural resources",
            "mineral*",
        ],
        &[
            "fuel",
            "oil",
            "gold",
            "mining",
            "mined",
            "coal",
            "petroleum",
            "gas",
            "metals",
            "deposits",
        ],
    ),
    kw("heroin-trade", &["heroin"], &["opiat*", "opium", "opioid*", "poppy"]),
    kw("cocaine-trade", &["cocaine"], &["coca"]),
    kw("cannabis-trade", &["cannabis", "hashish", "marijuana"], &["hemp"]),
    kw(
        "synthetic-drug-trade",
        &["synthetic drug*", "synthetic", "methamphetamine*", "amphetamine*"],
        &[
            "ecstasy",
            "laborator*",
            "precursor*",
            "psychoactive",
            "captagon",
            "fentanyl",
            "tramadol",
            "mephedrone",
        ],
    ),
    kw(
        "cyber-dependent-crimes",
        &["cyber dependent", "cybercrime*", "ransomware", "hacker*", "hacking", "malware"],
        &["cyber*", "crypto*", "ddos"],
    ),
    kw(
        "financial-crimes",
        &["financial crime*", "fraud*", "ponzi", "embezzlement", "tax evasion"],
        &["scam*", "phishing", "pyramid scheme*"],
    ),
    kw("mafia-style-groups", &["mafia*", "thieves in law"], &["syndicate*", "clan*", "godfather*"]),
    kw("criminal-networks", &["criminal networks", "networks"], &["gang*", "loose"]),
    kw(
        "state-embedded-actors",
        &["state embedded", "corrupt officials", "state officials", "officials"],
        &["politicians", "elite*", "state apparatus", "police officers", "customs"],
    ),
    kw(
        "foreign-actors",
        &["foreign actors", "foreign criminal*", "foreign nationals", "foreign"],
        &["diaspora", "transnational", "ethnicity"],
    ),
    kw(
        "private-sector-actors",
        &["private sector", "businesses", "companies"],
        &["business*", "corporat*", "lawyers", "accountants", "bankers"],
    ),
    kw(
        "political-leadership-and-governance",
        &["political leadership", "governance", "political will"],
        &["government*", "political", "president*", "elections", "regime", "protests"],
    ),
    kw(
        "government-transparency-and-accountability",
        &["transparen*", "accountab*", "corruption", "anti corruption"],
        &["corrupt*", "access to information", "oversight", "bribe*", "checks and balances"],
    ),
    kw(
        "international-cooperation",
        &["international cooperation", "treaties", "treaty", "conventions", "extradition"],
        &["international*", "bilateral", "partners", "regional cooperation"],
    ),
    kw(
        "national-policies-and-laws",
        &["national policies", "legislative framework", "legislation", "laws"],
        &[
            "legislative",
            "amendment*",
            "legal framework",
            "policy",
            "policies",
            "strategy",
            "action plan",
        ],
    ),
    kw(
        "judicial-system-and-detention",
        &["judicial", "judiciary", "prison*", "detention", "judges", "courts", "penitentiary"],
        &["inmates", "trial*", "justice", "penal", "convictions", "attorney*"],
    ),
    kw(
        "law-enforcement",
        &["law enforcement", "police", "policing"],
        &["officers", "arrests", "investigat*", "security services"],
    ),
    kw(
        "territorial-integrity",
        &["territorial integrity", "border*", "customs"],
        &["territory", "porous", "ports", "airports", "frontier*"],
    ),
    kw(
        "anti-money-laundering",
        &["money laundering", "aml", "financial intelligence", "fatf"],
        &["terrorist financing", "cft", "laundering", "laundered"],
    ),
    kw(
        "economic-regulatory-capacity",
        &[
            "economic regulatory",
            "business environment",
            "doing business",
            "investment",
            "investors",
            "economy",
            "economic",
        ],
        &["business*", "bureaucra*", "procurement", "tax*", "regulatory", "entrepreneur*"],
    ),
    kw(
        "victim-and-witness-support",
        &["victim*", "witness*", "shelters"],
        &["assistance", "support", "treatment", "rehabilitat*", "referral"],
    ),
    kw(
        "prevention",
        &["prevention", "prevent*", "awareness"],
        &["campaign*", "hotline", "education", "training"],
    ),
    kw(
        "non-state-actors",
        &["civil society", "ngos", "ngo", "media", "journalist*", "press"],
        &["freedom*", "activists", "non state", "watchdog*"],
    ),
];

/// How a heading of a PDF summary relates to the indicators.
#[derive(Debug)]
pub enum Covers {
    /// A section: the text under it covers these indicators (those the edition assesses).
    Indicators(&'static [&'static str]),
    /// A pillar heading over sections; text directly under it covers the pillar's indicators.
    Pillar(&'static str),
}

/// A heading of the PDF summaries, as printed (upper case), in the order the summaries use.
#[derive(Debug)]
pub struct Section {
    pub heading: &'static str,
    pub covers: Covers,
}

const fn section(heading: &'static str, covers: Covers) -> Section {
    Section { heading, covers }
}

/// The summaries' headings in order: a heading that does not come after the previous one
/// starts the summary of another country.
pub const SECTIONS: &[Section] = &[
    section("CRIMINAL MARKETS", Covers::Pillar("criminal-markets")),
    section(
        "PEOPLE",
        Covers::Indicators(&[
            "human-trafficking",
            "human-smuggling",
            "extortion-and-protection-racketeering",
        ]),
    ),
    section(
        "TRADE",
        Covers::Indicators(&[
            "arms-trafficking",
            "trade-in-counterfeit-goods",
            "illicit-trade-in-excisable-goods",
        ]),
    ),
    section(
        "ENVIRONMENT",
        Covers::Indicators(&["flora-crimes", "fauna-crimes", "non-renewable-resource-crimes"]),
    ),
    section(
        "DRUGS",
        Covers::Indicators(&[
            "heroin-trade",
            "cocaine-trade",
            "cannabis-trade",
            "synthetic-drug-trade",
        ]),
    ),
    section("CYBER CRIMES", Covers::Indicators(&["cyber-dependent-crimes"])),
    section("FINANCIAL CRIMES", Covers::Indicators(&["financial-crimes"])),
    section("CRIMINAL ACTORS", Covers::Pillar("criminal-actors")),
    section("RESILIENCE", Covers::Pillar("resilience")),
    section(
        "LEADERSHIP AND GOVERNANCE",
        Covers::Indicators(&[
            "political-leadership-and-governance",
            "government-transparency-and-accountability",
            "international-cooperation",
            "national-policies-and-laws",
        ]),
    ),
    section(
        "CRIMINAL JUSTICE AND SECURITY",
        Covers::Indicators(&[
            "judicial-system-and-detention",
            "law-enforcement",
            "territorial-integrity",
        ]),
    ),
    section(
        "ECONOMIC AND FINANCIAL ENVIRONMENT",
        Covers::Indicators(&["anti-money-laundering", "economic-regulatory-capacity"]),
    ),
    section(
        "CIVIL SOCIETY AND SOCIAL PROTECTION",
        Covers::Indicators(&["victim-and-witness-support", "prevention", "non-state-actors"]),
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use reference::{slugify, INDICATORS};

    fn raw_slugs() -> Vec<String> {
        INDICATORS.iter().filter(|i| !i.is_composite).map(|i| slugify(i.name)).collect()
    }

    #[test]
    fn every_raw_indicator_has_keywords_in_tree_order() {
        let ours: Vec<&str> = KEYWORDS.iter().map(|k| k.slug).collect();
        assert_eq!(ours, raw_slugs());
    }

    #[test]
    fn sections_name_real_indicators_and_each_raw_indicator_once() {
        let composites: Vec<String> =
            INDICATORS.iter().filter(|i| i.is_composite).map(|i| slugify(i.name)).collect();
        let mut seen = Vec::new();
        for s in SECTIONS {
            match s.covers {
                Covers::Indicators(slugs) => seen.extend(slugs.iter().map(|s| s.to_string())),
                Covers::Pillar(slug) => assert!(composites.iter().any(|c| c == slug), "{slug}"),
            }
        }
        let mut raw = raw_slugs();
        // criminal actors has no sub-sections: its heading covers the whole pillar
        raw.retain(|s| !seen.contains(s));
        assert_eq!(
            raw.len(),
            5,
            "only the five actor types are covered by a pillar heading: {raw:?}"
        );
        seen.sort();
        let before = seen.len();
        seen.dedup();
        assert_eq!(seen.len(), before, "no indicator is in two sections");
    }
}
