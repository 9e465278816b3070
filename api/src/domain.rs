//! Domain values parsed at the boundary: once built, they are valid.
use crate::error::ApiError;
use async_graphql::Enum;

/// An ISO 3166-1 alpha-3 code, upper case ("KAZ"). Lower-case input is accepted and folded.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CountryCode(String);

impl CountryCode {
    pub fn parse(field: &str, input: &str) -> Result<Self, ApiError> {
        let code = input.trim().to_ascii_uppercase();
        if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Self(code))
        } else {
            Err(ApiError::bad_input(
                field,
                input,
                format!("{input:?} is not an ISO 3166-1 alpha-3 code such as \"KAZ\""),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The Index's five continents.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Continent {
    Africa,
    Americas,
    Asia,
    Europe,
    Oceania,
}

impl Continent {
    pub const ALL: [Continent; 5] =
        [Self::Africa, Self::Americas, Self::Asia, Self::Europe, Self::Oceania];

    /// The stored spelling, also the GraphQL enum value.
    pub fn as_db(self) -> &'static str {
        match self {
            Self::Africa => "AFRICA",
            Self::Americas => "AMERICAS",
            Self::Asia => "ASIA",
            Self::Europe => "EUROPE",
            Self::Oceania => "OCEANIA",
        }
    }

    pub fn from_db(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_db() == value)
    }

    /// The name as the Index prints it ("Asia", "Americas").
    pub fn name(self) -> &'static str {
        match self {
            Self::Africa => "Africa",
            Self::Americas => "Americas",
            Self::Asia => "Asia",
            Self::Europe => "Europe",
            Self::Oceania => "Oceania",
        }
    }

    /// Reads a continent as the dataset spells it ("Asia", "Americas").
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_db().eq_ignore_ascii_case(name.trim()))
    }
}

/// The pillars of the Index; criminality is the composite of markets and actors.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Pillar {
    Criminality,
    CriminalMarkets,
    CriminalActors,
    Resilience,
}

impl Pillar {
    pub fn as_db(self) -> &'static str {
        match self {
            Self::Criminality => "CRIMINALITY",
            Self::CriminalMarkets => "CRIMINAL_MARKETS",
            Self::CriminalActors => "CRIMINAL_ACTORS",
            Self::Resilience => "RESILIENCE",
        }
    }

    pub fn from_db(value: &str) -> Option<Self> {
        [Self::Criminality, Self::CriminalMarkets, Self::CriminalActors, Self::Resilience]
            .into_iter()
            .find(|p| p.as_db() == value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn country_codes_are_three_letters() {
        assert_eq!(CountryCode::parse("iso3", "kaz").unwrap().as_str(), "KAZ");
        assert!(CountryCode::parse("iso3", "KZ").is_err());
        assert!(CountryCode::parse("iso3", "K4Z").is_err());
    }

    #[test]
    fn continents_read_the_dataset_spelling() {
        assert_eq!(Continent::from_name("Americas"), Some(Continent::Americas));
        assert_eq!(Continent::from_name("Antarctica"), None);
    }
}
