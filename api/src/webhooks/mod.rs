//! Change notifications: edition events written to an outbox in the transaction that caused
//! them (`outbox`), announced to every server through a database notification (`hub`, which
//! also drives GraphQL subscriptions), and delivered to partners' endpoints by a background
//! worker (`worker`) with signed bodies (`signing`) to public addresses only (`address`).
pub mod address;
pub mod hub;
pub mod outbox;
pub mod signing;
pub mod worker;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use hub::EventHub;

/// The channel edition events are announced on; its payload is the event's JSON body.
pub const CHANNEL: &str = "ocindex_edition_events";

/// What happened to an edition.
#[derive(async_graphql::Enum, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WebhookEvent {
    /// A draft was published: it is public and, when the latest, the default edition.
    EditionPublished,
    /// A published edition went back to a draft for corrections: the public no longer sees it.
    EditionReopened,
    /// A draft edition was deleted with everything entered into it.
    EditionDeleted,
}

impl WebhookEvent {
    pub const ALL: [Self; 3] =
        [Self::EditionPublished, Self::EditionReopened, Self::EditionDeleted];

    /// The stored spelling, also the `X-OCIndex-Event` header and the GraphQL enum value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EditionPublished => "EDITION_PUBLISHED",
            Self::EditionReopened => "EDITION_REOPENED",
            Self::EditionDeleted => "EDITION_DELETED",
        }
    }

    /// Reads a stored spelling. The database constrains the columns to these spellings; a
    /// value outside them is an `INTERNAL` error (with an error id in the log), never a guess
    /// and never left out.
    pub fn from_db(value: &str) -> Result<Self, crate::error::ApiError> {
        Self::ALL.into_iter().find(|e| e.as_str() == value).ok_or_else(|| {
            crate::error::ApiError::internal(anyhow::anyhow!("unknown stored event {value:?}"))
        })
    }
}

/// An edition as an event describes it, at the moment of the event.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct EventEdition {
    pub year: i32,
    /// `DRAFT` or `PUBLISHED`.
    pub status: String,
    pub published_at: Option<DateTime<Utc>>,
}

/// One edition event: the JSON body of a webhook delivery and of the notification.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct EditionEvent {
    /// Unique per event and stable across retries (`X-OCIndex-Delivery`).
    pub id: String,
    pub event: WebhookEvent,
    pub occurred_at: DateTime<Utc>,
    pub edition: EventEdition,
}
