//! GraphQL subscriptions over WebSocket at `/graphql` (`graphql-transport-ws`, and the older
//! `graphql-ws` that Apollo's legacy client speaks). A GET that asks to upgrade becomes a
//! subscription connection; every other GET is GraphQL over HTTP. A client authenticates with
//! `{"Authorization": "Bearer …"}` in its `connection_init` payload (browsers cannot set
//! headers on a WebSocket); without it, it is the public.
use super::AppState;
use crate::auth;
use crate::graphql::nesting::Checked;
use async_graphql::{Data, ErrorExtensions};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use std::time::Duration;

/// The largest message a client may send: subscription documents are short.
const MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// The server pings this often, and drops a client that has not answered the last ping:
/// dead connections do not hold their subscriptions forever.
const KEEPALIVE: Duration = Duration::from_secs(30);

pub async fn get(State(state): State<AppState>, request: Request) -> Response {
    let upgrade = request
        .headers()
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if !upgrade {
        return super::graphql::get(State(state), request).await;
    }
    let (mut parts, _) = request.into_parts();
    let protocol = match GraphQLProtocol::from_request_parts(&mut parts, &state).await {
        Ok(protocol) => protocol,
        Err(rejection) => return rejection.into_response(),
    };
    let socket = match WebSocketUpgrade::from_request_parts(&mut parts, &state).await {
        Ok(socket) => socket,
        Err(rejection) => return rejection.into_response(),
    };
    socket
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .max_message_size(MAX_MESSAGE_BYTES)
        .on_upgrade(move |socket| async move {
            let (db, admin_token) = (state.db.clone(), state.admin_token.clone());
            let reference = state.reference.clone();
            GraphQLWebSocket::new(socket, Checked(state.schema.clone()), protocol)
                .on_connection_init(move |payload| async move {
                    let headers = init_headers(&payload);
                    let principal =
                        auth::authenticate(&reference, &db, &headers, admin_token.as_deref())
                            .await
                            .map_err(|e| e.extend())?;
                    let mut data = Data::default();
                    data.insert(principal);
                    Ok(data)
                })
                .keepalive_timeout(KEEPALIVE)
                .serve()
                .await
        })
}

/// The `Authorization` a `connection_init` payload carries, as a header map.
fn init_headers(payload: &serde_json::Value) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let token = payload
        .as_object()
        .and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case("authorization")))
        .and_then(|(_, v)| v.as_str())
        .and_then(|v| HeaderValue::from_str(v).ok());
    if let Some(token) = token {
        headers.insert(header::AUTHORIZATION, token);
    }
    headers
}
