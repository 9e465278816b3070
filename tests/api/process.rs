//! The server as a separate process (`ocindex serve`), for what only a process shows: its
//! log on standard error, its exit after SIGTERM, its trace export. It listens on a free
//! loopback port, and is killed if a test ends without stopping it.
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct ServerProcess {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub address: String,
    lines: Arc<Mutex<Vec<String>>>,
}

impl ServerProcess {
    /// Starts `ocindex serve` on `database_url` with JSON logs, plus `env`; waits until it
    /// serves (at most 60 s).
    pub fn start(database_url: &str, env: &[(&str, &str)]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ocindex-server"));
        command
            .arg("serve")
            .env("DATABASE_URL", database_url)
            .env("OCINDEX_BIND", "127.0.0.1:0")
            .env("OCINDEX_LOG_FORMAT", "json")
            .env("RUST_LOG", "info")
            .env("OCINDEX_SAMPLE", "false")
            .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
            .env_remove("DATABASE_REPLICA_URLS")
            .env_remove("OCINDEX_METRICS_BIND")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("the server starts");
        let stderr = child.stderr.take().expect("stderr is piped");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().expect("log lines").push(line);
            }
        });
        let mut server = Self { child, address: String::new(), lines };
        let started = Instant::now();
        let address = loop {
            let found = server.log().iter().find_map(|line| {
                let entry: serde_json::Value = serde_json::from_str(line).ok()?;
                (entry["fields"]["message"] == "serving GraphQL at /graphql")
                    .then(|| entry["fields"]["address"].as_str().map(str::to_owned))?
            });
            if let Some(address) = found {
                break address;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("the server exited ({status}): {:#?}", server.log());
            }
            assert!(started.elapsed() < Duration::from_secs(60), "the server never served");
            std::thread::sleep(Duration::from_millis(50));
        };
        server.address = format!("http://{address}");
        server
    }

    /// Every line the server has logged so far.
    pub fn log(&self) -> Vec<String> {
        self.lines.lock().expect("log lines").clone()
    }

    /// The log lines as JSON objects (every line is one with `OCINDEX_LOG_FORMAT=json`).
    pub fn log_entries(&self) -> Vec<serde_json::Value> {
        self.log()
            .iter()
            .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
            .collect()
    }

    /// Sends SIGTERM, as an orchestrator stopping the server does.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "SIGTERM was delivered");
    }

    /// Waits for the process to exit (at most `limit`); `None` when it is still running.
    pub fn wait(&mut self, limit: Duration) -> Option<ExitStatus> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("the process can be waited on") {
                // let the reader thread drain the last lines
                std::thread::sleep(Duration::from_millis(100));
                return Some(status);
            }
            if started.elapsed() > limit {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
