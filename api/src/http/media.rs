//! GraphQL over HTTP media types (the graphql-over-http spec): which answer type the client
//! accepts, which body type it sent, and the clear 4xx answers for requests that are not
//! GraphQL requests at all.
use axum::body::Bytes;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

pub const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

/// The media type of an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnswerType {
    /// `application/json`: the legacy type; every answer that is GraphQL is 200.
    Json,
    /// `application/graphql-response+json`: request errors (unparsable, invalid) are 400.
    GraphqlResponseJson,
}

impl AnswerType {
    /// Reads `Accept`. No header (or one that takes anything) means `application/json`; the
    /// newer type wins whenever the client lists it; a client that takes neither gets 406.
    pub fn negotiate(headers: &HeaderMap) -> Result<Self, Refusal> {
        let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
            return Ok(Self::Json);
        };
        if accept.trim().is_empty() {
            return Ok(Self::Json);
        }
        let mut json = false;
        for range in accept.split(',') {
            let mut parts = range.split(';');
            let media = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let refused = parts.any(|p| {
                p.trim().strip_prefix("q=").and_then(|q| q.trim().parse::<f32>().ok()) == Some(0.0)
            });
            if refused {
                continue;
            }
            match media.as_str() {
                GRAPHQL_RESPONSE_JSON => return Ok(Self::GraphqlResponseJson),
                JSON | "application/*" | "*/*" => json = true,
                _ => {}
            }
        }
        if json {
            return Ok(Self::Json);
        }
        Err(refusal(
            StatusCode::NOT_ACCEPTABLE,
            format!("answers are {JSON} or {GRAPHQL_RESPONSE_JSON}; Accept asks for neither"),
            "Accept",
            accept,
        ))
    }

    pub fn content_type(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Self::Json => "application/json; charset=utf-8",
            Self::GraphqlResponseJson => "application/graphql-response+json; charset=utf-8",
        })
    }
}

/// What a POST carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyType {
    /// A GraphQL request (or a batch of them) as JSON.
    Json,
    /// A GraphQL multipart request: files for the upload mutations.
    Multipart,
}

impl BodyType {
    /// Reads `Content-Type`; anything else is refused with 415 and what to send instead.
    pub fn of(headers: &HeaderMap) -> Result<Self, Refusal> {
        let given = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
        let media = given
            .and_then(|v| v.split(';').next())
            .map(|m| m.trim().to_ascii_lowercase())
            .unwrap_or_default();
        match media.as_str() {
            JSON => Ok(Self::Json),
            "multipart/form-data" => Ok(Self::Multipart),
            _ => Err(refusal(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!(
                    "a POST to /graphql needs Content-Type: {JSON} (or multipart/form-data for \
                     uploads); got {}",
                    given.map_or_else(|| "none".to_owned(), |g| format!("{g:?}"))
                ),
                "Content-Type",
                given.unwrap_or_default(),
            )),
        }
    }
}

/// A request that is not a GraphQL request we can run: `status`, with a GraphQL-shaped body
/// naming the offending part of the request (`field`) and what it held (`value`).
#[derive(Debug)]
pub struct Refusal {
    pub status: StatusCode,
    pub message: String,
    pub field: &'static str,
    pub value: String,
}

pub fn refusal(status: StatusCode, message: String, field: &'static str, value: &str) -> Refusal {
    Refusal { status, message, field, value: value.to_owned() }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let body = json!({ "errors": [{ "message": self.message, "extensions": {
            "code": "BAD_USER_INPUT", "field": self.field, "value": self.value } }] });
        let body = Bytes::from(serde_json::to_vec(&body).unwrap_or_default());
        let content_type = [(header::CONTENT_TYPE, AnswerType::Json.content_type())];
        let mut response = (self.status, content_type, body).into_response();
        if self.status == StatusCode::METHOD_NOT_ALLOWED {
            // only POST may run what was refused over GET
            response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> Result<AnswerType, StatusCode> {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_str(value).unwrap());
        AnswerType::negotiate(&headers).map_err(|r| r.status)
    }

    #[test]
    fn the_newer_type_wins_when_listed_and_json_is_the_default() {
        assert_eq!(AnswerType::negotiate(&HeaderMap::new()).unwrap(), AnswerType::Json);
        assert_eq!(accept("*/*"), Ok(AnswerType::Json));
        assert_eq!(accept("application/json"), Ok(AnswerType::Json));
        assert_eq!(
            accept("application/graphql-response+json, application/json;q=0.9"),
            Ok(AnswerType::GraphqlResponseJson)
        );
        assert_eq!(accept("text/html,*/*;q=0.8"), Ok(AnswerType::Json));
        assert_eq!(accept("text/html"), Err(StatusCode::NOT_ACCEPTABLE));
        assert_eq!(accept("application/json;q=0"), Err(StatusCode::NOT_ACCEPTABLE));
    }
}
