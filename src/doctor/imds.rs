//! Checks of the EC2 instance metadata service: an IMDSv2 token within a second, `NO_PROXY`
//! covering 169.254.169.254 when a proxy is set, and the hop limit inside containers.
//!
//! Plain `TcpStream` with 1 s timeouts: a dead endpoint is reported in about a second, with
//! no SDK config built.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use super::Check;
use crate::env::Context;

const DEFAULT_ENDPOINT: &str = "http://169.254.169.254";
const TIMEOUT: Duration = Duration::from_secs(1);
const NAME: &str = "instance metadata";

/// Whether this machine looks like an EC2 instance.
pub fn on_ec2() -> bool {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    read("/sys/hypervisor/uuid")
        .to_lowercase()
        .starts_with("ec2")
        || read("/sys/class/dmi/id/board_vendor").trim() == "Amazon EC2"
}

/// Whether awsenv runs in a container, where the token reply needs a hop limit of 2.
fn in_container() -> bool {
    std::path::Path::new("/.dockerenv").exists()
        || ["docker", "kubepods", "containerd", "podman"]
            .iter()
            .any(|w| {
                std::fs::read_to_string("/proc/1/cgroup")
                    .unwrap_or_default()
                    .contains(w)
            })
}

/// Every metadata check.
pub fn checks(ctx: &Context) -> Vec<Check> {
    let endpoint = ctx
        .var("AWS_EC2_METADATA_SERVICE_ENDPOINT")
        .unwrap_or(DEFAULT_ENDPOINT)
        .trim_end_matches('/')
        .to_owned();
    vec![token(&endpoint, in_container()), no_proxy(ctx)]
}

/// `PUT /latest/api/token`: the IMDSv2 handshake every SDK does first.
fn token(endpoint: &str, container: bool) -> Check {
    let started = Instant::now();
    let outcome = put_token(endpoint);
    let ms = started.elapsed().as_millis();
    match outcome {
        Ok(200) => Check::ok(NAME, format!("IMDSv2 token from {endpoint} in {ms} ms")),
        Ok(status) => Check::fail(
            NAME,
            format!(
                "PUT {endpoint}/latest/api/token answered HTTP {status} in {ms} ms (IMDSv2 disabled or forbidden)"
            ),
            "aws ec2 modify-instance-metadata-options --instance-id \"$INSTANCE_ID\" --http-endpoint enabled --http-tokens required",
        ),
        Err(why) if container => Check::fail(
            NAME,
            format!(
                "PUT {endpoint}/latest/api/token: {why} after {ms} ms; in a container the reply needs a hop limit of 2"
            ),
            "aws ec2 modify-instance-metadata-options --instance-id \"$INSTANCE_ID\" --http-put-response-hop-limit 2",
        ),
        Err(why) => Check::fail(
            NAME,
            format!("PUT {endpoint}/latest/api/token: {why} after {ms} ms"),
            "echo \"$AWS_EC2_METADATA_SERVICE_ENDPOINT\"  # unset it if wrong; off EC2 there is no metadata service",
        ),
    }
}

/// The HTTP status of the token request, or why there was none.
fn put_token(endpoint: &str) -> Result<u16, String> {
    let (host, addr) = address(endpoint)?;
    let mut stream = TcpStream::connect_timeout(&addr, TIMEOUT)
        .map_err(|e| format!("cannot connect to {addr} ({e})"))?;
    let _ = stream.set_read_timeout(Some(TIMEOUT));
    let _ = stream.set_write_timeout(Some(TIMEOUT));
    let request = format!(
        "PUT /latest/api/token HTTP/1.1\r\nHost: {host}\r\nX-aws-ec2-metadata-token-ttl-seconds: 60\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("cannot send ({e})"))?;
    let mut head = [0u8; 64];
    let n = stream
        .read(&mut head)
        .map_err(|e| format!("no reply within 1 s ({e})"))?;
    let line = String::from_utf8_lossy(&head[..n]);
    line.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| "not an HTTP reply".to_owned())
}

/// `http://host[:port][/…]` → (host header, socket address).
fn address(endpoint: &str) -> Result<(String, SocketAddr), String> {
    let rest = endpoint
        .strip_prefix("http://")
        .ok_or_else(|| format!("`{endpoint}` is not an http:// URL"))?;
    let host = rest.split('/').next().unwrap_or_default();
    let with_port = if host
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
        && !host.ends_with(']')
    {
        host.to_owned()
    } else {
        format!("{host}:80")
    };
    let addr = with_port
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve `{host}` ({e})"))?
        .next()
        .ok_or_else(|| format!("`{host}` has no address"))?;
    Ok((host.to_owned(), addr))
}

/// A proxy without `NO_PROXY` for 169.254.169.254 sends metadata requests to the proxy.
fn no_proxy(ctx: &Context) -> Check {
    const NAME: &str = "NO_PROXY";
    let proxy = ["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"]
        .into_iter()
        .find(|v| ctx.var(v).is_some());
    let Some(proxy) = proxy else {
        return Check::ok(NAME, "no HTTP(S)_PROXY set; metadata requests go direct");
    };
    let list = [ctx.var("NO_PROXY"), ctx.var("no_proxy")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(",");
    let covered = list.split(',').map(str::trim).any(|e| {
        e == "*"
            || e == "169.254.169.254"
            || e == "169.254.0.0/16"
            || e == "169.254."
            || e == ".169.254.169.254"
    });
    if covered {
        Check::ok(
            NAME,
            format!("{proxy} is set and NO_PROXY covers 169.254.169.254"),
        )
    } else {
        Check::warn(
            NAME,
            format!(
                "{proxy} is set but NO_PROXY/no_proxy does not cover 169.254.169.254, so metadata requests go to the proxy"
            ),
            "export NO_PROXY=\"${NO_PROXY:+$NO_PROXY,}169.254.169.254\"",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::Level;

    #[test]
    fn addresses_take_the_port_or_80() {
        assert_eq!(address("http://127.0.0.1:9").unwrap().1.port(), 9);
        assert_eq!(address("http://127.0.0.1").unwrap().1.port(), 80);
        assert!(address("https://x").is_err());
    }

    #[test]
    fn no_proxy_must_cover_the_metadata_address() {
        let ctx = |vars: &[(&str, &str)]| {
            Context::new(
                vars.iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                0,
            )
        };
        assert_eq!(no_proxy(&ctx(&[])).level, Level::Ok);
        assert_eq!(
            no_proxy(&ctx(&[("HTTPS_PROXY", "http://p:3128")])).level,
            Level::Warn
        );
        let covered = ctx(&[
            ("https_proxy", "http://p"),
            ("no_proxy", "localhost,169.254.169.254"),
        ]);
        assert_eq!(no_proxy(&covered).level, Level::Ok);
    }
}
