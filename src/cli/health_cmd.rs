//! `wharf health`: asks the running gateway on this host whether it is alive, for a
//! container's HEALTHCHECK or a supervisor, where no curl is installed (the image carries
//! only Wharf).

use super::*;

pub(super) async fn health(s: &Settings, ready: bool) -> anyhow::Result<ExitCode> {
    // The configured listener, reached on loopback when it listens on every address.
    let mut addr = s.http_listen;
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr {
            std::net::SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            std::net::SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    let scheme = if s.http_tls.is_some() {
        "https"
    } else {
        "http"
    };
    let path = if ready { "/readyz" } else { "/healthz" };
    let url = format!("{scheme}://{addr}{path}");
    // Only this host's own listener is asked, by its address: its certificate names the
    // public host, not 127.0.0.1, and proving who answers is not this check's purpose.
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .tls_danger_accept_invalid_certs(s.http_tls.is_some())
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    match client.get(&url).send().await {
        Ok(r) => {
            let status = r.status();
            let body = r.text().await.unwrap_or_default();
            println!("{url}: {} {}", status.as_u16(), body.trim());
            Ok(if status.is_success() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Err(e) => {
            println!("{url}: no answer ({e})");
            Ok(ExitCode::from(1))
        }
    }
}
