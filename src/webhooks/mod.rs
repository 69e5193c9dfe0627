//! Webhooks: subscription rules (event types, target URLs), Standard Webhooks signing and the
//! dispatcher that delivers the outbox.
//!
//! What a client-scoped subscription receives: only events whose `client_id` is its own
//! ([`crate::store::subscription_matches`]). Every such event already carries only that
//! client's data (a booking of its program; its own copy of `capacity.shortfall` with its rows
//! only); staff-only events (`plan.completed`, `capacity.utilization_high`, the unscoped
//! `capacity.shortfall`) have no `client_id` and never reach a client.

pub mod dispatcher;
pub mod signer;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The event types a subscription may name (or `*`).
pub const EVENT_TYPES: [&str; 9] = [
    "booking.held",
    "booking.confirmed",
    "booking.cancelled",
    "booking.expired",
    "hold.expiring",
    "closure.conflict",
    "plan.completed",
    "capacity.shortfall",
    "capacity.utilization_high",
];

pub fn known_event_type(t: &str) -> bool {
    t == "*" || EVENT_TYPES.contains(&t)
}

/// Checks a target URL: absolute http(s) with a host, and (unless `allow_private`) not a
/// loopback, private, link-local or unspecified address, nor `localhost`. The reason otherwise.
pub fn check_target(url: &str, allow_private: bool) -> Result<(), &'static str> {
    let parsed = reqwest::Url::parse(url).map_err(|_| "must be an absolute http or https URL")?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err("must be an http or https URL");
    }
    let host = parsed.host().ok_or("must name a host")?;
    if allow_private {
        return Ok(());
    }
    let private = match host {
        url::Host::Domain(d) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        url::Host::Ipv4(ip) => private_v4(ip),
        url::Host::Ipv6(ip) => private_v6(ip),
    };
    if private {
        Err("loopback and private-network targets are refused (webhooks.allow_private_targets)")
    } else {
        Ok(())
    }
}

fn private_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        // 100.64.0.0/10, carrier-grade NAT.
        || (a == 100 && (64..128).contains(&b))
}

fn private_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return private_v4(v4);
    }
    let first = ip.segments()[0];
    ip.is_loopback()
        || ip.is_unspecified()
        // fc00::/7 unique local, fe80::/10 link-local.
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
}

/// Whether an address is one `check_target` refuses (for callers holding a resolved address).
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => private_v4(v4),
        IpAddr::V6(v6) => private_v6(v6),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        for bad in [
            "http://127.0.0.1:8080/x",
            "http://localhost/x",
            "https://api.localhost/",
            "http://10.1.2.3/",
            "http://192.168.0.1/",
            "http://172.16.5.5/",
            "http://169.254.169.254/latest",
            "http://[::1]/",
            "http://[fd00::1]/",
            "http://[fe80::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://0.0.0.0/",
            "ftp://example.com/",
            "not a url",
        ] {
            assert!(check_target(bad, false).is_err(), "{bad}");
        }
        assert!(check_target("https://hooks.example.com/x", false).is_ok());
        assert!(check_target("http://8.8.8.8/", false).is_ok());
        assert!(check_target("http://127.0.0.1:9/", true).is_ok());
        assert!(check_target("ftp://127.0.0.1/", true).is_err());
    }
}
