//! GraphQL over HTTP at `/graphql` (the graphql-over-http spec): GET and POST, the answer
//! types and status codes clients negotiate, mutations only over POST, bounded batches, and
//! the public path through the answer cache. A GET with no GraphQL parameters is a browser
//! asking for the IDE.
use super::cache_headers::{self, PublicAnswer};
use super::media::{refusal, AnswerType, BodyType, Refusal};
use super::persisted::Unusable;
use super::rate_limit;
use super::{metrics, trace, AppState, MAX_BODY_BYTES};
use crate::auth::{self, Principal, Role};
use crate::graphql;
use crate::graphql::limits::RequestCost;
use crate::quotas::{Meter, Standing, Verdict};
use crate::telemetry::names;
use async_graphql::parser::types::{DocumentOperations, OperationType};
use async_graphql::{BatchRequest, BatchResponse, ErrorExtensions};
use async_graphql_axum::rejection::GraphQLRejection;
use async_graphql_axum::GraphQLBatchRequest;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, Request, State};
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

/// GET serves the IDE to a browser, and runs the query (or persisted query) its parameters
/// name.
pub async fn get(State(state): State<AppState>, request: Request) -> Response {
    let query = request.uri().query().unwrap_or_default();
    let graphql_params = query.split('&').any(|p| {
        let name = p.split('=').next().unwrap_or_default();
        name == "query" || name == "extensions"
    });
    if !graphql_params {
        return super::ide::page();
    }
    execute(state, request).await
}

pub async fn post(State(state): State<AppState>, request: Request) -> Response {
    execute(state, request).await
}

async fn execute(state: AppState, request: Request) -> Response {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let answer_type = match AnswerType::negotiate(&parts.headers) {
        Ok(answer_type) => answer_type,
        Err(refused) => return refused.into_response(),
    };
    let is_get = parts.method == Method::GET;
    let body_type = if is_get {
        BodyType::Json
    } else {
        match BodyType::of(&parts.headers) {
            Ok(body_type) => body_type,
            Err(refused) => return refused.into_response(),
        }
    };
    let authenticated = auth::authenticate(
        &state.reference,
        &state.db,
        &parts.headers,
        state.admin_token.as_deref(),
    )
    .await;
    let principal = match authenticated {
        Ok(principal) => principal,
        Err(err) => {
            let error = err.extend().into_server_error(Default::default());
            let response = async_graphql::Response::from_errors(vec![error]);
            let outcome = metrics::outcome(&response);
            metrics::record_operation("unauthenticated", &outcome, started.elapsed());
            let response = BatchResponse::Single(response);
            let status = match answer_type {
                AnswerType::Json => StatusCode::OK,
                AnswerType::GraphqlResponseJson => StatusCode::UNAUTHORIZED,
            };
            let body = serialize(&response, false);
            return cache_headers::uncacheable(answer(answer_type, status, body));
        }
    };
    trace::record_caller(&principal);
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0);
    let meter = state.quotas.meter(&principal, peer);
    // Public answers may be kept by any cache; authenticated ones only by their caller.
    let public = principal == Principal::Anonymous;
    // Public reads are served from the answer cache, for the public and for PARTNER keys
    // alike: a partner sees exactly what the public sees. A partner's query runs as the
    // partner (a field refused to both is refused with the partner's error), and only a
    // successful answer, the same for both, is kept. Editors and admins never share it.
    let shares_cache = is_public(&principal);
    let mark = |response: Response| {
        if public {
            cache_headers::uncacheable(response)
        } else {
            cache_headers::private(response)
        }
    };
    if body_type == BodyType::Multipart {
        // uploads: never cached, and the extractor of async-graphql reads the multipart spec
        let request = Request::from_parts(parts, body);
        let batch = match GraphQLBatchRequest::<GraphQLRejection>::from_request(request, &()).await
        {
            Ok(batch) => batch.into_inner(),
            Err(rejection) => return rejection.into_response(),
        };
        return match run(&state, answer_type, batch, &principal, meter.as_ref(), started).await {
            Ok(done) => metered(
                with_cost(mark(answer(answer_type, done.status, done.body)), done.cost),
                done.standing,
            ),
            Err(refused) => refused.into_response(),
        };
    }

    // the raw request: the query string of a GET, the body of a POST; public answers are
    // cached under it
    let raw: Bytes = if is_get {
        Bytes::copy_from_slice(parts.uri.query().unwrap_or_default().as_bytes())
    } else {
        match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
            Ok(body) => body,
            Err(_) => {
                return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response()
            }
        }
    };
    let key: Vec<u8> = [if is_get { b"GET ".as_slice() } else { b"POST " }, &raw].concat();
    let generation = state.cache.generation();
    if shares_cache {
        if let Some(hit) = state.cache.get(&key) {
            ::metrics::counter!(names::CACHE_HITS).increment(1);
            // a cached answer costs 1, charged before it is sent
            let standing = match &meter {
                Some(meter) => match state.quotas.charge(meter, 1, true).await {
                    Verdict::Allowed(standing) => Some(standing),
                    Verdict::Refused(standing) => {
                        return rate_limit::refused(answer_type, &standing)
                    }
                },
                None => None,
            };
            // only successful answers are cached: the outcome of a hit is `ok`
            if let Some(operation) = hit.operation() {
                trace::record_operation(operation.label());
                operation.record_ok(started.elapsed());
            }
            let weight = hit.weight();
            let response = hit.respond(&parts.headers, answer_type, &state.public_cache_control);
            if hit.weight() != weight {
                // it now holds a compressed form more: weighed anew (at most once per form)
                state.cache.insert(&key, hit, generation);
            }
            let response = if public { response } else { cache_headers::private(response) };
            return metered(with_cost(response, RequestCost { cost: 1, cached: true }), standing);
        }
    }
    if shares_cache {
        ::metrics::counter!(names::CACHE_MISSES).increment(1);
    }

    let batch: BatchRequest = if is_get {
        match parse_get(&raw) {
            Ok(request) => request.into(),
            Err(err) => {
                let message = format!("the query string is not a GraphQL request: {err}");
                return refusal(StatusCode::BAD_REQUEST, message, "query string", "")
                    .into_response();
            }
        }
    } else {
        match serde_json::from_slice(&raw) {
            Ok(batch) => batch,
            Err(err) => {
                let message = format!("the body is not a GraphQL request: {err}");
                return refusal(StatusCode::BAD_REQUEST, message, "body", "").into_response();
            }
        }
    };
    let mut batch = batch;
    let resolved = match &mut batch {
        BatchRequest::Single(request) => state.persisted.resolve(request),
        BatchRequest::Batch(requests) => {
            requests.iter_mut().try_for_each(|request| state.persisted.resolve(request))
        }
    };
    match resolved {
        Ok(()) => {}
        Err(Unusable::NotFound) => return mark(persisted_query_not_found(answer_type)),
        Err(Unusable::Invalid(message)) => {
            let value = "extensions.persistedQuery";
            return refusal(StatusCode::BAD_REQUEST, message, "extensions", value).into_response();
        }
    }
    // a body without a document (a misspelt `query` key) is not a GraphQL request: say so,
    // rather than report a parse error of nothing
    let no_document = match &batch {
        BatchRequest::Single(request) => request.query.trim().is_empty(),
        BatchRequest::Batch(requests) => requests.iter().any(|r| r.query.trim().is_empty()),
    };
    if no_document {
        let message = "the request has no GraphQL document: send it as `query`".to_owned();
        return refusal(StatusCode::BAD_REQUEST, message, "query", "").into_response();
    }
    if is_get {
        if let Some(refused) = refuse_mutation(&batch) {
            return refused.into_response();
        }
    }
    let done = match run(&state, answer_type, batch, &principal, meter.as_ref(), started).await {
        Ok(done) => done,
        Err(refused) => return refused.into_response(),
    };
    let (cost, standing) = (done.cost, done.standing);
    if !(done.ok && shares_cache) {
        return metered(
            with_cost(mark(answer(answer_type, done.status, done.body)), cost),
            standing,
        );
    }
    let operation = metrics::OperationMetrics::new(&done.label);
    let public_answer = Arc::new(PublicAnswer::of_operation(done.body, operation));
    state.cache.insert(&key, public_answer.clone(), generation);
    let response = public_answer.respond(&parts.headers, answer_type, &state.public_cache_control);
    let response =
        with_cost(if public { response } else { cache_headers::private(response) }, cost);
    metered(response, standing)
}

/// The caller's quota standing in the answer's headers, when the caller is metered.
fn metered(response: Response, standing: Option<Standing>) -> Response {
    match standing {
        Some(standing) => rate_limit::with_headers(response, &standing),
        None => response,
    }
}

/// Charges a request's cost to its caller before it runs: `Err` is the 429 to answer.
async fn charge(
    state: &AppState,
    answer_type: AnswerType,
    meter: Option<&Meter>,
    cost: u64,
) -> Result<Option<Standing>, Response> {
    let Some(meter) = meter else { return Ok(None) };
    match state.quotas.charge(meter, cost, false).await {
        Verdict::Allowed(standing) => Ok(Some(standing)),
        Verdict::Refused(standing) => Err(rate_limit::refused(answer_type, &standing)),
    }
}

/// The answer Apollo's persisted-query link waits for to send the query's text: exactly this
/// message and code, status 200.
fn persisted_query_not_found(answer_type: AnswerType) -> Response {
    let body = serde_json::json!({ "errors": [{ "message": "PersistedQueryNotFound",
        "extensions": { "code": "PERSISTED_QUERY_NOT_FOUND" } }] });
    answer(answer_type, StatusCode::OK, Bytes::from(body.to_string()))
}

/// Passes the request's cost on to the layers that charge for it (quotas).
fn with_cost(mut response: Response, cost: RequestCost) -> Response {
    response.extensions_mut().insert(cost);
    response
}

/// A batch that ran.
struct Executed {
    status: StatusCode,
    body: Bytes,
    /// Without any error, and without a private field (`rateLimit`): worth caching.
    ok: bool,
    cost: RequestCost,
    /// The caller's quota after this request's charge; `None` when the caller is unmetered.
    standing: Option<Standing>,
    /// The operation's metrics label.
    label: String,
}

/// Measures a batch against the limits and runs it, or refuses it (too many operations).
async fn run(
    state: &AppState,
    answer_type: AnswerType,
    batch: BatchRequest,
    principal: &Principal,
    meter: Option<&Meter>,
    started: Instant,
) -> Result<Executed, Response> {
    let label = operation_of(&batch);
    let size = match &batch {
        BatchRequest::Single(_) => 1,
        BatchRequest::Batch(requests) => requests.len(),
    };
    if size > usize::from(state.http.max_batch) {
        let message = format!(
            "a batch holds at most {} operations; this one holds {size}",
            state.http.max_batch
        );
        let value = size.to_string();
        return Err(refusal(StatusCode::BAD_REQUEST, message, "batch", &value).into_response());
    }
    let batch = if state.http.introspection {
        batch
    } else {
        let asks = match &batch {
            BatchRequest::Single(request) => introspects(request),
            BatchRequest::Batch(requests) => requests.iter().any(introspects),
        };
        if asks {
            let message = "introspection is turned off on this server".to_owned();
            return Err(
                refusal(StatusCode::BAD_REQUEST, message, "query", "__schema").into_response()
            );
        }
        batch.disable_introspection()
    };
    let mut batch = batch;
    let cost = match state.limits.check_batch(&mut batch) {
        Ok(cost) => cost.charge(),
        Err(refused) => {
            // over a limit: a request error, nothing ran
            let error = refused.extend().into_server_error(Default::default());
            let one = || async_graphql::Response::from_errors(vec![error.clone()]);
            let response = match &batch {
                BatchRequest::Single(_) => BatchResponse::Single(one()),
                BatchRequest::Batch(requests) => {
                    BatchResponse::Batch(requests.iter().map(|_| one()).collect())
                }
            };
            metrics::record_operation(&label, &batch_outcome(&response), started.elapsed());
            let status = match answer_type {
                AnswerType::Json => StatusCode::OK,
                AnswerType::GraphqlResponseJson => StatusCode::BAD_REQUEST,
            };
            let cost = RequestCost { cost: 1, cached: false };
            let standing = charge(state, answer_type, meter, cost.cost).await?;
            let body = serialize(&response, true);
            return Ok(Executed { status, body, ok: false, cost, standing, label });
        }
    };
    let holds = Holds::of(&mut batch);
    // public reads may go to a replica; writes, drafts, editors' and admins' reads never do
    let db = if is_public(principal) && holds.only_queries {
        state.replicas.reader()
    } else {
        &state.db
    };
    // reserved before it runs: over budget, nothing runs
    let standing = charge(state, answer_type, meter, cost).await?;
    let batch = graphql::with_request_data(batch, db, principal, &state.reference);
    let batch = match standing {
        Some(standing) => batch.data(standing),
        None => batch,
    };
    let mut response = state.schema.execute_batch(batch).await;
    if holds.mutation {
        // this process forgets what it keeps of the data (cached answers, reference data)
        // before it answers, so that the writer's next request sees its write; other
        // processes hear of it from the database's notification a moment later. Refused
        // mutations too: cheap, and never wrong.
        state.reference.changed();
    }
    label_errors(&mut response);
    metrics::record_operation(&label, &batch_outcome(&response), started.elapsed());
    // an answer with a private field (the caller's own quota) is nobody else's
    let ok = response.is_ok() && response.cache_control().public;
    let request_error = is_request_error(&response);
    let status = match (answer_type, request_error) {
        (AnswerType::GraphqlResponseJson, true) => StatusCode::BAD_REQUEST,
        _ => StatusCode::OK,
    };
    let cost = RequestCost { cost, cached: false };
    let body = serialize(&response, request_error);
    Ok(Executed { status, body, ok, cost, standing, label })
}

/// The GraphQL request in a GET's query string: `query`, `operationName`, and `variables` and
/// `extensions` as JSON texts.
fn parse_get(query_string: &[u8]) -> Result<async_graphql::Request, String> {
    let mut request = async_graphql::Request::new("");
    for (name, value) in url::form_urlencoded::parse(query_string) {
        match name.as_ref() {
            "query" => request.query = value.into_owned(),
            "operationName" => request.operation_name = Some(value.into_owned()),
            "variables" => {
                let variables = serde_json::from_str(&value)
                    .map_err(|e| format!("variables is not a JSON object: {e}"))?;
                request.variables = async_graphql::Variables::from_json(variables);
            }
            "extensions" => {
                request.extensions = serde_json::from_str(&value)
                    .map_err(|e| format!("extensions is not a JSON object: {e}"))?;
            }
            _ => {}
        }
    }
    Ok(request)
}

/// Whether an operation selects `__schema` or `__type` (directly or through fragments):
/// refused when introspection is off, so that tools are told rather than handed a null.
fn introspects(request: &async_graphql::Request) -> bool {
    use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
    fn selects(document: &ExecutableDocument, set: &SelectionSet, depth: usize) -> bool {
        depth < 8
            && set.items.iter().any(|item| match &item.node {
                Selection::Field(field) => {
                    matches!(field.node.name.node.as_str(), "__schema" | "__type")
                }
                Selection::InlineFragment(inline) => {
                    selects(document, &inline.node.selection_set.node, depth + 1)
                }
                Selection::FragmentSpread(spread) => document
                    .fragments
                    .get(&spread.node.fragment_name.node)
                    .is_some_and(|f| selects(document, &f.node.selection_set.node, depth + 1)),
            })
    }
    let Some(document) = graphql::nesting::parse(&request.query) else { return false };
    let operations: Vec<_> = match &document.operations {
        DocumentOperations::Single(operation) => vec![operation],
        DocumentOperations::Multiple(operations) => operations.values().collect(),
    };
    operations.iter().any(|o| selects(&document, &o.node.selection_set.node, 0))
}

/// GET never changes anything: a mutation asked over GET is refused with 405 before it runs.
fn refuse_mutation(batch: &BatchRequest) -> Option<Refusal> {
    let BatchRequest::Single(request) = batch else { return None };
    // an unparsable query is reported by the executor, as for POST
    let document = graphql::nesting::parse(&request.query)?;
    let is_mutation = match &document.operations {
        DocumentOperations::Single(operation) => operation.node.ty == OperationType::Mutation,
        DocumentOperations::Multiple(operations) => match &request.operation_name {
            Some(name) => operations
                .iter()
                .any(|(n, o)| n.as_str() == name && o.node.ty == OperationType::Mutation),
            None => false,
        },
    };
    if !is_mutation {
        return None;
    }
    Some(refusal(
        StatusCode::METHOD_NOT_ALLOWED,
        "mutations run only over POST: GET never changes anything".to_owned(),
        "query",
        "mutation",
    ))
}

/// A request error (the spec's term): the document could not be parsed or validated, or a
/// limit refused it, so nothing ran. Such errors carry no path, and there is no data.
fn is_request_error(response: &BatchResponse) -> bool {
    let responses = match response {
        BatchResponse::Single(one) => std::slice::from_ref(one),
        BatchResponse::Batch(many) => many.as_slice(),
    };
    responses.iter().all(|r| {
        r.data == async_graphql::Value::Null
            && !r.errors.is_empty()
            && r.errors.iter().all(|e| e.path.is_empty())
    })
}

/// The JSON of a response; a request error has no `data` entry at all.
fn serialize(response: &BatchResponse, request_error: bool) -> Bytes {
    let bytes = if request_error {
        let mut value = serde_json::to_value(response).unwrap_or_default();
        let answers = match &mut value {
            serde_json::Value::Array(many) => many.iter_mut().collect(),
            one => vec![one],
        };
        for answer in answers {
            if let Some(object) = answer.as_object_mut() {
                object.remove("data");
            }
        }
        serde_json::to_vec(&value)
    } else {
        serde_json::to_vec(response)
    };
    Bytes::from(bytes.unwrap_or_default())
}

/// The public and PARTNER keys see the same thing: published editions only.
fn is_public(principal: &Principal) -> bool {
    match principal {
        Principal::Anonymous => true,
        Principal::Key { role, .. } => *role == Role::Partner,
        Principal::Admin => false,
    }
}

/// What kinds of operation a batch's documents hold, read from the documents the limits
/// parsed and kept (after checking their nesting). Unparsable text holds none.
struct Holds {
    /// A mutation: once it ran, what this process keeps of the data is stale.
    mutation: bool,
    /// Queries only: a public batch may read from a replica (a refused mutation still writes
    /// its audit entry, on the primary).
    only_queries: bool,
}

impl Holds {
    fn of(batch: &mut BatchRequest) -> Self {
        let mut holds = Self { mutation: false, only_queries: true };
        for request in batch.iter_mut() {
            let Ok(document) = request.parsed_query() else { continue };
            for (_, operation) in document.operations.iter() {
                holds.mutation |= operation.node.ty == OperationType::Mutation;
                holds.only_queries &= operation.node.ty == OperationType::Query;
            }
        }
        holds
    }
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

fn batch_outcome(response: &async_graphql::BatchResponse) -> String {
    match response {
        async_graphql::BatchResponse::Single(one) => metrics::outcome(one),
        async_graphql::BatchResponse::Batch(many) => {
            many.iter().map(metrics::outcome).find(|o| o != "ok").unwrap_or_else(|| "ok".into())
        }
    }
}

/// Gives every error a code: async-graphql's own errors (syntax, validation) have none.
fn label_errors(response: &mut BatchResponse) {
    let responses = match response {
        BatchResponse::Single(one) => std::slice::from_mut(one),
        BatchResponse::Batch(many) => many.as_mut_slice(),
    };
    for error in responses.iter_mut().flat_map(|r| r.errors.iter_mut()) {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", "BAD_USER_INPUT");
        }
    }
}

fn answer(answer_type: AnswerType, status: StatusCode, body: Bytes) -> Response {
    (status, [(header::CONTENT_TYPE, answer_type.content_type())], body).into_response()
}
