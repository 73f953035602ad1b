//! Serving a simulator: binding, serving in the background until a stop
//! switch turns, graceful shutdown, a handle that stops the server when
//! dropped, a runtime of its own for callers that are not async, and the
//! path normalisation of an ASP.NET/IIS server.

use axum::Router;
use axum::extract::Request;
use axum::http::{Uri, uri::PathAndQuery};
use axum::middleware::Next;
use axum::response::Response;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// How long shutdown waits for open calls before it drops them.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// Binds `addr`; answers the listener and the real address (port 0 picks
/// a free port).
pub async fn bind(addr: SocketAddr) -> std::io::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    Ok((listener, local))
}

/// A new stop switch: the sender goes into the handle, receivers into the
/// server and every background task.
pub fn stop_switch() -> (watch::Sender<bool>, watch::Receiver<bool>) {
    watch::channel(false)
}

/// Resolves once the switch turns (or its sender goes away).
pub async fn stopped(mut rx: watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}

/// Sleeps, but wakes early when the switch turns. True when the full time
/// passed.
pub async fn sleep_unless_stopped(shutdown: &watch::Receiver<bool>, duration: Duration) -> bool {
    let mut shutdown = shutdown.clone();
    tokio::select! {
        _ = tokio::time::sleep(duration) => true,
        _ = shutdown.wait_for(|stop| *stop) => false,
    }
}

/// Serves `app` until the switch turns; open calls then get
/// [`SHUTDOWN_GRACE`] to finish.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let graceful = axum::serve(listener, app).with_graceful_shutdown(stopped(shutdown.clone()));
    tokio::select! {
        r = graceful => r,
        _ = async { stopped(shutdown).await; tokio::time::sleep(SHUTDOWN_GRACE).await } => Ok(()),
    }
}

/// [`serve`] on a task of the current runtime; errors are logged.
pub fn spawn_serve(listener: TcpListener, app: Router, shutdown: watch::Receiver<bool>) {
    tokio::spawn(async move {
        if let Err(e) = serve(listener, app, shutdown).await {
            tracing::error!("simulator server failed: {e}");
        }
    });
}

/// The running server behind a simulator's handle: its address and stop
/// switch, and the thread of its own runtime if it has one. Dropping it
/// stops the server (and joins that thread).
#[derive(Debug)]
pub struct ServerHandle {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ServerHandle {
    pub fn new(addr: SocketAddr, stop: watch::Sender<bool>) -> Self {
        Self {
            addr,
            stop,
            thread: None,
        }
    }

    /// The address listened on (the real port, also when started on 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A second handle on the same switch, owning no thread (used to hand a
    /// handle out of the background thread).
    pub fn detach(&self) -> ServerHandle {
        ServerHandle::new(self.addr, self.stop.clone())
    }

    /// Turns the stop switch.
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }

    /// A receiver of the stop switch.
    pub fn subscribe(&self) -> watch::Receiver<bool> {
        self.stop.subscribe()
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A simulator handle that wraps a [`ServerHandle`], so that it can be
/// started on a runtime of its own by [`start_in_background`].
pub trait Backgroundable: Send + Sized + 'static {
    fn server(&self) -> &ServerHandle;
    fn server_mut(&mut self) -> &mut ServerHandle;
    /// A second handle on the same simulator, owning no thread.
    fn detach(&self) -> Self;
}

/// Runs `start` on a new two-thread runtime on its own thread (named
/// `name`) and hands back the handle it made; dropping that handle stops
/// the server and ends the thread. For tests and programs that are not
/// async.
pub fn start_in_background<H, E, F, Fut>(
    name: &str,
    start: F,
    runtime_error: fn(std::io::Error) -> E,
) -> Result<H, E>
where
    H: Backgroundable,
    E: Send + 'static,
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = Result<H, E>>,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(name)
        .enable_all()
        .build()
        .map_err(runtime_error)?;
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let thread = std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            runtime.block_on(async move {
                match start().await {
                    Ok(handle) => {
                        let mut stopped = handle.server().subscribe();
                        // The server task lives on this runtime; hand the
                        // handle over and wait here until told to stop.
                        let _ = ready_tx.send(Ok(handle.detach()));
                        let _ = stopped.wait_for(|s| *s).await;
                        drop(handle);
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                }
            });
            runtime.shutdown_timeout(Duration::from_secs(1));
        })
        .map_err(runtime_error)?;
    let mut handle = ready_rx
        .recv()
        .map_err(|_| runtime_error(std::io::Error::other("simulator thread died")))??;
    handle.server_mut().thread = Some(thread);
    Ok(handle)
}

/// The path as the client sent it, before [`normalize_path`] changed it
/// (request extension), for path parameters whose case matters.
#[derive(Debug, Clone)]
pub struct OriginalPath(pub String);

/// IIS/ASP.NET route case-insensitively and ignore a trailing slash: paths
/// under one of `bases` (compared case-insensitively) are lower-cased
/// (routes are registered in lower case) and trimmed. The original path
/// goes into the request as [`OriginalPath`].
pub async fn normalize_path(bases: &[&str], mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let matches = bases.iter().any(|base| {
        path.get(..base.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(base))
    });
    if matches {
        let mut normalized = path.to_ascii_lowercase();
        while normalized.len() > 1 && normalized.ends_with('/') {
            normalized.pop();
        }
        if let Some(q) = req.uri().query() {
            normalized = format!("{normalized}?{q}");
        }
        let mut parts = req.uri().clone().into_parts();
        if let Ok(pq) = PathAndQuery::try_from(normalized) {
            parts.path_and_query = Some(pq);
            if let Ok(uri) = Uri::from_parts(parts) {
                *req.uri_mut() = uri;
            }
        }
    }
    req.extensions_mut().insert(OriginalPath(path));
    next.run(req).await
}
