//! GraphQL over HTTP: GET and POST at `/graphql`, GraphiQL for browsers, and the public
//! path through the answer cache.
use super::{metrics, trace, AppState, MAX_BODY_BYTES};
use crate::auth::{self, Principal, Role};
use crate::graphql;
use crate::graphql::limits::RequestCost;
use crate::telemetry::names;
use async_graphql::http::GraphiQLSource;
use async_graphql::ErrorExtensions;
use async_graphql_axum::rejection::GraphQLRejection;
use async_graphql_axum::GraphQLBatchRequest;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::{header, Method, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use std::time::Instant;

/// GET serves GraphiQL to a browser and executes a query given in the query string.
pub async fn get(State(state): State<AppState>, request: Request) -> Response {
    let has_query =
        request.uri().query().is_some_and(|q| q.split('&').any(|p| p.starts_with("query=")));
    if !has_query {
        return Html(GraphiQLSource::build().endpoint("/graphql").finish()).into_response();
    }
    execute(state, request).await
}

pub async fn post(State(state): State<AppState>, request: Request) -> Response {
    execute(state, request).await
}

async fn execute(state: AppState, request: Request) -> Response {
    let started = Instant::now();
    let principal = match auth::authenticate(
        &state.reference,
        &state.db,
        request.headers(),
        state.admin_token.as_deref(),
    )
    .await
    {
        Ok(principal) => principal,
        Err(err) => {
            let error = err.extend().into_server_error(Default::default());
            let response = async_graphql::Response::from_errors(vec![error]);
            metrics::record_operation(
                "unauthenticated",
                &metrics::outcome(&response),
                started.elapsed(),
            );
            return json(&response);
        }
    };
    trace::record_caller(&principal);
    let is_json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    // Public reads are served from the cache, for the public and for PARTNER keys alike: a
    // partner sees exactly what the public sees. Uploads, editors and admins never are.
    if is_public(&principal) && (request.method() == Method::GET || is_json) {
        return execute_cached(state, request, principal, started).await;
    }
    let batch = match GraphQLBatchRequest::<GraphQLRejection>::from_request(request, &()).await {
        Ok(batch) => batch.into_inner(),
        Err(rejection) => return rejection.into_response(),
    };
    run(&state, batch, &principal, started).await.0
}

/// Measures the batch against the limits, then runs it; the response carries the cost
/// ([`RequestCost`]) in its extensions, for the layers that charge for it.
async fn run(
    state: &AppState,
    mut batch: async_graphql::BatchRequest,
    principal: &Principal,
    started: Instant,
) -> (Response, Option<async_graphql::BatchResponse>) {
    let label = operation_of(&batch);
    let cost = match state.limits.check_batch(&mut batch) {
        Ok(cost) => cost,
        Err(refusal) => {
            let error = refusal.extend().into_server_error(Default::default());
            let one = || async_graphql::Response::from_errors(vec![error.clone()]);
            let response = match &batch {
                async_graphql::BatchRequest::Single(_) => {
                    async_graphql::BatchResponse::Single(one())
                }
                async_graphql::BatchRequest::Batch(requests) => {
                    async_graphql::BatchResponse::Batch(requests.iter().map(|_| one()).collect())
                }
            };
            metrics::record_operation(&label, &batch_outcome(&response), started.elapsed());
            let mut http = json(&response);
            http.extensions_mut().insert(RequestCost { cost: 1, cached: false });
            return (http, None);
        }
    };
    // public reads may go to a replica; writes, drafts, editors' and admins' reads never do
    let db = if is_public(principal) && reads_only(&batch) {
        state.replicas.reader()
    } else {
        &state.db
    };
    let batch = graphql::with_request_data(batch, db, principal, &state.reference);
    let mut response = state.schema.execute_batch(batch).await;
    label_errors(&mut response);
    metrics::record_operation(&label, &batch_outcome(&response), started.elapsed());
    let mut http = json(&response);
    http.extensions_mut().insert(RequestCost { cost: cost.charge(), cached: false });
    (http, Some(response))
}

/// The public path: the cache key is the request itself (query string or JSON body). The
/// caller is anonymous or a partner; a partner's query runs as the partner (so that a field
/// refused to both is refused with the partner's error) but only a successful answer is kept,
/// and that answer is the same for both.
async fn execute_cached(
    state: AppState,
    request: Request,
    principal: Principal,
    started: Instant,
) -> Response {
    let is_get = request.method() == Method::GET;
    let query_string = request.uri().query().unwrap_or_default().to_owned();
    let key: Vec<u8> = if is_get {
        [b"GET ".as_slice(), query_string.as_bytes()].concat()
    } else {
        match axum::body::to_bytes(request.into_body(), MAX_BODY_BYTES).await {
            Ok(body) => [b"POST ".as_slice(), &body].concat(),
            Err(_) => {
                return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response()
            }
        }
    };
    if let Some(hit) = state.cache.get(&key) {
        ::metrics::counter!(names::CACHE_HITS).increment(1);
        // only successful answers are cached: the outcome of a hit is `ok`
        let label = operation_of_key(&key, is_get);
        metrics::record_operation(&label, "ok", started.elapsed());
        let mut http = json_bytes(hit);
        http.extensions_mut().insert(RequestCost { cost: 1, cached: true });
        return http;
    }
    ::metrics::counter!(names::CACHE_MISSES).increment(1);
    let generation = state.cache.generation();
    let batch: async_graphql::BatchRequest = if is_get {
        match async_graphql::http::parse_query_string(&query_string) {
            Ok(request) => request.into(),
            Err(err) => return (StatusCode::BAD_REQUEST, err.to_string()).into_response(),
        }
    } else {
        match serde_json::from_slice(&key[b"POST ".len()..]) {
            Ok(batch) => batch,
            Err(err) => {
                return (StatusCode::BAD_REQUEST, format!("not a GraphQL request: {err}"))
                    .into_response()
            }
        }
    };
    let (http, response) = run(&state, batch, &principal, started).await;
    if let Some(response) = response.filter(|r| r.is_ok()) {
        let body = Bytes::from(serde_json::to_vec(&response).unwrap_or_default());
        state.cache.insert(&key, body, generation);
    }
    http
}

/// The public and PARTNER keys see the same thing: published editions only.
fn is_public(principal: &Principal) -> bool {
    match principal {
        Principal::Anonymous => true,
        Principal::Key { role, .. } => *role == Role::Partner,
        Principal::Admin => false,
    }
}

/// Whether no operation of the batch is a mutation or subscription (a refused mutation still
/// writes its audit entry, on the primary). Unparsable text reads nothing either way.
fn reads_only(batch: &async_graphql::BatchRequest) -> bool {
    use async_graphql::parser::types::{DocumentOperations, OperationType};
    batch.iter().all(|request| match async_graphql::parser::parse_query(&request.query) {
        Ok(document) => {
            let is_query = |ty: OperationType| ty == OperationType::Query;
            match &document.operations {
                DocumentOperations::Single(op) => is_query(op.node.ty),
                DocumentOperations::Multiple(ops) => ops.values().all(|op| is_query(op.node.ty)),
            }
        }
        Err(_) => true,
    })
}

/// The metrics label of a request (a batch counts as `batch`), recorded on its span too.
fn operation_of(batch: &async_graphql::BatchRequest) -> String {
    let label = match batch {
        async_graphql::BatchRequest::Single(one) => metrics::operation_label(
            metrics::operation_name(one.operation_name.as_deref(), &one.query),
        ),
        async_graphql::BatchRequest::Batch(_) => "batch".to_owned(),
    };
    trace::record_operation(&label);
    label
}

/// The label of a cached request, from its key (the query string or the JSON body), read
/// without building the request.
fn operation_of_key(key: &[u8], is_get: bool) -> String {
    #[derive(serde::Deserialize)]
    struct Peek<'a> {
        #[serde(borrow, rename = "operationName")]
        operation_name: Option<std::borrow::Cow<'a, str>>,
        #[serde(borrow, default)]
        query: std::borrow::Cow<'a, str>,
    }
    let label = if is_get {
        let query = &key[b"GET ".len()..];
        let mut name = None;
        let mut text = String::new();
        for (k, v) in url::form_urlencoded::parse(query) {
            match k.as_ref() {
                "operationName" => name = Some(v.into_owned()),
                "query" => text = v.into_owned(),
                _ => {}
            }
        }
        metrics::operation_label(metrics::operation_name(name.as_deref(), &text))
    } else {
        match serde_json::from_slice::<Peek>(&key[b"POST ".len()..]) {
            Ok(peek) => metrics::operation_label(metrics::operation_name(
                peek.operation_name.as_deref(),
                &peek.query,
            )),
            Err(_) => "batch".to_owned(),
        }
    };
    trace::record_operation(&label);
    label
}

fn batch_outcome(response: &async_graphql::BatchResponse) -> String {
    match response {
        async_graphql::BatchResponse::Single(one) => metrics::outcome(one),
        async_graphql::BatchResponse::Batch(many) => {
            many.iter().map(metrics::outcome).find(|o| o != "ok").unwrap_or_else(|| "ok".into())
        }
    }
}

/// Gives every error a code: async-graphql's own errors (syntax, validation) have none.
fn label_errors(response: &mut async_graphql::BatchResponse) {
    let responses = match response {
        async_graphql::BatchResponse::Single(one) => std::slice::from_mut(one),
        async_graphql::BatchResponse::Batch(many) => many.as_mut_slice(),
    };
    for error in responses.iter_mut().flat_map(|r| r.errors.iter_mut()) {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", "BAD_USER_INPUT");
        }
    }
}

fn json(response: &impl serde::Serialize) -> Response {
    json_bytes(Bytes::from(serde_json::to_vec(response).unwrap_or_default()))
}

fn json_bytes(body: Bytes) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}
