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

/// IPv4 ranges that are not the public internet (IANA special-purpose registry): this host,
/// private, shared (carrier-grade NAT), loopback, link-local, IETF protocol assignments,
/// documentation, 6to4 relay, benchmarking, multicast, reserved and broadcast.
const SPECIAL_V4: [&str; 15] = [
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.88.99.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "240.0.0.0/4",
];

/// IPv6 ranges that are not the public internet, other than those that embed an IPv4 address
/// (handled by what they embed): unspecified and loopback, discard, NAT64 local use, IETF
/// protocol assignments (Teredo among them), documentation, unique local, site-local,
/// link-local and multicast.
const SPECIAL_V6: [&str; 10] = [
    "::/127",
    "100::/64",
    "64:ff9b:1::/48",
    "2001::/23",
    "2001:db8::/32",
    "fc00::/7",
    "fec0::/10",
    "fe80::/10",
    "ff00::/8",
    "3fff::/20",
];

fn in_any<N: std::str::FromStr>(ranges: &[&str], contains: impl Fn(&N) -> bool) -> bool {
    ranges
        .iter()
        .filter_map(|r| r.parse::<N>().ok())
        .any(|net| contains(&net))
}

fn private_v4(ip: Ipv4Addr) -> bool {
    in_any::<ipnet::Ipv4Net>(&SPECIAL_V4, |net| net.contains(&ip))
}

/// The IPv4 address an IPv6 one carries, in the forms that route to it: IPv4-mapped
/// (`::ffff:a.b.c.d`), IPv4-compatible (`::a.b.c.d`, deprecated), NAT64 (`64:ff9b::a.b.c.d`)
/// and 6to4 (`2002:AABB:CCDD::/48`).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let tail = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if let Some(v4) = ip.to_ipv4_mapped() {
        Some(v4)
    } else if (s[..6] == [0; 6] && !(s[6] == 0 && s[7] <= 1))
        || s[..6] == [0x64, 0xff9b, 0, 0, 0, 0]
    {
        Some(tail)
    } else if s[0] == 0x2002 {
        Some(Ipv4Addr::new(
            (s[1] >> 8) as u8,
            s[1] as u8,
            (s[2] >> 8) as u8,
            s[2] as u8,
        ))
    } else {
        None
    }
}

fn private_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = embedded_v4(ip) {
        return private_v4(v4);
    }
    in_any::<ipnet::Ipv6Net>(&SPECIAL_V6, |net| net.contains(&ip))
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
            "http://0.1.2.3/",
            "http://100.64.0.1/",
            "http://100.127.255.254/",
            "http://192.0.0.8/",
            "http://198.18.0.1/",
            "http://198.19.255.255/",
            "http://240.0.0.1/",
            "http://255.255.255.255/",
            "http://224.0.0.251/",
            "http://239.255.255.250/",
            "http://[::]/",
            "http://[::127.0.0.1]/",
            "http://[::10.0.0.1]/",
            "http://[64:ff9b::10.0.0.1]/",
            "http://[64:ff9b::7f00:1]/",
            "http://[2002:c0a8:0101::1]/",
            "http://[2002:7f00:0001::]/",
            "http://[ff02::1]/",
            "http://[2001:db8::1]/",
            "ftp://example.com/",
            "not a url",
        ] {
            assert!(check_target(bad, false).is_err(), "{bad}");
        }
        assert!(check_target("https://hooks.example.com/x", false).is_ok());
        assert!(check_target("http://8.8.8.8/", false).is_ok());
        // Public addresses in the embedding forms stay usable.
        assert!(check_target("http://[64:ff9b::8.8.8.8]/", false).is_ok());
        assert!(check_target("http://[2002:0808:0808::1]/", false).is_ok());
        assert!(check_target("http://[2606:4700::1111]/", false).is_ok());
        assert!(check_target("http://127.0.0.1:9/", true).is_ok());
        assert!(check_target("ftp://127.0.0.1/", true).is_err());
    }
}
