//! One error policy for the API. Every failure a caller can meet is an [`ApiError`] with a
//! stable `extensions.code`; internal causes are logged with an id and never returned.
use async_graphql::{ErrorExtensions, Value};
use sea_orm::DbErr;
use std::sync::Arc;

pub type Result<T, E = ApiError> = std::result::Result<T, E>;

///
/// It is deliberately not `Display`: async-graphql turns any displayable error into a bare
/// message, and ours must always carry its code, so the only way out is [`ErrorExtensions`].
#[derive(Debug, Clone)]
pub enum ApiError {
    /// The request names something wrong (boxed: it is the largest variant, and every
    /// `Result` of the API carries an `ApiError`).
    BadUserInput(Box<BadInput>),
    NotFound(String),
    Conflict(String),
    Unauthenticated,
    Forbidden(String),
    /// The request exceeds a limit of `graphql::limits`; refused before any of it ran.
    QueryTooComplex(Box<TooComplex>),
    Internal(Arc<anyhow::Error>),
}

/// What a `BAD_USER_INPUT` error tells the caller.
#[derive(Debug, Clone)]
pub struct BadInput {
    pub message: String,
    /// The argument path, e.g. `input.scores[3].value`.
    pub field: Option<String>,
    /// What was sent there.
    pub value: Option<String>,
    /// Every problem of a batch, under `extensions.problems`.
    pub details: Option<Value>,
}

/// Which limit a refused request exceeded, and by how much.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooComplex {
    /// `cost`, `depth`, `introspectionCost` or `introspectionDepth`.
    pub limit: &'static str,
    /// What the request measured.
    pub measured: u64,
    /// The limit.
    pub max: u64,
}

impl ApiError {
    pub fn bad_input(field: &str, value: impl ToString, message: impl Into<String>) -> Self {
        Self::BadUserInput(Box::new(BadInput {
            message: message.into(),
            field: Some(field.to_owned()),
            value: Some(value.to_string()),
            details: None,
        }))
    }

    /// A refusal of a whole argument, naming no single value.
    pub fn bad_argument(field: &str, message: impl Into<String>) -> Self {
        Self::BadUserInput(Box::new(BadInput {
            message: message.into(),
            field: Some(field.to_owned()),
            value: None,
            details: None,
        }))
    }

    /// The message a caller reads; internal causes stay in the log.
    pub fn message(&self) -> String {
        match self {
            Self::BadUserInput(bad) => bad.message.clone(),
            Self::NotFound(m) | Self::Conflict(m) | Self::Forbidden(m) => m.clone(),
            Self::Unauthenticated => {
                "authentication required: send Authorization: Bearer <token>".into()
            }
            Self::QueryTooComplex(too) => format!(
                "the query is too complex: its {} is {} against a limit of {} (every list \
                 counts by its page size or its largest possible length; a batch counts as \
                 one request)",
                too.limit, too.measured, too.max
            ),
            Self::Internal(_) => "internal error".into(),
        }
    }

    pub fn internal(err: impl Into<anyhow::Error>) -> Self {
        Self::Internal(Arc::new(err.into()))
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::BadUserInput(_) => "BAD_USER_INPUT",
            Self::NotFound(_) => "NOT_FOUND",
            Self::Conflict(_) => "CONFLICT",
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::QueryTooComplex(_) => "QUERY_TOO_COMPLEX",
            Self::Internal(_) => "INTERNAL",
        }
    }
}

impl From<DbErr> for ApiError {
    fn from(err: DbErr) -> Self {
        Self::internal(err)
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(err: anyhow::Error) -> Self {
        Self::Internal(Arc::new(err))
    }
}

impl ErrorExtensions for ApiError {
    fn extend(&self) -> async_graphql::Error {
        // The caller gets an id to quote; the log line with the same id holds the cause (and,
        // through the request's span, its request id).
        let error_id = match self {
            Self::Internal(cause) => {
                let id = uuid::Uuid::new_v4().simple().to_string();
                tracing::error!(error_id = %id, error = ?cause, "internal error while serving a request");
                Some(id)
            }
            _ => None,
        };
        async_graphql::Error::new(self.message()).extend_with(|_, ext| {
            ext.set("code", self.code());
            if let Some(id) = &error_id {
                ext.set("errorId", id.as_str());
            }
            if let Self::BadUserInput(bad) = self {
                if let Some(field) = &bad.field {
                    ext.set("field", field.as_str());
                }
                if let Some(value) = &bad.value {
                    ext.set("value", value.as_str());
                }
                if let Some(details) = &bad.details {
                    ext.set("problems", details.clone());
                }
            }
            if let Self::QueryTooComplex(too) = self {
                ext.set("limit", too.limit);
                ext.set("measured", too.measured);
                ext.set("max", too.max);
            }
        })
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(err: ApiError) -> Self {
        err.extend()
    }
}
