//! The schema as SDL at `GET /schema.graphql`, for codegen and schema-diff tools that read a
//! file rather than introspect. Off, like introspection, when `OCINDEX_INTROSPECTION=false`.
use super::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

pub async fn sdl(State(state): State<AppState>) -> Response {
    if !state.http.introspection {
        return (StatusCode::NOT_FOUND, "the schema is not published here").into_response();
    }
    let content_type = [(header::CONTENT_TYPE, "text/plain; charset=utf-8")];
    (content_type, state.sdl.to_string()).into_response()
}
