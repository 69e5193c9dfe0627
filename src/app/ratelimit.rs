//! Rate limits (the `governor` crate's keyed GCRA limiters): per API key, so that one tenant's
//! script in a loop cannot starve the others, and per client address for failed
//! authentications, so that guessing keys or passwords is slow and noisy.

use crate::config::RateLimitSettings;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

#[derive(Clone)]
pub struct RateLimits {
    per_key: Arc<DefaultKeyedRateLimiter<Uuid>>,
    failed_auth: Arc<DefaultKeyedRateLimiter<IpAddr>>,
}

fn nonzero(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
}

impl RateLimits {
    pub fn new(s: &RateLimitSettings) -> RateLimits {
        let per_key =
            Quota::per_second(nonzero(s.per_key_per_second)).allow_burst(nonzero(s.per_key_burst));
        let failed = Quota::per_minute(nonzero(s.failed_auth_per_minute))
            .allow_burst(nonzero(s.failed_auth_burst));
        RateLimits {
            per_key: Arc::new(RateLimiter::keyed(per_key)),
            failed_auth: Arc::new(RateLimiter::keyed(failed)),
        }
    }

    /// One request by `key`: `Err(seconds to wait)` past the limit.
    pub fn key(&self, key: Uuid) -> Result<(), u64> {
        self.per_key.check_key(&key).map_err(wait)
    }

    /// One failed authentication from `addr`: `Err(seconds to wait)` past the limit.
    pub fn failed_auth(&self, addr: IpAddr) -> Result<(), u64> {
        self.failed_auth.check_key(&addr).map_err(wait)
    }
}

fn wait(not_until: governor::NotUntil<governor::clock::QuantaInstant>) -> u64 {
    let d: Duration = not_until.wait_time_from(DefaultClock::default().now());
    d.as_secs() + 1
}
