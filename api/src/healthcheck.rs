//! `ocindex healthcheck`: probes a running server's `/readyz` for container health checks
//! (the image has no curl). Exit status 0 only when the server answers 200 in time, so the
//! check fails when the server is down, hung or cut off from its database.
use anyhow::Context as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

/// The probe's URL for a server bound to `bind`: a wildcard address is reached on loopback.
pub fn readyz_url(bind: SocketAddr) -> String {
    let ip = match bind.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}/readyz", SocketAddr::new(ip, bind.port()))
}

/// GETs `url` within `timeout`; Ok only for a 200.
pub async fn probe(url: &str, timeout: Duration) -> anyhow::Result<String> {
    let client = reqwest::Client::builder().timeout(timeout).build()?;
    let response = client.get(url).send().await.with_context(|| format!("no answer from {url}"))?;
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    anyhow::ensure!(status.is_success(), "{url} answered {status}: {body}");
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wildcard_bind_is_probed_on_loopback() {
        assert_eq!(readyz_url("0.0.0.0:8080".parse().unwrap()), "http://127.0.0.1:8080/readyz");
        assert_eq!(readyz_url("[::]:80".parse().unwrap()), "http://[::1]:80/readyz");
        assert_eq!(readyz_url("10.0.0.5:9".parse().unwrap()), "http://10.0.0.5:9/readyz");
    }
}
