//! What a request may cost, counted before any of it runs.
//!
//! async-graphql's own complexity counts a list as one field, so a list that is not paged
//! (`Country.scores`, `Score.country`, `history`, …) cost nothing and five levels of
//! `scores { country { scores … } }` asked for 36⁵ objects. Here every field costs one and
//! is multiplied by the largest number of times it can be resolved: a connection by the page
//! asked for (capped by what the list can hold), an unpaged list by its real maximum
//! ([`list_bound`]). Aliases count each time they appear, the operations of a batch count
//! together, and nesting is limited apart from introspection, so that the standard
//! introspection query of the GraphQL tools (about 15 levels) passes while introspection
//! keeps bounds of its own.
//!
//! The walk is linear in the size of the document: fragments are measured once (memoised)
//! and the recursion is bounded, whatever the document.
use super::connection::MAX_PAGE_SIZE;
use super::documents::Documents;
use crate::error::{ApiError, TooComplex};
use async_graphql::parser::types::{
    BaseType, DocumentOperations, ExecutableDocument, Selection, SelectionSet, ServiceDocument,
    Type, TypeKind, TypeSystemDefinition,
};
use async_graphql::{BatchRequest, Name, Request, Value, Variables};
use std::collections::HashMap;

/// Default limit on the cost of a request (a batch counts as one request): every country
/// of an edition with every figure (value, delta, ranks, change, its indicator) costs about
/// 91,000; three levels of `scores { country { scores … } } }` cost 95,000, four 3.4 million.
pub const DEFAULT_MAX_COST: u64 = 100_000;
/// Default limit on the nesting of the fields of a request, introspection aside.
pub const DEFAULT_MAX_DEPTH: usize = 12;
/// The query graphql-js 16's `getIntrospectionQuery()` builds with every option on: what
/// GraphiQL and code generators send. By default introspection may cost twice as much as
/// this query over the schema served, so that it keeps passing as the schema grows.
pub const STANDARD_INTROSPECTION: &str = include_str!("introspection.graphql");
/// Default limit on the nesting of introspection: the standard query needs 15 levels.
pub const DEFAULT_MAX_INTROSPECTION_DEPTH: usize = 20;

/// Nesting the walk follows at most, counting fragment spreads: deeper documents are
/// refused for their depth before the walk could exhaust the stack.
const MAX_WALK: usize = 256;

/// Real maxima of the lists that are not paged, from the Index's own data.
mod maxima {
    /// UN member states the Index assesses (193).
    pub const COUNTRIES: u64 = 200;
    /// Figures of one country in one edition: 36 indicators and composites in 2023.
    pub const INDICATORS_PER_EDITION: u64 = 36;
    /// Indicators in the whole tree, every edition's together.
    pub const INDICATORS: u64 = 50;
    /// Children of one composite (criminal markets: 15).
    pub const CHILDREN: u64 = 20;
    /// Editions: one every two years since 2021; room for two decades.
    pub const EDITIONS: u64 = 10;
    /// Narratives of one country in one edition (a country page has about 25).
    pub const NARRATIVES: u64 = 100;
    /// Rows of an import report (problems, dropped text, notes).
    pub const REPORT_ROWS: u64 = 1_000;
    /// Counts of one audit entry: a few fixed names ("scores", "created", "missing", …).
    pub const AUDIT_COUNTS: u64 = 10;
    /// Groups of `statistics`: one, the five continents, or the regions (15 in 2023).
    pub const GROUPS: u64 = 30;
    /// API keys.
    pub const API_KEYS: u64 = 1_000;
    /// Downloads of one edition: CSV, JSON and xlsx.
    pub const DOWNLOAD_FORMATS: u64 = 3;
    /// Webhooks (`workflow::webhooks::MAX_WEBHOOKS`).
    pub const WEBHOOKS: u64 = crate::workflow::webhooks::MAX_WEBHOOKS as u64;
    /// Kinds of edition event.
    pub const WEBHOOK_EVENTS: u64 = crate::webhooks::WebhookEvent::ALL.len() as u64;
    /// Attempts of one delivery (`OCINDEX_WEBHOOK_MAX_ATTEMPTS` is at most 50).
    pub const WEBHOOK_ATTEMPTS: u64 = 50;
}

/// The largest length of a list field that is not paged, by `Type.field`; `None` for a
/// list this table does not know, which then counts as a full page (a test keeps this
/// table complete).
pub fn list_bound(type_name: &str, field: &str) -> Option<u64> {
    use maxima::*;
    Some(match (type_name, field) {
        ("Query", "editions") => EDITIONS,
        ("Query", "indicators") => INDICATORS,
        ("Query", "apiKeys") => API_KEYS,
        ("Country", "scores") => INDICATORS_PER_EDITION,
        ("Country", "history") => EDITIONS,
        ("Country", "narratives") => NARRATIVES,
        ("Country", "comparison") => INDICATORS_PER_EDITION,
        ("Query", "statistics") => GROUPS,
        ("Edition", "indicators") => INDICATORS_PER_EDITION,
        ("Edition", "downloads") => DOWNLOAD_FORMATS,
        ("Indicator", "children") => CHILDREN,
        ("Narrative", "indicators") => INDICATORS_PER_EDITION,
        ("NarrativeImportItem", "indicators") => INDICATORS_PER_EDITION,
        ("NarrativeImportCountry", "narratives") => NARRATIVES,
        ("NarrativeImportDetails", "countries") => COUNTRIES,
        ("ImportReport", "editions") => EDITIONS,
        ("ImportReport", "problems")
        | ("NarrativeImportDetails", "dropped")
        | ("NarrativeImportDetails", "notes") => REPORT_ROWS,
        ("AuditEntry", "counts") => AUDIT_COUNTS,
        ("Query", "webhooks") => WEBHOOKS,
        ("Webhook", "events") => WEBHOOK_EVENTS,
        ("WebhookDelivery", "attempts") => WEBHOOK_ATTEMPTS,
        _ => return None,
    })
}

/// The longest page of a connection field, when shorter than [`MAX_PAGE_SIZE`].
fn page_bound(type_name: &str, field: &str) -> u64 {
    match (type_name, field) {
        ("Query", "countries" | "ranking" | "scoreChanges") => maxima::COUNTRIES,
        _ => MAX_PAGE_SIZE as u64,
    }
}

/// The limits a request must stay within (see `config.rs` for the settings).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub max_cost: u64,
    pub max_depth: usize,
    /// `None`: twice the cost of [`STANDARD_INTROSPECTION`] over the schema.
    pub max_introspection_cost: Option<u64>,
    pub max_introspection_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_cost: DEFAULT_MAX_COST,
            max_depth: DEFAULT_MAX_DEPTH,
            max_introspection_cost: None,
            max_introspection_depth: DEFAULT_MAX_INTROSPECTION_DEPTH,
        }
    }
}

/// What a request was measured at.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cost {
    /// Fields it may resolve, outside introspection, each list counted at its bound.
    pub cost: u64,
    /// The deepest nesting of its fields outside introspection.
    pub depth: usize,
    /// Fields of its introspection part, counted the same way.
    pub introspection_cost: u64,
    /// The deepest nesting of its introspection part, from the root.
    pub introspection_depth: usize,
}

impl Cost {
    /// What the request is charged against a quota: its cost, and at least 1.
    pub fn charge(&self) -> u64 {
        self.cost.max(1)
    }

    fn add(self, other: Cost) -> Cost {
        Cost {
            cost: self.cost.saturating_add(other.cost),
            depth: self.depth.max(other.depth),
            introspection_cost: self.introspection_cost.saturating_add(other.introspection_cost),
            introspection_depth: self.introspection_depth.max(other.introspection_depth),
        }
    }

    fn max(self, other: Cost) -> Cost {
        Cost {
            cost: self.cost.max(other.cost),
            depth: self.depth.max(other.depth),
            introspection_cost: self.introspection_cost.max(other.introspection_cost),
            introspection_depth: self.introspection_depth.max(other.introspection_depth),
        }
    }
}

/// The cost of a request as the HTTP layer passes it on (in the response's extensions):
/// what a quota charges. A cached answer costs 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestCost {
    pub cost: u64,
    pub cached: bool,
}

/// The shape of one output field.
#[derive(Clone, Debug)]
struct FieldShape {
    /// The named type under any list and non-null wrappers.
    type_name: String,
    list: bool,
}

/// Sizes of the schema that bound its introspection.
#[derive(Clone, Copy, Debug, Default)]
struct SchemaSizes {
    types: u64,
    fields: u64,
    args: u64,
    input_fields: u64,
    enum_values: u64,
    interfaces: u64,
    possible_types: u64,
    directives: u64,
}

/// The schema as the analysis sees it, and the limits; built once, at startup.
#[derive(Clone, Debug)]
pub struct QueryLimits {
    limits: Limits,
    query_type: String,
    mutation_type: String,
    fields: HashMap<String, HashMap<String, FieldShape>>,
    sizes: SchemaSizes,
    max_introspection_cost: u64,
    /// The documents parsed before, by their text.
    documents: Documents,
}

/// Introspection types: fields at most, arguments at most, enum values at most. Counted
/// into the sizes so that a schema smaller than its own introspection is bounded right.
const INTROSPECTION_TYPES: u64 = 8;
const BUILTIN_SCALARS: u64 = 5;
const INTROSPECTION_FIELDS: u64 = 12;
const DIRECTIVE_LOCATIONS: u64 = 19;
const BUILTIN_DIRECTIVES: u64 = 5;

impl QueryLimits {
    /// Reads the shape of the schema from its SDL (async-graphql keeps its registry private).
    pub fn new(sdl: &str, limits: Limits) -> anyhow::Result<Self> {
        let document: ServiceDocument = async_graphql::parser::parse_schema(sdl)?;
        let mut fields: HashMap<String, HashMap<String, FieldShape>> = HashMap::new();
        let mut sizes = SchemaSizes {
            types: INTROSPECTION_TYPES + BUILTIN_SCALARS,
            fields: INTROSPECTION_FIELDS,
            args: 1,
            enum_values: DIRECTIVE_LOCATIONS,
            directives: BUILTIN_DIRECTIVES,
            ..SchemaSizes::default()
        };
        let mut implementers: HashMap<String, u64> = HashMap::new();
        let (mut query_type, mut mutation_type) = ("Query".to_owned(), "Mutation".to_owned());
        for definition in &document.definitions {
            match definition {
                TypeSystemDefinition::Schema(schema) => {
                    if let Some(query) = &schema.node.query {
                        query_type = query.node.to_string();
                    }
                    if let Some(mutation) = &schema.node.mutation {
                        mutation_type = mutation.node.to_string();
                    }
                }
                TypeSystemDefinition::Directive(directive) => {
                    sizes.directives += 1;
                    sizes.args = sizes.args.max(directive.node.arguments.len() as u64);
                }
                TypeSystemDefinition::Type(ty) => {
                    sizes.types += 1;
                    let name = ty.node.name.node.to_string();
                    let (defined, implements) = match &ty.node.kind {
                        TypeKind::Object(object) => (&object.fields, &object.implements),
                        TypeKind::Interface(interface) => {
                            (&interface.fields, &interface.implements)
                        }
                        TypeKind::Enum(e) => {
                            sizes.enum_values = sizes.enum_values.max(e.values.len() as u64);
                            continue;
                        }
                        TypeKind::InputObject(input) => {
                            sizes.input_fields = sizes.input_fields.max(input.fields.len() as u64);
                            continue;
                        }
                        TypeKind::Union(union) => {
                            sizes.possible_types =
                                sizes.possible_types.max(union.members.len() as u64);
                            continue;
                        }
                        TypeKind::Scalar => continue,
                    };
                    sizes.fields = sizes.fields.max(defined.len() as u64);
                    sizes.interfaces = sizes.interfaces.max(implements.len() as u64);
                    for interface in implements {
                        *implementers.entry(interface.node.to_string()).or_default() += 1;
                    }
                    let shapes = fields.entry(name).or_default();
                    for field in defined {
                        let field = &field.node;
                        sizes.args = sizes.args.max(field.arguments.len() as u64);
                        let (type_name, list) = unwrap_type(&field.ty.node);
                        shapes.insert(field.name.node.to_string(), FieldShape { type_name, list });
                    }
                }
            }
        }
        let most_implementers = implementers.values().copied().max().unwrap_or(0);
        sizes.possible_types = sizes.possible_types.max(most_implementers);
        let mut model = Self {
            limits,
            query_type,
            mutation_type,
            fields,
            sizes,
            max_introspection_cost: 0,
            documents: Documents::default(),
        };
        model.max_introspection_cost = match limits.max_introspection_cost {
            Some(max) => max,
            None => {
                let mut standard = Request::new(STANDARD_INTROSPECTION);
                let standard = model.measure(&mut standard).map_or(0, |c| c.introspection_cost);
                anyhow::ensure!(standard > 0, "the standard introspection query does not parse");
                standard.saturating_mul(2)
            }
        };
        Ok(model)
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// The bound on the introspection part of a request, as configured or computed.
    pub fn max_introspection_cost(&self) -> u64 {
        self.max_introspection_cost
    }

    /// Every list field of the schema, as `Type.field`, that [`list_bound`] does not know
    /// and that is not a connection's `edges` or `nodes`: each counts as a full page.
    pub fn unbounded_lists(&self) -> Vec<String> {
        let mut found = Vec::new();
        for (type_name, fields) in &self.fields {
            for (field, shape) in fields {
                let paged =
                    type_name.ends_with("Connection") && matches!(&**field, "edges" | "nodes");
                if shape.list && !paged && list_bound(type_name, field).is_none() {
                    found.push(format!("{type_name}.{field}"));
                }
            }
        }
        found.sort();
        found
    }

    /// Measures every request of a batch, together, and refuses the batch when it exceeds
    /// a limit. Requests that do not parse are left to the executor, which reports them.
    pub fn check_batch(&self, batch: &mut BatchRequest) -> Result<Cost, ApiError> {
        let mut total = Cost::default();
        for request in batch.iter_mut() {
            total = total.add(self.measure(request)?);
            self.check(&total)?;
        }
        Ok(total)
    }

    /// Measures one request (parsing it once, or not at all when its text was parsed before:
    /// the executor reuses the parsed document).
    pub fn measure(&self, request: &mut Request) -> Result<Cost, ApiError> {
        let operation_name = request.operation_name.clone();
        let variables = request.variables.clone();
        if let Some(document) = self.documents.get(&request.query) {
            request.set_parsed_query(document);
        } else {
            // before parsing: the parser's recursion is not bounded
            super::nesting::check(&request.query)?;
            let query = request.query.clone();
            let Ok(document) = request.parsed_query() else {
                return Ok(Cost::default());
            };
            self.documents.keep(&query, document);
        }
        let Ok(document) = request.parsed_query() else {
            return Ok(Cost::default());
        };
        self.measure_document(document, operation_name.as_deref(), &variables)
    }

    /// Measures the operation of `document` that would run: the one named, else (when the
    /// name matches none, or none is given) the most expensive.
    pub fn measure_document(
        &self,
        document: &ExecutableDocument,
        operation_name: Option<&str>,
        variables: &Variables,
    ) -> Result<Cost, ApiError> {
        let mut walk = Walk { model: self, document, variables, memo: HashMap::new() };
        let named = match (&document.operations, operation_name) {
            (DocumentOperations::Multiple(operations), Some(name)) => {
                operations.get(&Name::new(name))
            }
            _ => None,
        };
        let mut cost = Cost::default();
        for (_, operation) in document.operations.iter() {
            if named.is_some_and(|n| !std::ptr::eq(n, operation)) {
                continue;
            }
            let root = match operation.node.ty {
                async_graphql::parser::types::OperationType::Mutation => &self.mutation_type,
                _ => &self.query_type,
            };
            let scope = Scope { type_name: root, page: None, introspection: false };
            cost = cost.max(walk.selection_set(&operation.node.selection_set.node, scope, 0)?);
        }
        Ok(cost)
    }

    /// Refuses a cost beyond a limit, saying which limit and the cost against it.
    pub fn check(&self, cost: &Cost) -> Result<(), ApiError> {
        let limits = &self.limits;
        let refuse = |limit: &'static str, measured: u64, max: u64| {
            Err(ApiError::QueryTooComplex(Box::new(TooComplex { limit, measured, max })))
        };
        if cost.depth > limits.max_depth {
            return refuse("depth", cost.depth as u64, limits.max_depth as u64);
        }
        if cost.cost > limits.max_cost {
            return refuse("cost", cost.cost, limits.max_cost);
        }
        if cost.introspection_depth > limits.max_introspection_depth {
            let max = limits.max_introspection_depth as u64;
            return refuse("introspectionDepth", cost.introspection_depth as u64, max);
        }
        if cost.introspection_cost > self.max_introspection_cost {
            let max = self.max_introspection_cost;
            return refuse("introspectionCost", cost.introspection_cost, max);
        }
        Ok(())
    }

    /// The longest an introspection list can be, by field name (they are unique to their
    /// introspection type).
    fn introspection_bound(&self, field: &str) -> u64 {
        let sizes = &self.sizes;
        match field {
            "types" => sizes.types,
            "fields" => sizes.fields,
            "args" => sizes.args,
            "inputFields" => sizes.input_fields,
            "enumValues" => sizes.enum_values,
            "interfaces" => sizes.interfaces,
            "possibleTypes" => sizes.possible_types,
            "directives" => sizes.directives,
            "locations" => DIRECTIVE_LOCATIONS,
            _ => 1,
        }
    }
}

/// The named type of a field and whether any list wraps it.
fn unwrap_type(ty: &Type) -> (String, bool) {
    match &ty.base {
        BaseType::Named(name) => (name.to_string(), false),
        BaseType::List(inner) => (unwrap_type(inner).0, true),
    }
}

/// Where in the document the walk is.
#[derive(Clone, Copy)]
struct Scope<'a> {
    /// The type whose fields are selected (meaningless inside introspection).
    type_name: &'a str,
    /// For a connection's selection: the page size its `edges` and `nodes` have.
    page: Option<u64>,
    introspection: bool,
}

struct Walk<'a> {
    model: &'a QueryLimits,
    document: &'a ExecutableDocument,
    variables: &'a Variables,
    /// Fragments already measured, by name and the scope they were spread in (their cost
    /// does not depend on where else they are).
    memo: HashMap<(&'a str, Option<u64>, bool), Measure>,
}

/// A selection set's cost, and its depth below the field that holds it.
#[derive(Clone, Copy, Default)]
struct Measure {
    cost: u64,
    depth: usize,
    introspection_cost: u64,
    introspection_depth: usize,
}

impl Measure {
    fn add(&mut self, other: Measure) {
        self.cost = self.cost.saturating_add(other.cost);
        self.depth = self.depth.max(other.depth);
        self.introspection_cost = self.introspection_cost.saturating_add(other.introspection_cost);
        self.introspection_depth = self.introspection_depth.max(other.introspection_depth);
    }
}

impl<'a> Walk<'a> {
    fn selection_set(
        &mut self,
        set: &'a SelectionSet,
        scope: Scope<'a>,
        hops: usize,
    ) -> Result<Cost, ApiError> {
        let measure = self.measure_set(set, scope, hops)?;
        Ok(Cost {
            cost: measure.cost,
            depth: measure.depth,
            introspection_cost: measure.introspection_cost,
            introspection_depth: measure.introspection_depth,
        })
    }

    /// `hops` counts the levels of recursion (fields and fragment spreads) to bound it.
    fn measure_set(
        &mut self,
        set: &'a SelectionSet,
        scope: Scope<'a>,
        hops: usize,
    ) -> Result<Measure, ApiError> {
        if hops > MAX_WALK {
            let max = self.model.limits.max_depth.max(self.model.limits.max_introspection_depth);
            return Err(ApiError::QueryTooComplex(Box::new(TooComplex {
                limit: "depth",
                measured: hops as u64,
                max: max as u64,
            })));
        }
        let mut total = Measure::default();
        for selection in &set.items {
            let measure = match &selection.node {
                Selection::Field(field) => self.field(&field.node, scope, hops)?,
                Selection::InlineFragment(fragment) => {
                    let fragment = &fragment.node;
                    let scope = match &fragment.type_condition {
                        Some(condition) if !scope.introspection => {
                            Scope { type_name: condition.node.on.node.as_str(), ..scope }
                        }
                        _ => scope,
                    };
                    self.measure_set(&fragment.selection_set.node, scope, hops + 1)?
                }
                Selection::FragmentSpread(spread) => {
                    // An unknown fragment is the validator's to report.
                    let Some((name, fragment)) =
                        self.document.fragments.get_key_value(&spread.node.fragment_name.node)
                    else {
                        continue;
                    };
                    let key = (name.as_str(), scope.page, scope.introspection);
                    if let Some(measure) = self.memo.get(&key) {
                        *measure
                    } else {
                        let fragment = &fragment.node;
                        let scope = if scope.introspection {
                            scope
                        } else {
                            let on = fragment.type_condition.node.on.node.as_str();
                            Scope { type_name: on, ..scope }
                        };
                        let measure =
                            self.measure_set(&fragment.selection_set.node, scope, hops + 1)?;
                        self.memo.insert(key, measure);
                        measure
                    }
                }
            };
            total.add(measure);
        }
        Ok(total)
    }

    fn field(
        &mut self,
        field: &'a async_graphql::parser::types::Field,
        scope: Scope<'a>,
        hops: usize,
    ) -> Result<Measure, ApiError> {
        let name = field.name.node.as_str();
        let children = &field.selection_set.node;
        if name == "__typename" {
            return Ok(if scope.introspection {
                Measure { introspection_cost: 1, introspection_depth: 1, ..Measure::default() }
            } else {
                Measure { cost: 1, depth: 1, ..Measure::default() }
            });
        }
        if scope.introspection || matches!(name, "__schema" | "__type") {
            let inner = Scope { introspection: true, page: None, ..scope };
            let below = self.measure_set(children, inner, hops + 1)?;
            let times = self.model.introspection_bound(name);
            return Ok(Measure {
                introspection_cost: times
                    .saturating_mul(below.introspection_cost.saturating_add(1)),
                introspection_depth: below.introspection_depth + 1,
                ..Measure::default()
            });
        }
        let shape = self.model.fields.get(scope.type_name).and_then(|fields| fields.get(name));
        let child_type = shape.map_or("", |s| s.type_name.as_str());
        let is_connection = child_type.ends_with("Connection");
        let page = is_connection.then(|| {
            let asked = ["first", "last"].iter().filter_map(|arg| self.argument(field, arg)).max();
            asked.unwrap_or(MAX_PAGE_SIZE as u64).min(page_bound(scope.type_name, name))
        });
        let times = match shape {
            Some(shape) if shape.list => {
                let paged = matches!(name, "edges" | "nodes") && scope.page.is_some();
                if paged {
                    scope.page.unwrap_or_default()
                } else {
                    list_bound(scope.type_name, name).unwrap_or(MAX_PAGE_SIZE as u64)
                }
            }
            _ => 1,
        };
        // A connection's page size reaches its `edges` and `nodes`, one level down only.
        let inner = Scope { type_name: child_type, page, introspection: false };
        let below = self.measure_set(children, inner, hops + 1)?;
        Ok(Measure {
            cost: times.saturating_mul(below.cost.saturating_add(1)),
            depth: below.depth + 1,
            // introspection cannot nest inside data: validation refuses it
            introspection_cost: below.introspection_cost,
            introspection_depth: below.introspection_depth,
        })
    }

    /// A non-negative whole-number argument, given inline or as a variable.
    fn argument(&self, field: &async_graphql::parser::types::Field, name: &str) -> Option<u64> {
        let (_, value) = field.arguments.iter().find(|(n, _)| n.node.as_str() == name)?;
        let variables = self.variables;
        let value = value
            .node
            .clone()
            .into_const_with(|name| variables.get(&name).cloned().ok_or(()))
            .ok()?;
        match value {
            Value::Number(n) => n.as_u64(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(limits: Limits) -> QueryLimits {
        QueryLimits::new(&crate::graphql::schema().sdl(), limits).expect("the SDL parses")
    }

    fn cost_of(query: &str) -> Result<Cost, ApiError> {
        let model = model(Limits::default());
        let mut request = Request::new(query);
        let cost = model.measure(&mut request)?;
        model.check(&cost)?;
        Ok(cost)
    }

    /// `{ a { b { … leaf } } }` from the field names, outermost first.
    fn nested(fields: &[&str], leaf: &str) -> String {
        let mut query = String::from("{ ");
        for field in fields {
            query.push_str(field);
            query.push_str(" { ");
        }
        query.push_str(leaf);
        query.push_str(&" }".repeat(fields.len() + 1));
        query
    }

    fn refusal(query: &str) -> TooComplex {
        match cost_of(query) {
            Err(ApiError::QueryTooComplex(too)) => *too,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn every_list_of_the_schema_has_a_known_bound() {
        assert_eq!(model(Limits::default()).unbounded_lists(), Vec::<String>::new());
    }

    #[test]
    fn unpaged_lists_count_by_their_real_maximum() {
        // country 1 × (itself + 36 scores × (score + value))
        assert_eq!(cost_of(r#"{ country(iso3: "KAZ") { scores { value } } }"#).unwrap().cost, 73);
        // one more level: each score's country, with its 36 scores
        let two = r#"{ country(iso3: "KAZ") { scores { country { scores { value } } } } }"#;
        assert_eq!(cost_of(two).unwrap().cost, 1 + 36 * (1 + (1 + 36 * 2)));
    }

    #[test]
    fn nested_unpaged_lists_are_refused_with_the_cost_against_the_limit() {
        let query = r#"{ country(iso3: "KAZ") { scores { country { scores { country {
            scores { country { scores { country { scores { value } } } } } } } } } } }"#;
        let too = refusal(query);
        assert_eq!(too.limit, "cost");
        assert!(too.measured > 36u64.pow(5), "{too:?}");
        assert_eq!(too.max, DEFAULT_MAX_COST);
    }

    #[test]
    fn connections_count_their_page() {
        // countries 1 × (itself + 50 nodes × (node + name)) + totalCount
        let query = "{ countries(first: 50) { nodes { name } totalCount } }";
        assert_eq!(cost_of(query).unwrap().cost, 1 + 50 * 2 + 1);
        // without `first`: every country, at most 200
        assert_eq!(cost_of("{ countries { edges { node { name } } } }").unwrap().cost, 1 + 200 * 3);
        // given as a variable
        let model = model(Limits::default());
        let mut request = Request::new(
            "query($n: Int) { ranking(indicator: \"x\", first: $n) { nodes { rank } } }",
        )
        .variables(Variables::from_json(serde_json::json!({ "n": 7 })));
        assert_eq!(model.measure(&mut request).unwrap().cost, 1 + 7 * 2);
    }

    #[test]
    fn aliases_and_fragments_count_each_time() {
        let one = cost_of(r#"{ a: country(iso3: "KAZ") { scores { value } } }"#).unwrap().cost;
        let two = r#"{ a: country(iso3: "KAZ") { scores { value } }
                      b: country(iso3: "KGZ") { scores { value } } }"#;
        assert_eq!(cost_of(two).unwrap().cost, 2 * one);
        let spread = r#"{ a: country(iso3: "KAZ") { ...S } b: country(iso3: "KGZ") { ...S } }
                        fragment S on Country { scores { value } }"#;
        assert_eq!(cost_of(spread).unwrap().cost, 2 * one);
    }

    #[test]
    fn fragment_bombs_are_measured_in_linear_time() {
        // Each fragment spreads the one below it twice: 2^40 fields, measured once each.
        let mut query = String::from("{ ...F0 }\n");
        for i in 0..40 {
            query.push_str(&format!("fragment F{i} on Query {{ ...F{n} ...F{n} }}\n", n = i + 1));
        }
        query.push_str("fragment F40 on Query { editions { year } }\n");
        let too = refusal(&query);
        assert_eq!(too.limit, "cost");
        assert!(too.measured >= 1 << 40);
    }

    #[test]
    fn fragment_cycles_and_long_chains_are_refused_not_followed() {
        let cycle = "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }";
        assert_eq!(refusal(cycle).limit, "depth");
        let mut chain = String::from("{ ...F0 }\n");
        for i in 0..5_000 {
            chain.push_str(&format!("fragment F{i} on Query {{ ...F{} }}\n", i + 1));
        }
        chain.push_str("fragment F5000 on Query { editions { year } }\n");
        assert_eq!(refusal(&chain).limit, "depth");
    }

    #[test]
    fn depth_is_limited_apart_from_introspection() {
        // 13 levels of data
        let mut fields = vec![r#"country(iso3: "KAZ")"#, "scores", "indicator"];
        fields.extend(["parent"; 9]);
        let too = refusal(&nested(&fields, "slug"));
        assert_eq!((too.limit, too.measured, too.max), ("depth", 13, 12));
        // 15 levels of introspection pass
        let mut fields = vec!["__schema", "types", "fields", "args", "type"];
        fields.extend(["ofType"; 9]);
        let cost = cost_of(&nested(&fields, "kind")).unwrap();
        assert_eq!((cost.depth, cost.introspection_depth, cost.cost), (0, 15, 0));
    }

    #[test]
    fn the_standard_introspection_query_passes() {
        let cost = cost_of(STANDARD_INTROSPECTION).unwrap();
        assert_eq!((cost.cost, cost.introspection_depth), (0, 15));
        assert_eq!(model(Limits::default()).max_introspection_cost(), 2 * cost.introspection_cost);
    }

    #[test]
    fn introspection_has_bounds_of_its_own() {
        // every field's type's fields' types' fields …: 4 levels of `fields`
        let mut fields = vec!["__schema", "types"];
        fields.extend(["fields", "type"].repeat(4));
        assert_eq!(refusal(&nested(&fields, "name")).limit, "introspectionCost");
        let mut fields = vec!["__schema", "types"];
        fields.extend(["ofType"; 19]);
        let too = refusal(&nested(&fields, "name"));
        assert_eq!((too.limit, too.measured, too.max), ("introspectionDepth", 22, 20));
    }

    #[test]
    fn a_batch_counts_as_one_request() {
        let model = model(Limits::default());
        // 1 + 200 × (1 + 36 × 5) = 36,201 each, 108,603 for three
        let query = "{ countries { nodes { scores { value rank indicator { slug } } } } }";
        let one = model.measure(&mut Request::new(query)).unwrap();
        assert_eq!(one.cost, 36_201);
        assert!(model.check(&one).is_ok(), "{one:?}");
        let mut batch = BatchRequest::Batch((0..3).map(|_| Request::new(query)).collect());
        match model.check_batch(&mut batch) {
            Err(ApiError::QueryTooComplex(too)) => {
                assert_eq!((too.limit, too.measured), ("cost", 3 * one.cost))
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
}
