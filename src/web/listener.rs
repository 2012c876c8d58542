//! The HTTP listener's accept loop: every connection is counted
//! against its client address and all clients before anything is read from it, the request
//! line and headers (and a TLS handshake) must arrive within `[http] header_timeout_ms`, and a
//! request body that sends nothing for `body_timeout_ms` is cut, so a slow or greedy client
//! holds at most its own few connections, each for a bounded time. `axum::serve` has none of
//! these, hence hyper's HTTP/1 connection served here directly.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;
use tower_http::timeout::TimeoutBody;

use super::Peer;
use crate::config::HttpLimits;

/// Why a connection was closed at accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("{0} connections already open from this address ([http] max_connections_per_address)")]
    FromAddress(usize),
    #[error("{0} connections already open ([http] max_connections)")]
    Total(usize),
}

#[derive(Debug, Default)]
struct Counts {
    per_address: HashMap<IpAddr, usize>,
    total: usize,
}

/// The open connections, per client address and in all.
#[derive(Debug, Clone)]
pub struct Admission {
    counts: Arc<Mutex<Counts>>,
    per_address: usize,
    total: usize,
}

/// One admitted connection; dropping it (the connection closed) frees its place.
#[derive(Debug)]
pub struct Admitted {
    counts: Arc<Mutex<Counts>>,
    ip: IpAddr,
}

impl Admission {
    pub fn new(limits: &HttpLimits) -> Self {
        Self {
            counts: Arc::default(),
            per_address: limits.max_connections_per_address,
            total: limits.max_connections,
        }
    }

    /// A place for a connection from `ip`, or why there is none.
    pub fn admit(&self, ip: IpAddr) -> Result<Admitted, Refusal> {
        // A panic while the lock was held cannot leave the counts half-changed (each change
        // is one statement), so a poisoned lock is still good to use.
        let mut c = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        if c.total >= self.total {
            return Err(Refusal::Total(c.total));
        }
        let mine = c.per_address.entry(ip).or_insert(0);
        if *mine >= self.per_address {
            return Err(Refusal::FromAddress(*mine));
        }
        *mine += 1;
        c.total += 1;
        Ok(Admitted {
            counts: self.counts.clone(),
            ip,
        })
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut c = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        c.total = c.total.saturating_sub(1);
        if let Some(n) = c.per_address.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                // Addresses seen once are forgotten, so the map stays as small as what is open.
                c.per_address.remove(&self.ip);
            }
        }
    }
}

/// Serves `app` on `listener` until `shutdown` turns true, then lets open requests finish.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: HttpLimits,
    mut shutdown: watch::Receiver<bool>,
    tls: Option<TlsAcceptor>,
) -> std::io::Result<()> {
    let admission = Admission::new(&limits);
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            // A dropped sender means the program is ending as well.
            _ = async { let _ = shutdown.wait_for(|stop| *stop).await; } => break,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of descriptors and the like: wait rather than spin.
                tracing::warn!(error = %e, "HTTP accept");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let admitted = match admission.admit(peer.ip()) {
            Ok(a) => a,
            Err(why) => {
                // Closed before a byte is read: the cheapest answer to a flood.
                tracing::debug!(%peer, %why, "HTTP connection closed at accept");
                drop(stream);
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let (http, app, tls, watcher) =
            (http.clone(), app.clone(), tls.clone(), graceful.watcher());
        tokio::spawn(async move {
            let _admitted = admitted;
            match tls {
                None => connection(&http, stream, peer, app, limits, watcher).await,
                Some(acceptor) => {
                    // The handshake is part of what must arrive before the first request.
                    match tokio::time::timeout(limits.header_timeout, acceptor.accept(stream)).await
                    {
                        Ok(Ok(tls)) => connection(&http, tls, peer, app, limits, watcher).await,
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                }
            }
        });
    }
    // No new connections; idle ones are closed, requests under way are answered.
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// One HTTP/1.1 connection: each request carries the client's address (the handlers'
/// `ConnectInfo<Peer>`) and a body that times out when it stalls.
async fn connection<IO>(
    http: &hyper::server::conn::http1::Builder,
    io: IO,
    peer: SocketAddr,
    app: Router,
    limits: HttpLimits,
    watcher: hyper_util::server::graceful::Watcher,
) where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(Peer(peer)));
        let request = request.map(|body| TimeoutBody::new(limits.body_timeout, body));
        let mut app = app.clone();
        async move {
            // The router is always ready (axum documents it), so no poll_ready first.
            let response: Result<axum::response::Response, Infallible> =
                tower_service::Service::call(&mut app, request).await;
            response
        }
    });
    let conn = http.serve_connection(TokioIo::new(io), service);
    if let Err(e) = watcher.watch(conn).await {
        // A header timeout, a client gone mid-request: the client's affair, not an alert.
        tracing::debug!(%peer, error = %e, "HTTP connection ended");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_are_counted_per_address_and_in_all_and_freed_on_drop() {
        let admission = Admission::new(&HttpLimits {
            max_connections_per_address: 2,
            max_connections: 3,
            ..HttpLimits::default()
        });
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let first = admission.admit(a).unwrap();
        let _second = admission.admit(a).unwrap();
        assert_eq!(admission.admit(a).unwrap_err(), Refusal::FromAddress(2));
        let _third = admission.admit(b).unwrap();
        assert_eq!(admission.admit(b).unwrap_err(), Refusal::Total(3));
        drop(first);
        assert!(admission.admit(a).is_ok());
        // The place taken just now was dropped at once: the address has one open again.
        assert_eq!(
            admission.counts.lock().unwrap().per_address.get(&a),
            Some(&1)
        );
    }
}
