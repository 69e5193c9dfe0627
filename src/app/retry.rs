//! Retrying a write while the database reports contention (SQLite's `SQLITE_BUSY`, PostgreSQL's
//! serialization failures and lock timeouts, all `StoreError::Busy`). A busy write has not
//! happened, so calling it again is safe; anything else is final.

use crate::store::StoreError;
use backon::{ExponentialBuilder, Retryable};
use std::future::Future;
use std::time::Duration;

/// Calls `call` up to `attempts` times (at least once) while it answers `StoreError::Busy`,
/// waiting 5 ms, 10 ms, … up to 200 ms in between, with jitter so that writers that collided
/// do not collide again in step.
pub async fn retry_busy<T, F, Fut>(attempts: u32, call: F) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    let backoff = ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(5))
        .with_max_delay(Duration::from_millis(200))
        .with_factor(2.0)
        .with_jitter()
        .with_max_times(attempts.max(1) as usize - 1);
    call.retry(backoff)
        .sleep(tokio::time::sleep)
        .when(|e| matches!(e, StoreError::Busy))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test]
    async fn busy_is_retried_up_to_the_attempts_then_given_up() {
        let calls = AtomicU32::new(0);
        let result: Result<(), _> = retry_busy(3, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(StoreError::Busy)
        })
        .await;
        assert!(matches!(result, Err(StoreError::Busy)));
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_write_that_gets_through_after_contention_succeeds() {
        let calls = AtomicU32::new(0);
        let result = retry_busy(5, || async {
            match calls.fetch_add(1, Ordering::SeqCst) {
                0 | 1 => Err(StoreError::Busy),
                n => Ok(n),
            }
        })
        .await;
        assert_eq!(result.ok(), Some(2));
    }

    #[tokio::test]
    async fn other_errors_are_not_retried() {
        let calls = AtomicU32::new(0);
        let result: Result<(), _> = retry_busy(5, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(StoreError::NotFound)
        })
        .await;
        assert!(matches!(result, Err(StoreError::NotFound)));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
