//! Test support: each test gets its own database, cloned from a template that was migrated
//! (and, for tests on the official data, imported) once per version of the sources, and the
//! real server on a free port over it. The database is dropped when the test ends.
pub mod proxy;

use migration::MigratorTrait;
use ocindex::config::Settings;
use ocindex::startup::Application;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

pub const SERVER_URL: &str = "postgres://postgres@127.0.0.1:5432";
pub const ADMIN_TOKEN: &str = "test-admin-token";
const FINGERPRINT: &str = env!("OCINDEX_SOURCE_FINGERPRINT");

/// A running server over a database of its own.
pub struct TestApp {
    pub address: String,
    pub db: DatabaseConnection,
    /// SQL statements the server has run so far.
    pub statements: Arc<AtomicU64>,
    pub database: TestDatabase,
    client: reqwest::Client,
    server: tokio::task::AbortHandle,
}

/// What a database starts with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Content {
    /// Migrated: reference data only (indicators, the 193 countries), no edition.
    Empty,
    /// The bundled sample (Kazakhstan and Kyrgyzstan, 2021 and 2023).
    Sample,
    /// The official dataset from ../shared/data (see [`dataset_path`]).
    Official,
}

impl TestApp {
    /// Starts the server over a new database with `content`. For [`Content::Official`],
    /// returns `None` (after saying so) when the dataset is not on this machine.
    pub async fn spawn(content: Content) -> Option<Self> {
        Self::spawn_with(content, |_| {}).await
    }

    /// Like [`Self::spawn`], with settings changed by `configure` (limits, timeouts, …).
    pub async fn spawn_with(
        content: Content,
        configure: impl FnOnce(&mut Settings),
    ) -> Option<Self> {
        if content == Content::Official {
            dataset_path()?;
        }
        let database = TestDatabase::create(content).await;
        let mut settings = test_settings(&database.url());
        configure(&mut settings);
        let app = Application::build(settings).await.expect("the application builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        let db = app.db().clone();
        let statements = app.statements();
        let server = tokio::spawn(app.run_until_stopped()).abort_handle();
        Some(Self { address, db, statements, database, client: reqwest::Client::new(), server })
    }

    /// Another server over this test's database, as in a fleet or after a restart.
    pub async fn another_server(&self, configure: impl FnOnce(&mut Settings)) -> Server {
        let mut settings = test_settings(&self.database.url());
        configure(&mut settings);
        let app = Application::build(settings).await.expect("the application builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        Server { address, task: tokio::spawn(app.run_until_stopped()).abort_handle() }
    }

    /// Stops the server at once, as a crash would (its database stays).
    pub fn kill(&self) {
        self.server.abort();
    }

    /// POSTs a GraphQL request and returns the whole response body.
    pub async fn graphql(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        let mut request = self.client.post(format!("{}/graphql", self.address));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response =
            request.json(&json!({ "query": query, "variables": variables })).send().await;
        response.expect("the server answers").json().await.expect("a JSON body")
    }

    /// An anonymous query that must succeed; returns its `data`.
    pub async fn query(&self, query: &str, variables: Value) -> Value {
        let body = self.graphql(query, variables, None).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
        body["data"].clone()
    }

    /// An anonymous query that must fail; returns its first error.
    pub async fn query_error(&self, query: &str, variables: Value) -> Value {
        let body = self.graphql(query, variables, None).await;
        body["errors"][0].clone()
    }

    /// A request with `token` that must succeed; returns its `data`.
    pub async fn ok(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let body = self.graphql(query, variables, token).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
        body["data"].clone()
    }

    /// A request with `token` that must fail; returns its first error.
    pub async fn refused(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let body = self.graphql(query, variables, token).await;
        assert!(
            body["errors"].as_array().is_some_and(|e| !e.is_empty()),
            "expected an error: {body:#}"
        );
        body["errors"][0].clone()
    }

    /// POSTs a GraphQL multipart request (the GraphQL multipart request spec) whose variable
    /// `file` is the upload `bytes`; returns the whole response body.
    pub async fn graphql_upload(
        &self,
        query: &str,
        mut variables: Value,
        bytes: Vec<u8>,
        token: Option<&str>,
    ) -> Value {
        variables["file"] = Value::Null;
        let operations = json!({ "query": query, "variables": variables });
        let file = reqwest::multipart::Part::bytes(bytes)
            .file_name("global_oc_index.xlsx")
            .mime_str("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            .expect("a valid MIME type");
        let form = reqwest::multipart::Form::new()
            .text("operations", operations.to_string())
            .text("map", json!({ "0": ["variables.file"] }).to_string())
            .part("0", file);
        let mut request = self.client.post(format!("{}/graphql", self.address)).multipart(form);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("the server answers");
        response.json().await.expect("a JSON body")
    }

    /// A request builder for `method` at `path` on this server, with no headers set.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, format!("{}{}", self.address, path))
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{}", self.address, path))
            .send()
            .await
            .expect("the server answers")
    }
}

/// A further server of a test, stopped when dropped.
pub struct Server {
    pub address: String,
    task: tokio::task::AbortHandle,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn test_settings(database_url: &str) -> Settings {
    let mut settings = Settings::for_database(database_url);
    settings.admin_token = Some(ADMIN_TOKEN.into());
    // tests spend as much as they need; the quotas are tested on their own (quotas.rs)
    settings.quotas.anonymous = 0;
    settings.quotas.key = 0;
    settings
}

/// A database of one test, dropped with it.
pub struct TestDatabase {
    pub name: String,
}

impl TestDatabase {
    pub async fn create(content: Content) -> Self {
        let template = template(content).await;
        let name = format!("ocindex_test_{}", uuid::Uuid::new_v4().simple());
        let server = connect_server().await;
        server
            .execute_unprepared(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
            .await
            .expect("cloning the template database");
        server.close().await.ok();
        Self { name }
    }

    pub fn url(&self) -> String {
        format!("{SERVER_URL}/{}", self.name)
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs outside any runtime we may block on: do the async work on a thread.
        let dropped = std::thread::spawn(move || {
            let runtime =
                tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                let server = Database::connect(format!("{SERVER_URL}/postgres")).await.ok()?;
                server
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await
                    .ok()?;
                server.close().await.ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(()))) {
            eprintln!("warning: test database {} was not dropped", self.name);
        }
    }
}

/// One session (not a pool): the advisory lock below belongs to a session.
async fn connect_server() -> DatabaseConnection {
    let options = sea_orm::ConnectOptions::new(format!("{SERVER_URL}/postgres"))
        .max_connections(1)
        .sqlx_logging(false)
        .to_owned();
    Database::connect(options)
        .await
        .expect("Postgres at 127.0.0.1:5432 (start it: pg_ctlcluster 15 main start)")
}

/// The template for `content`, built once per version of the sources (and of the dataset).
/// An advisory lock serialises builders across threads and test processes.
async fn template(content: Content) -> String {
    let suffix = match content {
        Content::Empty => "empty".to_owned(),
        Content::Sample => "sample".to_owned(),
        Content::Official => {
            let bytes = std::fs::read(dataset_path().expect("checked by the caller"))
                .expect("dataset readable");
            format!("official_{:08x}", fingerprint(&bytes) as u32)
        }
    };
    // checkouts that share a target directory can share the build script's fingerprint: the
    // migrations compiled into this binary keep their templates apart
    let migrations: Vec<String> =
        migration::Migrator::migrations().iter().map(|m| m.name().to_owned()).collect();
    let name = format!(
        "ocindex_tpl_{FINGERPRINT}_{:08x}_{suffix}",
        fingerprint(migrations.join(",").as_bytes()) as u32
    );
    let server = connect_server().await;
    server.execute_unprepared("SELECT pg_advisory_lock(727274)").await.expect("advisory lock");
    let exists = server
        .query_one(sea_orm::Statement::from_string(
            server.get_database_backend(),
            format!("SELECT 1 FROM pg_database WHERE datname = '{name}'"),
        ))
        .await
        .expect("listing databases")
        .is_some();
    if !exists {
        build_template(&server, &name, content).await;
    }
    // stamped at every use: templates of other checkouts are dropped only once unused a while
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    server
        .execute_unprepared(&format!("COMMENT ON DATABASE {name} IS '{now}'"))
        .await
        .expect("stamp");
    server.execute_unprepared("SELECT pg_advisory_unlock(727274)").await.expect("advisory unlock");
    server.close().await.ok();
    name
}

async fn build_template(server: &DatabaseConnection, name: &str, content: Content) {
    // Templates of other sources are stale once no test has used them for ten minutes;
    // fresher ones may belong to another checkout whose tests are running now.
    let stale = server
        .query_all(sea_orm::Statement::from_string(
            server.get_database_backend(),
            format!(
                "SELECT d.datname FROM pg_database d
                 LEFT JOIN pg_shdescription s ON s.objoid = d.oid AND s.classoid = 'pg_database'::regclass
                 WHERE d.datname LIKE 'ocindex_tpl_%' AND d.datname NOT LIKE 'ocindex_tpl_{FINGERPRINT}_%'
                   AND coalesce(s.description, '0')::bigint < extract(epoch FROM now())::bigint - 600"
            ),
        ))
        .await
        .expect("listing templates");
    for row in stale {
        let old: String = row.try_get("", "datname").expect("datname");
        server
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {old} WITH (FORCE)"))
            .await
            .ok();
    }
    let building = format!("{name}_building");
    server
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"))
        .await
        .expect("drop");
    server
        .execute_unprepared(&format!("CREATE DATABASE {building}"))
        .await
        .expect("create template");
    let db = Database::connect(format!("{SERVER_URL}/{building}")).await.expect("connect template");
    migration::Migrator::up(&db, None).await.expect("migrations apply");
    match content {
        Content::Empty => {}
        Content::Sample => {
            assert!(ocindex::workflow::import::sample(&db).await.expect("sample loads"));
        }
        Content::Official => {
            let bytes = std::fs::read(dataset_path().expect("dataset")).expect("dataset readable");
            let operator = ocindex::auth::Actor::command_line();
            let report = ocindex::workflow::import::dataset(&db, &operator, &bytes, false)
                .await
                .expect("import runs");
            assert!(report.succeeded(), "the official dataset imports: {report}");
        }
    }
    db.close().await.expect("close template");
    // renamed only when complete, so a crashed build never leaves a half-made template
    server
        .execute_unprepared(&format!("ALTER DATABASE {building} RENAME TO {name}"))
        .await
        .expect("rename");
}

fn fingerprint(bytes: &[u8]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut hasher);
    hasher.finish()
}

/// A file from ../shared (or from where `variable` points). When it is absent the test is
/// skipped with a message; under CI (`CI` set) that is a failure instead.
fn shared_file(variable: &str, relative: &str) -> Option<PathBuf> {
    let path = std::env::var_os(variable).map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared").join(relative)
    });
    if path.exists() {
        return Some(path);
    }
    let message = format!("{} not found (set {variable} to its location)", path.display());
    if std::env::var_os("CI").is_some() {
        panic!("{message}: CI must run every test");
    }
    eprintln!("SKIPPED: {message}");
    None
}

/// The official dataset: `OCINDEX_DATASET`, or ../shared/data/global_oc_index.xlsx.
pub fn dataset_path() -> Option<PathBuf> {
    shared_file("OCINDEX_DATASET", "data/global_oc_index.xlsx")
}

/// The seed texts: `OCINDEX_SEEDS`, or ../shared/seeds.
pub fn seeds_dir() -> Option<PathBuf> {
    shared_file("OCINDEX_SEEDS", "seeds")
}
