//! Reference data the project owns: the Index's indicator tree and the 193 UN member states.
//! Seed migrations write it; the importers resolve names against what it wrote.

/// One node of the indicator tree, in the order the Index's country pages present it.
pub struct IndicatorDef {
    pub name: &'static str,
    pub pillar: &'static str,
    /// Slug of the composite this indicator is averaged into; `None` for the pillar roots.
    pub parent: Option<&'static str>,
    pub is_composite: bool,
    /// The first edition that assessed it (2023 added five markets and one actor type).
    pub since: i32,
}

const fn node(
    name: &'static str,
    pillar: &'static str,
    parent: Option<&'static str>,
    is_composite: bool,
    since: i32,
) -> IndicatorDef {
    IndicatorDef { name, pillar, parent, is_composite, since }
}

const CRIM: &str = "CRIMINALITY";
const MKT: &str = "CRIMINAL_MARKETS";
const ACT: &str = "CRIMINAL_ACTORS";
const RES: &str = "RESILIENCE";
const MARKETS: Option<&str> = Some("criminal-markets");
const ACTORS: Option<&str> = Some("criminal-actors");
const RESILIENCE: Option<&str> = Some("resilience");

/// The tree in presentation order: parents before their children.
pub const INDICATORS: &[IndicatorDef] = &[
    node("Criminality", CRIM, None, true, 2021),
    node("Criminal markets", MKT, Some("criminality"), true, 2021),
    node("Human trafficking", MKT, MARKETS, false, 2021),
    node("Human smuggling", MKT, MARKETS, false, 2021),
    node("Extortion and protection racketeering", MKT, MARKETS, false, 2023),
    node("Arms trafficking", MKT, MARKETS, false, 2021),
    node("Trade in counterfeit goods", MKT, MARKETS, false, 2023),
    node("Illicit trade in excisable goods", MKT, MARKETS, false, 2023),
    node("Flora crimes", MKT, MARKETS, false, 2021),
    node("Fauna crimes", MKT, MARKETS, false, 2021),
    node("Non-renewable resource crimes", MKT, MARKETS, false, 2021),
    node("Heroin trade", MKT, MARKETS, false, 2021),
    node("Cocaine trade", MKT, MARKETS, false, 2021),
    node("Cannabis trade", MKT, MARKETS, false, 2021),
    node("Synthetic drug trade", MKT, MARKETS, false, 2021),
    node("Cyber-dependent crimes", MKT, MARKETS, false, 2023),
    node("Financial crimes", MKT, MARKETS, false, 2023),
    node("Criminal actors", ACT, Some("criminality"), true, 2021),
    node("Mafia-style groups", ACT, ACTORS, false, 2021),
    node("Criminal networks", ACT, ACTORS, false, 2021),
    node("State-embedded actors", ACT, ACTORS, false, 2021),
    node("Foreign actors", ACT, ACTORS, false, 2021),
    node("Private sector actors", ACT, ACTORS, false, 2023),
    node("Resilience", RES, None, true, 2021),
    node("Political leadership and governance", RES, RESILIENCE, false, 2021),
    node("Government transparency and accountability", RES, RESILIENCE, false, 2021),
    node("International cooperation", RES, RESILIENCE, false, 2021),
    node("National policies and laws", RES, RESILIENCE, false, 2021),
    node("Judicial system and detention", RES, RESILIENCE, false, 2021),
    node("Law enforcement", RES, RESILIENCE, false, 2021),
    node("Territorial integrity", RES, RESILIENCE, false, 2021),
    node("Anti-money laundering", RES, RESILIENCE, false, 2021),
    node("Economic regulatory capacity", RES, RESILIENCE, false, 2021),
    node("Victim and witness support", RES, RESILIENCE, false, 2021),
    node("Prevention", RES, RESILIENCE, false, 2021),
    node("Non-state actors", RES, RESILIENCE, false, 2021),
];

/// The slug of a name: folded to ASCII, lower case, every run of non-letters turned into one `-`.
pub fn slugify(name: &str) -> String {
    let mut slug = String::with_capacity(name.len());
    for c in fold(name).chars() {
        if c.is_ascii_alphabetic() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    while slug.ends_with('-') {
        slug.pop();
    }
    slug
}

/// The key under which a spelling of a country's name is looked up: "Korea, Rep," and
/// "Korea, Rep." fold to the same key, as do "eSwatini" and "Eswatini".
pub fn alias_key(name: &str) -> String {
    fold(name).chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

/// `name` transliterated to ASCII by `deunicode` (every script and diacritic, not only the
/// letters today's names use). A character it has no transliteration for becomes a space, so
/// that it separates words in a slug and vanishes from a key.
fn fold(name: &str) -> String {
    deunicode::deunicode_with_tofu(name, " ")
}

/// A UN member state: ISO 3166-1 alpha-3 code, the name the Index uses, and other spellings
/// met in the Index's files and pages.
pub struct CountryDef {
    pub iso3: &'static str,
    pub name: &'static str,
    pub aliases: &'static [&'static str],
}

const fn c(iso3: &'static str, name: &'static str, aliases: &'static [&'static str]) -> CountryDef {
    CountryDef { iso3, name, aliases }
}

pub const COUNTRIES: &[CountryDef] = &[
    c("AFG", "Afghanistan", &[]),
    c("ALB", "Albania", &[]),
    c("DZA", "Algeria", &[]),
    c("AND", "Andorra", &[]),
    c("AGO", "Angola", &[]),
    c("ATG", "Antigua and Barbuda", &[]),
    c("ARG", "Argentina", &[]),
    c("ARM", "Armenia", &[]),
    c("AUS", "Australia", &[]),
    c("AUT", "Austria", &[]),
    c("AZE", "Azerbaijan", &[]),
    c("BHS", "Bahamas", &["The Bahamas"]),
    c("BHR", "Bahrain", &[]),
    c("BGD", "Bangladesh", &[]),
    c("BRB", "Barbados", &[]),
    c("BLR", "Belarus", &[]),
    c("BEL", "Belgium", &[]),
    c("BLZ", "Belize", &[]),
    c("BEN", "Benin", &[]),
    c("BTN", "Bhutan", &[]),
    c("BOL", "Bolivia", &["Bolivia (Plurinational State of)"]),
    c("BIH", "Bosnia and Herzegovina", &[]),
    c("BWA", "Botswana", &[]),
    c("BRA", "Brazil", &[]),
    c("BRN", "Brunei", &["Brunei Darussalam"]),
    c("BGR", "Bulgaria", &[]),
    c("BFA", "Burkina Faso", &[]),
    c("BDI", "Burundi", &[]),
    c("CPV", "Cabo Verde", &["Cape Verde"]),
    c("KHM", "Cambodia", &[]),
    c("CMR", "Cameroon", &[]),
    c("CAN", "Canada", &[]),
    c("CAF", "Central African Republic", &[]),
    c("TCD", "Chad", &[]),
    c("CHL", "Chile", &[]),
    c("CHN", "China", &[]),
    c("COL", "Colombia", &[]),
    c("COM", "Comoros", &[]),
    c("COD", "Congo, Dem. Rep.", &["Democratic Republic of the Congo", "DR Congo", "DRC"]),
    c("COG", "Congo, Rep.", &["Republic of the Congo", "Congo"]),
    c("CRI", "Costa Rica", &[]),
    c("HRV", "Croatia", &[]),
    c("CUB", "Cuba", &[]),
    c("CYP", "Cyprus", &[]),
    c("CZE", "Czech Republic", &["Czechia"]),
    c("CIV", "Côte d'Ivoire", &["Ivory Coast"]),
    c("DNK", "Denmark", &[]),
    c("DJI", "Djibouti", &[]),
    c("DMA", "Dominica", &[]),
    c("DOM", "Dominican Republic", &[]),
    c("ECU", "Ecuador", &[]),
    c("EGY", "Egypt", &[]),
    c("SLV", "El Salvador", &[]),
    c("GNQ", "Equatorial Guinea", &[]),
    c("ERI", "Eritrea", &[]),
    c("EST", "Estonia", &[]),
    c("SWZ", "Eswatini", &["Swaziland"]),
    c("ETH", "Ethiopia", &[]),
    c("FJI", "Fiji", &[]),
    c("FIN", "Finland", &[]),
    c("FRA", "France", &[]),
    c("GAB", "Gabon", &[]),
    c("GMB", "Gambia", &["The Gambia"]),
    c("GEO", "Georgia", &[]),
    c("DEU", "Germany", &[]),
    c("GHA", "Ghana", &[]),
    c("GRC", "Greece", &[]),
    c("GRD", "Grenada", &[]),
    c("GTM", "Guatemala", &[]),
    c("GIN", "Guinea", &[]),
    c("GNB", "Guinea-Bissau", &[]),
    c("GUY", "Guyana", &[]),
    c("HTI", "Haiti", &[]),
    c("HND", "Honduras", &[]),
    c("HUN", "Hungary", &[]),
    c("ISL", "Iceland", &[]),
    c("IND", "India", &[]),
    c("IDN", "Indonesia", &[]),
    c("IRN", "Iran", &["Iran (Islamic Republic of)"]),
    c("IRQ", "Iraq", &[]),
    c("IRL", "Ireland", &[]),
    c("ISR", "Israel", &[]),
    c("ITA", "Italy", &[]),
    c("JAM", "Jamaica", &[]),
    c("JPN", "Japan", &[]),
    c("JOR", "Jordan", &[]),
    c("KAZ", "Kazakhstan", &[]),
    c("KEN", "Kenya", &[]),
    c("KIR", "Kiribati", &[]),
    c("PRK", "Korea, DPR", &["North Korea", "Democratic People's Republic of Korea"]),
    c("KOR", "Korea, Rep.", &["South Korea", "Republic of Korea"]),
    c("KWT", "Kuwait", &[]),
    c("KGZ", "Kyrgyzstan", &["Kyrgyz Republic"]),
    c("LAO", "Laos", &["Lao PDR", "Lao People's Democratic Republic"]),
    c("LVA", "Latvia", &[]),
    c("LBN", "Lebanon", &[]),
    c("LSO", "Lesotho", &[]),
    c("LBR", "Liberia", &[]),
    c("LBY", "Libya", &[]),
    c("LIE", "Liechtenstein", &[]),
    c("LTU", "Lithuania", &[]),
    c("LUX", "Luxembourg", &[]),
    c("MDG", "Madagascar", &[]),
    c("MWI", "Malawi", &[]),
    c("MYS", "Malaysia", &[]),
    c("MDV", "Maldives", &[]),
    c("MLI", "Mali", &[]),
    c("MLT", "Malta", &[]),
    c("MHL", "Marshall Islands", &[]),
    c("MRT", "Mauritania", &[]),
    c("MUS", "Mauritius", &[]),
    c("MEX", "Mexico", &[]),
    c("FSM", "Micronesia (Federated States of)", &["Micronesia", "Federated States of Micronesia"]),
    c("MDA", "Moldova", &["Republic of Moldova"]),
    c("MCO", "Monaco", &[]),
    c("MNG", "Mongolia", &[]),
    c("MNE", "Montenegro", &[]),
    c("MAR", "Morocco", &[]),
    c("MOZ", "Mozambique", &[]),
    c("MMR", "Myanmar", &["Burma"]),
    c("NAM", "Namibia", &[]),
    c("NRU", "Nauru", &[]),
    c("NPL", "Nepal", &[]),
    c("NLD", "Netherlands", &["The Netherlands"]),
    c("NZL", "New Zealand", &[]),
    c("NIC", "Nicaragua", &[]),
    c("NER", "Niger", &[]),
    c("NGA", "Nigeria", &[]),
    c("MKD", "North Macedonia", &[]),
    c("NOR", "Norway", &[]),
    c("OMN", "Oman", &[]),
    c("PAK", "Pakistan", &[]),
    c("PLW", "Palau", &[]),
    c("PAN", "Panama", &[]),
    c("PNG", "Papua New Guinea", &[]),
    c("PRY", "Paraguay", &[]),
    c("PER", "Peru", &[]),
    c("PHL", "Philippines", &[]),
    c("POL", "Poland", &[]),
    c("PRT", "Portugal", &[]),
    c("QAT", "Qatar", &[]),
    c("ROU", "Romania", &[]),
    c("RUS", "Russia", &["Russian Federation"]),
    c("RWA", "Rwanda", &[]),
    c("WSM", "Samoa", &[]),
    c("SMR", "San Marino", &[]),
    c("STP", "Sao Tome and Principe", &[]),
    c("SAU", "Saudi Arabia", &[]),
    c("SEN", "Senegal", &[]),
    c("SRB", "Serbia", &[]),
    c("SYC", "Seychelles", &[]),
    c("SLE", "Sierra Leone", &[]),
    c("SGP", "Singapore", &[]),
    c("SVK", "Slovakia", &[]),
    c("SVN", "Slovenia", &[]),
    c("SLB", "Solomon Islands", &[]),
    c("SOM", "Somalia", &[]),
    c("ZAF", "South Africa", &[]),
    c("SSD", "South Sudan", &[]),
    c("ESP", "Spain", &[]),
    c("LKA", "Sri Lanka", &[]),
    c("KNA", "St. Kitts and Nevis", &["Saint Kitts and Nevis"]),
    c("LCA", "St. Lucia", &["Saint Lucia"]),
    c("VCT", "St. Vincent and the Grenadines", &["Saint Vincent and the Grenadines"]),
    c("SDN", "Sudan", &[]),
    c("SUR", "Suriname", &[]),
    c("SWE", "Sweden", &[]),
    c("CHE", "Switzerland", &[]),
    c("SYR", "Syria", &["Syrian Arab Republic"]),
    c("TJK", "Tajikistan", &[]),
    c("TZA", "Tanzania", &["United Republic of Tanzania"]),
    c("THA", "Thailand", &[]),
    c("TLS", "Timor-Leste", &["East Timor"]),
    c("TGO", "Togo", &[]),
    c("TON", "Tonga", &[]),
    c("TTO", "Trinidad and Tobago", &[]),
    c("TUN", "Tunisia", &[]),
    c("TUR", "Turkey", &["Türkiye"]),
    c("TKM", "Turkmenistan", &[]),
    c("TUV", "Tuvalu", &[]),
    c("UGA", "Uganda", &[]),
    c("UKR", "Ukraine", &[]),
    c("ARE", "United Arab Emirates", &["UAE"]),
    c("GBR", "United Kingdom", &["UK", "United Kingdom of Great Britain and Northern Ireland"]),
    c("USA", "United States", &["United States of America", "USA"]),
    c("URY", "Uruguay", &[]),
    c("UZB", "Uzbekistan", &[]),
    c("VUT", "Vanuatu", &[]),
    c("VEN", "Venezuela", &["Venezuela (Bolivarian Republic of)"]),
    c("VNM", "Vietnam", &[]),
    c("YEM", "Yemen", &[]),
    c("ZMB", "Zambia", &[]),
    c("ZWE", "Zimbabwe", &[]),
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn slugs_follow_the_contract() {
        assert_eq!(slugify("Synthetic drug trade"), "synthetic-drug-trade");
        assert_eq!(slugify("Non-renewable resource crimes"), "non-renewable-resource-crimes");
        assert_eq!(slugify("Mafia-style groups"), "mafia-style-groups");
        assert_eq!(slugify("Criminality avg,"), "criminality-avg");
    }

    #[test]
    fn name_variants_of_both_editions_share_a_key() {
        assert_eq!(alias_key("Korea, Rep,"), alias_key("Korea, Rep."));
        assert_eq!(alias_key("St, Lucia"), alias_key("St. Lucia"));
        assert_eq!(alias_key("eSwatini"), alias_key("Eswatini"));
        assert_eq!(alias_key("Türkiye"), "turkiye");
        assert_eq!(slugify("Côte d'Ivoire"), "cote-d-ivoire");
    }

    #[test]
    fn letters_beyond_the_old_accent_table_fold_too() {
        assert_eq!(alias_key("España"), "espana");
        assert_eq!(alias_key("Føroyar"), "foroyar");
        assert_eq!(alias_key("Łódź"), "lodz");
        assert_eq!(slugify("Curaçao & Ærø"), "curacao-aero");
    }

    #[test]
    fn the_193_member_states_have_distinct_codes_and_keys() {
        assert_eq!(COUNTRIES.len(), 193);
        let codes: HashSet<_> = COUNTRIES.iter().map(|c| c.iso3).collect();
        assert_eq!(codes.len(), 193);
        let mut keys = HashSet::new();
        for c in COUNTRIES {
            // a spelling that folds onto the name itself would be a redundant alias
            for name in std::iter::once(&c.name).chain(c.aliases) {
                assert!(keys.insert(alias_key(name)), "{name} folds onto another country");
            }
        }
    }

    #[test]
    fn the_tree_has_the_editions_indicator_counts() {
        let raw = |pillar: &str, year: i32| {
            INDICATORS
                .iter()
                .filter(|i| !i.is_composite && i.pillar == pillar && i.since <= year)
                .count()
        };
        assert_eq!((raw(MKT, 2021), raw(ACT, 2021), raw(RES, 2021)), (10, 4, 12));
        assert_eq!((raw(MKT, 2023), raw(ACT, 2023), raw(RES, 2023)), (15, 5, 12));
    }
}
