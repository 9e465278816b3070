//! Serving the router on a listener, with what a public server needs beyond axum's `serve`:
//! a bound on open connections, and clients that must keep moving. Every connection has to
//! send the complete head of a request within the header timeout (counted from its opening,
//! or from the first byte of a later request: a slowloris that dribbles its headers is cut),
//! and a kept-alive connection idle longer than the idle timeout is closed. At the connection
//! limit the connection idle the longest makes room for the newcomer, so that idle sockets
//! can never keep a client from being answered.
//!
//! A connection is cut only when no request of it is in flight. On shutdown the listener
//! closes at once, the requests in flight finish and their connections close, as with
//! axum's graceful shutdown.
use crate::telemetry::names;
use axum::body::Body;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify, OwnedSemaphorePermit, Semaphore};
use tower::Service as _;

/// How long and how many connections may be kept.
#[derive(Clone, Copy, Debug)]
pub struct ConnectionLimits {
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: usize,
}

impl From<&crate::config::ConnectionSettings> for ConnectionLimits {
    fn from(settings: &crate::config::ConnectionSettings) -> Self {
        Self {
            header_timeout: Duration::from_millis(settings.header_timeout_ms),
            idle_timeout: Duration::from_millis(settings.idle_timeout_ms),
            max_connections: settings.max_connections as usize,
        }
    }
}

/// "Not reading a request head" in [`Connection::head_since`].
const NO_HEAD: u64 = u64::MAX;

/// What the accept loop and a connection's task know of one connection.
struct Connection {
    /// Milliseconds since [`Open::clock`] of the last byte read or written.
    active_at: AtomicU64,
    /// Since when a request head is being read (the connection's opening, or the first byte
    /// read while no request is in flight), or [`NO_HEAD`].
    head_since: AtomicU64,
    in_flight: AtomicUsize,
    /// Asked to close to make room for a newcomer.
    evict: Notify,
    /// Its task still serves HTTP on it (not after an upgrade to WebSocket).
    served: AtomicBool,
}

/// The open connections, for the connection limit.
struct Open {
    clock: Instant,
    connections: Mutex<HashMap<u64, Arc<Connection>>>,
}

impl Open {
    fn now(&self) -> u64 {
        self.clock.elapsed().as_millis() as u64
    }

    /// Asks the connection idle the longest (no request in flight) to close; false when every
    /// connection is busy.
    fn evict_one(&self) -> bool {
        let Ok(connections) = self.connections.lock() else { return false };
        let idlest = connections
            .values()
            .filter(|c| {
                c.served.load(Ordering::Acquire) && c.in_flight.load(Ordering::Acquire) == 0
            })
            .min_by_key(|c| c.active_at.load(Ordering::Relaxed));
        match idlest {
            Some(connection) => {
                connection.evict.notify_one();
                true
            }
            None => false,
        }
    }
}

/// A client's socket, noting its activity; it holds its place under the connection limit
/// until dropped (after an upgrade to WebSocket too).
struct Tracked {
    stream: TcpStream,
    id: u64,
    connection: Arc<Connection>,
    open: Arc<Open>,
    _slot: OwnedSemaphorePermit,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        if let Ok(mut connections) = self.open.connections.lock() {
            connections.remove(&self.id);
        }
        metrics::gauge!(names::CONNECTIONS_OPEN).decrement(1.0);
    }
}

impl AsyncRead for Tracked {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.stream).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            let now = this.open.now();
            this.connection.active_at.store(now, Ordering::Relaxed);
            if this.connection.in_flight.load(Ordering::Acquire) == 0 {
                // the first byte of a request head starts its clock
                let _ = this.connection.head_since.compare_exchange(
                    NO_HEAD,
                    now,
                    Ordering::AcqRel,
                    Ordering::Relaxed,
                );
            }
        }
        polled
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.stream).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            this.connection.active_at.store(this.open.now(), Ordering::Relaxed);
        }
        polled
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.stream).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            this.connection.active_at.store(this.open.now(), Ordering::Relaxed);
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

/// A request in flight on a connection: its head is read, and the connection may not be cut.
struct InFlight(Arc<Connection>);

impl InFlight {
    fn start(connection: &Arc<Connection>) -> Self {
        connection.in_flight.fetch_add(1, Ordering::AcqRel);
        connection.head_since.store(NO_HEAD, Ordering::Release);
        Self(connection.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Serves `router` on `listener` until `shutdown` completes, then lets the requests in flight
/// finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    // closed once shutdown begins
    let (stopping_tx, stopping_rx) = watch::channel(());
    tokio::spawn(async move {
        shutdown.await;
        drop(stopping_rx);
    });
    // every connection task holds a receiver: all dropped once they are all done
    let (done_tx, done_rx) = watch::channel(());
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let open = Arc::new(Open { clock: Instant::now(), connections: Mutex::default() });
    // HTTP/1.1, as axum serves it by default (WebSocket upgrades included)
    let builder = Builder::new(TokioExecutor::new());
    let mut next_id = 0u64;
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    accept_failed(err).await;
                    continue;
                }
            },
            () = stopping_tx.closed() => break,
        };
        let slot = match slots.clone().try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => {
                // full: the idlest connection makes room; if every one is busy, the newcomer
                // waits for a slot as long as it would have to send its headers
                open.evict_one();
                let wait =
                    tokio::time::timeout(limits.header_timeout, slots.clone().acquire_owned());
                tokio::select! {
                    slot = wait => match slot {
                        Ok(Ok(slot)) => slot,
                        _ => {
                            metrics::counter!(names::CONNECTIONS_CLOSED, "reason" => "full").increment(1);
                            continue;
                        }
                    },
                    () = stopping_tx.closed() => break,
                }
            }
        };
        let _ = stream.set_nodelay(true);
        next_id += 1;
        let now = open.now();
        let connection = Arc::new(Connection {
            active_at: AtomicU64::new(now),
            // a new connection owes its first request head from now on
            head_since: AtomicU64::new(now),
            in_flight: AtomicUsize::new(0),
            evict: Notify::new(),
            served: AtomicBool::new(true),
        });
        if let Ok(mut connections) = open.connections.lock() {
            connections.insert(next_id, connection.clone());
        }
        metrics::gauge!(names::CONNECTIONS_OPEN).increment(1.0);
        let io = Tracked {
            stream,
            id: next_id,
            connection: connection.clone(),
            open: open.clone(),
            _slot: slot,
        };
        tokio::spawn(serve_connection(
            builder.clone(),
            io,
            remote,
            router.clone(),
            limits,
            stopping_tx.clone(),
            done_rx.clone(),
        ));
    }
    drop(done_rx);
    drop(listener);
    done_tx.closed().await;
}

/// Serves one connection until it closes, is cut by a timeout or evicted, or the server stops
/// (then it finishes its request in flight first).
async fn serve_connection(
    builder: Builder<TokioExecutor>,
    io: Tracked,
    remote: std::net::SocketAddr,
    router: Router,
    limits: ConnectionLimits,
    stopping: watch::Sender<()>,
    _done: watch::Receiver<()>,
) {
    let connection = io.connection.clone();
    let open = io.open.clone();
    let requests = connection.clone();
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let in_flight = InFlight::start(&requests);
        let mut router = router.clone();
        async move {
            let mut request = request.map(Body::new);
            // the peer's address identifies anonymous callers to the quotas
            request.extensions_mut().insert(axum::extract::ConnectInfo(remote));
            let response = router.call(request).await;
            drop(in_flight);
            response
        }
    });
    let mut served = pin!(builder.serve_connection_with_upgrades(TokioIo::new(io), service));
    let mut stopping = pin!(stopping.closed());
    let mut shutting_down = false;
    let check_every = (limits.header_timeout.min(limits.idle_timeout) / 4)
        .clamp(Duration::from_millis(5), Duration::from_secs(1));
    let mut tick = tokio::time::interval(check_every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let cut = loop {
        tokio::select! {
            _ = served.as_mut() => break None,
            () = &mut stopping, if !shutting_down => {
                served.as_mut().graceful_shutdown();
                shutting_down = true;
            }
            () = connection.evict.notified() => {
                if connection.in_flight.load(Ordering::Acquire) == 0 {
                    break Some("evicted");
                }
            }
            _ = tick.tick() => {
                if connection.in_flight.load(Ordering::Acquire) > 0 {
                    continue;
                }
                let now = open.now();
                let head_since = connection.head_since.load(Ordering::Acquire);
                if head_since != NO_HEAD {
                    if now.saturating_sub(head_since) >= limits.header_timeout.as_millis() as u64 {
                        break Some("header_timeout");
                    }
                } else if now.saturating_sub(connection.active_at.load(Ordering::Relaxed))
                    >= limits.idle_timeout.as_millis() as u64
                {
                    break Some("idle_timeout");
                }
            }
        }
    };
    // nothing is in flight when a connection is cut: dropping it closes the socket
    connection.served.store(false, Ordering::Release);
    if let Some(reason) = cut {
        metrics::counter!(names::CONNECTIONS_CLOSED, "reason" => reason).increment(1);
    }
}

/// A failed accept: a client that gave up is nothing; anything else (out of file
/// descriptors) is logged and waited out for a moment, when connections may have closed.
async fn accept_failed(err: io::Error) {
    if matches!(
        err.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %err, "accepting a connection failed");
    tokio::time::sleep(Duration::from_millis(100)).await;
}
