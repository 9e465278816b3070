//! Opaque global ids (Relay object identification), typed: a [`GlobalId`] names the kind of
//! object and its key, and is written as `Kind:key` in URL-safe base64 (the spelling ids have
//! always had, so that ids callers kept still resolve).
use async_graphql::ID;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// What a global id names: the kind of object and the key it is found by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GlobalId {
    Country {
        iso3: String,
    },
    Edition {
        year: i32,
    },
    Indicator {
        slug: String,
    },
    Narrative {
        id: i32,
    },
    /// A figure: the country's, in an edition, of an indicator.
    Score {
        iso3: String,
        year: i32,
        slug: String,
    },
    ApiKey {
        name: String,
    },
    AuditEntry {
        id: i64,
    },
    Webhook {
        id: i32,
    },
}

impl GlobalId {
    /// The id callers see.
    pub fn to_id(&self) -> ID {
        let text = match self {
            Self::Country { iso3 } => format!("Country:{iso3}"),
            Self::Edition { year } => format!("Edition:{year}"),
            Self::Indicator { slug } => format!("Indicator:{slug}"),
            Self::Narrative { id } => format!("Narrative:{id}"),
            Self::Score { iso3, year, slug } => format!("Score:{iso3}:{year}:{slug}"),
            Self::ApiKey { name } => format!("ApiKey:{name}"),
            Self::AuditEntry { id } => format!("AuditEntry:{id}"),
            Self::Webhook { id } => format!("Webhook:{id}"),
        };
        ID(URL_SAFE_NO_PAD.encode(text))
    }

    /// What an id names, or `None` when it is not one of ours.
    pub fn parse(id: &str) -> Option<Self> {
        let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(id).ok()?).ok()?;
        let (kind, key) = raw.split_once(':')?;
        let id = match kind {
            "Country" => Self::Country { iso3: key.to_owned() },
            "Edition" => Self::Edition { year: key.parse().ok()? },
            "Indicator" => Self::Indicator { slug: key.to_owned() },
            "Narrative" => Self::Narrative { id: key.parse().ok()? },
            "Score" => {
                let mut parts = key.splitn(3, ':');
                let (iso3, year, slug) = (parts.next()?, parts.next()?, parts.next()?);
                Self::Score {
                    iso3: iso3.to_owned(),
                    year: year.parse().ok()?,
                    slug: slug.to_owned(),
                }
            }
            "ApiKey" => Self::ApiKey { name: key.to_owned() },
            "AuditEntry" => Self::AuditEntry { id: key.parse().ok()? },
            "Webhook" => Self::Webhook { id: key.parse().ok()? },
            _ => return None,
        };
        Some(id)
    }
}

impl From<GlobalId> for ID {
    fn from(id: GlobalId) -> Self {
        id.to_id()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_reject_strangers() {
        let score = GlobalId::Score { iso3: "KAZ".into(), year: 2023, slug: "criminality".into() };
        // the spelling ids had before they were typed
        assert_eq!(score.to_id().as_str(), URL_SAFE_NO_PAD.encode("Score:KAZ:2023:criminality"));
        assert_eq!(GlobalId::parse(&score.to_id()), Some(score));
        let key = GlobalId::ApiKey { name: "ci:nightly".into() };
        assert_eq!(GlobalId::parse(&key.to_id()), Some(key));
        assert_eq!(GlobalId::parse("not base64!"), None);
        for stranger in ["Edition:next", "Narrative:", "Score:KAZ:2023", "Planet:Mars", "Country"] {
            assert_eq!(GlobalId::parse(&URL_SAFE_NO_PAD.encode(stranger)), None, "{stranger}");
        }
    }
}
