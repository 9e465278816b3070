//! Domain values parsed at the boundary: once built, they are valid.
use crate::error::ApiError;

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

pub use entity::values::{Continent, Pillar};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn country_codes_are_three_letters() {
        assert_eq!(CountryCode::parse("iso3", "kaz").unwrap().as_str(), "KAZ");
        assert!(CountryCode::parse("iso3", "KZ").is_err());
        assert!(CountryCode::parse("iso3", "K4Z").is_err());
    }
}
