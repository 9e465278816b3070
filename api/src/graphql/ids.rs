//! Opaque global ids (Relay object identification): `Kind:key` in URL-safe base64.
use async_graphql::ID;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

pub fn encode(kind: &str, key: &str) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{kind}:{key}")))
}

/// The kind and key of a global id, or `None` when it is not one of ours.
pub fn decode(id: &str) -> Option<(String, String)> {
    let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(id).ok()?).ok()?;
    let (kind, key) = raw.split_once(':')?;
    Some((kind.to_owned(), key.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_reject_strangers() {
        let id = encode("Score", "KAZ:2023:criminality");
        assert_eq!(decode(&id), Some(("Score".into(), "KAZ:2023:criminality".into())));
        assert_eq!(decode("not base64!"), None);
    }
}
