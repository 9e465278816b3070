//! A TCP proxy on 127.0.0.1 in front of Postgres, for fault tests: a server connected through
//! it loses every connection at once when the test cuts it, as in a network blip, while the
//! test (and other writers) still reach Postgres directly.
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

pub struct Proxy {
    pub port: u16,
    shared: Arc<Shared>,
    accepting: AbortHandle,
}

struct Shared {
    /// While false, new connections are closed as soon as they arrive.
    open: AtomicBool,
    relays: Mutex<Vec<AbortHandle>>,
}

impl Proxy {
    /// A proxy to `upstream` (e.g. `127.0.0.1:5432`) on a free loopback port.
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free loopback port");
        let port = listener.local_addr().expect("bound").port();
        let shared = Arc::new(Shared { open: AtomicBool::new(true), relays: Mutex::default() });
        let state = shared.clone();
        let accepting = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !state.open.load(Ordering::Acquire) {
                    drop(client);
                    continue;
                }
                let relay = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                let mut relays = state.relays.lock().expect("relays");
                relays.retain(|r| !r.is_finished());
                relays.push(relay.abort_handle());
            }
        })
        .abort_handle();
        Self { port, shared, accepting }
    }

    /// `url` (a Postgres URL on 127.0.0.1:5432) through this proxy.
    pub fn url(&self, url: &str) -> String {
        url.replacen("127.0.0.1:5432", &format!("127.0.0.1:{}", self.port), 1)
    }

    /// Drops every connection through the proxy and refuses new ones until [`Self::restore`].
    pub fn cut(&self) {
        self.shared.open.store(false, Ordering::Release);
        for relay in self.shared.relays.lock().expect("relays").drain(..) {
            relay.abort();
        }
    }

    /// Lets connections through again.
    pub fn restore(&self) {
        self.shared.open.store(true, Ordering::Release);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accepting.abort();
        self.cut();
    }
}
