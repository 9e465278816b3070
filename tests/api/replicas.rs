//! Read replicas against a real streaming replica: the test makes its own primary
//! (`wal_level=replica`) and a `pg_basebackup -R` replica of it with the installed Postgres 15,
//! on loopback ports of its own, in a temporary directory removed at the end.
use ocindex::config::Settings;
use ocindex::startup::Application;
use ocindex_tests::ADMIN_TOKEN;
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

const BIN: &str = "/usr/lib/postgresql/15/bin";

/// A primary and its streaming replica, stopped and deleted on drop.
struct Cluster {
    dir: PathBuf,
    primary: u16,
    replica: u16,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Runs a Postgres binary as the `postgres` user (Postgres refuses to run as root).
fn pg(binary: &str, args: &[&str]) {
    let output = Command::new("runuser")
        .args(["-u", "postgres", "--", &format!("{BIN}/{binary}")])
        .args(args)
        .output()
        .expect("runuser runs");
    assert!(
        output.status.success(),
        "{binary} {args:?}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

impl Cluster {
    fn start() -> Option<Self> {
        if !std::path::Path::new(BIN).join("pg_basebackup").exists() {
            let message =
                format!("{BIN}/pg_basebackup not found: the replica test needs Postgres 15");
            assert!(std::env::var_os("CI").is_none(), "{message}");
            eprintln!("SKIPPED: {message}");
            return None;
        }
        let dir =
            std::env::temp_dir().join(format!("ocindex-replica-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let cluster = Self { dir, primary: free_port(), replica: free_port() };
        let status =
            Command::new("chown").args(["postgres", cluster.dir.to_str().unwrap()]).status();
        assert!(status.unwrap().success());
        let primary = cluster.path("primary");
        pg("initdb", &["-D", &primary, "-A", "trust", "-U", "postgres", "--no-sync"]);
        let conf = format!(
            "port = {}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\n\
             wal_level = replica\nmax_wal_senders = 4\nfsync = off\n",
            cluster.primary,
            cluster.dir.display()
        );
        append(&format!("{primary}/postgresql.conf"), &conf);
        append(&format!("{primary}/pg_hba.conf"), "host replication postgres 127.0.0.1/32 trust\n");
        pg("pg_ctl", &["-D", &primary, "-l", &cluster.path("primary.log"), "-w", "start"]);
        let replica = cluster.path("replica");
        let port = cluster.primary.to_string();
        pg(
            "pg_basebackup",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &port,
                "-U",
                "postgres",
                "-D",
                &replica,
                "-R",
                "-X",
                "stream",
            ],
        );
        append(&format!("{replica}/postgresql.conf"), &format!("port = {}\n", cluster.replica));
        cluster.start_replica();
        Some(cluster)
    }

    fn path(&self, name: &str) -> String {
        self.dir.join(name).to_string_lossy().into_owned()
    }

    fn start_replica(&self) {
        pg(
            "pg_ctl",
            &["-D", &self.path("replica"), "-l", &self.path("replica.log"), "-w", "start"],
        );
    }

    fn stop_replica(&self) {
        pg("pg_ctl", &["-D", &self.path("replica"), "-m", "fast", "-w", "stop"]);
    }

    fn url(&self, port: u16) -> String {
        format!("postgres://postgres@127.0.0.1:{port}/ocindex")
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for node in ["replica", "primary"] {
            let _ = Command::new("runuser")
                .args(["-u", "postgres", "--", &format!("{BIN}/pg_ctl")])
                .args(["-D", &self.path(node), "-m", "immediate", "-w", "stop"])
                .output();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn append(path: &str, text: &str) {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

async fn json_of(response: reqwest::Response) -> Value {
    response.json().await.expect("a JSON body")
}

/// A statement counter of the `replica0` database from `/metrics`.
async fn replica_statements(client: &reqwest::Client, base: &str) -> f64 {
    let text = client.get(format!("{base}/metrics")).send().await.unwrap().text().await.unwrap();
    text.lines()
        .find(|l| {
            l.starts_with("ocindex_db_statements_total{") && l.contains("database=\"replica0\"")
        })
        .and_then(|l| l.rsplit_once(' ')?.1.parse().ok())
        .unwrap_or(0.0)
}

/// A public read that runs SQL (editions come from memory): a country's scores.
async fn scores(client: &reqwest::Client, base: &str, name: &str) {
    let query =
        format!("{name} {{ country(iso3: \"KAZ\") {{ scores(edition: 2021) {{ value }} }} }}");
    let body = json_of(
        client
            .post(format!("{base}/graphql"))
            .json(&json!({ "query": query }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(body["data"]["country"]["scores"].as_array().is_some_and(|s| !s.is_empty()), "{body}");
}

async fn replica_state(client: &reqwest::Client, base: &str) -> Value {
    let ready = json_of(client.get(format!("{base}/readyz")).send().await.unwrap()).await;
    ready["databases"][1].clone()
}

async fn wait_for(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let started = Instant::now();
    while !check().await {
        assert!(started.elapsed() < Duration::from_secs(20), "timed out waiting: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn public_reads_go_to_a_caught_up_replica_and_never_cache_a_stale_answer() {
    let Some(cluster) = Cluster::start() else { return };
    let mut settings = Settings::for_database(cluster.url(cluster.primary));
    settings.replica_urls = vec![cluster.url(cluster.replica)];
    settings.admin_token = Some(ADMIN_TOKEN.into());
    settings.load_sample = true;
    let app = Application::build(settings).await.expect("the server builds");
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    let editions = |query: &'static str, token: Option<&'static str>| {
        let client = client.clone();
        let url = format!("{base}/graphql");
        async move {
            let mut request = client.post(url).json(&json!({ "query": query }));
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            let body = json_of(request.send().await.unwrap()).await;
            assert!(body.get("errors").is_none(), "{body}");
            body["data"]["editions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["year"].as_i64().unwrap())
                .collect::<Vec<_>>()
        }
    };

    // the replica follows the primary's sample load, then takes the public reads
    wait_for("the replica in service and caught up", async || {
        let state = replica_state(&client, &base).await;
        state["reachable"] == true && state["caughtUp"] == true
    })
    .await;
    assert_eq!(editions("{ editions { year } }", None).await, [2021, 2023]);
    let before = replica_statements(&client, &base).await;
    scores(&client, &base, "query First").await;
    assert!(replica_statements(&client, &base).await > before, "the replica answered");

    // the replica stops replaying: it still holds 2023 as published
    let replica = Database::connect(cluster.url(cluster.replica)).await.unwrap();
    replica.execute_unprepared("SELECT pg_wal_replay_pause()").await.unwrap();
    client
        .post(format!("{base}/graphql"))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({ "query": "mutation { reopenEdition(year: 2023) { status } }" }))
        .send()
        .await
        .unwrap();
    let published = |db: sea_orm::DatabaseConnection| async move {
        let row = db
            .query_one(Statement::from_string(
                db.get_database_backend(),
                "SELECT count(*)::int AS n FROM editions WHERE status = 'PUBLISHED'",
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get::<i32>("", "n").unwrap()
    };
    // public reads are answered from the primary, fresh, and cached fresh
    for query in ["{ editions { year } }", "{editions{year}}", "query Again { editions { year } }"]
    {
        for _ in 0..3 {
            assert_eq!(editions(query, None).await, [2021], "{query}");
        }
    }
    assert_eq!(published(replica.clone()).await, 2, "the replica really is behind");
    // within a poll, /readyz shows how far behind the replica is
    wait_for("the replica reported behind", async || {
        let state = replica_state(&client, &base).await;
        state["caughtUp"] == false
            && state["lagBytes"].as_u64().is_some_and(|lag| lag > 0)
            && state["lagMs"].as_u64().is_some_and(|ms| ms > 0)
    })
    .await;
    assert_eq!(editions("query StillBehind { editions { year } }", None).await, [2021]);
    scores(&client, &base, "query WhileBehind").await;

    // replay resumes: the replica catches up and serves again, fresh
    replica.execute_unprepared("SELECT pg_wal_replay_resume()").await.unwrap();
    wait_for("the replica caught up again", async || {
        replica_state(&client, &base).await["caughtUp"] == true
    })
    .await;
    // and a replica with nothing left to replay is not behind, however old the last commit
    wait_for("the replica reported level", async || {
        replica_state(&client, &base).await["lagMs"] == 0
    })
    .await;
    assert_eq!(published(replica.clone()).await, 1);
    assert_eq!(editions("query AfterCatchUp { editions { year } }", None).await, [2021]);
    let before = replica_statements(&client, &base).await;
    scores(&client, &base, "query Second").await;
    assert!(replica_statements(&client, &base).await > before, "the replica answered again");
    // an admin's reads stay on the primary and see the draft
    assert_eq!(editions("{ editions { year } }", Some(ADMIN_TOKEN)).await, [2021, 2023]);
    replica.close().await.unwrap();

    // the replica goes away: it is taken out, reads go on from the primary, /readyz says so
    cluster.stop_replica();
    wait_for("the replica taken out", async || {
        replica_state(&client, &base).await["reachable"] == false
    })
    .await;
    assert_eq!(editions("query WhileDown { editions { year } }", None).await, [2021]);
    let ready = client.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200, "the primary alone serves");
    // and is back in service once it returns
    cluster.start_replica();
    wait_for("the replica back in service", async || {
        let state = replica_state(&client, &base).await;
        state["reachable"] == true && state["caughtUp"] == true
    })
    .await;
}
