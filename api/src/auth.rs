//! Who is calling: bearer tokens resolved to a principal (the bootstrap admin, an API key
//! holder, or the anonymous public), the roles and what each may do, and key secrets.
use crate::error::ApiError;
use crate::reference_data::ReferenceData;
use crate::repo::Visibility;
use axum::http::{header, HeaderMap};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sea_orm::ConnectionTrait;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub use entity::values::Role;

/// The caller, as the HTTP layer authenticated it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// No `Authorization` header: the public.
    Anonymous,
    /// The bootstrap admin: the holder of `OCINDEX_ADMIN_TOKEN`.
    Admin,
    /// The holder of an API key; `rate_limit` is the key's own quota (points per hour), if
    /// it has one.
    Key { id: i32, name: String, role: Role, rate_limit: Option<u64> },
}

/// The name the audit log gives the holder of `OCINDEX_ADMIN_TOKEN`.
pub const BOOTSTRAP_ADMIN: &str = "bootstrap admin";

impl Principal {
    pub fn role(&self) -> Option<Role> {
        match self {
            Self::Anonymous => None,
            Self::Admin => Some(Role::Admin),
            Self::Key { role, .. } => Some(*role),
        }
    }

    pub fn visibility(&self) -> Visibility {
        match self.role() {
            Some(role) if role.sees_drafts() => Visibility::All,
            _ => Visibility::Published,
        }
    }

    /// Who the audit log names: the key's name, or "bootstrap admin".
    pub fn actor(&self) -> Option<Actor> {
        match self {
            Self::Anonymous => None,
            Self::Admin => {
                Some(Actor { name: BOOTSTRAP_ADMIN.into(), key_id: None, role: Role::Admin })
            }
            Self::Key { id, name, role, .. } => {
                Some(Actor { name: name.clone(), key_id: Some(*id), role: *role })
            }
        }
    }
}

/// An authenticated caller, as the audit log records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub name: String,
    pub key_id: Option<i32>,
    pub role: Role,
}

/// The name the audit log gives the operator's command line (`ocindex import`, …).
pub const COMMAND_LINE: &str = "cli";

/// The name the audit log gives a server that loads the bundled sample into an empty database.
pub const SAMPLE_LOADER: &str = "sample";

impl Actor {
    /// The operator at the command line: whoever can run `ocindex` against the database has
    /// its owner's rights, so it acts as an ADMIN, under its own name and without a key.
    pub fn command_line() -> Self {
        Self { name: COMMAND_LINE.into(), key_id: None, role: Role::Admin }
    }

    /// A starting server filling an empty database with the bundled sample (`OCINDEX_SAMPLE`,
    /// set by its operator): as the operator's own, it acts as an ADMIN.
    pub fn sample_loader() -> Self {
        Self { name: SAMPLE_LOADER.into(), key_id: None, role: Role::Admin }
    }
}

/// The caller behind an `Authorization` header. No header is the anonymous public; a token
/// that matches nothing (or a revoked key) is refused rather than served as anonymous.
///
/// Tokens are compared by their SHA-256 digests: the bootstrap token in constant time, keys
/// by looking the digest up, which reveals nothing about a secret of 256 random bits. The
/// digests of active keys are held in memory (see [`ReferenceData`]), so checking a key costs
/// no statement; a revocation reaches every server with the change notification.
pub async fn authenticate<C: ConnectionTrait>(
    reference: &ReferenceData,
    db: &C,
    headers: &HeaderMap,
    admin_token: Option<&str>,
) -> Result<Principal, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else { return Ok(Principal::Anonymous) };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(ApiError::Unauthenticated)?;
    let digest = Sha256::digest(token.as_bytes());
    if let Some(admin) = admin_token {
        if bool::from(Sha256::digest(admin.as_bytes()).ct_eq(&digest)) {
            return Ok(Principal::Admin);
        }
    }
    let snapshot = reference.snapshot(db).await?;
    let key = snapshot.key(&hex::encode(digest)).ok_or(ApiError::Unauthenticated)?;
    Ok(Principal::Key {
        id: key.id,
        name: key.name.clone(),
        role: key.role,
        rate_limit: key.rate_limit,
    })
}

/// A new key secret: 32 bytes from the operating system's generator, URL-safe, prefixed so
/// that a leaked one is recognisable in logs and secret scanners.
pub fn new_secret() -> Result<String, ApiError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| ApiError::internal(anyhow::anyhow!("no randomness: {e}")))?;
    Ok(format!("ocx_{}", URL_SAFE_NO_PAD.encode(bytes)))
}

/// The stored form of a secret: its SHA-256 digest in hex. A fast hash is enough because
/// secrets are random and long; nothing is gained by slowing down each request.
pub fn secret_digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_include_the_ones_below() {
        assert!(Role::Admin.includes(Role::Editor));
        assert!(Role::Editor.includes(Role::Partner));
        assert!(!Role::Editor.includes(Role::Admin));
        assert!(!Role::Partner.includes(Role::Editor));
        assert!(Role::Editor.sees_drafts() && !Role::Partner.sees_drafts());
    }

    #[test]
    fn secrets_are_random_and_stored_as_digests() {
        let (a, b) = (new_secret().unwrap(), new_secret().unwrap());
        assert_ne!(a, b);
        assert!(a.starts_with("ocx_") && a.len() == 4 + 43, "{a}");
        let digest = secret_digest(&a);
        assert_eq!(digest.len(), 64);
        assert!(!digest.contains(&a[4..]));
        // the digest of a known input, from `printf abc | sha256sum`
        assert_eq!(
            secret_digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn principals_see_drafts_by_role() {
        let key = |role| Principal::Key { id: 1, name: "k".into(), role, rate_limit: None };
        assert_eq!(Principal::Anonymous.visibility(), Visibility::Published);
        assert_eq!(key(Role::Partner).visibility(), Visibility::Published);
        assert_eq!(key(Role::Editor).visibility(), Visibility::All);
        assert_eq!(Principal::Admin.actor().unwrap().name, BOOTSTRAP_ADMIN);
    }
}
